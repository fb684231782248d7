/**
 * Test helper: an HTTP/2 server on Weft's own session whose answers a test scripts, for driving peers (ours,
 * nghttp2, the proxy's upstream side) with frames a well-behaved server would never send. Not used by the proxy.
 */
import net from 'node:net';
import * as F from './frames.js';
import type { H2Stream } from './h2-stream.js';
import { Http2Session, type Http2SessionHandler, type Http2SessionSettings } from './session.js';

export const TEST_SETTINGS: Http2SessionSettings = {
  headerTableSize: 4096,
  maxConcurrentStreams: 100,
  initialWindowSize: 65535,
  maxHeaderListSize: 16384,
  maxHeaderFields: 100,
  enableConnectProtocol: false,
  connectionWindow: 65535,
  writeHighWatermark: 1 << 20,
};

/**
 * Calls `answer` once a request (headers and body) has ended, with the request's :path in `stream.user`; every other
 * session event is ignored.
 */
export class ScriptedServer implements Http2SessionHandler<string> {
  session!: Http2Session<string>;

  constructor(private readonly answer: (session: Http2Session<string>, stream: H2Stream<string>) => void) {}

  onHeaders(s: H2Stream<string>, fields: string[], endStream: boolean): void {
    for (let i = 0; i < fields.length; i += 2) if (fields[i] === ':path') s.user = fields[i + 1];
    if (endStream) this.answer(this.session, s);
  }
  onHeadersTooLarge(s: H2Stream<string>): void {
    this.session.resetStream(s, F.INTERNAL_ERROR);
  }
  onData(s: H2Stream<string>, _data: Buffer, endStream: boolean): void {
    if (endStream) this.answer(this.session, s);
  }
  onStreamClose(): void {}
  onStreamWritable(): void {}
  onGoaway(): void {}
  onPingAck(): void {}
  onRemoteSettings(): void {}
  onConnectionError(): void {}
  onFlood(): void {}
  onClose(): void {}
}

/** A loopback server whose every connection is a ScriptedServer calling `answer`; resolves it and its port. */
export async function startScriptedServer(answer: (session: Http2Session<string>, stream: H2Stream<string>) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => {
    const h = new ScriptedServer(answer);
    h.session = new Http2Session<string>(socket, true, TEST_SETTINGS, h);
    socket.on('error', () => {});
    h.session.start();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}
