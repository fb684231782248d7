import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deferToScopeEnd, enterIoScope, exitIoScope, monotonicNow } from './io-scope.js';
import { Deadline, DeadlineList, type DeadlineOwner } from './deadline-queue.js';

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

class Node implements DeadlineOwner {
  readonly deadline = new Deadline(this);
  fired = 0;
  firedAt = 0;
  onDeadline(): void {
    this.fired++;
    this.firedAt = performance.now();
  }
}

describe('io scope', () => {
  it('returns the entry time inside a scope and a fresh time outside', () => {
    const t0 = enterIoScope();
    try {
      spin(3);
      assert.equal(monotonicNow(), t0);
    } finally {
      exitIoScope();
    }
    assert.ok(monotonicNow() - t0 >= 3);
  });

  it('keeps the outer entry time in nested scopes and stays fresh after an unbalanced exit', () => {
    const t0 = enterIoScope();
    spin(2);
    const inner = enterIoScope();
    assert.equal(inner, t0);
    exitIoScope();
    assert.equal(monotonicNow(), t0);
    exitIoScope();
    exitIoScope(); // extra exit: must not leave the clock frozen
    spin(2);
    assert.ok(monotonicNow() - t0 >= 4);
  });

  it('schedules deadlines from a fresh time after a long idle period', async () => {
    // A scope that ended long ago must not make a later schedule fire early.
    enterIoScope();
    exitIoScope();
    spin(30);
    const list = new DeadlineList(40);
    const n = new Node();
    const scheduledAt = performance.now();
    list.schedule(n.deadline);
    while (n.fired === 0) await new Promise((r) => setTimeout(r, 5));
    assert.ok(n.firedAt - scheduledAt >= 39, `fired after ${n.firedAt - scheduledAt} ms`);
    list.close();
  });

  it('fires a node scheduled on a list that emptied meanwhile at its own deadline, not the old one', async () => {
    const list = new DeadlineList(40);
    const a = new Node();
    const b = new Node();
    list.schedule(a.deadline);
    list.cancel(a.deadline); // the list is empty; its timer stays armed for a's deadline
    await new Promise((r) => setTimeout(r, 15));
    const scheduledAt = performance.now();
    list.schedule(b.deadline);
    while (b.fired === 0) await new Promise((r) => setTimeout(r, 5));
    assert.ok(b.firedAt - scheduledAt >= 39, `fired after ${b.firedAt - scheduledAt} ms`);
    assert.equal(a.fired, 0);
    list.close();
  });

  it('runs deferred work when the outermost scope exits, not before', () => {
    const ran: string[] = [];
    enterIoScope();
    enterIoScope();
    deferToScopeEnd({ runDeferred: () => ran.push('a') });
    exitIoScope();
    assert.equal(ran.length, 0);
    deferToScopeEnd({ runDeferred: () => {
      ran.push('b');
      deferToScopeEnd({ runDeferred: () => ran.push('c') });
    } });
    exitIoScope();
    assert.deepEqual(ran, ['a', 'b', 'c']);
  });

  it('runs work deferred outside any scope in a nextTick', async () => {
    const ran: string[] = [];
    deferToScopeEnd({ runDeferred: () => ran.push('x') });
    assert.equal(ran.length, 0);
    await new Promise<void>((r) => process.nextTick(r));
    assert.deepEqual(ran, ['x']);
  });

  it('still runs the remaining deferred work after one throws', async () => {
    const ran: string[] = [];
    enterIoScope();
    deferToScopeEnd({ runDeferred: () => {
      throw new Error('boom');
    } });
    deferToScopeEnd({ runDeferred: () => ran.push('after') });
    assert.throws(() => exitIoScope(), /boom/);
    const t = monotonicNow();
    spin(2);
    assert.ok(monotonicNow() - t >= 2, 'scope is closed after the throw');
    await new Promise<void>((r) => process.nextTick(r));
    assert.deepEqual(ran, ['after']);
  });
});
