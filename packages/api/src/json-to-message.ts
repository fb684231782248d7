import { AggregateConfigError } from './aggregate-config-error.js';
import { ConfigError, joinPath } from './errors.js';
import { isJsonObject, jsonToList, jsonToStruct, jsonToValue, keyPath, valueFieldNames } from './json-struct.js';
import { normalizeMessage } from './message.js';
import { K_MESSAGE, K_SCALAR, resolveMessageType, typeInfo, type FieldInfo, type TypeInfo } from './message-schema.js';
import { uniqueKey, type Report } from './pgv-rules.js';
import { checkDurationObject, describeJson, INT_RANGES, Invalid, parseDuration, parseInteger, parseScalar, parseTimestamp, type SecondsNanos } from './proto-json-scalars.js';
import { TYPE_URL_PREFIX } from './proto-root.js';

export interface MessageFromJsonOptions {
  /** Called for each deprecated field or enum value that is used (Envoy logs a warning for these). */
  readonly onWarning?: (path: string, message: string) => void;
}

type Plain = Record<string, unknown>;

/** Marks a value that could not be read (its error is already recorded). */
const FAIL: unique symbol = Symbol('fail');
type Out = unknown;

const EMPTY_BYTES = new Uint8Array(0);
const TYPED_STRUCTS = new Set(['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']);

/**
 * Reads a value written in the proto3 JSON mapping (as Envoy accepts it in static config) into a message of
 * `typeName`, strictly: unknown fields, wrong types, two oneof members, unknown enum names or Any types, and
 * protoc-gen-validate violations are errors with the field path. All errors are collected and thrown together as
 * an `AggregateConfigError`. The result has the `__Output` shape (the same as xDS-decoded messages).
 */
export function messageFromJson<T>(typeName: string, value: unknown, path = '', options: MessageFromJsonOptions = {}): T {
  const type = resolveMessageType(typeName);
  if (!type) throw new ConfigError(path, `unknown message type '${typeName}'`);
  const reader = new JsonMessageReader(options.onWarning);
  const plain = reader.message(typeInfo(type), value, path);
  if (reader.errors.length > 0 || plain === FAIL) throw new AggregateConfigError(reader.errors);
  return normalizeMessage<T>(typeInfo(type).fullName, plain as object);
}

class JsonMessageReader {
  readonly errors: ConfigError[] = [];
  readonly report: Report;

  constructor(private readonly warn: ((path: string, message: string) => void) | undefined) {
    this.report = (path, reason) => {
      this.errors.push(new ConfigError(path, reason));
    };
  }

  private fail(path: string, reason: string): typeof FAIL {
    this.errors.push(new ConfigError(path, reason));
    return FAIL;
  }

  /** A message value, including well-known types with special JSON forms. */
  message(info: TypeInfo, v: unknown, path: string): Out {
    switch (info.wkt) {
      case 'duration':
        return typeof v === 'string' ? this.scalarResult(parseDuration(v), path) : this.secondsNanos(info, v, path, true);
      case 'timestamp':
        return typeof v === 'string' ? this.scalarResult(parseTimestamp(v), path) : this.secondsNanos(info, v, path, false);
      case 'wrapper': {
        const r = this.scalarResult(parseScalar(info.wrapperScalar, v), path);
        return r === FAIL ? FAIL : { value: r };
      }
      case 'struct':
        if (!isJsonObject(v)) return this.fail(path, `expected an object (google.protobuf.Struct), got ${describeJson(v)}`);
        return jsonToStruct(this.valueNames(info), v, path, this.report);
      case 'value':
        return jsonToValue(this.valueNames(info), v, path, this.report);
      case 'list':
        if (!Array.isArray(v)) return this.fail(path, `expected an array (google.protobuf.ListValue), got ${describeJson(v)}`);
        return jsonToList(this.valueNames(info), v, path, this.report);
      case 'any':
        return this.any(v, path);
      case 'fieldmask':
        if (typeof v !== 'string') return this.fail(path, `expected a field mask string, got ${describeJson(v)}`);
        return { paths: v === '' ? [] : v.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
      default:
        if (!isJsonObject(v)) return this.fail(path, `expected an object (${info.fullName}), got ${describeJson(v)}`);
        return this.fields(info, v, path, undefined);
    }
  }

  private valueNames(info: TypeInfo): ReturnType<typeof valueFieldNames> {
    const valueType = info.wkt === 'value' ? info.type : resolveMessageType('google.protobuf.Value');
    return valueFieldNames(valueType ?? info.type);
  }

  private scalarResult(r: unknown, path: string): Out {
    return r instanceof Invalid ? this.fail(path, r.reason) : r;
  }

  /** Duration/Timestamp in object form `{seconds, nanos}` (accepted for robustness; JSON uses strings). */
  private secondsNanos(info: TypeInfo, v: unknown, path: string, isDuration: boolean): Out {
    if (!isJsonObject(v)) {
      const want = isDuration ? 'a duration string such as "1.5s"' : 'an RFC 3339 timestamp string';
      return this.fail(path, `expected ${want}, got ${describeJson(v)}`);
    }
    const before = this.errors.length;
    const plain = this.fields(info, v, path, undefined);
    if (this.errors.length > before) return plain;
    const sn: SecondsNanos = { seconds: String(plain['seconds'] ?? '0'), nanos: Number(plain['nanos'] ?? 0) };
    const bad = isDuration ? checkDurationObject(sn) : sn.nanos < 0 ? new Invalid('timestamp nanos must not be negative') : undefined;
    return bad ? this.fail(path, bad.reason) : sn;
  }

  /** google.protobuf.Any: `{"@type": "type.googleapis.com/<full name>", ...fields}`, encoded to `{type_url, value}`. */
  private any(v: unknown, path: string): Out {
    if (!isJsonObject(v)) return this.fail(path, `expected an object with "@type" (google.protobuf.Any), got ${describeJson(v)}`);
    const typePath = joinPath(path, '@type');
    const url = v['@type'];
    if (url === undefined) {
      if (Object.keys(v).length === 0) return {};
      return this.fail(typePath, 'missing @type: an Any needs "@type": "type.googleapis.com/<message name>"');
    }
    if (typeof url !== 'string') return this.fail(typePath, `expected a type URL string, got ${describeJson(url)}`);
    let name = url.slice(url.lastIndexOf('/') + 1);
    if (name.startsWith('.')) name = name.slice(1);
    if (TYPED_STRUCTS.has(name)) {
      return this.fail(typePath, `${name} is not supported: use the extension's own config message as "@type"`);
    }
    const type = name ? resolveMessageType(name) : undefined;
    if (!type) return this.fail(typePath, `unknown type '${name || url}': not a message type Weft knows`);
    const info = typeInfo(type);
    const before = this.errors.length;
    let plain: Out;
    if (info.wkt) {
      // Well-known types with a special JSON form nest it under "value".
      for (const k of Object.keys(v)) if (k !== '@type' && k !== 'value') this.report(joinPath(path, k), `unknown field '${k}'`);
      plain = v['value'] === undefined || v['value'] === null ? {} : this.message(info, v['value'], joinPath(path, 'value'));
    } else {
      plain = this.fields(info, v, path, '@type');
    }
    const typeUrl = url.includes('/') ? url : TYPE_URL_PREFIX + name;
    if (plain === FAIL || this.errors.length > before) return { type_url: typeUrl, value: EMPTY_BYTES };
    try {
      return { type_url: typeUrl, value: type.encode(type.fromObject(plain as Plain)).finish() };
    } catch (e) {
      return this.fail(path, `cannot encode ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The fields of a JSON object; `skipKey` is `@type` inside an Any. Checks oneofs and PGV rules afterwards. */
  private fields(info: TypeInfo, json: Record<string, unknown>, path: string, skipKey: string | undefined): Plain {
    const out: Plain = {};
    let oneofSet: (FieldInfo | undefined)[] | undefined;
    let keys: Map<FieldInfo, string> | undefined; // the key used, when it is the JSON name
    let failed: Set<FieldInfo> | undefined;
    for (const key of Object.keys(json)) {
      if (key === skipKey) continue;
      const f = info.byName.get(key);
      const p = joinPath(path, key);
      if (!f) {
        this.report(p, unknownFieldReason(info, key));
        continue;
      }
      if (key !== f.name) {
        if (Object.prototype.hasOwnProperty.call(json, f.name)) {
          this.report(p, `field '${f.name}' is set twice (as '${f.name}' and '${key}')`);
          continue;
        }
        (keys ??= new Map()).set(f, key);
      }
      const v = json[key];
      if (v === null && !f.nullIsValue) continue; // null means default
      if (f.oneofIndex >= 0) {
        oneofSet ??= new Array<FieldInfo | undefined>(info.oneofs.length);
        const prev = oneofSet[f.oneofIndex];
        if (prev) {
          const oneof = info.oneofs[f.oneofIndex]?.name ?? '';
          this.report(p, `only one of '${keys?.get(prev) ?? prev.name}' and '${key}' may be set (oneof '${oneof}')`);
          continue;
        }
        oneofSet[f.oneofIndex] = f;
      }
      if (f.disallowed) {
        this.report(p, `field '${key}' is deprecated and disallowed by default (envoy.annotations.disallowed_by_default)`);
        (failed ??= new Set()).add(f);
        continue;
      }
      if (f.deprecated) this.warn?.(p, `field '${key}' is deprecated`);
      const r = this.field(f, v, p);
      if (r === FAIL) (failed ??= new Set()).add(f);
      else out[f.name] = r;
    }
    if (info.hasRequiredOneof) {
      for (let i = 0; i < info.oneofs.length; i++) {
        const o = info.oneofs[i];
        if (o?.required && !oneofSet?.[i]) {
          this.report(joinPath(path, o.name), `one of ${o.members.map((m) => `'${m}'`).join(', ')} is required [oneof required]`);
        }
      }
    }
    for (const f of info.ruled) {
      if (failed?.has(f)) continue;
      if (f.oneofIndex >= 0 && oneofSet?.[f.oneofIndex] !== f) continue; // PGV checks only the member that is set
      this.checkRules(f, out[f.name], joinPath(path, keys?.get(f) ?? f.name));
    }
    return out;
  }

  private field(f: FieldInfo, v: unknown, p: string): Out {
    if (f.map) {
      if (!isJsonObject(v)) return this.fail(p, `expected an object (map<${f.keyType ?? 'string'}, …>), got ${describeJson(v)}`);
      const out: Plain = {};
      for (const k of Object.keys(v)) {
        const kp = keyPath(p, k);
        const bad = mapKeyError(f.keyType ?? 'string', k);
        if (bad) {
          this.report(kp, bad);
          continue;
        }
        const ev = v[k];
        if (ev === null && !f.nullIsValue) {
          this.report(kp, 'a map value must not be null');
          continue;
        }
        const r = this.single(f, ev, kp);
        if (r !== FAIL) out[k] = r;
      }
      return out;
    }
    if (f.repeated) {
      if (!Array.isArray(v)) return this.fail(p, `expected an array, got ${describeJson(v)}`);
      const out: unknown[] = [];
      for (let i = 0; i < v.length; i++) {
        const ip = `${p}[${i}]`;
        const ev: unknown = v[i];
        if (ev === null && !f.nullIsValue) {
          this.report(ip, 'a repeated element must not be null');
          continue;
        }
        const r = this.single(f, ev, ip);
        if (r !== FAIL) out.push(r);
      }
      return out;
    }
    return this.single(f, v, p);
  }

  private single(f: FieldInfo, v: unknown, p: string): Out {
    if (f.kind === K_SCALAR) return this.scalarResult(parseScalar(f.scalar, v), p);
    if (f.kind === K_MESSAGE && f.messageType) return this.message(typeInfo(f.messageType), v, p);
    return this.enumValue(f, v, p);
  }

  private enumValue(f: FieldInfo, v: unknown, p: string): Out {
    const e = f.enumInfo;
    if (!e) return this.fail(p, 'unresolved enum type');
    if (v === null && e.isNullValue) return 0;
    if (typeof v === 'string') {
      const n = e.byName.get(v);
      if (n === undefined) {
        const names = e.names.length > 20 ? `${e.names.slice(0, 20).join(', ')}, …` : e.names.join(', ');
        return this.fail(p, `unknown value "${v}" for enum ${e.fullName}; expected one of ${names}`);
      }
      if (e.disallowed.has(v)) return this.fail(p, `enum value ${v} is deprecated and disallowed by default`);
      if (e.deprecated.has(v)) this.warn?.(p, `enum value ${v} is deprecated`);
      return n;
    }
    if (typeof v === 'number' || typeof v === 'bigint') return this.scalarResult(parseInteger(v, INT32_RANGE), p);
    return this.fail(p, `expected an enum name (${e.fullName}), got ${describeJson(v)}`);
  }

  private checkRules(f: FieldInfo, v: unknown, p: string): void {
    const r = f.rules;
    if (!r) return;
    const report = this.report;
    if (f.map) {
      const m = r.map;
      const obj = (v ?? {}) as Plain;
      const keys = Object.keys(obj);
      if (!m || (m.ignoreEmpty && keys.length === 0)) return;
      if (m.minPairs !== undefined && keys.length < m.minPairs) report(p, `value must contain at least ${m.minPairs} pair(s) [map.min_pairs]`);
      if (m.maxPairs !== undefined && keys.length > m.maxPairs) report(p, `value must contain at most ${m.maxPairs} pair(s) [map.max_pairs]`);
      for (const k of keys) {
        const kp = keyPath(p, k);
        m.keys?.(k, kp, report);
        m.values?.(f.wrapper ? (obj[k] as Plain)['value'] : obj[k], kp, report);
      }
      return;
    }
    if (f.repeated) {
      const rr = r.repeated;
      const arr = (v ?? []) as unknown[];
      if (!rr || (rr.ignoreEmpty && arr.length === 0)) return;
      if (rr.minItems !== undefined && arr.length < rr.minItems) report(p, `value must contain at least ${rr.minItems} item(s) [repeated.min_items]`);
      if (rr.maxItems !== undefined && arr.length > rr.maxItems) report(p, `value must contain at most ${rr.maxItems} item(s) [repeated.max_items]`);
      if (rr.unique) {
        const seen = new Set<unknown>();
        for (let i = 0; i < arr.length; i++) {
          const k = uniqueKey(arr[i]);
          if (seen.has(k)) report(`${p}[${i}]`, 'repeated value must contain unique items [repeated.unique]');
          seen.add(k);
        }
      }
      if (rr.items) for (let i = 0; i < arr.length; i++) rr.items(f.wrapper ? (arr[i] as Plain)['value'] : arr[i], `${p}[${i}]`, report);
      return;
    }
    if (f.kind === K_MESSAGE) {
      if (v === undefined) {
        if (r.required) report(p, `value is required [${r.required}]`);
        return;
      }
      r.single?.(f.wrapper ? (v as Plain)['value'] : v, p, report);
      return;
    }
    r.single?.(v === undefined ? f.defaultValue : v, p, report);
  }
}

const INT32_RANGE = INT_RANGES.get('int32') ?? { min: -(2n ** 31n), max: 2n ** 31n - 1n, wide: false, label: 'int32' };

function mapKeyError(keyType: string, k: string): string | undefined {
  if (keyType === 'string') return undefined;
  if (keyType === 'bool') return k === 'true' || k === 'false' ? undefined : `map key must be "true" or "false", got ${JSON.stringify(k)}`;
  const range = INT_RANGES.get(keyType);
  if (!range) return undefined;
  const r = /^-?\d+$/.test(k) ? parseInteger(k, range) : new Invalid(`map key must be an integer (${keyType}), got ${JSON.stringify(k)}`);
  return r instanceof Invalid ? r.reason : undefined;
}

function unknownFieldReason(info: TypeInfo, key: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of info.fields) {
    const d = editDistance(key, f.name, bestDistance);
    if (d < bestDistance) {
      best = f.name;
      bestDistance = d;
    }
  }
  return `unknown field '${key}' in ${info.fullName}${best ? ` (did you mean '${best}'?)` : ''}`;
}

/** Levenshtein distance, giving up (returning `limit`) once it is reached. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const val = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(val);
      if (val < rowMin) rowMin = val;
    }
    if (rowMin >= limit) return limit;
    prev = cur;
  }
  return Math.min(prev[b.length] ?? limit, limit);
}

