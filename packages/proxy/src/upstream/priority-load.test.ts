import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { choosePriority, computePriorityState, DEGRADED_BIT } from './priority-load.js';
import { mkHost, mkHosts, mkSet } from './test-hosts.js';

/** Host sets of 100 hosts each with the given healthy (and degraded) percentages. */
function sets(...levels: ([number, number] | number)[]) {
  return levels.map((l, p) => {
    const [healthy, degraded] = typeof l === 'number' ? [l, 0] : l;
    return mkSet(mkHosts(100, healthy, degraded, p), p);
  });
}

describe('priority load (Envoy docs: arch_overview/upstream/load_balancing/priority)', () => {
  // [P0 healthy %, P1 healthy %] -> [traffic P0, traffic P1], overprovisioning factor 1.4.
  const twoLevels: [number, number, number, number][] = [
    [100, 100, 100, 0],
    [72, 100, 100, 0],
    [71, 100, 99, 1],
    [50, 100, 70, 30],
    [25, 100, 35, 65],
    [0, 100, 0, 100],
  ];
  for (const [h0, h1, l0, l1] of twoLevels) {
    it(`splits ${l0}/${l1} when P0 is ${h0}% and P1 ${h1}% healthy`, () => {
      const s = computePriorityState(sets(h0, h1), 0);
      assert.deepEqual(s.healthyLoad, [l0, l1]);
      assert.deepEqual(s.degradedLoad, [0, 0]);
    });
  }

  const threeLevels: [number[], number[]][] = [
    [[100, 100, 100], [100, 0, 0]],
    [[72, 72, 100], [100, 0, 0]],
    [[71, 71, 100], [99, 1, 0]],
    [[50, 50, 100], [70, 30, 0]],
    [[25, 100, 100], [35, 65, 0]],
    [[25, 25, 100], [35, 35, 30]],
  ];
  for (const [health, load] of threeLevels) {
    it(`splits ${load.join('/')} over three priorities ${health.join('/')}% healthy`, () => {
      assert.deepEqual(computePriorityState(sets(...health), 0).healthyLoad, load);
    });
  }

  it('normalizes when total health is below 100% and gives the rounding leftover to the first healthy priority', () => {
    // Health 35+35+28 = 98: 35*100/98 = 35, 35, 28*100/98 = 28; Envoy adds the 2 left to P0 (the docs round to 36/36/28).
    assert.deepEqual(computePriorityState(sets(25, 25, 20), 0).healthyLoad, [37, 35, 28]);
  });

  it('sends the remainder to degraded hosts after healthy availability is used', () => {
    // 1 healthy + 3 degraded of 4 per priority: health 35, degraded availability 100 in each.
    const s = computePriorityState([mkSet(mkHosts(4, 1, 3, 0), 0), mkSet(mkHosts(4, 1, 3, 1), 1)], 50);
    assert.deepEqual(s.healthyLoad, [35, 35]);
    assert.deepEqual(s.degradedLoad, [30, 0]);
    assert.deepEqual(s.panic, [false, false]);
  });

  it('uses only healthy hosts when there are enough, even with degraded ones present', () => {
    const s = computePriorityState(sets([50, 50], [50, 50]), 50);
    assert.deepEqual(s.healthyLoad, [70, 30]);
    assert.deepEqual(s.degradedLoad, [0, 0]);
  });

  it('applies a custom overprovisioning factor', () => {
    // factor 100: 50% healthy means 50% of the traffic.
    const s = computePriorityState([mkSet(mkHosts(10, 5), 0, 100), mkSet(mkHosts(10, 10, 0, 1), 1, 100)], 50);
    assert.deepEqual(s.healthyLoad, [50, 50]);
  });

  it('counts health by weight with weighted_priority_health', () => {
    // P0: a healthy host of weight 3 and an unhealthy one of weight 1 — 50% by count, 75% by weight.
    const p0 = [mkHost('10.0.0.1', { weight: 3 }), mkHost('10.0.0.2', { weight: 1, healthy: false })];
    const p1 = mkHosts(2, 2, 0, 1);
    assert.deepEqual(computePriorityState([mkSet(p0, 0), mkSet(p1, 1)], 0).healthyLoad, [70, 30]);
    assert.deepEqual(computePriorityState([mkSet(p0, 0, 140, true), mkSet(p1, 1, 140, true)], 0).healthyLoad, [100, 0]);
  });
});

describe('panic mode (Envoy docs table, threshold 50%)', () => {
  const rows: [number, number, number, boolean, number, boolean][] = [
    [72, 72, 100, false, 0, false],
    [71, 71, 99, false, 1, false],
    [50, 60, 70, false, 30, false],
    [25, 100, 35, true, 65, false],
    [25, 25, 50, true, 50, true],
    // The docs show 7/93; Envoy's integer arithmetic gives 7 and 92 and adds the leftover 1 to P0.
    [5, 65, 8, true, 92, false],
  ];
  for (const [h0, h1, l0, p0, l1, p1] of rows) {
    it(`P0 ${h0}% / P1 ${h1}% healthy: ${l0}% (panic ${p0}) / ${l1}% (panic ${p1})`, () => {
      const s = computePriorityState(sets(h0, h1), 50);
      assert.deepEqual(s.healthyLoad, [l0, l1]);
      assert.deepEqual(s.panic, [p0, p1]);
    });
  }

  it('splits by host count when every priority is in panic', () => {
    const s = computePriorityState([mkSet(mkHosts(30, 3), 0), mkSet(mkHosts(10, 1, 0, 1), 1)], 50);
    assert.deepEqual(s.panic, [true, true]);
    assert.deepEqual(s.healthyLoad, [75, 25]);
  });

  it('puts all traffic on P0 in panic when no host is healthy', () => {
    const s = computePriorityState(sets(0, 0), 50);
    assert.deepEqual(s.panic, [true, true]);
    assert.deepEqual(s.healthyLoad, [50, 50]);
    const empty = computePriorityState([], 50);
    assert.deepEqual(empty.healthyLoad, [100]);
  });

  it('never panics with threshold 0', () => {
    const s = computePriorityState(sets(0, 0), 0);
    assert.deepEqual(s.panic, [false, false]);
    assert.deepEqual(s.healthyLoad, [100, 0]);
    assert.deepEqual(computePriorityState(sets(10), 0).panic, [false]);
  });

  it('treats an empty priority as 0% healthy', () => {
    const s = computePriorityState([mkSet([], 0), mkSet(mkHosts(4, 4, 0, 1), 1)], 50);
    assert.deepEqual(s.healthyLoad, [0, 100]);
    assert.deepEqual(s.panic, [true, false]);
  });
});

describe('choosePriority', () => {
  it('maps hash % 100 + 1 onto the cumulative loads, then degraded loads', () => {
    const healthy = [70, 20];
    const degraded = [0, 10];
    const counts = [0, 0, 0];
    for (let h = 0; h < 100; h++) {
      const sel = choosePriority(h, healthy, degraded);
      const bucket = sel & DEGRADED_BIT ? 2 : sel;
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    assert.deepEqual(counts, [70, 20, 10]);
    assert.equal(choosePriority(69, healthy, degraded), 0);
    assert.equal(choosePriority(70, healthy, degraded), 1);
    assert.equal(choosePriority(99, healthy, degraded), 1 | DEGRADED_BIT);
  });
});
