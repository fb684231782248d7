import { joinPath } from '@weft/api/lite';
import { isIP } from 'node:net';
import { parseGoDuration } from './duration.js';

/**
 * A tiny declarative checker for Istio specs: what `@kubernetes-models/istio`'s schema validation leaves out
 * (unknown fields, durations, port ranges, formats) and the fields Weft does not implement yet.
 */
export type Report = (path: string, reason: string) => void;
export type Check = (v: unknown, path: string, report: Report) => void;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

export interface ObjOptions {
  readonly required?: readonly string[];
  /** Groups of fields of which at most one may be set (proto oneofs). */
  readonly oneOf?: readonly (readonly string[])[];
  /** Extra checks over the whole object (cross-field rules). */
  readonly refine?: (o: Record<string, unknown>, path: string, report: Report) => void;
}

/** An object with exactly these fields; any other field is reported as unknown. */
export function obj(fields: Record<string, Check>, options: ObjOptions = {}): Check {
  return (v, path, report) => {
    if (!isObject(v)) return report(path, `expected an object, got ${typeName(v)}`);
    for (const [k, val] of Object.entries(v)) {
      const check = fields[k];
      if (!check) report(joinPath(path, k), `unknown field '${k}'`);
      else if (val !== null && val !== undefined) check(val, joinPath(path, k), report);
    }
    for (const r of options.required ?? []) {
      if (v[r] === undefined || v[r] === null) report(joinPath(path, r), 'is required');
    }
    for (const group of options.oneOf ?? []) {
      const set = group.filter((k) => v[k] !== undefined && v[k] !== null);
      if (set.length > 1) report(path, `only one of ${set.map((s) => `'${s}'`).join(', ')} may be set`);
    }
    options.refine?.(v, path, report);
  };
}

export function arr(item: Check, options: { nonEmpty?: boolean } = {}): Check {
  return (v, path, report) => {
    if (!Array.isArray(v)) return report(path, `expected an array, got ${typeName(v)}`);
    if (options.nonEmpty && v.length === 0) report(path, 'must not be empty');
    v.forEach((x, i) => item(x, joinPath(path, i), report));
  };
}

/** A string-keyed map (`labels`, `headers`); keys are checked with `key` when given. */
export function map(value: Check, key?: Check): Check {
  return (v, path, report) => {
    if (!isObject(v)) return report(path, `expected an object, got ${typeName(v)}`);
    for (const [k, val] of Object.entries(v)) {
      key?.(k, joinPath(path, k), report);
      value(val, joinPath(path, k), report);
    }
  };
}

export const str: Check = (v, path, report) => {
  if (typeof v !== 'string') report(path, `expected a string, got ${typeName(v)}`);
};

export function strMatching(re: RegExp, what: string): Check {
  return (v, path, report) => {
    if (typeof v !== 'string') return report(path, `expected a string, got ${typeName(v)}`);
    if (!re.test(v)) report(path, `'${v}' is not ${what}`);
  };
}

export const bool: Check = (v, path, report) => {
  if (typeof v !== 'boolean') report(path, `expected a boolean, got ${typeName(v)}`);
};

export function int(min: number, max: number): Check {
  return (v, path, report) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return report(path, `expected an integer, got ${typeName(v)}`);
    if (v < min || v > max) report(path, `${v} is out of range [${min}, ${max}]`);
  };
}

export function num(min: number, max: number): Check {
  return (v, path, report) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return report(path, `expected a number, got ${typeName(v)}`);
    if (v < min || v > max) report(path, `${v} is out of range [${min}, ${max}]`);
  };
}

export const port = int(1, 65535);
export const uint32 = int(0, 4294967295);
export const int32 = int(-2147483648, 2147483647);

export function oneOfValues(values: readonly string[]): Check {
  return (v, path, report) => {
    if (typeof v !== 'string') return report(path, `expected a string, got ${typeName(v)}`);
    if (!values.includes(v)) report(path, `'${v}' is not one of ${values.join(', ')}`);
  };
}

/** A duration (`1.5s`, `100ms`); `minMs` like Istio's validation (most durations must be >= 1ms). */
export function duration(minMs = 0): Check {
  return (v, path, report) => {
    if (typeof v !== 'string') return report(path, `expected a duration string, got ${typeName(v)}`);
    const ns = parseGoDuration(v);
    if (ns === undefined) return report(path, `'${v}' is not a duration (e.g. '1s', '100ms', '1m30s')`);
    if (ns < BigInt(minMs) * 1_000_000n) report(path, `duration '${v}' must be at least ${minMs}ms`);
  };
}

export const ipAddress: Check = (v, path, report) => {
  if (typeof v !== 'string') return report(path, `expected a string, got ${typeName(v)}`);
  if (isIP(v) === 0) report(path, `'${v}' is not an IP address`);
};

/** An IP address or CIDR block. */
export const ipOrCidr: Check = (v, path, report) => {
  if (typeof v !== 'string') return report(path, `expected a string, got ${typeName(v)}`);
  const [ip = '', len, extra] = v.split('/');
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  if (family === 0 || extra !== undefined || (len !== undefined && !(/^\d+$/.test(len) && Number(len) <= max))) {
    report(path, `'${v}' is not an IP address or CIDR block`);
  }
};

/** A field Weft knows about but does not implement: refused rather than silently ignored. */
export function notSupported(what = 'is not supported by Weft yet'): Check {
  return (_v, path, report) => report(path, what);
}

/** Only these values are implemented (the schema allows more). */
export function supportedValues(values: readonly string[], all: readonly string[]): Check {
  return (v, path, report) => {
    oneOfValues(all)(v, path, report);
    if (typeof v === 'string' && all.includes(v) && !values.includes(v)) report(path, `'${v}' is not supported by Weft yet`);
  };
}

export function all(...checks: Check[]): Check {
  return (v, path, report) => {
    for (const c of checks) c(v, path, report);
  };
}

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
export const DNS1123_LABEL = new RegExp(`^${DNS_LABEL}$`);
/** A host name with an optional leading `*` wildcard (`*.example.com`, `*`), or a short name. */
export const HOST = /^(\*|(\*\.)?[a-zA-Z0-9_]([-a-zA-Z0-9_]*[a-zA-Z0-9_])?(\.[a-zA-Z0-9_]([-a-zA-Z0-9_]*[a-zA-Z0-9_])?)*)$/;
export const host = strMatching(HOST, 'a valid host name (a DNS name, optionally starting with *.)');
export const labelKey = strMatching(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/, 'a valid label key');
export const labels = map(str, labelKey);
/** `exportTo` entries: `.` (own namespace), `*` (all), `~` (none) or a namespace name. */
export const exportTo = arr(strMatching(/^(\.|\*|~|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/, "'.', '*', '~' or a namespace name"));
