import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from './stats-store.js';
import { formatStatsJson, formatStatsText, StatsFilterError } from './stats-text.js';

function sample(): StatsStore {
  const store = new StatsStore();
  store.counter('cluster.b.upstream_rq_total').add(5);
  store.counter('cluster.a.upstream_rq_total');
  store.gauge('cluster.a.membership_healthy').set(2);
  store.counter('http.ingress.downstream_rq_total').inc();
  const h = store.histogram('cluster.a.upstream_rq_time', 'milliseconds');
  for (let i = 1; i <= 100; i++) h.record(i);
  store.histogram('cluster.b.upstream_rq_time', 'milliseconds');
  return store;
}

test('prints counters and gauges sorted by name, then histograms as quantile summaries', () => {
  const text = formatStatsText(sample().snapshot());
  assert.equal(
    text,
    [
      'cluster.a.membership_healthy: 2',
      'cluster.a.upstream_rq_total: 0',
      'cluster.b.upstream_rq_total: 5',
      'http.ingress.downstream_rq_total: 1',
      'cluster.a.upstream_rq_time: P0(nan,1) P25(nan,25) P50(nan,50) P75(nan,75) P90(nan,90) P95(nan,95) ' +
        'P99(nan,99) P99.5(nan,99.5) P99.9(nan,99.9) P100(nan,100)',
      'cluster.b.upstream_rq_time: No recorded values',
      '',
    ].join('\n'),
  );
});

test('filter keeps stats whose name matches the regex anywhere', () => {
  const text = formatStatsText(sample().snapshot(), { filter: 'cluster\\.a\\.' });
  assert.deepEqual(
    text.trim().split('\n').map((l) => l.split(':')[0]),
    ['cluster.a.membership_healthy', 'cluster.a.upstream_rq_total', 'cluster.a.upstream_rq_time'],
  );
  assert.equal(formatStatsText(sample().snapshot(), { filter: 'nothing-matches' }), '');
});

test('an invalid filter regex is a StatsFilterError', () => {
  assert.throws(
    () => formatStatsText(sample().snapshot(), { filter: '(' }),
    (err: unknown) => err instanceof StatsFilterError && err.code === 'WEFT_ERR_STATS_FILTER',
  );
});

test('usedonly hides stats never written', () => {
  const text = formatStatsText(sample().snapshot(), { usedOnly: true });
  assert.ok(!text.includes('cluster.a.upstream_rq_total'));
  assert.ok(!text.includes('cluster.b.upstream_rq_time'));
  assert.ok(text.includes('cluster.b.upstream_rq_total: 5'));
  assert.ok(text.includes('cluster.a.upstream_rq_time: P0'));
});

test('type selects one kind of stat', () => {
  const text = formatStatsText(sample().snapshot(), { type: 'Gauges' });
  assert.equal(text, 'cluster.a.membership_healthy: 2\n');
});

test('JSON output lists stats then a histograms element like Envoy', () => {
  const json = JSON.parse(formatStatsJson(sample().snapshot(), { filter: 'cluster\\.a' })) as {
    stats: Array<Record<string, unknown>>;
  };
  assert.deepEqual(json.stats.slice(0, 2), [
    { name: 'cluster.a.membership_healthy', value: 2 },
    { name: 'cluster.a.upstream_rq_total', value: 0 },
  ]);
  const last = json.stats[2] as {
    histograms: { supported_quantiles: number[]; computed_quantiles: Array<{ name: string; values: unknown[] }> };
  };
  assert.deepEqual(last.histograms.supported_quantiles, [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100]);
  assert.equal(last.histograms.computed_quantiles[0]?.name, 'cluster.a.upstream_rq_time');
  assert.deepEqual(last.histograms.computed_quantiles[0]?.values[2], { interval: null, cumulative: 50 });
  assert.equal(json.stats.length, 3);
});

test('JSON of histograms without samples has null quantiles', () => {
  const store = new StatsStore();
  store.histogram('h');
  const json = JSON.parse(formatStatsJson(store.snapshot())) as {
    stats: Array<{ histograms: { computed_quantiles: Array<{ values: unknown[] }> } }>;
  };
  assert.deepEqual(json.stats[0]?.histograms.computed_quantiles[0]?.values[0], { interval: null, cumulative: null });
});
