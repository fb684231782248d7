import { ConfigError, joinPath, TYPE_URL_PREFIX } from '@weft/api/lite';

interface TypedFilter {
  readonly name: string;
  readonly typed_config?: unknown;
}

/** Extracts the message type name and fields of a filter's decoded `typed_config` Any. */
export function typedConfigOf(filter: TypedFilter, path: string): { typeName: string; value: Record<string, unknown> } {
  const tc = filter.typed_config;
  if (!tc || typeof tc !== 'object') throw new ConfigError(joinPath(path, 'typed_config'), `filter '${filter.name}' needs a typed_config`);
  const record = tc as Record<string, unknown>;
  const url = record['@type'];
  if (typeof url !== 'string') throw new ConfigError(joinPath(path, 'typed_config'), 'typed_config could not be decoded (unknown type)');
  const typeName = url.startsWith(TYPE_URL_PREFIX) ? url.slice(TYPE_URL_PREFIX.length) : url.slice(url.lastIndexOf('/') + 1);
  return { typeName, value: record };
}
