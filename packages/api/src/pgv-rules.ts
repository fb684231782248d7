import { isIP } from 'node:net';
import type { SecondsNanos } from './proto-json-scalars.js';

/**
 * protoc-gen-validate (`(validate.rules)`) checks, compiled once per field from protobufjs `parsedOptions`.
 * Checkers receive values in protobufjs form (strings, numbers, 64-bit ints as decimal strings, Buffers,
 * `{seconds, nanos}` for Duration/Timestamp, `{type_url}` for Any); wrappers are unwrapped by the caller.
 */
export type Report = (path: string, reason: string) => void;
export type Check = (value: unknown, path: string, report: Report) => void;

export interface RepeatedRules {
  readonly minItems: number | undefined;
  readonly maxItems: number | undefined;
  readonly unique: boolean;
  readonly ignoreEmpty: boolean;
  readonly items: Check | undefined;
}

export interface MapRules {
  readonly minPairs: number | undefined;
  readonly maxPairs: number | undefined;
  readonly ignoreEmpty: boolean;
  readonly keys: Check | undefined;
  readonly values: Check | undefined;
}

export interface FieldRules {
  /** The rule name (`message.required`, `duration.required`, …) when the field must be set. */
  readonly required: string | undefined;
  /** Checks on a set (or, for scalars, default) singular value. */
  readonly single: Check | undefined;
  readonly repeated: RepeatedRules | undefined;
  readonly map: MapRules | undefined;
}

export interface RuleEnv {
  /** The defined numbers of the field's enum type, for `enum.defined_only`. */
  readonly enumIds?: ReadonlySet<number>;
}

type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown): unknown[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))) return Number(v);
  return undefined;
}

function big(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return undefined;
}

const plural = (n: number | bigint, word: string): string => `${n} ${word}${n === 1 || n === 1n ? '' : 's'}`;

/** Compiles the `(validate.rules)` value of one field; undefined when nothing is enforced. */
export function compileFieldRules(rules: unknown, env: RuleEnv): FieldRules | undefined {
  if (!isObj(rules)) return undefined;
  let required: string | undefined;
  let single: Check | undefined;
  let repeated: RepeatedRules | undefined;
  let map: MapRules | undefined;
  for (const [kind, spec] of Object.entries(rules)) {
    if (!isObj(spec)) continue;
    if (kind === 'repeated') {
      repeated = {
        minItems: num(spec['min_items']),
        maxItems: num(spec['max_items']),
        unique: spec['unique'] === true,
        ignoreEmpty: spec['ignore_empty'] === true,
        items: compileValueRules(spec['items'], env),
      };
    } else if (kind === 'map') {
      map = {
        minPairs: num(spec['min_pairs']),
        maxPairs: num(spec['max_pairs']),
        ignoreEmpty: spec['ignore_empty'] === true,
        keys: compileValueRules(spec['keys'], env),
        values: compileValueRules(spec['values'], env),
      };
    } else {
      if (spec['required'] === true) required = `${kind}.required`;
      single = compileKind(kind, spec, env);
    }
  }
  if (!required && !single && !repeated && !map) return undefined;
  return { required, single, repeated, map };
}

/** Compiles `FieldRules`-shaped items/keys/values rules (`{string: {...}}`) into one check. */
function compileValueRules(rules: unknown, env: RuleEnv): Check | undefined {
  if (!isObj(rules)) return undefined;
  for (const [kind, spec] of Object.entries(rules)) {
    if (isObj(spec)) return compileKind(kind, spec, env);
  }
  return undefined;
}

function compileKind(kind: string, spec: Obj, env: RuleEnv): Check | undefined {
  switch (kind) {
    case 'string':
      return compileString(spec);
    case 'bytes':
      return compileBytes(spec);
    case 'bool':
      return spec['const'] === undefined ? undefined : compileBoolConst(spec['const'] === true);
    case 'enum':
      return compileEnum(spec, env);
    case 'duration':
    case 'timestamp':
      return compileTime(kind, spec);
    case 'any':
      return compileAny(spec);
    case 'float':
    case 'double':
    case 'int32':
    case 'uint32':
    case 'sint32':
    case 'fixed32':
    case 'sfixed32':
      return compileNumeric(kind, spec, false);
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return compileNumeric(kind, spec, true);
    default:
      return undefined; // message (required handled by the caller), skip, unknown kinds
  }
}

function compileBoolConst(expected: boolean): Check {
  return (v, path, report) => {
    if (v !== expected) report(path, `value must equal ${expected} [bool.const]`);
  };
}

type Cmp = number | bigint;

/** Range checks with PGV semantics: when the lower bound exceeds the upper one the range is exclusive. */
function rangeCheck<T extends Cmp>(
  kind: string,
  show: (b: T) => string,
  bounds: { gt?: T | undefined; gte?: T | undefined; lt?: T | undefined; lte?: T | undefined },
  konst: T | undefined,
  inList: readonly T[],
  notIn: readonly T[],
): ((v: T) => string | undefined) | undefined {
  const { gt, gte, lt, lte } = bounds;
  const lower = gt ?? gte;
  const upper = lt ?? lte;
  if (konst === undefined && lower === undefined && upper === undefined && !inList.length && !notIn.length) return undefined;
  const lowerOk = (v: T): boolean => (gt !== undefined ? v > gt : gte === undefined || v >= gte);
  const upperOk = (v: T): boolean => (lt !== undefined ? v < lt : lte === undefined || v <= lte);
  const lowerText = gt !== undefined ? `greater than ${show(gt)} [${kind}.gt]` : gte !== undefined ? `greater than or equal to ${show(gte)} [${kind}.gte]` : '';
  const upperText = lt !== undefined ? `less than ${show(lt)} [${kind}.lt]` : lte !== undefined ? `less than or equal to ${show(lte)} [${kind}.lte]` : '';
  const exclusive = lower !== undefined && upper !== undefined && lower > upper;
  return (v) => {
    if (konst !== undefined && v !== konst) return `value must equal ${show(konst)} [${kind}.const]`;
    if (inList.length && !inList.includes(v)) return `value must be one of ${inList.map(show).join(', ')} [${kind}.in]`;
    if (notIn.includes(v)) return `value must not be one of ${notIn.map(show).join(', ')} [${kind}.not_in]`;
    if (exclusive) {
      if (!lowerOk(v) && !upperOk(v)) return `value must be either ${lowerText} or ${upperText}`;
      return undefined;
    }
    if (!lowerOk(v)) return `value must be ${lowerText}`;
    if (!upperOk(v)) return `value must be ${upperText}`;
    return undefined;
  };
}

function compileNumeric(kind: string, spec: Obj, wide: boolean): Check | undefined {
  const ignoreEmpty = spec['ignore_empty'] === true;
  if (wide) {
    const test = rangeCheck<bigint>(
      kind,
      String,
      { gt: big(spec['gt']), gte: big(spec['gte']), lt: big(spec['lt']), lte: big(spec['lte']) },
      big(spec['const']),
      list(spec['in']).map(big).filter((x): x is bigint => x !== undefined),
      list(spec['not_in']).map(big).filter((x): x is bigint => x !== undefined),
    );
    if (!test) return undefined;
    return (v, path, report) => {
      const b = big(v);
      if (b === undefined || (ignoreEmpty && b === 0n)) return;
      const reason = test(b);
      if (reason) report(path, reason);
    };
  }
  const test = rangeCheck<number>(
    kind,
    String,
    { gt: num(spec['gt']), gte: num(spec['gte']), lt: num(spec['lt']), lte: num(spec['lte']) },
    num(spec['const']),
    list(spec['in']).map(num).filter((x): x is number => x !== undefined),
    list(spec['not_in']).map(num).filter((x): x is number => x !== undefined),
  );
  if (!test) return undefined;
  return (v, path, report) => {
    if (typeof v !== 'number' || (ignoreEmpty && v === 0)) return;
    const reason = test(v);
    if (reason) report(path, reason);
  };
}

function compileEnum(spec: Obj, env: RuleEnv): Check | undefined {
  const definedOnly = spec['defined_only'] === true && env.enumIds !== undefined;
  const test = rangeCheck<number>(
    'enum',
    String,
    {},
    num(spec['const']),
    list(spec['in']).map(num).filter((x): x is number => x !== undefined),
    list(spec['not_in']).map(num).filter((x): x is number => x !== undefined),
  );
  if (!definedOnly && !test) return undefined;
  const ids = env.enumIds;
  return (v, path, report) => {
    if (typeof v !== 'number') return;
    if (definedOnly && ids && !ids.has(v)) {
      report(path, `value ${v} is not a defined enum value [enum.defined_only]`);
      return;
    }
    const reason = test?.(v);
    if (reason) report(path, reason);
  };
}

/** Total nanoseconds of a `{seconds, nanos}` value (from a value or a rule bound). */
function totalNanos(v: unknown): bigint | undefined {
  if (!isObj(v)) return undefined;
  const s = big(v['seconds'] ?? 0);
  const n = big(v['nanos'] ?? 0);
  return s === undefined || n === undefined ? undefined : s * 1_000_000_000n + n;
}

function showNanos(n: bigint): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const s = a / 1_000_000_000n;
  const frac = (a % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${s}${frac ? `.${frac}` : ''}s`;
}

function compileTime(kind: string, spec: Obj): Check | undefined {
  const show = kind === 'duration' ? showNanos : (n: bigint): string => new Date(Number(n / 1_000_000n)).toISOString();
  const test = rangeCheck<bigint>(
    kind,
    show,
    { gt: totalNanos(spec['gt']), gte: totalNanos(spec['gte']), lt: totalNanos(spec['lt']), lte: totalNanos(spec['lte']) },
    totalNanos(spec['const']),
    list(spec['in']).map(totalNanos).filter((x): x is bigint => x !== undefined),
    list(spec['not_in']).map(totalNanos).filter((x): x is bigint => x !== undefined),
  );
  if (!test) return undefined;
  return (v, path, report) => {
    const n = totalNanos(v as SecondsNanos | undefined);
    if (n === undefined) return;
    const reason = test(n);
    if (reason) report(path, reason);
  };
}

function compileAny(spec: Obj): Check | undefined {
  const inList = list(spec['in']).filter((x): x is string => typeof x === 'string');
  const notIn = list(spec['not_in']).filter((x): x is string => typeof x === 'string');
  if (!inList.length && !notIn.length) return undefined;
  return (v, path, report) => {
    if (!isObj(v) || typeof v['type_url'] !== 'string') return;
    const url = v['type_url'];
    if (inList.length && !inList.includes(url)) report(path, `type URL must be one of ${inList.join(', ')} [any.in]`);
    if (notIn.includes(url)) report(path, `type URL must not be ${url} [any.not_in]`);
  };
}

// PGV's well-known regexes (validate.proto), strict and loose (`strict: false`) forms.
const HEADER_NAME_STRICT = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
// eslint-disable-next-line no-control-regex -- these PGV regexes exist to reject control characters
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
// eslint-disable-next-line no-control-regex -- these PGV regexes exist to reject control characters
const HEADER_LOOSE = /^[^\u0000\u000A\u000D]*$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function compilePattern(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    try {
      return new RegExp(pattern);
    } catch {
      return undefined; // an RE2-only construct; Envoy still enforces it, we cannot
    }
  }
}

type StrTest = (s: string) => string | undefined;

function compileString(spec: Obj): Check | undefined {
  const tests: StrTest[] = [];
  const n = (k: string): number | undefined => num(spec[k]);
  const chars = (s: string): number => {
    let c = 0;
    for (const _ of s) c++;
    return c;
  };
  const konst = spec['const'];
  if (typeof konst === 'string') tests.push((s) => (s === konst ? undefined : `value must equal ${JSON.stringify(konst)} [string.const]`));
  const len = n('len');
  if (len !== undefined) tests.push((s) => (chars(s) === len ? undefined : `value length must be exactly ${plural(len, 'character')} [string.len]`));
  const minLen = n('min_len');
  if (minLen !== undefined) tests.push((s) => (chars(s) >= minLen ? undefined : `value length must be at least ${plural(minLen, 'character')} [string.min_len]`));
  const maxLen = n('max_len');
  if (maxLen !== undefined) tests.push((s) => (chars(s) <= maxLen ? undefined : `value length must be at most ${plural(maxLen, 'character')} [string.max_len]`));
  const minBytes = n('min_bytes');
  if (minBytes !== undefined) tests.push((s) => (Buffer.byteLength(s) >= minBytes ? undefined : `value must be at least ${plural(minBytes, 'byte')} long [string.min_bytes]`));
  const maxBytes = n('max_bytes');
  if (maxBytes !== undefined) tests.push((s) => (Buffer.byteLength(s) <= maxBytes ? undefined : `value must be at most ${plural(maxBytes, 'byte')} long [string.max_bytes]`));
  const pattern = typeof spec['pattern'] === 'string' ? spec['pattern'] : undefined;
  const re = pattern !== undefined ? compilePattern(pattern) : undefined;
  if (re) tests.push((s) => (re.test(s) ? undefined : `value does not match regex pattern ${JSON.stringify(pattern)} [string.pattern]`));
  for (const [key, label, ok] of [
    ['prefix', 'start with', (s: string, x: string) => s.startsWith(x)],
    ['suffix', 'end with', (s: string, x: string) => s.endsWith(x)],
    ['contains', 'contain', (s: string, x: string) => s.includes(x)],
    ['not_contains', 'not contain', (s: string, x: string) => !s.includes(x)],
  ] as const) {
    const x = spec[key];
    if (typeof x === 'string') tests.push((s) => (ok(s, x) ? undefined : `value must ${label} ${JSON.stringify(x)} [string.${key}]`));
  }
  const inList = list(spec['in']).filter((x): x is string => typeof x === 'string');
  if (inList.length) tests.push((s) => (inList.includes(s) ? undefined : `value must be one of ${inList.map((x) => JSON.stringify(x)).join(', ')} [string.in]`));
  const notIn = list(spec['not_in']).filter((x): x is string => typeof x === 'string');
  if (notIn.length) tests.push((s) => (!notIn.includes(s) ? undefined : `value must not be one of ${notIn.map((x) => JSON.stringify(x)).join(', ')} [string.not_in]`));
  const strict = spec['strict'] !== false;
  if (spec['well_known_regex'] === 'HTTP_HEADER_NAME') {
    const hre = strict ? HEADER_NAME_STRICT : HEADER_LOOSE;
    tests.push((s) => (hre.test(s) ? undefined : 'value must be a valid HTTP header name [string.well_known_regex]'));
  } else if (spec['well_known_regex'] === 'HTTP_HEADER_VALUE') {
    const hre = strict ? HEADER_VALUE_STRICT : HEADER_LOOSE;
    tests.push((s) => (hre.test(s) ? undefined : 'value must be a valid HTTP header value [string.well_known_regex]'));
  }
  if (spec['ip'] === true) tests.push((s) => (isIP(s) ? undefined : 'value must be a valid IP address [string.ip]'));
  if (spec['ipv4'] === true) tests.push((s) => (isIP(s) === 4 ? undefined : 'value must be a valid IPv4 address [string.ipv4]'));
  if (spec['ipv6'] === true) tests.push((s) => (isIP(s) === 6 ? undefined : 'value must be a valid IPv6 address [string.ipv6]'));
  if (spec['hostname'] === true) tests.push((s) => (HOSTNAME.test(s) ? undefined : 'value must be a valid hostname [string.hostname]'));
  if (spec['address'] === true) tests.push((s) => (isIP(s) || HOSTNAME.test(s) ? undefined : 'value must be a valid hostname or IP address [string.address]'));
  if (!tests.length) return undefined;
  const ignoreEmpty = spec['ignore_empty'] === true;
  return (v, path, report) => {
    if (typeof v !== 'string' || (ignoreEmpty && v === '')) return;
    for (const t of tests) {
      const reason = t(v);
      if (reason) {
        report(path, reason);
        return;
      }
    }
  };
}

function compileBytes(spec: Obj): Check | undefined {
  const len = num(spec['len']);
  const minLen = num(spec['min_len']);
  const maxLen = num(spec['max_len']);
  if (len === undefined && !minLen && maxLen === undefined) return undefined;
  const ignoreEmpty = spec['ignore_empty'] === true;
  return (v, path, report) => {
    if (!Buffer.isBuffer(v) || (ignoreEmpty && v.length === 0)) return;
    if (len !== undefined && v.length !== len) report(path, `value length must be exactly ${plural(len, 'byte')} [bytes.len]`);
    else if (minLen !== undefined && v.length < minLen) report(path, `value length must be at least ${plural(minLen, 'byte')} [bytes.min_len]`);
    else if (maxLen !== undefined && v.length > maxLen) report(path, `value length must be at most ${plural(maxLen, 'byte')} [bytes.max_len]`);
  };
}

/** Key used by `repeated.unique` to compare scalar items. */
export function uniqueKey(v: unknown): unknown {
  return Buffer.isBuffer(v) ? `bytes:${v.toString('hex')}` : v;
}
