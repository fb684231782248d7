// gRPC unary load from h2load: Echo calls POSTed at a fixed rate, timed by h2load's per-request log. A C generator
// on the load core: the Node generator (bench/grpc-load.js) itself lags by milliseconds at p99 on a busy core, which
// hides the sub-millisecond tail the gRPC target is about. h2load's rate timer ticks every 10 ms per thread, so one
// thread sends its calls in bursts (10 at a time at 1,000/s); ten threads, each with its own connection and a tenth
// of the rate, start at different moments and spread the calls out (1-6 per millisecond, measured).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ECHO_PATH } from './grpc-echo.js';
import { runH2load } from './h2load.js';
import { summarizeLatencies } from './percentiles.js';
import { makeTempDir } from './procs.js';

/** Threads (and connections) the rate is split over; see the top of the file. */
const SPREAD = 10;

/** One gRPC length-prefixed message: a compressed-flag byte (0), the 4-byte big-endian length, the message. */
export function grpcFrame(payload) {
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
}

/**
 * The load in bench/grpc-load.js's shape ({ rate, achievedRps, ok, errors, unfinished, errorsBy, latency, lag, ... }).
 * h2load sees HTTP only: a call counts as ok when its response was a 2xx; the echo's grpc-status is checked before
 * the run by the suite's readiness call. `lag` is empty (h2load does not report its schedule slip).
 */
export async function runGrpcH2load({ port, rate, durationSec, warmupSec, payloadBytes = 16, cpu }) {
  const dir = makeTempDir('weft-bench-grpc-h2load-');
  const dataFile = path.join(dir, 'request.bin');
  writeFileSync(dataFile, grpcFrame(Buffer.alloc(payloadBytes, 0x61)));
  const r = await runH2load({
    port,
    durationSec,
    warmupSec,
    threads: SPREAD,
    clients: SPREAD,
    // Enough streams that a slow response never holds the next call back (open loop).
    streams: 256,
    cpu,
    logFile: path.join(dir, 'h2load.log'),
    rps: rate / SPREAD,
    dataFile,
    headers: ['content-type: application/grpc', 'te: trailers'],
    path: ECHO_PATH,
  });
  const requests = r.requests ?? { total: 0, done: 0, succeeded: 0, failed: 0, errored: 0, timeout: 0 };
  const errorsBy = {};
  for (const [status, n] of Object.entries(r.logStatuses)) if (!/^2\d\d$/.test(status)) errorsBy[`HTTP ${status}`] = n;
  if (requests.errored > 0) errorsBy.errored = requests.errored;
  if (requests.timeout > 0) errorsBy.timeout = requests.timeout;
  return {
    generator: 'h2load',
    rate,
    durationSec,
    warmupSec,
    payloadBytes,
    scheduled: requests.total,
    ok: requests.succeeded,
    errors: requests.failed,
    unfinished: Math.max(0, requests.total - requests.done),
    errorsBy,
    achievedRps: r.rps,
    latency: r.latency,
    lag: summarizeLatencies([]),
    args: r.args,
  };
}
