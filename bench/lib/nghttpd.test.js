// Run with: node --test bench/lib/nghttpd.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { runGrpcH2load } from './grpc-h2load.js';
import { ECHO_PATH } from './grpc-echo.js';
import { NGHTTPD_REPLY, startNghttpdUpstream } from './nghttpd.js';

function post(port) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': ECHO_PATH, 'content-type': 'application/grpc', te: 'trailers' });
    const chunks = [];
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      session.close();
      resolve({ status, body: Buffer.concat(chunks) });
    });
    req.on('error', reject);
    req.end(Buffer.from([0, 0, 0, 0, 1, 0x61]));
  });
}

test('nghttpd upstream: answers a gRPC-shaped POST with the framed reply, and h2load calls against it succeed', async () => {
  const { proc, port } = await startNghttpdUpstream(null);
  try {
    const res = await post(port);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, NGHTTPD_REPLY);
    const load = await runGrpcH2load({ port, rate: 200, durationSec: 1, warmupSec: 0, cpu: null });
    assert.equal(load.errors, 0, JSON.stringify(load.errorsBy));
    assert.ok(load.ok >= 150 && load.ok <= 230, `ok ${load.ok}`);
  } finally {
    await proc.stop();
  }
});
