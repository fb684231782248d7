import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '@weft/testing';
import { agentStatus, pidAlive, spawnWeft, startControlPlaneProcess, type WeftChild, until } from './agent-fixture.js';
import { reviewsMesh } from './mesh-fixture.js';

let dir: string;
let work: string;
let cp: Awaited<ReturnType<typeof startControlPlaneProcess>>;
let agent: WeftChild;
let proxyPid: number | undefined;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-orphan-'));
  work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-orphan-work-'));
  writeFileSync(path.join(dir, 'mesh.yaml'), reviewsMesh(await freePort(), '  - { address: 127.0.0.1, ports: { http: 9 } }'));
  cp = await startControlPlaneProcess(dir);
});

after(async () => {
  if (proxyPid !== undefined && pidAlive(proxyPid)) process.kill(proxyPid, 'SIGKILL');
  await agent?.stop();
  await cp?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

test('a proxy whose agent is killed -9 stops by itself instead of running on unsupervised', async () => {
  const [agentPort, adminPort] = [await freePort(), await freePort()];
  agent = spawnWeft([
    'agent', '--service', 'client', '--namespace', 'shop', '--workload', 'client-1', '--ip', '127.0.0.1',
    '--control-plane', `127.0.0.1:${cp.xdsPort}`, '--admin-port', String(adminPort), '--agent-port', String(agentPort),
    '--work-dir', work, '--ready-interval', '50', '--drain-time', '0.3', '-l', 'warning',
  ]);
  await until(async () => (await agentStatus(agentPort).catch(() => undefined))?.proxy.ready === true);
  proxyPid = (await agentStatus(agentPort)).proxy.pid as number;
  assert.ok(pidAlive(proxyPid));
  process.kill(agent.child.pid as number, 'SIGKILL');
  await until(() => Promise.resolve(!pidAlive(proxyPid as number)));
  assert.equal(pidAlive(proxyPid), false);
});
