// Loaded only when the bootstrap has dynamic_resources: it pulls in @grpc/grpc-js and the protobufjs reflection tree.
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, envoyType } from '@weft/api';
import type { Node__Output } from '@weft/api/envoy/envoy/config/core/v3/Node.js';
import { logger } from '../../server/logger.js';
import { WEFT_VERSION } from '../../server/version.js';
import type { AdsConfig } from './ads-config.js';
import { Backoff, NACK_CODE, normalizeNames, resourceName, sameNames, TypeState } from './ads-stream-state.js';
import { XDS_TYPES, type XdsResource, type XdsSink } from './xds-types.js';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService/';
const REQ = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESP = 'envoy.service.discovery.v3.DiscoveryResponse';
const DELTA_REQ = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
const DELTA_RESP = 'envoy.service.discovery.v3.DeltaDiscoveryResponse';

interface RawAny {
  type_url: string;
  value: Uint8Array;
}
interface RawResponse {
  version_info: string;
  resources: RawAny[];
  type_url: string;
  nonce: string;
}
interface RawDeltaResponse {
  system_version_info: string;
  resources: Array<{ name: string; version: string; resource: RawAny | null }>;
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

/** Decodes an Any into the generated `__Output` shape, checking it holds the response's type. */
function decodeAny(any: RawAny, typeUrl: string): unknown {
  if (any.type_url !== typeUrl) throw new Error(`resource of type '${any.type_url}' in a ${typeUrl} response`);
  return decodeMessage(typeUrl.slice(typeUrl.lastIndexOf('/') + 1), any.value);
}

/**
 * The proxy's ADS client (SotW `StreamAggregatedResources` or Delta `DeltaAggregatedResources`): subscribes to
 * CDS/LDS (wildcard) and EDS/RDS (names from the sink), hands every response to the sink, ACKs or NACKs it, and
 * reconnects with jittered exponential back-off. The sink keeps serving its last accepted config meanwhile.
 */
export class AdsClient {
  private readonly client: grpc.Client;
  private readonly states = new Map<string, TypeState>(XDS_TYPES.map((t) => [t, new TypeState(t)]));
  private readonly backoff: Backoff;
  private readonly node: Record<string, unknown>;
  private call: grpc.ClientDuplexStream<object, Buffer> | undefined;
  private sentNode = false;
  private connected = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly config: AdsConfig,
    private readonly sink: XdsSink,
  ) {
    this.client = new grpc.Client(config.target, grpc.credentials.createInsecure(), { 'grpc.initial_reconnect_backoff_ms': config.backoffBaseMs });
    this.backoff = new Backoff(config.backoffBaseMs, config.backoffMaxMs);
    this.node = nodeIdentity(config.node);
    envoyType(RESP); // load the proto tree now, not on the first response
  }

  start(): void {
    this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.call?.cancel();
    this.call = undefined;
    this.client.close();
  }

  /** Sends subscription changes for EDS/RDS (call after the sink's interests may have changed). */
  refreshSubscriptions(): void {
    if (!this.call) return;
    for (const st of this.states.values()) {
      if (st.wildcard) continue;
      const names = normalizeNames(this.sink.names(st.typeUrl));
      if (st.requested && sameNames(names, st.subscribed)) continue;
      if (!st.requested && names.length === 0) continue;
      if (this.config.delta) this.sendDeltaSubscription(st, names);
      else this.sendSotw(st, names, undefined);
    }
  }

  private connect(): void {
    if (this.closed) return;
    const delta = this.config.delta;
    const method = SERVICE + (delta ? 'DeltaAggregatedResources' : 'StreamAggregatedResources');
    const reqType = delta ? DELTA_REQ : REQ;
    const call = this.client.makeBidiStreamRequest(method, (m: object) => Buffer.from(encodeMessage(reqType, m)), (b: Buffer) => b);
    this.call = call;
    this.sentNode = false;
    for (const st of this.states.values()) st.resetStream();
    call.on('metadata', () => this.setConnected(true));
    call.on('data', (bytes: Buffer) => {
      this.setConnected(true);
      this.backoff.reset();
      if (delta) this.onDelta(bytes);
      else this.onSotw(bytes);
    });
    call.on('error', (err: Error) => logger().warn({ err: err.message, target: this.config.target }, 'xDS stream error'));
    call.on('status', () => this.onStreamClosed(call));
    call.on('end', () => this.onStreamClosed(call));
    // Initial subscriptions: wildcard CDS and LDS, then EDS/RDS names still wanted from before a reconnect.
    for (const st of this.states.values()) {
      if (!st.wildcard) continue;
      if (delta) this.sendDeltaSubscription(st, []);
      else this.sendSotw(st, [], undefined);
    }
    this.refreshSubscriptions();
  }

  private onStreamClosed(call: grpc.ClientDuplexStream<object, Buffer>): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.setConnected(false);
    if (this.closed) return;
    const delay = this.backoff.next();
    logger().info({ target: this.config.target, delayMs: delay }, 'xDS stream closed; reconnecting');
    // Not unref'd: a proxy waiting for its first config has nothing else keeping it alive, and must keep retrying.
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private setConnected(up: boolean): void {
    if (this.connected === up) return;
    this.connected = up;
    this.sink.onConnection(up);
  }

  private withNode(req: Record<string, unknown>): Record<string, unknown> {
    if (!this.sentNode || !this.config.setNodeOnFirstMessageOnly) req['node'] = this.node;
    this.sentNode = true;
    return req;
  }

  private sendSotw(st: TypeState, names: readonly string[], error: string | undefined): void {
    st.requested = true;
    st.subscribed = names;
    const req: Record<string, unknown> = { version_info: st.version, resource_names: [...names], type_url: st.typeUrl, response_nonce: st.nonce };
    if (error !== undefined) req['error_detail'] = { code: NACK_CODE, message: error };
    this.call?.write(this.withNode(req));
  }

  private sendDeltaSubscription(st: TypeState, names: readonly string[]): void {
    const req: Record<string, unknown> = { type_url: st.typeUrl };
    if (!st.requested) {
      req['resource_names_subscribe'] = [...names];
      req['initial_resource_versions'] = Object.fromEntries(st.known);
    } else {
      req['resource_names_subscribe'] = names.filter((n) => !st.subscribed.includes(n));
      req['resource_names_unsubscribe'] = st.subscribed.filter((n) => !names.includes(n));
      // Unsubscribed resources are forgotten by both sides.
      for (const n of req['resource_names_unsubscribe'] as string[]) st.known.delete(n);
    }
    st.requested = true;
    st.subscribed = names;
    this.call?.write(this.withNode(req));
  }

  private onSotw(bytes: Buffer): void {
    const resp = envoyType(RESP).decode(bytes) as unknown as RawResponse;
    const st = this.states.get(resp.type_url);
    if (!st) {
      logger().warn({ typeUrl: resp.type_url }, 'xDS response for an unknown type ignored');
      return;
    }
    st.nonce = resp.nonce;
    let error: string | undefined;
    try {
      const upserts: XdsResource[] = [];
      const seen = new Set<string>();
      resp.resources.forEach((any, i) => {
        const resource = decodeAny(any, st.typeUrl);
        const name = resourceName(resource);
        if (seen.has(name)) throw new Error(`duplicate resource name '${name}' (resources[${i}])`);
        seen.add(name);
        upserts.push({ name, version: resp.version_info, resource });
      });
      // SotW: a CDS/LDS response is the whole set, so what it omits is removed; EDS/RDS name theirs.
      const removes = st.wildcard ? [...st.known.keys()].filter((n) => !seen.has(n)) : [];
      this.sink.apply({ typeUrl: st.typeUrl, version: resp.version_info, upserts, removes });
      if (st.wildcard) st.known.clear();
      for (const r of upserts) st.known.set(r.name, r.version);
      st.version = resp.version_info;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      logger().warn({ typeUrl: st.typeUrl, version: resp.version_info, error }, 'xDS update rejected');
    }
    this.sendSotw(st, st.wildcard ? [] : st.subscribed, error);
    this.refreshSubscriptions();
  }

  private onDelta(bytes: Buffer): void {
    const resp = envoyType(DELTA_RESP).decode(bytes) as unknown as RawDeltaResponse;
    const st = this.states.get(resp.type_url);
    if (!st) {
      logger().warn({ typeUrl: resp.type_url }, 'xDS response for an unknown type ignored');
      return;
    }
    st.nonce = resp.nonce;
    const req: Record<string, unknown> = { type_url: st.typeUrl, response_nonce: resp.nonce };
    try {
      const upserts: XdsResource[] = [];
      for (const r of resp.resources) {
        if (!r.resource) continue; // a TTL heartbeat carries no body
        upserts.push({ name: r.name, version: r.version, resource: decodeAny(r.resource, st.typeUrl) });
      }
      const removes = resp.removed_resources.filter((n) => st.known.has(n) || !st.wildcard);
      this.sink.apply({ typeUrl: st.typeUrl, version: resp.system_version_info, upserts, removes });
      for (const n of resp.removed_resources) st.known.delete(n);
      for (const r of upserts) st.known.set(r.name, r.version);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      req['error_detail'] = { code: NACK_CODE, message };
      logger().warn({ typeUrl: st.typeUrl, error: message }, 'xDS update rejected');
    }
    this.call?.write(this.withNode(req));
    this.refreshSubscriptions();
  }
}

/** The bootstrap node, identified as Weft (user_agent_name / user_agent_version). */
function nodeIdentity(node: Node__Output | null): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(node ?? {}), user_agent_name: 'weft', user_agent_version: WEFT_VERSION };
  delete out['user_agent_build_version'];
  delete out['user_agent_version_type'];
  return out;
}

export type { RawAny };
