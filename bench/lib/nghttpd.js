// A C HTTP/2 upstream for the gRPC suite (--grpc-upstream=nghttpd): nghttpd serving a fixed gRPC-framed reply at the
// Echo path. It is not a gRPC server (no grpc-status trailers; h2load only checks the status), but it answers in tens
// of microseconds with no garbage collector, so the latency a proxy adds is not buried under the upstream's own tail:
// the @grpc/grpc-js echo server, sharing its core with the load, has a p99 of 1-3 ms and GC pauses of 5-10 ms.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ECHO_PATH } from './grpc-echo.js';
import { grpcFrame } from './grpc-h2load.js';
import { waitForH2_200 } from './h2-check.js';
import { freePorts } from './ports.js';
import { makeTempDir, startProcess } from './procs.js';

/** The reply body: the same 16-byte message the load sends, gRPC-framed. */
export const NGHTTPD_REPLY = grpcFrame(Buffer.alloc(16, 0x61));

/** Starts nghttpd (h2c, one worker) pinned to `cpu`; resolves { proc, port } once it serves the Echo path. */
export async function startNghttpdUpstream(cpu) {
  const dir = makeTempDir('weft-bench-nghttpd-');
  const file = path.join(dir, ...ECHO_PATH.split('/').filter(Boolean));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, NGHTTPD_REPLY);
  const [port] = await freePorts(1);
  const proc = startProcess('nghttpd', 'nghttpd', ['--no-tls', '-n', '1', '-d', dir, String(port)], { cpu });
  try {
    await waitForH2_200(port, ECHO_PATH, 10_000, proc);
  } catch (err) {
    await proc.stop();
    throw new Error(`nghttpd did not start: ${err.message}`);
  }
  return { proc, port };
}
