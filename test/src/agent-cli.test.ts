import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { freePort } from '@weft/testing';
import { agentStatus, spawnWeft, until } from './agent-fixture.js';
import { runWeft } from './weft-cli.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-hot-proxy.js');

describe('weft agent CLI', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-cli-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  test('--help lists the identity flags, their environment variables and the API', async () => {
    const res = await runWeft(['agent', '--help']);
    assert.equal(res.code, 0);
    for (const s of ['--service', 'WEFT_SERVICE', '--labels', '--control-plane', '--bootstrap-only', '15020', 'POST /upgrade', 'weft agent status']) {
      assert.ok(res.stdout.includes(s), s);
    }
  });

  test('--bootstrap-only prints the bootstrap it writes to <work-dir>/bootstrap.yaml and exits 0', async () => {
    const res = await runWeft(['agent', '--bootstrap-only', '--service', 'reviews', '--namespace', 'shop', '--ip', '10.0.0.7', '--work-dir', work, '--admin-port', '15099']);
    assert.equal(res.code, 0);
    assert.equal(res.stdout, readFileSync(path.join(work, 'bootstrap.yaml'), 'utf8'));
    assert.match(res.stdout, /^# Written by weft agent for sidecar~10\.0\.0\.7~reviews-10-0-0-7\.shop~shop\.svc\.cluster\.local\nnode:\n {2}id: sidecar~10\.0\.0\.7~reviews-10-0-0-7\.shop~shop\.svc\.cluster\.local\n {2}cluster: reviews\.shop\n/);
    assert.match(res.stdout, /port_value: 15099/);
    assert.equal(res.stderr, `weft agent: bootstrap written to ${path.join(work, 'bootstrap.yaml')}\n`);
  });

  test('an invalid identity exits 2 naming the flag (or its environment variable)', async () => {
    assert.deepEqual(await runWeft(['agent', '--bootstrap-only', '--ip', '10.0.0.1']), {
      code: 2,
      stdout: '',
      stderr: 'weft agent: --service: is required (or set WEFT_SERVICE)\n',
    });
    const bad = await runWeft(['agent', '--service', 'r', '--control-plane', 'istiod']);
    assert.deepEqual([bad.code, bad.stderr], [2, "weft agent: --control-plane: 'istiod' is not host:port\n"]);
    const port = await runWeft(['agent', '--service', 'r', '--ip', '10.0.0.1', '--agent-port', '99999']);
    assert.deepEqual([port.code, port.stderr], [2, "weft agent: --agent-port: '99999' is not a port number\n"]);
    const binary = await runWeft(['agent', '--service', 'r', '--ip', '10.0.0.1', '--proxy-binary', '/nonexistent/weft.js']);
    assert.deepEqual([binary.code, binary.stderr], [2, 'weft agent: --proxy-binary: /nonexistent/weft.js does not exist\n']);
    const unknown = await runWeft(['agent', '--servce', 'r']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^weft agent: Unknown option '--servce'/);
  });

  test('weft agent status prints the running agent\'s view (table and JSON); an absent agent exits 1', async () => {
    const [agentPort, adminPort] = [await freePort(), await freePort()];
    const agent = spawnWeft(['agent', '--service', 'web', '--ip', '127.0.0.1', '--admin-port', String(adminPort), '--agent-port', String(agentPort),
      '--work-dir', work, '--proxy-binary', FAKE, '--ready-interval', '30', '-l', 'warning']);
    try {
      await until(async () => (await agentStatus(agentPort).catch(() => undefined))?.proxy.ready === true);
      const pid = (await agentStatus(agentPort)).proxy.pid;
      const table = await runWeft(['agent', 'status', '--agent', `127.0.0.1:${agentPort}`]);
      assert.equal(table.code, 0);
      assert.match(table.stdout, /^FIELD +VALUE\nnode +sidecar~127\.0\.0\.1~web-127-0-0-1\.default~default\.svc\.cluster\.local\n/);
      assert.match(table.stdout, new RegExp(`\\nproxy pid +${pid}\\nstate +running\\nready +true \\(LIVE\\)\\nrestarts +0\\n`));
      assert.match(table.stdout, /\nlast upgrade +none\n$/);
      const json = await runWeft(['agent', 'status', '--agent', `127.0.0.1:${agentPort}`, '-o', 'json']);
      assert.equal((JSON.parse(json.stdout) as { proxy: { pid: number } }).proxy.pid, pid);
    } finally {
      await agent.stop();
    }
    const gone = await runWeft(['agent', 'status', '--agent', `127.0.0.1:${agentPort}`]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^weft agent status: cannot reach the agent at 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  });
});
