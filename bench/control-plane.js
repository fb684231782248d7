// Control-plane xDS benchmark: N services (clusters + ClusterLoadAssignments), M endpoints, C simulated ADS clients
// (half Delta, half SotW) in a separate process. Measures time to first full config for all clients, time for one
// endpoint change to reach every client (p50/p99), bytes sent per change, and the control plane's RSS and CPU.
//   npm run bench:control-plane
//   node bench/control-plane.js --clients=50 --services=100 --endpoints=1000 --changes=3
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AdsServer, CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, listenAds, resourceFromMessage, ROUTE_TYPE, StaticSnapshotProvider } from '@weft/control-plane';
import { summarizeLatencies } from './lib/percentiles.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    services: { type: 'string', default: '1000' },
    endpoints: { type: 'string', default: '10000' },
    changes: { type: 'string', default: '5' },
    debounce: { type: 'string', default: '100' },
  },
});
const nClients = Number(values.clients);
const nServices = Number(values.services);
const perService = Math.max(1, Math.round(Number(values.endpoints) / nServices));
const nChanges = Number(values.changes);
const debounceMs = Number(values.debounce);
const now = () => performance.timeOrigin + performance.now();
const mb = (b) => (b / 1024 / 1024).toFixed(1);

function cla(i, generation) {
  const lb_endpoints = [];
  for (let j = 0; j < perService; j++) {
    const port = j === 0 ? 8000 + generation : 8000;
    lb_endpoints.push({ endpoint: { address: { socket_address: { address: `10.${(i >> 8) & 255}.${i & 255}.${j + 1}`, port_value: port } } } });
  }
  return resourceFromMessage(ENDPOINT_TYPE, { cluster_name: `svc-${i}`, endpoints: [{ locality: { zone: 'z' }, lb_endpoints }] });
}

function buildResources() {
  const out = [];
  const vhosts = [];
  for (let i = 0; i < nServices; i++) {
    const name = `svc-${i}`;
    out.push(resourceFromMessage(CLUSTER_TYPE, { name, type: 'EDS', connect_timeout: { seconds: 1 }, eds_cluster_config: { eds_config: { ads: {} } } }));
    out.push(cla(i, 0));
    vhosts.push({ name, domains: [`${name}.mesh.local`], routes: [{ match: { prefix: '/' }, route: { cluster: name } }] });
  }
  out.push(resourceFromMessage(ROUTE_TYPE, { name: 'outbound', virtual_hosts: vhosts }));
  out.push(
    resourceFromMessage(LISTENER_TYPE, {
      name: 'outbound',
      address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                stat_prefix: 'outbound',
                rds: { route_config_name: 'outbound', config_source: { ads: {} } },
                http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
              },
            },
          ],
        },
      ],
    }),
  );
  return out;
}

function totalBytes(ads) {
  return ads.syncz().reduce((s, v) => s + v.bytesSent, 0);
}

async function main() {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const t0 = now();
  const resources = buildResources();
  const buildMs = now() - t0;
  const provider = new StaticSnapshotProvider(resources);
  const ads = new AdsServer({ provider, debounceMs });
  const { server, port } = await listenAds(ads, '127.0.0.1:0');

  const child = fork(fileURLToPath(new URL('./control-plane-clients.js', import.meta.url)), [`--port=${port}`, `--clients=${nClients}`, `--services=${nServices}`], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const inbox = [];
  let wake;
  child.on('message', (m) => {
    if (m.type === 'error') console.error(`client error: ${m.message}`);
    else {
      inbox.push(m);
      wake?.();
    }
  });
  const next = async (type, timeoutMs = 60000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`timed out waiting for '${type}'`);
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
  };

  const cpu0 = process.cpuUsage();
  const ready = await next('ready');
  const cpuInitial = process.cpuUsage(cpu0);
  if (globalThis.gc) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 300));
    globalThis.gc();
  }
  const memAfterInitial = process.memoryUsage();
  const rssAfterInitial = memAfterInitial.rss;
  const initialBytes = totalBytes(ads);

  const latencies = [];
  const perChange = [];
  const cpu1 = process.cpuUsage();
  for (let k = 1; k <= nChanges; k++) {
    const svc = (k * 7919) % nServices;
    child.send({ type: 'watch', cluster: `svc-${svc}` });
    await next('armed');
    const before = totalBytes(ads);
    const start = now();
    provider.update([cla(svc, k)], []);
    const arrived = await next('arrived');
    for (const a of arrived.arrivals) latencies.push(a - start);
    const pushMs = ads.stats.lastPushMs;
    await new Promise((r) => setTimeout(r, 50));
    perChange.push({ bytes: totalBytes(ads) - before, resources: arrived.resources, pushMs, lastMs: Math.max(...arrived.arrivals) - start });
  }
  const cpuChanges = process.cpuUsage(cpu1);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const lat = summarizeLatencies(latencies);
  const maxRes = (v) => Math.max(0, ...perChange.flatMap((c) => c.resources[v]));
  const bytesPerChange = perChange.reduce((s, c) => s + c.bytes, 0) / perChange.length;
  const rows = [
    ['setup', `${nServices} services, ${nServices * perService} endpoints, ${nClients} clients (${Math.ceil(nClients / 2)} Delta, ${Math.floor(nClients / 2)} SotW), debounce ${debounceMs} ms`, ''],
    ['resources built + encoded', `${buildMs.toFixed(0)} ms`, ''],
    ['first full config, all clients', `${ready.ms.toFixed(0)} ms (${mb(initialBytes)} MB sent, CP CPU ${((cpuInitial.user + cpuInitial.system) / 1000).toFixed(0)} ms)`, ''],
    ['endpoint change -> all clients p50', `${lat.p50Ms.toFixed(1)} ms`, ''],
    ['endpoint change -> all clients p99', `${lat.p99Ms.toFixed(1)} ms`, ''],
    ['endpoint change -> last client (max)', `${Math.max(...perChange.map((c) => c.lastMs)).toFixed(1)} ms`, '< 1000 ms'],
    ['push fan-out (CP time per change)', `${(perChange.reduce((s, c) => s + c.pushMs, 0) / perChange.length).toFixed(1)} ms`, ''],
    ['bytes sent per change (all clients)', `${(bytesPerChange / 1024).toFixed(1)} KiB (${(bytesPerChange / nClients).toFixed(0)} B/client)`, ''],
    ['resources per change response', `Delta max ${maxRes('delta')}, SotW max ${maxRes('sotw')}`, 'Delta = 1'],
    ['CP CPU for the changes', `${((cpuChanges.user + cpuChanges.system) / 1000).toFixed(0)} ms for ${nChanges} changes`, ''],
    ['CP RSS after first config / peak', `${mb(rssAfterInitial)} MB / ${mb(peakRss)} MB`, '< 500 MB'],
    ['  of which JS heap / buffers', `${mb(memAfterInitial.heapUsed)} MB / ${mb(memAfterInitial.arrayBuffers)} MB`, ''],
  ];
  const checks = [Math.max(...perChange.map((c) => c.lastMs)) < 1000, maxRes('delta') === 1, peakRss < 500 * 1024 * 1024];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log('\nweft control plane — xDS push benchmark\n');
  for (const [k, v, target] of rows) console.log(`  ${k.padEnd(w)}  ${v}${target ? `   [target ${target}]` : ''}`);
  console.log(`\n  targets: ${checks.every(Boolean) ? 'all met' : 'NOT met'} (change < 1 s: ${checks[0]}, Delta sends only the changed resource: ${checks[1]}, RSS < 500 MB: ${checks[2]})\n`);

  child.send({ type: 'stop' });
  await new Promise((r) => child.once('exit', r));
  ads.close();
  server.forceShutdown();
  return checks.every(Boolean) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
