import type { DetachedSocket, DownstreamConnection, Drainable } from '../interfaces/network-filter.js';
import type { RpcCodec, RpcConnectionCodec, RpcFrame } from '../interfaces/rpc-codec.js';
import { RpcProtocolError } from '../interfaces/rpc-codec.js';
import type { StreamInfo } from '../interfaces/stream-info.js';
import { Deadline, type DeadlineList, type DeadlineOwner } from '../server/deadline-queue.js';
import { deferToScopeEnd, enterIoScope, exitIoScope, type Deferred } from '../server/io-scope.js';
import { WriteBatch } from '../network/write-batch.js';
import type { RpcProxyConfig } from './rpc-config.js';
import { RpcActiveRequest, type RpcDownstream } from './rpc-request.js';
import type { RpcMuxConnection } from './upstream-mux.js';
import { receivedEof, startReading, stopReading } from '../network/socket-handoff.js';
import { clearArray } from '../server/clear-array.js';

/**
 * One downstream connection of the RPC proxy: detects the protocol (when several are configured), decodes frames,
 * answers heartbeats, runs one RpcActiveRequest per request, and writes responses back in whatever order they come.
 * A protocol error closes only this connection. Drain sends the protocol's GoAway (at once, or only once idle for
 * protocols whose clients drop the connection on it), lets in-flight calls finish, then closes. An idle session
 * can let go of its socket for a hot upgrade (`detachForUpgrade`); a busy one stops reading, finishes its calls and
 * then lets go (`detachWhenIdle`).
 */
export class RpcSession implements RpcDownstream, Drainable, DeadlineOwner, Deferred {
  readonly deadline = new Deadline(this);

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
  // Socket listeners, kept to be removed when the socket moves to another process.
  private readonly onDataCb = (chunk: Buffer): void => this.onData(chunk);
  private readonly onEndCb = (): void => this.onEnd();
  private readonly onCloseCb = (): void => this.onClose();
  private readonly onDrainCb = (): void => this.maybeResume();
  /** A pending detachWhenIdle(): its callback. */
  private detachDone: ((d: DetachedSocket | undefined) => void) | undefined;
  private flushWait = false;
  private drainAfterDetach = false;
  private readonly onFlushedCb = (): void => {
    this.flushWait = false;
    this.maybeFinishDetach();
  };

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
    s.on('data', this.onDataCb);
    s.on('end', this.onEndCb);
    s.on('close', this.onCloseCb);
    s.on('error', ignoreError); // 'close' follows
    s.on('drain', this.onDrainCb);
    this.idleList?.schedule(this.deadline);
    // Accepted during a drain (the listener still accepts): served, and closed once its calls are answered. Closing
    // it now would fail the call its client connected for.
    if (conn.draining) this.draining = true;
  }

  private useCodec(c: RpcCodec): void {
    this.codecDef = c;
    this.codec = c.createConnectionCodec({ maxFrameBytes: this.config.maxFrameBytes });
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    enterIoScope();
    try {
      this.idleList?.schedule(this.deadline);
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
      clearArray(frames);
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
    this.writeRange(backing ?? bytes.buffer, bytes.byteOffset, bytes.length);
  }

  writeRange(ab: ArrayBufferLike, offset: number, length: number): void {
    if (this.closed) return;
    const conn = this.conn;
    conn.info.bytesSent += length;
    const first = this.out.pendingBytes === 0;
    this.out.writeRange(ab, offset, length);
    // The client is not reading its responses: stop taking requests until it catches up. The socket's buffer only
    // grows when the batch is flushed at the end of the scope, so the scope's first write is the one to check.
    if (first && conn.socket.writableLength > conn.bufferLimitBytes) this.pause();
  }

  requestDone(req: RpcActiveRequest): void {
    const { prev, next } = req;
    if (prev !== null) prev.next = next;
    else if (this.first === req) this.first = next;
    if (next !== null) next.prev = prev;
    req.prev = req.next = null;
    this.active--;
    if (this.active !== 0) return;
    if (this.detachDone !== undefined) this.maybeFinishDetach();
    else if (this.draining) this.finishDrain();
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
    // While a detach is pending the socket must not read again.
    if (!this.paused || this.blockedOn > 0 || this.closed || this.detachDone !== undefined) return;
    if (this.conn.socket.writableLength > this.conn.bufferLimitBytes) return;
    this.paused = false;
    this.conn.socket.resume();
    this.config.stats.resumedReading.inc();
  }

  /** Idle timeout: only when no request is in flight. */
  onDeadline(): void {
    if (this.active > 0) {
      this.idleList?.schedule(this.deadline);
      return;
    }
    this.config.stats.cxIdleTimeout.inc();
    this.conn.info.connectionTerminationDetails = 'rpc_idle_timeout';
    this.out.end();
    this.close('idle timeout');
  }

  startDrain(): void {
    // A pending detach goes first: if it is cancelled, the drain starts then.
    if (this.detachDone !== undefined) {
      this.drainAfterDetach = true;
      return;
    }
    if (this.draining || this.closed) return;
    this.draining = true;
    if (this.active === 0) this.finishDrain();
    else if (this.codec !== undefined && this.codecDef.goAwayOnlyWhenIdle !== true) this.sendGoAway();
  }

  private finishDrain(): void {
    if (this.codec !== undefined && this.codecDef.goAwayOnlyWhenIdle === true) this.sendGoAway();
    this.config.stats.cxDrainClose.inc();
    this.out.end();
  }

  private sendGoAway(): void {
    const goaway = this.codec.encodeGoAway();
    if (goaway === undefined) return;
    this.config.stats.goawaySent.inc();
    this.write(goaway);
  }

  /**
   * Hot upgrade: with no call in flight, no response left to write and no drain under way, stops reading and lets
   * go of the socket with the bytes read but not decoded yet (a partial frame, or the bytes protocol detection was
   * still looking at). The session is gone afterwards, as if closed, but the socket stays open and untouched.
   */
  detachForUpgrade(): DetachedSocket | undefined {
    const s = this.conn.socket;
    // Responses held for the end of this read go to the socket first: they count as unwritten below.
    this.out.runDeferred();
    if (this.closed || this.draining || this.peerEnded || this.paused || this.active !== 0 || this.detachDone !== undefined) return undefined;
    if (s.destroyed || s.writableLength !== 0 || s.writableCorked !== 0 || s.writableEnded) return undefined;
    return this.letGo();
  }

  /** See Drainable.detachWhenIdle. Heartbeats and requests decoded before the stop are answered here. */
  detachWhenIdle(done: (d: DetachedSocket | undefined) => void): DetachedSocket | 'pending' | undefined {
    const now = this.detachForUpgrade();
    if (now !== undefined) return now;
    const s = this.conn.socket;
    if (this.closed || this.draining || this.peerEnded || this.detachDone !== undefined || s.destroyed || s.writableEnded) return undefined;
    // Bytes already read are this process's to serve (socket.read() would hand them to onData behind our back).
    s.off('data', this.onDataCb);
    const buffered = stopReading(s);
    s.on('data', this.onDataCb);
    for (const b of buffered) if (!this.closed) this.onData(b);
    if (this.closed) return undefined;
    if (receivedEof(s)) {
      // The client already half-closed: it cannot go on elsewhere. Finish here ('end' follows; nothing left to read).
      if (!this.paused) s.resume();
      return undefined;
    }
    this.detachDone = done;
    this.deadline.cancel(); // no idle timeout while detaching
    deferToScopeEnd(this); // maybe idle already (those bytes held only heartbeats or a partial frame)
    return 'pending';
  }

  cancelDetach(): void {
    const done = this.detachDone;
    if (done === undefined) return;
    this.detachDone = undefined;
    done(undefined);
    if (this.closed) return;
    this.idleList?.schedule(this.deadline);
    this.resumeReading();
    if (this.drainAfterDetach) this.startDrain();
  }

  private resumeReading(): void {
    const s = this.conn.socket;
    startReading(s);
    // A backpressure pause may have ended while the detach was pending (maybeResume held it back then): check now,
    // or the connection stays paused with nothing left to resume it.
    if (this.paused) this.maybeResume();
    else s.resume();
  }

  /** With a detach pending and no call left: once every response is flushed to the kernel, lets go. */
  private maybeFinishDetach(): void {
    if (this.detachDone === undefined || this.closed || this.active !== 0 || this.flushWait) return;
    const s = this.conn.socket;
    this.out.runDeferred();
    if (s.writableCorked !== 0) {
      deferToScopeEnd(this); // after the write batch uncorks
      return;
    }
    if (s.writableLength !== 0) {
      // Backpressure: an empty write completes after everything queued before it.
      this.flushWait = true;
      s.write(EMPTY, this.onFlushedCb);
      return;
    }
    const done = this.detachDone;
    this.detachDone = undefined;
    done(this.letGo());
  }

  runDeferred(): void {
    this.maybeFinishDetach();
  }

  /**
   * Removes this session from the socket, stops its reading, and returns it with its unread bytes: the codec's partial
   * frame (or the bytes protocol detection was still looking at), then what the socket buffer still held.
   */
  private letGo(): DetachedSocket {
    const s = this.conn.socket;
    s.off('data', this.onDataCb);
    s.off('end', this.onEndCb);
    s.off('close', this.onCloseCb);
    s.off('drain', this.onDrainCb);
    s.off('error', ignoreError);
    // The listener's no-op 'error' handler stays: the socket may still error before it is handed over.
    const buffered = stopReading(s);
    const kept = this.codec === undefined ? this.head : this.codec.takePartial();
    this.head = undefined;
    const parts = kept !== undefined && kept.length > 0 ? [kept, ...buffered] : buffered;
    this.closed = true;
    this.deadline.cancel();
    this.config.stats.cxActive.dec();
    return { socket: s, unread: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts) };
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
    const done = this.detachDone;
    this.detachDone = undefined;
    done?.(undefined);
    this.deadline.cancel();
    this.config.stats.cxActive.dec();
    let r = this.first;
    while (r !== null) {
      const next = r.next;
      r.downstreamClosed();
      r = next;
    }
  }
}

function ignoreError(): void {}

const EMPTY = Buffer.alloc(0);
