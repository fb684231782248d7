import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Host } from '../upstream/host.js';
import { adjustedPriorityLoad, type PriorityState } from '../upstream/priority-load.js';
import { PreviousPriorities } from './previous-priorities.js';

function state(health: number[], degraded = health.map(() => 0)): PriorityState {
  return { healthyLoad: [], degradedLoad: [], panic: health.map(() => false), health, degradedAvailability: degraded };
}
const host = (priority: number): Host => ({ priority }) as unknown as Host;

describe('adjustedPriorityLoad', () => {
  it('spreads the load over the priorities not excluded, like Envoy (integer shares, leftovers to the first)', () => {
    assert.deepEqual(adjustedPriorityLoad(state([100, 100, 100]), [true]), { healthy: [0, 100, 0], degraded: [0, 0, 0] });
    assert.deepEqual(adjustedPriorityLoad(state([100, 30, 40]), [true]), { healthy: [0, 43, 57], degraded: [0, 0, 0] });
    assert.deepEqual(adjustedPriorityLoad(state([70, 0], [0, 50]), [false]), { healthy: [70, 0], degraded: [0, 30] });
    assert.equal(adjustedPriorityLoad(state([100, 0]), [true]), undefined);
  });
});

describe('PreviousPriorities (envoy.retry_priorities.previous_priorities)', () => {
  it('with update_frequency 2: the first retry keeps the load, the second avoids the tried priorities, then it starts over', () => {
    const s = state([100, 100]);
    const pp = new PreviousPriorities(2);
    pp.onHostAttempted(host(0));
    assert.equal(pp.priorityLoad(s), undefined);
    pp.onHostAttempted(host(0));
    assert.deepEqual(pp.priorityLoad(s), { healthy: [0, 100], degraded: [0, 0] });
    pp.onHostAttempted(host(1));
    assert.deepEqual(pp.priorityLoad(s), { healthy: [0, 100], degraded: [0, 0] });
    pp.onHostAttempted(host(1));
    // Every priority tried: back to the unmodified availability.
    assert.deepEqual(pp.priorityLoad(s), { healthy: [100, 0], degraded: [0, 0] });
  });

  it('with update_frequency 1: every retry avoids the priorities tried so far', () => {
    const s = state([100, 100, 100]);
    const pp = new PreviousPriorities(1);
    pp.onHostAttempted(host(0));
    assert.deepEqual(pp.priorityLoad(s), { healthy: [0, 100, 0], degraded: [0, 0, 0] });
    pp.onHostAttempted(host(1));
    assert.deepEqual(pp.priorityLoad(s), { healthy: [0, 0, 100], degraded: [0, 0, 0] });
  });
});
