import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';
import { agentStatus, pidAlive, spawnWeft, startControlPlaneProcess, type WeftChild, until } from './agent-fixture.js';
import { reviewsMesh } from './mesh-fixture.js';

describe('weft agent with a real control plane', () => {
  let dir: string;
  let work: string;
  let app: TestUpstream;
  let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
  let agent: WeftChild;
  let agentPort: number;
  let adminPort: number;
  let egressPort: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-cp-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-work-'));
    // /slow answers after 400 ms: an in-flight request while the agent stops.
    app = await startUpstream('reviews', (req, res) => {
      const delay = req.url === '/slow' ? 400 : 0;
      setTimeout(() => res.writeHead(200, { 'content-length': 2 }).end('ok'), delay);
    });
    egressPort = await freePort();
    writeFileSync(path.join(dir, 'mesh.yaml'), reviewsMesh(egressPort, `  - { address: 127.0.0.1, ports: { http: ${app.port} } }`));
    cp = await startControlPlaneProcess(dir);
    [agentPort, adminPort] = [await freePort(), await freePort()];
    agent = spawnWeft([
      'agent', '--service', 'client', '--namespace', 'shop', '--workload', 'client-1', '--labels', 'app=client', '--ip', '127.0.0.1',
      '--control-plane', `127.0.0.1:${cp.xdsPort}`, '--admin-port', String(adminPort), '--agent-port', String(agentPort),
      '--work-dir', work, '--ready-interval', '50', '--restart-backoff', '400', '--drain-time', '0.3', '--termination-drain', '10', '-l', 'warning',
    ]);
  });

  after(async () => {
    await agent?.stop();
    await cp?.stop();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const get = (): Promise<number> =>
    request(egressPort, '/reviews/1', { headers: { host: `reviews.shop.svc.cluster.local:${egressPort}` } }).then((r) => r.status, () => 0);

  test('the proxy gets its listeners from the control plane, /status and /ready say ready, traffic flows', async () => {
    await until(async () => (await agentStatus(agentPort).catch(() => undefined))?.proxy.ready === true);
    const s = await agentStatus(agentPort);
    assert.equal(s.agent.pid, agent.child.pid);
    assert.equal(s.proxy.state, 'running');
    assert.equal(s.proxy.serverState, 'LIVE');
    assert.equal(s.proxy.restarts, 0);
    assert.equal(s.proxy.lastExit, null);
    assert.equal(s.identity.nodeId, 'sidecar~127.0.0.1~client-1.shop~shop.svc.cluster.local');
    assert.ok(typeof s.proxy.pid === 'number' && pidAlive(s.proxy.pid));
    const ready = await request(agentPort, '/ready');
    assert.deepEqual([ready.status, ready.body], [200, 'LIVE\n']);
    assert.match(readFileSync(path.join(work, 'bootstrap.yaml'), 'utf8'), /id: sidecar~127\.0\.0\.1~client-1\.shop~shop\.svc\.cluster\.local/);
    await until(async () => (await get()) === 200);
    const before = app.requests.length;
    assert.equal(await get(), 200);
    assert.equal(app.requests.length, before + 1);
    // The control plane sees the proxy under the node id the agent wrote.
    const syncz = JSON.parse((await request(cp.httpPort, '/debug/syncz')).body) as { proxies: { id?: string; proxy?: string }[] };
    assert.ok(JSON.stringify(syncz).includes('sidecar~127.0.0.1~client-1.shop~shop.svc.cluster.local'));
  });

  test('kill -9 of the proxy: the agent restarts it after the backoff, restarts counts, traffic flows again', async () => {
    const first = (await agentStatus(agentPort)).proxy.pid as number;
    process.kill(first, 'SIGKILL');
    await until(async () => {
      const s = await agentStatus(agentPort);
      return s.proxy.restarts === 1 && s.proxy.ready && s.proxy.pid !== first;
    });
    const s = await agentStatus(agentPort);
    assert.deepEqual(s.proxy.lastExit && [s.proxy.lastExit.pid, s.proxy.lastExit.signal, s.proxy.lastExit.code], [first, 'SIGKILL', null]);
    assert.equal(pidAlive(first), false);
    // The new proxy started at least the 400 ms backoff after the old one's exit (a little slack for clock rounding).
    const startedAt = Date.now() - s.proxy.uptimeMs;
    assert.ok(startedAt - Date.parse(s.proxy.lastExit?.at ?? '') >= 380, `restarted ${startedAt - Date.parse(s.proxy.lastExit?.at ?? '')} ms after the exit`);
    await until(async () => (await get()) === 200);
  });

  test('SIGTERM to the agent: listeners drain, the in-flight request finishes, the proxy exits, then the agent exits 0, no process left', async () => {
    const s = await agentStatus(agentPort);
    const proxyPid = s.proxy.pid as number;
    assert.ok(pidAlive(proxyPid));
    const seen = app.requests.length;
    const slow = request(egressPort, '/slow', { headers: { host: `reviews.shop.svc.cluster.local:${egressPort}` } });
    await until(async () => app.requests.length > seen);
    agent.child.kill('SIGTERM');
    const termAt = performance.now();
    const exitCode = agent.exited.then((code) => ({ code, at: performance.now() }));
    const answered = await slow.then((r) => ({ status: r.status, body: r.body, at: performance.now() }));
    assert.deepEqual([answered.status, answered.body], [200, 'ok'], 'the in-flight request finishes while the proxy drains');
    const exited = await exitCode;
    assert.equal(exited.code, 0);
    assert.ok(exited.at >= answered.at, 'the agent exits after the drain');
    assert.ok(exited.at - termAt < 8000, 'no connection left: the SIGTERM goes before the 10 s termination drain is over');
    assert.equal(pidAlive(proxyPid), false);
    await assert.rejects(request(agentPort, '/status'));
  });
});
