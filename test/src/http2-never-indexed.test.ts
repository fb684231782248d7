import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startProxyFromYaml } from '@weft/testing';
import * as F from '@weft/proxy/codec/http2/frames';
import { HPACK_OK, HpackDecoder } from '@weft/proxy/codec/http2/hpack-decoder';
import { HpackEncoder } from '@weft/proxy/codec/http2/hpack-encoder';
import { WriteBuffer } from '@weft/proxy/codec/http2/write-buffer';
import { RawH2 } from './h2-raw.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

const H2 = `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`;

test('h2 -> h2: fields received never-indexed are forwarded never-indexed, both ways (RFC 7541 §7.1.3)', async () => {
  let upstreamSensitive: unknown;
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    upstreamSensitive = (headers as unknown as Record<symbol, unknown>)[http2.sensitiveHeaders];
    const head = { ':status': 200, 'x-resp-secret': 'r', 'x-resp-plain': 'q', [http2.sensitiveHeaders]: ['x-resp-secret'] };
    stream.respond(head as unknown as http2.OutgoingHttpHeaders, { endStream: true });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const proxy = await startProxyFromYaml(bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: h2up }' }), staticCluster('h2up', [(server.address() as AddressInfo).port], H2)));
  try {
    const c = await RawH2.connect(proxy.port('http'));
    const enc = new HpackEncoder();
    const block = new WriteBuffer();
    for (const [n, v] of [[':method', 'GET'], [':scheme', 'http'], [':authority', 'test'], [':path', '/s'], ['x-plain', 'p']] as const) enc.encode(block, n, v);
    enc.encode(block, 'x-secret', 'token', true);
    c.send((w) => F.writeHeaderBlock(w, 1, block.take() as Buffer, 16384, true));
    await c.waitFor(() => c.count(F.HEADERS, 1) > 0, 'the response');
    assert.deepEqual(upstreamSensitive, ['x-secret']);
    const head = c.frames.find((f) => f.type === F.HEADERS && f.id === 1) as { payload: Buffer };
    const dec = new HpackDecoder();
    const fields: string[] = [];
    assert.equal(dec.decode(head.payload, 0, head.payload.length, fields, 65536, 100), HPACK_OK);
    assert.equal(fields[fields.indexOf('x-resp-secret') + 1], 'r');
    assert.deepEqual(dec.neverIndexed, ['x-resp-secret']);
    c.destroy();
  } finally {
    await proxy.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
