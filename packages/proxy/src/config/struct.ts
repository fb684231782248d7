import type { Struct__Output } from '@weft/api/envoy/google/protobuf/Struct.js';
import type { Value__Output } from '@weft/api/envoy/google/protobuf/Value.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** google.protobuf.Struct (decoded form) → plain JSON. */
export function structToJson(struct: Struct__Output | null | undefined): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  if (!struct) return out;
  for (const [k, v] of Object.entries(struct.fields)) out[k] = valueToJson(v);
  return out;
}

export function valueToJson(v: Value__Output): JsonValue {
  switch (v.kind) {
    case 'numberValue':
      return Number(v.numberValue);
    case 'stringValue':
      return v.stringValue ?? '';
    case 'boolValue':
      return v.boolValue ?? false;
    case 'structValue':
      return structToJson(v.structValue);
    case 'listValue':
      return (v.listValue?.values ?? []).map(valueToJson);
    default:
      return null;
  }
}
