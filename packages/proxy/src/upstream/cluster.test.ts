import assert from 'node:assert/strict';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { normalizeMessage } from '@weft/api';
import type { Cluster } from './cluster.js';
import { createCluster } from './cluster-factory.js';
import type { DnsResolver } from './dns-resolver.js';
import type { PooledConnection } from './connection-pool.js';
import type { Cluster__Output } from './envoy-types.js';
import { HealthFlag, type Host } from './host.js';
import { TestScope } from './test-scope.js';

function endpoint(address: string, port = 80, extra: object = {}): object {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...extra };
}

function config(extra: object, endpoints: object[]): Cluster__Output {
  return normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
    name: 'svc',
    connect_timeout: { seconds: 1 },
    load_assignment: { cluster_name: 'svc', endpoints: [{ lb_endpoints: endpoints }] },
    ...extra,
  });
}

/** A resolver whose answers the test scripts; every call is recorded and announced. */
class ScriptedResolver {
  answers = new Map<string, string[] | Error>();
  calls: [string, number][] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  readonly fn: DnsResolver = async (name, family) => {
    this.calls.push([name, family]);
    const a = this.answers.get(`${name}/${family}`) ?? new Error(`ENOTFOUND ${name}`);
    queueMicrotask(() => this.wake());
    if (a instanceof Error) throw a;
    return a;
  };

  set(name: string, family: 4 | 6, answer: string[] | Error): void {
    this.answers.set(`${name}/${family}`, answer);
  }

  /** Resolves once `n` calls in total have been made, plus a tick for the cluster to apply the answer. */
  untilCalls(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiters.push({ n, resolve });
      this.wake();
    });
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (this.calls.length < w.n) return true;
      setImmediate(w.resolve);
      return false;
    });
  }
}

function make(cfg: Cluster__Output, resolver?: DnsResolver): { cluster: Cluster; scope: TestScope } {
  const scope = new TestScope();
  return { cluster: createCluster(cfg, 'clusters[0]', { scope, resolver }), scope };
}

describe('STATIC cluster', () => {
  it('builds hosts from the load assignment and is initialized at once', async () => {
    const { cluster, scope } = make(
      config({}, [endpoint('10.0.0.1', 81, { endpoint: { hostname: 'a', address: { socket_address: { address: '10.0.0.1', port_value: 81 } } } }), endpoint('::1', 82)]),
    );
    await cluster.initialize();
    const hosts = cluster.hosts();
    assert.deepEqual(
      hosts.map((h) => [h.key, h.hostname, h.weight, h.priority, h.healthy]),
      [
        ['10.0.0.1:81', 'a', 1, 0, true],
        ['[::1]:82', '', 1, 0, true],
      ],
    );
    assert.equal(scope.value('cluster.svc.membership_total'), 2);
    assert.equal(scope.value('cluster.svc.membership_healthy'), 2);
    assert.ok(cluster.chooseHost());
    cluster.close();
  });

  it('answers no host and counts upstream_cx_none_healthy when every host is unhealthy and panic is off', () => {
    const { cluster, scope } = make(
      config({ common_lb_config: { healthy_panic_threshold: { value: 0 } } }, [endpoint('10.0.0.1', 80, { health_status: 'UNHEALTHY' })]),
    );
    assert.equal(cluster.chooseHost(), undefined);
    assert.equal(scope.value('cluster.svc.upstream_cx_none_healthy'), 1);
    assert.equal(scope.value('cluster.svc.membership_healthy'), 0);
  });

  it('recomputes the load split when health changes', () => {
    const { cluster } = make(
      config({ common_lb_config: { healthy_panic_threshold: { value: 0 } } }, [endpoint('10.0.0.1'), endpoint('10.0.0.2')]),
    );
    const [a, b] = cluster.hosts() as Host[];
    assert.ok(a && b);
    a.healthFlags |= HealthFlag.FAILED_EDS_HEALTH;
    cluster.refreshHealth();
    for (let i = 0; i < 10; i++) assert.equal(cluster.chooseHost(), b);
  });

  it('picks the upstream protocol and hands out one HTTP/2 stream pool per host, closed with the cluster', () => {
    const h2 = make(config({ http2_protocol_options: {} }, [endpoint('10.0.0.1')])).cluster;
    assert.equal(h2.upstreamProtocol('HTTP/1.1'), 'HTTP/2');
    const host = h2.hosts()[0] as Host;
    const pool = h2.http2Pool(host);
    assert.equal(pool.protocol, 'HTTP/2');
    assert.equal(h2.http2Pool(host), pool);
    h2.close();
    let failure = '';
    pool.newStream({} as never, { onStreamReady: () => {}, onStreamFailure: (reason, detail) => (failure = `${reason}: ${detail}`) });
    assert.equal(failure, 'connection_failure: connection pool closed');
    const down = make(config({ protocol_selection: 'USE_DOWNSTREAM_PROTOCOL' }, [endpoint('10.0.0.1')])).cluster;
    assert.equal(down.upstreamProtocol('HTTP/2'), 'HTTP/2');
    assert.equal(down.upstreamProtocol('HTTP/1.1'), 'HTTP/1.1');
    assert.equal(make(config({}, [endpoint('10.0.0.1')])).cluster.upstreamProtocol('HTTP/2'), 'HTTP/1.1');
  });

  it('puts stats under cluster.<alt_stat_name>', () => {
    const { cluster, scope } = make(config({ alt_stat_name: 'other' }, [endpoint('10.0.0.1')]));
    assert.equal(scope.value('cluster.other.membership_total'), 1);
    assert.ok(scope.has('cluster.other.upstream_rq_time'));
    cluster.stats.rqCode(503).inc();
    assert.equal(scope.value('cluster.other.upstream_rq_503'), 1);
    assert.equal(cluster.stats.rqClass(503), cluster.stats.upstream_rq_5xx);
  });
});

describe('STRICT_DNS cluster', () => {
  it('resolves localhost with the system resolver (V4_ONLY)', async () => {
    const { cluster, scope } = make(config({ type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY' }, [endpoint('localhost', 8080)]));
    await cluster.initialize();
    assert.deepEqual(
      cluster.hosts().map((h) => [h.key, h.hostname]),
      [['127.0.0.1:8080', 'localhost']],
    );
    assert.equal(scope.value('cluster.svc.update_success'), 1);
    cluster.close();
  });

  it('resolves localhost with the default AUTO family (IPv6 first, IPv4 fallback)', async () => {
    const { cluster } = make(config({ type: 'STRICT_DNS' }, [endpoint('localhost', 8080)]));
    await cluster.initialize();
    const keys = cluster.hosts().map((h) => h.key);
    assert.ok(keys.length > 0);
    for (const k of keys) assert.ok(k === '127.0.0.1:8080' || k === '[::1]:8080', k);
    cluster.close();
  });

  it('replaces hosts on refresh and keeps the Host objects of unchanged addresses', async () => {
    const r = new ScriptedResolver();
    r.set('svc.local', 4, ['10.0.0.1', '10.0.0.2']);
    const { cluster, scope } = make(
      config({ type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', dns_refresh_rate: { nanos: 5_000_000 } }, [endpoint('svc.local', 90, { load_balancing_weight: { value: 2 } })]),
      r.fn,
    );
    const changes: [string[], string[]][] = [];
    cluster.onHostsChanged((added, removed) => changes.push([added.map((h) => h.key), removed.map((h) => h.key)]));
    await cluster.initialize();
    const first = cluster.hosts();
    assert.deepEqual(first.map((h) => h.key), ['10.0.0.1:90', '10.0.0.2:90']);
    assert.equal(first[0]?.weight, 2);
    assert.equal(first[0]?.hostname, 'svc.local');
    const pool2 = cluster.pool(first[1] as Host);

    r.set('svc.local', 4, ['10.0.0.2', '10.0.0.3']);
    await r.untilCalls(2);
    const second = cluster.hosts();
    assert.deepEqual(second.map((h) => h.key), ['10.0.0.2:90', '10.0.0.3:90']);
    assert.equal(second[0], first[1], 'the host of 10.0.0.2 is the same object');
    assert.equal(cluster.pool(second[0] as Host), pool2, 'its pool survives');
    assert.deepEqual(changes, [
      [['10.0.0.1:90', '10.0.0.2:90'], []],
      [['10.0.0.3:90'], ['10.0.0.1:90']],
    ]);

    await r.untilCalls(3); // same answer again
    assert.equal(scope.value('cluster.svc.update_no_rebuild'), 1);
    assert.equal(scope.value('cluster.svc.membership_change'), 2);

    r.set('svc.local', 4, new Error('SERVFAIL'));
    await r.untilCalls(4);
    assert.deepEqual(cluster.hosts(), second, 'a failed resolution keeps the previous hosts');
    assert.equal(scope.value('cluster.svc.update_failure'), 1);
    assert.equal(scope.value('cluster.svc.update_attempt'), 4);
    assert.equal(scope.value('cluster.svc.update_success'), 3);
    cluster.close();
  });

  it('drains the pool of a removed host: idle connections close, the pool is no longer handed out', async () => {
    const server = createServer((sock) => sock.resume());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as AddressInfo).port;
    const r = new ScriptedResolver();
    r.set('svc.local', 4, ['127.0.0.1']);
    const { cluster, scope } = make(
      config({ type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', dns_refresh_rate: { nanos: 5_000_000 } }, [endpoint('svc.local', port)]),
      r.fn,
    );
    await cluster.initialize();
    const host = cluster.chooseHost();
    assert.ok(host);
    const pool = cluster.pool(host);
    const conn = await new Promise<PooledConnection>((res) => pool.acquire((_e, c) => res(c as PooledConnection)));
    pool.release(conn, true);
    assert.equal(pool.idleCount, 1);
    r.set('svc.local', 4, ['10.0.0.5']);
    await r.untilCalls(2);
    // The answer is applied after the resolver call returns: wait for it rather than for a particular tick.
    const idle = (): number => pool.idleCount;
    for (let i = 0; i < 100 && idle() !== 0; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(pool.idleCount, 0);
    assert.ok(conn.socket.destroyed);
    assert.notEqual(cluster.pool(host), pool);
    assert.equal(scope.value('cluster.svc.upstream_cx_destroy_local'), 1);
    cluster.close();
    server.close();
  });

  it('resolves every endpoint and finishes warming after each answered once, even on failure', async () => {
    const r = new ScriptedResolver();
    r.set('a.local', 4, ['10.0.0.1']);
    const { cluster, scope } = make(config({ type: 'STRICT_DNS', dns_lookup_family: 'V4_PREFERRED' }, [endpoint('a.local'), endpoint('b.local')]), r.fn);
    await cluster.initialize();
    assert.deepEqual(cluster.hosts().map((h) => h.key), ['10.0.0.1:80']);
    assert.equal(scope.value('cluster.svc.update_failure'), 1);
    // V4_PREFERRED asks IPv4 first and IPv6 only when IPv4 has nothing.
    assert.deepEqual(r.calls.filter(([n]) => n === 'b.local'), [['b.local', 4], ['b.local', 6]]);
    assert.deepEqual(r.calls.filter(([n]) => n === 'a.local'), [['a.local', 4]]);
    cluster.close();
  });

  it('stops resolving after close', async () => {
    const r = new ScriptedResolver();
    r.set('a.local', 4, ['10.0.0.1']);
    const { cluster } = make(config({ type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY', dns_refresh_rate: { nanos: 2_000_000 } }, [endpoint('a.local')]), r.fn);
    await cluster.initialize();
    cluster.close();
    const n = r.calls.length;
    await new Promise((res) => setTimeout(res, 30));
    assert.equal(r.calls.length, n);
  });
});

describe('LOGICAL_DNS cluster', () => {
  it('has one logical host following the first address; new connections use the latest address', async () => {
    const r = new ScriptedResolver();
    r.set('db.local', 4, ['10.0.0.1', '10.0.0.9']);
    const connected: string[] = [];
    const scope = new TestScope();
    const cluster = createCluster(
      config({ type: 'LOGICAL_DNS', dns_lookup_family: 'V4_ONLY', dns_refresh_rate: { nanos: 5_000_000 } }, [endpoint('db.local', 5432)]),
      'clusters[0]',
      {
        scope,
        resolver: r.fn,
        connect: (host) => {
          connected.push(host.key);
          return new Socket(); // never connects; the pool is closed below
        },
      },
    );
    await cluster.initialize();
    const [host] = cluster.hosts();
    assert.ok(host);
    assert.equal(cluster.hosts().length, 1);
    assert.equal(host.key, '10.0.0.1:5432');
    assert.equal(host.hostname, 'db.local');
    const pool = cluster.pool(host);
    pool.acquire(() => {});

    r.set('db.local', 4, ['10.0.0.2']);
    await r.untilCalls(2);
    assert.equal(cluster.hosts()[0], host, 'same logical host');
    assert.equal(host.key, '10.0.0.2:5432');
    assert.equal(cluster.pool(host), pool, 'same pool');
    pool.acquire(() => {});
    assert.deepEqual(connected, ['10.0.0.1:5432', '10.0.0.2:5432']);
    cluster.close();
  });

  it('has no host until the first successful resolution', async () => {
    const r = new ScriptedResolver();
    const { cluster } = make(config({ type: 'LOGICAL_DNS' }, [endpoint('nowhere.local')]), r.fn);
    assert.equal(cluster.chooseHost(), undefined);
    await cluster.initialize();
    assert.equal(cluster.hosts().length, 0);
    cluster.close();
  });
});
