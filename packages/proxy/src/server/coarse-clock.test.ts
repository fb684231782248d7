import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { enterClockScope, exitClockScope, monotonicNow } from './coarse-clock.js';
import { DeadlineList, type DeadlineNode } from './deadline-queue.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

class Node implements DeadlineNode {
  deadlinePrev: DeadlineNode | null = null;
  deadlineNext: DeadlineNode | null = null;
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;
  fired = 0;
  onDeadline(): void {
    this.fired++;
  }
}

describe('coarse clock', () => {
  it('returns the entry time inside a scope and a fresh time outside', () => {
    const t0 = enterClockScope();
    try {
      spin(3);
      assert.equal(monotonicNow(), t0);
    } finally {
      exitClockScope();
    }
    assert.ok(monotonicNow() - t0 >= 3);
  });

  it('keeps the outer entry time in nested scopes and stays fresh after an unbalanced exit', () => {
    const t0 = enterClockScope();
    spin(2);
    const inner = enterClockScope();
    assert.equal(inner, t0);
    exitClockScope();
    assert.equal(monotonicNow(), t0);
    exitClockScope();
    exitClockScope(); // extra exit: must not leave the clock frozen
    spin(2);
    assert.ok(monotonicNow() - t0 >= 4);
  });

  it('schedules deadlines from a fresh time after a long idle period', async () => {
    // A scope that ended long ago must not make a later schedule fire early.
    enterClockScope();
    exitClockScope();
    spin(30);
    const list = new DeadlineList(40);
    const n = new Node();
    list.schedule(n);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(n.fired, 0);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(n.fired, 1);
    list.close();
  });
});
