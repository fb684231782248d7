import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';
import { configError } from './config-error.js';
import { createTestCodec } from './rpc-test-codec.js';
import { MAGIC, resultOf, RpcTestClient, startRpcServer, type RpcTestServer } from './rpc-test-peers.js';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(5);
  }
}

describe('rpc_proxy fault injection, local rate limits and per-try timeouts', () => {
  let up: RpcTestServer;
  let proxy: TestProxy;
  let client: RpcTestClient;
  let dir: string;
  let logFile: string;

  before(async () => {
    registerRpcCodec(createTestCodec('wrpc', MAGIC));
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-rpc-fault-'));
    logFile = path.join(dir, 'rpc.log');
    // `hang` calls are never answered; every other `flaky` call is held (the first, third, ...).
    let flaky = 0;
    up = await startRpcServer('up', (c) => {
      const f = c.frame;
      if (f.method === 'hang' || (f.method === 'flaky' && flaky++ % 2 === 0)) return;
      c.reply({ result: { server: 'up', service: f.service, method: f.method, args: [], headers: {} } });
    });
    proxy = await startProxyFromYaml(
      bootstrap(
        rpcListener(
          'rpc',
          `stat_prefix: faults
codecs: [wrpc]
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%REQ(:PATH)%.%REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS%\\n" } }
route_config:
  routes:
  - match: { service: { exact: delayed } }
    route: { cluster: up, fault: { delay: { fixed_delay: 0.15s, percentage: { numerator: 100 } } } }
  - match: { service: { exact: held } }
    route: { cluster: up, fault: { delay: { fixed_delay: 0.5s, percentage: { numerator: 100 } } } }
  - match: { service: { exact: abort100 } }
    route: { cluster: up, fault: { abort: { percentage: { numerator: 100 }, message: injected } } }
  - match: { service: { exact: abort0 } }
    route: { cluster: up, fault: { abort: { percentage: { numerator: 0 } }, delay: { fixed_delay: 1s } } }
  - match: { service: { exact: delay-abort } }
    route: { cluster: up, fault: { delay: { fixed_delay: 0.05s, percentage: { numerator: 1000000, denominator: MILLION } }, abort: { percentage: { numerator: 100 } } } }
  - match: { service: { exact: limited } }
    route: { cluster: up, local_rate_limit: { token_bucket: { max_tokens: 1, tokens_per_fill: 1, fill_interval: 1s } } }
  - match: { service: { exact: pertry } }
    route: { cluster: up, timeout: 2s, idempotent: true, retry_policy: { retry_on: timeout, num_retries: 1, per_try_timeout: 0.1s } }
  - match: { service: { exact: pertry-once } }
    route: { cluster: up, timeout: 2s, retry_policy: { retry_on: timeout, per_try_timeout: 0.1s } }`,
        ),
        rpcCluster('up', [{ port: up.port }]),
      ),
    );
    client = await RpcTestClient.connect(proxy.port('rpc'));
  });

  after(async () => {
    await client.close();
    await proxy.close();
    await up.close();
    unregisterRpcCodec('wrpc');
    rmSync(dir, { recursive: true, force: true });
  });

  const stat = (name: string): Promise<number> => adminStat(proxy.adminPort, name);
  const received = (service: string): number => up.received.filter((f) => f.service === service).length;

  function logLines(service: string): string[] {
    flushAllAccessLogs();
    return readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${service}.`));
  }

  test('a fixed delay holds the call before it goes upstream (DI)', async () => {
    const t0 = Date.now();
    const r = await client.call({ service: 'delayed', method: 'm' });
    const elapsed = Date.now() - t0;
    assert.equal(r.status, 'ok');
    assert.equal(resultOf(r).server, 'up');
    assert.ok(elapsed >= 140, `answered after ${elapsed} ms`);
    assert.equal(await stat('rpc.faults.fault.delays_injected'), 1);
    assert.equal(await stat('rpc.faults.fault.aborts_injected'), 0);
    await waitFor(() => logLines('delayed').length === 1);
    assert.deepEqual(logLines('delayed'), ['delayed.m 200 DI']);
  });

  test('an abort at 100% answers fault_abort without an upstream call (FI); at 0% calls pass', async () => {
    const r = await client.call({ service: 'abort100', method: 'm' }, { id: 77 });
    assert.equal(r.requestId, 77);
    assert.equal(r.body.local, 'fault_abort');
    assert.equal(r.body.error, 'injected');
    assert.equal(received('abort100'), 0);
    // The 0% abort route also has a delay with no percentage: never injected.
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) assert.equal((await client.call({ service: 'abort0', method: 'm' })).status, 'ok');
    assert.ok(Date.now() - t0 < 900);
    assert.equal(received('abort0'), 5);
    assert.equal(await stat('rpc.faults.fault.aborts_injected'), 1);
    assert.equal(await stat('rpc.faults.local_reply_fault_abort'), 1);
    await waitFor(() => logLines('abort100').length === 1);
    assert.deepEqual(logLines('abort100'), ['abort100.m 503 FI']);
  });

  test('a delay then an abort: the abort is decided after the delay (DI,FI)', async () => {
    const t0 = Date.now();
    const r = await client.call({ service: 'delay-abort', method: 'm' });
    assert.ok(Date.now() - t0 >= 45);
    assert.equal(r.body.local, 'fault_abort');
    assert.equal(r.body.error, 'fault filter abort');
    assert.equal(received('delay-abort'), 0);
    await waitFor(() => logLines('delay-abort').length === 1);
    assert.deepEqual(logLines('delay-abort'), ['delay-abort.m 503 DI,FI']);
  });

  test('a delayed call whose client goes away (reset) is cleaned up and never sent (DI,DC)', async () => {
    const before = await stat('rpc.faults.fault.delays_injected');
    const c = await RpcTestClient.connect(proxy.port('rpc'));
    const t0 = Date.now();
    void c.call({ service: 'held', method: 'gone' });
    await waitFor(async () => (await stat('rpc.faults.fault.delays_injected')) === before + 1);
    assert.equal(await stat('rpc.faults.request_active'), 1);
    c.socket.resetAndDestroy();
    await c.closed;
    await waitFor(async () => (await stat('rpc.faults.request_active')) === 0);
    assert.ok(Date.now() - t0 < 500, 'closed before the delay ended');
    // Past the delay's end: the call was dropped with its connection, never sent upstream.
    await sleep(Math.max(0, 550 - (Date.now() - t0)));
    assert.equal(received('held'), 0);
    await waitFor(() => logLines('held').length === 1);
    assert.deepEqual(logLines('held'), ['held.gone 0 DI,DC']);
  });

  test('the local rate limit answers rate_limited once the bucket is empty, and passes again after a refill (RL)', async () => {
    // Calls sent together reach the bucket within one fill interval.
    const burst = async (): Promise<string[]> => {
      const rs = await Promise.all([0, 1].map(() => client.call({ service: 'limited', method: 'm' })));
      return rs.map((r) => (r.status === 'ok' ? 'ok' : String(r.body.local)));
    };
    assert.deepEqual(await burst(), ['ok', 'rate_limited']);
    // Just past one refill and far from the next, so a loaded machine cannot land the burst across two.
    await sleep(1100);
    assert.deepEqual(await burst(), ['ok', 'rate_limited']);
    assert.equal(received('limited'), 2);
    assert.equal(await stat('rpc.faults.local_rate_limit.rate_limited'), 2);
    assert.equal(await stat('rpc.faults.local_rate_limit.ok'), 2);
    assert.equal(await stat('rpc.faults.local_reply_rate_limited'), 2);
    await waitFor(() => logLines('limited').length === 4);
    assert.equal(logLines('limited').filter((l) => l === 'limited.m 429 RL').length, 2);
  });

  test('a per-try timeout retries the call on another attempt within the route timeout', async () => {
    const t0 = Date.now();
    const r = await client.call({ service: 'pertry', method: 'flaky' });
    assert.equal(r.status, 'ok', JSON.stringify(r.body));
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(received('pertry'), 2);
    assert.equal(await stat('cluster.up.upstream_rq_per_try_timeout'), 1);
    assert.equal(await stat('cluster.up.upstream_rq_retry'), 1);
    assert.equal(await stat('cluster.up.upstream_rq_timeout'), 0);
  });

  test('a per-try timeout without a retry (route not idempotent) answers timeout (UT) before the route timeout', async () => {
    const t0 = Date.now();
    const r = await client.call({ service: 'pertry-once', method: 'hang' });
    const elapsed = Date.now() - t0;
    assert.equal(r.body.local, 'timeout');
    assert.equal(r.body.error, 'upstream per-try timeout');
    assert.ok(elapsed >= 90 && elapsed < 1000, `after ${elapsed} ms`);
    assert.equal(await stat('cluster.up.upstream_rq_per_try_timeout'), 2);
    await waitFor(() => logLines('pertry-once').length === 1);
    assert.deepEqual(logLines('pertry-once'), ['pertry-once.hang 504 UT']);
  });
});

describe('rpc_proxy fault and rate limit refusals', () => {
  before(() => registerRpcCodec(createTestCodec('wrpc', MAGIC)));
  after(() => unregisterRpcCodec('wrpc'));
  const P = 'static_resources\\.listeners\\[0\\]\\.filter_chains\\[0\\]\\.filters\\[0\\]\\.typed_config\\.route_config\\.routes\\[0\\]\\.route';
  const refusal = (action: string): string =>
    configError(bootstrap(rpcListener('rpc', `stat_prefix: s\ncodecs: [wrpc]\nroute_config: { routes: [{ route: { cluster: c, ${action} } }] }`), rpcCluster('c', [{ port: 1 }])));

  test('refuses empty faults, missing or zero delays, bad token buckets and per-try timeouts', () => {
    assert.match(refusal('fault: {}'), new RegExp(`${P}\\.fault: needs a delay or an abort`));
    assert.match(refusal('fault: { delay: { percentage: { numerator: 1 } } }'), new RegExp(`${P}\\.fault\\.delay\\.fixed_delay: is required`));
    assert.match(refusal('fault: { delay: { fixed_delay: 0s } }'), new RegExp(`${P}\\.fault\\.delay\\.fixed_delay: must be greater than 0`));
    assert.match(refusal('local_rate_limit: {}'), new RegExp(`${P}\\.local_rate_limit\\.token_bucket: is required`));
    assert.match(
      refusal('local_rate_limit: { token_bucket: { max_tokens: 1, fill_interval: 0.01s } }'),
      new RegExp(`${P}\\.local_rate_limit\\.token_bucket\\.fill_interval: must be at least 50ms`),
    );
    assert.match(
      refusal('local_rate_limit: { token_bucket: { max_tokens: 1, tokens_per_fill: 0, fill_interval: 1s } }'),
      new RegExp(`${P}\\.local_rate_limit\\.token_bucket\\.tokens_per_fill: value must be greater than 0`),
    );
    assert.match(
      refusal('retry_policy: { retry_on: timeout, per_try_timeout: 0s }'),
      new RegExp(`${P}\\.retry_policy\\.per_try_timeout: must be greater than 0`),
    );
  });
});
