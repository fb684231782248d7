import assert from 'node:assert/strict';
import type net from 'node:net';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { pauseReads, readDirect, resumeReads } from './direct-read.js';
import { socketByteCounts, unsentBytes, writeBytes, writeLatin1 } from './fast-write.js';
import { socketPair, type SocketPair } from './test-socket-pair.js';

function bytesDispatched(socket: net.Socket): number {
  const counts = { read: 0, written: 0 };
  socketByteCounts(socket, counts);
  return counts.written;
}

const pairs: SocketPair[] = [];
after(() => {
  for (const p of pairs) p.close();
});

async function pair(): Promise<SocketPair> {
  const p = await socketPair();
  pairs.push(p);
  return p;
}

async function readAll(socket: net.Socket, bytes: number, into: Buffer[]): Promise<string> {
  while (Buffer.concat(into).length < bytes) await once(socket, 'data');
  return Buffer.concat(into).toString('latin1');
}

/** Direct reads emit no event to wait for: poll. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done(), 'condition not reached within 2 s');
}

describe('direct writes', () => {
  it('keep order with ordinary writes, count bytes, and send latin1 unchanged', async () => {
    const { client, peer } = await pair();
    const got: Buffer[] = [];
    peer.on('data', (d: Buffer) => got.push(d));
    assert.equal(writeLatin1(client, 'a\u00ff,'), true);
    client.write('b,');
    // The Writable holds nothing once 'b,' is dispatched: direct again.
    assert.equal(writeBytes(client, Buffer.from('c,')), true);
    client.cork();
    writeLatin1(client, 'd,'); // corked: must queue behind the cork, not overtake it
    client.write('e');
    client.uncork();
    assert.equal(await readAll(peer, 10, got), 'a\u00ff,b,c,d,e');
    assert.equal(bytesDispatched(client), 10);
    client.destroy();
    peer.destroy();
  });

  it('report backpressure and emit drain once the kernel took everything', async () => {
    const { client, peer } = await pair();
    peer.pause();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let writes = 0;
    while (writeBytes(client, chunk)) {
      writes++;
      assert.ok(writes < 64, 'a paused peer must push back within 64 MiB');
    }
    const drained = once(client, 'drain');
    let received = 0;
    peer.on('data', (d: Buffer) => (received += d.length));
    peer.resume();
    await drained;
    const total = (writes + 1) * chunk.length;
    while (received < total) await once(peer, 'data');
    assert.equal(received, total);
    assert.equal(bytesDispatched(client), total);
    client.destroy();
    peer.destroy();
  });

  it('writeBytes: done at once when the kernel takes the bytes, else in order on completion; unsentBytes counts the queue', async () => {
    const { client, peer } = await pair();
    const done: number[] = [];
    assert.equal(writeBytes(client, Buffer.from('small'), () => done.push(0)), true);
    assert.deepEqual(done, [0], 'a write that completed synchronously reports at once');
    assert.equal(unsentBytes(client), 0);
    peer.pause();
    const chunk = Buffer.alloc(1024 * 1024, 0x62);
    let n = 1;
    while (writeBytes(client, chunk, ((i: number) => () => done.push(i))(n))) {
      n++;
      assert.ok(n < 64, 'a paused peer must push back within 64 MiB');
    }
    assert.ok(unsentBytes(client) > 0, 'bytes held by libuv are counted');
    const pending = done.length;
    assert.ok(pending < n + 1, 'the write that pushed back has not completed');
    const drained = once(client, 'drain');
    peer.on('data', () => undefined);
    peer.resume();
    await drained;
    assert.deepEqual(done, Array.from({ length: n + 1 }, (_, i) => i), 'every write reported once, in order');
    assert.equal(unsentBytes(client), 0);
    client.destroy();
    peer.destroy();
  });

  it('fail like socket.write on a socket the peer reset', async () => {
    const { client, peer } = await pair();
    const error = new Promise<NodeJS.ErrnoException>((resolve) => client.once('error', resolve));
    peer.resetAndDestroy();
    for (let i = 0; i < 50 && !client.destroyed; i++) {
      writeLatin1(client, 'x'.repeat(65536)); // must not throw, whatever state the socket is in
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(client.destroyed);
    assert.match(String((await error).code), /EPIPE|ECONNRESET/);
  });
});

describe('direct reads', () => {
  it('deliver bytes, keep put-back bytes and end, and pause at the handle', async () => {
    const { client, peer } = await pair();
    const got: Buffer[] = [];
    const onBytes = (d: Buffer): void => void got.push(Buffer.from(d));
    peer.pause();
    peer.unshift(Buffer.from('early,'));
    peer.on('data', onBytes);
    assert.equal(readDirect(peer, onBytes), true);
    peer.resume();
    client.write('one,');
    await until(() => Buffer.concat(got).length >= 10);
    assert.equal(Buffer.concat(got).toString(), 'early,one,');

    pauseReads(peer);
    client.write('two,');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(Buffer.concat(got).toString(), 'early,one,', 'nothing delivered while paused');
    resumeReads(peer);
    const ended = once(peer, 'end');
    client.end('three');
    await ended;
    assert.equal(Buffer.concat(got).toString(), 'early,one,two,three');
    peer.destroy();
  });

  it('hands each read its own chunk (the shared read buffer is reused)', async () => {
    const { client, peer } = await pair();
    const chunks: Buffer[] = [];
    readDirect(peer, (d) => chunks.push(d));
    peer.resume();
    client.write('first');
    await until(() => chunks.length === 1);
    client.write('second');
    await until(() => chunks.length === 2);
    assert.deepEqual(chunks.map(String), ['first', 'second']);
    client.destroy();
    peer.destroy();
  });
});
