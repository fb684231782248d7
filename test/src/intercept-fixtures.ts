// Processes and proxy configs for the interception tests (Istio's sidecar shape: virtualOutbound 15001 with
// use_original_dst and a PassthroughCluster, an outbound listener that does not bind, virtualInbound 15006 with
// the original_dst listener filter and a filter chain per destination port). Idle timeouts are short and shorter
// upstream than downstream, as lossless `intercept off` needs: a connection still idle on the proxy when the rules
// go loses its redirection.

export const ADMIN_PORT = 15000;
export const APP_PORT = 8080;

const ROUTER = '{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

function admin(): string {
  return `admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${ADMIN_PORT} } } }`;
}

/** The client's sidecar: everything the app sends is redirected to 15001. */
export function clientProxyYaml(): string {
  return `node: { id: client-sidecar, cluster: client }
${admin()}
static_resources:
  listeners:
  - name: virtualOutbound
    address: { socket_address: { address: 0.0.0.0, port_value: 15001 } }
    use_original_dst: true
    traffic_direction: OUTBOUND
    filter_chains:
    - name: PassthroughFilterChain
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": ${TCP_PROXY}, stat_prefix: PassthroughCluster, cluster: PassthroughCluster }
  - name: 0.0.0.0_${APP_PORT}
    address: { socket_address: { address: 0.0.0.0, port_value: ${APP_PORT} } }
    bind_to_port: false
    traffic_direction: OUTBOUND
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": ${HCM}
          stat_prefix: outbound_${APP_PORT}
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: / }
                route: { cluster: "outbound|${APP_PORT}||server" }
              request_headers_to_add: [{ header: { key: x-weft-client-sidecar, value: "1" } }]
          http_filters: [${ROUTER}]
  clusters:
  - name: PassthroughCluster
    type: ORIGINAL_DST
    lb_policy: CLUSTER_PROVIDED
    connect_timeout: 1s
  - name: "outbound|${APP_PORT}||server"
    type: ORIGINAL_DST
    lb_policy: CLUSTER_PROVIDED
    connect_timeout: 1s
    cleanup_interval: 60s
    # Idle pooled connections close here before the server sidecar's idle timeout could close them under a request.
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        common_http_protocol_options: { idle_timeout: 0.3s }
        explicit_http_config: { http_protocol_options: {} }
`;
}

/** The server's sidecar: inbound connections are redirected to 15006 and go to the app on loopback. */
export function serverProxyYaml(): string {
  return `node: { id: server-sidecar, cluster: server }
${admin()}
static_resources:
  listeners:
  - name: virtualInbound
    address: { socket_address: { address: 0.0.0.0, port_value: 15006 } }
    traffic_direction: INBOUND
    listener_filters:
    - name: envoy.filters.listener.original_dst
      typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst }
    filter_chains:
    - filter_chain_match: { destination_port: ${APP_PORT} }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": ${HCM}
          stat_prefix: inbound_${APP_PORT}
          common_http_protocol_options: { idle_timeout: 1s }
          route_config:
            virtual_hosts:
            - name: inbound
              domains: ["*"]
              routes: [{ match: { prefix: / }, route: { cluster: "inbound|${APP_PORT}||" } }]
          http_filters: [${ROUTER}]
  clusters:
  - name: "inbound|${APP_PORT}||"
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: inbound
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${APP_PORT} } } } }] }]
`;
}

/** The server app: answers with the peer address it saw and whether the client's sidecar handled the call. */
export const SERVER_APP = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ remote: req.socket.remoteAddress, clientSidecar: req.headers['x-weft-client-sidecar'] === '1', requestId: req.headers['x-request-id'] !== undefined }));
});
server.keepAliveTimeout = 60000;
server.listen(${APP_PORT}, '0.0.0.0', () => console.log('listening'));
`;

/**
 * The client app under load: 4 workers send GETs over keep-alive connections (each closed after about 20
 * requests; \`pauseMs\` between requests keeps the CPU for the rest of the test) until a line arrives on stdin, then print the counts (and connections opened) as JSON. A request fails on a non-200 status, a socket error or a 5 s timeout.
 * Like browsers and Envoy, and as Node's docs show for \`request.reusedSocket\`, a GET reset on a reused keep-alive
 * connection before any response byte is sent again once on another connection (counted as \`retriedReused\`):
 * that is the race of a server closing an idle connection while the client reuses it, inherent to HTTP/1.1.
 */
export function loadClient(host: string, pauseMs = 0): string {
  return `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const c = { ok: 0, failed: 0, retriedReused: 0, conns: 0, bothSidecars: 0, clientSidecarOnly: 0, serverSidecarOnly: 0, direct: 0, errors: [] };
let stop = false;
let sent = 0;
function fail(msg) { c.failed++; if (c.errors.length < 40) c.errors.push(msg); }
function one() {
  // Every 20th request closes its connection, so new connections keep testing the current rules.
  const headers = ++sent % 20 === 0 ? { connection: 'close' } : {};
  return attempt(headers, false);
}
function attempt(headers, retry) {
  return new Promise((resolve) => {
    let done = false;
    let responded = false;
    const finish = (err, status, body) => {
      if (done) return;
      done = true;
      if (err) fail(err);
      else if (status !== 200) fail('status ' + status + ' ' + body.slice(0, 120));
      else {
        c.ok++;
        const j = JSON.parse(body);
        const server = j.remote === '127.0.0.1';
        if (server && j.clientSidecar) c.bothSidecars++;
        else if (j.clientSidecar) c.clientSidecarOnly++;
        else if (server) c.serverSidecarOnly++;
        else c.direct++;
      }
      resolve();
    };
    const req = http.get({ host: '${host}', port: ${APP_PORT}, path: '/load', agent, headers }, (res) => {
      responded = true;
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (b += d));
      res.on('end', () => finish(undefined, res.statusCode, b));
      res.on('error', (e) => finish('response ' + (e.code || '') + ' ' + e.message + ' @' + Date.now()));
    });
    req.on('error', (e) => {
      if (!done && !retry && !responded && req.reusedSocket && e.code === 'ECONNRESET') {
        done = true;
        c.retriedReused++;
        resolve(attempt(headers, true));
        return;
      }
      finish((e.code || '') + ' ' + e.message + (req.reusedSocket ? ' (reused' : ' (fresh') + ' port ' + (req.socket && req.socket.lp) + ' age ' + (req.socket && Date.now() - req.socket.bornAt) + 'ms n ' + (req.socket && req.socket.uses) + ') @' + Date.now());
    });
    req.on('socket', (sock) => {
      if (sock.bornAt === undefined) { c.conns++; sock.bornAt = Date.now(); sock.once('connect', () => (sock.lp = sock.localPort)); }
      sock.uses = (sock.uses || 0) + 1;
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}
const pause = ${pauseMs};
async function worker() { while (!stop) { await one(); if (pause > 0) await new Promise((r) => setTimeout(r, pause)); } }
const workers = [worker(), worker(), worker(), worker()];
console.log('started');
process.stdin.once('data', async () => {
  stop = true;
  await Promise.all(workers);
  console.log(JSON.stringify(c));
  process.exit(0);
});
`;
}

/**
 * Drives the agent's interception API (handleInterceptRequest) inside a namespace: reads `on`/`off` lines, answers
 * each with the JSON response. One process for all toggles (a CLI run per toggle costs a Node start each).
 */
export function toggleDriver(agentIntercept: string, proxyUid: number): string {
  return `
import readline from 'node:readline';
import { DEFAULT_INTERCEPT, Interceptor, handleInterceptRequest } from ${JSON.stringify(agentIntercept)};
const interceptor = new Interceptor({
  config: { ...DEFAULT_INTERCEPT, proxyUid: ${proxyUid}, proxyGid: ${proxyUid} },
  admin: '127.0.0.1:${ADMIN_PORT}',
  toggle: { maxWaitMs: 1000, pollMs: 20 },
});
console.log('ready');
for await (const line of readline.createInterface({ input: process.stdin })) {
  const r = await handleInterceptRequest(interceptor, 'POST', '/intercept/' + line.trim());
  console.log(JSON.stringify(r));
}
`;
}

/** Drives a weft agent's interception API inside a namespace: reads `on`/`off` lines, answers each with the JSON reply. */
export function agentToggleDriver(agentPort: number): string {
  return `
import readline from 'node:readline';
console.log('ready');
for await (const line of readline.createInterface({ input: process.stdin })) {
  const res = await fetch('http://127.0.0.1:${agentPort}/intercept/' + line.trim(), { method: 'POST' });
  console.log(JSON.stringify({ status: res.status, body: await res.json() }));
}
`;
}
