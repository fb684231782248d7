import type { Bootstrap__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/Bootstrap.js';
import { TYPE_URL_PREFIX } from '@weft/api/lite';

/** Network filters that live in the RPC extension (by name and by typed_config message). */
const RPC_FILTER_NAMES = new Set(['weft.filters.network.rpc_proxy', 'envoy.filters.network.dubbo_proxy', 'envoy.filters.network.thrift_proxy']);
const RPC_FILTER_TYPES = new Set([
  'weft.extensions.filters.network.rpc_proxy.v1.RpcProxy',
  'envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy',
  'envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy',
]);

interface FilterLike {
  readonly name: string;
  readonly typed_config?: unknown;
}

function isRpcFilter(f: FilterLike): boolean {
  if (RPC_FILTER_NAMES.has(f.name)) return true;
  const url = (f.typed_config as { '@type'?: unknown } | null | undefined)?.['@type'];
  return typeof url === 'string' && RPC_FILTER_TYPES.has(url.startsWith(TYPE_URL_PREFIX) ? url.slice(TYPE_URL_PREFIX.length) : url);
}

/** Whether any static listener uses an RPC filter. */
export function bootstrapUsesRpc(bootstrap: Bootstrap__Output): boolean {
  for (const l of bootstrap.static_resources?.listeners ?? []) {
    const chains = l.default_filter_chain ? [...l.filter_chains, l.default_filter_chain] : l.filter_chains;
    for (const c of chains) if (c.filters.some(isRpcFilter)) return true;
  }
  return false;
}

/**
 * Loads the extensions a bootstrap needs beyond the ones registered up front. The RPC proxy and its codecs cost
 * about 3 MiB of idle RSS, so a proxy loads them only when a static listener uses them, or when its listeners come
 * over xDS (any of them may). Call before constructing the ProxyServer.
 */
export async function loadExtensionsFor(bootstrap: Bootstrap__Output): Promise<void> {
  if (bootstrap.dynamic_resources || bootstrapUsesRpc(bootstrap)) {
    const { registerRpcExtensions } = await import('./rpc-builtins.js');
    registerRpcExtensions();
  }
}
