import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, envoyType, messageFromJson } from '@weft/api';
import type { DeltaDiscoveryRequest__Output } from '@weft/api/envoy/envoy/service/discovery/v3/DeltaDiscoveryRequest.js';
import type { DiscoveryRequest__Output } from '@weft/api/envoy/envoy/service/discovery/v3/DiscoveryRequest.js';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
const WILDCARD = new Set(['type.googleapis.com/envoy.config.cluster.v3.Cluster', 'type.googleapis.com/envoy.config.listener.v3.Listener']);

/** A request the server received, decoded, with the index of the stream it came on. */
export type ReceivedRequest =
  | { readonly kind: 'sotw'; readonly stream: number; readonly req: DiscoveryRequest__Output }
  | { readonly kind: 'delta'; readonly stream: number; readonly req: DeltaDiscoveryRequest__Output };

interface StoredResource {
  readonly version: string;
  readonly bytes: Uint8Array;
}

interface SotwSub {
  names: string[];
  nonce: string;
}

interface DeltaSub {
  wildcard: boolean;
  names: Set<string>;
  /** What the client has, by name: version. */
  sent: Map<string, string>;
}

interface Stream {
  readonly id: number;
  readonly call: grpc.ServerDuplexStream<Buffer, Buffer>;
  readonly delta: boolean;
  readonly sotw: Map<string, SotwSub>;
  readonly deltaSubs: Map<string, DeltaSub>;
}

function typeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

/**
 * A minimal ADS server (SotW and Delta) for tests: holds resources per type (written as proto3 JSON), pushes them to
 * subscribed streams, and records every request so tests can check ACKs, NACKs, nonces, node identity and
 * initial_resource_versions. Not a control plane: no snapshots per node, no NACK tracking beyond not resending.
 */
export class FakeAdsServer {
  readonly requests: ReceivedRequest[] = [];
  private readonly server = new grpc.Server();
  private readonly resources = new Map<string, Map<string, StoredResource>>();
  private readonly versions = new Map<string, string>();
  private readonly streams = new Set<Stream>();
  private readonly waiters: Array<{ pred: (r: ReceivedRequest) => boolean; resolve: (r: ReceivedRequest) => void }> = [];
  private nextStream = 0;
  private nextNonce = 0;
  port = 0;

  static async start(port = 0): Promise<FakeAdsServer> {
    const s = new FakeAdsServer();
    await s.listen(port);
    return s;
  }

  private async listen(port: number): Promise<void> {
    const raw = (b: Buffer): Buffer => b;
    const def = (name: string): grpc.MethodDefinition<Buffer, Buffer> => ({
      path: SERVICE + name,
      requestStream: true,
      responseStream: true,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    });
    this.server.addService(
      { StreamAggregatedResources: def('StreamAggregatedResources'), DeltaAggregatedResources: def('DeltaAggregatedResources') },
      {
        StreamAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.onStream(call, false),
        DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.onStream(call, true),
      },
    );
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
  }

  /** Number of streams open now. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Replaces every resource of a type (each given in proto3 JSON, named by `name`/`cluster_name`) under a new
   * version and pushes the change to subscribed streams.
   */
  set(typeUrl: string, version: string, resources: readonly unknown[]): void {
    const map = new Map<string, StoredResource>();
    const tn = typeName(typeUrl);
    for (const json of resources) {
      const msg = messageFromJson<Record<string, unknown>>(tn, json);
      const name = (msg['name'] ?? msg['cluster_name']) as string;
      const bytes = encodeMessage(tn, msg);
      const old = this.resources.get(typeUrl)?.get(name);
      // A resource keeps its version while its bytes are unchanged (Delta sends only what changed).
      const same = old !== undefined && Buffer.compare(Buffer.from(old.bytes), Buffer.from(bytes)) === 0;
      map.set(name, { version: same ? old.version : version, bytes });
    }
    this.resources.set(typeUrl, map);
    this.versions.set(typeUrl, version);
    for (const s of this.streams) this.push(s, typeUrl);
  }

  /** Resolves with the first request (already received or future) that matches. */
  waitFor(pred: (r: ReceivedRequest) => boolean, timeoutMs = 5000): Promise<ReceivedRequest> {
    const found = this.requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('FakeAdsServer.waitFor timed out')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
    });
  }

  /** Stops serving: open streams are cancelled (the client sees the control plane go away). */
  stop(): Promise<void> {
    for (const s of this.streams) s.call.destroy(new Error('fake ADS server stopped'));
    this.streams.clear();
    this.server.forceShutdown();
    return Promise.resolve();
  }

  private onStream(call: grpc.ServerDuplexStream<Buffer, Buffer>, delta: boolean): void {
    const stream: Stream = { id: this.nextStream++, call, delta, sotw: new Map(), deltaSubs: new Map() };
    this.streams.add(stream);
    call.sendMetadata(new grpc.Metadata());
    call.on('data', (bytes: Buffer) => (delta ? this.onDelta(stream, bytes) : this.onSotw(stream, bytes)));
    const done = (): void => {
      this.streams.delete(stream);
    };
    call.on('end', () => {
      done();
      call.end();
    });
    call.on('error', done);
    call.on('cancelled', done);
  }

  private record(r: ReceivedRequest): void {
    this.requests.push(r);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w && w.pred(r)) {
        this.waiters.splice(i, 1);
        w.resolve(r);
      }
    }
  }

  private onSotw(s: Stream, bytes: Buffer): void {
    const req = decodeMessage<DiscoveryRequest__Output>('envoy.service.discovery.v3.DiscoveryRequest', bytes);
    this.record({ kind: 'sotw', stream: s.id, req });
    const sub = s.sotw.get(req.type_url);
    if (sub && req.response_nonce !== sub.nonce) return; // stale
    const names = [...req.resource_names].sort();
    const changed = !sub || names.join('\0') !== sub.names.join('\0');
    s.sotw.set(req.type_url, { names, nonce: sub?.nonce ?? '' });
    const current = this.versions.get(req.type_url);
    if (current !== undefined && (changed || (!req.error_detail && req.version_info !== current))) this.push(s, req.type_url);
  }

  private onDelta(s: Stream, bytes: Buffer): void {
    const req = decodeMessage<DeltaDiscoveryRequest__Output>('envoy.service.discovery.v3.DeltaDiscoveryRequest', bytes);
    this.record({ kind: 'delta', stream: s.id, req });
    let sub = s.deltaSubs.get(req.type_url);
    if (!sub) {
      const wildcard = WILDCARD.has(req.type_url) && (req.resource_names_subscribe.length === 0 || req.resource_names_subscribe.includes('*'));
      sub = { wildcard, names: new Set(), sent: new Map(Object.entries(req.initial_resource_versions)) };
      s.deltaSubs.set(req.type_url, sub);
    }
    for (const n of req.resource_names_subscribe) if (n !== '*') sub.names.add(n);
    for (const n of req.resource_names_unsubscribe) {
      sub.names.delete(n);
      sub.sent.delete(n);
    }
    if (req.response_nonce === '') this.push(s, req.type_url);
  }

  private push(s: Stream, typeUrl: string): void {
    const all = this.resources.get(typeUrl) ?? new Map<string, StoredResource>();
    const nonce = String(++this.nextNonce);
    if (!s.delta) {
      const sub = s.sotw.get(typeUrl);
      if (!sub) return;
      const wanted = WILDCARD.has(typeUrl) || sub.names.length === 0 ? [...all.keys()] : sub.names.filter((n) => all.has(n));
      sub.nonce = nonce;
      const msg = {
        version_info: this.versions.get(typeUrl) ?? '',
        type_url: typeUrl,
        nonce,
        resources: wanted.map((n) => ({ type_url: typeUrl, value: (all.get(n) as StoredResource).bytes })),
      };
      s.call.write(Buffer.from(encodeMessage('envoy.service.discovery.v3.DiscoveryResponse', msg)));
      return;
    }
    const sub = s.deltaSubs.get(typeUrl);
    if (!sub) return;
    const interested = (n: string): boolean => sub.wildcard || sub.names.has(n);
    const resources = [];
    for (const [name, r] of all) {
      if (!interested(name) || sub.sent.get(name) === r.version) continue;
      resources.push({ name, version: r.version, resource: { type_url: typeUrl, value: r.bytes } });
      sub.sent.set(name, r.version);
    }
    const removed = [...sub.sent.keys()].filter((n) => !all.has(n) && interested(n));
    for (const n of removed) sub.sent.delete(n);
    if (resources.length === 0 && removed.length === 0) return;
    const msg = { system_version_info: this.versions.get(typeUrl) ?? '', type_url: typeUrl, nonce, resources, removed_resources: removed };
    s.call.write(Buffer.from(encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', msg)));
  }
}

/** Loads the proto tree up front (a first decode inside a test would otherwise take a while). */
export function preloadAdsProtos(): void {
  envoyType('envoy.service.discovery.v3.DiscoveryResponse');
}
