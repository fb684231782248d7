import assert from 'node:assert/strict';
import http2, { type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { createServer, type Socket, type AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { HeaderMap } from '../interfaces/header-map.js';
import type { UpstreamResetReason, UpstreamStream, UpstreamStreamCallbacks, UpstreamStreamReadyHandler } from '../interfaces/upstream-stream.js';
import { createClusterStats } from './cluster-stats.js';
import { Http2Pool, type Http2PoolOptions } from './http2-pool.js';
import { mkHost } from './test-hosts.js';
import { TestScope } from './test-scope.js';
import { compileHttp2Options } from '../codec/http2/options.js';
import { http2CodecStats } from '../codec/http2/stats.js';

/** Collects what the pool reports for one stream. */
class Recorder implements UpstreamStreamCallbacks, UpstreamStreamReadyHandler {
  stream: UpstreamStream | undefined;
  status = 0;
  headers: HeaderMap | undefined;
  body: Buffer[] = [];
  trailers: HeaderMap | undefined;
  reset: { reason: UpstreamResetReason; detail: string } | undefined;
  failure: { reason: UpstreamResetReason; detail: string } | undefined;
  writable = 0;
  readonly done: Promise<void>;
  readonly ready: Promise<UpstreamStream | undefined>;
  private resolveDone!: () => void;
  private resolveReady!: (s: UpstreamStream | undefined) => void;
  constructor() {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.ready = new Promise((r) => (this.resolveReady = r));
  }
  onStreamReady(stream: UpstreamStream): void {
    this.stream = stream;
    this.resolveReady(stream);
  }
  onStreamFailure(reason: UpstreamResetReason, detail: string): void {
    this.failure = { reason, detail };
    this.resolveReady(undefined);
    this.resolveDone();
  }
  onUpstreamHeaders(status: number, headers: HeaderMap, endStream: boolean): void {
    this.status = status;
    this.headers = headers;
    if (endStream) this.resolveDone();
  }
  onUpstreamData(chunk: Buffer, endStream: boolean): void {
    this.body.push(chunk);
    if (endStream) this.resolveDone();
  }
  onUpstreamTrailers(trailers: HeaderMap): void {
    this.trailers = trailers;
    this.resolveDone();
  }
  onUpstreamReset(reason: UpstreamResetReason, detail: string): void {
    this.reset = { reason, detail };
    this.resolveDone();
  }
  onUpstreamWritable(): void {
    this.writable++;
  }
  get text(): string {
    return Buffer.concat(this.body).toString();
  }
}

const servers: Http2Server[] = [];
const pools: Http2Pool[] = [];
/** Upstream-side sockets: a node:http2 server that stopped reading (blocked writing) never sees our FIN. */
const upstreamSockets: Socket[] = [];

interface H2Upstream {
  port: number;
  sockets: Socket[];
  sessions: http2.ServerHttp2Session[];
  streams: ServerHttp2Stream[];
}

async function h2server(onStream: (s: ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void, settings: http2.Settings = {}): Promise<H2Upstream> {
  const server = http2.createServer({ settings });
  const up: H2Upstream = { port: 0, sockets: [], sessions: [], streams: [] };
  server.on('connection', (sock: Socket) => {
    up.sockets.push(sock);
    upstreamSockets.push(sock);
  });
  server.on('session', (s) => {
    up.sessions.push(s);
    s.on('error', () => {});
  });
  server.on('stream', (s, h) => {
    up.streams.push(s);
    s.on('error', () => {});
    onStream(s, h);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.port = (server.address() as AddressInfo).port;
  return up;
}

function makePool(port: number, o: Partial<Http2PoolOptions> & { maxConcurrentStreams?: number; window?: number } = {}) {
  const scope = new TestScope();
  const stats = createClusterStats(scope.scope('cluster.svc'));
  const pool = new Http2Pool({
    host: mkHost('127.0.0.1', { port }),
    stats,
    connectTimeoutMs: o.connectTimeoutMs ?? 1000,
    idleTimeoutMs: o.idleTimeoutMs ?? 0,
    maxRequestsPerConnection: o.maxRequestsPerConnection ?? 0,
    http2: o.maxConcurrentStreams ? compileHttp2Options(
          {
            max_concurrent_streams: { value: o.maxConcurrentStreams },
            initial_stream_window_size: o.window ? { value: o.window } : null,
            initial_connection_window_size: o.window ? { value: o.window } : null,
            custom_settings_parameters: [],
          } as never,
          'x',
        ) : undefined,
    connect: o.connect,
    codecStats: http2CodecStats(scope.scope('cluster.svc')),
  });
  pools.push(pool);
  return { pool, stat: (n: string): number => scope.value(`cluster.svc.${n}`) };
}

const LINE = { method: 'GET', path: '/', authority: 'svc', scheme: 'http' } as const;

async function send(pool: Http2Pool, path = '/', endStream = true): Promise<Recorder> {
  const r = new Recorder();
  pool.newStream(r, r);
  const s = await r.ready;
  s?.encodeHeaders({ ...LINE, path }, new HeaderMap(), endStream);
  return r;
}

function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > end) reject(new Error(`timed out: ${what}`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});
after(async () => {
  for (const sock of upstreamSockets) sock.destroy();
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

describe('Http2Pool', () => {
  it('multiplexes M concurrent streams over ceil(M / peer max_concurrent_streams) sessions', async () => {
    const held: ServerHttp2Stream[] = [];
    const up = await h2server((s) => held.push(s), { maxConcurrentStreams: 3 });
    const { pool, stat } = makePool(up.port);
    const recs = await Promise.all(Array.from({ length: 7 }, (_, i) => send(pool, `/${i}`)));
    await until(() => held.length === 7, 'all streams at the server');
    assert.equal(up.sessions.length, 3);
    for (const s of held) {
      s.respond({ ':status': 200 });
      s.end('ok');
    }
    await Promise.all(recs.map((r) => r.done));
    for (const r of recs) {
      assert.equal(r.status, 200);
      assert.equal(r.text, 'ok');
      assert.equal(r.stream?.protocol, 'HTTP/2');
    }
    assert.equal(stat('upstream_cx_http2_total'), 3);
    assert.equal(stat('upstream_cx_total'), 3);
    assert.equal(stat('upstream_cx_active'), 3);
    assert.equal(stat('upstream_rq_pending_total'), 7);
    assert.equal(stat('upstream_rq_pending_active'), 0);
  });

  it('uses one session for many streams when the peer allows it, and reuses it', async () => {
    const up = await h2server((s, h) => s.respond({ ':status': 200, 'x-path': String(h[':path']) }, { endStream: true }));
    const { pool, stat } = makePool(up.port);
    const recs = await Promise.all(Array.from({ length: 10 }, (_, i) => send(pool, `/${i}`)));
    await Promise.all(recs.map((r) => r.done));
    const later = await send(pool, '/later');
    await later.done;
    assert.equal(later.headers?.get('x-path'), '/later');
    assert.equal(up.sessions.length, 1);
    assert.equal(stat('upstream_cx_total'), 1);
  });

  it('sends headers, body and trailers; receives response trailers', async () => {
    let seenBody = '';
    let seenTrailers: http2.IncomingHttpHeaders | undefined;
    let seenHeaders: http2.IncomingHttpHeaders | undefined;
    const up = await h2server((s, h) => {
      seenHeaders = h;
      s.on('data', (c: Buffer) => (seenBody += c.toString()));
      s.on('trailers', (t) => (seenTrailers = t));
      s.on('end', () => {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
        s.end('resp');
      });
    });
    const { pool } = makePool(up.port);
    const r = new Recorder();
    pool.newStream(r, r);
    const s = (await r.ready) as UpstreamStream;
    const headers = HeaderMap.from([
      ['host', 'ignored'],
      ['content-type', 'application/grpc'],
      ['te', 'trailers'],
      ['connection', 'keep-alive'],
    ]);
    s.encodeHeaders({ method: 'POST', path: '/pkg.Svc/M', authority: 'svc.local', scheme: 'http' }, headers, false);
    s.encodeData(Buffer.from('req'), false);
    s.encodeTrailers(HeaderMap.from([['x-t', '1']]));
    await r.done;
    assert.equal(seenHeaders?.[':authority'], 'svc.local');
    assert.equal(seenHeaders?.[':method'], 'POST');
    assert.equal(seenHeaders?.[':path'], '/pkg.Svc/M');
    assert.equal(seenHeaders?.['host'], undefined);
    assert.equal(seenHeaders?.['te'], 'trailers');
    assert.equal(seenBody, 'req');
    assert.equal(seenTrailers?.['x-t'], '1');
    assert.equal(r.text, 'resp');
    assert.equal(r.trailers?.get('grpc-status'), '0');
    assert.equal(r.reset, undefined);
  });

  it('GOAWAY: streams above last-stream-id are refused (retryable), the rest finish, new streams get a new session', async () => {
    const held: ServerHttp2Stream[] = [];
    const up = await h2server((s) => held.push(s));
    const { pool, stat } = makePool(up.port);
    const a = await send(pool, '/a');
    const b = await send(pool, '/b');
    await until(() => held.length === 2, 'both streams at the server');
    const first = held[0] as ServerHttp2Stream;
    (up.sessions[0] as http2.ServerHttp2Session).goaway(http2.constants.NGHTTP2_NO_ERROR, first.id);
    await b.done;
    assert.deepEqual(b.reset, { reason: 'remote_refused_stream', detail: '' });
    const c = await send(pool, '/c');
    first.respond({ ':status': 200 }, { endStream: true });
    await a.done;
    assert.equal(a.status, 200);
    await until(() => held.length === 4 || (held.length === 3 && up.sessions.length === 2), 'the new stream on a new session');
    (held[held.length - 1] as ServerHttp2Stream).respond({ ':status': 201 }, { endStream: true });
    await c.done;
    assert.equal(c.status, 201);
    assert.equal(up.sessions.length, 2);
    assert.equal(stat('upstream_cx_close_notify'), 1);
    await until(() => stat('upstream_cx_active') === 1, 'the old session to close');
  });

  it('RST_STREAM REFUSED_STREAM → remote_refused_stream; another code → remote_reset; the session stays', async () => {
    const up = await h2server((s, h) => s.close(h[':path'] === '/refuse' ? http2.constants.NGHTTP2_REFUSED_STREAM : http2.constants.NGHTTP2_INTERNAL_ERROR));
    const { pool, stat } = makePool(up.port);
    const a = await send(pool, '/refuse');
    await a.done;
    assert.deepEqual(a.reset, { reason: 'remote_refused_stream', detail: '' });
    const b = await send(pool, '/other');
    await b.done;
    assert.deepEqual(b.reset, { reason: 'remote_reset', detail: '' });
    assert.equal(stat('upstream_cx_total'), 1);
    assert.equal(stat('http2.rx_reset'), 2);
    assert.equal(stat('http2.tx_reset'), 0);
  });

  it('connection loss mid-stream → connection_termination', async () => {
    const up: H2Upstream = await h2server((s) => {
      s.respond({ ':status': 200 });
      s.write('partial', () => up.sockets[0]?.destroy());
    });
    const { pool, stat } = makePool(up.port);
    const r = await send(pool);
    await r.done;
    assert.equal(r.status, 200);
    assert.deepEqual(r.reset, { reason: 'connection_termination', detail: '' });
    await until(() => stat('upstream_cx_destroy_remote') === 1, 'remote destroy stat');
    assert.equal(stat('upstream_cx_destroy_remote_with_active_rq'), 1);
  });

  it('connect failure and connect timeout fail the waiting streams with connection_failure', async () => {
    const dead = await h2server(() => {});
    const port = dead.port;
    await new Promise<void>((r) => (servers.pop() as Http2Server).close(() => r()));
    const { pool, stat } = makePool(port);
    const r = new Recorder();
    assert.notEqual(pool.newStream(r, r), null);
    await r.done;
    assert.deepEqual(r.failure, { reason: 'connection_failure', detail: 'delayed connect error: 111' });
    assert.equal(stat('upstream_cx_connect_fail'), 1);
    assert.equal(stat('upstream_rq_pending_failure_eject'), 1);

    // TCP connects but the peer never sends its SETTINGS: the session is not ready before the connect timeout.
    const silent = createServer((sock) => sock.on('error', () => {}));
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    const t = makePool((silent.address() as AddressInfo).port, { connectTimeoutMs: 30 });
    const r2 = new Recorder();
    t.pool.newStream(r2, r2);
    await r2.done;
    assert.deepEqual(r2.failure, { reason: 'connection_failure', detail: '' });
    assert.equal(t.stat('upstream_cx_connect_timeout'), 1);
    assert.equal(t.stat('upstream_cx_active'), 0);
    silent.close();
  });

  it('a cancelled wait never gets a stream', async () => {
    const up = await h2server((s) => s.respond({ ':status': 200 }, { endStream: true }));
    const { pool, stat } = makePool(up.port);
    const r = new Recorder();
    const handle = pool.newStream(r, r);
    handle?.cancel();
    await until(() => up.sessions.length === 1, 'the session');
    await new Promise((res) => setTimeout(res, 30));
    assert.equal(r.stream, undefined);
    assert.equal(stat('upstream_rq_cancelled'), 1);
  });

  it('max_requests_per_connection retires a session after N streams; idle timeout closes an unused one', async () => {
    const up = await h2server((s) => s.respond({ ':status': 200 }, { endStream: true }));
    const { pool, stat } = makePool(up.port, { maxRequestsPerConnection: 2, idleTimeoutMs: 50 });
    for (const p of ['/1', '/2', '/3']) await (await send(pool, p)).done;
    assert.equal(up.sessions.length, 2);
    assert.equal(stat('upstream_cx_max_requests'), 1);
    await until(() => stat('upstream_cx_active') === 0, 'sessions to close');
    assert.equal(stat('upstream_cx_idle_timeout'), 1);
  });

  it('flow control: encodeData is false while the peer does not read, onUpstreamWritable when it does; readDisable stops the response', async () => {
    let serverStream: ServerHttp2Stream | undefined;
    let sent = 0;
    const up = await h2server((s, h) => {
      serverStream = s;
      if (h[':path'] === '/upload') {
        s.pause();
        return;
      }
      s.respond({ ':status': 200 });
      const chunk = Buffer.alloc(16 * 1024, 1);
      const pump = (): void => {
        while (sent < 32 * 1024 * 1024) {
          sent += chunk.length;
          if (!s.write(chunk)) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      pump();
    });
    // Small receive windows: the peer may send only that much before we read (Envoy's default is 256 MiB).
    const { pool } = makePool(up.port, { maxConcurrentStreams: 100, window: 65535 });
    const r = new Recorder();
    pool.newStream(r, r);
    const s = (await r.ready) as UpstreamStream;
    s.encodeHeaders({ ...LINE, method: 'POST', path: '/upload' }, new HeaderMap(), false);
    let ok = true;
    let pushed = 0;
    while (ok && pushed < 64 * 1024 * 1024) {
      ok = s.encodeData(Buffer.alloc(64 * 1024), false);
      pushed += 64 * 1024;
    }
    assert.equal(ok, false);
    assert.ok(pushed < 8 * 1024 * 1024, `accepted ${pushed} bytes before backing up`);
    await until(() => serverStream !== undefined, 'the upload at the server');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(r.writable, 0);
    serverStream?.on('data', () => {});
    serverStream?.resume();
    await until(() => r.writable > 0, 'onUpstreamWritable');
    s.reset();

    const d = new Recorder();
    pool.newStream(d, d);
    const ds = (await d.ready) as UpstreamStream;
    ds.encodeHeaders({ ...LINE, path: '/download' }, new HeaderMap(), true);
    await until(() => d.status === 200, 'response head');
    ds.readDisable(true);
    const atDisable = sent;
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(sent - atDisable < 512 * 1024, `server pushed ${sent - atDisable} more bytes into a read-disabled stream`);
    const before = sent;
    ds.readDisable(false);
    await until(() => sent > before, 'more data after readDisable(false)');
    ds.reset();
  });
});
