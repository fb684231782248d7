import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { normalizeMessage } from '@weft/api';
import { createCluster } from '../cluster-factory.js';
import type { Cluster__Output } from '../envoy-types.js';
import { healthFlagsToString } from '../host.js';
import { TestScope } from '../test-scope.js';

describe('cluster with active health checks', () => {
  it('DNS-added hosts wait for their first check (ignore_new_hosts_until_first_hc); warming ends with it', async () => {
    let answer: (() => void) | undefined;
    const server = http.createServer((_req, res) => {
      answer = () => res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const scope = new TestScope();
    const cfg = normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
      name: 'svc',
      type: 'STRICT_DNS',
      connect_timeout: { seconds: 1 },
      common_lb_config: { ignore_new_hosts_until_first_hc: true },
      health_checks: [{ timeout: { seconds: 5 }, interval: { seconds: 3600 }, unhealthy_threshold: { value: 1 }, healthy_threshold: { value: 1 }, http_health_check: { path: '/hc' } }],
      load_assignment: { cluster_name: 'svc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'svc.test', port_value: port } } } }] }] },
    });
    const cluster = createCluster(cfg, 'c', { scope, resolver: async () => ['127.0.0.1'] });
    try {
      let warmed = false;
      const init = cluster.initialize().then(() => (warmed = true));
      while (answer === undefined) await new Promise((r) => setTimeout(r, 5));
      const host = cluster.hosts()[0];
      assert.ok(host);
      assert.equal(healthFlagsToString(host.healthFlags), '/failed_active_hc/pending_active_hc');
      assert.equal(scope.value('cluster.svc.membership_excluded'), 1);
      assert.equal(warmed, false);
      answer();
      await init;
      assert.equal(healthFlagsToString(host.healthFlags), 'healthy');
      assert.equal(scope.value('cluster.svc.membership_excluded'), 0);
      assert.equal(scope.value('cluster.svc.membership_healthy'), 1);
      assert.equal(scope.value('cluster.svc.health_check.success'), 1);
    } finally {
      cluster.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
