/** Envoy's runtime: layered key/value overrides (`layered_runtime`). Absent keys yield the caller's default. */
export interface Runtime {
  getNumber(key: string, defaultValue: number): number;
  getBoolean(key: string, defaultValue: boolean): boolean;
  /**
   * Whether a feature is enabled for this sample, given a default fraction `numerator/denominator` overridable by
   * runtime key. `random` is a uniformly random 64-bit-ish integer (or a stable hash) supplied by the caller.
   */
  featureEnabled(key: string, numerator: number, denominator: number, random: number): boolean;
}
