import type { ThriftProxy__Output } from '@weft/api/envoy/envoy/extensions/filters/network/thrift_proxy/v3/ThriftProxy.js';
import type { NetworkFilterFactory } from '../../../../network/network-filter-registry.js';
import { parseThriftProxyConfig, THRIFT_PROXY_TYPE } from '../../../../rpc/envoy-thrift-config.js';
import { RpcSession } from '../../../../rpc/rpc-session.js';

/** Envoy's `envoy.filters.network.thrift_proxy`, served by the generic RPC proxy with the `thrift` codec. */
export const thriftProxyFactory: NetworkFilterFactory = {
  configType: THRIFT_PROXY_TYPE,
  names: ['envoy.filters.network.thrift_proxy'],
  terminal: true,
  create(config, path, ctx) {
    const parsed = parseThriftProxyConfig(config as ThriftProxy__Output, path, ctx);
    return (conn) => {
      new RpcSession(parsed, conn).start();
    };
  },
};
