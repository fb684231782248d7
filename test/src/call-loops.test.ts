import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { startCallLoops } from './call-loops.js';

// The hot-upgrade tests' load generator must turn a broken client or a lost call into a failure that names it: a
// client that fails every call on the microtask queue (a closed sofa-rpc-node consumer) used to spin the loops
// without ever yielding, so the failing test never reported and ran into its 120 s timeout instead.

test('a client failing every call at once does not starve timers, and stop() ends the loops', { timeout: 5000 }, async () => {
  const l = startCallLoops(4, () => Promise.reject(new Error('No provider found')));
  const started = Date.now();
  await sleep(20); // a timer still fires while the loops run
  assert.ok(Date.now() - started < 1000);
  const { ok, failed } = await l.stop();
  assert.equal(ok, 0);
  assert.ok(failed > 0);
  assert.equal(l.failed(), failed);
  assert.match(l.describe(), /^0 calls ok, \d+ failed: call 0 threw Error: No provider found/);
  assert.match(l.describe(), /outstanding: none$/);
});

test('a call that never settles counts as failed after stuckMs, named while outstanding; the loop goes on', { timeout: 5000 }, async () => {
  const l = startCallLoops(1, (n) => (n === 0 ? new Promise<boolean>(() => undefined) : Promise.resolve(n % 2 === 1)), { stuckMs: 100 });
  await sleep(30);
  assert.match(l.describe(), /^0 calls ok, 0 failed; outstanding: 0 \(\d+ ms\)$/);
  while (l.ok() < 3) await sleep(5);
  const { ok, failed } = await l.stop();
  // Call 0 was lost; after it odd calls answer as expected, even ones wrongly.
  assert.ok(ok >= 3);
  assert.ok(failed >= 1);
  assert.match(l.describe(), /call 0 got no answer within 100 ms/);
  assert.match(l.describe(), /call 2 got a wrong answer/);
  assert.equal(await l.stop().then((r) => r.ok), ok, 'stop() again resolves the same counts');
});
