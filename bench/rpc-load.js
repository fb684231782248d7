#!/usr/bin/env node
// Pipelining closed-loop RPC load generator for the bench's RPC suite (run pinned by bench/lib/suite-rpc.js):
//   node bench/rpc-load.js --protocol bolt|dubbo --port <p> [--connections 4] [--depth 64] [--duration 10] [--warmup 2]
// C connections to 127.0.0.1:<port>, D requests in flight on each: a real request frame captured at start-up
// (sofa-rpc-node consumer / dubbo2.js client) with its id patched per request. Responses are read up to their fixed
// header only (length, id, status). Latency per request goes into a histogram; only the measured part counts.
// Prints "measure start" / "measure end" around the measured window, then one JSON line {protocol, rps, p50Ms,
// p99Ms, ok, errors, errorsBy, latency, ...}.
import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LatencyHistogram } from './lib/latency-histogram.js';
import { captureExchange } from './lib/rpc-capture.js';
import { PROTOCOLS } from './lib/rpc-frames.js';
import { LoadStats, PipelinedConnection } from './lib/rpc-pipeline.js';

const { values } = parseArgs({
  options: {
    protocol: { type: 'string' },
    port: { type: 'string' },
    connections: { type: 'string', default: '4' },
    depth: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
  },
  strict: true,
});
const protocol = values.protocol;
const port = Number(values.port);
const connections = Number(values.connections);
const depth = Number(values.depth);
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
if (!PROTOCOLS.includes(protocol) || !Number.isInteger(port) || port <= 0 || !Number.isInteger(connections) || connections < 1
  || !Number.isInteger(depth) || depth < 1 || !(durationMs > 0) || !(warmupMs >= 0)) {
  process.stderr.write(`rpc-load: need --protocol ${PROTOCOLS.join('|')}, --port <p>, positive integer --connections and --depth, a positive --duration, --warmup >= 0\n`);
  process.exit(2);
}
// Responses slower than this at the end count as lost (a closed loop would otherwise just slow down silently).
const LOST_AFTER_MS = 2000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();

const { request } = await captureExchange(protocol);
const stats = new LoadStats(new LatencyHistogram());
const conns = [];
let closedEarly = 0;
for (let i = 0; i < connections; i++) {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  socket.on('error', () => {});
  await once(socket, 'connect');
  const conn = new PipelinedConnection({ protocol, request, depth, stats, write: (buf) => socket.write(buf), now });
  socket.on('data', (chunk) => {
    if (!conn.onData(chunk)) socket.destroy();
  });
  socket.on('close', () => {
    if (conn.running) {
      closedEarly++;
      stats.error('connection closed');
      conn.stop();
    }
  });
  conns.push({ conn, socket });
}

const cpu0 = process.cpuUsage();
for (const { conn } of conns) conn.start();
await sleep(warmupMs);
stats.measuring = true;
const t0 = now();
const cpuAtStart = process.cpuUsage(cpu0);
// Markers for the harness, which reads the proxy's CPU time at both ends of the measured window.
process.stdout.write('measure start\n');
await sleep(durationMs);
stats.measuring = false;
const measuredMs = now() - t0;
const cpuMeasured = process.cpuUsage(cpu0);
process.stdout.write('measure end\n');
for (const { conn } of conns) conn.stop();
const end = now();
let outstanding = 0;
let lost = 0;
for (const { conn } of conns) {
  const o = conn.outstanding(end);
  outstanding += o.n;
  if (o.oldestMs > LOST_AFTER_MS) lost += o.n;
}
for (const { socket } of conns) socket.destroy();

const latency = stats.histogram.summary();
const cpuMs = (cpuMeasured.user + cpuMeasured.system - cpuAtStart.user - cpuAtStart.system) / 1000;
process.stdout.write(`${JSON.stringify({
  protocol,
  connections,
  depth,
  durationSec: durationMs / 1000,
  warmupSec: warmupMs / 1000,
  requestBytes: request.length,
  measuredMs,
  rps: stats.ok / (measuredMs / 1000),
  p50Ms: latency.p50Ms,
  p99Ms: latency.p99Ms,
  ok: stats.ok,
  errors: stats.errors,
  errorsBy: stats.errorsBy,
  warmupResponses: stats.warmupResponses,
  outstandingAtEnd: outstanding,
  lost,
  closedEarly,
  loadCpuPct: (100 * cpuMs) / measuredMs,
  latency,
})}\n`);
process.exit(0);
