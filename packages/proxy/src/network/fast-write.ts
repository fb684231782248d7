import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { clearArray } from '../server/clear-array.js';
import { inIoScope } from '../server/io-scope.js';
import { handleOf, kLastWriteWasAsync, streamBaseState, tcpHandleOf, WriteWrap, type StreamHandle, type WriteReq } from './stream-binding.js';

/**
 * Writes straight into a plain TCP socket's libuv handle, skipping Node's Writable machinery (write → _write →
 * writeGeneric, a WriteWrap plus a nextTick per write) when the Writable holds nothing, so order is kept: libuv
 * queues a write behind any still pending. TLS and pipe sockets, corked, ending or connecting sockets take the
 * ordinary path.
 *
 * Latin1 writes made inside a data-path callback (an I/O scope) are held until the event loop has run every
 * callback of its poll phase, then sent, one write per socket, from a setImmediate. Like Envoy's writes, which wait
 * for the connection's write event later in the same loop iteration: a peer on another CPU is then woken once for a
 * burst of requests instead of once per request, which costs a cross-CPU wake-up (an IPI) each time it is asleep.
 * Under light load a poll phase holds one callback and nothing waits longer than that callback.
 */

interface WritableStateView {
  length: number;
  corked: number;
  ending: boolean;
}
/** The fields of net.Socket this module reads (Node internals, stable across Node 20). */
interface FastSocket extends net.Socket {
  _writableState: WritableStateView;
  [FAST_NEED_DRAIN]?: boolean;
  [HELD]?: string | undefined;
}

const FAST_NEED_DRAIN = Symbol('weft.fastNeedDrain');
/** Latin1 text written but held until the end of the poll phase (undefined: nothing held). */
const HELD = Symbol('weft.heldLatin1');
/** Larger writes are not held: the socket's buffering then decides, and backpressure stays exact. */
const HOLD_LIMIT = 16 * 1024;
const heldSockets: FastSocket[] = [];
let flushScheduled = false;

/** The socket's TCP handle when a direct write keeps ordering and semantics, else undefined. */
function directHandle(socket: FastSocket): StreamHandle | undefined {
  const handle = tcpHandleOf(socket);
  if (handle === undefined || socket.connecting) return undefined;
  const ws = socket._writableState;
  if (ws.length !== 0 || ws.corked !== 0 || ws.ending) return undefined;
  return handle;
}

function onComplete(this: WriteReq, status: number): void {
  const socket = this.socket as FastSocket | null;
  const done = this.done;
  this.buffer = null;
  this.socket = null;
  this.done = null;
  if (socket === null || socket.destroyed) return;
  if (status < 0) {
    const code = getSystemErrorName(status);
    socket.destroy(Object.assign(new Error(`write ${code}`), { code, errno: status, syscall: 'write' }));
    return;
  }
  if (done !== null) done();
  if (socket[FAST_NEED_DRAIN] === true && this.handle.writeQueueSize === 0) {
    socket[FAST_NEED_DRAIN] = false;
    socket.emit('drain');
  }
}

/** After a direct write: keep the request alive while libuv still holds it, report backpressure. */
function dispatched(socket: FastSocket, handle: StreamHandle, req: WriteReq, err: number, data: Uint8Array | null, done: (() => void) | null = null): boolean {
  if (err !== 0) {
    const code = getSystemErrorName(err);
    socket.destroy(Object.assign(new Error(`write ${code}`), { code, errno: err, syscall: 'write' }));
    return false;
  }
  if (streamBaseState[kLastWriteWasAsync] === 0) {
    spareReq = req;
    if (done !== null) done();
    return true;
  }
  // libuv holds the request until the write completes: it cannot be reused.
  req.buffer = data;
  req.socket = socket;
  req.done = done;
  if (handle.writeQueueSize < socket.writableHighWaterMark) return true;
  socket[FAST_NEED_DRAIN] = true;
  return false;
}

/**
 * A write request object for `handle`. Creating one costs about as much as the rest of a direct write, and native
 * code only keeps it when the write cannot finish at once, so one is reused until that happens.
 */
function takeReq(handle: StreamHandle): WriteReq {
  let req = spareReq;
  if (req === undefined) {
    req = new WriteWrap();
    req.oncomplete = onComplete;
    req.async = false;
    req.socket = null;
    req.buffer = null;
    req.done = null;
  } else spareReq = undefined;
  req.handle = handle;
  return req;
}

let spareReq: WriteReq | undefined;

/** socket.write(data, 'latin1'), direct when possible. Returns false under backpressure ('drain' follows). */
export function writeLatin1(socket: net.Socket, data: string): boolean {
  const s = socket as FastSocket;
  const held = s[HELD];
  if (held !== undefined) {
    if (held.length + data.length <= HOLD_LIMIT) {
      s[HELD] = held + data;
      return true;
    }
    s[HELD] = undefined;
    data = held + data;
  } else if (data.length <= HOLD_LIMIT && inIoScope() && directHandle(s) !== undefined) {
    hold(s, data);
    return true;
  }
  return sendLatin1(s, data);
}

/** Sends `data` now: straight to the handle when that keeps order, else through the socket's Writable. */
function sendLatin1(s: FastSocket, data: string): boolean {
  const handle = directHandle(s);
  if (handle === undefined) return originalWrite.call(s, data, 'latin1') as boolean;
  const req = takeReq(handle);
  return dispatched(s, handle, req, handle.writeLatin1String(req, data), null);
}

function hold(s: FastSocket, data: string): void {
  s[HELD] = data;
  heldSockets.push(s);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushAllHeld);
  }
}

/** Latin1 text held for `socket` (one byte per char). */
function heldBytes(socket: net.Socket): number {
  return (socket as FastSocket)[HELD]?.length ?? 0;
}

/** Sends what `s` holds, if anything; everything that could overtake held text calls this first. */
function flushHeld(s: FastSocket): void {
  const data = s[HELD];
  if (data === undefined) return;
  s[HELD] = undefined;
  if (!s.destroyed) sendLatin1(s, data);
}

function flushAllHeld(): void {
  flushScheduled = false;
  // Index loop: a flush that fails destroys its socket, whose handlers may hold writes for other sockets.
  let i = 0;
  try {
    for (; i < heldSockets.length; i++) flushHeld(heldSockets[i] as FastSocket);
    clearArray(heldSockets);
  } catch (err) {
    // Whatever threw, the sockets after it still get their text, from the next immediate.
    heldSockets.splice(0, i + 1);
    if (heldSockets.length !== 0 && !flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAllHeld);
    }
    throw err;
  }
}

type SocketMethod = (this: net.Socket, a?: unknown, b?: unknown, c?: unknown) => unknown;
const socketProto = net.Socket.prototype as unknown as Record<'write' | 'end' | 'destroy' | 'cork', SocketMethod>;
const originalWrite = socketProto.write;

// Ordinary writes, end, destroy and cork must not overtake held text: they send it first. Patched on the prototype
// so that Node's own calls (an end on the peer's FIN, a destroy on error) are covered too; for a socket holding
// nothing it is one property read. Three parameters cover every signature (write/end take at most three) without
// a rest array per call.
for (const name of ['write', 'end', 'destroy', 'cork'] as const) {
  const original = socketProto[name];
  socketProto[name] = function (this: net.Socket, a?: unknown, b?: unknown, c?: unknown): unknown {
    if ((this as FastSocket)[HELD] !== undefined) flushHeld(this as FastSocket);
    return original.call(this, a, b, c);
  };
}

/**
 * socket.write(data), direct when possible: `data` must not change until written (it is not copied when queued).
 * `done()` follows once the bytes are in the kernel: at once when the write completes synchronously (unlike
 * socket.write's callback, which always waits for a tick), else from libuv's completion. Not called on error.
 */
export function writeBytes(socket: net.Socket, data: Uint8Array, done?: () => void): boolean {
  const s = socket as FastSocket;
  if (s[HELD] !== undefined) flushHeld(s);
  const handle = directHandle(s);
  if (handle === undefined) return socket.write(data, done);
  const req = takeReq(handle);
  return dispatched(s, handle, req, handle.writeBuffer(req, data), data, done ?? null);
}


/** Bytes accepted for the socket but not yet in the kernel: the Writable's buffer plus libuv's queue of direct writes. */
export function unsentBytes(socket: net.Socket): number {
  const handle = tcpHandleOf(socket);
  // A write still pending in libuv from the Writable is counted by both: over-counting only pauses a little earlier.
  return socket.writableLength + heldBytes(socket) + (handle === undefined ? 0 : handle.writeQueueSize);
}

/**
 * Bytes read and bytes handed to the kernel or queued in libuv (direct writes included: the handle counts them),
 * straight from the handle while it is open. socket.bytesWritten also walks the Writable's buffer.
 */
export function socketByteCounts(socket: net.Socket, out: { read: number; written: number }): void {
  const handle = handleOf<{ bytesRead: number; bytesWritten: number }>(socket);
  if (handle !== null) {
    out.read = handle.bytesRead;
    out.written = handle.bytesWritten + heldBytes(socket);
  } else {
    out.read = socket.bytesRead;
    out.written = (socket as unknown as { _bytesDispatched: number })._bytesDispatched;
  }
}
