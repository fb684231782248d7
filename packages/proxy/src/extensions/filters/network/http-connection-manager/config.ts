import type { HttpConnectionManager__Output } from '@weft/api/envoy/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
import type { NetworkFilterFactory } from '../../../../network/network-filter-registry.js';
import { compileHcmConfig } from '../../../../http/hcm-config.js';
import { startHttpConnection } from '../../../../http/codec-dispatch.js';

export const httpConnectionManagerFactory: NetworkFilterFactory = {
  configType: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  names: ['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager'],
  terminal: true,
  create(config, path, ctx) {
    const cfg = compileHcmConfig(config as HttpConnectionManager__Output, path, ctx, ctx.direction);
    return (conn) => {
      startHttpConnection(cfg, conn, conn.tls?.alpn ?? '');
    };
  },
};
