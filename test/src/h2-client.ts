import net from 'node:net';
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';

export interface H2Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: IncomingHttpHeaders | undefined;
  /** RST_STREAM code seen when the stream closed (0 = clean). */
  readonly rstCode: number;
}

/** A prior-knowledge h2c session to 127.0.0.1:port (errors swallowed: tests assert on outcomes). */
export function h2connect(port: number): ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  return s;
}

/** One request on `session`; resolves when the stream closes (also on reset: status 0 if no response came). */
export function h2request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer | string, trailers?: OutgoingHttpHeaders): Promise<H2Response> {
  return new Promise((resolve) => {
    const req = session.request({ ':method': 'GET', ':path': '/', ...headers }, { endStream: body === undefined && trailers === undefined, waitForTrailers: trailers !== undefined });
    let status = 0;
    let resHeaders: IncomingHttpHeaders = {};
    let resTrailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    req.on('response', (h) => {
      status = Number(h[':status']);
      resHeaders = h;
    });
    req.on('trailers', (t) => {
      resTrailers = t;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => {});
    if (trailers !== undefined) req.on('wantTrailers', () => req.sendTrailers(trailers));
    req.on('close', () => resolve({ status, headers: resHeaders, body: Buffer.concat(chunks), trailers: resTrailers, rstCode: req.rstCode ?? 0 }));
    if (body !== undefined) req.end(body);
    else if (trailers !== undefined) req.end();
  });
}

export function closeSession(s: ClientHttp2Session): Promise<void> {
  return new Promise((resolve) => {
    if (s.closed || s.destroyed) {
      resolve();
      return;
    }
    s.close(() => resolve());
  });
}

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** Sends the preface and `frames` on a raw socket; resolves with the error code of the GOAWAY that comes back. */
export async function goawayCodeFor(port: number, frames: Buffer[]): Promise<number> {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write(PREFACE);
  for (const f of frames) sock.write(f);
  let buf = Buffer.alloc(0);
  const code = await new Promise<number>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let off = 0; off + 9 <= buf.length; ) {
        const len = buf.readUIntBE(off, 3);
        if (buf[off + 3] === 7 && off + 9 + len <= buf.length) resolve(buf.readUInt32BE(off + 13));
        off += 9 + len;
      }
    });
    sock.once('close', () => reject(new Error('closed without GOAWAY')));
  });
  sock.destroy();
  return code;
}
