import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startProxyFromYaml, startUpstream, type TestProxy } from '@weft/testing';
import * as F from '@weft/proxy/codec/http2/frames';
import type { WriteBuffer } from '@weft/proxy/codec/http2/write-buffer';
import { closeSession, h2connect, h2request } from './h2-client.js';
import { RawH2 } from './h2-raw.js';
import { sleep, startSilentServer } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const PING = Buffer.from('floodpng', 'latin1');
/** More than the kernel buffers of a loopback connection whose reader has stopped (~4 MB here). */
const BIG = Buffer.alloc(16 * 1024 * 1024, 0x61);
/** Backpressure out of the way: the session keeps reading however much it has queued for the socket. */
const NO_BACKPRESSURE = 'per_connection_buffer_limit_bytes: 67108864';

/** A proxy routing `/hang` to a server that never answers and everything else to a plain upstream. */
async function withProxy(fn: (proxy: TestProxy, stat: (name: string) => Promise<number>) => Promise<void>, h2Options = '', listenerExtra = '', extra = ''): Promise<void> {
  const up = await startUpstream('backend', (req, res) => {
    if (req.url !== '/big') return void res.end('ok');
    res.writeHead(200, { 'content-length': BIG.length });
    res.end(BIG);
  });
  const silent = await startSilentServer();
  const proxy = await startProxyFromYaml(
    bootstrap(
      httpListener({
        hcmExtra: h2Options === '' ? '' : `http2_protocol_options: { ${h2Options} }`,
        listenerExtra,
        routes: '- match: { prefix: "/hang" }\n  route: { cluster: silent }\n- match: { prefix: "/" }\n  route: { cluster: backend }',
      }),
      staticCluster('backend', [up.port]) + staticCluster('silent', [silent.port]),
      extra,
    ),
  );
  try {
    await fn(proxy, (name) => adminStat(proxy.adminPort, name));
  } finally {
    await proxy.close();
    await silent.close();
    await up.close();
  }
}

/** Another connection is served while (or after) one is flooded. */
async function otherConnectionServed(port: number): Promise<void> {
  const s = h2connect(port);
  const res = await h2request(s, { ':path': '/other', ':authority': 'x' });
  await closeSession(s);
  assert.equal(res.status, 200);
}

/** A GET on stream `id` of `c` gets response HEADERS. */
async function served(c: RawH2, id: number): Promise<void> {
  c.send((w) => c.headers(w, id, '/ok', true));
  await c.waitFor(() => c.count(F.HEADERS, id) > 0 || c.closed, `a response on stream ${id}`);
  assert.equal(c.count(F.HEADERS, id), 1);
  assert.equal(c.count(F.RST_STREAM, id), 0);
}

/**
 * A client that asked for a big response and does not read: once the kernel buffers are full, what the proxy writes
 * stays queued. Then 1000 PINGs in batches of 100 (the proxy reads each on its own): their acks may all wait
 * (max_outbound_control_frames). Returns once they were sent and the proxy had time to read them.
 */
async function stalledThen1000Pings(c: RawH2, stat: (name: string) => Promise<number>): Promise<void> {
  c.send((w) => c.headers(w, 1, '/big', true));
  // Once the proxy has read the whole body from the upstream, what the kernel did not take waits in its queue.
  for (let i = 0; i < 500 && (await stat('cluster.backend.upstream_cx_rx_bytes_total')) < BIG.length; i++) await sleep(10);
  for (let sent = 0; sent < 1000; sent += 100) {
    c.send((w) => {
      for (let i = 0; i < 100; i++) F.writePing(w, false, PING, 0);
    });
    await sleep(5);
  }
  await sleep(100);
}

describe('HTTP/2 flood protection (Envoy http2_protocol_options limits) on the downstream codec', () => {
  test('a client that sends PINGs and never reads trips http2.outbound_control_flood: closed without GOAWAY, counted once, others served', async () => {
    await withProxy(async (proxy, stat) => {
      const port = proxy.port('http');
      const c = await RawH2.connect(port, { read: false, bigWindows: true });
      await stalledThen1000Pings(c, stat);
      assert.equal(await stat('http2.outbound_control_flood'), 0, '1000 acks waiting are within the limit');
      // The 1001st closes the connection (the client sees it on a later write: it does not read).
      for (let i = 0; i < 200 && !c.closed; i++) {
        c.send((w) => F.writePing(w, false, PING, 0));
        await sleep(5);
      }
      assert.ok(c.closed);
      assert.equal(await stat('http2.outbound_control_flood'), 1);
      assert.equal(await stat('http2.outbound_flood'), 0);
      assert.equal(await stat('http.ingress.downstream_cx_protocol_error'), 0);
      assert.equal(await stat('http.ingress.downstream_cx_destroy_local'), 1);
      assert.equal(await stat('http2.goaway_sent'), 0);
      await otherConnectionServed(port);
    }, '', NO_BACKPRESSURE);
  });

  test('PINGs of a client that reads its acks are released as written: more than the control limit in total is fine', async () => {
    await withProxy(async (proxy, stat) => {
      const c = await RawH2.connect(proxy.port('http'));
      for (let i = 1; i <= 15; i++) {
        c.send((w) => {
          for (let j = 0; j < 100; j++) F.writePing(w, false, PING, 0);
        });
        await c.waitFor(() => c.count(F.PING) >= i * 100, `${i * 100} PING acks`);
      }
      await served(c, 1);
      c.destroy();
      assert.equal(await stat('http2.outbound_control_flood'), 0);
      assert.equal(await stat('http2.outbound_flood'), 0);
    });
  });

  test('a client that requests a big response and never reads trips http2.outbound_flood (a configured max_outbound_frames)', async () => {
    await withProxy(
      async (proxy, stat) => {
        const c = await RawH2.connect(proxy.port('http'), { read: false, bigWindows: true });
        c.send((w) => c.headers(w, 1, '/big', true));
        for (let i = 0; i < 300 && (await stat('http2.outbound_flood')) === 0; i++) await sleep(10);
        // The client does not read: the close shows on its next write.
        for (let i = 0; i < 100 && !c.closed; i++) {
          c.send((w) => F.writePing(w, false, PING, 0));
          await sleep(10);
        }
        assert.ok(c.closed);
        assert.equal(await stat('http2.outbound_flood'), 1);
        assert.equal(await stat('http2.outbound_control_flood'), 0);
        await otherConnectionServed(proxy.port('http'));
      },
      'max_outbound_frames: 500',
      NO_BACKPRESSURE,
    );
  });

  test('the same big response to a client that reads is served whole: DATA frames are released as written', async () => {
    await withProxy(
      async (proxy, stat) => {
        const c = await RawH2.connect(proxy.port('http'), { bigWindows: true });
        c.send((w) => c.headers(w, 1, '/big', true));
        await c.waitFor(() => c.frames.some((f) => f.type === F.DATA && (f.flags & F.FLAG_END_STREAM) !== 0), 'the whole body', 10000);
        const bytes = c.frames.reduce((n, f) => n + (f.type === F.DATA ? f.payload.length : 0), 0);
        assert.equal(bytes, BIG.length);
        c.destroy();
        assert.equal(await stat('http2.outbound_flood'), 0);
      },
      'max_outbound_frames: 500',
      NO_BACKPRESSURE,
    );
  });

  test('two consecutive empty DATA frames (no END_STREAM) trip http2.inbound_empty_frames_flood: no GOAWAY, not a protocol error', async () => {
    await withProxy(async (proxy, stat) => {
      const port = proxy.port('http');
      const ok = await RawH2.connect(port);
      // One empty frame at a time is tolerated (Envoy's default limit is 1).
      ok.send((w) => {
        ok.headers(w, 1, '/ok', false, 'POST');
        F.writeData(w, 1, Buffer.alloc(0), 0, 0, false);
        F.writeData(w, 1, Buffer.from('a'), 0, 1, false);
        F.writeData(w, 1, Buffer.alloc(0), 0, 0, false);
        F.writeData(w, 1, Buffer.from('b'), 0, 1, true);
      });
      await ok.waitFor(() => ok.count(F.HEADERS, 1) > 0, 'the response');
      ok.destroy();
      const c = await RawH2.connect(port);
      c.send((w) => {
        c.headers(w, 1, '/hang', false, 'POST');
        F.writeData(w, 1, Buffer.alloc(0), 0, 0, false);
        F.writeData(w, 1, Buffer.alloc(0), 0, 0, false);
      });
      await c.waitClosed();
      assert.equal(c.count(F.GOAWAY), 0);
      assert.equal(await stat('http2.inbound_empty_frames_flood'), 1);
      assert.equal(await stat('http.ingress.downstream_cx_protocol_error'), 0);
      assert.equal(await stat('http.ingress.downstream_cx_destroy_active_rq'), 1);
      await otherConnectionServed(port);
    });
  });

  test('empty HEADERS + CONTINUATION count too; a configured max_consecutive_inbound_frames_with_empty_payload is honoured', async () => {
    await withProxy(
      async (proxy, stat) => {
        const port = proxy.port('http');
        const c = await RawH2.connect(port);
        c.send((w) => {
          c.headers(w, 1, '/ok', false, 'POST');
          for (let i = 0; i < 3; i++) F.writeData(w, 1, Buffer.alloc(0), 0, 0, false);
          F.writeData(w, 1, Buffer.from('x'), 0, 1, true);
        });
        await c.waitFor(() => c.count(F.HEADERS, 1) > 0, 'the response');
        assert.equal(await stat('http2.inbound_empty_frames_flood'), 0);
        // HEADERS with an empty block and no END_HEADERS, then empty CONTINUATIONs: the 4th empty frame in a row.
        c.send((w) => {
          F.writeFrameHeader(w, 0, F.HEADERS, 0, 3);
          for (let i = 0; i < 3; i++) F.writeFrameHeader(w, 0, F.CONTINUATION, 0, 3);
        });
        await c.waitClosed();
        assert.equal(await stat('http2.inbound_empty_frames_flood'), 1);
      },
      'max_consecutive_inbound_frames_with_empty_payload: 3',
    );
  });

  test('PRIORITY frames beyond 100 x (1 + opened streams) trip http2.inbound_priority_frames_flood; 100 before any stream are fine', async () => {
    await withProxy(async (proxy, stat) => {
      const port = proxy.port('http');
      const ok = await RawH2.connect(port);
      ok.send((w) => {
        for (let i = 0; i < 100; i++) priority(w, 5);
      });
      await served(ok, 1);
      ok.destroy();
      const c = await RawH2.connect(port);
      c.send((w) => {
        for (let i = 0; i < 101; i++) priority(w, 5);
      });
      await c.waitClosed();
      assert.equal(await stat('http2.inbound_priority_frames_flood'), 1);
      await otherConnectionServed(port);
    });
  });

  test('a configured max_inbound_priority_frames_per_stream is honoured', async () => {
    await withProxy(
      async (proxy, stat) => {
        const c = await RawH2.connect(proxy.port('http'));
        await served(c, 1); // one stream opened: 2 x (1 + 1) = 4 allowed
        c.send((w) => {
          for (let i = 0; i < 4; i++) priority(w, 1);
        });
        await served(c, 3); // 2 x (1 + 2) = 6 allowed now
        c.send((w) => {
          for (let i = 0; i < 3; i++) priority(w, 1);
        });
        await c.waitClosed();
        assert.equal(await stat('http2.inbound_priority_frames_flood'), 1);
      },
      'max_inbound_priority_frames_per_stream: 2',
    );
  });

  test('WINDOW_UPDATE frames beyond 5 + 2 x (opened streams + 10 x DATA frames sent) trip http2.inbound_window_update_frames_flood', async () => {
    await withProxy(async (proxy, stat) => {
      const port = proxy.port('http');
      const ok = await RawH2.connect(port);
      ok.send((w) => {
        for (let i = 0; i < 5; i++) F.writeWindowUpdate(w, 0, 1);
      });
      await served(ok, 1);
      ok.destroy();
      const c = await RawH2.connect(port);
      c.send((w) => {
        for (let i = 0; i < 6; i++) F.writeWindowUpdate(w, 0, 1);
      });
      await c.waitClosed();
      assert.equal(await stat('http2.inbound_window_update_frames_flood'), 1);
      await otherConnectionServed(port);
    });
  });

  test('a configured max_inbound_window_update_frames_per_data_frame_sent is honoured (DATA frames sent raise the allowance)', async () => {
    await withProxy(
      async (proxy, stat) => {
        const c = await RawH2.connect(proxy.port('http'));
        await served(c, 1);
        await served(c, 3);
        // 2 streams opened, as many DATA frames sent as we received: 5 + 2 x (2 + 1 x DATA) allowed.
        const allowed = 5 + 2 * (2 + c.count(F.DATA));
        c.send((w) => {
          for (let i = 0; i < allowed; i++) F.writeWindowUpdate(w, 0, 1);
          F.writePing(w, false, PING, 0);
        });
        await c.waitFor(() => c.count(F.PING) === 1 || c.closed, 'the PING ack');
        assert.equal(c.closed, false, 'at the limit the connection stays');
        c.send((w) => F.writeWindowUpdate(w, 0, 1));
        await c.waitClosed();
        assert.equal(await stat('http2.inbound_window_update_frames_flood'), 1);
      },
      'max_inbound_window_update_frames_per_data_frame_sent: 1',
    );
  });
});

/** A PRIORITY frame for (idle) stream `id`. */
function priority(w: WriteBuffer, id: number): void {
  F.writeFrameHeader(w, 5, F.PRIORITY, 0, id);
  w.ensure(5);
  w.u32(0);
  w.u8(15);
}
