import { Server, ServerCredentials, type ServerDuplexStream, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { decodeMessage } from '@weft/api';
import { SILENT_LOGGER, type AdsStream, type StreamContext, type StreamDebugView, type XdsLogger } from './ads-stream.js';
import { DeltaStream } from './delta-stream.js';
import { decodeDeltaDiscoveryRequest, decodeDiscoveryRequest, type DeltaDiscoveryRequest__Output, type DiscoveryRequest__Output } from './messages.js';
import { PushQueue } from './push-queue.js';
import { SendBudget } from './send-budget.js';
import type { SnapshotChange, SnapshotProvider } from './snapshot.js';
import { SotwStream } from './sotw-stream.js';
import { messageTypeName, orderTypes, shortTypeName } from './type-urls.js';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';

export interface AdsServerOptions {
  readonly provider: SnapshotProvider;
  /** Changes are collected this long before one push (default 100 ms; 0 pushes at once). */
  readonly debounceMs?: number;
  readonly logger?: XdsLogger;
  readonly debugNameLimit?: number;
  /** Response bytes handed to gRPC but not yet written, across streams, before further responses queue (32 MiB). */
  readonly maxBytesInFlight?: number;
}

export interface PushStats {
  pushes: number;
  lastPushStreams: number;
  lastPushMs: number;
}

type AnyStream = AdsStream<DiscoveryRequest__Output> | AdsStream<DeltaDiscoveryRequest__Output>;

function identity(b: Buffer): Buffer {
  return b;
}

/** Service definition with our own (de)serializers: requests decoded by protobufjs, responses pre-encoded. */
export const ADS_SERVICE: ServiceDefinition = {
  StreamAggregatedResources: {
    path: `${SERVICE}StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: decodeDiscoveryRequest,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  DeltaAggregatedResources: {
    path: `${SERVICE}DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: decodeDeltaDiscoveryRequest,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** The ADS service: owns the streams, turns provider changes into debounced, scoped pushes. */
export class AdsServer {
  private readonly streams = new Set<AnyStream>();
  private readonly ctx: StreamContext;
  private readonly queue: PushQueue;
  private readonly unsubscribe: () => void;
  readonly stats: PushStats = { pushes: 0, lastPushStreams: 0, lastPushMs: 0 };

  constructor(private readonly options: AdsServerOptions) {
    this.ctx = {
      provider: options.provider, logger: options.logger ?? SILENT_LOGGER, debugNameLimit: options.debugNameLimit ?? 20,
      budget: new SendBudget(options.maxBytesInFlight ?? 32 * 1024 * 1024),
    };
    this.queue = new PushQueue(options.debounceMs ?? 100, (change) => this.push(change));
    this.unsubscribe = options.provider.onChange((change) => this.queue.enqueue(change));
  }

  implementation(): UntypedServiceImplementation {
    return {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest__Output, Buffer>) => this.attach(new SotwStream('sotw', call, this.ctx), call),
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest__Output, Buffer>) => this.attach(new DeltaStream('delta', call, this.ctx), call),
    };
  }

  private attach<Req>(stream: AdsStream<Req>, call: ServerDuplexStream<Req, Buffer>): void {
    this.streams.add(stream as AnyStream);
    const detach = (): void => {
      if (!this.streams.delete(stream as AnyStream)) return;
      stream.markClosed();
      this.ctx.logger.info({ proxy: stream.node?.id, stream: stream.id }, 'ADS stream closed');
    };
    call.on('data', (req: Req) => {
      if (stream.isClosed) return;
      try {
        stream.onRequest(req);
      } catch (err) {
        this.ctx.logger.warn({ proxy: stream.node?.id, err }, 'ADS request failed');
        stream.fail(13, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    call.on('end', () => {
      detach();
      call.end();
    });
    call.on('error', detach);
    call.on('cancelled', detach);
    call.on('close', detach);
  }

  /** Pushes one (merged) change to the streams it concerns. */
  private push(change: SnapshotChange): void {
    const started = performance.now();
    let count = 0;
    for (const stream of this.streams) {
      const node = stream.node;
      if (!node || stream.isClosed) continue;
      if (change.proxies && !change.proxies.has(node.id)) continue;
      count++;
      try {
        stream.push(this.options.provider.snapshotFor(node), change.types);
      } catch (err) {
        this.ctx.logger.warn({ proxy: node.id, err }, 'ADS push failed');
        stream.fail(13, `internal error: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.stats.pushes++;
    this.stats.lastPushStreams = count;
    this.stats.lastPushMs = performance.now() - started;
  }

  /** Pushes queued changes now (tests, shutdown). */
  flush(): void {
    this.queue.flushNow();
  }

  /** /debug/syncz: every connected stream with its per-type versions, ACKs and last NACK. */
  syncz(): StreamDebugView[] {
    return [...this.streams].filter((s) => s.node).map((s) => s.debugView());
  }

  /** /debug/config_dump: what a proxy currently holds from us, decoded; undefined when it is not connected. */
  configDump(proxyId: string): Record<string, unknown> | undefined {
    const streams = [...this.streams].filter((s) => s.node?.id === proxyId);
    if (streams.length === 0) return undefined;
    return {
      proxy: proxyId,
      streams: streams.map((s) => {
        const snapshot = this.options.provider.snapshotFor(s.node as NonNullable<typeof s.node>);
        const types: Record<string, unknown> = {};
        for (const typeUrl of orderTypes(s.types.keys())) {
          const state = s.types.get(typeUrl);
          if (!state) continue;
          const byName = snapshot.resources.get(typeUrl);
          const resources: unknown[] = [];
          for (const [name, version] of state.sent) {
            const r = byName?.get(name);
            if (!r || r.version !== version) continue;
            resources.push({ name, version, resource: { '@type': typeUrl, ...decodeMessage<object>(messageTypeName(typeUrl), r.body) } });
          }
          types[shortTypeName(typeUrl)] = { version: state.sentVersion, ackedVersion: state.ackedVersion, resources };
        }
        return { stream: s.id, variant: s.variant, types };
      }),
    };
  }

  close(): void {
    this.unsubscribe();
    this.queue.close();
    for (const s of this.streams) s.markClosed();
    this.streams.clear();
  }
}

/** Starts a gRPC server carrying the ADS service; resolves with the bound port. */
export function listenAds(ads: AdsServer, address: string): Promise<{ server: Server; port: number }> {
  const server = new Server({ 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': 16 * 1024 * 1024 });
  server.addService(ADS_SERVICE, ads.implementation());
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
      if (err) reject(err);
      else resolve({ server, port });
    });
  });
}
