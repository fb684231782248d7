import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, normalizeMessage } from '@weft/api';
import { ClusterManager } from './cluster-manager.js';
import type { DnsResolver } from './dns-resolver.js';
import type { Cluster__Output } from './envoy-types.js';
import { TestScope } from './test-scope.js';

function cfg(name: string, extra: object = {}, address = '10.0.0.1'): Cluster__Output {
  return normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
    name,
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 80 } } } }] }] },
    ...extra,
  });
}

describe('ClusterManager', () => {
  it('builds clusters from config and finds them by name', async () => {
    const scope = new TestScope();
    const cm = ClusterManager.fromConfig([cfg('a'), cfg('b')], 'static_resources.clusters', { scope });
    await cm.initializeAll();
    assert.equal(cm.get('a')?.name, 'a');
    assert.equal(cm.get('missing'), undefined);
    assert.deepEqual(cm.all().map((c) => c.name), ['a', 'b']);
    assert.equal(scope.value('cluster_manager.active_clusters'), 2);
    assert.equal(scope.value('cluster_manager.cluster_added'), 2);
    assert.equal(cm.remove('a'), true);
    assert.equal(scope.value('cluster_manager.active_clusters'), 1);
    cm.close();
  });

  it('reports the path of an invalid cluster', () => {
    assert.throws(
      () => ClusterManager.fromConfig([cfg('a'), cfg('b', {}, 'not-an-ip')], 'static_resources.clusters', { scope: new TestScope() }),
      (e: unknown) => e instanceof ConfigError && e.path.startsWith('static_resources.clusters[1].load_assignment'),
    );
  });

  it('rejects duplicate cluster names', () => {
    assert.throws(
      () => ClusterManager.fromConfig([cfg('a'), cfg('a')], 'static_resources.clusters', { scope: new TestScope() }),
      (e: unknown) => e instanceof ConfigError && e.path === 'static_resources.clusters[1].name' && /duplicate cluster 'a'/.test(e.reason),
    );
  });

  it('waits for DNS clusters to warm, except those with wait_for_warm_on_init false', async () => {
    let release: (() => void) | undefined;
    const resolver: DnsResolver = (name) =>
      name === 'slow.local' ? new Promise((res) => (release = () => res(['10.0.0.7']))) : Promise.resolve(['10.0.0.8']);
    const cm = ClusterManager.fromConfig(
      [
        cfg('dns', { type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY' }, 'fast.local'),
        cfg('lazy', { type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', wait_for_warm_on_init: { value: false } }, 'slow.local'),
      ],
      'clusters',
      { scope: new TestScope(), resolver },
    );
    await cm.initializeAll();
    assert.deepEqual(cm.get('dns')?.hosts().map((h) => h.address), ['10.0.0.8']);
    assert.equal(cm.get('lazy')?.hosts().length, 0);
    release?.();
    await cm.get('lazy')?.initialize();
    assert.deepEqual(cm.get('lazy')?.hosts().map((h) => h.address), ['10.0.0.7']);
    cm.close();
  });
});
