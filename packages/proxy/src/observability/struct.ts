/**
 * `google.protobuf.Struct` / `Value` in the `__Output` shape (`{fields: {k: {kind: 'stringValue', stringValue}}}`)
 * to plain JSON. Plain objects (already JSON) pass through unchanged, so callers accept both shapes.
 */
export function structToJson(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) return {};
  if (!isStructShape(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value.fields as Record<string, unknown>)) out[k] = valueToJson(v);
  return out;
}

/** One `google.protobuf.Value` (output shape) to JSON. */
export function valueToJson(v: unknown): unknown {
  if (!isRecord(v)) return v;
  switch (v.kind) {
    case 'nullValue':
      return null;
    case 'numberValue':
      return Number(v.numberValue);
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'structValue':
      return structToJson(v.structValue);
    case 'listValue': {
      const list = isRecord(v.listValue) && Array.isArray(v.listValue.values) ? (v.listValue.values as unknown[]) : [];
      return list.map(valueToJson);
    }
    default:
      return v;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `{fields: {...}}` whose entries all look like protobuf Values. */
export function isStructShape(v: Record<string, unknown>): boolean {
  const keys = Object.keys(v);
  if (keys.length !== 1 || keys[0] !== 'fields' || !isRecord(v.fields)) return false;
  for (const f of Object.values(v.fields)) if (!isRecord(f) || typeof f.kind !== 'string') return false;
  return true;
}
