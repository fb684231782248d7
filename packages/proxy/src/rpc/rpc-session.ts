import type { DownstreamConnection, Drainable } from '../interfaces/network-filter.js';
import type { RpcCodec, RpcConnectionCodec, RpcFrame } from '../interfaces/rpc-codec.js';
import { RpcProtocolError } from '../interfaces/rpc-codec.js';
import type { StreamInfo } from '../interfaces/stream-info.js';
import type { DeadlineList, DeadlineNode } from '../server/deadline-queue.js';
import { enterIoScope, exitIoScope } from '../server/io-scope.js';
import { WriteBatch } from '../network/write-batch.js';
import type { RpcProxyConfig } from './rpc-config.js';
import { RpcActiveRequest, type RpcDownstream } from './rpc-request.js';
import type { RpcMuxConnection } from './upstream-mux.js';

/**
 * One downstream connection of the RPC proxy: detects the protocol (when several are configured), decodes frames,
 * answers heartbeats, runs one RpcActiveRequest per request, and writes responses back in whatever order they come.
 * A protocol error closes only this connection. Drain sends the protocol's GoAway, lets in-flight calls finish,
 * then closes.
 */
export class RpcSession implements RpcDownstream, Drainable, DeadlineNode {
  deadlinePrev: DeadlineNode | null = null;
  deadlineNext: DeadlineNode | null = null;
  deadlineAt = 0;
  deadlineList: DeadlineList | null = null;

  codecDef!: RpcCodec;
  codec!: RpcConnectionCodec;
  private head: Buffer | undefined;
  private readonly frames: RpcFrame[] = [];
  private first: RpcActiveRequest | null = null;
  private active = 0;
  private closed = false;
  private draining = false;
  private peerEnded = false;
  private paused = false;
  private blockedOn = 0;
  private readonly idleList: DeadlineList | undefined;
  /** Responses of one read go out in one writev. */
  private readonly out: WriteBatch;

  constructor(
    readonly config: RpcProxyConfig,
    private readonly conn: DownstreamConnection,
  ) {
    this.out = new WriteBatch(conn.socket);
    this.idleList = config.idleTimeoutMs > 0 ? config.ctx.deadlines.list(config.idleTimeoutMs) : undefined;
    if (config.codecs.length === 1) this.useCodec(config.codecs[0] as RpcCodec);
  }

  get connInfo(): StreamInfo {
    return this.conn.info;
  }

  start(): void {
    const { config, conn } = this;
    config.stats.cxTotal.inc();
    config.stats.cxActive.inc();
    conn.setDrainable(this);
    const s = conn.socket;
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('end', () => this.onEnd());
    s.on('close', () => this.onClose());
    s.on('error', () => undefined); // 'close' follows
    s.on('drain', () => this.maybeResume());
    this.idleList?.schedule(this);
    if (conn.draining) this.startDrain();
  }

  private useCodec(c: RpcCodec): void {
    this.codecDef = c;
    this.codec = c.createConnectionCodec({ maxFrameBytes: this.config.maxFrameBytes });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    enterIoScope();
    try {
      this.idleList?.schedule(this);
      this.conn.info.bytesReceived += chunk.length;
      if (this.codec === undefined) {
        const data = this.head === undefined ? chunk : Buffer.concat([this.head, chunk]);
        if (!this.detect(data)) return;
        chunk = data;
        this.head = undefined;
      }
      const frames = this.frames;
      try {
        this.codec.decode(chunk, frames);
      } catch (err) {
        if (!(err instanceof RpcProtocolError)) throw err;
        frames.length = 0;
        this.protocolError(err.message);
        return;
      }
      for (let i = 0; i < frames.length && !this.closed; i++) this.onFrame(frames[i] as RpcFrame);
      frames.length = 0;
    } finally {
      exitIoScope();
    }
  }

  /** Picks the protocol from the first bytes; false while undecided (the bytes are kept) or on failure. */
  private detect(data: Buffer): boolean {
    let undecided = false;
    for (const c of this.config.codecs) {
      const m = c.match(data);
      if (m === 'yes') {
        this.useCodec(c);
        return true;
      }
      if (m === 'need-more') undecided = true;
    }
    if (undecided && data.length < this.config.maxFrameBytes) {
      this.head = data;
      return false;
    }
    this.config.stats.unknownCodec.inc();
    this.protocolError('unknown protocol');
    return false;
  }

  private onFrame(f: RpcFrame): void {
    // A client's answer to nothing we sent, or its own GoAway: neither is routed nor answered.
    if (f.kind !== 'request' || f.goAway === true) return;
    if (f.heartbeat) {
      this.config.stats.requestHeartbeat.inc();
      this.write(this.codec.encodeHeartbeatReply(f));
      return;
    }
    const req = new RpcActiveRequest(this, f);
    req.next = this.first;
    if (this.first !== null) this.first.prev = req;
    this.first = req;
    this.active++;
    req.start();
  }

  write(bytes: Buffer, backing?: ArrayBufferLike): void {
    if (this.closed) return;
    const s = this.conn.socket;
    this.conn.info.bytesSent += bytes.length;
    this.out.write(bytes, backing);
    // The client is not reading its responses: stop taking requests until it catches up.
    if (s.writableLength > this.conn.bufferLimitBytes) this.pause();
  }

  requestDone(req: RpcActiveRequest): void {
    const { prev, next } = req;
    if (prev !== null) prev.next = next;
    else if (this.first === req) this.first = next;
    if (next !== null) next.prev = prev;
    req.prev = req.next = null;
    this.active--;
    if (this.active !== 0) return;
    if (this.draining) this.finishDrain();
    else if (this.peerEnded) this.out.end();
  }

  blockOn(conn: RpcMuxConnection): void {
    if (conn.blocked.has(this)) return;
    conn.blocked.add(this);
    this.blockedOn++;
    this.pause();
  }

  onUpstreamDrain(): void {
    this.blockedOn--;
    this.maybeResume();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.conn.socket.pause();
    this.config.stats.pausedReading.inc();
  }

  private maybeResume(): void {
    if (!this.paused || this.blockedOn > 0 || this.closed) return;
    if (this.conn.socket.writableLength > this.conn.bufferLimitBytes) return;
    this.paused = false;
    this.conn.socket.resume();
    this.config.stats.resumedReading.inc();
  }

  /** Idle timeout: only when no request is in flight. */
  onDeadline(): void {
    if (this.active > 0) {
      this.idleList?.schedule(this);
      return;
    }
    this.config.stats.cxIdleTimeout.inc();
    this.conn.info.connectionTerminationDetails = 'rpc_idle_timeout';
    this.out.end();
    this.close('idle timeout');
  }

  startDrain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    if (this.codec !== undefined) {
      const goaway = this.codec.encodeGoAway();
      if (goaway !== undefined) {
        this.config.stats.goawaySent.inc();
        this.write(goaway);
      }
    }
    if (this.active === 0) this.finishDrain();
  }

  private finishDrain(): void {
    this.config.stats.cxDrainClose.inc();
    this.out.end();
  }

  close(reason: string): void {
    this.conn.info.connectionTerminationDetails ||= reason;
    this.conn.socket.destroy();
    this.onClose();
  }

  private protocolError(message: string): void {
    this.config.stats.cxProtocolError.inc();
    this.conn.info.connectionTerminationDetails = `rpc_protocol_error: ${message}`;
    this.close('protocol error');
  }

  private onEnd(): void {
    // The client sent everything it will send: answer what is in flight, then close.
    this.peerEnded = true;
    if (this.active === 0) this.out.end();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.deadlineList?.cancel(this);
    this.config.stats.cxActive.dec();
    let r = this.first;
    while (r !== null) {
      const next = r.next;
      r.downstreamClosed();
      r = next;
    }
  }
}
