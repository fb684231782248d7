// HAProxy reference: one thread, maxconn sized to the load (a large one asks for more fds than ulimit may allow), HTTP keep-alive on both sides, one server with `http-reuse always`, no logging.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts } from './ports.js';
import { makeTempDir, startProcess } from './procs.js';
import { expectHelloWorld, waitFor200 } from './http-check.js';
import { expectH2HelloWorld, waitForH2_200 } from './h2-check.js';

/** `h2`: HTTP/2 cleartext with prior knowledge on both sides (`proto h2` on the bind and on the server). */
export function haproxyConfig({ port, upstreamPort, maxconn, h2 = false }) {
  const proto = h2 ? ' proto h2' : '';
  return `global
  nbthread 1
  maxconn ${maxconn}

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:${port}${proto}
  default_backend upstream

backend upstream
  http-reuse always
  server s1 127.0.0.1:${upstreamPort}${proto}
`;
}

/**
 * Starts HAProxy pinned to `cpu` in the foreground; resolves { proc, port } once it proxies "hello world" (over h2c
 * if `h2`). `check(port)`, when given, replaces the "hello world" check (e.g. a gRPC call).
 */
export async function startHaproxy({ cpu, upstreamPort, connections, h2 = false, check }) {
  const dir = makeTempDir('weft-bench-haproxy-');
  const [port] = await freePorts(1);
  const conf = path.join(dir, 'haproxy.cfg');
  writeFileSync(conf, haproxyConfig({ port, upstreamPort, maxconn: connections + 1000, h2 }));
  // -db: stay in the foreground, no daemon mode.
  const args = ['-db', '-f', conf];
  const proc = startProcess('haproxy', 'haproxy', args, { cpu, cwd: dir });
  try {
    if (check) {
      await check(port, proc);
    } else {
      await (h2 ? waitForH2_200 : waitFor200)(port, '/', 10_000, proc);
      await (h2 ? expectH2HelloWorld : expectHelloWorld)(port);
    }
  } catch (err) {
    await proc.stop();
    throw new Error(`failed to start: ${err.message}`);
  }
  return { proc, port, command: ['taskset', '-c', String(cpu), 'haproxy', ...args] };
}
