// Weft under test: `node packages/cli/bin/weft.js proxy -c <bootstrap.yaml> --concurrency 1 --log-level warn`
// with a generated static Envoy v3 bootstrap (one HTTP listener routing everything to the upstream; with `h2`, HTTP/2
// cleartext on both sides).
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts } from './ports.js';
import { makeTempDir, startProcess } from './procs.js';
import { expectHelloWorld, waitFor200 } from './http-check.js';
import { expectH2HelloWorld } from './h2-check.js';

export const WEFT_BIN = path.join('packages', 'cli', 'bin', 'weft.js');

// codec_type AUTO: h2c prior knowledge downstream; the upstream protocol is chosen per cluster, like Envoy.
const H2_CODEC = `
          codec_type: AUTO`;
const H2_UPSTREAM = `
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }`;

export function weftBootstrap({ adminPort, port, upstreamPort, h2 = false }) {
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
          stat_prefix: bench${h2 ? H2_CODEC : ''}
          route_config:
            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: upstream } }] }]
          http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s${h2 ? H2_UPSTREAM : ''}
    load_assignment: { cluster_name: upstream, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreamPort} } } } }] }] }
`;
}

/**
 * Starts Weft (`bin`, default packages/cli/bin/weft.js) pinned to `cpu`; resolves { proc, port, adminPort } once admin /ready answers 200 (20 s budget) and a
 * request through the listener returns "hello world" (over h2c if `h2`; `check(port)`, when given, replaces that
 * request, e.g. with a gRPC call). `bootstrap({ adminPort, port })`, when given, returns the bootstrap YAML instead of
 * the HTTP one (then `check` is required). Rejects with "failed to start: <reason>".
 */
export async function startWeft({ cpu, upstreamPort, repoRoot, bin = path.join(repoRoot, WEFT_BIN), h2 = false, check, bootstrap, extraArgs = [] }) {
  if (!existsSync(bin)) throw new Error(`failed to start: ${path.relative(repoRoot, bin)} does not exist (CLI not built yet?)`);
  const dir = makeTempDir('weft-bench-weft-');
  const [port, adminPort] = await freePorts(2);
  const conf = path.join(dir, 'bootstrap.yaml');
  writeFileSync(conf, bootstrap ? bootstrap({ adminPort, port }) : weftBootstrap({ adminPort, port, upstreamPort, h2 }));
  const args = [bin, 'proxy', '-c', conf, '--concurrency', '1', '--log-level', 'warn', ...extraArgs];
  const proc = startProcess('weft', process.execPath, args, { cpu, cwd: repoRoot });
  try {
    await waitFor200(adminPort, '/ready', 20_000, proc);
    if (check) await check(port, proc);
    else await (h2 ? expectH2HelloWorld : expectHelloWorld)(port);
  } catch (err) {
    await proc.stop();
    const tail = proc.running ? '' : proc.tail(800);
    const extra = tail && !err.message.includes(tail) ? ` | output: ${tail}` : '';
    throw new Error(`failed to start: ${err.message}${extra}`);
  }
  return { proc, port, adminPort, command: ['taskset', '-c', String(cpu), 'node', ...args] };
}
