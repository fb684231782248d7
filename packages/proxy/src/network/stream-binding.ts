import type net from 'node:net';

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

/** The socket's libuv TCP handle, or undefined for TLS, pipes, closed sockets (and when the bindings are missing). */
export function tcpHandleOf(socket: net.Socket): StreamHandle | undefined {
  const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
  return handle !== null && TcpHandle !== undefined && handle.constructor === TcpHandle ? handle : undefined;
}
