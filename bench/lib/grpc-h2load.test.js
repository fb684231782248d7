// Run with: node --test bench/lib/grpc-h2load.test.js (also part of scripts/run-tests.js via test/src/bench-lib.test.ts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grpcFrame, runGrpcH2load } from './grpc-h2load.js';
import { startEchoServer } from './grpc-echo.js';
import { runH2load } from './h2load.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

test('grpcFrame: uncompressed flag, big-endian length, then the message', () => {
  assert.deepEqual([...grpcFrame(Buffer.from('abc'))], [0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
  assert.equal(grpcFrame(Buffer.alloc(300)).readUInt32BE(1), 300);
});

test('h2load drives real Echo calls at the asked rate against a @grpc/grpc-js server', async () => {
  const { server, port } = await startEchoServer(0);
  try {
    const load = await runGrpcH2load({ port, rate: 200, durationSec: 1, warmupSec: 0, cpu: null });
    assert.equal(load.generator, 'h2load');
    assert.equal(load.errors, 0, JSON.stringify(load.errorsBy));
    assert.deepEqual(load.errorsBy, {});
    // One second at 200/s, give or take a timer tick at each end.
    assert.ok(load.ok >= 150 && load.ok <= 230, `ok ${load.ok}`);
    assert.equal(load.latency.count, load.ok);
    assert.ok(load.latency.p50Ms > 0 && load.latency.p50Ms <= load.latency.p99Ms);
  } finally {
    await new Promise((resolve) => server.tryShutdown(resolve));
  }
});

test('h2load counts a call the server refuses as failed, not ok (the refusal the suite must not hide)', async () => {
  const { server, port } = await startEchoServer(0);
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-grpc-h2load-test-'));
  try {
    // No gRPC content-type: grpc-js answers 415.
    const r = await runH2load({ port, durationSec: 1, warmupSec: 0, clients: 1, streams: 8, cpu: null, logFile: path.join(dir, 'log'), rps: 50, path: '/weft.bench.Echo/Echo' });
    assert.equal(r.status['2xx'], 0, JSON.stringify(r.status));
    assert.ok(r.errors > 0);
    assert.ok((r.logStatuses['415'] ?? 0) > 0, JSON.stringify(r.logStatuses));
  } finally {
    await new Promise((resolve) => server.tryShutdown(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});
