import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULT_BACKOFF, parseIdentity, parseProxyEndpoints, runAgent, type AgentContext } from '@weft/agent';
import { freePort, request } from '@weft/testing';
import { pidAlive, until } from './agent-fixture.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-hot-proxy.js');

test('an extension registers its routes (the /intercept/* seam) and sees the identity and admin port; stop() ends everything', async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-ext-'));
  const adminPort = await freePort();
  let seen: AgentContext | undefined;
  const agent = await runAgent({
    identity: parseIdentity({ service: 'web', ip: '127.0.0.1' }, {}),
    endpoints: parseProxyEndpoints({ 'admin-port': String(adminPort) }, {}),
    workDir: work,
    proxyBinary: FAKE,
    proxyArgs: [],
    agentHost: '127.0.0.1',
    agentPort: 0,
    backoff: DEFAULT_BACKOFF,
    readyIntervalMs: 30,
    terminationDrainMs: 0,
    logLevel: 'off',
    extensions: [
      (ctx) => {
        seen = ctx;
        ctx.api.route('POST', '/intercept/on', (req) => ({ status: 200, body: { on: true, proxyPid: ctx.supervisor.child?.pid ?? null, body: req.body ?? null } }));
      },
    ],
  });
  try {
    assert.equal(seen?.adminPort, adminPort);
    assert.equal(seen?.identity.service, 'web');
    await until(async () => agent.supervisor.ready);
    const res = await request(agent.port, '/intercept/on', { method: 'POST', body: '{"drainMs":10}' });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { on: true, proxyPid: agent.supervisor.child?.pid, body: { drainMs: 10 } });
  } finally {
    const pid = agent.supervisor.child?.pid as number;
    assert.equal(await agent.stop(), 0);
    assert.equal(await agent.done, 0);
    assert.equal(pidAlive(pid), false);
    rmSync(work, { recursive: true, force: true });
  }
});
