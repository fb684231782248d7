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
