// Command-line options of bench/run.js (see bench/README.md).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RPC_MODES } from './suite-rpc.js';
import { PROTOCOLS } from './rpc-frames.js';
import { WEFT_BIN } from './weft.js';

const ALL_MODES = ['direct', 'weft', 'haproxy'];
// Modes only the RPC suite has; `weft` there means both.
const RPC_ONLY_MODES = RPC_MODES.filter((m) => m !== 'direct');
export const ALL_SUITES = ['http1', 'h2', 'grpc', 'rpc'];
const USAGE = `usage: node bench/run.js [--suite=http1|h2|grpc|rpc|all] [--duration <s>] [--warmup <s>] [--only=direct,weft,haproxy]
  --suite        comma-separated suites, run in this order: http1 (wrk, the default), h2 (h2load), grpc (unary at
                 a fixed rate), rpc (Bolt and Dubbo, pipelined); "all" = http1,h2,grpc,rpc
  --duration     measured seconds per mode (default 10, or env BENCH_DURATION)
  --warmup       discarded warm-up seconds per mode before the measurement (default 2)
  --connections  http1: wrk connections (default 50); wrk always runs one thread
  --rounds       http1 and grpc: run the modes this many times, interleaved, and report the round with the
                 median Weft/HAProxy req/s ratio (http1) or the median p99 Weft adds (grpc) (default 1); one
                 round's figures move with the machine's noise
  --h2-clients   h2: h2load clients, one connection each (default 10)
  --h2-streams   h2: h2load max concurrent streams per client (default 10)
  --grpc-rate    grpc: unary calls per second, open loop (default 1000)
  --grpc-load    grpc: the load generator, h2load (default; C, 10 connections) or grpc-js (bench/grpc-load.js)
  --grpc-upstream  grpc: the upstream, grpc-js (default; the @grpc/grpc-js echo server) or nghttpd (a fixed
                 gRPC-framed reply from C, to see the latency the proxy adds without the Node server's own tail;
                 h2load only)
  --rpc-connections  rpc: load generator connections (default 4)
  --rpc-depth    rpc: requests in flight per connection (default 64)
  --rpc-protocols  rpc: comma-separated subset of ${PROTOCOLS.join(', ')} (default both)
  --only         comma-separated subset of: ${ALL_MODES.join(', ')} (applies to every suite; in the rpc suite
                 weft = ${RPC_ONLY_MODES.join(' + ')}), or of ${RPC_ONLY_MODES.join(', ')} for one RPC mode
  --weft-bin     Weft CLI entry point (default ${WEFT_BIN})`;

function usageError(msg) {
  process.stderr.write(`bench: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function parseSeconds(text, what) {
  const m = /^(\d+(?:\.\d+)?)s?$/.exec(String(text).trim());
  if (!m || Number(m[1]) <= 0) usageError(`${what} must be a positive number of seconds, got "${text}"`);
  // wrk takes whole seconds
  return Math.max(1, Math.round(Number(m[1])));
}

function oneOf(value, allowed, flag) {
  if (!allowed.includes(value)) usageError(`${flag} must be one of ${allowed.join(', ')}`);
  return value;
}

function positiveInt(text, flag) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) usageError(`${flag} must be a positive integer`);
  return n;
}

function parseSuites(text) {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const suites = list.includes('all') ? ALL_SUITES : list;
  const unknown = suites.filter((s) => !ALL_SUITES.includes(s));
  if (unknown.length || suites.length === 0) usageError(`--suite: unknown suite(s) ${unknown.join(', ') || '(none given)'}`);
  return ALL_SUITES.filter((s) => suites.includes(s));
}

function parseProtocols(text) {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((p) => !PROTOCOLS.includes(p));
  if (unknown.length || list.length === 0) usageError(`--rpc-protocols: unknown protocol(s) ${unknown.join(', ') || '(none given)'}`);
  return PROTOCOLS.filter((p) => list.includes(p));
}

export function parseOptions(repoRoot) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        connections: { type: 'string' },
        rounds: { type: 'string' },
        suite: { type: 'string' },
        'h2-clients': { type: 'string' },
        'h2-streams': { type: 'string' },
        'grpc-rate': { type: 'string' },
        'grpc-load': { type: 'string' },
        'grpc-upstream': { type: 'string' },
        'rpc-connections': { type: 'string' },
        'rpc-depth': { type: 'string' },
        'rpc-protocols': { type: 'string' },
        only: { type: 'string' },
        'weft-bin': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    usageError(err.message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const connections = Number(values.connections ?? 50);
  if (!Number.isInteger(connections) || connections < 1) usageError(`--connections must be a positive integer`);
  const modes = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : ALL_MODES;
  const unknown = modes.filter((m) => !ALL_MODES.includes(m) && !RPC_ONLY_MODES.includes(m));
  if (unknown.length || modes.length === 0) usageError(`--only: unknown mode(s) ${unknown.join(', ') || '(none given)'}`);
  const grpcLoad = oneOf(values['grpc-load'] ?? 'h2load', ['h2load', 'grpc-js'], '--grpc-load');
  const grpcUpstream = oneOf(values['grpc-upstream'] ?? 'grpc-js', ['grpc-js', 'nghttpd'], '--grpc-upstream');
  // nghttpd sends no grpc-status: a gRPC client would count every call as failed.
  if (grpcUpstream === 'nghttpd' && grpcLoad !== 'h2load') usageError('--grpc-upstream=nghttpd needs --grpc-load=h2load');
  return {
    suites: parseSuites(values.suite ?? 'http1'),
    durationSec: parseSeconds(values.duration ?? process.env.BENCH_DURATION ?? '10', '--duration'),
    warmupSec: parseSeconds(values.warmup ?? '2', '--warmup'),
    connections,
    rounds: positiveInt(values.rounds ?? 1, '--rounds'),
    h2Clients: positiveInt(values['h2-clients'] ?? 10, '--h2-clients'),
    h2Streams: positiveInt(values['h2-streams'] ?? 10, '--h2-streams'),
    grpcRate: positiveInt(values['grpc-rate'] ?? 1000, '--grpc-rate'),
    grpcLoad,
    grpcUpstream,
    rpcConnections: positiveInt(values['rpc-connections'] ?? 4, '--rpc-connections'),
    rpcDepth: positiveInt(values['rpc-depth'] ?? 64, '--rpc-depth'),
    rpcProtocols: parseProtocols(values['rpc-protocols'] ?? PROTOCOLS.join(',')),
    modes: ALL_MODES.filter((m) => modes.includes(m)),
    rpcModes: RPC_MODES.filter((m) => modes.includes(m) || (m !== 'direct' && modes.includes('weft'))),
    weftBin: path.resolve(values['weft-bin'] ?? path.join(repoRoot, WEFT_BIN)),
  };
}

