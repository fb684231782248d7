import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBootstrapText } from '@weft/api';
import { bootstrapUsesRpc } from './optional-extensions.js';

const listener = (filter: string): string => `
static_resources:
  listeners:
  - name: l
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
${filter}`;

describe('which bootstraps load the RPC extension', () => {
  it('one whose listener uses the RPC proxy or dubbo_proxy, by name or by typed_config type', () => {
    assert.equal(bootstrapUsesRpc(parseBootstrapText(listener(`      - name: weft.filters.network.rpc_proxy
        typed_config: { "@type": type.googleapis.com/weft.extensions.filters.network.rpc_proxy.v1.RpcProxy, stat_prefix: s, codecs: [bolt] }`), 'a.yaml')), true);
    assert.equal(bootstrapUsesRpc(parseBootstrapText(listener(`      - name: my-dubbo
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy, stat_prefix: s }`), 'b.yaml')), true);
  });

  it('not one with only HTTP and TCP listeners', () => {
    assert.equal(bootstrapUsesRpc(parseBootstrapText(listener(`      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: s, cluster: c }`), 'c.yaml')), false);
    assert.equal(bootstrapUsesRpc(parseBootstrapText('{}', 'd.yaml')), false);
  });
});
