import type { HeaderMap } from '../interfaces/header-map.js';
import type { HttpRequest } from '../interfaces/http-filter.js';
import { ipBytes } from '../network/cidr.js';
import type { HcmConfig } from './hcm-config.js';
import { newRequestId } from './request-id.js';
import type { TlsConnectionInfo } from '../interfaces/transport-socket.js';
import { mutateXfcc } from './xfcc.js';

/** Envoy-internal headers an external (untrusted) client may not set; removed at the edge. */
const INTERNAL_ONLY_HEADERS = [
  'x-envoy-decorator-operation',
  'x-envoy-downstream-service-cluster',
  'x-envoy-downstream-service-node',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-external-address',
  'x-envoy-force-trace',
  'x-envoy-internal',
  'x-envoy-ip-tags',
  'x-envoy-retriable-header-names',
  'x-envoy-retriable-status-codes',
  'x-envoy-retry-grpc-on',
  'x-envoy-retry-on',
  'x-envoy-max-retries',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-stream-duration-ms',
  'x-envoy-hedge-on-per-try-timeout',
  'x-envoy-original-path',
];

export interface ClientAddressResult {
  /** The address Envoy considers the client's (remote address or trusted XFF entry). */
  readonly clientIp: string;
  /** Internal requests keep x-envoy-* control headers. */
  readonly internal: boolean;
  /** The x-request-id the request carries after processing ('' when none). */
  readonly requestId: string;
}

/**
 * The connection manager's request header processing, in Envoy's order: x-forwarded-for / -proto, internal vs
 * external, sanitising internal-only headers, x-request-id, via, x-forwarded-port.
 */
export function mutateRequestHeaders(req: HttpRequest, cfg: HcmConfig, remoteIp: string, localPort: number, tls?: TlsConnectionInfo): ClientAddressResult {
  const headers = req.headers;
  let clientIp: string;
  let internal: boolean;
  // Envoy: a request is internal only if x-forwarded-for (after our append) holds a single internal address; with
  // use_remote_address false and no XFF it is external. Only external requests under use_remote_address are "edge".
  const xffBefore = headers.getJoined('x-forwarded-for');
  if (cfg.useRemoteAddress) {
    clientIp = remoteIp;
    if (!cfg.skipXffAppend) {
      headers.set('x-forwarded-for', xffBefore ? `${xffBefore},${remoteIp}` : remoteIp);
    }
    headers.set('x-forwarded-proto', req.scheme);
    internal = !xffBefore && isInternalAddress(remoteIp, cfg);
  } else {
    const trusted = trustedXffAddress(headers, cfg.xffNumTrustedHops);
    clientIp = trusted ?? remoteIp;
    headers.setIfAbsent('x-forwarded-proto', req.scheme);
    internal = trusted !== undefined && cfg.xffNumTrustedHops === 0 && !(xffBefore as string).includes(',') && isInternalAddress(trusted, cfg);
  }
  const edge = !internal && cfg.useRemoteAddress;
  if (internal) {
    headers.set('x-envoy-internal', 'true');
  } else {
    cleanInternalHeaders(headers, edge);
    for (const name of cfg.routeTable.internalOnlyHeaders) headers.remove(name);
    if (edge) headers.set('x-envoy-external-address', remoteIp);
  }
  let requestId = headers.get('x-request-id');
  if (cfg.generateRequestId && (!requestId || (edge && !cfg.preserveExternalRequestId))) {
    const id = newRequestId();
    if (requestId === undefined) headers.add('x-request-id', id);
    else headers.set('x-request-id', id);
    requestId = id;
  }
  if (cfg.via) appendVia(headers, cfg.via);
  if (cfg.appendXForwardedPort) headers.setIfAbsent('x-forwarded-port', String(localPort));
  mutateXfcc(headers, cfg.xfcc, tls);
  return { clientIp, internal, requestId: requestId ?? '' };
}

export function appendVia(headers: HeaderMap, via: string): void {
  const existing = headers.getJoined('via');
  headers.set('via', existing ? `${existing}, ${via}` : via);
}

/** Removed from requests that arrive at the edge only (Envoy keeps them on non-edge external requests). */
const EDGE_ONLY_HEADERS: ReadonlySet<string> = new Set(['x-envoy-decorator-operation', 'x-envoy-downstream-service-cluster', 'x-envoy-downstream-service-node', 'x-envoy-external-address']);

const INTERNAL_ONLY_SET: ReadonlySet<string> = new Set(INTERNAL_ONLY_HEADERS);

function isInternalOnly(name: string): boolean {
  return name.startsWith('x-envoy-') && INTERNAL_ONLY_SET.has(name);
}

function isInternalOnlyNotEdgeOnly(name: string): boolean {
  return isInternalOnly(name) && !EDGE_ONLY_HEADERS.has(name);
}

function cleanInternalHeaders(headers: HeaderMap, edge: boolean): void {
  // One pass to find out whether there is anything to remove (usually not), instead of a scan per listed name.
  const names = headers.names;
  for (let i = 0; i < names.length; i++) {
    if (isInternalOnly(names[i] as string)) {
      headers.removeIf(edge ? isInternalOnly : isInternalOnlyNotEdgeOnly);
      return;
    }
  }
}

/** With `xff_num_trusted_hops` N, the client is the (N+1)-th address from the right of x-forwarded-for. */
function trustedXffAddress(headers: HeaderMap, trustedHops: number): string | undefined {
  const xff = headers.getJoined('x-forwarded-for');
  if (!xff) return undefined;
  const parts = xff.split(',');
  const entry = parts[parts.length - 1 - trustedHops];
  if (entry === undefined) return undefined;
  const ip = entry.trim();
  return ipBytes(ip) ? ip : undefined;
}

/** Without internal_address_config Envoy treats loopback and RFC 1918 / unique-local addresses as internal. */
export function isInternalAddress(ip: string, cfg: Pick<HcmConfig, 'internalCidrs'>): boolean {
  if (cfg.internalCidrs) return cfg.internalCidrs.some((c) => c.contains(ip));
  const b = ipBytes(ip);
  if (!b) return false;
  if (b.length === 4) {
    const [a, c] = [b[0] as number, b[1] as number];
    return a === 10 || a === 127 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168);
  }
  if (((b[0] as number) & 0xfe) === 0xfc) return true;
  return b.every((v, i) => (i === 15 ? v === 1 : v === 0));
}
