// Weft under test: `node packages/cli/bin/weft.js proxy -c <bootstrap.yaml> --concurrency 1 --log-level warn`
// with a generated static Envoy v3 bootstrap (one HTTP listener routing everything to the nginx upstream).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts } from './ports.js';
import { makeTempDir, startProcess } from './procs.js';
import { expectHelloWorld, waitFor200 } from './http-check.js';

export const WEFT_BIN = path.join('packages', 'cli', 'bin', 'weft.js');

export function weftBootstrap({ adminPort, port, upstreamPort }) {
  return `admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${adminPort} } } }
static_resources:
  listeners:
  - name: bench
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: bench
          route_config:
            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: upstream } }] }]
          http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment: { cluster_name: upstream, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreamPort} } } } }] }] }
`;
}

/**
 * Starts Weft (`bin`, default packages/cli/bin/weft.js) pinned to `cpu`; resolves { proc, port, adminPort } once admin /ready answers 200 (20 s budget) and a
 * request through the listener returns "hello world". Rejects with "failed to start: <reason>".
 */
export async function startWeft({ cpu, upstreamPort, repoRoot, bin = path.join(repoRoot, WEFT_BIN) }) {
  if (!existsSync(bin)) throw new Error(`failed to start: ${path.relative(repoRoot, bin)} does not exist (CLI not built yet?)`);
  const dir = makeTempDir('weft-bench-weft-');
  const [port, adminPort] = await freePorts(2);
  const conf = path.join(dir, 'bootstrap.yaml');
  writeFileSync(conf, weftBootstrap({ adminPort, port, upstreamPort }));
  const args = [bin, 'proxy', '-c', conf, '--concurrency', '1', '--log-level', 'warn'];
  const proc = startProcess('weft', process.execPath, args, { cpu, cwd: repoRoot });
  try {
    await waitFor200(adminPort, '/ready', 20_000, proc);
    await expectHelloWorld(port);
  } catch (err) {
    await proc.stop();
    const tail = proc.running ? '' : proc.tail(800);
    const extra = tail && !err.message.includes(tail) ? ` | output: ${tail}` : '';
    throw new Error(`failed to start: ${err.message}${extra}`);
  }
  return { proc, port, adminPort, command: ['taskset', '-c', String(cpu), 'node', ...args] };
}
