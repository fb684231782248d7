import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startUpstream, type TestUpstream } from '@weft/testing';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const weft = path.join(repoRoot, 'packages', 'cli', 'bin', 'weft.js');

async function waitReady(adminPort: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`weft exited with ${child.exitCode}`);
    try {
      if ((await request(adminPort, '/ready')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('weft did not become ready');
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('the weft CLI', () => {
  let dir: string;
  let up: TestUpstream;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-cli-'));
    up = await startUpstream('cli-upstream');
  });

  after(async () => {
    await up.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function writeConfig(name: string): Promise<{ file: string; port: number; adminPort: number }> {
    const port = await freePort();
    const adminPort = await freePort();
    const file = path.join(dir, name);
    writeFileSync(
      file,
      `admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${adminPort} } } }
static_resources:
  listeners:
  - name: http
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: cli
          route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: up } }] }] }
          http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]
  clusters:
  - name: up
    type: STATIC
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${up.port} } } } }] }] }
`,
    );
    return { file, port, adminPort };
  }

  test('weft version prints the proxy package version', () => {
    const res = spawnSync(process.execPath, [weft, 'version'], { encoding: 'utf8' });
    assert.equal(res.status, 0);
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'packages', 'proxy', 'package.json'), 'utf8')) as { version: string };
    assert.match(res.stdout, new RegExp(`^weft ${version.replace(/\./g, '\\.')} `));
  });

  test('the binary runs the bundle (scripts/bundle-cli.js), made after the last TypeScript build of what it bundles', () => {
    assert.match(readFileSync(weft, 'utf8'), /from '\.\.\/dist\/bundle\/main\.js'/);
    const bundled = statSync(path.join(repoRoot, 'packages', 'cli', 'dist', 'bundle', 'main.js')).mtimeMs;
    for (const pkg of ['proxy', 'agent', 'control-plane', 'cli']) {
      const built = statSync(path.join(repoRoot, 'packages', pkg, 'dist', '.tsbuildinfo')).mtimeMs;
      assert.ok(built <= bundled, `packages/${pkg} was compiled after the CLI bundle was made: run npm run build`);
    }
  });

  test('weft proxy --help lists the options', () => {
    const res = spawnSync(process.execPath, [weft, 'proxy', '--help'], { encoding: 'utf8' });
    assert.equal(res.status, 0);
    for (const opt of ['--config', '--concurrency', '--log-level']) assert.ok(res.stdout.includes(opt), opt);
  });

  test('weft proxy -c <file> serves traffic as the README shows', async () => {
    const { file, port, adminPort } = await writeConfig('single.yaml');
    const child = spawn(process.execPath, [weft, 'proxy', '-c', file, '--log-level', 'warning'], { stdio: 'ignore' });
    try {
      await waitReady(adminPort, child);
      const res = await request(port, '/via-cli');
      assert.equal(res.status, 200);
      assert.match(res.body, /"upstream":"cli-upstream"/);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  test('--concurrency 2 runs two workers with merged stats on one admin API', async () => {
    const { file, port, adminPort } = await writeConfig('workers.yaml');
    const child = spawn(process.execPath, [weft, 'proxy', '--config', file, '--concurrency', '2', '--log-level', 'warning'], { stdio: 'ignore' });
    try {
      await waitReady(adminPort, child);
      for (let i = 0; i < 20; i++) assert.equal((await request(port, `/w${i}`)).status, 200);
      const stats = (await request(adminPort, '/stats?filter=^http\\.cli\\.downstream_rq_total$')).body;
      assert.equal(stats.trim(), 'http.cli.downstream_rq_total: 20');
      const concurrency = (await request(adminPort, '/stats?filter=^server\\.concurrency$')).body;
      assert.equal(concurrency.trim(), 'server.concurrency: 2');
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  test('refuses a config with an unknown field, naming the field path', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'static_resources:\n  listeners:\n  - name: x\n    adress: {}\n');
    const res = spawnSync(process.execPath, [weft, 'proxy', '-c', file], { encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /static_resources\.listeners\[0\]\.adress: unknown field/);
  });

  test('refuses a route to a cluster that does not exist', () => {
    const file = path.join(dir, 'dangling.yaml');
    writeFileSync(
      file,
      `static_resources:
  listeners:
  - name: x
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: t, cluster: missing }
`,
    );
    const res = spawnSync(process.execPath, [weft, 'proxy', '-c', file], { encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /static_resources\.listeners\[0\]\.filter_chains\[0\]\.filters\[0\]\.typed_config\.cluster: unknown cluster 'missing'/);
  });

  test('refuses unsupported fields rather than ignoring them', () => {
    const file = path.join(dir, 'unsupported.yaml');
    writeFileSync(file, 'static_resources:\n  listeners: []\n  clusters: []\ntracing: { http: { name: envoy.tracers.zipkin } }\n');
    const res = spawnSync(process.execPath, [weft, 'proxy', '-c', file], { encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /tracing/);
  });
});
