import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { request, startProxyFromYaml } from '@weft/testing';
import * as F from '@weft/proxy/codec/http2/frames';
import { RawH2 } from './h2-raw.js';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const H2 = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`;

type Misbehave = (peer: RawH2, streamId: number) => void;

/** An HTTP/2 upstream written frame by frame: it answers each request's HEADERS with `misbehave`. */
async function withRawUpstream(misbehave: Misbehave, fn: (port: number, stat: (name: string) => Promise<number>) => Promise<void>): Promise<void> {
  const peers: RawH2[] = [];
  const server = net.createServer((sock) => {
    const peer = RawH2.server(sock);
    peers.push(peer);
    let answered = 0;
    sock.on('data', () => {
      const streams = peer.frames.filter((f) => f.type === F.HEADERS);
      while (answered < streams.length) misbehave(peer, (streams[answered++] as { id: number }).id);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const upPort = (server.address() as net.AddressInfo).port;
  const proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: h2up }' }), staticCluster('h2up', [upPort], H2)));
  try {
    await fn(proxy.port('http'), (name) => adminStat(proxy.adminPort, name));
  } finally {
    await proxy.close();
    for (const p of peers) p.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('HTTP/2 flood protection on the upstream codec (cluster.<name>.http2.*)', () => {
  test('an upstream sending empty DATA frames trips inbound_empty_frames_flood: 502 UPE, upstream_cx_protocol_error', async () => {
    await withRawUpstream(
      // An empty HEADERS without END_HEADERS, then an empty CONTINUATION: two empty frames in a row.
      (peer, id) => peer.send((w) => {
        F.writeFrameHeader(w, 0, F.HEADERS, 0, id);
        F.writeFrameHeader(w, 0, F.CONTINUATION, 0, id);
      }),
      async (port, stat) => {
        const res = await request(port, '/x');
        assert.equal(res.status, 502);
        assert.equal(res.body, 'upstream connect error or disconnect/reset before headers. reset reason: protocol error');
        assert.equal(await stat('cluster.h2up.http2.inbound_empty_frames_flood'), 1);
        assert.equal(await stat('cluster.h2up.upstream_cx_protocol_error'), 1);
        assert.equal(await stat('http2.inbound_empty_frames_flood'), 0, 'the downstream scope is untouched');
      },
    );
  });

  test('an upstream flooding PINGs trips outbound_control_flood on its connection: 502 UPE', async () => {
    await withRawUpstream(
      (peer) => peer.send((w) => {
        for (let i = 0; i < 3000; i++) F.writePing(w, false, Buffer.alloc(8), 0);
      }),
      async (port, stat) => {
        const res = await request(port, '/x');
        assert.equal(res.status, 502);
        assert.equal(await stat('cluster.h2up.http2.outbound_control_flood'), 1);
        assert.equal(await stat('cluster.h2up.upstream_cx_protocol_error'), 1);
      },
    );
  });
});
