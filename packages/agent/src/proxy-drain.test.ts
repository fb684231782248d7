import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseActiveConnections } from './proxy-drain.js';

test('sums the traffic listeners\' downstream_cx_active, not the admin listener nor HCM gauges', () => {
  const stats = [
    'http.ingress.downstream_cx_active: 7',
    'listener.0.0.0.0_15006.downstream_cx_active: 2',
    'listener.127.0.0.1_9080.downstream_cx_active: 1',
    'listener.admin.downstream_cx_active: 1',
    'listener.127.0.0.1_9080.downstream_cx_total: 40',
  ].join('\n');
  assert.equal(parseActiveConnections(stats), 3);
  assert.equal(parseActiveConnections(''), 0);
});
