import type { RouteConfiguration__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteConfiguration.js';
import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';
import type { Runtime } from '../../interfaces/runtime.js';
import type { RdsSubscriptions, RouteProvider } from '../../http/route-provider.js';
import { compileRouteConfiguration, type RouteTable, type StripPortMode } from '../../router/route-table.js';
import { versionHash } from './version-hash.js';
import type { XdsUpdate } from './xds-types.js';

interface RdsStats {
  readonly configReload: Counter;
  readonly updateAttempt: Counter;
  readonly updateSuccess: Counter;
  readonly updateRejected: Counter;
  readonly version: Gauge;
}

/** One HCM's view of a route configuration name (keyed by name, strip-port mode and stat prefix). */
class RdsRouteProvider implements RouteProvider {
  table: RouteTable | undefined;
  version = '';
  lastUpdated = '';
  source: RouteConfiguration__Output | undefined;

  constructor(
    readonly name: string,
    readonly stripPortMode: StripPortMode,
    readonly stats: RdsStats,
  ) {}
}

export interface AcceptedRoute {
  readonly resource: RouteConfiguration__Output;
  readonly version: string;
  readonly lastUpdated: string;
}

/**
 * RDS: route tables by name for HCMs with `rds`. An update compiles every provider of every resource first and
 * swaps them in only when all compiled (a bad route config changes nothing); streams keep the table they started with.
 */
export class RdsRegistry implements RdsSubscriptions {
  private readonly providers = new Map<string, RdsRouteProvider>();
  private readonly accepted = new Map<string, AcceptedRoute>();
  /** Provider keys subscribed by the listener being compiled (see collect). */
  private collecting: Set<string> | undefined;

  constructor(
    private readonly scope: Scope,
    private readonly runtime: Runtime,
  ) {}

  subscribe(routeConfigName: string, stripPortMode: StripPortMode, statPrefix: string): RouteProvider {
    const key = `${routeConfigName}\u0000${stripPortMode}\u0000${statPrefix}`;
    this.collecting?.add(key);
    let p = this.providers.get(key);
    if (p === undefined) {
      const s = this.scope.scope(`http.${statPrefix}.rds.${routeConfigName}`);
      p = new RdsRouteProvider(routeConfigName, stripPortMode, {
        configReload: s.counter('config_reload'),
        updateAttempt: s.counter('update_attempt'),
        updateSuccess: s.counter('update_success'),
        updateRejected: s.counter('update_rejected'),
        version: s.gauge('version', 'never'),
      });
      this.providers.set(key, p);
      const known = this.accepted.get(routeConfigName);
      if (known) this.install(p, this.compile(p, known.resource), known);
    }
    return p;
  }

  /** Runs `build` (a listener compile) and returns the provider keys it subscribed to. */
  collect<T>(build: () => T): { value: T; keys: Set<string> } {
    const keys = new Set<string>();
    this.collecting = keys;
    try {
      return { value: build(), keys };
    } finally {
      this.collecting = undefined;
    }
  }

  /** Whether every provider of `keys` has a route table. */
  ready(keys: Iterable<string>): boolean {
    for (const k of keys) if (this.providers.get(k)?.table === undefined) return false;
    return true;
  }

  /** Drops providers no listener uses any more. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of this.providers.keys()) if (!keys.has(k)) this.providers.delete(k);
  }

  /** Route configuration names to subscribe to. */
  names(): string[] {
    return [...new Set([...this.providers.values()].map((p) => p.name))];
  }

  /** Validates and applies an RDS update; throws (NACK) without changing anything when one resource is invalid. */
  apply(update: XdsUpdate): void {
    const staged: Array<[RdsRouteProvider, RouteTable, AcceptedRoute]> = [];
    const lastUpdated = new Date().toISOString();
    for (const r of update.upserts) {
      const resource = r.resource as RouteConfiguration__Output;
      const accepted: AcceptedRoute = { resource, version: update.version || r.version, lastUpdated };
      for (const p of this.providers.values()) {
        if (p.name !== r.name) continue;
        p.stats.updateAttempt.inc();
        try {
          staged.push([p, this.compile(p, resource), accepted]);
        } catch (err) {
          for (const q of this.providers.values()) if (q.name === r.name) q.stats.updateRejected.inc();
          throw err;
        }
      }
    }
    for (const r of update.upserts) this.accepted.set(r.name, { resource: r.resource as RouteConfiguration__Output, version: update.version || r.version, lastUpdated });
    for (const n of update.removes) this.accepted.delete(n);
    for (const [p, table, accepted] of staged) this.install(p, table, accepted);
  }

  /** Envoy's RoutesConfigDump dynamic_route_configs. */
  dump(): Array<Record<string, unknown>> {
    return [...this.accepted.values()].map((a) => ({ version_info: a.version, route_config: a.resource, last_updated: a.lastUpdated }));
  }

  private compile(p: RdsRouteProvider, resource: RouteConfiguration__Output): RouteTable {
    return compileRouteConfiguration(resource, `route_config[${JSON.stringify(resource.name)}]`, {
      runtime: this.runtime,
      stripPortMode: p.stripPortMode,
      validateClustersDefault: false,
      stats: this.scope,
    });
  }

  private install(p: RdsRouteProvider, table: RouteTable, accepted: AcceptedRoute): void {
    p.table = table;
    p.source = accepted.resource;
    p.version = accepted.version;
    p.lastUpdated = accepted.lastUpdated;
    p.stats.configReload.inc();
    p.stats.updateSuccess.inc();
    p.stats.version.set(versionHash(accepted.version));
  }
}
