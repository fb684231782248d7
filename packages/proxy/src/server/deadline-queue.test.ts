import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeadlineQueues, deadlineTimer } from './deadline-queue.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('deadline queues (one timer per duration)', () => {
  test('fires entries of one duration in order, after their duration', async () => {
    const q = new DeadlineQueues();
    const fired: string[] = [];
    const start = performance.now();
    const a = deadlineTimer(() => fired.push(`a@${Math.round(performance.now() - start)}`));
    const b = deadlineTimer(() => fired.push('b'));
    q.schedule(a, 40);
    await sleep(10);
    q.schedule(b, 40);
    await sleep(250);
    assert.equal(fired.length, 2);
    assert.ok(fired[0]?.startsWith('a@'));
    assert.ok(Number(fired[0]?.slice(2)) >= 38, fired[0]);
    assert.equal(fired[1], 'b');
    q.close();
  });

  test('a cancelled entry never fires; rescheduling pushes the deadline back', async () => {
    const q = new DeadlineQueues();
    let cancelled = 0;
    let refreshed = 0;
    const c = deadlineTimer(() => cancelled++);
    const r = deadlineTimer(() => refreshed++);
    // Generous margins: a loaded CI machine may oversleep a few tens of ms.
    q.schedule(c, 250);
    q.schedule(r, 250);
    c.cancel();
    for (let i = 0; i < 5; i++) {
      await sleep(20);
      q.schedule(r, 250);
    }
    assert.equal(refreshed, 0);
    await sleep(400);
    assert.equal(cancelled, 0);
    assert.equal(refreshed, 1);
    q.close();
  });

  test('different durations are independent lists', async () => {
    const q = new DeadlineQueues();
    const order: number[] = [];
    q.schedule(deadlineTimer(() => order.push(60)), 60);
    q.schedule(deadlineTimer(() => order.push(20)), 20);
    await sleep(300);
    assert.deepEqual(order, [20, 60]);
    q.close();
  });
});
