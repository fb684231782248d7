import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from './stats-store.js';
import { TagName } from './tag-extraction.js';
import type { StatsSnapshot } from './stats-snapshot.js';

test('returns the same handle for the same full name from any scope', () => {
  const store = new StatsStore();
  const a = store.counter('cluster.foo.upstream_rq_total');
  const b = store.scope('cluster').scope('foo').counter('upstream_rq_total');
  const c = store.scope('cluster.foo.').counter('upstream_rq_total');
  assert.equal(a, b);
  assert.equal(a, c);
  a.inc();
  b.add(2);
  assert.equal(c.value(), 3);
  assert.equal(a.name, 'cluster.foo.upstream_rq_total');
});

test('keeps counters, gauges and histograms of the same name apart', () => {
  const store = new StatsStore();
  store.counter('x').inc();
  store.gauge('x').set(7);
  store.histogram('x').record(1);
  const snap = store.snapshot();
  assert.equal(snap.counters[0]?.value, 1);
  assert.equal(snap.gauges[0]?.value, 7);
  assert.equal(snap.histograms[0]?.count, 1);
});

test('gauges move both ways and remember their import mode', () => {
  const store = new StatsStore();
  const g = store.gauge('server.live', 'never');
  g.set(1);
  g.inc();
  g.dec();
  g.add(5);
  g.sub(2);
  assert.equal(g.value(), 4);
  assert.equal(store.snapshot().gauges[0]?.importMode, 'never');
  assert.equal(store.gauge('server.live', 'accumulate'), g, 'first registration wins');
});

test('marks a stat used on write: counters by value or add(0), gauges by any write, histograms by a sample', () => {
  const store = new StatsStore();
  store.counter('c.untouched');
  store.counter('c.inc').inc();
  store.counter('c.add0').add(0);
  store.gauge('g.untouched');
  store.gauge('g.set0').set(0);
  store.histogram('h.untouched');
  store.histogram('h.recorded').record(3);
  const used = (s: StatsSnapshot): string[] =>
    [...s.counters, ...s.gauges, ...s.histograms].filter((x) => x.used).map((x) => x.name).sort();
  assert.deepEqual(used(store.snapshot()), ['c.add0', 'c.inc', 'g.set0', 'h.recorded']);
});

test('a tagged scope removes a dotted cluster name from the tag-extracted name', () => {
  const store = new StatsStore();
  const name = 'outbound|80||foo.default.svc.cluster.local';
  const cluster = store.scope(`cluster.${name}`, { [TagName.CLUSTER_NAME]: name });
  cluster.counter('upstream_rq_200').inc();
  cluster.counter('upstream_rq_total').inc();
  cluster.scope('circuit_breakers.default').gauge('cx_open');
  const snap = store.snapshot();
  const rq200 = snap.counters.find((c) => c.name === `cluster.${name}.upstream_rq_200`);
  assert.equal(rq200?.tagExtractedName, 'cluster.upstream_rq');
  assert.deepEqual(rq200?.tags, [
    [TagName.RESPONSE_CODE, '200'],
    [TagName.CLUSTER_NAME, name],
  ]);
  const cb = snap.gauges[0];
  assert.equal(cb?.tagExtractedName, 'cluster.circuit_breakers.default.cx_open');
  assert.deepEqual(cb?.tags, [[TagName.CLUSTER_NAME, name]], 'cluster_name regex must not run again');
});

test('rejects a scope tag whose value is not a segment of the prefix', () => {
  const store = new StatsStore();
  assert.throws(() => store.scope('cluster.foo', { [TagName.CLUSTER_NAME]: 'fo' }), /not a segment/);
});

test('histogram() honours explicit buckets and the store-wide bucket settings', () => {
  const store = new StatsStore({ histogramBuckets: (n) => (n.endsWith('_bytes') ? [10, 100] : undefined) });
  store.histogram('a_bytes', 'bytes').record(50);
  store.histogram('b', 'milliseconds', [1, 2, 3]).record(2);
  store.histogram('c').record(1);
  const [a, b, c] = store.snapshot().histograms;
  assert.deepEqual(a?.bounds, [10, 100]);
  assert.deepEqual(a?.buckets, [0, 1, 0]);
  assert.deepEqual(b?.bounds, [1, 2, 3]);
  assert.equal(c?.bounds.length, 19);
  assert.throws(() => store.histogram('bad', 'unspecified', [5, 1]), /increasing/);
});

test('snapshots are plain JSON and survive a round trip', () => {
  const store = new StatsStore();
  store.scope('cluster.a', { [TagName.CLUSTER_NAME]: 'a' }).counter('upstream_rq_2xx').add(4);
  store.histogram('h', 'milliseconds').record(12);
  const snap = store.snapshot();
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
});

test('merge sums counters, accumulate gauges and histograms; never-import gauges come from the first user', () => {
  const w1 = new StatsStore();
  const w2 = new StatsStore();
  const main = new StatsStore();
  for (const s of [w1, w2]) {
    s.counter('http.in.downstream_rq_total').add(3);
    s.gauge('http.in.downstream_rq_active').set(2);
    s.histogram('http.in.downstream_rq_time', 'milliseconds').record(7);
  }
  w2.counter('only.in.w2').inc();
  w2.gauge('server.live', 'never').set(0);
  main.gauge('server.live', 'never').set(1);
  main.gauge('server.uptime', 'never');
  const merged = StatsStore.merge([main.snapshot(), w1.snapshot(), w2.snapshot()]);
  const counter = (n: string): number | undefined => merged.counters.find((c) => c.name === n)?.value;
  const gauge = (n: string): number | undefined => merged.gauges.find((g) => g.name === n)?.value;
  assert.equal(counter('http.in.downstream_rq_total'), 6);
  assert.equal(counter('only.in.w2'), 1);
  assert.equal(gauge('http.in.downstream_rq_active'), 4);
  assert.equal(gauge('server.live'), 1);
  const h = merged.histograms[0];
  assert.equal(h?.count, 2);
  assert.equal(h?.sum, 14);
  assert.equal(h?.buckets[3], 2, '7 lands in the <=10 bucket');
  // Inputs are not mutated.
  assert.equal(w1.snapshot().counters[0]?.value, 3);
});

test('merge refuses histograms with different bucket layouts', () => {
  const a = new StatsStore();
  const b = new StatsStore();
  a.histogram('h', 'unspecified', [1, 2]).record(1);
  b.histogram('h', 'unspecified', [1, 3]).record(1);
  assert.throws(() => StatsStore.merge([a.snapshot(), b.snapshot()]), /bucket layouts differ/);
});

test('absorb carries counters and histograms across a hot upgrade, gauges only when asked', () => {
  const old = new StatsStore();
  const name = 'outbound|80||foo.svc';
  old.scope(`cluster.${name}`, { [TagName.CLUSTER_NAME]: name }).counter('upstream_rq_total').add(10);
  old.gauge('server.total_connections').set(3);
  old.histogram('cluster.x.upstream_rq_time', 'milliseconds').record(30);
  const final = old.snapshot();

  const next = new StatsStore();
  const live = next.scope(`cluster.${name}`, { [TagName.CLUSTER_NAME]: name }).counter('upstream_rq_total');
  live.inc();
  next.absorb(final);
  assert.equal(live.value(), 11, 'an existing handle keeps counting from the old value');
  assert.equal(next.gauge('server.total_connections').value(), 0);
  const snap = next.snapshot();
  assert.equal(snap.histograms[0]?.count, 1);
  assert.equal(snap.histograms[0]?.sum, 30);

  const created = new StatsStore();
  created.absorb(final, { gauges: true });
  const c = created.snapshot().counters[0];
  assert.equal(c?.value, 10);
  assert.deepEqual(c?.tags, [[TagName.CLUSTER_NAME, name]], 'tags travel with the snapshot');
  assert.equal(created.gauge('server.total_connections').value(), 3);
});
