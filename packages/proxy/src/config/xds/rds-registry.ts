import type { RouteConfiguration__Output } from '@weft/api/envoy/envoy/config/route/v3/RouteConfiguration.js';
import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';
import type { Runtime } from '../../interfaces/runtime.js';
import type { TypedRouteProvider, TypedRouteSubscriptions } from '../../interfaces/typed-routes.js';
import type { RdsSubscriptions, RouteProvider } from '../../http/route-provider.js';
import { compileRouteConfiguration, type RouteTable, type StripPortMode } from '../../router/route-table.js';
import { versionHash } from './version-hash.js';
import { ROUTE_TYPE, type XdsUpdate } from './xds-types.js';

interface RdsStats {
  readonly configReload: Counter;
  readonly updateAttempt: Counter;
  readonly updateSuccess: Counter;
  readonly updateRejected: Counter;
  readonly version: Gauge;
}

/**
 * One subscriber's view of a route configuration name of one resource type: an HCM's (keyed by name, strip-port
 * mode and stat prefix) or another filter's (the rpc_proxy's, keyed by name and stat scope).
 */
class RdsRouteProvider<T> implements TypedRouteProvider<T> {
  table: T | undefined;
  version = '';
  lastUpdated = '';
  source: unknown;

  constructor(
    readonly typeUrl: string,
    readonly name: string,
    readonly compile: (resource: unknown) => T,
    readonly stats: RdsStats,
  ) {}
}

export interface AcceptedRoute {
  readonly resource: unknown;
  readonly version: string;
  readonly lastUpdated: string;
}

const resourceKey = (typeUrl: string, name: string): string => `${typeUrl}\u0000${name}`;

/**
 * RDS: route tables by name for HCMs with `rds` (and rpc_proxy filters with theirs, another resource type). An
 * update compiles every provider of every resource first and swaps them in only when all compiled (a bad route
 * config changes nothing); streams and calls keep the table they started with.
 */
export class RdsRegistry implements RdsSubscriptions, TypedRouteSubscriptions {
  private readonly providers = new Map<string, RdsRouteProvider<unknown>>();
  private readonly accepted = new Map<string, AcceptedRoute>();
  /** Provider keys subscribed by the listener being compiled (see collect). */
  private collecting: Set<string> | undefined;

  constructor(
    private readonly scope: Scope,
    private readonly runtime: Runtime,
  ) {}

  subscribe(routeConfigName: string, stripPortMode: StripPortMode, statPrefix: string): RouteProvider {
    const key = `${routeConfigName}\u0000${stripPortMode}\u0000${statPrefix}`;
    const compile = (resource: unknown): RouteTable => this.compileHttp(stripPortMode, resource as RouteConfiguration__Output);
    return this.provider(key, ROUTE_TYPE, routeConfigName, `http.${statPrefix}`, compile);
  }

  subscribeTyped<T>(typeUrl: string, routeConfigName: string, statScope: string, compile: (resource: unknown, path: string) => T): TypedRouteProvider<T> {
    const key = `${typeUrl}\u0000${routeConfigName}\u0000${statScope}`;
    return this.provider(key, typeUrl, routeConfigName, statScope, (r) => compile(r, `route_config[${JSON.stringify(routeConfigName)}]`));
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

  /** Route configuration names of `typeUrl` to subscribe to. */
  names(typeUrl: string = ROUTE_TYPE): string[] {
    const out = new Set<string>();
    for (const p of this.providers.values()) if (p.typeUrl === typeUrl) out.add(p.name);
    return [...out];
  }

  /** Validates and applies an RDS update; throws (NACK) without changing anything when one resource is invalid. */
  apply(update: XdsUpdate): void {
    const staged: Array<[RdsRouteProvider<unknown>, unknown, AcceptedRoute]> = [];
    const lastUpdated = new Date().toISOString();
    for (const r of update.upserts) {
      const accepted: AcceptedRoute = { resource: r.resource, version: update.version || r.version, lastUpdated };
      for (const p of this.providers.values()) {
        if (p.name !== r.name || p.typeUrl !== update.typeUrl) continue;
        p.stats.updateAttempt.inc();
        try {
          staged.push([p, p.compile(r.resource), accepted]);
        } catch (err) {
          for (const q of this.providers.values()) if (q.name === r.name && q.typeUrl === update.typeUrl) q.stats.updateRejected.inc();
          throw err;
        }
      }
    }
    for (const r of update.upserts) this.accepted.set(resourceKey(update.typeUrl, r.name), { resource: r.resource, version: update.version || r.version, lastUpdated });
    for (const n of update.removes) this.accepted.delete(resourceKey(update.typeUrl, n));
    for (const [p, table, accepted] of staged) this.install(p, table, accepted);
  }

  /** Envoy's RoutesConfigDump dynamic_route_configs (HTTP route configurations only, like Envoy's). */
  dump(): Array<Record<string, unknown>> {
    const prefix = resourceKey(ROUTE_TYPE, '');
    return [...this.accepted].filter(([k]) => k.startsWith(prefix)).map(([, a]) => ({ version_info: a.version, route_config: a.resource, last_updated: a.lastUpdated }));
  }

  private provider<T>(key: string, typeUrl: string, name: string, statScope: string, compile: (resource: unknown) => T): RdsRouteProvider<T> {
    this.collecting?.add(key);
    let p = this.providers.get(key) as RdsRouteProvider<T> | undefined;
    if (p === undefined) {
      const s = this.scope.scope(`${statScope}.rds.${name}`);
      p = new RdsRouteProvider<T>(typeUrl, name, compile, {
        configReload: s.counter('config_reload'),
        updateAttempt: s.counter('update_attempt'),
        updateSuccess: s.counter('update_success'),
        updateRejected: s.counter('update_rejected'),
        version: s.gauge('version', 'never'),
      });
      this.providers.set(key, p as RdsRouteProvider<unknown>);
      const known = this.accepted.get(resourceKey(typeUrl, name));
      if (known) this.install(p, p.compile(known.resource), known);
    }
    return p;
  }

  private compileHttp(stripPortMode: StripPortMode, resource: RouteConfiguration__Output): RouteTable {
    return compileRouteConfiguration(resource, `route_config[${JSON.stringify(resource.name)}]`, {
      runtime: this.runtime,
      stripPortMode,
      validateClustersDefault: false,
      stats: this.scope,
    });
  }

  private install<T>(p: RdsRouteProvider<T>, table: T, accepted: AcceptedRoute): void {
    p.table = table;
    p.source = accepted.resource;
    p.version = accepted.version;
    p.lastUpdated = accepted.lastUpdated;
    p.stats.configReload.inc();
    p.stats.updateSuccess.inc();
    p.stats.version.set(versionHash(accepted.version));
  }
}
