import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IstioSnapshotProvider, LISTENER_TYPE, RPC_ROUTE_TYPE, startIstioSource } from '@weft/control-plane';
import type { ProxyNode } from '@weft/control-plane';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'mesh');

function node(name: string, ip: string, labels: Record<string, string>): ProxyNode {
  return { id: `sidecar~${ip}~${name}.demo~demo.svc.cluster.local`, cluster: `${labels['app']}.demo`, node: { metadata: { NAMESPACE: 'demo', LABELS: labels } } } as unknown as ProxyNode;
}

test('the npm start demo mesh (examples/mesh) loads without issues and gives each sidecar its own listeners (the RPC service with the rpc_proxy)', async () => {
  const provider = new IstioSnapshotProvider();
  const source = await startIstioSource(dir, provider);
  try {
    assert.deepEqual(source.issues(), []);
    const listeners = (n: ProxyNode): string[] => [...(provider.snapshotFor(n).resources.get(LISTENER_TYPE)?.keys() ?? [])].sort();
    assert.deepEqual(listeners(node('productpage', '127.0.0.1', { app: 'productpage', version: 'v1' })), ['127.0.0.1_12200', '127.0.0.1_9080', '127.0.0.1_9081']);
    assert.deepEqual(listeners(node('reviews-v1', '127.0.0.2', { app: 'reviews', version: 'v1' })), ['127.0.0.2_9080', '127.0.0.2_9083']);
    assert.deepEqual(listeners(node('reviews-v2', '127.0.0.3', { app: 'reviews', version: 'v2' })), ['127.0.0.3_9080', '127.0.0.3_9083']);
    assert.deepEqual(listeners(node('ratings', '127.0.0.4', { app: 'ratings', version: 'v1' })), ['127.0.0.4_9080']);
    assert.deepEqual(listeners(node('details', '127.0.0.5', { app: 'details', version: 'v1' })), ['127.0.0.5_12200']);
    // The RPC service: the rpc_proxy on productpage's egress (the RpcRoute's rules in its RDS route table) and on
    // details' ingress (inline).
    const encoded = (n: ProxyNode, type: string, name: string): string => {
      const r = provider.snapshotFor(n).resources.get(type)?.get(name) as { body: Uint8Array } | undefined;
      return r ? Buffer.from(r.body).toString('latin1') : '';
    };
    const productpage = node('productpage', '127.0.0.1', { app: 'productpage', version: 'v1' });
    const pp = encoded(productpage, LISTENER_TYPE, '127.0.0.1_12200');
    assert.ok(pp.includes('weft.filters.network.rpc_proxy') && pp.includes('127.0.0.1:12200'));
    assert.ok(encoded(productpage, RPC_ROUTE_TYPE, '127.0.0.1:12200').includes('demo/details/get|com.weft.demo.Details'));
    assert.ok(encoded(node('details', '127.0.0.5', { app: 'details', version: 'v1' }), LISTENER_TYPE, '127.0.0.5_12200').includes('inbound|12200||'));
  } finally {
    source.close();
  }
});
