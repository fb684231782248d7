import type { Socket } from 'node:net';
import type { Runtime } from '../interfaces/runtime.js';
import type { Scope } from '../interfaces/stats.js';
import { createClusterStats, type ClusterStats } from './cluster-stats.js';
import { ConnectionPool } from './connection-pool.js';
import { systemResolver, type DnsResolver } from './dns-resolver.js';
import { DnsTarget, type DnsRefreshPolicy } from './dns-target.js';
import type { EndpointSpec, LoadAssignment } from './endpoints.js';
import { HostImpl, isDegraded, isHealthy, type Host } from './host.js';
import type { LbFactory } from './lb-factory.js';
import { randomUint32, type LbContext, type LoadBalancer, type PriorityLoadBalancer } from './load-balancers/base.js';
import { PrioritySet, type HostsChangedListener } from './priority-set.js';
import type { ClusterHttpOptions } from './protocol-options.js';
import type { UpstreamTransport } from '../interfaces/transport-socket.js';
import type { UpstreamTls } from '../tls/upstream-tls.js';
import type { SecretStore } from '../tls/secret-store.js';

export type ClusterType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS';

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
  /** `transport_socket` with an UpstreamTlsContext; undefined = plain TCP. */
  readonly tls?: UpstreamTls | undefined;
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
  private readonly pools = new Map<Host, ConnectionPool>();
  private readonly transport: UpstreamTransport | undefined;
  /** tcp_proxy's pools: separate, as in Envoy, and half-open capable. */
  private readonly tcpPools = new Map<Host, ConnectionPool>();
  /** Pools of removed hosts, finishing their requests; closed with the cluster. */
  private readonly drainingPools = new Set<ConnectionPool>();
  private readonly endpoints: ResolvedEndpoint[] = [];
  private logicalHost: HostImpl | undefined;
  private initPromise: Promise<void> | undefined;
  private initDone: (() => void) | undefined;
  private closed = false;

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
    this.transport = config.tls?.bind(scope);
    const la = config.loadAssignment;
    this.prioritySet = new PrioritySet(la.overprovisioningFactor, la.weightedPriorityHealth);
    const threshold = config.lb.panicThreshold;
    const runtime = deps.runtime;
    this.lb = config.lb.create({
      random: deps.random ?? randomUint32,
      lbHealthyPanic: this.stats.lb_healthy_panic,
      panicThreshold: runtime ? () => runtime.getNumber('upstream.healthy_panic_threshold', threshold) : () => threshold,
    });
    this.lb.refresh(this.prioritySet.hostSets);
    if (config.type === 'STATIC') {
      this.setHosts(la.endpoints.map((e) => hostFrom(e, e.address, e.hostname)));
    }
  }

  /** A host for a new request, or undefined (the caller answers 503 with the UH flag). */
  chooseHost(ctx?: LbContext): Host | undefined {
    const h = this.lb.chooseHost(ctx);
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
    if (this.type === 'STATIC' || this.config.loadAssignment.endpoints.length === 0 || this.closed) {
      this.initPromise = Promise.resolve();
      return this.initPromise;
    }
    this.initPromise = new Promise<void>((resolve) => {
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
    return this.initPromise;
  }

  /** The connection pool of a host of this cluster, created on first use ('tcp' for tcp_proxy). */
  pool(host: Host, kind: 'http' | 'tcp' = 'http'): ConnectionPool {
    const pools = kind === 'tcp' ? this.tcpPools : this.pools;
    let p = pools.get(host);
    if (p === undefined) {
      p = new ConnectionPool({
        host,
        stats: this.stats,
        connectTimeoutMs: this.connectTimeoutMs,
        idleTimeoutMs: this.httpOptions.idleTimeoutMs,
        maxRequestsPerConnection: this.httpOptions.maxRequestsPerConnection,
        tcpKeepaliveMs: this.config.tcpKeepaliveMs,
        connect: this.deps.connect,
        now: this.deps.now,
        halfOpen: kind === 'tcp',
        transport: this.transport,
        userReads: kind === 'http',
      });
      if (this.closed) p.close();
      else pools.set(host, p);
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

  /** Stops DNS refreshes and closes every connection pool. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ep of this.endpoints) ep.target.stop();
    for (const p of this.pools.values()) p.close();
    for (const p of this.tcpPools.values()) p.close();
    for (const p of this.drainingPools) p.close();
    this.pools.clear();
    this.tcpPools.clear();
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
    this.prioritySet.update(hosts);
    this.lb.refresh(this.prioritySet.hostSets);
    const after = new Set(hosts);
    let changed = before.size !== after.size;
    for (const h of before) {
      if (!after.has(h)) {
        changed = true;
        for (const pools of [this.pools, this.tcpPools]) {
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
      if (this.config.closeConnectionsOnHostSetChange) for (const p of this.pools.values()) p.drain();
    }
    this.updateMembershipGauges();
  }

  private updateMembershipGauges(): void {
    const hosts = this.prioritySet.hosts();
    let healthy = 0;
    let degraded = 0;
    let maxWeight = 0;
    for (const h of hosts) {
      if (isHealthy(h)) healthy++;
      else if (isDegraded(h)) degraded++;
      if (h.weight > maxWeight) maxWeight = h.weight;
    }
    this.stats.membership_total.set(hosts.length);
    this.stats.membership_healthy.set(healthy);
    this.stats.membership_degraded.set(degraded);
    this.stats.max_host_weight.set(maxWeight);
  }
}
