import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Node__Output } from '@weft/api/envoy/envoy/config/core/v3/Node.js';
import type { SendBudget } from './send-budget.js';
import type { ProxyNode, ProxySnapshot, SnapshotProvider } from './snapshot.js';
import { TypeState } from './stream-state.js';
import { shortTypeName, type TypeUrl } from './type-urls.js';

export type ChangedTypes = ReadonlyMap<TypeUrl, ReadonlySet<string> | undefined> | undefined;

export interface XdsLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
}

export const SILENT_LOGGER: XdsLogger = { info: () => {}, warn: () => {} };

export interface StreamContext {
  readonly provider: SnapshotProvider;
  readonly logger: XdsLogger;
  /** How many subscribed names /debug/syncz lists per type before truncating. */
  readonly debugNameLimit: number;
  readonly budget: SendBudget;
}

/** Debug view of one stream (/debug/syncz). */
export interface StreamDebugView {
  readonly stream: number;
  readonly proxy: string;
  readonly cluster: string;
  readonly variant: 'sotw' | 'delta';
  readonly connectedAt: string;
  readonly bytesSent: number;
  readonly queuedResponses: number;
  readonly types: Record<string, unknown>;
}

let nextStreamId = 1;

/** State shared by the SotW and Delta handlers of one ADS stream. */
export abstract class AdsStream<Req> {
  readonly id = nextStreamId++;
  readonly connectedAt = new Date().toISOString();
  node: ProxyNode | undefined;
  readonly types = new Map<TypeUrl, TypeState>();
  bytesSent = 0;
  private nonceCounter = 0;
  private closed = false;
  /** Responses waiting for the send budget, in order. */
  private readonly backlog: Buffer[] = [];
  /** Bytes of ours handed to gRPC and not yet written (released to the budget on close). */
  private inFlight = 0;

  constructor(
    readonly variant: 'sotw' | 'delta',
    private readonly call: ServerDuplexStream<Req, Buffer>,
    protected readonly ctx: StreamContext,
  ) {}

  /** Handles one request; false when the stream was failed. */
  abstract onRequest(req: Req): void;

  /** Sends what `changed` implies for this stream, given its (possibly new) snapshot. */
  abstract push(snapshot: ProxySnapshot, changed: ChangedTypes): void;

  get isClosed(): boolean {
    return this.closed;
  }

  markClosed(): void {
    this.closed = true;
    this.backlog.length = 0;
    const held = this.inFlight;
    this.inFlight = 0;
    if (held > 0) this.ctx.budget.release(held);
  }

  protected snapshot(): ProxySnapshot {
    return this.ctx.provider.snapshotFor(this.node as ProxyNode);
  }

  protected nextNonce(): string {
    return String(++this.nonceCounter);
  }

  protected typeState(typeUrl: TypeUrl): { state: TypeState; first: boolean } {
    const existing = this.types.get(typeUrl);
    if (existing) return { state: existing, first: false };
    const state = new TypeState(typeUrl);
    this.types.set(typeUrl, state);
    return { state, first: true };
  }

  /** Binds the stream to the node of its first request; fails the stream when there is none. */
  protected acceptNode(node: Node__Output | null, typeUrl: string): boolean {
    if (!this.node) {
      if (!node || node.id === '') {
        this.fail(status.INVALID_ARGUMENT, 'the first request on an ADS stream must carry node.id');
        return false;
      }
      this.node = { id: node.id, cluster: node.cluster, node };
      this.ctx.logger.info({ proxy: node.id, stream: this.id, variant: this.variant }, 'ADS stream opened');
    }
    if (typeUrl === '') {
      this.fail(status.INVALID_ARGUMENT, 'type_url is required on ADS requests');
      return false;
    }
    return true;
  }

  protected write(bytes: Buffer): void {
    if (this.closed) return;
    this.bytesSent += bytes.length;
    if (this.backlog.length > 0 || !this.ctx.budget.tryTake(bytes.length)) {
      this.backlog.push(bytes);
      this.ctx.budget.wait(this);
      return;
    }
    this.transmit(bytes);
  }

  drainBacklog(): boolean {
    while (this.backlog.length > 0 && !this.closed) {
      const next = this.backlog[0] as Buffer;
      if (!this.ctx.budget.tryTake(next.length)) return false;
      this.backlog.shift();
      this.transmit(next);
    }
    return true;
  }

  private transmit(bytes: Buffer): void {
    this.inFlight += bytes.length;
    this.call.write(bytes, () => {
      if (this.closed) return; // released on close
      this.inFlight -= bytes.length;
      this.ctx.budget.release(bytes.length);
    });
  }

  fail(code: status, details: string): void {
    if (this.closed) return;
    this.markClosed();
    this.ctx.logger.warn({ proxy: this.node?.id, stream: this.id, details }, 'ADS stream failed');
    this.call.emit('error', { code, details, metadata: undefined });
  }

  debugView(): StreamDebugView {
    const types: Record<string, unknown> = {};
    for (const [typeUrl, s] of this.types) {
      const names = [...s.names];
      types[shortTypeName(typeUrl)] = {
        typeUrl,
        wildcard: s.wildcard,
        subscribed: names.length > this.ctx.debugNameLimit ? { count: names.length, first: names.slice(0, this.ctx.debugNameLimit) } : names,
        resources: s.sent.size,
        sentVersion: s.sentVersion,
        ackedVersion: s.ackedVersion,
        nonce: s.nonce,
        responses: s.responses,
        acks: s.acks,
        nacks: s.nacks,
        lastNack: s.lastNack ?? null,
      };
    }
    return {
      stream: this.id,
      proxy: this.node?.id ?? '',
      cluster: this.node?.cluster ?? '',
      variant: this.variant,
      connectedAt: this.connectedAt,
      bytesSent: this.bytesSent,
      queuedResponses: this.backlog.length,
      types,
    };
  }
}
