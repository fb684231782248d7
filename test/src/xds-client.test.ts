import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from '@weft/testing';
import { adminStat } from './stats.js';
import { CDS, LDS, RDS, listenerJson, routeJson, startNamedUpstream, startXds, staticClusterJson, waitUntil } from './xds-fixtures.js';

describe('xDS client (SotW ADS)', () => {
  test('serves the initial CDS/LDS/RDS config, ACKs with version and nonce, and identifies the node', async () => {
    const a = await startNamedUpstream('a');
    const { ads, proxy } = await startXds('GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port)]);
      s.set(LDS, 'l1', [listenerJson('web', 'r')]);
      s.set(RDS, 'r1', [routeJson('r', 'a')]);
    });
    try {
      const port = await proxy.waitPort('web');
      const res = await request(port, '/x');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'a');
      const first = await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === CDS);
      assert.ok(first.kind === 'sotw');
      assert.equal(first.req.node?.id, 'test-node');
      assert.equal(first.req.node?.user_agent_name, 'weft');
      assert.equal(first.req.version_info, '');
      const ack = await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === CDS && r.req.version_info === 'c1');
      assert.ok(ack.kind === 'sotw' && ack.req.response_nonce !== '' && ack.req.error_detail === null);
      const rdsReq = await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === RDS);
      assert.ok(rdsReq.kind === 'sotw');
      assert.deepEqual(rdsReq.req.resource_names, ['r']);
      assert.equal(await adminStat(proxy.adminPort, 'cluster_manager.cds.update_success'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'listener_manager.lds.update_success'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.rds.r.update_success'), 1);
      assert.equal(await adminStat(proxy.adminPort, 'control_plane.connected_state'), 1);
      const dump = JSON.parse((await request(proxy.adminPort, '/config_dump')).body) as { configs: Array<Record<string, unknown>> };
      const clusters = dump.configs[1] as { dynamic_active_clusters: Array<{ version_info: string; cluster: { name: string }; last_updated: string }> };
      assert.equal(clusters.dynamic_active_clusters[0]?.version_info, 'c1');
      assert.equal(clusters.dynamic_active_clusters[0]?.cluster.name, 'a');
      const routes = dump.configs[3] as { dynamic_route_configs: Array<{ version_info: string }> };
      assert.equal(routes.dynamic_route_configs[0]?.version_info, 'r1');
    } finally {
      await proxy.close();
      await ads.stop();
      await a.close();
    }
  });

  test('a route change applies to new requests while a slow request finishes on the old route', async () => {
    const a = await startNamedUpstream('a');
    const b = await startNamedUpstream('b');
    const { ads, proxy } = await startXds('GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port), staticClusterJson('b', b.port)]);
      s.set(LDS, 'l1', [listenerJson('web', 'r')]);
      s.set(RDS, 'r1', [routeJson('r', 'a')]);
    });
    try {
      const port = await proxy.waitPort('web');
      const slow = request(port, '/slow/300');
      await waitUntil(() => a.count === 1);
      ads.set(RDS, 'r2', [routeJson('r', 'b')]);
      await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === RDS && r.req.version_info === 'r2');
      assert.equal((await request(port, '/now')).body, 'b');
      const old = await slow;
      assert.equal(old.status, 200);
      assert.equal(old.body, 'a');
    } finally {
      await proxy.close();
      await ads.stop();
      await a.close();
      await b.close();
    }
  });

  test('NACKs an invalid cluster with the error detail and keeps serving the previous config', async () => {
    const a = await startNamedUpstream('a');
    const { ads, proxy } = await startXds('GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port)]);
      s.set(LDS, 'l1', [listenerJson('web', 'r')]);
      s.set(RDS, 'r1', [routeJson('r', 'a')]);
    });
    try {
      const port = await proxy.waitPort('web');
      const bad = { ...(staticClusterJson('a', a.port) as object), lb_subset_config: { fallback_policy: 'ANY_ENDPOINT' } };
      ads.set(CDS, 'c2', [bad, staticClusterJson('other', a.port)]);
      const nack = await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === CDS && r.req.error_detail !== null);
      assert.ok(nack.kind === 'sotw');
      assert.equal(nack.req.version_info, 'c1');
      assert.equal(nack.req.error_detail?.code, 13);
      assert.match(nack.req.error_detail?.message ?? '', /cluster\["a"\]\.lb_subset_config/);
      assert.equal(await adminStat(proxy.adminPort, 'cluster_manager.cds.update_rejected'), 1);
      assert.equal(proxy.server.clusterManager.get('other'), undefined);
      assert.equal((await request(port, '/y')).body, 'a');
    } finally {
      await proxy.close();
      await ads.stop();
      await a.close();
    }
  });
});
