import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cluster, endpoints, names, NODE, startHarness, type Harness } from './test-fixtures.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from './type-urls.js';

type DeltaResource = { name: string; version: string; resource: { '@type': string } };

function versions(res: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of res['resources'] as DeltaResource[]) out[r.name] = r.version;
  return out;
}

describe('Delta ADS', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness([cluster('a'), cluster('b'), endpoints('a', [1001]), endpoints('b', [1002])]);
  });
  after(() => h.close());

  it('subscribes by name, tells a named resource does not exist, and records ACK and NACK per nonce', async () => {
    const c = h.client('delta');
    c.send({ node: NODE, type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a', 'nope'] });
    const res = await c.next();
    assert.equal(res.type_url, ENDPOINT_TYPE);
    assert.deepEqual(names(res), ['a']);
    assert.deepEqual(res['removed_resources'], ['nope']);
    const r = (res['resources'] as DeltaResource[])[0];
    assert.equal(r?.resource['@type'], ENDPOINT_TYPE);
    assert.equal(r?.version.length, 16);
    assert.equal(res['system_version_info'], '1');
    c.send({ type_url: ENDPOINT_TYPE, response_nonce: res.nonce });
    c.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: ['b'] });
    const more = await c.next();
    assert.deepEqual(names(more), ['b']);
    assert.deepEqual(more['removed_resources'], []);
    c.send({ type_url: ENDPOINT_TYPE, response_nonce: more.nonce, error_detail: { code: 3, message: 'b is bad' } });
    await c.quiet(100);
    const view = h.ads.syncz().find((s) => s.variant === 'delta' && s.proxy === 'proxy-1');
    const eds = view?.types['ClusterLoadAssignment'] as { acks: number; nacks: number; ackedVersion: string; lastNack: { message: string; nonce: string } };
    assert.equal(eds.acks, 1);
    assert.equal(eds.nacks, 1);
    assert.equal(eds.ackedVersion, '1');
    assert.equal(eds.lastNack.message, 'b is bad');
    assert.equal(eds.lastNack.nonce, more.nonce);
    c.close();
  });

  it('sends only the changed resource to subscribers, removals by name, and nothing after an unsubscribe', async () => {
    const c = h.client('delta');
    const other = h.client('delta');
    c.send({ node: { ...NODE, id: 'd1' }, type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a', 'b'] });
    other.send({ node: { ...NODE, id: 'd2' }, type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a'] });
    assert.deepEqual(names(await c.next()).sort(), ['a', 'b']);
    assert.deepEqual(names(await other.next()), ['a']);

    const b2 = endpoints('b', [1002, 1003]);
    h.provider.update([b2], []);
    const push = await c.next();
    assert.deepEqual(versions(push), { b: b2.version });
    assert.deepEqual(push['removed_resources'], []);
    assert.equal(await other.quiet(100), true, 'a proxy not subscribed to b gets nothing');

    c.send({ type_url: ENDPOINT_TYPE, response_nonce: push.nonce, resource_names_unsubscribe: ['b'] });
    await c.quiet(50);
    h.provider.update([endpoints('b', [1009])], []);
    assert.equal(await c.quiet(100), true, 'unsubscribed: no push');

    h.provider.update([], [[ENDPOINT_TYPE, 'a']]);
    const removal = await c.next();
    assert.deepEqual(removal['resources'], []);
    assert.deepEqual(removal['removed_resources'], ['a']);
    assert.deepEqual((await other.next())['removed_resources'], ['a']);
    h.provider.update([endpoints('a', [1001])], []);
    assert.deepEqual(names(await c.next()), ['a'], 'a named subscription outlives the removal');
    assert.deepEqual(names(await other.next()), ['a']);
  });

  it('on reconnect with initial_resource_versions sends only what changed and removes what is gone', async () => {
    const c = h.client('delta');
    c.send({ node: { ...NODE, id: 'rc' }, type_url: CLUSTER_TYPE });
    const initial = await c.next();
    const held = versions(initial);
    assert.deepEqual(Object.keys(held).sort(), ['a', 'b']);
    c.close();

    const a2 = cluster('a', 7);
    h.provider.update([a2, cluster('z')], [[CLUSTER_TYPE, 'b']]);
    const again = h.client('delta');
    again.send({ node: { ...NODE, id: 'rc' }, type_url: CLUSTER_TYPE, initial_resource_versions: held });
    const res = await again.next();
    assert.deepEqual(Object.keys(versions(res)).sort(), ['a', 'z']);
    assert.equal(versions(res)['a'], a2.version);
    assert.deepEqual(res['removed_resources'], ['b']);

    const same = h.client('delta');
    same.send({ node: { ...NODE, id: 'rc2' }, type_url: CLUSTER_TYPE, resource_names_subscribe: ['*'], initial_resource_versions: versions(res) });
    const none = await same.next();
    assert.deepEqual(none['resources'], [], 'nothing changed since: an empty first response');
    assert.deepEqual(none['removed_resources'], []);
  });

  it('an explicit * subscription is wildcard and its unsubscribe stops pushes of unnamed resources', async () => {
    const c = h.client('delta');
    c.send({ node: { ...NODE, id: 'w' }, type_url: CLUSTER_TYPE, resource_names_subscribe: ['*', 'a'] });
    const first = await c.next();
    assert.ok(names(first).includes('z'));
    c.send({ type_url: CLUSTER_TYPE, response_nonce: first.nonce, resource_names_unsubscribe: ['*'] });
    await c.quiet(50);
    h.provider.update([cluster('z', 9), cluster('a', 9)], []);
    const push = await c.next();
    assert.deepEqual(names(push), ['a']);
    assert.equal(await c.quiet(100), true);
  });
});
