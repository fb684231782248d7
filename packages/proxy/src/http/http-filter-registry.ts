import { ConfigError, joinPath } from '@weft/api/lite';
import type { HttpFilter__Output } from '@weft/api/envoy/envoy/extensions/filters/network/http_connection_manager/v3/HttpFilter.js';
import type { HttpFilterInstance } from '../interfaces/http-filter.js';
import type { FactoryContext } from '../server/factory-context.js';
import { typedConfigOf } from '../config/typed-config.js';

/** Context an HTTP filter factory gets: the server's plus the connection manager's stat prefix. */
export interface HttpFilterFactoryContext extends FactoryContext {
  readonly statPrefix: string;
  /** The filter's name in the chain: the key of its typed_per_filter_config entries on routes. */
  readonly filterName?: string;
}

/** An HTTP filter extension: parses config once and returns a per-stream instance creator. */
export interface HttpFilterFactory {
  readonly configType: string;
  readonly names: readonly string[];
  /** Terminal filters (the router) must be last in the chain. */
  readonly terminal: boolean;
  create(config: unknown, path: string, ctx: HttpFilterFactoryContext): () => HttpFilterInstance;
}

const byType = new Map<string, HttpFilterFactory>();

export function registerHttpFilter(factory: HttpFilterFactory): void {
  byType.set(factory.configType, factory);
}

export interface CompiledHttpFilter {
  readonly name: string;
  readonly create: () => HttpFilterInstance;
}

export function compileHttpFilters(filters: readonly HttpFilter__Output[], path: string, ctx: HttpFilterFactoryContext): CompiledHttpFilter[] {
  if (filters.length === 0) throw new ConfigError(path, 'at least one HTTP filter (the router) is required');
  const out: CompiledHttpFilter[] = [];
  filters.forEach((filter, i) => {
    const p = joinPath(path, i);
    if (!filter.name) throw new ConfigError(joinPath(p, 'name'), 'is required');
    if (filter.config_type === 'config_discovery') throw new ConfigError(joinPath(p, 'config_discovery'), 'is not supported yet');
    const { typeName, value } = typedConfigOf(filter, p);
    const factory = byType.get(typeName);
    if (!factory) {
      if (filter.is_optional) return;
      throw new ConfigError(joinPath(p, 'typed_config.@type'), `unsupported HTTP filter '${filter.name}' (${typeName})`);
    }
    if (filter.disabled) throw new ConfigError(joinPath(p, 'disabled'), 'disabled filters (enabled per route) are not supported yet');
    const last = i === filters.length - 1;
    if (factory.terminal && !last) throw new ConfigError(p, `terminal filter '${filter.name}' must be the last filter in the chain`);
    if (!factory.terminal && last) throw new ConfigError(p, `non-terminal filter '${filter.name}' cannot be the last filter in the chain`);
    out.push({ name: filter.name, create: factory.create(value, joinPath(p, 'typed_config'), { ...ctx, filterName: filter.name }) });
  });
  return out;
}
