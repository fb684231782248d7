import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { runWeft } from './weft-cli.js';

const GOOD = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews
  subsets: [{ name: v1, labels: { version: v1 } }]
`;

const BAD = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews]
  http:
  - route: [{ destination: { host: reviews, subset: v2 } }]
  - match: [{ uri: { prefix: /x } }]
    route: [{ destination: { host: ratings } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: broken, namespace: shop }
spec:
  hosts: [reviews]
  http:
  - route: [{ destination: { host: reviews } }]
    timeout: 5 minutes
`;

describe('weft analyze <dir>', () => {
  let good: string;
  let bad: string;

  before(() => {
    good = mkdtempSync(path.join(os.tmpdir(), 'weft-analyze-good-'));
    writeFileSync(path.join(good, 'services.yaml'), GOOD);
    writeFileSync(path.join(good, 'routes.yaml'), `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews]
  http:
  - match: [{ uri: { prefix: /v1 } }]
    route: [{ destination: { host: reviews, subset: v1 } }]
  - route: [{ destination: { host: reviews } }]
`);
    bad = mkdtempSync(path.join(os.tmpdir(), 'weft-analyze-bad-'));
    writeFileSync(path.join(bad, 'services.yaml'), GOOD);
    writeFileSync(path.join(bad, 'routes.yaml'), BAD);
  });

  after(() => {
    rmSync(good, { recursive: true, force: true });
    rmSync(bad, { recursive: true, force: true });
  });

  test('a consistent directory: no issues, exit 0', async () => {
    const r = await runWeft(['analyze', good]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `3 resources applied, 0 errors, 0 warnings in ${good}\n`);
  });

  test('schema error, unknown subset, unknown host and a shadowed route: a table, exit 1', async () => {
    const r = await runWeft(['analyze', bad]);
    assert.equal(r.code, 1, r.stderr);
    const file = path.join(bad, 'routes.yaml');
    assert.deepEqual(r.stdout.trimEnd().split('\n').map((l) => l.replace(/ {3,}/g, ' | ')), [
      'SEVERITY | FILE | RESOURCE | PATH | REASON',
      `ERROR | ${file}:11 | VirtualService/shop/broken | spec.http[0].timeout | '5 minutes' is not a duration (e.g. '1s', '100ms', '1m30s') (not applied)`,
      `ERROR | ${file} | VirtualService/shop/reviews | spec.http[0].route[0].destination.subset | subset 'v2' is not defined by the DestinationRule for 'reviews.shop.svc.cluster.local' (defined: v1)`,
      `ERROR | ${file} | VirtualService/shop/reviews | spec.http[1].route[0].destination.host | host 'ratings.shop.svc.cluster.local' is not defined by any ServiceEntry visible in namespace 'shop'`,
      `WARNING | ${file} | VirtualService/shop/reviews | spec.http[1] | unreachable: spec.http[0] before it matches every request`,
      '',
      `3 resources applied, 3 errors, 1 warnings in ${bad}`,
    ]);
  });

  test('-o json and -o yaml carry the same issues', async () => {
    const j = await runWeft(['analyze', bad, '-o', 'json']);
    assert.equal(j.code, 1);
    const doc = JSON.parse(j.stdout) as { resources: number; errors: number; warnings: number; issues: { severity: string; path: string }[] };
    assert.deepEqual([doc.resources, doc.errors, doc.warnings], [3, 3, 1]);
    assert.deepEqual(doc.issues.map((i) => [i.severity, i.path]), [
      ['error', 'spec.http[0].timeout'],
      ['error', 'spec.http[0].route[0].destination.subset'],
      ['error', 'spec.http[1].route[0].destination.host'],
      ['warning', 'spec.http[1]'],
    ]);
    const y = await runWeft(['analyze', bad, '-o', 'yaml']);
    assert.equal(y.code, 1);
    assert.deepEqual(parse(y.stdout), doc);
  });

  test('weft help lists the new commands; weft help analyze prints its help', async () => {
    const h = await runWeft(['help']);
    assert.equal(h.code, 0);
    for (const c of ['proxy-status', 'proxy-config', 'analyze']) assert.match(h.stdout, new RegExp(`^  ${c} +\\S`, 'm'));
    const a = await runWeft(['help', 'analyze']);
    assert.equal(a.code, 0);
    assert.match(a.stdout, /^Usage: weft analyze <dir> \[options\]/);
  });

  test('a missing directory → exit 1; no directory → exit 2', async () => {
    const r = await runWeft(['analyze', path.join(good, 'nope')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^weft analyze: cannot read .*nope: ENOENT/);
    const none = await runWeft(['analyze']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /expected one directory/);
  });

  test('RpcRoute: unknown hosts and subsets and a rule after a catch-all, with field paths', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-analyze-rpc-'));
    try {
      writeFileSync(path.join(dir, 'rpc.yaml'), `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: greeter, namespace: shop }
spec:
  hosts: [com.weft.Greeter]
  ports: [{ number: 12200, name: bolt-greeter }]
  resolution: DNS
---
apiVersion: rpc.weft.io/v1alpha1
kind: RpcRoute
metadata: { name: greeter, namespace: shop }
spec:
  hosts: [com.weft.Greeter, com.weft.Nobody]
  rules:
  - route: [{ destination: { host: com.weft.Greeter, subset: v2 } }]
  - match: [{ method: { exact: hello } }]
`);
      const r = await runWeft(['analyze', dir, '-o', 'json']);
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout) as { resources: number; issues: { severity: string; resource: string; path: string }[] };
      assert.equal(doc.resources, 2);
      assert.deepEqual(doc.issues.map((i) => [i.severity, i.resource, i.path]), [
        ['error', 'RpcRoute/shop/greeter', 'spec.hosts[1]'],
        ['error', 'RpcRoute/shop/greeter', 'spec.rules[0].route[0].destination.subset'],
        ['warning', 'RpcRoute/shop/greeter', 'spec.rules[1]'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
