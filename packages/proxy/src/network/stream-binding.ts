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

const bindings = process as unknown as { binding(name: string): unknown };
const streamWrap = bindings.binding('stream_wrap') as StreamWrapBinding;
const TcpHandle = (bindings.binding('tcp_wrap') as { TCP: new (...args: never[]) => StreamHandle }).TCP;

export const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = streamWrap;

/** The socket's libuv TCP handle, or undefined for TLS, pipes and closed sockets. */
export function tcpHandleOf(socket: net.Socket): StreamHandle | undefined {
  const handle = (socket as unknown as { _handle: StreamHandle | null })._handle;
  return handle !== null && handle.constructor === TcpHandle ? handle : undefined;
}
