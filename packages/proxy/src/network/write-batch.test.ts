import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { enterIoScope, exitIoScope } from '../server/io-scope.js';
import { socketPair } from './test-socket-pair.js';
import { WriteBatch } from './write-batch.js';

describe('WriteBatch', () => {
  it('holds the writes of one I/O scope and sends them together when the scope ends', async () => {
    const pair = await socketPair();
    const { client, peer } = pair;
    const received: Buffer[] = [];
    peer.on('data', (d: Buffer) => received.push(d));

    const batch = new WriteBatch(client);
    enterIoScope();
    try {
      batch.write(Buffer.from('one,'));
      batch.write(Buffer.from('two,'));
      batch.write(Buffer.from('three'));
      assert.equal(client.bytesWritten, 0, 'nothing sent before the scope ends');
      assert.equal(batch.pendingBytes, 13);
    } finally {
      exitIoScope();
    }
    assert.equal(batch.pendingBytes, 0);
    while (Buffer.concat(received).length < 13) await once(peer, 'data');
    assert.equal(Buffer.concat(received).toString(), 'one,two,three');

    // Outside any scope the batch is flushed on the next tick.
    batch.write(Buffer.from('!'));
    assert.equal(client.bytesWritten, 13);
    await new Promise((r) => process.nextTick(r));
    assert.equal(client.bytesWritten, 14);

    pair.close();
  });

  it('sends views that continue each other in memory as one write, and other pieces in order', async () => {
    const pair = await socketPair();
    const { client, peer } = pair;
    const received: Buffer[] = [];
    peer.on('data', (d: Buffer) => received.push(d));
    const writes: Buffer[] = [];
    const write = client.write.bind(client);
    client.write = ((b: Buffer) => {
      writes.push(b);
      return write(b);
    }) as typeof client.write;

    const read = Buffer.from('aaaabbbbcccc');
    const batch = new WriteBatch(client);
    enterIoScope();
    try {
      batch.write(read.subarray(0, 4));
      batch.write(read.subarray(4, 8));
      batch.write(Buffer.from('-local-'));
      batch.write(read.subarray(8, 12));
    } finally {
      exitIoScope();
    }
    assert.deepEqual(writes.map((b) => b.toString()), ['aaaabbbb', '-local-', 'cccc']);
    assert.equal(writes[0]?.buffer, read.buffer, 'the read buffer itself, not a copy');
    while (Buffer.concat(received).length < 19) await once(peer, 'data');
    assert.equal(Buffer.concat(received).toString(), 'aaaabbbb-local-cccc');
    pair.close();
  });
});
