// HAProxy reference: one thread, maxconn sized to the load (a large one asks for more fds than ulimit may allow), HTTP keep-alive on both sides, one server with `http-reuse always`, no logging.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts } from './ports.js';
import { makeTempDir, startProcess } from './procs.js';
import { expectHelloWorld, waitFor200 } from './http-check.js';

export function haproxyConfig({ port, upstreamPort, maxconn }) {
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
  bind 127.0.0.1:${port}
  default_backend upstream

backend upstream
  http-reuse always
  server s1 127.0.0.1:${upstreamPort}
`;
}

/** Starts HAProxy pinned to `cpu` in the foreground; resolves { proc, port } once it proxies "hello world". */
export async function startHaproxy({ cpu, upstreamPort, connections }) {
  const dir = makeTempDir('weft-bench-haproxy-');
  const [port] = await freePorts(1);
  const conf = path.join(dir, 'haproxy.cfg');
  writeFileSync(conf, haproxyConfig({ port, upstreamPort, maxconn: connections + 1000 }));
  // -db: stay in the foreground, no daemon mode.
  const args = ['-db', '-f', conf];
  const proc = startProcess('haproxy', 'haproxy', args, { cpu, cwd: dir });
  try {
    await waitFor200(port, '/', 10_000, proc);
    await expectHelloWorld(port);
  } catch (err) {
    await proc.stop();
    throw new Error(`failed to start: ${err.message}`);
  }
  return { proc, port, command: ['taskset', '-c', String(cpu), 'haproxy', ...args] };
}
