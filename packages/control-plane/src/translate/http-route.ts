import type { VirtualServiceSpec } from '../sources/istio-resource.js';
import { toEnvoyDuration } from '../sources/duration.js';
import { labelsMatch, resolveGatewayName, resolveHost } from '../model/mesh-model.js';
import { ANY, fractionalPercent, outboundClusterName } from './names.js';
import { GRPC_STATUS_NAMES } from '../sources/spec-common.js';

type Json = Record<string, unknown>;
export type HttpRoute = NonNullable<VirtualServiceSpec['http']>[number];
type HttpMatch = NonNullable<HttpRoute['match']>[number];
type StringMatch = NonNullable<HttpMatch['uri']>;
type Destination = NonNullable<HttpRoute['route']>[number]['destination'];
type HeaderOps = NonNullable<NonNullable<HttpRoute['headers']>['request']>;

export interface RouteContext {
  /** Namespace of the VirtualService (short host names resolve in it). */
  readonly namespace: string;
  /** The listener port the route table serves. */
  readonly port: number;
  readonly proxyLabels: Readonly<Record<string, string>>;
  readonly proxyNamespace: string;
  /** The service port to use when a destination names none: its only port, else the listener port. */
  readonly defaultPort: (host: string) => number;
  /** The gateways the routes are for: `mesh` for sidecars, `ns/name` for a gateway's server. */
  readonly gateways: ReadonlySet<string>;
  /** Route hash policy when the destination's DestinationRule asks for consistent hashing. */
  readonly hashPolicy: (host: string, subset: string, port: number) => Json[] | undefined;
}

function stringMatcher(m: StringMatch, ignoreCase = false): Json {
  const out: Json = m.exact !== undefined ? { exact: m.exact } : m.prefix !== undefined ? { prefix: m.prefix } : { safe_regex: { regex: m.regex ?? '' } };
  if (ignoreCase && m.regex === undefined) out.ignore_case = true;
  return out;
}

function headerMatcher(name: string, m: StringMatch, invert: boolean): Json {
  // Istio: an empty exact match on a header means "present".
  if (m.exact === '' || (m.prefix === '' && m.exact === undefined)) return { name, present_match: true, ...(invert ? { invert_match: true } : {}) };
  return { name, string_match: stringMatcher(m), ...(invert ? { invert_match: true } : {}) };
}

function routeMatch(m: HttpMatch | undefined): Json {
  const out: Json = {};
  const uri = m?.uri;
  if (!uri) out.prefix = '/';
  else if (uri.exact !== undefined) out.path = uri.exact;
  else if (uri.prefix !== undefined) out.prefix = uri.prefix;
  else out.safe_regex = { regex: uri.regex ?? '' };
  if (m?.ignoreUriCase) out.case_sensitive = false;
  const headers: Json[] = [];
  for (const [name, sm] of Object.entries(m?.headers ?? {})) headers.push(headerMatcher(name.toLowerCase(), sm, false));
  for (const [name, sm] of Object.entries(m?.withoutHeaders ?? {})) headers.push(headerMatcher(name.toLowerCase(), sm, true));
  if (m?.scheme) headers.push(headerMatcher(':scheme', m.scheme, false));
  if (m?.method) headers.push(headerMatcher(':method', m.method, false));
  if (m?.authority) headers.push(headerMatcher(':authority', m.authority, false));
  if (headers.length > 0) out.headers = headers;
  const query = Object.entries(m?.queryParams ?? {}).map(([name, sm]) => (sm.exact === '' ? { name, present_match: true } : { name, string_match: stringMatcher(sm) }));
  if (query.length > 0) out.query_parameters = query;
  return out;
}

function headerValues(ops: HeaderOps | undefined): { add: Json[]; remove: string[] } {
  const add: Json[] = [];
  for (const [key, value] of Object.entries(ops?.set ?? {})) add.push({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  for (const [key, value] of Object.entries(ops?.add ?? {})) add.push({ header: { key, value }, append_action: 'APPEND_IF_EXISTS_OR_ADD' });
  return { add, remove: [...(ops?.remove ?? [])] };
}

/** Adds header operations to a route or weighted cluster (appending to what is already there). */
function applyHeaders(target: Json, h: HttpRoute['headers']): void {
  const req = headerValues(h?.request);
  const resp = headerValues(h?.response);
  const put = (field: string, list: unknown[]): void => {
    if (list.length) target[field] = [...((target[field] as unknown[] | undefined) ?? []), ...list];
  };
  put('request_headers_to_add', req.add);
  put('request_headers_to_remove', req.remove);
  put('response_headers_to_add', resp.add);
  put('response_headers_to_remove', resp.remove);
}

/** Istio's default retry policy (when a route sets no `retries`). */
function defaultRetry(): Json {
  return {
  retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
  num_retries: 2,
  retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': ANY('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate') } }],
  host_selection_retry_max_attempts: '5',
  retriable_status_codes: [503],
  };
}
const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

function retryPolicy(r: HttpRoute['retries']): Json | undefined {
  if (!r) return defaultRetry();
  if (!r.attempts) return undefined;
  const policies = (r.retryOn ?? DEFAULT_RETRY_ON).split(',').filter((p) => p !== '');
  const codes = policies.filter((p) => /^\d+$/.test(p)).map(Number);
  const named = policies.filter((p) => !/^\d+$/.test(p));
  if (codes.length > 0 && !named.includes('retriable-status-codes')) named.push('retriable-status-codes');
  const out: Json = { ...defaultRetry(), retry_on: named.join(','), num_retries: r.attempts };
  out.retriable_status_codes = codes.length > 0 ? codes : r.retryOn === undefined ? [503] : [];
  if ((out.retriable_status_codes as number[]).length === 0) delete out.retriable_status_codes;
  if (r.perTryTimeout) out.per_try_timeout = toEnvoyDuration(r.perTryTimeout);
  // Like Istio: from the second retry on, skip the priorities (localities) already tried.
  if (r.retryRemoteLocalities) {
    out.retry_priority = {
      name: 'envoy.retry_priorities.previous_priorities',
      typed_config: { '@type': ANY('envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig'), update_frequency: 2 },
    };
  }
  const backoff = (r as { backoff?: string }).backoff;
  if (backoff) out.retry_back_off = { base_interval: toEnvoyDuration(backoff) };
  return out;
}

export function faultConfig(f: NonNullable<HttpRoute['fault']>): Json {
  const out: Json = { '@type': ANY('envoy.extensions.filters.http.fault.v3.HTTPFault') };
  if (f.delay) {
    const pct = f.delay.percentage?.value ?? f.delay.percent ?? 100;
    out.delay = { fixed_delay: toEnvoyDuration(f.delay.fixedDelay ?? '0s'), percentage: fractionalPercent(pct) };
  }
  if (f.abort) {
    const pct = fractionalPercent(f.abort.percentage?.value ?? 100);
    out.abort = f.abort.grpcStatus !== undefined ? { grpc_status: GRPC_STATUS_NAMES.indexOf(f.abort.grpcStatus), percentage: pct } : { http_status: f.abort.httpStatus, percentage: pct };
  }
  return out;
}

function corsConfig(c: NonNullable<HttpRoute['corsPolicy']>): Json {
  const out: Json = { '@type': ANY('envoy.extensions.filters.http.cors.v3.CorsPolicy') };
  const origins = [...(c.allowOrigins ?? []).map((o) => stringMatcher(o)), ...(c.allowOrigin ?? []).map((o) => (o === '*' ? { prefix: '' } : { exact: o }))];
  if (origins.length) out.allow_origin_string_match = origins;
  if (c.allowMethods?.length) out.allow_methods = c.allowMethods.join(',');
  if (c.allowHeaders?.length) out.allow_headers = c.allowHeaders.join(',');
  if (c.exposeHeaders?.length) out.expose_headers = c.exposeHeaders.join(',');
  if (c.maxAge) out.max_age = String(Math.floor(Number(toEnvoyDuration(c.maxAge).slice(0, -1))));
  if (c.allowCredentials !== undefined) out.allow_credentials = c.allowCredentials;
  return out;
}

const REDIRECT_CODES: Record<number, string> = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

function redirectAction(r: NonNullable<HttpRoute['redirect']>): Json {
  const out: Json = {};
  if (r.uri !== undefined) out.path_redirect = r.uri;
  if (r.authority !== undefined) out.host_redirect = r.authority;
  if (r.port !== undefined) out.port_redirect = r.port;
  if (r.scheme !== undefined) out.scheme_redirect = r.scheme;
  out.response_code = REDIRECT_CODES[r.redirectCode ?? 301] ?? 'MOVED_PERMANENTLY';
  return out;
}

function directResponseAction(d: NonNullable<HttpRoute['directResponse']>): Json {
  const out: Json = { status: d.status };
  if (d.body?.string !== undefined) out.body = { inline_string: d.body.string };
  else if (d.body?.bytes !== undefined) out.body = { inline_bytes: d.body.bytes };
  return out;
}

export class HttpRouteTranslator {
  constructor(private readonly ctx: RouteContext) {}

  private cluster(d: Destination): { name: string; host: string; subset: string; port: number } {
    const host = resolveHost(d?.host ?? '', this.ctx.namespace);
    const port = d?.port?.number ?? this.ctx.defaultPort(host);
    const subset = d?.subset ?? '';
    return { name: outboundClusterName(port, subset, host), host, subset, port };
  }

  /** Envoy routes for one VirtualService http route: one per match that applies to this proxy and port. */
  routes(r: HttpRoute, index: number): Json[] {
    const matches = r.match?.length ? r.match : [undefined];
    const out: Json[] = [];
    for (const m of matches) {
      if (m?.port !== undefined && m.port !== this.ctx.port) continue;
      if (m?.sourceLabels && !labelsMatch(m.sourceLabels, this.ctx.proxyLabels)) continue;
      if (m?.gateways?.length && !m.gateways.some((g) => this.ctx.gateways.has(resolveGatewayName(g, this.ctx.namespace)))) continue;
      if (m?.sourceNamespace !== undefined && m.sourceNamespace !== this.ctx.proxyNamespace) continue;
      out.push(this.route(r, m, index));
    }
    return out;
  }

  private route(r: HttpRoute, m: HttpMatch | undefined, index: number): Json {
    const route: Json = { name: m?.name ? `${r.name ?? ''}.${m.name}` : (r.name ?? `route-${index}`), match: routeMatch(m) };
    if (r.redirect) {
      route.redirect = redirectAction(r.redirect);
    } else if (r.directResponse) {
      route.direct_response = directResponseAction(r.directResponse);
    } else {
      route.route = this.routeAction(r);
    }
    const perFilter: Json = {};
    if (r.fault) perFilter['envoy.filters.http.fault'] = faultConfig(r.fault);
    if (r.corsPolicy) perFilter['envoy.filters.http.cors'] = corsConfig(r.corsPolicy);
    if (Object.keys(perFilter).length > 0) route.typed_per_filter_config = perFilter;
    applyHeaders(route, r.headers);
    // A single destination's headers apply to the whole route (Istio merges them with the route's).
    const only = r.route?.length === 1 ? r.route[0] : undefined;
    if (only?.headers) applyHeaders(route, only.headers);
    return route;
  }

  private routeAction(r: HttpRoute): Json {
    const action: Json = {};
    const dests = r.route ?? [];
    if (dests.length === 1 && dests[0]) {
      const c = this.cluster(dests[0].destination);
      action.cluster = c.name;
      const hash = this.ctx.hashPolicy(c.host, c.subset, c.port);
      if (hash) action.hash_policy = hash;
    } else {
      action.weighted_clusters = {
        clusters: dests.filter((d) => (d.weight ?? 0) > 0).map((d) => {
          const w: Json = { name: this.cluster(d.destination).name, weight: d.weight };
          applyHeaders(w, d.headers);
          return w;
        }),
      };
    }
    action.timeout = r.timeout ? toEnvoyDuration(r.timeout) : '0s';
    const retry = retryPolicy(r.retries);
    if (retry) action.retry_policy = retry;
    if (r.rewrite?.uri !== undefined) action.prefix_rewrite = r.rewrite.uri;
    // uriRegexRewrite (Istio 1.19+) is newer than the package's 1.18 types; the strict pass checks it.
    const regex = (r.rewrite as { uriRegexRewrite?: { match: string; rewrite: string } } | undefined)?.uriRegexRewrite;
    if (regex) action.regex_rewrite = { pattern: { regex: regex.match }, substitution: regex.rewrite };
    if (r.rewrite?.authority !== undefined) action.host_rewrite_literal = r.rewrite.authority;
    if (r.mirror) {
      const pct = r.mirrorPercentage?.value ?? r.mirrorPercent ?? 100;
      action.request_mirror_policies = [{ cluster: this.cluster(r.mirror).name, runtime_fraction: { default_value: fractionalPercent(pct) } }];
    }
    return action;
  }
}

/** The default route when no VirtualService applies: all traffic to the service's cluster. */
export function defaultRoute(cluster: string): Json {
  return { name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s', retry_policy: defaultRetry() } };
}
