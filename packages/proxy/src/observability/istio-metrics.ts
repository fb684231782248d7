import { formatResponseFlags } from '../interfaces/response-flags.js';
import type { Counter, Histogram } from '../interfaces/stats.js';
import type { StreamInfo } from '../interfaces/stream-info.js';
import { UNKNOWN, UNKNOWN_WORKLOAD, type IstioWorkload } from './istio-workload.js';
import type { Tag } from './stat-meta.js';
import type { StatsStore } from './stats-store.js';

/** Istio's standard label order for HTTP/gRPC metrics (istio/proxy testdata). */
export const ISTIO_REQUEST_LABELS = [
  'reporter',
  'source_workload',
  'source_canonical_service',
  'source_canonical_revision',
  'source_workload_namespace',
  'source_principal',
  'source_app',
  'source_version',
  'source_cluster',
  'destination_workload',
  'destination_workload_namespace',
  'destination_principal',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_canonical_service',
  'destination_canonical_revision',
  'destination_service_name',
  'destination_service_namespace',
  'destination_cluster',
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
  'connection_security_policy',
] as const;

/** TCP metrics: the same without `response_code` and `grpc_response_status`. */
export const ISTIO_TCP_LABELS = ISTIO_REQUEST_LABELS.filter(
  (l) => l !== 'response_code' && l !== 'grpc_response_status',
);

/** What varies per edge (peer and service), not per response. Missing values print `unknown`. */
export interface IstioEdgeLabels {
  /** `source` for outbound (client side, gateways), `destination` for inbound. */
  reporter: 'source' | 'destination';
  /** The other side (from metadata exchange or endpoint metadata). */
  peer?: Partial<IstioWorkload>;
  /** FQDN `reviews.default.svc.cluster.local`; name and namespace are derived from it when not given. */
  destination_service?: string;
  destination_service_name?: string;
  destination_service_namespace?: string;
  /** `http` | `grpc` | `tcp`. */
  request_protocol?: string;
  /** The connection used mTLS: the local principal is reported and the policy defaults to `mutual_tls`. */
  mtls?: boolean;
  /** Overrides the default (`unknown` for reporter=source; `mutual_tls`/`none` for reporter=destination). */
  connection_security_policy?: string;
}

export interface IstioRequestLabels extends IstioEdgeLabels {
  response_code: number | string;
  /** Bit set of ResponseFlag, or an already formatted string. */
  response_flags?: number | string;
  grpc_response_status?: string;
}

export interface IstioMetricsOptions {
  durationBuckets?: readonly number[];
  bytesBuckets?: readonly number[];
}

/** One label set of the four HTTP metrics. Hot path: `record()` is four handle writes. */
export class IstioRequestSeries {
  constructor(
    readonly requests: Counter,
    readonly duration: Histogram,
    readonly requestBytes: Histogram,
    readonly responseBytes: Histogram,
  ) {}

  record(durationMs: number, requestBytes: number, responseBytes: number): void {
    this.requests.inc();
    this.duration.record(durationMs);
    this.requestBytes.record(requestBytes);
    this.responseBytes.record(responseBytes);
  }
}

/**
 * One label set of the four TCP metrics. Counters are created on first use: an open is counted on the flag-less
 * series and a close on the series of the final flags, so eager creation would print zero series for each.
 */
export class IstioTcpSeries {
  private sentC: Counter | undefined;
  private receivedC: Counter | undefined;
  private openedC: Counter | undefined;
  private closedC: Counter | undefined;

  constructor(private readonly make: (metric: string) => Counter) {}

  connectionOpened(): void {
    (this.openedC ??= this.make('istio_tcp_connections_opened_total')).inc();
  }

  connectionClosed(): void {
    (this.closedC ??= this.make('istio_tcp_connections_closed_total')).inc();
  }

  sent(bytes: number): void {
    (this.sentC ??= this.make('istio_tcp_sent_bytes_total')).add(bytes);
  }

  received(bytes: number): void {
    (this.receivedC ??= this.make('istio_tcp_received_bytes_total')).add(bytes);
  }
}

/** An edge's HTTP series by response: one small map lookup per request. */
export class IstioRequestEdge {
  private readonly byResponse = new Map<string, IstioRequestSeries>();
  private readonly plainByCode: Array<IstioRequestSeries | undefined> = [];

  constructor(
    private readonly metrics: IstioMetrics,
    private readonly base: readonly Tag[],
  ) {}

  series(responseCode: number | string, responseFlags: number | string = 0, grpcStatus = ''): IstioRequestSeries {
    // The common case (a status code, no flags, no gRPC status) by array index instead of a string key.
    const plain = responseFlags === 0 && grpcStatus === '' && typeof responseCode === 'number' && responseCode >= 0 && responseCode < 1000;
    if (plain) {
      const s = this.plainByCode[responseCode];
      if (s !== undefined) return s;
    }
    const s = this.seriesByKey(responseCode, responseFlags, grpcStatus);
    if (plain) this.plainByCode[responseCode as number] = s;
    return s;
  }

  private seriesByKey(responseCode: number | string, responseFlags: number | string, grpcStatus: string): IstioRequestSeries {
    const key = `${responseCode}|${responseFlags}|${grpcStatus}`;
    let s = this.byResponse.get(key);
    if (s === undefined) {
      const flags = typeof responseFlags === 'number' ? formatResponseFlags(responseFlags) : responseFlags;
      s = this.metrics.createRequestSeries(this.base, String(responseCode), flags, grpcStatus);
      this.byResponse.set(key, s);
    }
    return s;
  }
}

export class IstioTcpEdge {
  private readonly byFlags = new Map<number | string, IstioTcpSeries>();

  constructor(
    private readonly metrics: IstioMetrics,
    private readonly base: readonly Tag[],
  ) {}

  series(responseFlags: number | string = 0): IstioTcpSeries {
    let s = this.byFlags.get(responseFlags);
    if (s === undefined) {
      const flags = typeof responseFlags === 'number' ? formatResponseFlags(responseFlags) : responseFlags;
      s = this.metrics.createTcpSeries(this.base, flags);
      this.byFlags.set(responseFlags, s);
    }
    return s;
  }
}

/**
 * Istio's standard metrics on top of a StatsStore, so they are part of snapshots, merges and the Prometheus
 * exposition. Stat names follow Istio's Envoy form (`reporter=.=source;.;…;.;istio_requests_total`); tags are
 * attached explicitly, never parsed back from the name.
 */
export class IstioMetrics {
  private readonly requestEdges = new Map<string, IstioRequestEdge>();
  private readonly tcpEdges = new Map<string, IstioTcpEdge>();
  /** StreamInfo convenience paths: edges by upstream cluster name. */
  private readonly httpByCluster = new Map<string, IstioRequestEdge>();
  private readonly tcpByCluster = new Map<string, IstioTcpEdge>();
  private readonly durationBuckets: readonly number[] | undefined;
  private readonly bytesBuckets: readonly number[] | undefined;
  private lastCluster: string | undefined;
  private lastGrpc = false;
  private lastEdge: IstioRequestEdge | undefined;

  constructor(
    private readonly store: StatsStore,
    readonly local: IstioWorkload,
    options: IstioMetricsOptions = {},
  ) {
    this.durationBuckets = options.durationBuckets;
    this.bytesBuckets = options.bytesBuckets;
  }

  /** Cached per edge; keep the result per route/cluster and call `series()` per response. */
  requestEdge(labels: IstioEdgeLabels): IstioRequestEdge {
    const key = edgeKey(labels);
    let e = this.requestEdges.get(key);
    if (e === undefined) {
      e = new IstioRequestEdge(this, this.edgeTags(labels, 'http'));
      this.requestEdges.set(key, e);
    }
    return e;
  }

  /** One-call form: edge lookup plus response lookup (two map lookups). */
  requestSeries(labels: IstioRequestLabels): IstioRequestSeries {
    return this.requestEdge(labels).series(labels.response_code, labels.response_flags ?? 0, labels.grpc_response_status ?? '');
  }

  tcpEdge(labels: IstioEdgeLabels): IstioTcpEdge {
    const key = edgeKey(labels);
    let e = this.tcpEdges.get(key);
    if (e === undefined) {
      e = new IstioTcpEdge(this, this.edgeTags(labels, 'tcp'));
      this.tcpEdges.set(key, e);
    }
    return e;
  }

  tcpSeries(labels: IstioEdgeLabels & { response_flags?: number | string }): IstioTcpSeries {
    return this.tcpEdge(labels).series(labels.response_flags ?? 0);
  }

  /**
   * Records one finished HTTP request from its StreamInfo, deriving the edge from the Istio cluster name
   * (`outbound|80||reviews.default.svc.cluster.local` → reporter source, that service; `inbound|…` → reporter
   * destination). Peer workload labels are `unknown` here (no metadata exchange yet).
   */
  recordRequest(info: StreamInfo, grpcRequest?: boolean): void {
    const grpc = grpcRequest ?? isGrpc(info);
    const cluster = info.upstreamCluster;
    // One-entry cache: consecutive requests nearly always go to the same cluster.
    let edge = cluster === this.lastCluster && grpc === this.lastGrpc ? this.lastEdge : undefined;
    if (edge === undefined) {
      const key = grpc ? `g|${cluster}` : cluster;
      edge = this.httpByCluster.get(key);
      if (edge === undefined) {
        edge = this.requestEdge({ ...edgeFromClusterName(cluster), request_protocol: grpc ? 'grpc' : 'http' });
        this.httpByCluster.set(key, edge);
      }
      this.lastCluster = cluster;
      this.lastGrpc = grpc;
      this.lastEdge = edge;
    }
    const grpcStatus = grpc ? (info.responseTrailers?.get('grpc-status') ?? info.responseHeaders?.get('grpc-status') ?? '') : '';
    edge
      .series(info.responseCode, info.responseFlags, grpcStatus)
      .record(info.durationMs < 0 ? 0 : info.durationMs, info.bytesReceived, info.bytesSent);
  }

  /** A TCP connection to `info.upstreamCluster` was established. */
  tcpOpened(info: StreamInfo): void {
    this.tcpEdgeFor(info.upstreamCluster).series(0).connectionOpened();
  }

  /** The connection ended: counts the close (with its response flags) and the bytes both ways. */
  tcpClosed(info: StreamInfo): void {
    const s = this.tcpEdgeFor(info.upstreamCluster).series(info.responseFlags);
    s.connectionClosed();
    s.sent(info.bytesSent);
    s.received(info.bytesReceived);
  }

  private tcpEdgeFor(cluster: string): IstioTcpEdge {
    let edge = this.tcpByCluster.get(cluster);
    if (edge === undefined) {
      edge = this.tcpEdge({ ...edgeFromClusterName(cluster), request_protocol: 'tcp' });
      this.tcpByCluster.set(cluster, edge);
    }
    return edge;
  }

  /** @internal */
  createRequestSeries(base: readonly Tag[], code: string, flags: string, grpc: string): IstioRequestSeries {
    const tags = withResponse(base, ISTIO_REQUEST_LABELS, { response_code: code, grpc_response_status: grpc, response_flags: flags });
    const s = this.store;
    return new IstioRequestSeries(
      s.taggedCounter(statName(tags, 'istio_requests_total'), 'istio_requests_total', tags),
      s.taggedHistogram(statName(tags, 'istio_request_duration_milliseconds'), 'istio_request_duration_milliseconds', tags, 'milliseconds', this.durationBuckets),
      s.taggedHistogram(statName(tags, 'istio_request_bytes'), 'istio_request_bytes', tags, 'bytes', this.bytesBuckets),
      s.taggedHistogram(statName(tags, 'istio_response_bytes'), 'istio_response_bytes', tags, 'bytes', this.bytesBuckets),
    );
  }

  /** @internal */
  createTcpSeries(base: readonly Tag[], flags: string): IstioTcpSeries {
    const tags = withResponse(base, ISTIO_TCP_LABELS, { response_flags: flags });
    const s = this.store;
    return new IstioTcpSeries((metric) => s.taggedCounter(statName(tags, metric), metric, tags));
  }

  /** Every label except the per-response ones, as a name → value record. */
  private edgeTags(l: IstioEdgeLabels, defaultProtocol: string): Tag[] {
    const peer: IstioWorkload = { ...UNKNOWN_WORKLOAD, ...definedOnly(l.peer) };
    const local = this.local;
    const outbound = l.reporter === 'source';
    const src = outbound ? local : peer;
    const dst = outbound ? peer : local;
    const mtls = l.mtls === true;
    // The local principal is only known to the peer when the connection was mTLS; the peer's comes with it.
    const srcPrincipal = outbound ? (mtls ? local.principal : UNKNOWN) : peer.principal;
    const dstPrincipal = outbound ? peer.principal : mtls ? local.principal : UNKNOWN;
    const svc = l.destination_service ?? UNKNOWN;
    const [svcName, svcNs] = splitServiceFqdn(svc);
    const policy = l.connection_security_policy ?? (outbound ? UNKNOWN : mtls ? 'mutual_tls' : 'none');
    const v: Record<string, string> = {
      reporter: l.reporter,
      source_workload: src.workload,
      source_canonical_service: src.canonicalService,
      source_canonical_revision: src.canonicalRevision,
      source_workload_namespace: src.namespace,
      source_principal: srcPrincipal,
      source_app: src.app,
      source_version: src.version,
      source_cluster: src.cluster,
      destination_workload: dst.workload,
      destination_workload_namespace: dst.namespace,
      destination_principal: dstPrincipal,
      destination_app: dst.app,
      destination_version: dst.version,
      destination_service: svc,
      destination_canonical_service: dst.canonicalService,
      destination_canonical_revision: dst.canonicalRevision,
      destination_service_name: l.destination_service_name ?? svcName,
      destination_service_namespace: l.destination_service_namespace ?? svcNs,
      destination_cluster: dst.cluster,
      request_protocol: l.request_protocol ?? defaultProtocol,
      connection_security_policy: policy,
    };
    return Object.entries(v).map(([k, val]) => [k, val === '' ? UNKNOWN : val] as Tag);
  }
}

/** Reporter and destination service from an Istio cluster name; other names are outbound to that name. */
export function edgeFromClusterName(cluster: string): IstioEdgeLabels {
  const parts = cluster.split('|');
  if (parts.length === 4 && (parts[0] === 'outbound' || parts[0] === 'inbound')) {
    const host = parts[3] as string;
    const labels: IstioEdgeLabels = { reporter: parts[0] === 'outbound' ? 'source' : 'destination' };
    if (host !== '') labels.destination_service = host;
    return labels;
  }
  return cluster === '' ? { reporter: 'source' } : { reporter: 'source', destination_service: cluster };
}

function isGrpc(info: StreamInfo): boolean {
  const ct = info.requestHeaders?.get('content-type');
  return ct !== undefined && ct.startsWith('application/grpc');
}

function definedOnly(p: Partial<IstioWorkload> | undefined): Partial<IstioWorkload> {
  const out: Record<string, string> = {};
  if (p === undefined) return out;
  for (const [k, v] of Object.entries(p)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}

/** `reviews.default.svc.cluster.local` → [`reviews`, `default`]; other hosts → [host, `unknown`]. */
function splitServiceFqdn(svc: string): [string, string] {
  if (svc === UNKNOWN) return [UNKNOWN, UNKNOWN];
  const parts = svc.split('.');
  if (parts.length >= 3 && parts[2] === 'svc') return [parts[0] as string, parts[1] as string];
  return [svc, UNKNOWN];
}

function withResponse(base: readonly Tag[], order: readonly string[], extra: Record<string, string>): Tag[] {
  const values = new Map<string, string>(base);
  for (const [k, v] of Object.entries(extra)) values.set(k, v);
  return order.map((k) => [k, values.get(k) ?? UNKNOWN] as Tag);
}

/** Istio's Envoy stat name: `k=.=v;.;` per tag, then the metric name. */
function statName(tags: readonly Tag[], metric: string): string {
  let out = '';
  for (const [k, v] of tags) out += `${k}=.=${v};.;`;
  return out + metric;
}

function edgeKey(l: IstioEdgeLabels): string {
  const p = l.peer;
  return [
    l.reporter,
    p?.workload, p?.namespace, p?.app, p?.version, p?.canonicalService, p?.canonicalRevision, p?.cluster, p?.principal,
    l.destination_service, l.destination_service_name, l.destination_service_namespace,
    l.request_protocol, l.mtls === true ? 1 : 0, l.connection_security_policy,
  ].join('\u0001');
}
