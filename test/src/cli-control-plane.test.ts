import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { freePort, request } from '@weft/testing';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const weft = path.join(repoRoot, 'packages', 'cli', 'bin', 'weft.js');

const SNAPSHOT = `clusters:
- { name: web, type: EDS, connect_timeout: 1s, eds_cluster_config: { eds_config: { ads: {} } } }
endpoints:
- cluster_name: web
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 9001 } } } }] }]
`;

describe('weft control-plane', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cp-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--help lists the options', () => {
    const res = spawnSync(process.execPath, [weft, 'control-plane', '--help'], { encoding: 'utf8' });
    assert.equal(res.status, 0);
    for (const opt of ['--snapshot-file', '--xds-address', '--http-address', '15010', '15014']) assert.ok(res.stdout.includes(opt), opt);
  });

  test('an invalid snapshot file exits 1 naming the file and field', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'clusters:\n- { name: web, tipe: EDS }\n');
    const res = spawnSync(process.execPath, [weft, 'control-plane', '--snapshot-file', file], { encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /bad\.yaml.*clusters\[0\]\.tipe/);
  });

  test('serves the snapshot: /ready answers, /debug/syncz lists no proxies, SIGTERM exits 0', async () => {
    const file = path.join(dir, 'snap.yaml');
    writeFileSync(file, SNAPSHOT);
    const [xdsPort, httpPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [weft, 'control-plane', '--snapshot-file', file, '--xds-address', `127.0.0.1:${xdsPort}`, '--http-address', `127.0.0.1:${httpPort}`, '-l', 'warning'],
      { stdio: 'ignore' },
    );
    try {
      let ready = false;
      for (let i = 0; i < 200 && !ready; i++) {
        try {
          ready = (await request(httpPort, '/ready')).status === 200;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.ok(ready);
      const syncz = await request(httpPort, '/debug/syncz');
      assert.equal(syncz.status, 200);
      assert.deepEqual((JSON.parse(syncz.body) as { proxies: unknown[] }).proxies, []);
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      assert.equal(code, 0);
    }
  });
});
