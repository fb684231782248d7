import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { configError } from './config-error.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const LRL = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
const ALL = '{ default_value: { numerator: 100 } }';
const lrl = (body: string): string => `- name: envoy.filters.http.local_ratelimit\n  typed_config: { "@type": ${LRL}, ${body} }`;
const toA = '- match: { prefix: "/" }\n  route: { cluster: a }';

describe('envoy.filters.http.local_ratelimit', () => {
  let up: TestUpstream;
  let proxy: TestProxy;

  before(async () => {
    up = await startUpstream('a');
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          listenerName: 'enforced',
          statPrefix: 'enf',
          filters: lrl(
            `stat_prefix: enf_rl, token_bucket: { max_tokens: 2, tokens_per_fill: 1, fill_interval: 60s }, filter_enabled: ${ALL}, filter_enforced: ${ALL}, ` +
              'enable_x_ratelimit_headers: DRAFT_VERSION_03, response_headers_to_add: [{ header: { key: x-limited, value: "yes" } }]',
          ),
          routes: `- match: { prefix: "/own" }
  route: { cluster: a }
  typed_per_filter_config:
    envoy.filters.http.local_ratelimit: { "@type": ${LRL}, stat_prefix: own_rl, status: { code: ServiceUnavailable }, token_bucket: { max_tokens: 1, fill_interval: 60s }, filter_enabled: ${ALL}, filter_enforced: ${ALL} }
${toA}`,
        }) +
          httpListener({
            listenerName: 'shadow',
            statPrefix: 'shadow',
            filters: lrl(
              `stat_prefix: shadow_rl, token_bucket: { max_tokens: 1, fill_interval: 60s }, filter_enabled: ${ALL}, ` +
                'request_headers_to_add_when_not_enforced: [{ header: { key: x-would-limit, value: "true" } }]',
            ),
            routes: toA,
          }) +
          httpListener({ listenerName: 'off', statPrefix: 'off', filters: lrl('stat_prefix: off_rl, token_bucket: { max_tokens: 1, fill_interval: 60s }'), routes: toA }) +
          httpListener({
            listenerName: 'refill',
            statPrefix: 'refill',
            filters: lrl(`stat_prefix: refill_rl, token_bucket: { max_tokens: 1, fill_interval: 0.2s }, filter_enabled: ${ALL}, filter_enforced: ${ALL}`),
            routes: toA,
          }) +
          httpListener({
            listenerName: 'perconn',
            statPrefix: 'perconn',
            filters: lrl(`stat_prefix: pc_rl, local_rate_limit_per_downstream_connection: true, token_bucket: { max_tokens: 1, fill_interval: 60s }, filter_enabled: ${ALL}, filter_enforced: ${ALL}`),
            routes: toA,
          }),
        staticCluster('a', [up.port]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await up.close();
  });

  const stat = (name: string): Promise<number> => adminStat(proxy.adminPort, name);

  test('enforced: max_tokens requests pass with x-ratelimit headers, then 429 local_rate_limited with response_headers_to_add', async () => {
    const port = proxy.port('enforced');
    const r1 = await request(port, '/a');
    assert.equal(r1.status, 200);
    assert.equal(r1.headers['x-ratelimit-limit'], '2');
    assert.equal(r1.headers['x-ratelimit-remaining'], '1');
    assert.equal(r1.headers['x-ratelimit-reset'], '60');
    assert.equal(r1.headers['x-limited'], undefined);
    assert.equal((await request(port, '/a')).status, 200);
    const r3 = await request(port, '/a');
    assert.equal(r3.status, 429);
    assert.equal(r3.body, 'local_rate_limited');
    assert.equal(r3.headers['x-limited'], 'yes');
    assert.equal(r3.headers['x-ratelimit-remaining'], '0');
    assert.equal(await stat('enf_rl.http_local_rate_limit.enabled'), 3);
    assert.equal(await stat('enf_rl.http_local_rate_limit.ok'), 2);
    assert.equal(await stat('enf_rl.http_local_rate_limit.rate_limited'), 1);
    assert.equal(await stat('enf_rl.http_local_rate_limit.enforced'), 1);
  });

  test('a route with its own LocalRateLimit uses its own bucket, status and stats', async () => {
    const port = proxy.port('enforced');
    assert.equal((await request(port, '/own')).status, 200);
    const r = await request(port, '/own');
    assert.equal(r.status, 503);
    assert.equal(r.body, 'local_rate_limited');
    assert.equal(await stat('own_rl.http_local_rate_limit.ok'), 1);
    assert.equal(await stat('own_rl.http_local_rate_limit.enforced'), 1);
  });

  test('not enforced: requests pass, rate_limited counted, request_headers_to_add_when_not_enforced sent upstream', async () => {
    const port = proxy.port('shadow');
    assert.equal((await request(port, '/s1')).status, 200);
    const r = await request(port, '/s2');
    assert.equal(r.status, 200);
    const seen = up.requests.find((q) => q.url === '/s2');
    assert.equal(seen?.headers['x-would-limit'], 'true');
    assert.equal(up.requests.find((q) => q.url === '/s1')?.headers['x-would-limit'], undefined);
    assert.equal(await stat('shadow_rl.http_local_rate_limit.rate_limited'), 1);
    assert.equal(await stat('shadow_rl.http_local_rate_limit.enforced'), 0);
  });

  test('filter_enabled absent: the filter is disabled (Envoy default)', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await request(proxy.port('off'), '/o')).status, 200);
    assert.equal(await stat('off_rl.http_local_rate_limit.enabled'), 0);
  });

  test('the bucket refills after fill_interval', async () => {
    const port = proxy.port('refill');
    // One token per 200 ms tick: on a loaded machine a tick can fall between two requests, so empty the bucket
    // until it refuses (a few tries at most) rather than expecting the refusal on the second request exactly.
    const statuses: number[] = [];
    while (statuses.length < 5 && statuses.at(-1) !== 429) statuses.push((await request(port, '/r')).status);
    assert.equal(statuses.at(-1), 429, `never limited: ${statuses.join(',')}`);
    assert.ok(statuses.every((s) => s === 200 || s === 429), statuses.join(','));
    await new Promise((r) => setTimeout(r, 220));
    assert.equal((await request(port, '/r')).status, 200);
  });

  test('local_rate_limit_per_downstream_connection: each connection has its own bucket', async () => {
    const port = proxy.port('perconn');
    // node:http without an agent: one connection per request, each with a fresh bucket.
    for (let i = 0; i < 3; i++) assert.equal((await request(port, '/c')).status, 200);
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await request(port, '/c', { agent })).status, 200);
      assert.equal((await request(port, '/c', { agent })).status, 429);
    } finally {
      agent.destroy();
    }
  });

  test('invalid configs are refused with their field path', () => {
    const L = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
    const bad = (body: string): string => configError(bootstrap(httpListener({ filters: lrl(body), routes: toA }), staticCluster('a', [1])));
    assert.equal(bad('stat_prefix: x, token_bucket: { max_tokens: 1, fill_interval: 0.01s }'), `${L}.token_bucket.fill_interval: must be at least 50ms`);
    assert.equal(bad('stat_prefix: x'), `${L}.token_bucket: is required`);
    assert.equal(
      bad('stat_prefix: x, token_bucket: { max_tokens: 1, fill_interval: 1s }, descriptors: [{ entries: [{ key: k, value: v }], token_bucket: { max_tokens: 1, fill_interval: 1s } }]'),
      `${L}.descriptors: is not supported yet`,
    );
  });
});
