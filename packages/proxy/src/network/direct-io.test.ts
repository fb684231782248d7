import assert from 'node:assert/strict';
import type net from 'node:net';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { pauseReads, readDirect, resumeReads } from './direct-read.js';
import { socketByteCounts, unsentBytes, writeBytes, writeLatin1 } from './fast-write.js';
import { enterIoScope, exitIoScope } from '../server/io-scope.js';
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

/** Runs `fn` as a data-path callback does: inside an I/O scope. */
function inScope(fn: () => void): void {
  enterIoScope();
  try {
    fn();
  } finally {
    exitIoScope();
  }
}

const afterPollPhase = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('latin1 writes held to the end of the poll phase', { timeout: 5000 }, () => {
  it('go out after every callback of the phase, one write per socket, and are counted while held', async () => {
    const a = await pair();
    const b = await pair();
    const gotA: Buffer[] = [];
    const gotB: Buffer[] = [];
    a.peer.on('data', (d: Buffer) => gotA.push(d));
    b.peer.on('data', (d: Buffer) => gotB.push(d));
    inScope(() => {
      assert.equal(writeLatin1(a.client, 'one,'), true);
      assert.equal(writeLatin1(b.client, 'x\u00ff'), true);
    });
    inScope(() => assert.equal(writeLatin1(a.client, 'two'), true));
    assert.equal(a.client.bytesWritten, 0, 'nothing reached the kernel yet');
    assert.equal(bytesDispatched(a.client), 7, 'held bytes count as written (stats, access logs)');
    assert.equal(unsentBytes(a.client), 7);
    await afterPollPhase();
    assert.equal(a.client.bytesWritten, 7);
    assert.equal(unsentBytes(a.client), 0);
    assert.equal(await readAll(a.peer, 7, gotA), 'one,two');
    assert.equal(await readAll(b.peer, 2, gotB), 'x\u00ff');
  });

  it('are sent before an ordinary write, writeBytes, cork or end overtakes them', async () => {
    const { client, peer } = await pair();
    const got: Buffer[] = [];
    peer.on('data', (d: Buffer) => got.push(d));
    const ended = once(peer, 'end');
    inScope(() => writeLatin1(client, 'a,'));
    client.write('b,');
    inScope(() => writeLatin1(client, 'c,'));
    writeBytes(client, Buffer.from('d,'));
    inScope(() => writeLatin1(client, 'e,'));
    client.cork();
    client.write('f,');
    client.uncork();
    inScope(() => writeLatin1(client, 'g'));
    client.end();
    assert.equal(await readAll(peer, 13, got), 'a,b,c,d,e,f,g');
    await ended;
  });

  it('are sent before destroy closes the socket', async () => {
    const { client, peer } = await pair();
    const got: Buffer[] = [];
    peer.on('data', (d: Buffer) => got.push(d));
    inScope(() => writeLatin1(client, 'last words'));
    client.destroy();
    assert.equal(await readAll(peer, 10, got), 'last words');
  });

  it('are not held outside a data-path callback, nor when large', async () => {
    const { client, peer } = await pair();
    peer.on('data', () => undefined);
    writeLatin1(client, 'now');
    assert.equal(client.bytesWritten, 3);
    inScope(() => writeLatin1(client, 'z'.repeat(32 * 1024)));
    assert.equal(client.bytesWritten, 3 + 32 * 1024);
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
