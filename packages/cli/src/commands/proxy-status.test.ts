import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typeStatus } from './proxy-status.js';

test('typeStatus: SYNCED, STALE, NACKED, NOT SENT', () => {
  assert.deepEqual(typeStatus({ sentVersion: '3', ackedVersion: '3', lastNack: null }), { status: 'SYNCED', version: '3', ackedVersion: '3' });
  assert.deepEqual(typeStatus({ sentVersion: '4', ackedVersion: '3', lastNack: null }), { status: 'STALE', version: '4', ackedVersion: '3' });
  assert.deepEqual(typeStatus({ sentVersion: '4', ackedVersion: '3', lastNack: { version: '4', message: 'bad cluster' } }), {
    status: 'NACKED', version: '4', ackedVersion: '3', error: 'bad cluster',
  });
  // an older NACK does not make a newer, un-ACKed version NACKED
  assert.equal(typeStatus({ sentVersion: '5', ackedVersion: '3', lastNack: { version: '4', message: 'x' } }).status, 'STALE');
  assert.equal(typeStatus({ sentVersion: '', ackedVersion: '' }).status, 'NOT SENT');
  assert.equal(typeStatus(undefined).status, 'NOT SENT');
});
