#!/usr/bin/env node
// Open-loop gRPC unary load generator for the bench's gRPC suite (run pinned by bench/lib/suite-grpc.js):
//   node bench/grpc-load.js --port <p> [--rate 1000] [--duration 10] [--warmup 2] [--payload 16]
// One channel (one HTTP/2 connection) to 127.0.0.1:<port>, Echo calls on a fixed schedule, each timed with
// process.hrtime. Prints one JSON line: settings, counts, latency and lag summaries (ms), error codes by name.
import { parseArgs } from 'node:util';
import { echoClient, waitForEcho, statusName } from './lib/grpc-echo.js';
import { runOpenLoop } from './lib/open-loop.js';
import { summarizeLatencies } from './lib/percentiles.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    payload: { type: 'string', default: '16' },
    'deadline-ms': { type: 'string', default: '5000' },
  },
  strict: true,
});
const port = Number(values.port);
const rate = Number(values.rate);
const durationMs = Number(values.duration) * 1000;
const warmupMs = Number(values.warmup) * 1000;
const deadlineMs = Number(values['deadline-ms']);
if (!Number.isInteger(port) || port <= 0 || !(rate > 0) || !(durationMs > 0) || !(warmupMs >= 0)) {
  process.stderr.write('grpc-load: need --port <p>, a positive --rate and --duration, --warmup >= 0\n');
  process.exit(2);
}

await waitForEcho(port, 5000);
const client = echoClient(port);
const payload = Buffer.alloc(Number(values.payload), 0x61);
const result = await runOpenLoop({
  rate,
  warmupMs,
  durationMs,
  drainMs: deadlineMs + 500,
  call: (done) => client.Echo(payload, { deadline: Date.now() + deadlineMs }, (err) => done(err)),
});
client.close();
const errorsBy = {};
for (const [code, n] of Object.entries(result.errorsBy)) errorsBy[/^\d+$/.test(code) ? statusName(Number(code)) : code] = n;
process.stdout.write(`${JSON.stringify({
  rate,
  durationSec: durationMs / 1000,
  warmupSec: warmupMs / 1000,
  payloadBytes: payload.length,
  scheduled: result.scheduled,
  ok: result.ok,
  errors: result.errors,
  unfinished: result.unfinished,
  errorsBy,
  achievedRps: result.achievedRps,
  latency: summarizeLatencies(result.latency),
  lag: summarizeLatencies(result.lag),
})}\n`);
process.exit(0);
