import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { thriftCodec } from '@weft/proxy/codec/thrift/index';
import { addCall } from '@weft/proxy/codec/thrift/test-frames';
import type { RpcFrame } from '@weft/proxy/interfaces/rpc-codec';
import { flushAllAccessLogs } from '@weft/proxy/observability/access-log/access-log-factory';
import { createThriftClient, startProxyFromYaml, startThriftServer, type TestProxy, type TestThriftClient, type TestThriftServer } from '@weft/testing';
import { configError } from './config-error.js';
import { rpcCluster } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap, indent } from './yaml.js';

const THRIFT_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.thrift_proxy.router.v3.Router';

function thriftListener(body: string): string {
  return `
  - name: thrift
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.thrift_proxy
        typed_config:
          "@type": ${THRIFT_TYPE}
${indent(body, 10)}`;
}

function rejection(p: Promise<unknown>): Promise<Error & { type?: number }> {
  return p.then(
    (v) => assert.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e: unknown) => e as Error & { type?: number },
  );
}

describe("Envoy's thrift_proxy, framed binary (real thrift peers)", () => {
  let v1: TestThriftServer;
  let v2: TestThriftServer;
  let mirror: TestThriftServer;
  let proxy: TestProxy;
  let client: TestThriftClient;
  let dir: string;
  let logFile: string;
  const opts = { transport: 'framed', protocol: 'binary' } as const;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-thrift-proxy-'));
    logFile = path.join(dir, 'thrift.log');
    v1 = await startThriftServer({ ...opts, handlers: { add: (a, b) => a + b + 1000 } });
    v2 = await startThriftServer(opts);
    mirror = await startThriftServer(opts);
    proxy = await startProxyFromYaml(
      bootstrap(
        thriftListener(`stat_prefix: calc
transport: FRAMED
protocol: BINARY
payload_passthrough: true
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${logFile}
    log_format: { text_format_source: { inline_string: "%REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS% %UPSTREAM_CLUSTER%\\n" } }
route_config:
  name: calc-routes
  routes:
  - match: { method_name: add }
    route: { cluster: versions, metadata_match: { filter_metadata: { envoy.lb: { version: v2 } } }, request_mirror_policies: [{ cluster: mirror }] }
  - match: { method_name: fail }
    route: { weighted_clusters: { clusters: [{ name: versions, weight: 1, metadata_match: { filter_metadata: { envoy.lb: { version: v1 } } } }] } }
thrift_filters:
- name: envoy.filters.thrift.router
  typed_config: { "@type": ${ROUTER_TYPE} }`),
        rpcCluster('versions', [
          { port: v1.port, labels: { version: 'v1' } },
          { port: v2.port, labels: { version: 'v2' } },
        ]) + rpcCluster('mirror', [{ port: mirror.port }]),
      ),
    );
    client = await createThriftClient(proxy.port('thrift'), opts);
  });

  after(async () => {
    await client.close();
    await proxy.close();
    for (const s of [v1, v2, mirror]) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('routes by method name to a metadata subset, mirrors it, and counts under thrift.<stat_prefix>', async () => {
    const sums = await Promise.all(Array.from({ length: 10 }, (_, i) => client.calc.add(i, 1)));
    assert.deepEqual(sums, Array.from({ length: 10 }, (_, i) => i + 1));
    assert.equal(v1.calls.length, 0);
    assert.equal(v2.calls.length, 10);
    const deadline = Date.now() + 2000;
    while (mirror.calls.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(mirror.calls.length, 10);
    assert.equal(await adminStat(proxy.adminPort, 'thrift.calc.request'), 10);
    assert.equal(await adminStat(proxy.adminPort, 'thrift.calc.response_success'), 10);
    assert.deepEqual(client.errors, []);
  });

  test('weighted clusters with a per-cluster subset; a declared exception comes back as is', async () => {
    const err = await rejection(client.calc.fail('nope', 3));
    assert.equal((err as unknown as { why: string }).why, 'nope');
    assert.deepEqual(v1.calls.map((c) => c.method), ['fail']);
  });

  test('a method no route matches is a TApplicationException UNKNOWN_METHOD (NR) and the connection stays up', async () => {
    const err = await rejection(client.calc.echo('x', {}, [], 1, 1, 0, 1, true));
    assert.equal(err.type, 1);
    assert.match(err.message, /no route for \.echo/);
    assert.equal(await client.calc.add(1, 1), 2);
    assert.equal(await adminStat(proxy.adminPort, 'thrift.calc.local_reply_no_route'), 1);
    flushAllAccessLogs();
    const lines = readFileSync(logFile, 'utf8').split('\n');
    assert.ok(lines.includes('echo 404 NR -'), lines.join('|'));
    assert.ok(lines.includes('add 200 - versions'), lines.join('|'));
  });
});

describe("Envoy's thrift_proxy, framed compact multiplexed with AUTO detection (real thrift peers)", () => {
  let calc: TestThriftServer;
  let greeter: TestThriftServer;
  let proxy: TestProxy;
  let client: TestThriftClient;
  const opts = { transport: 'framed', protocol: 'compact', multiplexed: true } as const;

  before(async () => {
    calc = await startThriftServer(opts);
    greeter = await startThriftServer({ ...opts, handlers: { hello: (n) => `greeter says hi to ${n}` } });
    proxy = await startProxyFromYaml(
      bootstrap(
        thriftListener(`stat_prefix: mux
route_config:
  routes:
  - match: { service_name: "Greeter:" }
    route: { cluster: greeter }
  - match: { method_name: add }
    route: { cluster: greeter }
  - match: { method_name: "Calc:add" }
    route: { cluster: calc }
  - match: { method_name: "Calc:fail", invert: true }
    route: { cluster: calc }`),
        rpcCluster('calc', [{ port: calc.port }]) + rpcCluster('greeter', [{ port: greeter.port }]),
      ),
    );
    client = await createThriftClient(proxy.port('thrift'), opts);
  });

  after(async () => {
    await client.close();
    await proxy.close();
    await calc.close();
    await greeter.close();
  });

  test('service_name matches the multiplexed service; method_name the whole `Service:method` name', async () => {
    assert.equal(await client.greeter.hello('ann'), 'greeter says hi to ann');
    assert.equal(await client.calc.add(2, 3), 5);
    assert.deepEqual(greeter.calls.map((c) => c.method), ['hello']);
    assert.deepEqual(calc.calls.map((c) => c.method), ['add']);
    const err = await rejection(client.calc.fail('x', 1));
    assert.equal(err.type, 1);
    assert.equal(await adminStat(proxy.adminPort, 'thrift.mux.request'), 3);
    assert.equal(await adminStat(proxy.adminPort, 'thrift.mux.local_reply_no_route'), 1);
  });

  test('an inverted method_name route takes every call but that method', async () => {
    assert.equal(await client.calc.echo('x', {}, [], 1, 1, 0, 1, true), 'x');
    assert.deepEqual(calc.calls.map((c) => c.method), ['add', 'echo']);
    assert.equal((await rejection(client.calc.fail('x', 1))).type, 1);
  });
});

describe("Envoy's thrift_proxy routing on THeader headers (real thrift servers)", () => {
  let plain: TestThriftServer;
  let traced: TestThriftServer;
  let proxy: TestProxy;

  before(async () => {
    plain = await startThriftServer({ transport: 'buffered', protocol: 'header' });
    traced = await startThriftServer({ transport: 'buffered', protocol: 'header', handlers: { add: (a, b) => a + b + 1000 } });
    proxy = await startProxyFromYaml(
      bootstrap(
        thriftListener(`stat_prefix: hdr
transport: HEADER
route_config:
  routes:
  - match: { method_name: add, headers: [{ name: trace, string_match: { exact: abc } }] }
    route: { cluster: traced }
  - match: { method_name: "" }
    route: { cluster: plain }`),
        rpcCluster('plain', [{ port: plain.port }]) + rpcCluster('traced', [{ port: traced.port }]),
      ),
    );
  });

  after(async () => {
    await proxy.close();
    await plain.close();
    await traced.close();
  });

  /** Sends one Calc.add as the library writes it and returns the reply's seqid and result. */
  async function add(transport: 'header' | 'unframed', seqid: number): Promise<[number, unknown]> {
    const sock = net.connect(proxy.port('thrift'), '127.0.0.1');
    try {
      await new Promise<void>((resolve) => sock.once('connect', resolve));
      sock.write(addCall({ transport, protocol: 'binary' }, seqid, 1, 2));
      const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: 1 << 20 });
      const out: RpcFrame[] = [];
      await new Promise<void>((resolve) => {
        sock.on('data', (chunk: Buffer) => {
          codec.decode(chunk, out);
          if (out.length > 0) resolve();
        });
      });
      const f = out[0] as RpcFrame;
      return [f.requestId, f.args()[0]];
    } finally {
      sock.destroy();
    }
  }

  test('a THeader call carrying trace=abc takes the header route; an unframed call (no headers) the wildcard one', async () => {
    assert.deepEqual(await add('header', 9), [9, 1003]);
    assert.deepEqual(await add('unframed', 10), [10, 3]);
    assert.equal(traced.calls.length, 1);
    assert.equal(plain.calls.length, 1);
  });
});

describe("Envoy's thrift_proxy refusals", () => {
  const P = 'static_resources\\.listeners\\[0\\]\\.filter_chains\\[0\\]\\.filters\\[0\\]\\.typed_config';
  const refusal = (body: string): string => configError(bootstrap(thriftListener(body), rpcCluster('c', [{ port: 1 }])));
  const route = (r: string): string => `stat_prefix: s\nroute_config: { routes: [${r}] }`;

  test('refuses transports and protocols detection does not handle, trds without ADS or beside route_config, and max_requests_per_connection', () => {
    assert.match(refusal('stat_prefix: s\nprotocol: TWITTER'), new RegExp(`${P}\\.protocol: TWITTER is not supported`));
    assert.match(refusal('stat_prefix: s\ntrds: { config_source: { ads: {} }, route_config_name: r }'), new RegExp(`${P}\\.trds: needs dynamic_resources\\.ads_config`));
    assert.match(refusal('stat_prefix: s\ntrds: { config_source: { ads: {} }, route_config_name: r }\nroute_config: { routes: [] }'), new RegExp(`${P}: only one of route_config and trds may be set`));
    assert.match(refusal('stat_prefix: s\nmax_requests_per_connection: 10'), new RegExp(`${P}\\.max_requests_per_connection: is not supported yet`));
  });

  test('refuses filters other than a last router, and router options it does not implement', () => {
    assert.match(refusal('stat_prefix: s\nthrift_filters: [{ name: envoy.filters.thrift.rate_limit }]'), new RegExp(`${P}\\.thrift_filters\\[0\\]\\.name: unsupported thrift filter`));
    assert.match(
      refusal('stat_prefix: s\nthrift_filters: [{ name: envoy.filters.thrift.router }, { name: envoy.filters.thrift.router }]'),
      new RegExp(`${P}\\.thrift_filters\\[0\\]: envoy\\.filters\\.thrift\\.router must be the last thrift filter`),
    );
    assert.match(
      refusal(`stat_prefix: s\nthrift_filters: [{ name: envoy.filters.thrift.router, typed_config: { "@type": ${ROUTER_TYPE}, close_downstream_on_upstream_error: true } }]`),
      new RegExp(`${P}\\.thrift_filters\\[0\\]\\.typed_config\\.close_downstream_on_upstream_error: is not supported yet`),
    );
  });

  test('refuses route fields it does not implement and unknown clusters, with their paths', () => {
    const R = `${P}\\.route_config\\.routes\\[0\\]`;
    assert.match(refusal(route('{ match: { method_name: "", invert: true }, route: { cluster: c } }')), new RegExp(`${R}\\.match\\.invert: needs a non-empty`));
    assert.match(refusal(route('{ match: { method_name: m }, route: { cluster_header: x-c } }')), new RegExp(`${R}\\.route\\.cluster_header: is not supported yet`));
    assert.match(refusal(route('{ match: { method_name: m }, route: { cluster: c, strip_service_name: true } }')), new RegExp(`${R}\\.route\\.strip_service_name: is not supported yet`));
    assert.match(refusal(route('{ match: { method_name: m }, route: { cluster: nope } }')), new RegExp(`${R}\\.route\\.cluster: unknown cluster 'nope'`));
    assert.match(
      refusal(route('{ match: { method_name: m }, route: { weighted_clusters: { clusters: [{ name: c, weight: 1 }, { name: d, weight: 1 }] } } }')),
      new RegExp(`${R}\\.route\\.weighted_clusters\\.clusters\\[1\\]\\.name: unknown cluster 'd'`),
    );
    assert.match(refusal(route('{ match: { service_name: "a:b" }, route: { cluster: c } }')), new RegExp(`${R}\\.match\\.service_name: must not contain a colon`));
  });
});
