import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { freePort, request, startEtcd, type TestEtcd } from '@weft/testing';
import { Etcd3 } from 'etcd3';
import { eventually } from './mesh-fixture.js';
import { runWeft } from './weft-cli.js';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const weft = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'cli', 'bin', 'weft.js');

describe('weft control-plane --etcd-endpoints', () => {
  test('--help documents the etcd flags; conflicting or malformed flags exit 2 with a clear message', async () => {
    const help = await runWeft(['control-plane', '--help']);
    assert.equal(help.code, 0);
    for (const opt of ['--etcd-endpoints <urls>', '--etcd-prefix <prefix>', '/weft/config/']) assert.ok(help.stdout.includes(opt), opt);
    const cases: [string[], RegExp][] = [
      [['--etcd-endpoints', 'http://127.0.0.1:2379', '--config-dir', '/tmp'], /exactly one of --config-dir, --etcd-endpoints and --snapshot-file is required/],
      [['--etcd-endpoints', 'https://127.0.0.1:2379'], /--etcd-endpoints: 'https:\/\/127\.0\.0\.1:2379': https \(TLS to etcd\) is not supported yet/],
      [['--etcd-endpoints', 'http://127.0.0.1'], /--etcd-endpoints: 'http:\/\/127\.0\.0\.1' is not http:\/\/host:port/],
      [['--config-dir', '/tmp', '--etcd-prefix', '/x/'], /--etcd-prefix needs --etcd-endpoints/],
    ];
    const results = await Promise.all(cases.map(([args]) => runWeft(['control-plane', ...args])));
    cases.forEach(([args, message], i) => {
      assert.equal(results[i]?.code, 2, args.join(' '));
      assert.match(results[i]?.stderr ?? '', message);
    });
  });

  describe('against a real etcd', () => {
    let etcd: TestEtcd;
    let client: Etcd3;
    before(async () => {
      etcd = await startEtcd();
      client = new Etcd3({ hosts: [...etcd.endpoints] });
    });
    after(async () => {
      client?.close();
      await etcd?.stop();
    });

    test('serves the resources under --etcd-prefix, reports invalid ones by key and field, shows the revision; SIGTERM exits 0', async () => {
      await client.put('/mesh/a').value('apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: { name: a, namespace: ns }\nspec: { hosts: [a.example.com], ports: [{ number: 80, name: http, protocol: HTTP }], resolution: DNS }\n');
      const [xdsPort, httpPort] = [await freePort(), await freePort()];
      const endpoint = (etcd.endpoints[0] ?? '').replace('http://', '');
      const child = spawn(
        process.execPath,
        [weft, 'control-plane', '--etcd-endpoints', endpoint, '--etcd-prefix', '/mesh/', '--xds-address', `127.0.0.1:${xdsPort}`, '--http-address', `127.0.0.1:${httpPort}`, '-l', 'warning'],
        { stdio: 'ignore' },
      );
      try {
        await eventually(async () => {
          try {
            return (await request(httpPort, '/ready')).status === 200;
          } catch {
            return false;
          }
        });
        type Configz = { source: Record<string, unknown>; issues: { file: string; resource: string; path: string }[] };
        const configz = async (): Promise<Configz> => JSON.parse((await request(httpPort, '/debug/configz')).body) as Configz;
        const first = await configz();
        assert.deepEqual(
          { ...first.source, revision: undefined, digest: undefined },
          { kind: 'etcd', endpoints: [`http://${endpoint}`], prefix: '/mesh/', revision: undefined, state: 'watching', keys: 1, resources: 1, digest: undefined, resyncs: 0 },
        );
        assert.match(String(first.source['digest']), /^[0-9a-f]{32}$/);
        assert.equal(first.source['revision'], (await client.get('/mesh/a').exec()).header.revision);
        const registry = JSON.parse((await request(httpPort, '/debug/registryz')).body) as { services: { hostname: string }[] };
        assert.deepEqual(registry.services.map((s) => s.hostname), ['a.example.com']);

        const put = await client.put('/mesh/bad').value('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: r, namespace: ns }\nspec: { hosts: [a.example.com], htpp: [], http: [{ route: [{ destination: { host: a.example.com } }] }] }\n');
        await eventually(async () => (await configz()).source['revision'] === put.header.revision);
        const z = await configz();
        assert.deepEqual(
          z.issues.map((i) => [i.file, i.resource, i.path]),
          [['/mesh/bad', 'VirtualService/ns/r', 'spec.htpp']],
        );
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
});
