import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

/** Messages are raw UTF-8 strings: no codegen, the proxy only sees gRPC framing. */
const codec = {
  requestSerialize: (s: string): Buffer => Buffer.from(s),
  requestDeserialize: (b: Buffer): string => b.toString(),
  responseSerialize: (s: string): Buffer => Buffer.from(s),
  responseDeserialize: (b: Buffer): string => b.toString(),
};

const SERVICE = {
  unary: { path: '/weft.test.Echo/Unary', requestStream: false, responseStream: false, ...codec },
  clientStream: { path: '/weft.test.Echo/ClientStream', requestStream: true, responseStream: false, ...codec },
  serverStream: { path: '/weft.test.Echo/ServerStream', requestStream: false, responseStream: true, ...codec },
  bidi: { path: '/weft.test.Echo/Bidi', requestStream: true, responseStream: true, ...codec },
} satisfies grpc.ServiceDefinition;

type Handlers = grpc.UntypedServiceImplementation;

const handlers: Handlers = {
  unary: (call: grpc.ServerUnaryCall<string, string>, cb: grpc.sendUnaryData<string>) => {
    const msg = call.request;
    if (msg === 'fail') {
      cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      return;
    }
    if (msg.startsWith('sleep:')) {
      setTimeout(() => cb(null, 'woke'), Number(msg.slice(6)));
      return;
    }
    const md = new grpc.Metadata();
    md.set('x-trailer', 'kept');
    cb(null, `echo:${msg}:${String(call.metadata.get('x-client')[0] ?? '')}`, md);
  },
  clientStream: (call: grpc.ServerReadableStream<string, string>, cb: grpc.sendUnaryData<string>) => {
    const parts: string[] = [];
    call.on('data', (m: string) => parts.push(m));
    call.on('end', () => cb(null, parts.join('+')));
  },
  serverStream: (call: grpc.ServerWritableStream<string, string>) => {
    const n = Number(call.request);
    for (let i = 0; i < n; i++) call.write(`item-${i}`);
    call.end();
  },
  bidi: (call: grpc.ServerDuplexStream<string, string>) => {
    call.on('data', (m: string) => call.write(m.toUpperCase()));
    call.on('end', () => call.end());
  },
};

const Client = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
type Fn = (...args: unknown[]) => unknown;
type EchoClient = grpc.Client & { unary: Fn; clientStream: Fn; serverStream: Fn; bidi: Fn; m: Fn };

function unary(client: EchoClient, msg: string, opts: grpc.CallOptions = {}, md = new grpc.Metadata()): Promise<{ value: string; trailers: grpc.Metadata }> {
  return new Promise((resolve, reject) => {
    let value: string | undefined;
    let failed: grpc.ServiceError | undefined;
    const call = client.unary(msg, md, opts, (err: grpc.ServiceError | null, v: string) => {
      if (err) failed = err;
      else value = v;
    }) as grpc.ClientUnaryCall;
    // The status (with trailing metadata) comes after the callback: settle on it.
    call.on('status', (s: grpc.StatusObject) => {
      setImmediate(() => (failed !== undefined || value === undefined ? reject(failed ?? new Error(s.details)) : resolve({ value, trailers: s.metadata })));
    });
  });
}

describe('gRPC through Weft (h2c both ways) with @grpc/grpc-js peers', () => {
  let server: grpc.Server;
  let proxy: TestProxy;
  let client: EchoClient;

  before(async () => {
    server = new grpc.Server();
    server.addService(SERVICE, handlers);
    const upPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          routes: `
- match: { prefix: "/weft.test.Echo/", grpc: {} }
  route: { cluster: grpc, timeout: 0s, max_stream_duration: { grpc_timeout_header_max: 0s, grpc_timeout_header_offset: 0.2s } }`,
        }),
        staticCluster(
          'grpc',
          [upPort],
          `    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`,
        ),
      ),
    );
    client = new Client(`127.0.0.1:${proxy.port('http')}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
  });

  after(async () => {
    client?.close();
    await proxy?.close();
    server?.forceShutdown();
  });

  test('unary: metadata in, message and trailing metadata out', async () => {
    const md = new grpc.Metadata();
    md.set('x-client', 'c1');
    const { value, trailers } = await unary(client, 'hi', {}, md);
    assert.equal(value, 'echo:hi:c1');
    assert.deepEqual(trailers.get('x-trailer'), ['kept']);
  });

  test('an error status and message come through unchanged', async () => {
    await assert.rejects(unary(client, 'fail'), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.NOT_FOUND);
      assert.equal(err.details, 'no such thing');
      return true;
    });
  });

  test('istio_requests_total carries request_protocol grpc and grpc_response_status from the trailers', async () => {
    const text = (await request(proxy.adminPort, '/stats/prometheus')).body;
    const notFound = text.split('\n').find((l) => l.startsWith('istio_requests_total{') && l.includes('grpc_response_status="5"'));
    assert.ok(notFound, 'a series for the NOT_FOUND call');
    assert.match(notFound, /request_protocol="grpc"/);
    assert.match(notFound, /response_code="200"/);
  });

  test('client streaming', async () => {
    const value = await new Promise<string>((resolve, reject) => {
      const call = client.clientStream((err: grpc.ServiceError | null, v: string) => (err ? reject(err) : resolve(v))) as grpc.ClientWritableStream<string>;
      for (const p of ['a', 'b', 'c']) call.write(p);
      call.end();
    });
    assert.equal(value, 'a+b+c');
  });

  test('server streaming: 200 messages in order', async () => {
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = client.serverStream('200') as grpc.ClientReadableStream<string>;
      call.on('data', (m: string) => got.push(m));
      call.on('end', () => resolve());
      call.on('error', reject);
    });
    assert.equal(got.length, 200);
    assert.equal(got[199], 'item-199');
  });

  test('bidirectional streaming: each message answered while the stream stays open', async () => {
    const call = client.bidi() as grpc.ClientDuplexStream<string, string>;
    const answers: string[] = [];
    for (const m of ['x', 'y', 'z']) {
      const next = new Promise<string>((resolve) => call.once('data', resolve));
      call.write(m);
      answers.push(await next);
    }
    const ended = new Promise<void>((resolve) => call.on('end', () => resolve()));
    call.end();
    await ended;
    assert.deepEqual(answers, ['X', 'Y', 'Z']);
  });

  test('grpc-timeout bounds the upstream request: the proxy times out first and answers UNAVAILABLE like Envoy (504)', async () => {
    const before = await adminStat(proxy.adminPort, 'cluster.grpc.upstream_rq_timeout');
    await assert.rejects(unary(client, 'sleep:1500', { deadline: Date.now() + 500 }), (err: grpc.ServiceError) => {
      assert.equal(err.code, grpc.status.UNAVAILABLE);
      assert.equal(err.details, 'upstream request timeout');
      return true;
    });
    // The proxy's own timer fired first: grpc-timeout minus the 0.2 s offset is the route timeout.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await adminStat(proxy.adminPort, 'cluster.grpc.upstream_rq_timeout')) - before, 1);
  });

  test('no route for a method: a gRPC error (UNIMPLEMENTED), not an HTML page', async () => {
    const other = grpc.makeGenericClientConstructor({ m: { ...SERVICE.unary, path: '/weft.test.Other/M' } }, 'Other');
    const c = new other(`127.0.0.1:${proxy.port('http')}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
    try {
      await assert.rejects(
        new Promise((resolve, reject) => c.m('x', (err: grpc.ServiceError | null, v: string) => (err ? reject(err) : resolve(v)))),
        (err: grpc.ServiceError) => {
          assert.equal(err.code, grpc.status.UNIMPLEMENTED);
          return true;
        },
      );
    } finally {
      c.close();
    }
  });
});
