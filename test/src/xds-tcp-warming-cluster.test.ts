import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { request } from '@weft/testing';
import { adminStat } from './stats.js';
import { CDS, EDS, LDS, claJson, edsClusterJson, startNamedUpstream, startXds, staticClusterJson, waitUntil } from './xds-fixtures.js';

function tcpListenerJson(name: string, cluster: string): unknown {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', stat_prefix: name, cluster } }] }],
  };
}

/** Resolves when the server closes a fresh connection without sending anything. */
function closedWithoutData(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const s = net.connect(port, '127.0.0.1');
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('error', reject);
    s.on('close', () => resolve(bytes));
  });
}

describe('xDS: a tcp_proxy listener naming a CDS cluster that is still warming', () => {
  test('is accepted (as Envoy does); connections count no_route until the cluster has endpoints, then flow', async () => {
    const a = await startNamedUpstream('a');
    const { ads, proxy } = await startXds('GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port)]);
      s.set(LDS, 'l1', [tcpListenerJson('tcp-a', 'a')]);
    });
    try {
      await proxy.waitPort('tcp-a');
      ads.set(CDS, 'c2', [staticClusterJson('a', a.port), edsClusterJson('e')]);
      ads.set(LDS, 'l2', [tcpListenerJson('tcp-a', 'a'), tcpListenerJson('tcp-e', 'e')]);
      const ack = await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === LDS && (r.req.version_info === 'l2' || r.req.error_detail != null));
      assert.ok(ack.kind === 'sotw');
      assert.equal(ack.req.error_detail ?? null, null);
      const port = await proxy.waitPort('tcp-e');
      assert.equal(await closedWithoutData(port), 0);
      assert.equal(await adminStat(proxy.adminPort, 'tcp.tcp-e.downstream_cx_no_route'), 1);
      ads.set(EDS, 'e1', [claJson('e', [a.port])]);
      await waitUntil(() => proxy.server.clusterManager.get('e') !== undefined);
      const res = await request(port, '/via-e');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'a');
    } finally {
      await proxy.close();
      await ads.stop();
      await a.close();
    }
  });
});
