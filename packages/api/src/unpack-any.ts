import { ConfigError, joinPath } from './errors.js';

/**
 * Checks that a decoded Any (`{'@type': url, ...fields}`, as produced by xDS decoding or `messageFromJson`) holds
 * one of `expectedTypeNames` (full names such as `envoy.extensions.filters.http.router.v3.Router`) and returns its
 * fields, already in `__Output` shape. The type is matched on the last `/`-segment of the URL, as Envoy does.
 * Throws a ConfigError naming `path` (unset) or `path.@type` (unexpected or undecodable type).
 */
export function unpackAny<T>(any: unknown, expectedTypeNames: readonly string[], path: string): { typeName: string; value: T } {
  if (any === null || any === undefined) throw new ConfigError(path, 'is required (a typed config with "@type")');
  if (typeof any !== 'object' || Array.isArray(any)) throw new ConfigError(path, 'expected a typed config object');
  const typePath = joinPath(path, '@type');
  const record = any as Record<string, unknown>;
  const url = record['@type'];
  const expected = expectedTypeNames.map((n) => (n.startsWith('.') ? n.slice(1) : n));
  const wanted = expected.length === 1 ? `'${expected[0]}'` : `one of ${expected.map((n) => `'${n}'`).join(', ')}`;
  if (typeof url !== 'string') {
    const raw = record['type_url'];
    const what = typeof raw === 'string' && raw ? `unsupported type '${raw}' (not known to Weft)` : 'missing @type';
    throw new ConfigError(typePath, `${what}; expected ${wanted}`);
  }
  const typeName = url.slice(url.lastIndexOf('/') + 1);
  if (!expected.includes(typeName)) throw new ConfigError(typePath, `unexpected type '${typeName}'; expected ${wanted}`);
  const value: Record<string, unknown> = {};
  for (const k of Object.keys(record)) if (k !== '@type') value[k] = record[k];
  return { typeName, value: value as T };
}
