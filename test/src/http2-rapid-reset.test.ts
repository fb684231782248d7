import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startProxyFromYaml, startUpstream, type TestProxy } from '@weft/testing';
import * as F from '@weft/proxy/codec/http2/frames';
import { closeSession, h2connect, h2request } from './h2-client.js';
import { RawH2 } from './h2-raw.js';
import { startSilentServer } from './raw-conn.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

/** `/hang` goes to a server that never answers (a stream reset there never got a response), the rest is served. */
async function withProxy(fn: (proxy: TestProxy, stat: (name: string) => Promise<number>) => Promise<void>, extra = ''): Promise<void> {
  const up = await startUpstream('backend', (_req, res) => res.end('ok'));
  const silent = await startSilentServer();
  const proxy = await startProxyFromYaml(
    bootstrap(
      httpListener({ routes: '- match: { prefix: "/hang" }\n  route: { cluster: silent }\n- match: { prefix: "/" }\n  route: { cluster: backend }' }),
      staticCluster('backend', [up.port]) + staticCluster('silent', [silent.port]),
      extra,
    ),
  );
  try {
    await fn(proxy, (name) => adminStat(proxy.adminPort, `http.ingress.${name}`));
  } finally {
    await proxy.close();
    await silent.close();
    await up.close();
  }
}

/** Opens `n` streams from `first` (odd ids) and resets each right away; returns the next stream id. */
function openAndReset(c: RawH2, first: number, n: number): number {
  c.send((w) => {
    for (let i = 0; i < n; i++) {
      c.headers(w, first + 2 * i, '/hang', true);
      F.writeRstStream(w, first + 2 * i, F.CANCEL);
    }
  });
  return first + 2 * n;
}

/** A GET on `id` is answered; returns the next stream id. */
async function served(c: RawH2, id: number): Promise<number> {
  c.send((w) => c.headers(w, id, '/ok', true));
  await c.waitFor(() => c.frames.some((f) => f.id === id && (f.flags & F.FLAG_END_STREAM) !== 0) || c.closed, `the response on ${id}`);
  assert.equal(c.closed, false, `connection closed before stream ${id} was answered`);
  return id + 2;
}

describe('HTTP/2 rapid reset (CVE-2023-44487): premature stream resets close the connection as Envoy', () => {
  test('with the defaults (500 streams, 1 s), the 250th premature reset aborts the connection; 249 do not; other connections are served', async () => {
    await withProxy(async (proxy, stat) => {
      const port = proxy.port('http');
      const c = await RawH2.connect(port);
      let id = openAndReset(c, 1, 249);
      id = await served(c, id);
      assert.equal(await stat('downstream_rq_too_many_premature_resets'), 0);
      openAndReset(c, id, 1);
      await c.waitClosed();
      assert.equal(c.count(F.GOAWAY), 0, 'aborted, no GOAWAY');
      assert.equal(await stat('downstream_rq_too_many_premature_resets'), 1);
      const s = h2connect(port);
      assert.equal((await h2request(s, { ':path': '/after', ':authority': 'x' })).status, 200);
      await closeSession(s);
    });
  });

  test('overload.premature_reset_total_stream_count from layered_runtime; streams answered before their reset are not premature', async () => {
    const runtime = `layered_runtime:
  layers:
  - name: static
    static_layer: { overload: { premature_reset_total_stream_count: 20 } }`;
    await withProxy(async (_proxy, stat) => {
      const c = await RawH2.connect(_proxy.port('http'));
      let id = 1;
      for (let i = 0; i < 30; i++) id = await served(c, id);
      // 30 answered, 29 premature, 1 answered: 2 x 29 < 60 closed, still open; after two more resets 2 x 31 = 62 of 62.
      id = openAndReset(c, id, 29);
      id = await served(c, id);
      assert.equal(await stat('downstream_rq_too_many_premature_resets'), 0);
      openAndReset(c, id, 2);
      await c.waitClosed();
      assert.equal(await stat('downstream_rq_too_many_premature_resets'), 1);
      assert.equal(await stat('downstream_cx_protocol_error'), 0);
    }, runtime);
  });
});
