/** Envoy's `version` gauges hold a hash of the version text; a 32-bit FNV-1a keeps it exact in a JS number. */
export function versionHash(version: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < version.length; i++) {
    h ^= version.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
