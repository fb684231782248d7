import assert from 'node:assert/strict';
import { test } from 'node:test';
import { medianRound } from './report.js';

const round = (weftRps, haproxyRps) => ({
  weft: weftRps === null ? { status: 'failed', reason: 'x' } : { status: 'ok', wrk: { rps: weftRps, p99Ms: 1 } },
  haproxy: { status: 'ok', wrk: { rps: haproxyRps, p99Ms: 1 } },
});

test('medianRound: the round with the median Weft/HAProxy req/s ratio, the lower middle one for an even count', () => {
  assert.deepEqual(medianRound([round(80, 100), round(70, 100), round(75, 100)]), { index: 2, values: [0.8, 0.7, 0.75] });
  assert.equal(medianRound([round(90, 100), round(60, 100), round(70, 100), round(80, 100)]).index, 2);
  assert.equal(medianRound([round(50, 100)]).index, 0);
});

test('medianRound: rounds where a mode failed are passed over, unless none has a ratio', () => {
  const r = medianRound([round(null, 100), round(90, 100), round(60, 100)]);
  assert.equal(r.values[0], null);
  assert.equal(r.index, 2);
  assert.equal(medianRound([round(null, 100), round(null, 100)]).index, 0);
});
