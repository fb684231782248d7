import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { enterIoScope, exitIoScope } from '../server/io-scope.js';
import { WriteBatch } from './write-batch.js';

describe('WriteBatch', () => {
  it('holds the writes of one I/O scope and sends them together when the scope ends', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = (await accepted) as [net.Socket];
    const received: Buffer[] = [];
    peer.on('data', (d: Buffer) => received.push(d));

    const batch = new WriteBatch(client);
    enterIoScope();
    try {
      batch.write(Buffer.from('one,'));
      batch.write(Buffer.from('two,'));
      batch.write(Buffer.from('three'));
      assert.equal(client.writableCorked, 1, 'corked once for the whole scope');
      assert.equal(client.writableLength, 13, 'nothing sent before the scope ends');
    } finally {
      exitIoScope();
    }
    assert.equal(client.writableCorked, 0);
    while (Buffer.concat(received).length < 13) await once(peer, 'data');
    assert.equal(Buffer.concat(received).toString(), 'one,two,three');

    // Outside any scope the batch is flushed on the next tick.
    batch.write(Buffer.from('!'));
    assert.equal(client.writableCorked, 1);
    await new Promise((r) => process.nextTick(r));
    assert.equal(client.writableCorked, 0);

    client.destroy();
    peer.destroy();
    server.close();
  });
});
