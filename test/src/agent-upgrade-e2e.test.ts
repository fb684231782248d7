import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';
import { agentStatus, pidAlive, spawnWeft, startControlPlaneProcess, type WeftChild, until } from './agent-fixture.js';
import { reviewsMesh } from './mesh-fixture.js';

// The real `weft proxy` on both sides of the upgrade: needs the proxy-side handover (OLD/NEW over IPC).
describe('weft agent: hot upgrade of a real proxy under load', () => {
  let dir: string;
  let work: string;
  let app: TestUpstream;
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  let agent: WeftChild;
  let agentPort: number;
  let egressPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-e2e-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-e2e-work-'));
    app = await startUpstream('reviews');
    egressPort = await freePort();
    writeFileSync(path.join(dir, 'mesh.yaml'), reviewsMesh(egressPort, `  - { address: 127.0.0.1, ports: { http: ${app.port} } }`));
    cp = await startControlPlaneProcess(dir);
    const adminPort = await freePort();
    agentPort = await freePort();
    agent = spawnWeft([
      'agent', '--service', 'client', '--namespace', 'shop', '--workload', 'client-1', '--labels', 'app=client', '--ip', '127.0.0.1',
      '--control-plane', `127.0.0.1:${cp.xdsPort}`, '--admin-port', String(adminPort), '--agent-port', String(agentPort),
      '--work-dir', work, '--ready-interval', '50', '--drain-time', '0.5', '-l', 'warning',
    ]);
    await until(async () => (await agentStatus(agentPort).catch(() => undefined))?.proxy.ready === true);
  });

  after(async () => {
    await agent?.stop();
    await cp?.stop();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  test('POST /upgrade twice in a row: zero failed requests, NEW supervised, OLD drained and exited, timings reported', async () => {
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const get = (): Promise<number> =>
      request(egressPort, '/reviews/1', { agent: keepAlive, headers: { host: `reviews.shop.svc.cluster.local:${egressPort}` } }).then((r) => r.status, () => 0);
    await until(async () => (await get()) === 200);
    let stop = false;
    const results = { ok: 0, failed: 0 };
    const load = (async () => {
      while (!stop) {
        if ((await get()) === 200) results.ok++;
        else results.failed++;
      }
    })();
    try {
      for (let round = 0; round < 2; round++) {
        const oldPid = (await agentStatus(agentPort)).proxy.pid as number;
        const res = await request(agentPort, '/upgrade', { method: 'POST', body: JSON.stringify({ timeoutMs: 10_000 }) });
        assert.equal(res.status, 200, res.body);
        const report = JSON.parse(res.body) as { ok: boolean; fromPid: number; toPid: number; readyAfterMs: number };
        assert.equal(report.ok, true);
        assert.equal(report.fromPid, oldPid);
        assert.ok(report.readyAfterMs >= 0);
        await until(async () => typeof (await agentStatus(agentPort)).upgrade.last?.oldExitAfterMs === 'number', 10_000);
        const s = await agentStatus(agentPort);
        assert.equal(s.proxy.pid, report.toPid);
        assert.equal(s.proxy.restarts, 0);
        assert.equal(pidAlive(oldPid), false);
        await until(async () => (await agentStatus(agentPort)).proxy.ready);
      }
    } finally {
      stop = true;
      await load;
      keepAlive.destroy();
    }
    assert.equal(results.failed, 0);
    assert.ok(results.ok > 0);
  });
});
