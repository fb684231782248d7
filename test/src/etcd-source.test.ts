import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EtcdSource, formatIssue, type ConfigChange, type ConfigSnapshot } from '@weft/control-plane';
import { startEtcd, type TestEtcd } from '@weft/testing';
import { Etcd3 } from 'etcd3';

const PREFIX = '/weft/test/';

const SE = (name: string, port: number): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: ns }
spec:
  hosts: [${name}.example.com]
  ports: [{ number: ${port}, name: http, protocol: HTTP }]
  resolution: DNS
`;

function port(snap: ConfigSnapshot, name: string): number | undefined {
  const r = snap.resources.get(`ServiceEntry/ns/${name}`);
  return r?.kind === 'ServiceEntry' ? r.spec.ports?.[0]?.number : undefined;
}

/** Records updates and errors; `until` waits for an update satisfying a predicate. */
class Recorder {
  readonly updates: [ConfigSnapshot, ConfigChange][] = [];
  readonly errors: string[] = [];
  readonly infos: string[] = [];
  private waiters: (() => void)[] = [];

  readonly onUpdate = (s: ConfigSnapshot, c: ConfigChange): void => {
    this.updates.push([s, c]);
    this.wakeAll();
  };
  readonly onError = (e: Error): void => {
    this.errors.push(e.message);
    this.wakeAll();
  };
  readonly onInfo = (_f: Record<string, unknown>, m: string): void => {
    this.infos.push(m);
    this.wakeAll();
  };

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async until(check: () => boolean, ms = 8000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('condition not reached in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  last(): ConfigSnapshot {
    const u = this.updates[this.updates.length - 1];
    assert.ok(u, 'no update yet');
    return u[0];
  }
}

describe('EtcdSource over a real etcd', () => {
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

  test('loads every key under the prefix, then applies puts and deletes live; invalid values are reported and the last good version kept', async () => {
    await client.put(`${PREFIX}mesh`).value(`${SE('a', 80)}---\n# only a comment\n---\n${SE('b', 81)}`);
    await client.put(`${PREFIX}c.json`).value(JSON.stringify({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'c', namespace: 'ns' }, spec: { hosts: ['c.example.com'], ports: [{ number: 90, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' } }));
    await client.put('/weft/other/x').value(SE('x', 1)); // outside the prefix: ignored
    const rec = new Recorder();
    const src = new EtcdSource({ endpoints: etcd.endpoints, prefix: PREFIX, ...rec, backoff: { initialMs: 50, maxMs: 200 } });
    try {
      const first = await src.start();
      assert.deepEqual([...first.resources.keys()], ['ServiceEntry/ns/c', 'ServiceEntry/ns/a', 'ServiceEntry/ns/b']);
      assert.deepEqual(first.issues, []);
      assert.equal(rec.updates.length, 1, 'the initial load is reported once');
      assert.equal(first.resources.get('ServiceEntry/ns/a')?.origin, `${PREFIX}mesh`);
      const status = src.status();
      assert.equal(status['state'], 'watching');
      assert.equal(status['keys'], 2);
      const listed = (await client.get(`${PREFIX}mesh`).exec()).header.revision;
      assert.equal(status['revision'], listed);

      // A put: a changes port.
      await client.put(`${PREFIX}mesh`).value(`${SE('a', 8080)}---\n${SE('b', 81)}`);
      await rec.until(() => rec.updates.length === 2);
      assert.deepEqual(rec.updates[1]?.[1], { added: [], updated: ['ServiceEntry/ns/a'], removed: [] });
      assert.equal(port(rec.last(), 'a'), 8080);

      // An invalid version of b: reported with key, resource and field path; the last good b stays.
      await client.put(`${PREFIX}mesh`).value(`${SE('a', 8080)}---\n${SE('b', 82).replace('resolution: DNS', 'resolution: DNS\n  hostz: []')}`);
      await rec.until(() => rec.updates.length === 3);
      assert.deepEqual(rec.updates[2]?.[1], { added: [], updated: [], removed: [] });
      assert.deepEqual(rec.last().issues.map(formatIssue), [
        `${PREFIX}mesh:9: ServiceEntry/ns/b spec.hostz: unknown field 'hostz' (not applied; the last valid version is kept)`,
      ]);
      assert.equal(port(rec.last(), 'b'), 81);

      // A value that is not YAML keeps every last good resource of that key.
      await client.put(`${PREFIX}c.json`).value('{ "kind": [unclosed');
      await rec.until(() => rec.updates.length === 4);
      assert.match(rec.last().issues.map(formatIssue).join('\n'), new RegExp(`^${PREFIX}c\\.json:1: YAML parse error: .*\\(keeping its 1 last valid resources\\)$`, 'm'));
      assert.equal(port(rec.last(), 'c'), 90);

      // A delete removes the key's resources (and its issues).
      await client.delete().key(`${PREFIX}c.json`);
      await rec.until(() => rec.updates.length === 5);
      assert.deepEqual(rec.updates[4]?.[1], { added: [], updated: [], removed: ['ServiceEntry/ns/c'] });
      assert.equal(rec.last().issues.length, 1);

      // A source started now (it never saw the valid b) replays b's history and serves exactly the same.
      const fresh = new EtcdSource({ endpoints: etcd.endpoints, prefix: PREFIX, onUpdate: () => undefined, onError: (e) => assert.fail(e) });
      try {
        const snap = await fresh.start();
        assert.deepEqual([...snap.resources], [...rec.last().resources]);
        assert.deepEqual(snap.issues, rec.last().issues);
        assert.equal(port(snap, 'b'), 81);
        assert.equal(fresh.status()['digest'], src.status()['digest']);
      } finally {
        fresh.close();
      }

      // Several keys in one transaction arrive as one update.
      await client.stm().transact(async (tx) => {
        await tx.put(`${PREFIX}d`).value(SE('d', 1));
        await tx.put(`${PREFIX}e`).value(SE('e', 2));
      });
      await rec.until(() => rec.updates.length === 6);
      assert.deepEqual(rec.updates[5]?.[1], { added: ['ServiceEntry/ns/d', 'ServiceEntry/ns/e'], updated: [], removed: [] });
      assert.equal(src.status()['revision'], (await client.get(`${PREFIX}d`).exec()).header.revision);
      assert.deepEqual(rec.errors, []);
    } finally {
      src.close();
      await client.delete().prefix(PREFIX);
    }
  });

  test('keeps serving the last good config while etcd is down, then reconnects and resyncs', async () => {
    await client.put(`${PREFIX}a`).value(SE('a', 80));
    await client.put(`${PREFIX}b`).value(SE('b', 81));
    const rec = new Recorder();
    const src = new EtcdSource({ endpoints: etcd.endpoints, prefix: PREFIX, ...rec, backoff: { initialMs: 100, maxMs: 300 }, requestTimeoutMs: 1000 });
    try {
      await src.start();
      await etcd.stopServer();
      await rec.until(() => rec.errors.length > 0 && src.status()['state'] === 'reconnecting');
      assert.deepEqual([...src.snapshot().resources.keys()], ['ServiceEntry/ns/a', 'ServiceEntry/ns/b'], 'still served while etcd is down');
      assert.equal(src.status()['lastError'], rec.errors[rec.errors.length - 1]);

      await etcd.startServer();
      // Written as soon as etcd is back: picked up by the re-list or by the new watch, never lost.
      await client.delete().key(`${PREFIX}b`);
      await client.put(`${PREFIX}a`).value(SE('a', 8080));
      await rec.until(() => port(rec.last(), 'a') === 8080 && !rec.last().resources.has('ServiceEntry/ns/b'));
      await rec.until(() => src.status()['state'] === 'watching');
      assert.equal(src.status()['resyncs'], 1);
      assert.deepEqual(rec.infos, ['etcd config source resynced']);
      assert.equal(src.status()['lastError'], undefined);

      // The new watch is live.
      await client.put(`${PREFIX}c`).value(SE('c', 90));
      await rec.until(() => rec.last().resources.has('ServiceEntry/ns/c'));
      assert.equal(src.status()['revision'], (await client.get(`${PREFIX}c`).exec()).header.revision);
    } finally {
      src.close();
      await client.delete().prefix(PREFIX);
    }
  });

  test('start() retries until etcd answers, and close() during the wait ends it', async () => {
    await etcd.stopServer();
    const rec = new Recorder();
    const src = new EtcdSource({ endpoints: etcd.endpoints, prefix: PREFIX, ...rec, backoff: { initialMs: 50, maxMs: 100 }, requestTimeoutMs: 500 });
    try {
      const started = src.start();
      await rec.until(() => rec.errors.length >= 2);
      assert.equal(rec.updates.length, 0, 'nothing is reported before a first full read');
      await etcd.startServer();
      const snap = await started;
      assert.deepEqual([...snap.resources.keys()], []);
      assert.equal(src.status()['state'], 'watching');
      assert.equal(src.status()['resyncs'], 0);
    } finally {
      src.close();
    }
    await etcd.stopServer();
    const never = new EtcdSource({ endpoints: etcd.endpoints, prefix: PREFIX, onUpdate: () => undefined, onError: () => undefined, backoff: { initialMs: 50, maxMs: 100 } });
    const pending = never.start();
    await new Promise((r) => setTimeout(r, 150));
    never.close();
    assert.deepEqual([...(await pending).resources.keys()], []);
    assert.equal(never.status()['state'], 'closed');
    await etcd.startServer();
  });
});

describe('EtcdSource over a three-member etcd cluster', () => {
  test('follows writes while each member in turn goes down, resyncing through another member', async () => {
    const etcd = await startEtcd({ members: 3 });
    const client = new Etcd3({ hosts: [...etcd.endpoints] });
    const rec = new Recorder();
    const src = new EtcdSource({ endpoints: etcd.endpoints, prefix: PREFIX, ...rec, backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 1000 });
    try {
      await client.put(`${PREFIX}a`).value(SE('a', 1000));
      await src.start();
      assert.equal(port(src.snapshot(), 'a'), 1000);
      for (let i = 0; i < 3; i++) {
        await etcd.stopServer(i);
        const put = await client.put(`${PREFIX}a`).value(SE('a', 1001 + i));
        await rec.until(() => port(src.snapshot(), 'a') === 1001 + i && src.status()['state'] === 'watching');
        assert.ok(BigInt(String(src.status()['revision'])) >= BigInt(put.header.revision));
        await etcd.startServer(i);
      }
      // The member holding the watch went down once at least: the source resynced through another one.
      assert.ok(Number(src.status()['resyncs']) >= 1, `resyncs: ${String(src.status()['resyncs'])}`);
      assert.equal(rec.infos.length, src.status()['resyncs']);
      assert.deepEqual([...src.snapshot().resources.keys()], ['ServiceEntry/ns/a']);
    } finally {
      src.close();
      client.close();
      await etcd.stop();
    }
  });
});
