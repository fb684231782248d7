import type protobuf from 'protobufjs';
import { describeJson } from './proto-json-scalars.js';

/**
 * google.protobuf.Struct / Value / ListValue from arbitrary JSON, in protobufjs form. The field names come from the
 * loaded Value type: protobufjs' bundled struct.proto uses camelCase (`stringValue`) even under keepCase, and
 * snake_case names would be dropped silently.
 */
export interface ValueFieldNames {
  readonly nullName: string;
  readonly numberName: string;
  readonly stringName: string;
  readonly boolName: string;
  readonly structName: string;
  readonly listName: string;
}

const namesCache = new WeakMap<protobuf.Type, ValueFieldNames>();

export function valueFieldNames(valueType: protobuf.Type): ValueFieldNames {
  let names = namesCache.get(valueType);
  if (names) return names;
  const find = (suffix: string, fallback: string): string => {
    for (const f of valueType.fieldsArray) if (f.type === suffix || f.type.endsWith(`.${suffix}`)) return f.name;
    return fallback;
  };
  names = {
    nullName: find('NullValue', 'nullValue'),
    numberName: find('double', 'numberValue'),
    stringName: find('string', 'stringValue'),
    boolName: find('bool', 'boolValue'),
    structName: find('Struct', 'structValue'),
    listName: find('ListValue', 'listValue'),
  };
  namesCache.set(valueType, names);
  return names;
}

export type ReportFn = (path: string, reason: string) => void;

/** Path of a map or Struct key: `a.key` for identifier-like keys, else `a["key.with.dots"]`. */
export function keyPath(base: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key)}]`;
}

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}

export function jsonToValue(n: ValueFieldNames, v: unknown, path: string, report: ReportFn): Record<string, unknown> {
  if (v === null) return { [n.nullName]: 0 };
  switch (typeof v) {
    case 'string':
      return { [n.stringName]: v };
    case 'number':
      return { [n.numberName]: v };
    case 'bigint':
      return { [n.numberName]: Number(v) };
    case 'boolean':
      return { [n.boolName]: v };
    case 'object':
      if (Array.isArray(v)) return { [n.listName]: jsonToList(n, v, path, report) };
      if (isJsonObject(v)) return { [n.structName]: jsonToStruct(n, v, path, report) };
      break;
    default:
      break;
  }
  report(path, `expected a JSON value, got ${describeJson(v)}`);
  return { [n.nullName]: 0 };
}

export function jsonToStruct(n: ValueFieldNames, v: Record<string, unknown>, path: string, report: ReportFn): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const k of Object.keys(v)) fields[k] = jsonToValue(n, v[k], keyPath(path, k), report);
  return { fields };
}

export function jsonToList(n: ValueFieldNames, v: readonly unknown[], path: string, report: ReportFn): Record<string, unknown> {
  const values: unknown[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) values[i] = jsonToValue(n, v[i], `${path}[${i}]`, report);
  return { values };
}
