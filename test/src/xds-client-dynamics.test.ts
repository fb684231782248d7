import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeAdsServer, request } from '@weft/testing';
import { adminStat } from './stats.js';
import { CDS, EDS, LDS, RDS, claJson, edsClusterJson, listenerJson, routeJson, startNamedUpstream, startXds, staticClusterJson, waitUntil } from './xds-fixtures.js';

describe('xDS client: updates under traffic, control-plane loss, Delta', () => {
  test('a removed cluster finishes its request in flight', async () => {
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
      ads.set(CDS, 'c2', [staticClusterJson('b', b.port)]);
      await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === CDS && r.req.version_info === 'c2');
      assert.equal(proxy.server.clusterManager.get('a'), undefined);
      const old = await slow;
      assert.equal(old.status, 200);
      assert.equal(old.body, 'a');
      assert.equal(await adminStat(proxy.adminPort, 'cluster_manager.cluster_removed'), 1);
    } finally {
      await proxy.close();
      await ads.stop();
      await a.close();
      await b.close();
    }
  });

  test('keeps serving when the control plane stops, then reconnects and resubscribes', async () => {
    const a = await startNamedUpstream('a');
    const { ads, proxy } = await startXds('GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port)]);
      s.set(LDS, 'l1', [listenerJson('web', 'r')]);
      s.set(RDS, 'r1', [routeJson('r', 'a')]);
    });
    let again: FakeAdsServer | undefined;
    try {
      const port = await proxy.waitPort('web');
      await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === RDS && r.req.version_info === 'r1');
      await ads.stop();
      await waitUntil(async () => (await adminStat(proxy.adminPort, 'control_plane.connected_state')) === 0);
      assert.equal((await request(port, '/while-down')).body, 'a');
      again = await FakeAdsServer.start(ads.port);
      again.set(CDS, 'c1', [staticClusterJson('a', a.port)]);
      again.set(LDS, 'l1', [listenerJson('web', 'r')]);
      again.set(RDS, 'r1', [routeJson('r', 'a')]);
      // The new stream carries the last accepted versions and the route names still in use.
      const cds = await again.waitFor((r) => r.kind === 'sotw' && r.req.type_url === CDS);
      assert.ok(cds.kind === 'sotw');
      assert.equal(cds.req.version_info, 'c1');
      assert.equal(cds.req.response_nonce, '');
      const rds = await again.waitFor((r) => r.kind === 'sotw' && r.req.type_url === RDS);
      assert.ok(rds.kind === 'sotw');
      assert.deepEqual(rds.req.resource_names, ['r']);
      await waitUntil(async () => (await adminStat(proxy.adminPort, 'control_plane.connected_state')) === 1);
      assert.equal((await request(port, '/after')).body, 'a');
    } finally {
      await proxy.close();
      await again?.stop();
      await a.close();
    }
  });

  test('Delta: a reconnect sends initial_resource_versions and the proxy keeps its config', async () => {
    const a = await startNamedUpstream('a');
    const init = (s: FakeAdsServer): void => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port)]);
      s.set(LDS, 'l1', [listenerJson('web', 'r')]);
      s.set(RDS, 'r1', [routeJson('r', 'a')]);
    };
    const { ads, proxy } = await startXds('DELTA_GRPC', init);
    let again: FakeAdsServer | undefined;
    try {
      const port = await proxy.waitPort('web');
      assert.equal((await request(port, '/x')).body, 'a');
      const ack = await ads.waitFor((r) => r.kind === 'delta' && r.req.type_url === CDS && r.req.response_nonce !== '');
      assert.ok(ack.kind === 'delta' && ack.req.error_detail === null);
      await ads.stop();
      again = await FakeAdsServer.start(ads.port);
      init(again);
      const cds = await again.waitFor((r) => r.kind === 'delta' && r.req.type_url === CDS);
      assert.ok(cds.kind === 'delta');
      assert.deepEqual(cds.req.initial_resource_versions, { a: 'c1' });
      const rds = await again.waitFor((r) => r.kind === 'delta' && r.req.type_url === RDS);
      assert.ok(rds.kind === 'delta');
      assert.deepEqual(rds.req.resource_names_subscribe, ['r']);
      assert.deepEqual(rds.req.initial_resource_versions, { r: 'r1' });
      assert.equal((await request(port, '/after')).body, 'a');
    } finally {
      await proxy.close();
      await again?.stop();
      await a.close();
    }
  });

  test('Delta NACK: a bad route config keeps the old one and reports the error', async () => {
    const a = await startNamedUpstream('a');
    const { ads, proxy } = await startXds('DELTA_GRPC', (s) => {
      s.set(CDS, 'c1', [staticClusterJson('a', a.port)]);
      s.set(LDS, 'l1', [listenerJson('web', 'r')]);
      s.set(RDS, 'r1', [routeJson('r', 'a')]);
    });
    try {
      const port = await proxy.waitPort('web');
      ads.set(RDS, 'r2', [{ name: 'r', vhds: { config_source: { ads: {} } } }]);
      const nack = await ads.waitFor((r) => r.kind === 'delta' && r.req.type_url === RDS && r.req.error_detail !== null);
      assert.ok(nack.kind === 'delta');
      assert.match(nack.req.error_detail?.message ?? '', /vhds/);
      assert.equal(await adminStat(proxy.adminPort, 'http.ingress.rds.r.update_rejected'), 1);
      assert.equal((await request(port, '/x')).body, 'a');
    } finally {
      await proxy.close();
      await ads.stop();
      await a.close();
    }
  });

  test('EDS: an endpoint change under a steady trickle of requests fails none', async () => {
    const a = await startNamedUpstream('a');
    const b = await startNamedUpstream('b');
    const { ads, proxy } = await startXds('GRPC', (s) => {
      s.set(CDS, 'c1', [edsClusterJson('svc')]);
      s.set(EDS, 'e1', [claJson('svc', [a.port])]);
      s.set(LDS, 'l1', [listenerJson('web', 'r')]);
      s.set(RDS, 'r1', [routeJson('r', 'svc')]);
    });
    try {
      const port = await proxy.waitPort('web');
      const bodies: string[] = [];
      const statuses: number[] = [];
      let stop = false;
      const trickle = (async () => {
        while (!stop) {
          const res = await request(port, '/slow/5');
          statuses.push(res.status);
          bodies.push(res.body);
        }
      })();
      await waitUntil(() => bodies.length >= 5);
      ads.set(EDS, 'e2', [claJson('svc', [b.port])]);
      await waitUntil(() => bodies.at(-1) === 'b');
      const n = bodies.length;
      await waitUntil(() => bodies.length >= n + 5);
      stop = true;
      await trickle;
      assert.ok(statuses.every((s) => s === 200), `statuses ${statuses.join(',')}`);
      assert.equal(bodies.at(-1), 'b');
      const eds = await ads.waitFor((r) => r.kind === 'sotw' && r.req.type_url === EDS);
      assert.ok(eds.kind === 'sotw');
      assert.deepEqual(eds.req.resource_names, ['svc']);
    } finally {
      await proxy.close();
      await ads.stop();
      await a.close();
      await b.close();
    }
  });
});
