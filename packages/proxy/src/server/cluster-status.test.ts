import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatClustersJson, formatClustersText, mergeClusterStatus, type ClusterStatus, type HostStatus } from './cluster-status.js';

function host(flags: string, rq: number): HostStatus {
  return {
    address: '10.0.0.1:80',
    hostname: '',
    weight: 1,
    priority: 0,
    region: '',
    zone: '',
    subZone: '',
    healthy: flags === 'healthy',
    healthFlags: flags,
    successRate: -1,
    localOriginSuccessRate: -1,
    stats: { rq_total: rq },
  };
}

describe('cluster status across workers', () => {
  it('sums host stats and shows a host failed in any worker as failed (union of flags)', () => {
    const w1: ClusterStatus[] = [{ name: 'svc', hosts: [host('healthy', 2)] }];
    const w2: ClusterStatus[] = [{ name: 'svc', hosts: [host('/failed_outlier_check', 3)] }];
    const w3: ClusterStatus[] = [{ name: 'svc', hosts: [host('/failed_active_hc', 1)] }];
    const [merged] = mergeClusterStatus([w1, w2, w3]);
    assert.equal(merged?.hosts[0]?.stats['rq_total'], 6);
    assert.equal(merged?.hosts[0]?.healthFlags, '/failed_outlier_check/failed_active_hc');
    assert.equal(merged?.hosts[0]?.healthy, false);
  });

  it('formats health flags and outlier lines as Envoy does', () => {
    const status: ClusterStatus[] = [{ name: 'svc', outlier: { average: [90, -1], threshold: [52, -1] }, hosts: [host('/failed_active_hc/active_hc_timeout', 0)] }];
    const text = formatClustersText(status);
    assert.match(text, /^svc::outlier::success_rate_average::90$/m);
    assert.match(text, /^svc::outlier::success_rate_ejection_threshold::52$/m);
    assert.match(text, /^svc::10\.0\.0\.1:80::health_flags::\/failed_active_hc\/active_hc_timeout$/m);
    const json = formatClustersJson(status) as { cluster_statuses: Array<{ host_statuses: Array<{ health_status: unknown }> }> };
    assert.deepEqual(json.cluster_statuses[0]?.host_statuses[0]?.health_status, {
      failed_active_health_check: true,
      active_hc_timeout: true,
      eds_health_status: 'HEALTHY',
    });
  });
});
