import net from 'node:net';

/**
 * What to capture, with Istio's names (istio-iptables / sidecar.istio.io annotations). Lists of CIDRs and ports;
 * `'*'` means everything.
 */
export interface InterceptConfig {
  /** The proxy's uid: its own traffic is never redirected (Istio: 1337). */
  readonly proxyUid: number;
  /** The proxy's gid, excluded the same way. */
  readonly proxyGid: number;
  /** Where outbound TCP is redirected (Istio's virtualOutbound, 15001). */
  readonly outboundPort: number;
  /** Where inbound TCP is redirected (Istio's virtualInbound, 15006). */
  readonly inboundPort: number;
  readonly includeOutboundIPRanges: '*' | readonly string[];
  readonly excludeOutboundIPRanges: readonly string[];
  readonly excludeOutboundPorts: readonly number[];
  readonly includeInboundPorts: '*' | readonly number[];
  readonly excludeInboundPorts: readonly number[];
}

export const DEFAULT_INTERCEPT: InterceptConfig = {
  proxyUid: 1337,
  proxyGid: 1337,
  outboundPort: 15001,
  inboundPort: 15006,
  includeOutboundIPRanges: '*',
  excludeOutboundIPRanges: [],
  excludeOutboundPorts: [],
  includeInboundPorts: '*',
  // Istio's defaults: the agent's status port, health port and the proxy's Prometheus port stay reachable.
  excludeInboundPorts: [15020, 15021, 15090],
};

/** Chains Weft owns in the nat table; removal deletes these and every jump into them. */
export const CHAINS = {
  inbound: 'WEFT_INBOUND',
  inRedirect: 'WEFT_IN_REDIRECT',
  output: 'WEFT_OUTPUT',
  redirect: 'WEFT_REDIRECT',
  conntrack: 'WEFT_CONNTRACK',
} as const;

export const OWNED_CHAINS: readonly string[] = Object.values(CHAINS);

/** Source address Istio's proxy uses for inbound passthrough connections to the app (never captured). */
const INBOUND_PASSTHROUGH_SOURCE = '127.0.0.6/32';

export class InterceptConfigError extends Error {
  readonly code = 'WEFT_ERR_INTERCEPT_CONFIG';
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new InterceptConfigError(`${what}: ${p} is not a port`);
}

function checkCidr(c: string, what: string): void {
  const [ip, len, extra] = c.split('/');
  const family = net.isIP(ip ?? '');
  const n = len === undefined ? (family === 6 ? 128 : 32) : Number(len);
  if (family !== 4 || extra !== undefined || !Number.isInteger(n) || n < 0 || n > 32) {
    throw new InterceptConfigError(`${what}: '${c}' is not an IPv4 CIDR`);
  }
}

/** Validates a config (ports in range, IPv4 CIDRs, ids). Throws InterceptConfigError naming the option. */
export function validateInterceptConfig(c: InterceptConfig): void {
  checkPort(c.outboundPort, 'outboundPort');
  checkPort(c.inboundPort, 'inboundPort');
  if (!Number.isInteger(c.proxyUid) || c.proxyUid < 0) throw new InterceptConfigError(`proxyUid: ${c.proxyUid} is not a uid`);
  if (!Number.isInteger(c.proxyGid) || c.proxyGid < 0) throw new InterceptConfigError(`proxyGid: ${c.proxyGid} is not a gid`);
  if (c.includeOutboundIPRanges !== '*') for (const r of c.includeOutboundIPRanges) checkCidr(r, 'includeOutboundIPRanges');
  for (const r of c.excludeOutboundIPRanges) checkCidr(r, 'excludeOutboundIPRanges');
  for (const p of c.excludeOutboundPorts) checkPort(p, 'excludeOutboundPorts');
  if (c.includeInboundPorts !== '*') for (const p of c.includeInboundPorts) checkPort(p, 'includeInboundPorts');
  for (const p of c.excludeInboundPorts) checkPort(p, 'excludeInboundPorts');
}

/**
 * A chain nothing jumps to, holding a conntrack match: while it exists the kernel tracks connections in the
 * namespace, so redirected connections keep their NAT mapping when the capture rules change or go (some kernels
 * do not track connections for nat rules alone). `off` keeps it until the proxy's connections have drained.
 */
export function conntrackAnchor(): string[] {
  return [`-N ${CHAINS.conntrack}`, `-A ${CHAINS.conntrack} -m conntrack --ctstate INVALID -j RETURN`];
}

/**
 * The nat-table rules, one `-N`/`-A` line each (iptables-restore syntax), in Istio's order:
 * inbound: excluded ports return, then included ports (or all) go to the inbound port;
 * outbound: the proxy's own traffic (uid/gid) and loopback return — except the proxy calling a local non-loopback
 * address, which is inbound traffic of this workload — then excluded ports/CIDRs, then included CIDRs (or all).
 */
export function interceptRules(c: InterceptConfig): string[] {
  validateInterceptConfig(c);
  const { inbound, inRedirect, output, redirect } = CHAINS;
  const out: string[] = [...conntrackAnchor(), `-N ${inbound}`, `-N ${inRedirect}`, `-N ${output}`, `-N ${redirect}`];
  // Only connection attempts are redirected: a connection that existed before the rules (which conntrack may pick
  // up mid-stream) keeps going where it went instead of being reset by the proxy's port.
  out.push(`-A ${inRedirect} -p tcp --syn -j REDIRECT --to-ports ${c.inboundPort}`);
  out.push(`-A ${redirect} -p tcp --syn -j REDIRECT --to-ports ${c.outboundPort}`);
  const inboundOn = c.includeInboundPorts === '*' || c.includeInboundPorts.length > 0;
  if (inboundOn) {
    out.push(`-A PREROUTING -p tcp -j ${inbound}`);
    if (c.includeInboundPorts === '*') {
      for (const p of c.excludeInboundPorts) out.push(`-A ${inbound} -p tcp --dport ${p} -j RETURN`);
      out.push(`-A ${inbound} -p tcp -j ${inRedirect}`);
    } else {
      for (const p of c.includeInboundPorts) if (!c.excludeInboundPorts.includes(p)) out.push(`-A ${inbound} -p tcp --dport ${p} -j ${inRedirect}`);
    }
  }
  const outboundOn = c.includeOutboundIPRanges === '*' || c.includeOutboundIPRanges.length > 0;
  if (!outboundOn) return out;
  out.push(`-A OUTPUT -p tcp -j ${output}`);
  out.push(`-A ${output} -s ${INBOUND_PASSTHROUGH_SOURCE} -o lo -j RETURN`);
  for (const [kind, id] of [['uid', c.proxyUid], ['gid', c.proxyGid]] as const) {
    if (inboundOn) out.push(`-A ${output} ! -d 127.0.0.1/32 -o lo -p tcp -m owner --${kind}-owner ${id} -j ${inRedirect}`);
    out.push(`-A ${output} -o lo -m owner ! --${kind}-owner ${id} -j RETURN`);
    out.push(`-A ${output} -m owner --${kind}-owner ${id} -j RETURN`);
  }
  out.push(`-A ${output} -d 127.0.0.1/32 -j RETURN`);
  for (const p of c.excludeOutboundPorts) out.push(`-A ${output} -p tcp --dport ${p} -j RETURN`);
  for (const r of c.excludeOutboundIPRanges) out.push(`-A ${output} -d ${r} -j RETURN`);
  if (c.includeOutboundIPRanges === '*') out.push(`-A ${output} -j ${redirect}`);
  else for (const r of c.includeOutboundIPRanges) out.push(`-A ${output} -d ${r} -j ${redirect}`);
  return out;
}
