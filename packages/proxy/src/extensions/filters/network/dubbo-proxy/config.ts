import type { DubboProxy__Output } from '@weft/api/envoy/envoy/extensions/filters/network/dubbo_proxy/v3/DubboProxy.js';
import type { NetworkFilterFactory } from '../../../../network/network-filter-registry.js';
import { DUBBO_PROXY_TYPE, parseDubboProxyConfig } from '../../../../rpc/envoy-dubbo-config.js';
import { RpcSession } from '../../../../rpc/rpc-session.js';

/** Envoy's `envoy.filters.network.dubbo_proxy`, served by the generic RPC proxy with the `dubbo` codec. */
export const dubboProxyFactory: NetworkFilterFactory = {
  configType: DUBBO_PROXY_TYPE,
  names: ['envoy.filters.network.dubbo_proxy'],
  terminal: true,
  create(config, path, ctx) {
    const parsed = parseDubboProxyConfig(config as DubboProxy__Output, path, ctx);
    return (conn) => {
      new RpcSession(parsed, conn).start();
    };
  },
};
