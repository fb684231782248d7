import { ConfigError, joinPath } from '@weft/api/lite';
import type { FilterChainMatch__Output } from '@weft/api/envoy/envoy/config/listener/v3/FilterChainMatch.js';
import { Cidr, isLoopback } from './cidr.js';

/** What a listener knows of a new connection when it picks a filter chain. */
export interface ConnectionMeta {
  readonly destinationIp: string;
  readonly destinationPort: number;
  readonly sourceIp: string;
  readonly sourcePort: number;
  readonly directSourceIp: string;
  /** SNI from the TLS inspector, '' when none. */
  readonly serverName: string;
  /** 'raw_buffer' or 'tls' (set by the TLS inspector). */
  readonly transportProtocol: string;
  /** ALPN offered by the client (TLS inspector) or detected (HTTP inspector). */
  readonly applicationProtocols: readonly string[];
  /** destinationIp/Port were restored from SO_ORIGINAL_DST (the connection was redirected to this proxy). */
  readonly localAddressRestored?: boolean;
}

interface CompiledMatch<T> {
  readonly value: T;
  readonly destinationPort: number | undefined;
  readonly prefixRanges: readonly Cidr[];
  readonly serverNames: readonly string[];
  readonly transportProtocol: string;
  readonly applicationProtocols: readonly string[];
  readonly directSourceRanges: readonly Cidr[];
  readonly sourceType: string;
  readonly sourceRanges: readonly Cidr[];
  readonly sourcePorts: readonly number[];
  readonly key: string;
}

/**
 * Envoy's filter chain selection: criteria are applied in a fixed order and at each step only the most specific
 * matching chains survive (exact beats wildcard beats unset). Connections are rarer than requests, so linear scans.
 */
export class FilterChainMatcher<T> {
  private readonly chains: CompiledMatch<T>[] = [];

  constructor(private readonly defaultChain: T | undefined) {}

  add(match: FilterChainMatch__Output | null, value: T, path: string): void {
    const m = match;
    const compiled: CompiledMatch<T> = {
      value,
      destinationPort: m?.destination_port ? m.destination_port.value : undefined,
      prefixRanges: (m?.prefix_ranges ?? []).map((r, i) => Cidr.parse(r, joinPath(joinPath(path, 'prefix_ranges'), i))),
      serverNames: (m?.server_names ?? []).map((s) => s.toLowerCase()),
      transportProtocol: m?.transport_protocol ?? '',
      applicationProtocols: m?.application_protocols ?? [],
      directSourceRanges: (m?.direct_source_prefix_ranges ?? []).map((r, i) => Cidr.parse(r, joinPath(joinPath(path, 'direct_source_prefix_ranges'), i))),
      sourceType: m?.source_type ?? 'ANY',
      sourceRanges: (m?.source_prefix_ranges ?? []).map((r, i) => Cidr.parse(r, joinPath(joinPath(path, 'source_prefix_ranges'), i))),
      sourcePorts: m?.source_ports ?? [],
      key: '',
    };
    if (m?.address_suffix || m?.suffix_len) throw new ConfigError(joinPath(path, 'address_suffix'), 'is not supported');
    for (const [i, name] of compiled.serverNames.entries()) {
      if (name.includes('*') && !(name.startsWith('*.') && name.indexOf('*', 1) === -1)) {
        throw new ConfigError(joinPath(joinPath(path, 'server_names'), i), `invalid wildcard server name '${name}' (only '*.suffix' is allowed)`);
      }
    }
    const key = JSON.stringify({ ...m, __v: undefined });
    if (this.chains.some((c) => c.key === key)) {
      throw new ConfigError(path, 'multiple filter chains with the same matching rules are defined');
    }
    this.chains.push({ ...compiled, key });
  }

  get size(): number {
    return this.chains.length;
  }

  /** Whether any chain needs SNI/ALPN (so a TLS inspector must run before selection). */
  needsTlsInspection(): boolean {
    return this.chains.some((c) => c.serverNames.length > 0 || c.transportProtocol === 'tls' || c.applicationProtocols.length > 0);
  }

  select(meta: ConnectionMeta): T | undefined {
    let candidates: CompiledMatch<T>[] = this.chains;
    candidates = best(candidates, (c) => (c.destinationPort === undefined ? 0 : c.destinationPort === meta.destinationPort ? 1 : -1));
    candidates = best(candidates, (c) => cidrScore(c.prefixRanges, meta.destinationIp));
    candidates = best(candidates, (c) => serverNameScore(c.serverNames, meta.serverName));
    candidates = best(candidates, (c) => (c.transportProtocol === '' ? 0 : c.transportProtocol === meta.transportProtocol ? 1 : -1));
    candidates = best(candidates, (c) => (c.applicationProtocols.length === 0 ? 0 : c.applicationProtocols.some((p) => meta.applicationProtocols.includes(p)) ? 1 : -1));
    candidates = best(candidates, (c) => cidrScore(c.directSourceRanges, meta.directSourceIp));
    candidates = best(candidates, (c) => sourceTypeScore(c.sourceType, meta));
    candidates = best(candidates, (c) => cidrScore(c.sourceRanges, meta.sourceIp));
    candidates = best(candidates, (c) => (c.sourcePorts.length === 0 ? 0 : c.sourcePorts.includes(meta.sourcePort) ? 1 : -1));
    return candidates[0]?.value ?? this.defaultChain;
  }
}

/** Keeps the candidates with the highest non-negative score. */
function best<T>(candidates: CompiledMatch<T>[], score: (c: CompiledMatch<T>) => number): CompiledMatch<T>[] {
  if (candidates.length === 0) return candidates;
  let top = -1;
  let out: CompiledMatch<T>[] = [];
  for (const c of candidates) {
    const s = score(c);
    if (s < 0 || s < top) continue;
    if (s > top) {
      top = s;
      out = [];
    }
    out.push(c);
  }
  return out;
}

/** -1 no match, 0 unset, else 1 + longest matching prefix length. */
function cidrScore(ranges: readonly Cidr[], ip: string): number {
  if (ranges.length === 0) return 0;
  let bestLen = -1;
  for (const r of ranges) if (r.prefixLen > bestLen && r.contains(ip)) bestLen = r.prefixLen;
  return bestLen < 0 ? -1 : bestLen + 1;
}

/** Exact name beats the longest wildcard suffix, which beats unset. */
function serverNameScore(names: readonly string[], sni: string): number {
  if (names.length === 0) return 0;
  if (!sni) return -1;
  const host = sni.toLowerCase();
  let score = -1;
  for (const n of names) {
    if (n === host) return 100000;
    if (n.startsWith('*.') && host.endsWith(n.slice(1)) && host.length > n.length - 1) score = Math.max(score, n.length);
  }
  return score;
}

function sourceTypeScore(type: string, meta: ConnectionMeta): number {
  if (type === 'ANY') return 0;
  const local = isLoopback(meta.sourceIp) || meta.sourceIp === meta.destinationIp;
  if (type === 'SAME_IP_OR_LOOPBACK') return local ? 1 : -1;
  return local ? -1 : 1;
}
