import type { RpcProxy__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/RpcProxy.js';
import type { NetworkFilterFactory } from '../../../../network/network-filter-registry.js';
import { parseRpcProxyConfig, RPC_PROXY_TYPE } from '../../../../rpc/rpc-config.js';
import { RpcSession } from '../../../../rpc/rpc-session.js';

/** `weft.filters.network.rpc_proxy`: the generic RPC proxy over the registered codecs (rpc/codec-registry.ts). */
export const rpcProxyFactory: NetworkFilterFactory = {
  configType: RPC_PROXY_TYPE,
  names: ['weft.filters.network.rpc_proxy'],
  terminal: true,
  create(config, path, ctx) {
    const parsed = parseRpcProxyConfig(config as RpcProxy__Output, path, ctx);
    return (conn) => {
      new RpcSession(parsed, conn).start();
    };
  },
};
