import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cluster, endpoints, names, NODE, startHarness, type Harness } from './test-fixtures.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from './type-urls.js';

describe('SotW ADS', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([cluster('a'), cluster('b'), endpoints('a', [1001]), endpoints('b', [1002])]);
  });
  after(() => h.close());

  it('answers a wildcard CDS request with every cluster, then records the ACK', async () => {
    const c = h.client('sotw');
    c.send({ node: NODE, type_url: CLUSTER_TYPE });
    const res = await c.next();
    assert.equal(res.type_url, CLUSTER_TYPE);
    assert.deepEqual(names(res).sort(), ['a', 'b']);
    assert.equal(res['version_info'], '1');
    assert.equal(res.nonce, '1');
    assert.equal((res['resources'] as { '@type': string }[])[0]?.['@type'], CLUSTER_TYPE);
    c.send({ type_url: CLUSTER_TYPE, version_info: '1', response_nonce: '1' });
    assert.equal(await c.quiet(), true, 'an ACK with an unchanged subscription gets no response');
    const view = h.ads.syncz().find((s) => s.proxy === 'proxy-1' && s.variant === 'sotw');
    const cds = view?.types['Cluster'] as { ackedVersion: string; acks: number; wildcard: boolean; lastNack: unknown };
    assert.equal(cds.ackedVersion, '1');
    assert.equal(cds.acks, 1);
    assert.equal(cds.wildcard, true);
    assert.equal(cds.lastNack, null);
    c.close();
  });

  it('serves only the named ClusterLoadAssignments and answers a grown subscription with the added one', async () => {
    const c = h.client('sotw');
    c.send({ node: NODE, type_url: ENDPOINT_TYPE, resource_names: ['a', 'missing'] });
    const first = await c.next();
    assert.deepEqual(names(first), ['a']);
    c.send({ type_url: ENDPOINT_TYPE, version_info: first['version_info'], response_nonce: first.nonce, resource_names: ['a', 'b', 'missing'] });
    const second = await c.next();
    assert.deepEqual(names(second), ['b'], 'EDS responses carry only what the client lacks');
    assert.notEqual(second.nonce, first.nonce);
    c.close();
  });

  it('keeps the last NACK error_detail per proxy and type, and ignores requests with a stale nonce', async () => {
    const c = h.client('sotw');
    c.send({ node: { ...NODE, id: 'nacker' }, type_url: CLUSTER_TYPE });
    const res = await c.next();
    c.send({ type_url: CLUSTER_TYPE, version_info: '', response_nonce: res.nonce, error_detail: { code: 3, message: 'cluster a: bad thing' } });
    await c.quiet(100);
    // A stale nonce (not the latest response) is neither an ACK nor a NACK.
    c.send({ type_url: CLUSTER_TYPE, version_info: '1', response_nonce: 'stale' });
    assert.equal(await c.quiet(100), true);
    const view = h.ads.syncz().find((s) => s.proxy === 'nacker');
    const cds = view?.types['Cluster'] as { ackedVersion: string; nacks: number; lastNack: { version: string; nonce: string; message: string; code: number } };
    assert.equal(cds.ackedVersion, '');
    assert.equal(cds.nacks, 1);
    assert.deepEqual({ ...cds.lastNack, at: undefined }, { version: '1', nonce: res.nonce, code: 3, message: 'cluster a: bad thing', at: undefined });
    c.close();
  });

  it('pushes a changed cluster set in full with a new version, and an endpoint change only as that CLA', async () => {
    const c = h.client('sotw');
    c.send({ node: { ...NODE, id: 'pushed' }, type_url: CLUSTER_TYPE });
    const cds = await c.next();
    c.send({ type_url: CLUSTER_TYPE, version_info: cds['version_info'], response_nonce: cds.nonce });
    c.send({ type_url: ENDPOINT_TYPE, resource_names: ['a', 'b'] });
    const eds = await c.next();
    assert.deepEqual(names(eds).sort(), ['a', 'b']);
    c.send({ type_url: ENDPOINT_TYPE, version_info: eds['version_info'], response_nonce: eds.nonce, resource_names: ['a', 'b'] });

    h.provider.update([endpoints('b', [1002, 1003])], []);
    const edsPush = await c.next();
    assert.equal(edsPush.type_url, ENDPOINT_TYPE);
    assert.deepEqual(names(edsPush), ['b']);
    assert.equal(edsPush['version_info'], '2');
    const lbEndpoints = ((edsPush['resources'] as { endpoints: { lb_endpoints: unknown[] }[] }[])[0]?.endpoints[0]?.lb_endpoints ?? []).length;
    assert.equal(lbEndpoints, 2);
    assert.equal(await c.quiet(100), true, 'no CDS push for an endpoint change');

    h.provider.update([cluster('c')], []);
    const cdsPush = await c.next();
    assert.equal(cdsPush.type_url, CLUSTER_TYPE);
    assert.deepEqual(names(cdsPush).sort(), ['a', 'b', 'c'], 'CDS is state of the world: every cluster');
    assert.equal(await c.quiet(100), true);
    c.close();
  });

  it('orders a change spanning types CDS before EDS, whatever order the producer reported', async () => {
    const c = h.client('sotw');
    c.send({ node: { ...NODE, id: 'ordered' }, type_url: ENDPOINT_TYPE });
    const eds = await c.next();
    c.send({ type_url: ENDPOINT_TYPE, version_info: eds['version_info'], response_nonce: eds.nonce });
    c.send({ type_url: CLUSTER_TYPE });
    const cds = await c.next();
    c.send({ type_url: CLUSTER_TYPE, version_info: cds['version_info'], response_nonce: cds.nonce });
    h.provider.update([endpoints('d', [1005]), cluster('d')], []);
    const first = await c.next();
    const second = await c.next();
    assert.deepEqual([first.type_url, second.type_url], [CLUSTER_TYPE, ENDPOINT_TYPE]);
    assert.deepEqual(names(second), ['d']);
    c.close();
  });

  it('fails a stream whose first request has no node id', async () => {
    const c = h.client('sotw');
    c.send({ type_url: CLUSTER_TYPE });
    const status = await c.ended();
    assert.equal(status.code, 3);
    assert.match(status.details, /node\.id/);
  });
});
