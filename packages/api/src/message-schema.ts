import protobuf from 'protobufjs';
import { compileFieldRules, type FieldRules } from './pgv-rules.js';
import { jsonName, scalarDefault } from './proto-json-scalars.js';
import { envoyRoot } from './proto-root.js';

/**
 * Per-type facts the JSON walker needs (field lookup by proto and JSON name, oneofs, deprecation, compiled PGV rules),
 * computed once per protobufjs Type and cached.
 */
export const K_SCALAR = 0;
export const K_ENUM = 1;
export const K_MESSAGE = 2;
type Kind = typeof K_SCALAR | typeof K_ENUM | typeof K_MESSAGE;

/** Well-known types with a special JSON form. */
export type Wkt = 'duration' | 'timestamp' | 'wrapper' | 'struct' | 'value' | 'list' | 'any' | 'fieldmask';

export interface EnumInfo {
  readonly fullName: string;
  readonly byName: ReadonlyMap<string, number>;
  readonly names: readonly string[];
  readonly ids: ReadonlySet<number>;
  /** Values marked `deprecated` and `(envoy.annotations.disallowed_by_default_enum)`. */
  readonly disallowed: ReadonlySet<string>;
  readonly deprecated: ReadonlySet<string>;
  readonly defaultValue: number;
  readonly isNullValue: boolean;
}

export interface FieldInfo {
  readonly name: string;
  readonly jsonName: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyType: string | undefined;
  /** Index into `TypeInfo.oneofs`, or -1. */
  readonly oneofIndex: number;
  readonly kind: Kind;
  readonly scalar: string;
  readonly enumInfo: EnumInfo | undefined;
  readonly messageType: protobuf.Type | undefined;
  readonly wrapper: boolean;
  /** JSON null is a value (google.protobuf.Value / NullValue), not "unset". */
  readonly nullIsValue: boolean;
  readonly deprecated: boolean;
  readonly disallowed: boolean;
  readonly rules: FieldRules | undefined;
  /** Default in protobufjs form, for PGV checks of unset scalar/enum fields. */
  readonly defaultValue: unknown;
}

export interface OneofInfo {
  readonly name: string;
  readonly required: boolean;
  readonly members: readonly string[];
}

export interface TypeInfo {
  readonly type: protobuf.Type;
  readonly fullName: string;
  readonly byName: ReadonlyMap<string, FieldInfo>;
  readonly fields: readonly FieldInfo[];
  /** Fields with PGV rules, checked after the message is read. */
  readonly ruled: readonly FieldInfo[];
  readonly oneofs: readonly OneofInfo[];
  readonly hasRequiredOneof: boolean;
  readonly wkt: Wkt | undefined;
  /** For wrappers: the scalar type of `value`. */
  readonly wrapperScalar: string;
}

const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue']);

function wktOf(fullName: string): Wkt | undefined {
  if (!fullName.startsWith('google.protobuf.')) return undefined;
  const short = fullName.slice('google.protobuf.'.length);
  if (WRAPPERS.has(short)) return 'wrapper';
  switch (short) {
    case 'Duration':
      return 'duration';
    case 'Timestamp':
      return 'timestamp';
    case 'Struct':
      return 'struct';
    case 'Value':
      return 'value';
    case 'ListValue':
      return 'list';
    case 'Any':
      return 'any';
    case 'FieldMask':
      return 'fieldmask';
    default:
      return undefined;
  }
}

/** Merges protobufjs `parsedOptions` (an array of single-key objects) into one lookup. */
function mergedOptions(parsed: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(parsed)) for (const o of parsed) if (o && typeof o === 'object') Object.assign(out, o);
  return out;
}

const fullNameOf = (r: protobuf.ReflectionObject): string => (r.fullName.startsWith('.') ? r.fullName.slice(1) : r.fullName);

const enumCache = new WeakMap<protobuf.Enum, EnumInfo>();

export function enumInfo(e: protobuf.Enum): EnumInfo {
  let info = enumCache.get(e);
  if (info) return info;
  const byName = new Map(Object.entries(e.values));
  const disallowed = new Set<string>();
  const deprecated = new Set<string>();
  for (const [name, opts] of Object.entries(e.valuesOptions ?? {})) {
    if (opts['deprecated'] !== true) continue;
    if (opts['(envoy.annotations.disallowed_by_default_enum)'] === true) disallowed.add(name);
    else deprecated.add(name);
  }
  const first = e.values[Object.keys(e.values)[0] ?? ''];
  info = {
    fullName: fullNameOf(e),
    byName,
    names: [...byName.keys()],
    ids: new Set(byName.values()),
    disallowed,
    deprecated,
    defaultValue: first ?? 0,
    isNullValue: fullNameOf(e) === 'google.protobuf.NullValue',
  };
  enumCache.set(e, info);
  return info;
}

function fieldInfo(f: protobuf.Field, oneofIndex: number): FieldInfo {
  f.resolve();
  const rt = f.resolvedType;
  const kind: Kind = rt instanceof protobuf.Type ? K_MESSAGE : rt instanceof protobuf.Enum ? K_ENUM : K_SCALAR;
  const ei = rt instanceof protobuf.Enum ? enumInfo(rt) : undefined;
  const mt = rt instanceof protobuf.Type ? rt : undefined;
  const mtWkt = mt ? wktOf(fullNameOf(mt)) : undefined;
  const opts = mergedOptions(f.parsedOptions);
  const deprecated = opts['deprecated'] === true || f.options?.['deprecated'] === true;
  const map = f instanceof protobuf.MapField;
  return {
    name: f.name,
    jsonName: jsonName(f.name),
    repeated: f.repeated,
    map,
    keyType: map ? (f as protobuf.MapField).keyType : undefined,
    oneofIndex,
    kind,
    scalar: kind === K_SCALAR ? f.type : '',
    enumInfo: ei,
    messageType: mt,
    wrapper: mtWkt === 'wrapper',
    nullIsValue: mtWkt === 'value' || ei?.isNullValue === true,
    deprecated,
    disallowed: deprecated && opts['(envoy.annotations.disallowed_by_default)'] === true,
    rules: compileFieldRules(opts['(validate.rules)'], ei ? { enumIds: ei.ids } : {}),
    defaultValue: ei ? ei.defaultValue : kind === K_SCALAR ? scalarDefault(f.type) : undefined,
  };
}

const typeCache = new WeakMap<protobuf.Type, TypeInfo>();

export function typeInfo(type: protobuf.Type): TypeInfo {
  let info = typeCache.get(type);
  if (info) return info;
  const oneofs = type.oneofsArray;
  const oneofInfos: OneofInfo[] = oneofs.map((o) => ({
    name: o.name,
    required: mergedOptions(o.parsedOptions)['(validate.required)'] === true || o.options?.['(validate.required)'] === true,
    members: o.fieldsArray.map((f) => f.name),
  }));
  const fields = type.fieldsArray.map((f) => fieldInfo(f, f.partOf ? oneofs.indexOf(f.partOf) : -1));
  const byName = new Map<string, FieldInfo>();
  for (const f of fields) {
    byName.set(f.name, f);
    byName.set(f.jsonName, f);
  }
  const fullName = fullNameOf(type);
  const wkt = wktOf(fullName);
  info = {
    type,
    fullName,
    byName,
    fields,
    ruled: fields.filter((f) => f.rules !== undefined),
    oneofs: oneofInfos,
    hasRequiredOneof: oneofInfos.some((o) => o.required),
    wkt,
    wrapperScalar: wkt === 'wrapper' ? (type.fields['value']?.type ?? 'string') : '',
  };
  typeCache.set(type, info);
  return info;
}

/** Per root, so that releasing the root (releaseEnvoyRoot) frees these too. */
const byRoot = new WeakMap<protobuf.Root, Map<string, protobuf.Type | null>>();

/** Exact lookup of a message type by full name (protobufjs' own lookup also matches partial names). */
export function resolveMessageType(fullName: string): protobuf.Type | undefined {
  const name = fullName.startsWith('.') ? fullName.slice(1) : fullName;
  const root = envoyRoot();
  let byFullName = byRoot.get(root);
  if (!byFullName) {
    byFullName = new Map();
    byRoot.set(root, byFullName);
  }
  let found = byFullName.get(name);
  if (found === undefined) {
    let ns: protobuf.ReflectionObject | null = root;
    for (const part of name.split('.')) {
      ns = ns instanceof protobuf.Namespace ? ns.get(part) : null;
      if (!ns) break;
    }
    found = ns instanceof protobuf.Type ? ns : null;
    byFullName.set(name, found);
  }
  return found ?? undefined;
}
