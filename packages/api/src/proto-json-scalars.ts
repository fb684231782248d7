/**
 * Scalar conversions of the proto3 JSON mapping. Each parser returns the protobufjs-form value (what `fromObject`
 * takes: 32-bit ints and floats as numbers, 64-bit ints as decimal strings, bytes as Buffer) or an `Invalid` with
 * the reason.
 */
export class Invalid {
  constructor(readonly reason: string) {}
}

/** A short description of a JSON value for error messages: `string "abc"`, `number 1.5`, `object`, `array`. */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
    case 'bigint':
      return `number ${String(v)}`;
    case 'boolean':
      return `boolean ${String(v)}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

interface IntRange {
  readonly min: bigint;
  readonly max: bigint;
  readonly wide: boolean;
  readonly label: string;
}

const INT32: IntRange = { min: -(2n ** 31n), max: 2n ** 31n - 1n, wide: false, label: 'int32' };
const UINT32: IntRange = { min: 0n, max: 2n ** 32n - 1n, wide: false, label: 'uint32' };
const INT64: IntRange = { min: -(2n ** 63n), max: 2n ** 63n - 1n, wide: true, label: 'int64' };
const UINT64: IntRange = { min: 0n, max: 2n ** 64n - 1n, wide: true, label: 'uint64' };

/** protobufjs scalar type name → integer range; undefined for non-integer types. */
export const INT_RANGES: ReadonlyMap<string, IntRange> = new Map([
  ['int32', INT32], ['sint32', INT32], ['sfixed32', INT32],
  ['uint32', UINT32], ['fixed32', UINT32],
  ['int64', INT64], ['sint64', INT64], ['sfixed64', INT64],
  ['uint64', UINT64], ['fixed64', UINT64],
]);

const INT_STRING = /^-?\d+$/;
const FLOAT_STRING = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const BASE64_URL = /^[A-Za-z0-9_-]*={0,2}$/;
const FLOAT_MAX = 3.4028234663852886e38;

/** Integer of any width: JSON number (integral) or decimal string. 64-bit results are decimal strings. */
export function parseInteger(v: unknown, range: IntRange): number | string | Invalid {
  let big: bigint;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return new Invalid(`expected an integer (${range.label}), got ${describeJson(v)}`);
    if (!range.wide) {
      if (v < Number(range.min) || v > Number(range.max)) return outOfRange(v, range);
      return v;
    }
    big = BigInt(v);
  } else if (typeof v === 'string' && INT_STRING.test(v)) {
    big = BigInt(v);
  } else if (typeof v === 'bigint') {
    big = v;
  } else {
    return new Invalid(`expected an integer (${range.label}), got ${describeJson(v)}`);
  }
  if (big < range.min || big > range.max) return outOfRange(big, range);
  return range.wide ? big.toString() : Number(big);
}

function outOfRange(v: number | bigint, range: IntRange): Invalid {
  return new Invalid(`value ${String(v)} is out of range for ${range.label} [${range.min}, ${range.max}]`);
}

/** double/float: a JSON number, a numeric string, or "NaN" / "Infinity" / "-Infinity". */
export function parseFloating(v: unknown, isFloat: boolean): number | Invalid {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'bigint') n = Number(v);
  else if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (!FLOAT_STRING.test(v)) return new Invalid(`expected a number, got ${describeJson(v)}`);
    n = Number(v);
    if (!Number.isFinite(n)) return new Invalid(`value ${v} is out of range for double`);
  } else return new Invalid(`expected a number, got ${describeJson(v)}`);
  if (isFloat && Number.isFinite(n) && Math.abs(n) > FLOAT_MAX) return new Invalid(`value ${n} is out of range for float`);
  return n;
}

export function parseBool(v: unknown): boolean | Invalid {
  return typeof v === 'boolean' ? v : new Invalid(`expected true or false, got ${describeJson(v)}`);
}

export function parseString(v: unknown): string | Invalid {
  return typeof v === 'string' ? v : new Invalid(`expected a string, got ${describeJson(v)}`);
}

/** bytes: standard or URL-safe base64, padding optional. */
export function parseBytes(v: unknown): Buffer | Invalid {
  if (typeof v !== 'string') return new Invalid(`expected a base64 string (bytes), got ${describeJson(v)}`);
  const std = BASE64.test(v);
  if (!std && !(BASE64_URL.test(v) && v.length % 4 !== 1)) return new Invalid('value is not valid base64');
  return Buffer.from(v, std ? 'base64' : 'base64url');
}

/** Parses a value of a protobufjs scalar type name (`string`, `uint32`, `double`, …). */
export function parseScalar(type: string, v: unknown): unknown {
  switch (type) {
    case 'string':
      return parseString(v);
    case 'bool':
      return parseBool(v);
    case 'double':
      return parseFloating(v, false);
    case 'float':
      return parseFloating(v, true);
    case 'bytes':
      return parseBytes(v);
    default: {
      const range = INT_RANGES.get(type);
      return range ? parseInteger(v, range) : new Invalid(`unsupported scalar type ${type}`);
    }
  }
}

/** The protobufjs-form default of a scalar type (what an unset proto3 field reads as). */
export function scalarDefault(type: string): unknown {
  switch (type) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'bytes':
      return Buffer.alloc(0);
    case 'double':
    case 'float':
      return 0;
    default:
      return INT_RANGES.get(type)?.wide ? '0' : 0;
  }
}

/** `{seconds, nanos}` in protobufjs form (seconds as a decimal string). */
export interface SecondsNanos {
  seconds: string;
  nanos: number;
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MAX_DURATION_SECONDS = 315_576_000_000n;

/** google.protobuf.Duration JSON form: `"1.5s"`, `"0.001s"`, `"-3s"`. */
export function parseDuration(v: unknown): SecondsNanos | Invalid {
  if (typeof v !== 'string') return new Invalid(`expected a duration string such as "1.5s", got ${describeJson(v)}`);
  const m = DURATION.exec(v);
  if (!m) return new Invalid(`invalid duration ${JSON.stringify(v)}: expected seconds with an "s" suffix, e.g. "1.5s"`);
  const seconds = BigInt(m[2] ?? '0');
  if (seconds > MAX_DURATION_SECONDS) return new Invalid(`duration ${JSON.stringify(v)} is out of range`);
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  const neg = m[1] === '-' && (seconds !== 0n || nanos !== 0);
  return { seconds: (neg ? -seconds : seconds).toString(), nanos: neg ? -nanos : nanos };
}

/** Checks a Duration given in object form `{seconds, nanos}` (already integer-parsed). */
export function checkDurationObject(d: SecondsNanos): Invalid | undefined {
  const s = BigInt(d.seconds);
  if (s > MAX_DURATION_SECONDS || s < -MAX_DURATION_SECONDS) return new Invalid('duration seconds out of range');
  if (d.nanos <= -1e9 || d.nanos >= 1e9) return new Invalid('duration nanos must be within ±999999999');
  if ((s > 0n && d.nanos < 0) || (s < 0n && d.nanos > 0)) return new Invalid('duration seconds and nanos must have the same sign');
  return undefined;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const MIN_TIMESTAMP = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_TIMESTAMP = 253_402_300_799; // 9999-12-31T23:59:59Z

/** google.protobuf.Timestamp JSON form: RFC 3339 (`"2024-01-02T03:04:05.5Z"`, offsets allowed). */
export function parseTimestamp(v: unknown): SecondsNanos | Invalid {
  if (typeof v !== 'string') return new Invalid(`expected an RFC 3339 timestamp string, got ${describeJson(v)}`);
  const m = TIMESTAMP.exec(v);
  if (!m) return new Invalid(`invalid timestamp ${JSON.stringify(v)}: expected RFC 3339, e.g. "2024-01-02T03:04:05Z"`);
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  if (mo < 1 || mo > 12 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return new Invalid(`invalid timestamp ${JSON.stringify(v)}: no such date or time`);
  }
  let seconds = date.getTime() / 1000;
  if (m[8]) seconds -= (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60);
  if (seconds < MIN_TIMESTAMP || seconds > MAX_TIMESTAMP) return new Invalid(`timestamp ${JSON.stringify(v)} is out of range`);
  return { seconds: String(seconds), nanos: m[7] ? Number(m[7].padEnd(9, '0')) : 0 };
}

/** protoc's ToJsonName: `stat_prefix` → `statPrefix`. */
export function jsonName(protoName: string): string {
  if (!protoName.includes('_')) return protoName;
  let out = '';
  let upper = false;
  for (const c of protoName) {
    if (c === '_') upper = true;
    else if (upper) {
      out += c.toUpperCase();
      upper = false;
    } else out += c;
  }
  return out;
}
