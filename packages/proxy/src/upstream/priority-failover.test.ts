import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeMessage } from '@weft/api';
import type { Cluster } from './cluster.js';
import { createCluster } from './cluster-factory.js';
import type { Cluster__Output } from './envoy-types.js';
import { HealthFlag, type Host } from './host.js';
import { countingRandom } from './test-hosts.js';
import { TestScope } from './test-scope.js';

function ep(address: string): object {
  return { endpoint: { address: { socket_address: { address, port_value: 80 } } } };
}

/** P0: 10.0.0.1-2, P1: 10.1.0.1-2, consecutive_5xx 1, every host may be ejected. */
function make(extra: object = {}): { cluster: Cluster; scope: TestScope; byKey: (k: string) => Host } {
  const cfg = normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
    name: 'svc',
    connect_timeout: { seconds: 1 },
    outlier_detection: { consecutive_5xx: { value: 1 }, max_ejection_percent: { value: 100 }, interval: { seconds: 3600 } },
    load_assignment: {
      cluster_name: 'svc',
      endpoints: [
        { priority: 0, lb_endpoints: [ep('10.0.0.1'), ep('10.0.0.2')] },
        { priority: 1, lb_endpoints: [ep('10.1.0.1'), ep('10.1.0.2')] },
      ],
    },
    ...extra,
  });
  const scope = new TestScope();
  const cluster = createCluster(cfg, 'c', { scope, random: countingRandom() });
  const byKey = (k: string): Host => cluster.hosts().find((h) => h.key === `${k}:80`) as Host;
  return { cluster, scope, byKey };
}

function split(cluster: Cluster): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < 100; i++) {
    const h = cluster.chooseHost();
    const p = h ? `P${h.priority}` : 'none';
    out[p] = (out[p] ?? 0) + 1;
  }
  return out;
}

describe('priority failover with unhealthy and ejected hosts', () => {
  it('all healthy: P0 takes everything', () => {
    const { cluster } = make();
    assert.deepEqual(cluster.lb.priorityState.healthyLoad, [100, 0]);
    assert.deepEqual(split(cluster), { P0: 100 });
    cluster.close();
  });

  it('one of two P0 hosts ejected: P0 health is 140 × 1/2 = 70%, P1 gets the other 30%', () => {
    const { cluster, byKey, scope } = make();
    byKey('10.0.0.1').outlier.putHttpResponseCode(503);
    assert.equal(scope.value('cluster.svc.outlier_detection.ejections_active'), 1);
    assert.deepEqual(cluster.lb.priorityState.healthyLoad, [70, 30]);
    assert.deepEqual(split(cluster), { P0: 70, P1: 30 });
    assert.equal(scope.value('cluster.svc.membership_healthy'), 3);
    cluster.close();
  });

  it('both P0 hosts ejected: everything fails over to P1; an ejected P1 host then leaves 70% of P1 health', () => {
    const { cluster, byKey } = make();
    byKey('10.0.0.1').outlier.putHttpResponseCode(500);
    byKey('10.0.0.2').outlier.putHttpResponseCode(500);
    assert.deepEqual(cluster.lb.priorityState.healthyLoad, [0, 100]);
    assert.deepEqual(split(cluster), { P1: 100 });
    byKey('10.1.0.1').outlier.putHttpResponseCode(500);
    // P0 0%, P1 70%: normalized to 100 → P1 100% (Envoy scales by the total health when it is below 100).
    assert.deepEqual(cluster.lb.priorityState.healthyLoad, [0, 100]);
    assert.equal(cluster.chooseHost()?.key, '10.1.0.2:80');
    cluster.close();
  });

  it('every host ejected: total panic splits by host count across priorities', () => {
    const { cluster, byKey, scope } = make();
    for (const k of ['10.0.0.1', '10.0.0.2', '10.1.0.1', '10.1.0.2']) byKey(k).outlier.putHttpResponseCode(500);
    assert.deepEqual(cluster.lb.priorityState.panic, [true, true]);
    assert.deepEqual(split(cluster), { P0: 50, P1: 50 });
    assert.ok(scope.value('cluster.svc.lb_healthy_panic') >= 100);
    cluster.close();
  });

  it('excluded hosts (pending first health check) are not counted in a priority’s health', () => {
    const { cluster, byKey, scope } = make();
    byKey('10.0.0.1').healthFlags |= HealthFlag.FAILED_ACTIVE_HC | HealthFlag.PENDING_ACTIVE_HC;
    cluster.refreshHealth();
    // P0 has one non-excluded host, healthy: 100%.
    assert.deepEqual(cluster.lb.priorityState.healthyLoad, [100, 0]);
    for (let i = 0; i < 10; i++) assert.equal(cluster.chooseHost()?.key, '10.0.0.2:80');
    assert.equal(scope.value('cluster.svc.membership_excluded'), 1);
    assert.equal(scope.value('cluster.svc.membership_healthy'), 3);
    cluster.close();
  });

  it('the overprovisioning factor from the load assignment policy changes the split', () => {
    const { cluster, byKey } = make({
      load_assignment: {
        cluster_name: 'svc',
        policy: { overprovisioning_factor: { value: 100 } },
        endpoints: [
          { priority: 0, lb_endpoints: [ep('10.0.0.1'), ep('10.0.0.2')] },
          { priority: 1, lb_endpoints: [ep('10.1.0.1'), ep('10.1.0.2')] },
        ],
      },
    });
    byKey('10.0.0.1').outlier.putHttpResponseCode(500);
    assert.deepEqual(cluster.lb.priorityState.healthyLoad, [50, 50]);
    cluster.close();
  });
});
