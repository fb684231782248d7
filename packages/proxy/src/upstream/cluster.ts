import { connect as netConnect, type Socket } from 'node:net';
import type { Runtime } from '../interfaces/runtime.js';
import type { Scope } from '../interfaces/stats.js';
import { createClusterStats, type ClusterStats } from './cluster-stats.js';
import { ConnectionPool } from './connection-pool.js';
import { Http1StreamPool } from './http1-stream-pool.js';
import type { HttpStreamPool } from '../interfaces/upstream-stream.js';
import { ClusterResources, DEFAULT_CIRCUIT_BREAKERS, type CircuitBreakerConfig, type RoutingPriority } from './circuit-breakers.js';
import { Http2Pool } from './http2-pool.js';
import { http2CodecStats, type Http2CodecStats } from '../codec/http2/stats.js';
import { systemResolver, type DnsResolver } from './dns-resolver.js';
import { DnsTarget, type DnsRefreshPolicy } from './dns-target.js';
import type { EndpointSpec, LoadAssignment } from './endpoints.js';
import type { HealthChecker } from './health-check/health-checker.js';
import { createHealthChecker, createOutlierDetector, type ClusterHealthDeps } from './cluster-health.js';
import type { HealthCheckConfig } from './health-check/hc-config.js';
import { EMPTY_LOCALITY, HealthFlag, HostImpl, isDegraded, isHealthy, type Host, type Locality } from './host.js';
import { ZoneRouting } from './load-balancers/zone-aware.js';
import { monotonicNow } from '../server/io-scope.js';
import type { LbFactory } from './lb-factory.js';
import { randomUint32, type LbContext, type LoadBalancer, type PriorityLoadBalancer } from './load-balancers/base.js';
import type { OutlierDetector } from './outlier/outlier-detector.js';
import type { OutlierConfig } from './outlier/outlier-config.js';
import { PrioritySet, type HostsChangedListener } from './priority-set.js';
import type { ClusterHttpOptions } from './protocol-options.js';
import type { UpstreamTransport } from '../interfaces/transport-socket.js';
import type { UpstreamTls } from '../tls/upstream-tls.js';
import type { SecretStore } from '../tls/secret-store.js';
import { OriginalDstHosts, type OriginalDstConfig } from './original-dst-hosts.js';

export type ClusterType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';

/** A validated cluster config (see `parseClusterConfig`). */
export interface ClusterConfig {
  readonly name: string;
  /** `alt_stat_name` or `name`: stats live under `cluster.<statName>.`. */
  readonly statName: string;
  readonly type: ClusterType;
  readonly connectTimeoutMs: number;
  readonly perConnectionBufferLimitBytes: number;
  readonly httpOptions: ClusterHttpOptions;
  readonly lb: LbFactory;
  readonly loadAssignment: LoadAssignment;
  readonly dns: DnsRefreshPolicy;
  readonly tcpKeepaliveMs: number | undefined;
  readonly closeConnectionsOnHostSetChange: boolean;
  /** `wait_for_warm_on_init` (default true): the cluster manager's initialization waits for this cluster. */
  readonly waitForWarmOnInit: boolean;
  /** Circuit breaker thresholds per routing priority. */
  readonly circuitBreakers?: CircuitBreakerConfig;
  /** `outlier_detection`, when configured. */
  readonly outlierDetection?: OutlierConfig | undefined;
  /** `health_checks[0]`, when configured (Envoy supports one). */
  readonly healthCheck?: HealthCheckConfig | undefined;
  /** `common_lb_config.ignore_new_hosts_until_first_hc`: DNS-added hosts are excluded until checked. */
  readonly ignoreNewHostsUntilFirstHc?: boolean | undefined;
  /** EDS: `eds_cluster_config.service_name` or the cluster name (the ClusterLoadAssignment to follow). */
  readonly edsServiceName?: string | undefined;
  /** `transport_socket` with an UpstreamTlsContext; undefined = plain TCP. */
  readonly tls?: UpstreamTls | undefined;
  /** ORIGINAL_DST clusters: `original_dst_lb_config` and `cleanup_interval`. */
  readonly originalDst?: OriginalDstConfig | undefined;
}

export interface ClusterDeps {
  /** Root scope: the cluster's stats go under `cluster.<statName>.`. */
  readonly scope: Scope;
  readonly resolver?: DnsResolver | undefined;
  readonly now?: (() => number) | undefined;
  /** Uniform uint32 (LB draws, DNS backoff jitter). */
  readonly random?: (() => number) | undefined;
  /** Consulted for `upstream.healthy_panic_threshold`. */
  readonly runtime?: Runtime | undefined;
  /** Socket factory for connection pools (tests). */
  readonly connect?: ((host: Host) => Socket) | undefined;
  /**
   * Run active health checks (default true). False in a main process that serves no traffic: its workers check.
   * Without checks the hosts keep their EDS health.
   */
  readonly activeHealthChecks?: boolean | undefined;
  /** Bootstrap `node.locality`: this proxy's zone for zone-aware routing. */
  readonly localLocality?: Locality | undefined;
  /** EDS clusters are accepted (the bootstrap has an ADS config that can feed them). */
  readonly allowEds?: boolean | undefined;
  /** `static_resources.secrets` for TLS contexts that reference secrets by name. */
  readonly secrets?: SecretStore | undefined;
}

/** Per-endpoint DNS state: the hosts from its latest answer, by address (kept so pools survive re-resolution). */
interface ResolvedEndpoint {
  readonly spec: EndpointSpec;
  readonly target: DnsTarget;
  hosts: HostImpl[];
  reported: boolean;
}

function hostFrom(spec: EndpointSpec, address: string, hostname: string): HostImpl {
  return new HostImpl({
    address,
    port: spec.port,
    hostname,
    weight: spec.weight,
    priority: spec.priority,
    locality: spec.locality,
    localityWeight: spec.localityWeight,
    healthy: spec.healthy,
    degraded: spec.degraded,
    labels: spec.labels,
  });
}

/** One configured upstream cluster: its hosts, load balancer, per-host connection pools and stats. */
export class Cluster implements LoadBalancer {
  readonly name: string;
  readonly type: ClusterType;
  readonly connectTimeoutMs: number;
  readonly perConnectionBufferLimitBytes: number;
  readonly httpOptions: ClusterHttpOptions;
  readonly stats: ClusterStats;
  readonly prioritySet: PrioritySet;
  readonly lb: PriorityLoadBalancer;
  /** Circuit breakers (Envoy's resource managers), one per routing priority. */
  readonly resources: Readonly<Record<RoutingPriority, ClusterResources>>;
  /** Present with `outlier_detection`. */
  readonly outlierDetector: OutlierDetector | undefined;
  /** Present with `health_checks` (unless `deps.activeHealthChecks` is false). */
  readonly healthChecker: HealthChecker | undefined;
  /** `cluster_manager.local_cluster_name`'s cluster, for zone-aware routing (see setLocalCluster). */
  private localCluster: Cluster | undefined;
  private unsubscribeLocal: (() => void) | undefined;
  private readonly pools = new Map<Host, ConnectionPool>();
  private readonly streamPools = new WeakMap<ConnectionPool, Http1StreamPool>();
  private readonly transport: UpstreamTransport | undefined;
  /** tcp_proxy's pools: separate, as in Envoy, and half-open capable. */
  private readonly tcpPools = new Map<Host, ConnectionPool>();
  /** The RPC proxy's pools: connections held open and multiplexed by request id (rpc/upstream-mux.ts). */
  private readonly rpcPools = new Map<Host, ConnectionPool>();
  /** Upstream HTTP/2 pools (multiplexed sessions), by host. */
  private readonly h2Pools = new Map<Host, Http2Pool>();
  private h2CodecStats: Http2CodecStats | undefined;
  /** Pools of removed hosts, finishing their requests; closed with the cluster. */
  private readonly drainingPools = new Set<ConnectionPool | Http2Pool>();
  private readonly endpoints: ResolvedEndpoint[] = [];
  private logicalHost: HostImpl | undefined;
  private initPromise: Promise<void> | undefined;
  private initDone: (() => void) | undefined;
  private closed = false;
  private edsApplied = false;
  /** ORIGINAL_DST: hosts made on demand from the downstream destination. */
  private readonly originalDst: OriginalDstHosts | undefined;

  constructor(
    readonly config: ClusterConfig,
    private readonly deps: ClusterDeps,
  ) {
    this.name = config.name;
    this.type = config.type;
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.perConnectionBufferLimitBytes = config.perConnectionBufferLimitBytes;
    this.httpOptions = config.httpOptions;
    const scope = deps.scope.scope(`cluster.${config.statName}`);
    this.stats = createClusterStats(scope);
    const cb = config.circuitBreakers ?? DEFAULT_CIRCUIT_BREAKERS;
    this.resources = { DEFAULT: new ClusterResources(cb.DEFAULT, scope, 'DEFAULT'), HIGH: new ClusterResources(cb.HIGH, scope, 'HIGH') };
    this.transport = config.tls?.bind(scope);
    const la = config.loadAssignment;
    this.prioritySet = new PrioritySet(la.overprovisioningFactor, la.weightedPriorityHealth);
    const threshold = config.lb.panicThreshold;
    const runtime = deps.runtime;
    const za = config.lb.zoneAware;
    const zone =
      za === undefined
        ? undefined
        : new ZoneRouting(za, { locality: deps.localLocality ?? EMPTY_LOCALITY, localSet: () => this.localCluster?.prioritySet.hostSets[0] }, this.stats);
    this.lb = config.lb.create({
      random: deps.random ?? randomUint32,
      lbHealthyPanic: this.stats.lb_healthy_panic,
      panicThreshold: runtime ? () => runtime.getNumber('upstream.healthy_panic_threshold', threshold) : () => threshold,
      zone,
    });
    this.lb.refresh(this.prioritySet.hostSets);
    const healthDeps: ClusterHealthDeps = {
      scope: deps.scope.scope(`cluster.${config.statName}`),
      clusterName: config.name,
      stats: this.stats,
      prioritySet: this.prioritySet,
      now: deps.now ?? monotonicNow,
      random: deps.random ?? randomUint32,
      refreshHealth: () => this.refreshHealth(),
    };
    const od = config.outlierDetection;
    this.outlierDetector = od === undefined ? undefined : createOutlierDetector(od, healthDeps);
    const hc = config.healthCheck;
    this.healthChecker =
      hc === undefined || deps.activeHealthChecks === false
        ? undefined
        : createHealthChecker(hc, healthDeps, (h) => this.outlierDetector?.onActiveHealthCheckSuccess(h));
    const od0 = config.originalDst;
    this.originalDst = od0 === undefined ? undefined : new OriginalDstHosts(od0, scope.counter('original_dst_host_invalid'), (hosts) => this.setHosts(hosts));
    if (config.type === 'STATIC') {
      this.setHosts(la.endpoints.map((e) => hostFrom(e, e.address, e.hostname)));
    }
  }

  /** A host for a new request, or undefined (the caller answers 503 with the UH flag). */
  chooseHost(ctx?: LbContext): Host | undefined {
    const h = this.originalDst === undefined ? this.lb.chooseHost(ctx) : this.originalDst.choose(ctx);
    if (h === undefined) this.stats.upstream_cx_none_healthy.inc();
    return h;
  }

  hosts(): readonly Host[] {
    return this.prioritySet.hosts();
  }

  /**
   * Cluster warming: resolves once every DNS name has been resolved once (success or failure; STATIC at once).
   * Starts DNS refresh timers on first call.
   */
  initialize(): Promise<void> {
    if (this.initPromise) return this.initPromise;
    const checker = this.healthChecker;
    this.initPromise = this.discover().then(() => {
      if (checker === undefined || this.closed) return undefined;
      // Warming includes the first health check of every host (Envoy's initial active health check pass).
      checker.start();
      return checker.firstRound();
    });
    return this.initPromise;
  }

  private discover(): Promise<void> {
    if (this.type === 'EDS') {
      // Warm until the first ClusterLoadAssignment (or close) arrives.
      if (this.edsApplied || this.closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        this.initDone = resolve;
      });
    }
    if (this.type === 'STATIC' || this.config.loadAssignment.endpoints.length === 0 || this.closed) return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      this.initDone = resolve;
    });
    const specs = this.type === 'LOGICAL_DNS' ? this.config.loadAssignment.endpoints.slice(0, 1) : this.config.loadAssignment.endpoints;
    for (const spec of specs) {
      const ep: ResolvedEndpoint = {
        spec,
        hosts: [],
        reported: false,
        target: new DnsTarget(
          spec.address,
          this.deps.resolver ?? systemResolver,
          this.config.dns,
          this.deps.random ?? randomUint32,
          () => this.stats.update_attempt.inc(),
          (addresses) => this.onResolved(ep, addresses),
        ),
      };
      this.endpoints.push(ep);
    }
    for (const ep of this.endpoints) ep.target.start();
    return done;
  }

  /** The HTTP stream pool for a host (HTTP/1.1 over the host's connection pool). */
  httpStreamPool(host: Host): HttpStreamPool {
    const pool = this.pool(host);
    let sp = this.streamPools.get(pool);
    if (sp === undefined) {
      sp = new Http1StreamPool(pool, this.stats);
      this.streamPools.set(pool, sp);
    }
    return sp;
  }

  /** The connection pool of a host of this cluster, created on first use ('tcp' for tcp_proxy, 'rpc' for rpc_proxy). */
  pool(host: Host, kind: 'http' | 'tcp' | 'rpc' = 'http'): ConnectionPool {
    const pools = kind === 'tcp' ? this.tcpPools : kind === 'rpc' ? this.rpcPools : this.pools;
    let p = pools.get(host);
    if (p === undefined) {
      p = new ConnectionPool({
        host,
        stats: this.stats,
        connectTimeoutMs: this.connectTimeoutMs,
        idleTimeoutMs: this.httpOptions.idleTimeoutMs,
        maxRequestsPerConnection: this.httpOptions.maxRequestsPerConnection,
        // HttpProtocolOptions: HTTP connections only (tcp_proxy has its own max_downstream_connection_duration).
        maxConnectionDurationMs: kind === 'http' ? this.httpOptions.maxConnectionDurationMs : 0,
        tcpKeepaliveMs: this.config.tcpKeepaliveMs,
        connect: this.deps.connect,
        now: this.deps.now,
        halfOpen: kind === 'tcp',
        transport: this.transport,
        userReads: kind !== 'tcp',
        // Connection and pending limits come from the default priority (Envoy keeps a pool per priority).
        resources: this.resources.DEFAULT,
      });
      if (this.closed) p.close();
      else pools.set(host, p);
    }
    return p;
  }

  /**
   * The protocol of upstream requests for a downstream request of `downstreamProtocol` ('HTTP/1.0' | 'HTTP/1.1' |
   * 'HTTP/2'): the configured one, or the downstream's with use_downstream_protocol_config.
   */
  upstreamProtocol(downstreamProtocol: string): 'HTTP/1.1' | 'HTTP/2' {
    const p = this.httpOptions.protocol;
    if (p === 'http2' || (p === 'downstream' && downstreamProtocol === 'HTTP/2')) return 'HTTP/2';
    return 'HTTP/1.1';
  }

  /** The HTTP/2 stream pool of a host of this cluster (an HttpStreamPool), created on first use. */
  http2Pool(host: Host): Http2Pool {
    let p = this.h2Pools.get(host);
    if (p === undefined) {
      const connect = this.deps.connect;
      p = new Http2Pool({
        host,
        stats: this.stats,
        connectTimeoutMs: this.connectTimeoutMs,
        idleTimeoutMs: this.httpOptions.idleTimeoutMs,
        maxRequestsPerConnection: this.httpOptions.maxRequestsPerConnection,
        maxConnectionDurationMs: this.httpOptions.maxConnectionDurationMs,
        http2: this.httpOptions.http2,
        bufferLimitBytes: this.perConnectionBufferLimitBytes,
        codecStats: (this.h2CodecStats ??= http2CodecStats(this.deps.scope.scope(`cluster.${this.config.statName}`))),
        connect: connect ?? (this.transport !== undefined ? tlsConnect(this.transport, this.config.tcpKeepaliveMs) : this.config.tcpKeepaliveMs !== undefined ? keepaliveConnect(this.config.tcpKeepaliveMs) : undefined),
        now: this.deps.now,
      });
      if (this.closed) p.close();
      else this.h2Pools.set(host, p);
    }
    return p;
  }

  onHostsChanged(listener: HostsChangedListener): () => void {
    return this.prioritySet.onHostsChanged(listener);
  }

  /** Call after changing `healthy`/`degraded` on hosts (health checks, EDS): recomputes load split and pickers. */
  refreshHealth(): void {
    this.prioritySet.refreshHealth();
    this.lb.refresh(this.prioritySet.hostSets);
    this.updateMembershipGauges();
  }

  /**
   * The local cluster (`cluster_manager.local_cluster_name`): with `zone_aware_lb_config`, its hosts' localities
   * steer this cluster's traffic; its membership and health changes recompute the routing.
   */
  setLocalCluster(local: Cluster | undefined): void {
    this.unsubscribeLocal?.();
    this.unsubscribeLocal = undefined;
    this.localCluster = local;
    if (local !== undefined && this.config.lb.zoneAware !== undefined) {
      this.unsubscribeLocal = local.onHostsChanged(() => this.lb.refresh(this.prioritySet.hostSets));
    }
    this.lb.refresh(this.prioritySet.hostSets);
  }

  /** Whether an EDS cluster got its first ClusterLoadAssignment (other types: always). */
  get hasEndpoints(): boolean {
    return this.type !== 'EDS' || this.edsApplied;
  }

  /**
   * EDS: the hosts become the assignment's. A host whose address, port, priority, weight, locality and health are
   * unchanged is kept with its connection pools; removed hosts' pools finish their requests.
   */
  applyLoadAssignment(la: LoadAssignment): void {
    if (this.closed) return;
    const byKey = new Map<string, Host>();
    for (const h of this.prioritySet.hosts()) byKey.set(hostKey(h.address, h.port, h.priority, h.weight, h.locality, isHealthy(h), isDegraded(h), h.labels), h);
    const hosts: Host[] = la.endpoints.map((e) => byKey.get(hostKey(e.address, e.port, e.priority, e.weight, e.locality, e.healthy, e.degraded, e.labels)) ?? hostFrom(e, e.address, e.hostname));
    this.setHosts(hosts);
    this.stats.update_success.inc();
    this.edsApplied = true;
    this.initDone?.();
  }

  /** Closes the cluster once the requests on its pools have finished (a removed CDS cluster), or after `maxMs`. */
  closeWhenIdle(maxMs: number): void {
    this.originalDst?.close();
    this.outlierDetector?.close();
    this.healthChecker?.close();
    for (const ep of this.endpoints) ep.target.stop();
    const all = [...this.pools.values(), ...this.tcpPools.values(), ...this.rpcPools.values(), ...this.drainingPools];
    for (const p of all) p.drain();
    const deadline = monotonicNow() + maxMs;
    const check = (): void => {
      if (this.closed) return;
      if (all.every((p) => p.isEmpty) || monotonicNow() >= deadline) this.close();
      else setTimeout(check, 100).unref();
    };
    check();
  }

  /** Stops DNS refreshes and closes every connection pool. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.originalDst?.close();
    this.unsubscribeLocal?.();
    this.outlierDetector?.close();
    this.healthChecker?.close();
    for (const ep of this.endpoints) ep.target.stop();
    for (const p of this.pools.values()) p.close();
    for (const p of this.tcpPools.values()) p.close();
    for (const p of this.rpcPools.values()) p.close();
    for (const p of this.h2Pools.values()) p.close();
    for (const p of this.drainingPools) p.close();
    this.pools.clear();
    this.tcpPools.clear();
    this.rpcPools.clear();
    this.h2Pools.clear();
    this.drainingPools.clear();
    this.initDone?.();
  }

  private onResolved(ep: ResolvedEndpoint, addresses: string[] | undefined): void {
    if (this.closed) return;
    if (addresses === undefined) {
      // Keep the previous hosts.
      this.stats.update_failure.inc();
    } else {
      this.stats.update_success.inc();
      const changed = this.type === 'LOGICAL_DNS' ? this.applyLogical(ep, addresses) : this.applyStrict(ep, addresses);
      if (!changed) this.stats.update_no_rebuild.inc();
    }
    if (!ep.reported) {
      ep.reported = true;
      if (this.endpoints.every((e) => e.reported)) this.initDone?.();
    }
  }

  /** LOGICAL_DNS: one host whose address follows the first answer; existing connections keep theirs. */
  private applyLogical(ep: ResolvedEndpoint, addresses: string[]): boolean {
    const first = addresses[0] as string;
    if (this.logicalHost === undefined) {
      this.logicalHost = hostFrom(ep.spec, first, ep.spec.hostname || ep.spec.address);
      this.setHosts([this.logicalHost]);
      return true;
    }
    if (this.logicalHost.address === first) return false;
    this.logicalHost.setAddress(first);
    return true;
  }

  /** STRICT_DNS: one host per answer, reusing the Host of every address still present. */
  private applyStrict(ep: ResolvedEndpoint, addresses: string[]): boolean {
    const unique = [...new Set(addresses)];
    const old = ep.hosts;
    if (unique.length === old.length && unique.every((a, i) => old[i]?.address === a)) return false;
    const byAddress = new Map(old.map((h) => [h.address, h]));
    const hostname = ep.spec.hostname || ep.spec.address;
    ep.hosts = unique.map((a) => byAddress.get(a) ?? hostFrom(ep.spec, a, hostname));
    const all: Host[] = [];
    for (const e of this.endpoints) for (const h of e.hosts) all.push(h);
    this.setHosts(all);
    return true;
  }

  private setHosts(hosts: readonly Host[]): void {
    const before = new Set(this.prioritySet.hosts());
    if (this.healthChecker !== undefined) {
      // Envoy: with a health checker, new hosts start failed; DNS-added ones may also wait for their first check.
      const pending = this.type !== 'STATIC' && this.config.ignoreNewHostsUntilFirstHc === true ? HealthFlag.PENDING_ACTIVE_HC : 0;
      for (const h of hosts) if (!before.has(h)) h.healthFlags |= HealthFlag.FAILED_ACTIVE_HC | pending;
    }
    this.prioritySet.update(hosts);
    this.lb.refresh(this.prioritySet.hostSets);
    const after = new Set(hosts);
    let changed = before.size !== after.size;
    for (const h of before) {
      if (!after.has(h)) {
        changed = true;
        for (const pools of [this.pools, this.tcpPools, this.rpcPools, this.h2Pools] as Array<Map<Host, ConnectionPool | Http2Pool>>) {
          const p = pools.get(h);
          if (p === undefined) continue;
          // Let requests in flight finish; new ones cannot pick this host any more.
          p.drain();
          pools.delete(h);
          this.drainingPools.add(p);
        }
      }
    }
    for (const p of this.drainingPools) if (p.isEmpty) this.drainingPools.delete(p);
    if (!changed) for (const h of after) if (!before.has(h)) changed = true;
    if (changed) {
      this.stats.membership_change.inc();
      if (this.config.closeConnectionsOnHostSetChange) {
        for (const p of this.pools.values()) p.drain();
        for (const p of this.h2Pools.values()) p.drain();
      }
    }
    this.updateMembershipGauges();
  }

  private updateMembershipGauges(): void {
    const hosts = this.prioritySet.hosts();
    let healthy = 0;
    let degraded = 0;
    let excluded = 0;
    let maxWeight = 0;
    for (const h of hosts) {
      if (h.excluded) excluded++;
      else if (isHealthy(h)) healthy++;
      else if (isDegraded(h)) degraded++;
      if (h.weight > maxWeight) maxWeight = h.weight;
    }
    this.stats.membership_total.set(hosts.length);
    this.stats.membership_healthy.set(healthy);
    this.stats.membership_degraded.set(degraded);
    this.stats.membership_excluded.set(excluded);
    this.stats.max_host_weight.set(maxWeight);
  }
}

function hostKey(address: string, port: number, priority: number, weight: number, l: Locality, healthy: boolean, degraded: boolean, labels: ReadonlyMap<string, string>): string {
  let key = `${address}|${port}|${priority}|${weight}|${l.region}|${l.zone}|${l.subZone}|${healthy ? 1 : 0}${degraded ? 1 : 0}`;
  for (const [k, v] of labels) key += `|${k}=${v}`;
  return key;
}

/**
 * TLS for HTTP/2 sessions: the transport's socket, checked after its handshake like the HTTP/1 pool does (a
 * failed verification destroys the socket: the session fails to connect with Envoy's transport failure reason).
 */
function tlsConnect(transport: UpstreamTransport, keepaliveMs: number | undefined): (host: Host) => Socket {
  return (host) => {
    const socket = transport.connect(host.address, host.port, false, undefined);
    if (keepaliveMs !== undefined) socket.setKeepAlive(true, keepaliveMs);
    socket.once('secureConnect', () => {
      const reason = transport.verify(socket);
      if (reason !== undefined) socket.destroy(new Error(reason));
    });
    return socket;
  };
}

/** `upstream_connection_options.tcp_keepalive` for HTTP/2 sessions' sockets. */
function keepaliveConnect(keepaliveMs: number): (host: Host) => Socket {
  return (host) => {
    const socket = netConnect({ host: host.address, port: host.port });
    socket.setKeepAlive(true, keepaliveMs);
    return socket;
  };
}
