// `npm start`: a local demo mesh on the embedded defaults. `weft control-plane` watches examples/mesh/ (Istio
// resources and an RpcRoute); productpage, reviews (v1 and v2), ratings and details (a SOFA RPC service over Bolt)
// each run beside their own `weft proxy` in captureMode NONE (apps call loopback ports, no iptables); a steady
// trickle of traffic goes through the mesh. Ctrl-C stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const weft = path.join(here, '..', 'packages/cli/bin/weft.js');
const configDir = path.join(here, 'mesh');
const XDS = '127.0.0.1:15010';
const CP_HTTP = '127.0.0.1:15014';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'weft-mesh-'));
const children = [];

/** Each workload: the loopback address its sidecar serves on and the labels it announces to the control plane. */
const workloads = [
  { name: 'productpage', ip: '127.0.0.1', admin: 15000, labels: { app: 'productpage', version: 'v1' } },
  { name: 'reviews-v1', ip: '127.0.0.2', admin: 15001, labels: { app: 'reviews', version: 'v1' } },
  { name: 'reviews-v2', ip: '127.0.0.3', admin: 15002, labels: { app: 'reviews', version: 'v2' } },
  { name: 'ratings', ip: '127.0.0.4', admin: 15003, labels: { app: 'ratings', version: 'v1' } },
  { name: 'details', ip: '127.0.0.5', admin: 15004, labels: { app: 'details', version: 'v1' } },
];

const require = createRequire(import.meta.url);
const sofa = require('sofa-rpc-node');
const DETAILS = 'com.weft.demo.Details';
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** The details app: a real sofa-rpc-node RpcServer, on a socket bound to loopback (RpcServer binds every interface). */
function startDetails() {
  const rpc = new sofa.server.RpcServer({ logger: quiet, port: 0 });
  rpc.addService({ interfaceName: DETAILS }, { get: async (id) => `details of product ${id}: paperback, 200 pages` });
  const server = net.createServer((socket) => rpc._handleSocket(socket)).listen(19084, '127.0.0.1');
  rpc._servers.push(server);
  return rpc;
}

/** productpage's SOFA consumer of details through its sidecar's Bolt egress port (remade after a failure: a consumer
 * created before the sidecar listens never reconnects). */
let detailsClient;
async function callDetails(id) {
  try {
    if (!detailsClient) {
      const client = new sofa.client.RpcClient({ logger: quiet, retryFaultInterval: 200 });
      const consumer = client.createConsumer({ interfaceName: DETAILS, serverHost: '127.0.0.1:12200' });
      detailsClient = { client, consumer };
      await consumer.ready();
    }
    return String(await detailsClient.consumer.invoke('get', [id], { responseTimeout: 2000 }));
  } catch (e) {
    const failed = detailsClient;
    detailsClient = undefined;
    failed?.client.close().catch(() => undefined);
    return `details failed (${e.message})`;
  }
}

function get(host, port, pathname, hostHeader) {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: pathname, headers: hostHeader ? { host: hostHeader } : {}, agent: keepAlive, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => req.destroy());
  });
}
const keepAlive = new http.Agent({ keepAlive: true });

/** The sample apps: each calls the next service through its own sidecar's egress port. */
function startApps() {
  const serve = (port, handler) => http.createServer(handler).listen(port, '127.0.0.1');
  serve(19080, async (_req, res) => {
    const r = await get('127.0.0.1', 9081, '/reviews', 'reviews.demo.svc.cluster.local:9081');
    res.writeHead(r.status === 200 ? 200 : 502, { 'content-type': 'text/plain' });
    const details = await callDetails(1);
    res.end(`productpage <- ${r.status === 200 ? r.body : `reviews failed (${r.status})`}; ${details}`);
  });
  for (const v of ['v1', 'v2']) {
    serve(v === 'v1' ? 19081 : 19082, async (_req, res) => {
      const r = await get(v === 'v1' ? '127.0.0.2' : '127.0.0.3', 9083, '/ratings', 'ratings.demo.svc.cluster.local:9083');
      res.writeHead(200, { 'content-type': 'text/plain', 'x-version': v });
      res.end(`reviews-${v} <- ratings ${r.status === 200 ? r.body : `failed (${r.status})`}`);
    });
  }
  serve(19083, (_req, res) => res.end('★★★★★'));
}

function bootstrapFor(w) {
  const labels = Object.entries(w.labels).map(([k, v]) => `${k}: ${v}`).join(', ');
  return `node:
  id: sidecar~${w.ip}~${w.name}.demo~demo.svc.cluster.local
  cluster: ${w.labels.app}.demo
  metadata: { NAMESPACE: demo, WORKLOAD_NAME: ${w.name}, LABELS: { ${labels} } }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${w.admin} } } }
dynamic_resources:
  ads_config: { api_type: DELTA_GRPC, transport_api_version: V3, grpc_services: [{ envoy_grpc: { cluster_name: xds } }] }
  cds_config: { ads: {}, resource_api_version: V3 }
  lds_config: { ads: {}, resource_api_version: V3 }
static_resources:
  clusters:
  - name: xds
    type: STATIC
    load_assignment: { cluster_name: xds, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 15010 } } } }] }] }
`;
}

function run(args, name) {
  const child = spawn(process.execPath, [weft, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? code}); stopping the demo`);
      stop(1);
    }
  });
  children.push(child);
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  clearInterval(traffic);
  clearInterval(report);
  for (const c of children) c.kill('SIGTERM');
  detailsClient?.client.close().catch(() => undefined);
  detailsRpc.close().catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
  setTimeout(() => process.exit(code), 500);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

startApps();
const detailsRpc = startDetails();
run(['control-plane', '--config-dir', configDir, '--xds-address', XDS, '--http-address', CP_HTTP, '--log-level', 'warn'], 'control plane');
for (const w of workloads) {
  const file = path.join(tmp, `${w.name}.yaml`);
  writeFileSync(file, bootstrapFor(w));
  run(['proxy', '-c', file, '--log-level', 'warn'], `${w.name} sidecar`);
}

const counts = { v1: 0, v2: 0, failed: 0 };
const traffic = setInterval(async () => {
  const r = await get('127.0.0.1', 9080, '/', 'productpage.demo.svc.cluster.local');
  if (r.status !== 200) counts.failed++;
  else if (r.body.includes('reviews-v2')) counts.v2++;
  else counts.v1++;
}, 50);
const report = setInterval(() => {
  const total = counts.v1 + counts.v2 + counts.failed;
  if (total === 0) return;
  const pct = (n) => `${Math.round((100 * n) / total)}%`;
  console.log(`last 5 s: ${total} requests  reviews-v1 ${pct(counts.v1)}  reviews-v2 ${pct(counts.v2)}  not answered yet/failed ${counts.failed}`);
  counts.v1 = counts.v2 = counts.failed = 0;
}, 5000);

console.log(`Weft demo mesh
  control plane   xDS ${XDS}, debug API http://${CP_HTTP}/debug/syncz (also /debug/configz, /debug/registryz)
  productpage     app 127.0.0.1:19080, sidecar ingress 127.0.0.1:9080 (admin :15000)
  reviews v1/v2   apps 127.0.0.1:19081/19082, sidecars 127.0.0.2/3:9080 (admin :15001, :15002)
  ratings         app 127.0.0.1:19083, sidecar 127.0.0.4:9080 (admin :15003)
  details (RPC)   SOFA Bolt app 127.0.0.1:19084, sidecar 127.0.0.5:12200 (admin :15004); productpage calls it via
                  its sidecar's Bolt port 127.0.0.1:12200 (rpc_proxy, routes from mesh/details-rpc.yaml)
  metrics         curl http://127.0.0.1:15000/stats/prometheus
  try it          curl -H 'host: productpage' http://127.0.0.1:9080/
  canary split    edit ${path.join(configDir, 'reviews-split.yaml')} (weights 90/10 now): applied live
Ctrl-C to stop.`);
