import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PORT } from './intercept-fixtures.js';
import { NetnsPair, netnsUnavailable, waitForLine, weftBin } from './netns.js';

const PROXY_UID = 1337;
const skip = netnsUnavailable();
if (skip !== undefined) console.error(`\n*** SKIPPING the control-plane interception test: ${skip} (CI runs it as root) ***\n`);

/** reviews (VIP 240.0.0.10:9080) is the app in the other namespace; the productpage sidecar is intercepted. */
function istioConfig(reviewsIp: string): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: productpage, namespace: bookinfo }
spec:
  workloadSelector: { labels: { app: productpage } }
  ingress:
  - port: { number: 9080, protocol: HTTP, name: http }
    defaultEndpoint: 127.0.0.1:9080
  egress:
  - hosts: [./*]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: bookinfo }
spec:
  hosts: [reviews.bookinfo.svc.cluster.local]
  addresses: [240.0.0.10]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 9080, name: http, protocol: HTTP }]
  endpoints: [{ address: ${reviewsIp} }]
`;
}

function sidecarBootstrap(): string {
  return `node:
  id: sidecar~10.77.0.1~productpage-v1.bookinfo~bookinfo.svc.cluster.local
  cluster: productpage.bookinfo
  metadata: { NAMESPACE: bookinfo, WORKLOAD_NAME: productpage-v1, LABELS: { app: productpage }, INTERCEPTION_MODE: REDIRECT }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${ADMIN_PORT} } } }
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services: [{ envoy_grpc: { cluster_name: xds } }]
  cds_config: { ads: {}, resource_api_version: V3, initial_fetch_timeout: 5s }
  lds_config: { ads: {}, resource_api_version: V3, initial_fetch_timeout: 5s }
static_resources:
  clusters:
  - name: xds
    type: STATIC
    load_assignment:
      cluster_name: xds
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 15010 } } } }] }]
`;
}

const REVIEWS_APP = `
require('node:http').createServer((req, res) => res.end(JSON.stringify({ host: req.headers.host, remote: req.socket.remoteAddress }))).listen(9080, '0.0.0.0', () => console.log('listening'));
`;

describe('an intercepted sidecar configured by the control plane (INTERCEPTION_MODE REDIRECT)', { skip: skip === undefined ? false : `needs root + iptables: ${skip}` }, () => {
  let pair: NetnsPair;
  let dir: string;

  before(async () => {
    pair = new NetnsPair('c');
    dir = mkdtempSync(path.join(os.tmpdir(), 'weft-intercept-cp-'));
    chmodSync(dir, 0o755);
    mkdirSync(path.join(dir, 'istio'));
    writeFileSync(path.join(dir, 'istio', 'bookinfo.yaml'), istioConfig(pair.ipB));
    writeFileSync(path.join(dir, 'sidecar.yaml'), sidecarBootstrap(), { mode: 0o644 });
    writeFileSync(path.join(dir, 'reviews.cjs'), REVIEWS_APP);
    // The service VIP has a route so that connect() reaches the nat OUTPUT chain.
    pair.route(pair.a, '240.0.0.0/8');
    await Promise.all([
      waitForLine(pair.start(pair.b, [process.execPath, path.join(dir, 'reviews.cjs')]), /listening/),
      waitForLine(pair.start(pair.a, [process.execPath, weftBin, 'control-plane', '--config-dir', path.join(dir, 'istio'), '--xds-address', '127.0.0.1:15010', '--http-address', '127.0.0.1:15014', '--debounce', '10']), /control plane listening/),
    ]);
    await waitForLine(pair.start(pair.a, [process.execPath, weftBin, 'proxy', '-c', path.join(dir, 'sidecar.yaml'), '--drain-time', '1'], { uid: PROXY_UID }), /weft proxy started/, 30000);
  });

  after(() => {
    pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the sidecar takes the virtual listeners; an app call to the service VIP is routed by the mesh config', async () => {
    const listeners = await pair.fetchText(pair.a, `http://127.0.0.1:${ADMIN_PORT}/listeners`);
    assert.deepEqual(listeners.trim().split('\n').sort(), ['0.0.0.0_9080::0.0.0.0:9080', 'virtualInbound::0.0.0.0:15006', 'virtualOutbound::0.0.0.0:15001']);
    const r = await pair.run(pair.a, [process.execPath, weftBin, 'intercept', 'on', '--admin', `127.0.0.1:${ADMIN_PORT}`, '--include-inbound-ports', '9080', '--json']);
    assert.equal(r.code, 0, r.stderr);
    // The app calls the VIP: iptables send it to 15001, the hand-off gives it to 0.0.0.0_9080, RDS routes it by
    // host to the reviews endpoint in the other namespace.
    const answer = JSON.parse(await pair.fetchText(pair.a, 'http://240.0.0.10:9080/reviews')) as { host: string; remote: string };
    assert.deepEqual(answer, { host: '240.0.0.10:9080', remote: pair.ipA });
    const stats = await pair.stats(pair.a, ADMIN_PORT);
    assert.equal(stats.get('listener.0.0.0.0_15001.downstream_cx_total'), 1);
    assert.equal(stats.get('listener.0.0.0.0_9080.downstream_cx_total'), 1);
    assert.equal(stats.get('http.outbound_0.0.0.0_9080.downstream_rq_total'), 1);
    assert.equal(stats.get('cluster.outbound|9080||reviews.bookinfo.svc.cluster.local.upstream_rq_200'), 1);
    assert.equal(stats.get('listener_manager.lds.update_rejected'), 0);
  });
});
