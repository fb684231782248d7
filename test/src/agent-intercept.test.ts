import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { AgentApi, DEFAULT_BACKOFF, parseIdentity, parseProxyEndpoints, runAgent, type RunningAgent } from '@weft/agent';
import { DEFAULT_INTERCEPT, interceptExtension, type CommandRunner } from '@weft/agent/intercept/index';
import { freePort, request } from '@weft/testing';
import { pidAlive, until } from './agent-fixture.js';
import { runWeft } from './weft-cli.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-hot-proxy.js');

/** iptables in memory: `-t nat -S` lists what the iptables-restore scripts left (-N/-A/-D/-F/-X). */
function fakeIptables(onRestore: (script: string) => void): CommandRunner {
  const chains: string[] = [];
  let rules: string[] = [];
  return async (full, input) => {
    // --netns: every command runs in the workload's namespace.
    assert.deepEqual(full.slice(0, 4), ['ip', 'netns', 'exec', 'wl-ns']);
    const argv = full.slice(4);
    if (argv.includes('-S')) return { code: 0, stdout: [...chains.map((c) => `-N ${c}`), ...rules].join('\n'), stderr: '' };
    assert.equal(argv[0], 'iptables-restore');
    onRestore(input ?? '');
    for (const line of (input ?? '').split('\n')) {
      const [op, chain = ''] = line.split(' ');
      if (op === '-N') chains.push(chain);
      else if (op === '-A') rules.push(line);
      else if (op === '-D') rules = rules.filter((r) => r !== `-A${line.slice(2)}`);
      else if (op === '-F') rules = rules.filter((r) => r.split(' ')[1] !== chain);
      else if (op === '-X') chains.splice(chains.indexOf(chain), 1);
    }
    return { code: 0, stdout: '', stderr: '' };
  };
}

interface Status {
  interception: { state: string; netns: string; onStart: boolean; installed: { jumps: string[] }; lastAutomatic: { action: string } | null };
}

describe('interception as an agent extension (fake proxy, iptables in memory)', () => {
  test('--intercept-on-start installs once the proxy is ready; the API and weft intercept --agent toggle; stop removes the rules before the proxy goes', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-int-'));
    const restores: Array<{ script: string; proxyAlive: boolean }> = [];
    const ref: { agent?: RunningAgent } = {};
    const runner = fakeIptables((script) => restores.push({ script, proxyAlive: ref.agent?.supervisor.child?.exitCode === null }));
    const agent = await runAgent({
      identity: parseIdentity({ service: 'web', ip: '127.0.0.1', 'interception-mode': 'redirect' }, {}),
      endpoints: parseProxyEndpoints({ 'admin-port': String(await freePort()) }, {}),
      workDir: work,
      proxyBinary: FAKE,
      proxyArgs: [],
      agentHost: '127.0.0.1',
      agentPort: 0,
      backoff: DEFAULT_BACKOFF,
      readyIntervalMs: 30,
      terminationDrainMs: 0,
      logLevel: 'off',
      extensions: [interceptExtension({ config: { ...DEFAULT_INTERCEPT, proxyUid: 4321, proxyGid: 4321 }, netns: 'wl-ns', onStart: true, runner, toggle: { maxWaitMs: 100, pollMs: 10 } })],
    });
    ref.agent = agent;
    const port = agent.port;
    const status = async (): Promise<Status> => JSON.parse((await request(port, '/status')).body) as Status;
    try {
      await until(async () => (await status()).interception.lastAutomatic !== null);
      const st = await status();
      assert.equal(st.interception.state, 'on');
      assert.equal(st.interception.onStart, true);
      assert.equal(st.interception.netns, 'wl-ns');
      assert.deepEqual(st.interception.installed.jumps, ['-A PREROUTING -p tcp -j WEFT_INBOUND', '-A OUTPUT -p tcp -j WEFT_OUTPUT']);
      assert.match(restores[0]?.script ?? '', /--uid-owner 4321 -j RETURN/);

      const off = await request(port, '/intercept/off', { method: 'POST' });
      assert.equal(off.status, 200);
      assert.equal((JSON.parse(off.body) as { action: string }).action, 'off');
      assert.equal((await status()).interception.state, 'off');

      const on = await runWeft(['intercept', 'on', '--agent', `127.0.0.1:${port}`, '--json']);
      assert.equal(on.code, 0, on.stderr);
      assert.equal((JSON.parse(on.stdout) as { action: string; waitTimedOut: boolean }).waitTimedOut, false);
      const cliStatus = await runWeft(['intercept', 'status', '--agent', `127.0.0.1:${port}`]);
      assert.equal(cliStatus.code, 0, cliStatus.stderr);
      assert.match(cliStatus.stdout, /^interception on\n {2}-A PREROUTING -p tcp -j WEFT_INBOUND\n/);
      const dry = await runWeft(['intercept', 'on', '--dry-run', '--agent', `127.0.0.1:${port}`]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^\*nat\n[^]*-A WEFT_OUTPUT -m owner --gid-owner 4321 -j RETURN\n[^]*COMMIT\n$/);
    } finally {
      const pid = agent.supervisor.child?.pid as number;
      const before = restores.length;
      assert.equal(await agent.stop(), 0);
      rmSync(work, { recursive: true, force: true });
      // The stop ran the lossless off (capture stopped, then everything removed) while the proxy still served.
      assert.deepEqual(restores.slice(before).map((r) => r.proxyAlive), [true, true]);
      assert.match(restores.at(-1)?.script ?? '', /^\*nat\n-F WEFT_CONNTRACK\n-X WEFT_CONNTRACK\nCOMMIT\n$/);
      assert.equal(pidAlive(pid), false);
    }
  });

  test('a proxy that quits ends the agent and its rules go anyway (nothing left to drain)', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-int-'));
    const adminPort = await freePort();
    const scripts: string[] = [];
    const runner = fakeIptables((script) => scripts.push(script));
    const agent = await runAgent({
      identity: parseIdentity({ service: 'web', ip: '127.0.0.1', 'interception-mode': 'redirect' }, {}),
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
      extensions: [interceptExtension({ config: DEFAULT_INTERCEPT, netns: 'wl-ns', onStart: true, runner, toggle: { maxWaitMs: 100, pollMs: 10 } })],
    });
    try {
      await until(async () => scripts.length === 1);
      assert.equal((await request(adminPort, '/quitquitquit', { method: 'POST' })).status, 200);
      assert.equal(await agent.done, 0);
      // on, then stop: the lossless off fails at the drain (capture already stopped), the removal takes the rest.
      assert.equal(scripts.length, 3);
      assert.match(scripts[1] ?? '', /^\*nat\n-D PREROUTING -p tcp -j WEFT_INBOUND\n/);
      assert.equal(scripts[2], '*nat\n-F WEFT_CONNTRACK\n-X WEFT_CONNTRACK\nCOMMIT\n');
    } finally {
      await agent.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('weft intercept --agent: an agent without interception, an unreachable agent, local-only options', async () => {
    const plain = new AgentApi();
    const port = await plain.listen('127.0.0.1', 0);
    try {
      const r = await runWeft(['intercept', 'off', '--agent', `127.0.0.1:${port}`]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `weft intercept off: the agent at 127.0.0.1:${port} has no interception (run it with --interception-mode redirect)\n`);
    } finally {
      await plain.close();
    }
    const none = await runWeft(['intercept', 'on', '--agent', `127.0.0.1:${await freePort()}`]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^weft intercept on: cannot reach the agent at 127\.0\.0\.1:\d+: /);
    const mixed = await runWeft(['intercept', 'on', '--agent', '127.0.0.1:15020', '--include-inbound-ports', '80']);
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /--agent: the capture options are the agent's own/);
  });

  test('weft agent refuses interception options without --interception-mode redirect, and bad ones with it', async () => {
    const noMode = await runWeft(['agent', '--service', 'web', '--intercept-on-start']);
    assert.equal(noMode.code, 2);
    assert.equal(noMode.stderr, 'weft agent: --interception-mode: the interception options need --interception-mode redirect\n');
    const badPort = await runWeft(['agent', '--service', 'web', '--interception-mode', 'redirect', '--exclude-inbound-ports', '15020,x']);
    assert.equal(badPort.code, 2);
    assert.equal(badPort.stderr, "weft agent: --exclude-inbound-ports: 'x' is not a port\n");
    const badCidr = await runWeft(['agent', '--service', 'web', '--interception-mode', 'redirect', '--exclude-outbound-ip-ranges', '10.0.0.0/33']);
    assert.equal(badCidr.code, 2);
    assert.equal(badCidr.stderr, "weft agent: excludeOutboundIPRanges: '10.0.0.0/33' is not an IPv4 CIDR\n");
  });
});
