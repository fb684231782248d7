// Run with: node --test bench/lib/open-loop.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runOpenLoop } from './open-loop.js';

test('sends warm-up plus measured calls on schedule and reports only the measured ones', async () => {
  let calls = 0;
  const r = await runOpenLoop({
    rate: 2000,
    warmupMs: 20,
    durationMs: 100,
    call: (done) => {
      calls++;
      setImmediate(() => done(null));
    },
  });
  assert.equal(calls, 240);
  assert.equal(r.scheduled, 200);
  assert.equal(r.ok, 200);
  assert.equal(r.errors, 0);
  assert.equal(r.unfinished, 0);
  assert.equal(r.latency.length, 200);
  assert.equal(r.lag.length, 200);
  assert.ok(r.latency.every((ms) => ms >= 0));
  assert.ok(r.lag.every((ms) => ms >= 0));
  assert.ok(r.achievedRps > 0);
});

test('does not wait for slow responses before sending the next call (open loop)', async () => {
  const pending = [];
  let maxOpen = 0;
  const r = await runOpenLoop({
    rate: 1000,
    warmupMs: 0,
    durationMs: 50,
    call: (done) => {
      pending.push(done);
      maxOpen = Math.max(maxOpen, pending.length);
      if (pending.length === 50) for (const d of pending.splice(0)) d(null);
    },
  });
  assert.equal(maxOpen, 50);
  assert.equal(r.ok, 50);
});

test('counts errors by code and unanswered calls after the drain time', async () => {
  let i = 0;
  const r = await runOpenLoop({
    rate: 1000,
    warmupMs: 0,
    durationMs: 20,
    drainMs: 30,
    call: (done) => {
      const n = i++;
      if (n % 10 === 0) return; // never answered
      if (n % 10 === 1) setImmediate(() => done(Object.assign(new Error('unavailable'), { code: 14 })));
      else if (n % 10 === 2) setImmediate(() => done(new Error('boom')));
      else setImmediate(() => done(null));
    },
  });
  assert.equal(r.scheduled, 20);
  assert.equal(r.unfinished, 2);
  assert.equal(r.errors, 4);
  assert.deepEqual(r.errorsBy, { 14: 2, boom: 2 });
  assert.equal(r.ok, 14);
  assert.equal(r.latency.length, 14);
});

test('ignores a second done() for the same call', async () => {
  const r = await runOpenLoop({
    rate: 1000,
    warmupMs: 0,
    durationMs: 5,
    call: (done) => {
      done(null);
      done(new Error('twice'));
    },
  });
  assert.equal(r.ok, 5);
  assert.equal(r.errors, 0);
});
