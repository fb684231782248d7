// Run with: node --test bench/lib/rpc-capture.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts).
// Needs the build (@weft/testing's real peers, Weft itself).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { startProxyFromYaml } from '@weft/testing/proxy-harness';
import { BENCH_METHOD, BENCH_SERVICE, captureExchange } from './rpc-capture.js';
import { EchoResponder } from './rpc-echo.js';
import { frameKind, frameLength, readId, responseOk } from './rpc-frames.js';
import { rpcBootstrap, rpcCheck } from './rpc-weft.js';

/** The bench's echo server in-process: one port answering `protocol` with the captured `response`. */
async function echoServer(protocol, response) {
  const sockets = new Set();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    const r = new EchoResponder(protocol, response, (b) => s.write(b), () => s.destroy());
    s.on('data', (c) => r.onData(c));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

for (const protocol of ['bolt', 'dubbo']) {
  describe(`${protocol}: frames captured from the real peers`, () => {
    let sample;
    let echo;
    before(async () => {
      sample = await captureExchange(protocol);
      echo = await echoServer(protocol, sample.response);
    });
    after(() => echo.close());

    test('are one whole two-way request and its OK response with the same id', () => {
      const { request, response } = sample;
      assert.equal(frameLength(request, 0, protocol, false), request.length);
      assert.equal(frameLength(response, 0, protocol, true), response.length);
      assert.equal(frameKind(request, 0, protocol), 'request');
      assert.equal(frameKind(response, 0, protocol), 'response');
      assert.equal(readId(response, 0, protocol), readId(request, 0, protocol));
      assert.equal(responseOk(response, 0, protocol), true);
      assert.ok(request.includes(Buffer.from(BENCH_SERVICE)) && request.includes(Buffer.from(BENCH_METHOD)));
    });

    test('the echo server answers a real client with the pre-encoded response', async () => {
      const testing = await import('@weft/testing');
      if (protocol === 'bolt') {
        const c = await testing.createSofaConsumer(echo.port, { interfaceName: BENCH_SERVICE, version: sample.version });
        try {
          const got = await Promise.all([1, 2, 3].map(() => c.invoke(BENCH_METHOD, ['anything'])));
          assert.deepEqual(got, Array(3).fill('hello from the weft rpc bench'));
        } finally {
          await c.close();
        }
      } else {
        const c = testing.dubboClient(echo.port);
        try {
          const svc = c.service({ dubboInterface: BENCH_SERVICE, version: sample.version, methods: { [BENCH_METHOD]: (s) => [testing.java.String(s)] } });
          const got = await Promise.all([1, 2, 3].map(() => svc[BENCH_METHOD]('anything')));
          assert.deepEqual(got.map((r) => r.err), [null, null, null]);
          assert.deepEqual(got.map((r) => r.res), Array(3).fill('hello from the weft rpc bench'));
        } finally {
          c.close();
        }
      }
    });

    for (const mode of ['weft-rpc', 'weft-tcp']) {
      test(`the ${mode} bootstrap proxies the captured request to the echo server`, async () => {
        const yaml = rpcBootstrap({ mode, protocol, service: sample.service, adminPort: 0, port: 0, upstreamPort: echo.port });
        const proxy = await startProxyFromYaml(yaml);
        try {
          await rpcCheck(proxy.port('bench'), protocol, sample.request, 3000);
        } finally {
          await proxy.close();
        }
      });
    }

    test('the readiness check fails on a port that answers with an error status', async () => {
      const failing = Buffer.from(sample.response);
      if (protocol === 'bolt') failing.writeUInt16BE(0x10, 10);
      else failing[3] = 80;
      const bad = await echoServer(protocol, failing);
      try {
        await assert.rejects(rpcCheck(bad.port, protocol, sample.request, 3000), new RegExp(`${protocol} response status ${protocol === 'bolt' ? 16 : 80}`));
      } finally {
        await bad.close();
      }
    });
  });
}
