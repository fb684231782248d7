import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, describe, test } from 'node:test';
import { freePort, request } from '@weft/testing';
import { agentStatus, pidAlive, spawnWeft, type WeftChild, until } from './agent-fixture.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-hot-proxy.js');

/** An agent supervising the fake proxy (real agent process, real IPC and handle passing, no control plane needed). */
async function startAgent(work: string, extra: readonly string[] = [], env: Record<string, string> = {}): Promise<{ agent: WeftChild; port: number; adminPort: number }> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const agent = spawnWeft(
    [
      'agent', '--service', 'web', '--ip', '127.0.0.1', '--admin-port', String(adminPort), '--agent-port', String(port), '--work-dir', work,
      '--proxy-binary', FAKE, '--ready-interval', '30', '--restart-backoff', '50', '-l', 'warning', ...extra,
    ],
    env,
  );
  await until(async () => (await agentStatus(port).catch(() => undefined))?.proxy.ready === true);
  return { agent, port, adminPort };
}

const upgrade = (port: number, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> =>
  request(port, '/upgrade', { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then((r) => ({
    status: r.status,
    json: JSON.parse(r.body) as Record<string, unknown>,
  }));

/** Fails instead of hanging when a connection is accepted but never answered. */
async function answered<T>(p: Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('weft agent: hot upgrade, give-up and signals (fake proxy speaking the upgrade protocol)', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-up-'));
  let running: WeftChild | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('POST /upgrade: NEW takes the admin socket, becomes the supervised proxy; OLD exits without counting as a crash', async () => {
    const { agent, port, adminPort } = await startAgent(work);
    running = agent;
    const oldPid = (await agentStatus(port)).proxy.pid as number;
    const res = await upgrade(port, { timeoutMs: 5000 });
    assert.equal(res.status, 200);
    assert.equal(res.json.ok, true);
    assert.equal(res.json.fromPid, oldPid);
    const newPid = res.json.toPid as number;
    assert.notEqual(newPid, oldPid);
    assert.equal(typeof res.json.readyAfterMs, 'number');
    await until(async () => typeof (await agentStatus(port)).upgrade.last?.oldExitAfterMs === 'number');
    const s = await agentStatus(port);
    assert.equal(s.proxy.pid, newPid);
    assert.equal(s.proxy.restarts, 0);
    assert.equal(s.proxy.lastExit, null);
    assert.equal(s.upgrade.inProgress, false);
    assert.equal(s.upgrade.last?.oldExitCode, 0);
    assert.ok((s.upgrade.last?.oldExitAfterMs as number) >= 150);
    assert.equal(pidAlive(oldPid), false);
    await until(async () => (await agentStatus(port)).proxy.ready);
    // Every new connection to the handed-over port is answered: no copy of the socket is left listening in the agent.
    for (let i = 0; i < 20; i++) assert.equal((await answered(request(adminPort, '/ready'))).body, 'LIVE\n');
    // Back to back: the upgraded proxy can be upgraded again.
    const again = await upgrade(port, { timeoutMs: 5000 });
    assert.equal(again.json.ok, true);
    assert.equal(again.json.fromPid, newPid);
  });

  test('an upgrade whose NEW misses the deadline is aborted: NEW is killed, OLD stays supervised', async () => {
    const { agent, port } = await startAgent(work);
    running = agent;
    const oldPid = (await agentStatus(port)).proxy.pid as number;
    // A NEW that never reports ready: another binary, as a real upgrade to a broken version would be.
    const res = await upgrade(port, { timeoutMs: 300, binary: FAKE.replace(/\.js$/, '-never-ready.js') });
    assert.equal(res.status, 500);
    assert.equal(res.json.ok, false);
    assert.match(String(res.json.reason), /not ready within 300 ms/);
    const newPid = res.json.toPid as number;
    await until(async () => !pidAlive(newPid));
    const s = await agentStatus(port);
    assert.equal(s.proxy.pid, oldPid);
    assert.equal(s.proxy.state, 'running');
    assert.equal(s.proxy.restarts, 0);
    assert.ok(pidAlive(oldPid));
  });

  test('refused upgrades: bad body 400, missing binary 400, a second concurrent upgrade 409', async () => {
    const { agent, port } = await startAgent(work);
    running = agent;
    assert.deepEqual(await upgrade(port, { timeout: 1 }), { status: 400, json: { ok: false, reason: "unknown or invalid field 'timeout' (expected binary: string, timeoutMs: number)" } });
    assert.deepEqual(await upgrade(port, { binary: '/nonexistent/weft.js' }), { status: 400, json: { ok: false, reason: 'binary /nonexistent/weft.js does not exist' } });
    const first = upgrade(port, { timeoutMs: 3000, binary: FAKE.replace(/\.js$/, '-never-ready.js') });
    await until(async () => (await agentStatus(port)).upgrade.inProgress);
    assert.deepEqual(await upgrade(port, {}), { status: 409, json: { ok: false, reason: 'an upgrade is already in progress' } });
    assert.equal((await first).json.ok, false);
  });

  test('a proxy that keeps crashing: restarts with backoff, then the agent gives up and exits 1', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const agent = spawnWeft(
      ['agent', '--service', 'web', '--ip', '127.0.0.1', '--admin-port', String(adminPort), '--agent-port', String(port), '--work-dir', work,
        '--proxy-binary', FAKE, '--restart-backoff', '20', '--max-restarts', '3', '-l', 'info'],
      { FAKE_PROXY_MODE: 'crash' },
    );
    running = agent;
    assert.equal(await agent.exited, 1);
    assert.equal((agent.stderr.match(/"msg":"proxy exited"/g) ?? []).length, 4);
    assert.match(agent.stderr, /proxy crashed 4 times in a row; giving up/);
  });

  test('a proxy that exits 0 before it was ever LIVE failed to start: restarted, then given up on', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const agent = spawnWeft(
      ['agent', '--service', 'web', '--ip', '127.0.0.1', '--admin-port', String(adminPort), '--agent-port', String(port), '--work-dir', work,
        '--proxy-binary', FAKE, '--restart-backoff', '20', '--max-restarts', '1', '-l', 'info'],
      { FAKE_PROXY_MODE: 'exit0' },
    );
    running = agent;
    assert.equal(await agent.exited, 1);
    assert.equal((agent.stderr.match(/"code":0,"signal":null,.*"msg":"proxy exited"/g) ?? []).length, 2);
    assert.match(agent.stderr, /proxy crashed 2 times in a row; giving up/);
  });

  test('a LIVE proxy that quits with code 0 (/quitquitquit) ends the agent with 0', async () => {
    const { agent, adminPort } = await startAgent(work);
    running = agent;
    await request(adminPort, '/quitquitquit', { method: 'POST' });
    assert.equal(await agent.exited, 0);
  });

  test('a second SIGTERM while the proxy drains kills it and exits 1 at once; nothing is left running', async () => {
    const { agent, port } = await startAgent(work, [], { FAKE_PROXY_MODE: 'ignore-term' });
    running = agent;
    const pid = (await agentStatus(port)).proxy.pid as number;
    agent.child.kill('SIGTERM');
    await until(async () => (await agentStatus(port).catch(() => undefined))?.proxy.state === 'stopping');
    assert.ok(pidAlive(pid), 'the proxy ignores SIGTERM');
    agent.child.kill('SIGTERM');
    assert.equal(await agent.exited, 1);
    await until(async () => !pidAlive(pid));
  });
});
