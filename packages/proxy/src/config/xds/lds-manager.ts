import { ConfigError, joinPath } from '@weft/api/lite';
import type { Listener__Output } from '@weft/api/envoy/envoy/config/listener/v3/Listener.js';
import type { Counter, Gauge, Scope } from '../../interfaces/stats.js';
import { ActiveListener, ListenerConfig } from '../../network/listener.js';
import type { FactoryContext } from '../../server/factory-context.js';
import { logger } from '../../server/logger.js';
import type { RdsRegistry } from './rds-registry.js';
import { versionHash } from './version-hash.js';
import type { XdsUpdate } from './xds-types.js';

interface DynamicListener {
  readonly config: ListenerConfig;
  /** RDS providers its HCMs use (it warms until they all have a route table). */
  readonly rdsKeys: ReadonlySet<string>;
  readonly version: string;
  readonly lastUpdated: string;
}

export interface LdsDeps {
  readonly ctx: FactoryContext;
  readonly rds: RdsRegistry;
  readonly scope: Scope;
  /** Bound listeners by name (shared with the server). */
  readonly listeners: Map<string, ActiveListener>;
  /** Whether this process binds sockets (false in the main process of a multi-worker proxy). */
  readonly serveTraffic: boolean;
  readonly drainMs: number;
  readonly staticNames: ReadonlySet<string>;
  readonly onChange: () => void;
}

/**
 * LDS: new and changed listeners warm until their RDS route tables arrived, then start (a changed listener with the
 * same address takes new connections with its new filter chains while the old connections drain); removed
 * listeners drain and close.
 */
export class LdsManager {
  readonly active = new Map<string, DynamicListener>();
  readonly warming = new Map<string, DynamicListener>();
  private readonly updateAttempt: Counter;
  private readonly updateSuccess: Counter;
  private readonly updateRejected: Counter;
  private readonly version: Gauge;
  private readonly added: Counter;
  private readonly modified: Counter;
  private readonly removed: Counter;
  private readonly warmingGauge: Gauge;
  private readonly activeGauge: Gauge;

  constructor(private readonly deps: LdsDeps) {
    const lm = deps.scope.scope('listener_manager');
    const lds = lm.scope('lds');
    this.updateAttempt = lds.counter('update_attempt');
    this.updateSuccess = lds.counter('update_success');
    this.updateRejected = lds.counter('update_rejected');
    this.version = lds.gauge('version', 'never');
    this.added = lm.counter('listener_added');
    this.modified = lm.counter('listener_modified');
    this.removed = lm.counter('listener_removed');
    this.warmingGauge = lm.gauge('total_listeners_warming', 'never');
    this.activeGauge = lm.gauge('total_listeners_active', 'never');
  }

  applyListeners(update: XdsUpdate): void {
    this.updateAttempt.inc();
    const built: DynamicListener[] = [];
    const lastUpdated = new Date().toISOString();
    try {
      for (const r of update.upserts) {
        const source = r.resource as Listener__Output;
        const path = `listener[${JSON.stringify(r.name)}]`;
        if (this.deps.staticNames.has(r.name)) throw new ConfigError(joinPath(path, 'name'), `'${r.name}' is a static listener`);
        const current = this.warming.get(r.name) ?? this.active.get(r.name);
        if (current && current.config.hash === JSON.stringify(source)) continue;
        const { value, keys } = this.deps.rds.collect(() => new ListenerConfig(source, path, this.deps.ctx));
        built.push({ config: value, rdsKeys: keys, version: update.version || r.version, lastUpdated });
      }
    } catch (err) {
      this.updateRejected.inc();
      this.retainRoutes();
      throw err;
    }
    for (const name of update.removes) {
      this.warming.delete(name);
      if (!this.active.delete(name)) continue;
      this.removed.inc();
      const l = this.deps.listeners.get(name);
      if (l) {
        this.deps.listeners.delete(name);
        void l.drain(this.deps.drainMs).then(() => l.close());
      }
    }
    for (const l of built) this.warming.set(l.config.name, l);
    this.retainRoutes();
    this.updateSuccess.inc();
    this.version.set(versionHash(update.version));
    this.onRoutesChanged();
  }

  /** Promotes warming listeners whose route tables are all there. */
  onRoutesChanged(): void {
    for (const l of [...this.warming.values()]) if (this.deps.rds.ready(l.rdsKeys)) this.promote(l);
    this.warmingGauge.set(this.warming.size);
    this.activeGauge.set(this.active.size + this.deps.staticNames.size);
    this.deps.onChange();
  }

  dump(): Record<string, unknown> {
    const entry = (state: 'active_state' | 'warming_state') => (l: DynamicListener) => ({
      name: l.config.name,
      [state]: { version_info: l.version, listener: l.config.source, last_updated: l.lastUpdated },
    });
    return {
      version_info: '',
      dynamic_listeners: [...[...this.active.values()].map(entry('active_state')), ...[...this.warming.values()].map(entry('warming_state'))],
    };
  }

  private retainRoutes(): void {
    const keys = new Set<string>();
    for (const m of [this.active, this.warming]) for (const l of m.values()) for (const k of l.rdsKeys) keys.add(k);
    this.deps.rds.retain(keys);
  }

  private promote(l: DynamicListener): void {
    const name = l.config.name;
    this.warming.delete(name);
    if (this.active.has(name)) this.modified.inc();
    else this.added.inc();
    this.active.set(name, l);
    if (!this.deps.serveTraffic) return;
    const existing = this.deps.listeners.get(name);
    const sameAddress = existing && existing.listenerConfig.address.host === l.config.address.host && existing.listenerConfig.address.port === l.config.address.port;
    if (existing && sameAddress) {
      existing.updateAndDrainOld(l.config, this.deps.drainMs);
      return;
    }
    if (existing) void existing.drain(this.deps.drainMs).then(() => existing.close());
    const active = new ActiveListener(l.config, this.deps.ctx, this.deps.listeners);
    this.deps.listeners.set(name, active);
    active.listen().catch((err: unknown) => {
      logger().error({ err, listener: name }, 'cannot bind LDS listener');
      if (this.deps.listeners.get(name) === active) this.deps.listeners.delete(name);
    });
  }
}
