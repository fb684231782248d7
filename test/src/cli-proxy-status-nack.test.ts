import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CLUSTER_TYPE, resourceFromMessage, startControlPlane, StaticSnapshotProvider, type RunningControlPlane } from '@weft/control-plane';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';
import { dynamicBootstrap, staticClusterJson } from './xds-fixtures.js';
import { runWeft } from './weft-cli.js';

interface Status { status: string; version: string; ackedVersion: string; error?: string }

async function statusOf(addr: string): Promise<Record<string, Status> | undefined> {
  const r = await runWeft(['proxy-status', '--control-plane', addr, '-o', 'json']);
  return (JSON.parse(r.stdout) as { proxies: Record<string, Status>[] }).proxies[0];
}

async function eventually(check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('weft proxy-status with a proxy that rejects a push', () => {
  let provider: StaticSnapshotProvider;
  let cp: RunningControlPlane;
  let proxy: TestProxy;
  let addr: string;

  before(async () => {
    provider = new StaticSnapshotProvider([resourceFromMessage(CLUSTER_TYPE, { ...(staticClusterJson('good', 1) as object), connect_timeout: { seconds: 1 } })]);
    cp = await startControlPlane({ provider, xdsAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', debounceMs: 10 });
    addr = `127.0.0.1:${cp.httpPort}`;
    proxy = await startProxyFromYaml(dynamicBootstrap(cp.xdsPort, 'GRPC'));
    await eventually(async () => (await statusOf(addr))?.CDS?.status === 'SYNCED');
  });

  after(async () => {
    await proxy?.close();
    await cp?.close();
  });

  test('a rejected CDS version shows NACKED with the error; the table says NACKED', async () => {
    const acked = (await statusOf(addr))?.CDS?.version;
    provider.update([resourceFromMessage(CLUSTER_TYPE, { name: 'bad', type: 'STATIC', connect_timeout: { seconds: 1 }, lb_policy: 'CLUSTER_PROVIDED' })], []);
    await eventually(async () => (await statusOf(addr))?.CDS?.status === 'NACKED');
    const cds = (await statusOf(addr))?.CDS;
    assert.equal(cds?.ackedVersion, acked);
    assert.notEqual(cds?.version, acked);
    assert.equal(cds?.error, 'cluster["bad"].lb_policy: LB policy CLUSTER_PROVIDED is only valid with a cluster type that provides its load balancer (ORIGINAL_DST), not STATIC');
    const t = await runWeft(['proxy-status', '--control-plane', addr]);
    assert.equal(t.code, 0);
    assert.match(t.stdout.split('\n')[1] ?? '', /^test-node\s+NACKED\s+SYNCED\s+NOT SENT\s+NOT SENT\s+SOTW\s/);
  });
});
