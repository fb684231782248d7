import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from '@weft/testing';
import { hasTool, isAlive, runH2load, runWrk, sleep, waitForExit, WeftProcess } from './hot-upgrade-harness.js';
import { runWeft } from './weft-cli.js';

const noWrk = hasTool('wrk') ? false : 'wrk is not installed (CI installs it): hot-upgrade load test NOT RUN';
const noH2load = hasTool('h2load') ? false : 'h2load is not installed (CI installs it): hot-upgrade HTTP/2 load test NOT RUN';
if (noWrk) process.stderr.write(`\n*** SKIPPED: ${noWrk} ***\n`);
if (noH2load) process.stderr.write(`\n*** SKIPPED: ${noH2load} ***\n`);

describe('hot upgrade of a standalone weft proxy (real processes)', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let dir: string;

  before(async () => {
    upstream = http.createServer({ keepAlive: true }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-upgrade-bin-'));
  });

  after(async () => {
    await new Promise<void>((r) => {
      upstream.close(() => r());
      upstream.closeAllConnections();
    });
    rmSync(dir, { recursive: true, force: true });
  });

  test('under wrk keep-alive load: no socket error, no non-2xx, the old process exits and the new one serves on the same sockets', { skip: noWrk }, async () => {
    const proxy = await WeftProcess.start({ upstreamPort, drainTimeS: 3 });
    try {
      const load = runWrk(proxy.port, 3);
      await sleep(300);
      const { status, report } = await proxy.upgrade();
      assert.equal(status, 200, JSON.stringify(report));
      assert.equal(report.ok, true);
      assert.equal(report.old_pid, proxy.child.pid);
      assert.ok(report.new_pid !== undefined && report.new_pid !== report.old_pid);
      assert.ok((report.ready_ms ?? 0) > 0 && (report.hello_ms ?? 0) <= (report.ready_ms ?? 0));
      assert.equal(report.old_exit_deadline_ms, 3000);
      const res = await load;
      assert.equal(res.socketErrors, 0, res.output);
      assert.equal(res.non2xx3xx, 0, res.output);
      assert.ok(res.requests > 100, res.output);
      // wrk's connections got `connection: close` and reconnected to NEW: OLD had nothing left and exited early.
      assert.equal(await waitForExit(report.old_pid, 4000), true, 'the old process exited');
      assert.equal(isAlive(report.new_pid ?? 0), true);
      const after = await request(proxy.port, '/after');
      assert.equal(after.status, 200);
      assert.equal(after.body, 'ok');
      // Counters survive: NEW reports every request of the run (OLD's frozen at its exit, plus its own).
      const total = await proxy.stat('http.edge.downstream_rq_total');
      assert.ok(total >= res.requests + 1, `downstream_rq_total ${total} < ${res.requests + 1}`);
      const prom = (await request(proxy.adminPort, '/stats/prometheus')).body;
      const m = /^envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="edge"\} (\d+)$/m.exec(prom);
      assert.ok(m && Number(m[1]) >= res.requests + 1, `prometheus: ${m?.[0] ?? 'missing'}`);
      const info = JSON.parse((await request(proxy.adminPort, '/server_info')).body) as { state: string };
      assert.equal(info.state, 'LIVE');
    } finally {
      await proxy.close();
    }
  });

  test('under h2load (HTTP/2): every request the proxy received is answered 2xx across the upgrade (two-step GOAWAY)', { skip: noH2load }, async () => {
    const proxy = await WeftProcess.start({ upstreamPort, drainTimeS: 3 });
    try {
      const load = runH2load(proxy.port, 3);
      await sleep(300);
      const { status, report } = await proxy.upgrade();
      assert.equal(status, 200, JSON.stringify(report));
      const res = await load;
      // h2load (timing mode) cannot survive a GOAWAY: nghttp2 refuses new streams once one arrives, h2load counts the
      // refused submission as failed ("Process Request Failure") and never reconnects. So a connection that gets its
      // GOAWAY before h2load's run ends adds failures that never reached the network; whether that happens depends
      // on how fast NEW starts. Every request that was sent must succeed, and the proxy must have answered no 5xx.
      if (res.failed > 0) assert.match(res.output, /Process Request Failure/, res.output);
      assert.ok(res.failed <= 8 * 8, `at most the streams of 8 connections x 8: ${res.output}`);
      assert.equal(res.errored, res.failed, res.output);
      assert.equal(res.timeout, 0, res.output);
      assert.equal(res.total - res.failed, res.succeeded, res.output);
      assert.ok(res.succeeded > 100, res.output);
      assert.doesNotMatch(res.output, /[1-9]\d* 5xx/, res.output);
      assert.equal(await waitForExit(report.old_pid, 4000), true, 'the old process exited');
      // h2load opens no new connection after a GOAWAY; a new client reaches NEW.
      assert.equal((await request(proxy.port, '/after')).status, 200);
      assert.ok((await proxy.stat('http.edge.downstream_rq_total')) >= res.succeeded + 1);
      assert.equal(await proxy.stat('http.edge.downstream_rq_5xx'), 0);
    } finally {
      await proxy.close();
    }
  });

  test('a new binary that never becomes ready: the upgrade aborts at the deadline (weft upgrade exits 1), the old process keeps serving without error', { skip: noWrk }, async () => {
    const never = path.join(dir, 'never-ready.js');
    writeFileSync(never, 'setInterval(() => {}, 1000);\n');
    const exits = path.join(dir, 'exits.sh');
    writeFileSync(exits, '#!/bin/sh\nexit 3\n');
    chmodSync(exits, 0o755);
    const proxy = await WeftProcess.start({ upstreamPort });
    try {
      const load = runWrk(proxy.port, 3);
      await sleep(300);
      const cli = await runWeft(['upgrade', '--admin', `127.0.0.1:${proxy.adminPort}`, '--binary', never, '--timeout', '800']);
      assert.equal(cli.code, 1, cli.stdout + cli.stderr);
      assert.match(cli.stdout, /^upgrade aborted after \d+(\.\d+)? ms: new proxy was not ready within 800 ms; old proxy pid \d+ keeps serving\n$/);
      const exited = await proxy.upgrade(`?binary=${encodeURIComponent(exits)}`);
      assert.equal(exited.status, 503);
      assert.equal(exited.report.ok, false);
      assert.match(exited.report.reason ?? '', /^new proxy exited before it was ready \(code 3, signal null\)$/);
      const res = await load;
      assert.equal(res.socketErrors, 0, res.output);
      assert.equal(res.non2xx3xx, 0, res.output);
      assert.ok(res.requests > 100);
      assert.equal(isAlive(proxy.child.pid ?? 0), true);
      assert.equal((await request(proxy.port, '/still')).status, 200);
      // Still upgradable after the aborts.
      const ok = await proxy.upgrade();
      assert.equal(ok.status, 200, JSON.stringify(ok.report));
      assert.equal(await waitForExit(ok.report.old_pid, 4000), true);
      assert.equal((await request(proxy.port, '/new')).status, 200);
    } finally {
      await proxy.close();
    }
  });

  test('weft upgrade: --admin is required (exit 2), an unreachable admin is exit 1', async () => {
    const usage = await runWeft(['upgrade']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^weft upgrade: --admin is required\n/);
    const help = await runWeft(['help', 'upgrade']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: weft upgrade --admin <host:port>/);
    const unreachable = await runWeft(['upgrade', '--admin', '127.0.0.1:1']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^weft upgrade: cannot reach the proxy admin at 127\.0\.0\.1:1: .*ECONNREFUSED/);
  });

  test('--concurrency 2: the upgrade is refused with a clear reason (501) and the proxy keeps serving', async () => {
    const proxy = await WeftProcess.start({ upstreamPort, args: ['--concurrency', '2'] });
    try {
      const { status, report } = await proxy.upgrade();
      assert.equal(status, 501);
      assert.deepEqual(report, { ok: false, reason: 'hot upgrade is supported with --concurrency 1 only' });
      assert.equal((await request(proxy.port, '/still')).status, 200);
    } finally {
      await proxy.close();
    }
  });
});
