import { readFileSync } from 'node:fs';
import { AggregateConfigError, ConfigError, joinPath, messageFromJson } from '@weft/api';
import { parse } from 'yaml';
import { resourceFromMessage, resourceNameOf, type XdsResource } from '../xds/resource.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, messageTypeName, ROUTE_TYPE, type TypeUrl } from '../xds/type-urls.js';

/** Top-level keys of a snapshot file and the resource type each lists. */
const SECTIONS: Readonly<Record<string, TypeUrl>> = {
  listeners: LISTENER_TYPE,
  routes: ROUTE_TYPE,
  clusters: CLUSTER_TYPE,
  endpoints: ENDPOINT_TYPE,
};

/**
 * Reads a static snapshot: `listeners`, `routes` (RouteConfiguration), `clusters` and `endpoints`
 * (ClusterLoadAssignment) lists of Envoy v3 messages in proto3 JSON (YAML or JSON). Every message goes through the
 * strict reader of @weft/api; all problems are reported together with their field paths.
 */
export function parseSnapshotText(text: string, fileName: string): XdsResource[] {
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.2', schema: 'core', uniqueKeys: true, strict: true, maxAliasCount: 100 });
  } catch (e) {
    throw new AggregateConfigError([new ConfigError('', `invalid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`)], { fileName });
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new AggregateConfigError([new ConfigError('', `expected an object with ${Object.keys(SECTIONS).join(', ')}`)], { fileName });
  }
  const errors: ConfigError[] = [];
  const out: XdsResource[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const typeUrl = SECTIONS[key];
    if (!typeUrl) {
      errors.push(new ConfigError(key, `unknown section; expected one of ${Object.keys(SECTIONS).join(', ')}`));
      continue;
    }
    if (value === null) continue;
    if (!Array.isArray(value)) {
      errors.push(new ConfigError(key, 'expected a list'));
      continue;
    }
    const seen = new Set<string>();
    value.forEach((item: unknown, i: number) => {
      const path = joinPath(key, i);
      try {
        const message = messageFromJson<object>(messageTypeName(typeUrl), item, path);
        const name = resourceNameOf(typeUrl, message);
        if (seen.has(name)) throw new ConfigError(path, `duplicate resource name '${name}'`);
        seen.add(name);
        out.push(resourceFromMessage(typeUrl, message));
      } catch (e) {
        if (e instanceof AggregateConfigError) errors.push(...e.errors);
        else if (e instanceof ConfigError) errors.push(e);
        else errors.push(new ConfigError(path, e instanceof Error ? e.message : String(e)));
      }
    });
  }
  if (errors.length > 0) throw new AggregateConfigError(errors, { fileName });
  return out;
}

export function loadSnapshotFile(fileName: string): XdsResource[] {
  let text: string;
  try {
    text = readFileSync(fileName, 'utf8');
  } catch (e) {
    throw new AggregateConfigError([new ConfigError('', `cannot read the snapshot file: ${e instanceof Error ? e.message : String(e)}`)], { fileName });
  }
  return parseSnapshotText(text, fileName);
}
