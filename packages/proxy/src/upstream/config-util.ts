import { ConfigError, joinPath } from '@weft/api/lite';

export interface DurationLike {
  seconds: string | number;
  nanos: number;
}

/** Duration → milliseconds (rounded down to whole ms, Envoy's DurationUtil::durationToMilliseconds). */
export function durationMs(d: DurationLike): number {
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

export function optDurationMs(d: DurationLike | null | undefined, def: number): number {
  return d ? durationMs(d) : def;
}

export function wrapped(v: { value: number | string } | null | undefined, def: number): number {
  return v ? Number(v.value) : def;
}

export function unsupported(path: string, field: string, what = 'is not supported yet'): ConfigError {
  return new ConfigError(joinPath(path, field), what);
}

/** Rejects a field that changes behaviour Weft does not implement yet. */
export function rejectIfSet(path: string, field: string, value: unknown): void {
  if (value === null || value === undefined || value === false || value === '' || value === 'UNKNOWN') return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return;
  throw unsupported(path, field);
}
