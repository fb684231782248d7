import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleInterceptRequest } from './api.js';
import type { CommandRunner } from './installer.js';
import { Interceptor } from './interceptor.js';
import { DEFAULT_INTERCEPT } from './rules.js';
import { InterceptToggle, type ToggleSteps } from './toggle.js';

/** Steps that log their calls; gauges count down one per read. */
function fakeSteps(log: string[], requests: number[], connections: number[]): ToggleSteps {
  return {
    setInService: async (v) => void log.push(v ? 'in-service' : 'out-of-service'),
    activeRequests: async () => (log.push('read-requests'), requests.shift() ?? 0),
    activeConnections: async () => (log.push('read-connections'), connections.shift() ?? 0),
    drain: async () => void log.push('drain'),
    installRules: async () => void log.push('install'),
    stopCapture: async () => void log.push('stop-capture'),
    removeRules: async () => void log.push('remove'),
  };
}

function clock(): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let t = 0;
  return { now: () => t, sleep: async (ms) => void (t += ms) };
}

describe('InterceptToggle', () => {
  it('on: out of service, waits for in-flight requests, installs, back in service; reports timings', async () => {
    const log: string[] = [];
    const t = new InterceptToggle(fakeSteps(log, [2, 1, 0], []), { pollMs: 100, ...clock() });
    const r = await t.on();
    assert.deepEqual(log, ['out-of-service', 'read-requests', 'read-requests', 'read-requests', 'install', 'in-service']);
    assert.deepEqual(r, { action: 'on', prepareMs: 0, waitMs: 200, inFlightAtStart: 2, inFlightAtEnd: 0, waitTimedOut: false, rulesMs: 0, restoreMs: 0, totalMs: 200 });
    assert.equal(t.state, 'on');
  });

  it('off: stops capturing, drains, waits for connections (giving up at maxWaitMs), then removes the rules', async () => {
    const log: string[] = [];
    const t = new InterceptToggle(fakeSteps(log, [], [5, 5, 5, 5, 5]), { pollMs: 100, maxWaitMs: 250, ...clock() });
    const r = await t.off();
    assert.deepEqual(log, ['stop-capture', 'drain', 'read-connections', 'read-connections', 'read-connections', 'read-connections', 'remove', 'in-service']);
    assert.equal(r.waitTimedOut, true);
    assert.equal(r.inFlightAtEnd, 5);
    assert.equal(r.waitMs, 300);
    assert.equal(t.state, 'off');
  });

  it('serializes concurrent toggles and keeps going after a failed one', async () => {
    const log: string[] = [];
    const steps = fakeSteps(log, [], []);
    let fail = true;
    steps.installRules = async () => {
      if (fail) {
        fail = false;
        throw new Error('iptables-restore failed');
      }
      log.push('install');
    };
    const t = new InterceptToggle(steps, clock());
    const [a, b] = await Promise.allSettled([t.on(), t.off()]);
    assert.equal(a.status, 'rejected');
    assert.equal(b.status, 'fulfilled');
    assert.deepEqual(log, ['out-of-service', 'read-requests', 'stop-capture', 'drain', 'read-connections', 'remove', 'in-service']);
    assert.equal(t.state, 'off');
  });
});

describe('handleInterceptRequest', () => {
  function interceptor(calls: string[][]): Interceptor {
    let installed = '';
    const runner: CommandRunner = async (argv, input) => {
      calls.push([...argv]);
      if (argv.includes('-S')) return { code: 0, stdout: `-P OUTPUT ACCEPT\n${installed}`, stderr: '' };
      installed = input?.includes('-N WEFT_OUTPUT') ? '-N WEFT_OUTPUT\n-A OUTPUT -p tcp -j WEFT_OUTPUT\n' : '';
      return { code: 0, stdout: '', stderr: '' };
    };
    return new Interceptor({ config: DEFAULT_INTERCEPT, netns: 'ns1', runner, toggle: clock() });
  }

  it('turns interception on and off in the namespace and reports the state', async () => {
    const calls: string[][] = [];
    const i = interceptor(calls);
    assert.deepEqual((await handleInterceptRequest(i, 'GET', '/intercept')).body, { state: 'off', installed: { chains: [], jumps: [], rules: [] } });
    const on = await handleInterceptRequest(i, 'POST', '/intercept/on');
    assert.equal(on.status, 200);
    assert.equal((on.body as { action: string }).action, 'on');
    assert.deepEqual(calls[1], ['ip', 'netns', 'exec', 'ns1', 'iptables', '-w', '-t', 'nat', '-S']);
    assert.deepEqual(calls[2], ['ip', 'netns', 'exec', 'ns1', 'iptables-restore', '-w', '--noflush']);
    assert.equal(((await handleInterceptRequest(i, 'GET', '/intercept')).body as { state: string }).state, 'on');
    assert.equal((await handleInterceptRequest(i, 'POST', '/intercept/off')).status, 200);
    assert.equal(((await handleInterceptRequest(i, 'GET', '/intercept')).body as { state: string }).state, 'off');
    assert.match((await handleInterceptRequest(i, 'GET', '/intercept/rules')).body as string, /^\*nat\n-N WEFT_CONNTRACK\n/);
    assert.equal((await handleInterceptRequest(i, 'GET', '/intercept/on')).status, 405);
    assert.equal((await handleInterceptRequest(i, 'GET', '/nope')).status, 404);
  });

  it('answers 500 with the error when iptables fails', async () => {
    const runner: CommandRunner = async () => ({ code: 4, stdout: '', stderr: 'Permission denied (you must be root)' });
    const i = new Interceptor({ config: DEFAULT_INTERCEPT, runner, toggle: clock() });
    const r = await handleInterceptRequest(i, 'POST', '/intercept/on');
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, { error: 'iptables -t nat -S failed (4): Permission denied (you must be root)', code: 'WEFT_ERR_INTERCEPT_INSTALL' });
  });
});
