import { ConfigError, joinPath } from '@weft/api/lite';
import type { FilterChain__Output } from '@weft/api/envoy/envoy/config/listener/v3/FilterChain.js';
import type { NetworkFilterHandler } from '../interfaces/network-filter.js';
import type { FactoryContext } from '../server/factory-context.js';
import { typedConfigOf } from '../config/typed-config.js';

/** A network filter extension: parses its typed_config once, returns the per-connection handler. */
export interface NetworkFilterFactory {
  /** Full proto name of the config message, e.g. `envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`. */
  readonly configType: string;
  /** Well-known filter names (used when typed_config is absent). */
  readonly names: readonly string[];
  /** Terminal filters own the connection; only terminal filters exist so far. */
  readonly terminal: true;
  create(config: unknown, path: string, ctx: FactoryContext): NetworkFilterHandler;
}

const byType = new Map<string, NetworkFilterFactory>();

export function registerNetworkFilter(factory: NetworkFilterFactory): void {
  byType.set(factory.configType, factory);
}

export function createNetworkFilterChain(chain: FilterChain__Output, path: string, ctx: FactoryContext): NetworkFilterHandler {
  const filtersPath = joinPath(path, 'filters');
  if (chain.filters.length === 0) throw new ConfigError(filtersPath, 'a filter chain needs at least one network filter');
  if (chain.filters.length > 1) {
    throw new ConfigError(joinPath(filtersPath, 0), 'only a single terminal network filter per chain is supported yet');
  }
  const filter = chain.filters[0];
  if (!filter) throw new ConfigError(filtersPath, 'is empty');
  const p = joinPath(filtersPath, 0);
  const { typeName, value } = typedConfigOf(filter, p);
  const factory = byType.get(typeName);
  if (!factory) throw new ConfigError(joinPath(p, 'typed_config.@type'), `unsupported network filter '${filter.name}' (${typeName})`);
  return factory.create(value, joinPath(p, 'typed_config'), ctx);
}
