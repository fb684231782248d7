import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { IstioSnapshotProvider, LISTENER_TYPE, startIstioSource } from '@weft/control-plane';
import type { ProxyNode } from '@weft/control-plane';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'mesh');

function node(name: string, ip: string, labels: Record<string, string>): ProxyNode {
  return { id: `sidecar~${ip}~${name}.demo~demo.svc.cluster.local`, cluster: `${labels['app']}.demo`, node: { metadata: { NAMESPACE: 'demo', LABELS: labels } } } as unknown as ProxyNode;
}

test('the npm start demo mesh (examples/mesh) loads without issues and gives each sidecar its own listeners', async () => {
  const provider = new IstioSnapshotProvider();
  const source = await startIstioSource(dir, provider);
  try {
    assert.deepEqual(source.issues(), []);
    const listeners = (n: ProxyNode): string[] => [...(provider.snapshotFor(n).resources.get(LISTENER_TYPE)?.keys() ?? [])].sort();
    assert.deepEqual(listeners(node('productpage', '127.0.0.1', { app: 'productpage', version: 'v1' })), ['127.0.0.1_9080', '127.0.0.1_9081']);
    assert.deepEqual(listeners(node('reviews-v1', '127.0.0.2', { app: 'reviews', version: 'v1' })), ['127.0.0.2_9080', '127.0.0.2_9083']);
    assert.deepEqual(listeners(node('reviews-v2', '127.0.0.3', { app: 'reviews', version: 'v2' })), ['127.0.0.3_9080', '127.0.0.3_9083']);
    assert.deepEqual(listeners(node('ratings', '127.0.0.4', { app: 'ratings', version: 'v1' })), ['127.0.0.4_9080']);
  } finally {
    source.close();
  }
});
