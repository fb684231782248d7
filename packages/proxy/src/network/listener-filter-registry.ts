import type net from 'node:net';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { ListenerFilter__Output } from '@weft/api/envoy/envoy/config/listener/v3/ListenerFilter.js';
import { typedConfigOf } from '../config/typed-config.js';
import type { FactoryContext } from '../server/factory-context.js';
import type { ConnectionMeta } from './filter-chain-match.js';

export type MutableConnectionMeta = { -readonly [K in keyof ConnectionMeta]: ConnectionMeta[K] };

/** What a listener filter sees of a connection that has no filter chain yet. */
export interface ListenerFilterCallbacks {
  readonly socket: net.Socket;
  /** Filled by filters (SNI, ALPN, transport protocol, original destination) before filter chain selection. */
  readonly meta: MutableConnectionMeta;
  /** The filter is done: `true` continues with the next filter, `false` closes the connection. Call once. */
  next(ok: boolean): void;
  /** The peer closed before the filter was done: the connection is closed (and counted). */
  peerClosed(): void;
}

/** Per-connection state of a listener filter that is still waiting (for bytes). */
export interface ListenerFilterWait {
  /** The listener filter timeout fired: stop reading and give back any bytes read (the connection may go on). */
  abort(): void;
}

export interface ListenerFilter {
  /**
   * Inspects a new connection. Filters that read must put the bytes back (`socket.unshift`) and leave the socket
   * paused. Returns the wait handle when `next` will be called later, undefined when it was already called.
   */
  onAccept(cb: ListenerFilterCallbacks): ListenerFilterWait | undefined;
}

export interface ListenerFilterFactory {
  /** Full proto name of the config message. */
  readonly configType: string;
  /** Well-known names (used when typed_config is absent). */
  readonly names: readonly string[];
  create(config: Record<string, unknown> | undefined, path: string, ctx: FactoryContext): ListenerFilter;
}

const byType = new Map<string, ListenerFilterFactory>();
const byName = new Map<string, ListenerFilterFactory>();

export function registerListenerFilter(factory: ListenerFilterFactory): void {
  byType.set(factory.configType, factory);
  for (const n of factory.names) byName.set(n, factory);
}

export interface CompiledListenerFilter {
  readonly name: string;
  readonly configType: string;
  readonly filter: ListenerFilter;
}

export function createListenerFilters(filters: readonly ListenerFilter__Output[], path: string, ctx: FactoryContext): CompiledListenerFilter[] {
  return filters.map((f, i) => {
    const p = joinPath(joinPath(path, 'listener_filters'), i);
    if (f.filter_disabled) throw new ConfigError(joinPath(p, 'filter_disabled'), 'is not supported yet');
    if (f.config_discovery) throw new ConfigError(joinPath(p, 'config_discovery'), 'is not supported yet');
    let factory: ListenerFilterFactory | undefined;
    let value: Record<string, unknown> | undefined;
    if (f.typed_config) {
      const tc = typedConfigOf(f, p);
      factory = byType.get(tc.typeName);
      value = tc.value;
      if (!factory) throw new ConfigError(joinPath(p, 'typed_config.@type'), `unsupported listener filter '${f.name}' (${tc.typeName})`);
    } else {
      factory = byName.get(f.name);
      if (!factory) throw new ConfigError(joinPath(p, 'name'), `unsupported listener filter '${f.name}'`);
    }
    return { name: f.name, configType: factory.configType, filter: factory.create(value, joinPath(p, 'typed_config'), ctx) };
  });
}
