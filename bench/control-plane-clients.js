// Simulated ADS clients for bench/control-plane.js, in their own process (forked with an IPC channel).
// Each client: CDS wildcard, EDS named (every service), LDS wildcard, RDS named; it ACKs every response.
// Responses are read with a minimal protobuf walker (no full decode) so the clients stay cheap.
import { performance } from 'node:perf_hooks';
import { Client, credentials } from '@grpc/grpc-js';
import { envoyType } from '@weft/api';

const PREFIX = 'type.googleapis.com/';
const CDS = `${PREFIX}envoy.config.cluster.v3.Cluster`;
const EDS = `${PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`;
const LDS = `${PREFIX}envoy.config.listener.v3.Listener`;
const RDS = `${PREFIX}envoy.config.route.v3.RouteConfiguration`;

const now = () => performance.timeOrigin + performance.now();

/** Top-level length-delimited fields of a message: [[field, start, end], ...] (varint fields skipped). */
function fields(buf, start = 0, end = buf.length) {
  const out = [];
  let i = start;
  const varint = () => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = buf[i++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (i < end) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      out.push([tag >>> 3, i, i + len]);
      i += len;
    } else if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}
const str = (buf, s, e) => buf.toString('utf8', s, e);

/** { typeUrl, nonce, version, names[], removed[], bytes } of a (Delta)DiscoveryResponse. */
function readResponse(buf, delta) {
  const r = { typeUrl: '', nonce: '', version: '', names: [], removed: [], bytes: buf.length };
  for (const [f, s, e] of fields(buf)) {
    if (f === 1) r.version = str(buf, s, e);
    else if (f === 4) r.typeUrl = str(buf, s, e);
    else if (f === 5) r.nonce = str(buf, s, e);
    else if (f === 6 && delta) r.removed.push(str(buf, s, e));
    else if (f === 2) {
      if (delta) {
        for (const [g, gs, ge] of fields(buf, s, e)) if (g === 3) r.names.push(str(buf, gs, ge));
      } else {
        // Any{type_url=1, value=2}: the name is field 1 of every xDS resource message (CLA: cluster_name).
        for (const [g, gs, ge] of fields(buf, s, e)) {
          if (g !== 2) continue;
          const first = fields(buf, gs, ge).find(([h]) => h === 1);
          if (first) r.names.push(str(buf, first[1], first[2]));
        }
      }
    }
  }
  return r;
}

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const port = Number(args.port);
const nClients = Number(args.clients);
const nServices = Number(args.services);
const serviceNames = Array.from({ length: nServices }, (_, i) => `svc-${i}`);
const expected = { [CDS]: nServices, [EDS]: nServices, [LDS]: 1, [RDS]: 1 };

const sotwReq = envoyType('envoy.service.discovery.v3.DiscoveryRequest');
const deltaReq = envoyType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
const encSotw = (o) => Buffer.from(sotwReq.encode(sotwReq.fromObject(o)).finish());
const encDelta = (o) => Buffer.from(deltaReq.encode(deltaReq.fromObject(o)).finish());

let watch; // { cluster, arrivals: Map<clientIndex, time>, resourcesPerResponse: [] }
let complete = 0;
const startedAt = now();
const clients = [];

function send(msg) {
  process.send(msg);
}

class SimClient {
  constructor(index, delta) {
    this.index = index;
    this.delta = delta;
    this.held = new Map([[CDS, new Set()], [EDS, new Set()], [LDS, new Set()], [RDS, new Set()]]);
    this.done = false;
    this.client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
    });
    const method = delta ? 'DeltaAggregatedResources' : 'StreamAggregatedResources';
    this.call = this.client.makeBidiStreamRequest(`/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`, (b) => b, (b) => b);
    this.call.on('data', (buf) => this.onResponse(buf));
    this.call.on('error', (e) => {
      if (e.code !== 1) send({ type: 'error', message: `client ${index}: ${e.details}` });
    });
    const node = { id: `sim-${index}`, cluster: 'bench', locality: { zone: 'z' } };
    if (delta) {
      this.call.write(encDelta({ node, type_url: CDS }));
      this.call.write(encDelta({ type_url: EDS, resource_names_subscribe: serviceNames }));
      this.call.write(encDelta({ type_url: LDS }));
      this.call.write(encDelta({ type_url: RDS, resource_names_subscribe: ['outbound'] }));
    } else {
      this.names = { [CDS]: [], [EDS]: serviceNames, [LDS]: [], [RDS]: ['outbound'] };
      this.call.write(encSotw({ node, type_url: CDS }));
      for (const t of [EDS, LDS, RDS]) this.call.write(encSotw({ type_url: t, resource_names: this.names[t] }));
    }
  }

  onResponse(buf) {
    const at = now();
    const r = readResponse(buf, this.delta);
    const held = this.held.get(r.typeUrl);
    for (const n of r.names) held.add(n);
    for (const n of r.removed) held.delete(n);
    if (this.delta) this.call.write(encDelta({ type_url: r.typeUrl, response_nonce: r.nonce }));
    else this.call.write(encSotw({ type_url: r.typeUrl, version_info: r.version, response_nonce: r.nonce, resource_names: this.names[r.typeUrl] }));
    if (!this.done && [...this.held].every(([t, s]) => s.size >= expected[t])) {
      this.done = true;
      complete++;
      if (complete === nClients) send({ type: 'ready', ms: at - startedAt });
    }
    if (watch && r.typeUrl === EDS && r.names.includes(watch.cluster) && !watch.arrivals.has(this.index)) {
      watch.arrivals.set(this.index, at);
      watch.resources[this.delta ? 'delta' : 'sotw'].push(r.names.length);
      watch.bytes += r.bytes;
      if (watch.arrivals.size === nClients) send({ type: 'arrived', arrivals: [...watch.arrivals.values()], resources: watch.resources, bytes: watch.bytes });
    }
  }

  close() {
    this.call.cancel();
    this.client.close();
  }
}

process.on('message', (msg) => {
  if (msg.type === 'watch') {
    watch = { cluster: msg.cluster, arrivals: new Map(), resources: { delta: [], sotw: [] }, bytes: 0 };
    send({ type: 'armed' });
  } else if (msg.type === 'stop') {
    for (const c of clients) c.close();
    process.disconnect();
  }
});

for (let i = 0; i < nClients; i++) clients.push(new SimClient(i, i % 2 === 0));
