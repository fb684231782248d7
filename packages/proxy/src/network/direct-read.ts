import type net from 'node:net';
import { receivedEof, startReading } from './socket-handoff.js';
import { kReadBytesOrError, streamBaseState, tcpHandleOf, type StreamHandle } from './stream-binding.js';

let readBuffer: Buffer | undefined;
/**
 * Views of the shared buffer's first n bytes, to copy a read out with one set(): making one per read (subarray) reads
 * .buffer and .byteOffset, which V8 does not optimise. A small direct-mapped cache: reads repeat their sizes.
 */
const views: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(256).fill(undefined);

function sharedView(n: number): Uint8Array {
  const slot = n & 255;
  const v = views[slot];
  if (v !== undefined && v.length === n) return v;
  const shared = sharedReadBuffer();
  return (views[slot] = new Uint8Array(shared.buffer, shared.byteOffset, n));
}

/** Loaded once: Buffer's own properties are slow to look up on every read. */
const allocUnsafe = Buffer.allocUnsafe;

/**
 * One process-wide buffer that user-read sockets read into; each read is copied out before the next can happen.
 * Cheaper than Node's default of a fresh 64 KiB allocation, shrunk by a reallocation, per read.
 */
export function sharedReadBuffer(): Buffer {
  return (readBuffer ??= Buffer.allocUnsafeSlow(64 * 1024));
}

/**
 * Hands a plain TCP socket's reads from its libuv handle straight to `onBytes`, skipping the Readable stream (push,
 * addChunk, 'data', a nextTick per read) and Node's per-read allocation: the handle reads into sharedReadBuffer()
 * and each read is copied out into a chunk `onBytes` owns. EOF and read errors still take Node's own path, so 'end',
 * 'error' and 'close' behave as before; bytes already buffered in the Readable (put back by listener filters) still
 * arrive as 'data', so keep that listener too. Returns false (nothing changed) for TLS and other non-TCP sockets.
 * One way: the socket cannot go back to Node's read path, so hand it to stream consumers (node:http2) before.
 * While direct, pause and resume with pauseReads / resumeReads: socket.pause() alone does not stop the handle.
 */
export function readDirect(socket: net.Socket, onBytes: (chunk: Buffer) => void, readsIntoShared = false): boolean {
  const handle = tcpHandleOf(socket);
  if (handle === undefined) return false;
  const nodeOnRead = handle.onread;
  const shared = sharedReadBuffer();
  // `readsIntoShared`: the socket was made with net.connect's `onread: { buffer: sharedReadBuffer() }`.
  if (!readsIntoShared) handle.useUserBuffer(shared);
  handle.onread = function (this: StreamHandle, arrayBuffer: ArrayBuffer | undefined): unknown {
    const n = streamBaseState[kReadBytesOrError] as number;
    if (n > 0) {
      const chunk = allocUnsafe(n);
      chunk.set(n === shared.length ? shared : sharedView(n));
      onBytes(chunk);
      return undefined;
    }
    return nodeOnRead.call(this, arrayBuffer);
  };
  return true;
}

/** Stops reading: the Readable and, for a direct socket, the handle. */
export function pauseReads(socket: net.Socket): void {
  socket.pause();
  const handle = tcpHandleOf(socket);
  if (handle !== undefined && handle.reading) {
    handle.reading = false;
    handle.readStop();
  }
}

/** Reads again after pauseReads. */
export function resumeReads(socket: net.Socket): void {
  socket.resume();
  // A direct socket's Readable does not restart the handle; after EOF there is nothing left to read.
  if (tcpHandleOf(socket) !== undefined && !receivedEof(socket)) startReading(socket);
}
