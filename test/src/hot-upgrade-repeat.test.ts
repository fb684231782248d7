import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { hasTool, sleep, startWrk, waitForExit, WeftProcess } from './hot-upgrade-harness.js';

const noWrk = hasTool('wrk') ? false : 'wrk is not installed (CI installs it): repeated hot-upgrade test NOT RUN';
if (noWrk) process.stderr.write(`\n*** SKIPPED: ${noWrk} ***\n`);

describe('repeated hot upgrades (real processes)', () => {
  let upstream: http.Server;
  let upstreamPort: number;

  before(async () => {
    upstream = http.createServer({ keepAlive: true }, (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
      res.end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });

  after(async () => {
    await new Promise<void>((r) => {
      upstream.close(() => r());
      upstream.closeAllConnections();
    });
  });

  test('ten upgrades in a row under wrk load: no error, and downstream_rq_total only grows', { skip: noWrk }, async () => {
    const proxy = await WeftProcess.start({ upstreamPort, drainTimeS: 2 });
    try {
      const load = startWrk(proxy.port, 60, 8);
      await sleep(300);
      const pids: number[] = [];
      let last = await proxy.stat('http.edge.downstream_rq_total');
      for (let i = 0; i < 10; i++) {
        // Back to back: the previous OLD may still be draining when its successor is upgraded.
        const { status, report } = await proxy.upgrade();
        assert.equal(status, 200, `upgrade ${i + 1}: ${JSON.stringify(report)}`);
        pids.push(report.old_pid);
        const now = await proxy.stat('http.edge.downstream_rq_total');
        assert.ok(now >= last, `upgrade ${i + 1}: downstream_rq_total went from ${last} to ${now}`);
        last = now;
      }
      // Ten upgrades are done: stop the load (wrk still reports the whole run).
      load.stop();
      const res = await load.result;
      assert.equal(res.socketErrors, 0, res.output);
      assert.equal(res.non2xx3xx, 0, res.output);
      for (const pid of pids) assert.equal(await waitForExit(pid, 4000), true, `old process ${pid} exited`);
      assert.equal(new Set(pids).size, 10);
      const final = await proxy.stat('http.edge.downstream_rq_total');
      assert.ok(final >= res.requests, `downstream_rq_total ${final} < wrk's ${res.requests}`);
    } finally {
      await proxy.close();
    }
  });
});
