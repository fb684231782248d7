import type net from 'node:net';
import { Socket } from 'node:net';

/**
 * Node 20's stream_wrap and tcp_wrap bindings, the ones net.Socket itself is built on. The hot HTTP/1 path talks to
 * a plain TCP socket's libuv handle through them to skip Node's Readable/Writable bookkeeping (see fast-write.ts,
 * direct-read.ts); everything else keeps using the socket.
 */

export interface WriteReq {
  handle: StreamHandle;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  buffer: Uint8Array | null;
  socket: net.Socket | null;
  /** Called once the bytes are handed to the kernel (set for writeBytesThen only). */
  done: (() => void) | null;
}

export interface StreamHandle {
  onread: (this: StreamHandle, arrayBuffer: ArrayBuffer | undefined) => unknown;
  useUserBuffer(buffer: Uint8Array): void;
  reading: boolean;
  readStart(): number;
  readStop(): number;
  writeLatin1String(req: WriteReq, data: string): number;
  writeBuffer(req: WriteReq, data: Uint8Array): number;
  readonly writeQueueSize: number;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

type TcpConstructor = new (...args: never[]) => StreamHandle;

/** The bindings, or undefined on a Node without them: then every socket takes Node's ordinary path. */
function loadBindings(): { streamWrap: StreamWrapBinding; tcp: TcpConstructor } | undefined {
  try {
    const bindings = process as unknown as { binding(name: string): unknown };
    const streamWrap = bindings.binding('stream_wrap') as StreamWrapBinding;
    const tcp = (bindings.binding('tcp_wrap') as { TCP: TcpConstructor }).TCP;
    if (typeof streamWrap.WriteWrap !== 'function' || !(streamWrap.streamBaseState instanceof Int32Array) || typeof tcp !== 'function') return undefined;
    return { streamWrap, tcp };
  } catch {
    return undefined;
  }
}

const loaded = loadBindings();
const TcpHandle = loaded?.tcp;
const streamWrap = loaded?.streamWrap ?? ({ WriteWrap: Object, streamBaseState: new Int32Array(8), kReadBytesOrError: 0, kArrayBufferOffset: 1, kLastWriteWasAsync: 2 } as unknown as StreamWrapBinding);

export const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = streamWrap;

/**
 * The private symbol net.Socket keeps its handle under. `socket._handle` is a getter around it shared by every kind
 * of socket in the process, so V8 compiles its lookup as a generic (megamorphic) one; reading the symbol from our
 * call sites, which only see a few socket shapes, is a plain field load. Checked through the getter/setter pair;
 * undefined (use `_handle`) if this Node keeps the handle some other way.
 */
const kHandle = ((): symbol | undefined => {
  const probe = new Socket() as unknown as Record<symbol, unknown> & { _handle: unknown };
  const sym = Object.getOwnPropertySymbols(probe).find((s) => s.description === 'kHandle');
  if (sym === undefined) return undefined;
  const marker = {};
  probe._handle = marker;
  const ok = probe[sym] === marker;
  probe._handle = null;
  return ok ? sym : undefined;
})();

/** `socket._handle` (whatever its kind; null once closed), read through the symbol when possible. */
export function handleOf<H extends object>(socket: net.Socket): H | null {
  if (kHandle === undefined) return (socket as unknown as { _handle: H | null })._handle;
  return (socket as unknown as Record<symbol, H | null | undefined>)[kHandle] ?? null;
}

/** The socket's libuv TCP handle, or undefined for TLS, pipes, closed sockets (and when the bindings are missing). */
export function tcpHandleOf(socket: net.Socket): StreamHandle | undefined {
  const handle = handleOf<StreamHandle>(socket);
  return handle !== null && TcpHandle !== undefined && handle.constructor === TcpHandle ? handle : undefined;
}
