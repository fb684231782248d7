import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeMessage } from '@weft/api';
import { HeaderMap } from '../interfaces/header-map.js';
import { StreamInfo } from '../interfaces/stream-info.js';
import { createCluster } from './cluster-factory.js';
import type { Cluster__Output } from './envoy-types.js';
import { TestScope } from './test-scope.js';

function originalDstCluster(extra: object = {}): Cluster__Output {
  return normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
    name: 'passthrough',
    type: 'ORIGINAL_DST',
    lb_policy: 'CLUSTER_PROVIDED',
    connect_timeout: { seconds: 1 },
    cleanup_interval: { seconds: 3600 },
    ...extra,
  });
}

function downstream(ip: string, port: number, restored = true): StreamInfo {
  const info = new StreamInfo();
  info.downstreamLocalAddress = ip;
  info.downstreamLocalPort = port;
  info.downstreamLocalAddressRestored = restored;
  return info;
}

function make(extra: object = {}): { cluster: ReturnType<typeof createCluster>; scope: TestScope } {
  const scope = new TestScope();
  return { cluster: createCluster(originalDstCluster(extra), 'clusters[0]', { scope }), scope };
}

describe('ORIGINAL_DST cluster', () => {
  it('creates one host per original destination on demand and reuses it', () => {
    const { cluster, scope } = make();
    assert.equal(cluster.hosts().length, 0);
    const a = cluster.chooseHost({ downstream: downstream('10.1.0.2', 8080) });
    assert.equal(a?.address, '10.1.0.2');
    assert.equal(a?.port, 8080);
    assert.equal(cluster.chooseHost({ downstream: downstream('10.1.0.2', 8080) }), a);
    const b = cluster.chooseHost({ downstream: downstream('fd00::2', 9090) });
    assert.equal(b?.address, 'fd00::2');
    assert.equal(cluster.hosts().length, 2);
    assert.equal(scope.value('cluster.passthrough.membership_total'), 2);
    assert.equal(scope.value('cluster.passthrough.membership_change'), 2);
    cluster.close();
  });

  it('finds no host for a connection whose destination was not restored (no loop back to the proxy)', () => {
    const { cluster, scope } = make();
    assert.equal(cluster.chooseHost({ downstream: downstream('10.0.0.1', 15001, false) }), undefined);
    assert.equal(cluster.chooseHost(undefined), undefined);
    assert.equal(scope.value('cluster.passthrough.upstream_cx_none_healthy'), 2);
    assert.equal(cluster.hosts().length, 0);
    cluster.close();
  });

  it('applies upstream_port_override', () => {
    const { cluster } = make({ original_dst_lb_config: { upstream_port_override: { value: 9999 } } });
    assert.equal(cluster.chooseHost({ downstream: downstream('10.1.0.2', 80) })?.port, 9999);
    cluster.close();
  });

  it('takes the destination from the header with use_http_header; an invalid or absent header falls back to the connection', () => {
    const { cluster, scope } = make({ original_dst_lb_config: { use_http_header: true, http_header_name: 'x-dst' } });
    const headers = new HeaderMap();
    headers.set('x-dst', '[fd00::7]:81');
    const h = cluster.chooseHost({ downstream: downstream('10.1.0.2', 80), headers });
    assert.deepEqual([h?.address, h?.port], ['fd00::7', 81]);
    headers.set('x-dst', 'backend.local:80');
    const invalid = cluster.chooseHost({ downstream: downstream('10.1.0.2', 80), headers });
    assert.deepEqual([invalid?.address, invalid?.port], ['10.1.0.2', 80]);
    assert.equal(scope.value('cluster.passthrough.original_dst_host_invalid'), 1);
    assert.equal(cluster.chooseHost({ downstream: downstream('10.1.0.2', 80, false), headers }), undefined);
    assert.equal(scope.value('cluster.passthrough.original_dst_host_invalid'), 2);
    const absent = cluster.chooseHost({ downstream: downstream('10.1.0.3', 80), headers: new HeaderMap() });
    assert.deepEqual([absent?.address, absent?.port], ['10.1.0.3', 80]);
    cluster.close();
  });

  it('removes hosts nobody picked during a cleanup interval and that have no connections', async () => {
    const { cluster, scope } = make({ cleanup_interval: { nanos: 50_000_000 } });
    const used = cluster.chooseHost({ downstream: downstream('10.1.0.2', 80) });
    cluster.chooseHost({ downstream: downstream('10.1.0.3', 80) });
    assert.equal(cluster.hosts().length, 2);
    // Keep one host busy across cleanups; the other is idle and goes.
    const keep = setInterval(() => cluster.chooseHost({ downstream: downstream('10.1.0.2', 80) }), 10);
    await new Promise((r) => setTimeout(r, 180));
    clearInterval(keep);
    assert.deepEqual(cluster.hosts(), [used]);
    assert.equal(scope.value('cluster.passthrough.membership_total'), 1);
    // A host with open connections stays even when nothing picks it (its pool's idle timeout closes them).
    assert.ok(used);
    used.stats.cx_active = 1;
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(cluster.hosts(), [used]);
    used.stats.cx_active = 0;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(cluster.hosts().length, 0);
    cluster.close();
  });
});
