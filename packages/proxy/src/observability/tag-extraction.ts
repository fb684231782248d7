import type { StatMeta, Tag } from './stat-meta.js';

/** Envoy's well-known tag names (`source/common/config/well_known_names.h`). Prometheus prints `.` as `_`. */
export const TagName = {
  RESPONSE_CODE: 'envoy.response_code',
  RESPONSE_CODE_CLASS: 'envoy.response_code_class',
  HTTP_USER_AGENT: 'envoy.http_user_agent',
  VIRTUAL_CLUSTER: 'envoy.virtual_cluster',
  FAULT_DOWNSTREAM_CLUSTER: 'envoy.fault_downstream_cluster',
  SSL_CIPHER: 'envoy.ssl_cipher',
  SSL_CIPHER_SUITE: 'cipher_suite',
  TCP_PREFIX: 'envoy.tcp_prefix',
  UDP_PREFIX: 'envoy.udp_prefix',
  RATELIMIT_PREFIX: 'envoy.ratelimit_prefix',
  CLUSTER_NAME: 'envoy.cluster_name',
  HTTP_CONN_MANAGER_PREFIX: 'envoy.http_conn_manager_prefix',
  LISTENER_ADDRESS: 'envoy.listener_address',
  VIRTUAL_HOST: 'envoy.virtual_host',
  RDS_ROUTE_CONFIG: 'envoy.rds_route_config',
  WORKER_ID: 'envoy.worker_id',
} as const;

interface Extractor {
  readonly tag: string;
  readonly regex: RegExp;
  /** Cheap pre-check: the regex can only match names containing this substring. */
  readonly substr: string;
}

// `[:digit:]` (POSIX, valid in Envoy's std::regex) is written `\d` here. The `d` flag gives group offsets.
function ex(tag: string, source: string, substr = ''): Extractor {
  return { tag, regex: new RegExp(source, 'd'), substr };
}

/**
 * Envoy's default extractors in Envoy's order (Dynamo/Mongo/gRPC-bridge ones omitted: Weft has no such filters).
 * Group 1 is removed from the name; the value is group 2 when present, else group 1.
 */
const DEFAULT_EXTRACTORS: readonly Extractor[] = [
  ex(TagName.RESPONSE_CODE, String.raw`_rq(_(\d{3}))$`, '_rq_'),
  ex(TagName.RESPONSE_CODE_CLASS, String.raw`_rq_(\d)xx$`, '_rq_'),
  ex(TagName.HTTP_USER_AGENT, String.raw`^http(?=\.).*?\.user_agent\.((.*?)\.)\w+?$`, '.user_agent.'),
  ex(TagName.VIRTUAL_CLUSTER, String.raw`^vhost(?=\.).*?\.vcluster\.((.*?)\.)\w+?$`, '.vcluster.'),
  ex(TagName.FAULT_DOWNSTREAM_CLUSTER, String.raw`^http(?=\.).*?\.fault\.((.*?)\.)\w+?$`, '.fault.'),
  ex(TagName.SSL_CIPHER, String.raw`^listener(?=\.).*?\.ssl\.cipher(\.(.*?))$`),
  ex(TagName.SSL_CIPHER_SUITE, String.raw`^cluster(?=\.).*?\.ssl\.ciphers(\.(.*?))$`, '.ssl.ciphers.'),
  ex(TagName.TCP_PREFIX, String.raw`^tcp\.((.*?)\.)\w+?$`),
  ex(TagName.UDP_PREFIX, String.raw`^udp\.((.*?)\.)\w+?$`),
  ex(TagName.RATELIMIT_PREFIX, String.raw`^ratelimit\.((.*?)\.)\w+?$`),
  ex(TagName.CLUSTER_NAME, String.raw`^cluster\.(([^\.]+)\.).*`),
  ex(TagName.HTTP_CONN_MANAGER_PREFIX, String.raw`^listener(?=\.).*?\.http\.((.*?)\.)`, '.http.'),
  ex(TagName.HTTP_CONN_MANAGER_PREFIX, String.raw`^http\.((.*?)\.)`),
  ex(TagName.LISTENER_ADDRESS, String.raw`^listener\.(((?:[_.\d]*|[_\[\]aAbBcCdDeEfF\d]*))\.)`),
  ex(TagName.VIRTUAL_HOST, String.raw`^vhost\.((.*?)\.)`),
  ex(TagName.RDS_ROUTE_CONFIG, String.raw`^http(?=\.).*?\.rds\.((.*?)\.)\w+?$`, '.rds.'),
  ex(TagName.WORKER_ID, String.raw`^listener_manager\.((worker_\d+)\.)`, 'listener_manager.worker_'),
];

/** Prometheus-safe form of a name: anything outside `[a-zA-Z0-9_]` becomes `_`. */
export function sanitizeMetricName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

const TAG_ORDER = new Map<string, number>();
for (let i = 0; i < DEFAULT_EXTRACTORS.length; i++) {
  const key = sanitizeMetricName((DEFAULT_EXTRACTORS[i] as Extractor).tag);
  if (!TAG_ORDER.has(key)) TAG_ORDER.set(key, i);
}

/**
 * Removes a tag value that appears as whole dot-separated segments of `prefix` (its last occurrence), with one
 * adjacent dot: `('cluster.outbound|80||a.b.svc', 'outbound|80||a.b.svc')` → `cluster`. Returns undefined when the
 * value is not there, which is a programming error in the caller.
 */
export function removeTagValue(prefix: string, value: string): string | undefined {
  if (value === '') return undefined;
  let from = prefix.length;
  while (from >= 0) {
    const p = prefix.lastIndexOf(value, from);
    if (p === -1) return undefined;
    const end = p + value.length;
    const startOk = p === 0 || prefix.charCodeAt(p - 1) === 46; // '.'
    const endOk = end === prefix.length || prefix.charCodeAt(end) === 46;
    if (startOk && endOk) {
      if (p > 0) return prefix.slice(0, p - 1) + prefix.slice(end);
      return prefix.slice(end === prefix.length ? end : end + 1);
    }
    from = p - 1;
  }
  return undefined;
}

const cache = new Map<string, StatMeta>();
const CACHE_LIMIT = 50_000;

/**
 * Applies the default extractors to `name` (already stripped of explicit tags), skipping tag names already in
 * `explicit`. Cached by (name, explicit tag names): a cluster's stats share the stripped names of every cluster.
 */
export function extractTags(name: string, explicit: readonly Tag[]): StatMeta {
  let key = name;
  for (const [k] of explicit) key += `\u0000${k}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    if (explicit.length === 0) return hit;
    return { tagExtractedName: hit.tagExtractedName, tags: orderTags([...explicit, ...hit.tags]) };
  }
  const present = new Set<string>();
  for (const [k] of explicit) present.add(sanitizeMetricName(k));
  const found: Tag[] = [];
  const removed: Array<[number, number]> = [];
  for (const e of DEFAULT_EXTRACTORS) {
    const tagKey = sanitizeMetricName(e.tag);
    if (present.has(tagKey)) continue;
    if (e.substr !== '' && !name.includes(e.substr)) continue;
    const m = e.regex.exec(name);
    if (m === null || m.indices === undefined) continue;
    const outer = m.indices[1];
    const value = m[2] ?? m[1];
    if (outer === undefined || value === undefined) continue;
    present.add(tagKey);
    found.push([e.tag, value]);
    removed.push([outer[0], outer[1]]);
  }
  const extracted = removed.length === 0 ? name : removeRanges(name, removed);
  const meta: StatMeta = { tagExtractedName: extracted, tags: found };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, meta);
  if (explicit.length === 0) return { tagExtractedName: extracted, tags: orderTags(found) };
  return { tagExtractedName: extracted, tags: orderTags([...explicit, ...found]) };
}

/** Envoy prints tags in extractor order (response code first, then cluster name, …); other tags keep their order. */
export function orderTags(tags: readonly Tag[]): Tag[] {
  const indexed = tags.map((t, i) => ({ t, i, o: TAG_ORDER.get(sanitizeMetricName(t[0])) ?? 1000 + i }));
  indexed.sort((a, b) => a.o - b.o || a.i - b.i);
  return indexed.map((x) => x.t);
}

function removeRanges(name: string, ranges: Array<[number, number]>): string {
  ranges.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  for (const [s, e] of ranges) {
    if (s > pos) out += name.slice(pos, s);
    if (e > pos) pos = e;
  }
  return out + name.slice(pos);
}
