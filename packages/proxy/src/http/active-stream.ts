import { HeaderMap } from '../interfaces/header-map.js';
import {
  FilterStatus,
  type HttpRequest,
  type HttpResponseHead,
  type LocalReplyOptions,
  type StreamDecoderFilter,
  type StreamEncoderFilter,
  type StreamFilterCallbacks,
} from '../interfaces/http-filter.js';
import { ResponseFlag } from '../interfaces/response-flags.js';
import { StreamInfo } from '../interfaces/stream-info.js';
import type { RouteEntry } from '../router/route-table.js';
import type { HcmConfig } from './hcm-config.js';
import { buildLocalReply, isGrpcRequest } from './local-reply.js';
import { appendVia, mutateRequestHeaders } from './request-headers.js';
import type { ResponseEncoder } from './response-encoder.js';
import { recordHttpIstioMetrics } from './istio-recorder.js';
import { monotonicNow } from '../server/io-scope.js';
import { deadlineTimer, type Deadline } from '../server/deadline-queue.js';
import { upgradeAllowed } from './upgrade-config.js';

/** Where the stream is in its life. */
const enum Phase {
  Decoding,
  Complete,
  Destroyed,
}

/**
 * One HTTP request/response exchange: runs the decoder filters (router last) on the request and the encoder
 * filters on the response, applies the connection manager's header rules, and records stats and access logs once
 * at the end. Protocol-agnostic: the codec supplies a ResponseEncoder.
 */
export class ActiveStream implements StreamFilterCallbacks, HttpRequest {
  method = '';
  path = '';
  authority = '';
  scheme: 'http' | 'https' = 'http';
  headers: HeaderMap;
  protocol: string;
  /** For route matching and hash policies. */
  sourceIp = '';
  private rnd = -1;
  readonly info = new StreamInfo();
  route: RouteEntry | undefined;
  /** Response state. */
  responseStarted = false;
  responseComplete = false;
  requestComplete = false;
  /** Upgrade type of an Upgrade / CONNECT request, set by the codec before decodeHeaders ('' = none). */
  upgradeType = '';
  /** The upgrade was allowed: after the upstream accepts it, body data both ways is the tunnel payload. */
  upgraded = false;
  /** Set by the codec's closing decision; informs access logs. */
  internalRequest = true;

  private phase = Phase.Decoding;
  private decoders: StreamDecoderFilter[] = [];
  private encoders: StreamEncoderFilter[] = [];
  /** Index of the decoder that stopped iteration, -1 when none. */
  private stoppedAt = -1;
  private stoppedPhase: 'headers' | 'data' | 'trailers' = 'headers';
  private bufferedBody: Buffer[] | undefined;
  private bufferedEnd = false;
  private bufferedTrailers: HeaderMap | undefined;
  private isHeadRequest = false;
  private grpc = false;
  /** max_stream_duration: a deadline of its own, so the stream's other timers (idle, per codec) stay independent. */
  private durationTimer: Deadline | undefined;

  /** content-type application/grpc* (decided once when the request headers are processed). */
  get grpcRequest(): boolean {
    return this.grpc;
  }

  constructor(
    private readonly cfg: HcmConfig,
    private readonly encoder: ResponseEncoder,
    readonly connectionId: number,
    readonly downstreamRemoteIp: string,
    readonly connectionInfo: StreamInfo,
    headers: HeaderMap,
    protocol: string,
  ) {
    this.headers = headers;
    this.protocol = protocol;
    const info = this.info;
    info.startMonotonicMs = monotonicNow();
    info.protocol = protocol;
    info.copyDownstream(connectionInfo, connectionId);
    if (connectionInfo.downstreamTls !== undefined) this.scheme = 'https';
    info.requestHeaders = headers;
    cfg.stats.rqTotal.inc();
    if (protocol === 'HTTP/2') cfg.stats.rqHttp2Total.inc();
    else cfg.stats.rqHttp1Total.inc();
    cfg.stats.rqActive.inc();
  }

  /** A uint32 drawn once per stream, on first use (runtime fractions, weighted clusters). */
  get random(): number {
    if (this.rnd < 0) this.rnd = (Math.random() * 0x100000000) >>> 0;
    return this.rnd;
  }

  get request(): HttpRequest {
    return this;
  }

  get routeRequest(): ActiveStream {
    return this;
  }

  get localPort(): number {
    return this.info.downstreamLocalPort;
  }

  /** Starts processing once the codec has filled method/path/authority/headers. */
  decodeHeaders(endStream: boolean): void {
    const cfg = this.cfg;
    this.isHeadRequest = this.method === 'HEAD';
    this.grpc = isGrpcRequest(this.headers);
    const { clientIp, internal, requestId } = mutateRequestHeaders(this, cfg, this.downstreamRemoteIp, this.info.downstreamLocalPort, this.info.downstreamTls);
    this.sourceIp = clientIp;
    this.info.downstreamRemoteAddress = clientIp;
    this.internalRequest = internal;
    this.info.requestId = requestId;
    this.route = cfg.routeTable.select(this);
    if (this.route) this.info.routeName = this.route.name;
    if (this.upgradeType !== '' && !this.acceptUpgrade()) return;
    const routeMax = this.route?.action.kind === 'route' ? this.route.action.maxStreamDurationMs : undefined;
    const maxDuration = routeMax ?? cfg.maxStreamDurationMs;
    if (maxDuration > 0) cfg.ctx.deadlines.list(maxDuration).schedule((this.durationTimer = deadlineTimer(() => this.onMaxStreamDuration())));
    for (const f of cfg.filters) {
      const inst = f.create();
      if (inst.decoder) {
        inst.decoder.setDecoderCallbacks(this);
        this.decoders.push(inst.decoder);
      }
      if (inst.encoder) this.encoders.unshift(inst.encoder);
    }
    if (endStream) this.requestComplete = true;
    this.iterateHeaders(0, endStream);
  }

  /** Envoy: an upgrade the route (or, without a route entry for it, the connection manager) does not allow gets 403. */
  private acceptUpgrade(): boolean {
    const route = this.route;
    if (route === undefined) return true; // the router answers 404
    const cfg = this.cfg;
    const action = route.action;
    if (!upgradeAllowed(cfg.upgrades, action.kind === 'route' ? action.upgrades : undefined, this.upgradeType)) {
      cfg.stats.rqWsOnNonWsRoute.inc();
      // The bytes after the head may be upgrade payload: never parse them as another request.
      this.encoder.closeAfterResponse();
      this.sendLocalReply(403, '', { details: 'upgrade_failed' });
      return false;
    }
    this.upgraded = true;
    cfg.stats.cxUpgradesTotal.inc();
    cfg.stats.cxUpgradesActive.inc();
    return true;
  }

  decodeData(data: Buffer, endStream: boolean): void {
    if (this.phase !== Phase.Decoding) return;
    this.info.bytesReceived += data.length;
    if (endStream) this.requestComplete = true;
    if (this.stoppedAt >= 0) {
      (this.bufferedBody ??= []).push(data);
      if (endStream) this.bufferedEnd = true;
      return;
    }
    this.iterateData(0, data, endStream);
  }

  decodeTrailers(trailers: HeaderMap): void {
    if (this.phase !== Phase.Decoding) return;
    this.requestComplete = true;
    if (this.stoppedAt >= 0) {
      this.bufferedTrailers = trailers;
      return;
    }
    this.iterateTrailers(0, trailers);
  }

  /** The whole request has been received (codec end of message). */
  endRequest(): void {
    if (this.requestComplete) return;
    this.decodeData(EMPTY, true);
  }

  continueDecoding(): void {
    if (this.stoppedAt < 0 || this.phase !== Phase.Decoding) return;
    const from = this.stoppedAt + 1;
    const phase = this.stoppedPhase;
    this.stoppedAt = -1;
    if (phase === 'headers') {
      const noBody = this.requestComplete && !this.bufferedBody && !this.bufferedTrailers;
      if (!this.iterateHeaders(from, noBody)) return;
    }
    const body = this.bufferedBody;
    this.bufferedBody = undefined;
    if (body) {
      const data = body.length === 1 ? (body[0] as Buffer) : Buffer.concat(body);
      const end = this.bufferedEnd && !this.bufferedTrailers;
      if (!this.iterateData(phase === 'data' ? from : 0, data, end)) return;
    }
    const trailers = this.bufferedTrailers;
    this.bufferedTrailers = undefined;
    if (trailers) this.iterateTrailers(phase === 'trailers' ? from : 0, trailers);
  }

  private iterateHeaders(from: number, endStream: boolean): boolean {
    const decoders = this.decoders;
    for (let i = from; i < decoders.length; i++) {
      if (this.phase !== Phase.Decoding) return false;
      if ((decoders[i] as StreamDecoderFilter).decodeHeaders(endStream) === FilterStatus.StopIteration) {
        this.stop(i, 'headers');
        return false;
      }
    }
    return true;
  }

  private iterateData(from: number, data: Buffer, endStream: boolean): boolean {
    const decoders = this.decoders;
    for (let i = from; i < decoders.length; i++) {
      if (this.phase !== Phase.Decoding) return false;
      if ((decoders[i] as StreamDecoderFilter).decodeData(data, endStream) === FilterStatus.StopIteration) {
        if (i < decoders.length - 1) this.stop(i, 'data');
        return false;
      }
    }
    return true;
  }

  private iterateTrailers(from: number, trailers: HeaderMap): void {
    const decoders = this.decoders;
    for (let i = from; i < decoders.length; i++) {
      if (this.phase !== Phase.Decoding) return;
      if ((decoders[i] as StreamDecoderFilter).decodeTrailers(trailers) === FilterStatus.StopIteration) {
        if (i < decoders.length - 1) this.stop(i, 'trailers');
        return;
      }
    }
  }

  private stop(index: number, phase: 'headers' | 'data' | 'trailers'): void {
    // The terminal filter (router) always "stops": nothing follows it, so there is nothing to resume.
    if (index === this.decoders.length - 1) return;
    this.stoppedAt = index;
    this.stoppedPhase = phase;
  }

  sendLocalReply(status: number, body: string, options: LocalReplyOptions): void {
    if (this.phase !== Phase.Decoding) return;
    if (options.flags) this.info.setResponseFlag(options.flags);
    this.info.responseCodeDetails = options.details;
    if (this.responseStarted) {
      this.resetStream(options.details);
      return;
    }
    const reply = buildLocalReply(status, body, this.grpc, options.grpcStatus, options.headers);
    const hasBody = reply.body.length > 0 && !this.isHeadRequest;
    this.encodeHeaders({ status: reply.status, headers: reply.headers }, !hasBody);
    if (hasBody) this.encodeData(Buffer.from(reply.body), true);
  }

  encodeHeaders(head: HttpResponseHead, endStream: boolean): void {
    if (this.phase !== Phase.Decoding || this.responseStarted) return;
    this.responseStarted = true;
    for (const enc of this.encoders) enc.encodeHeaders(head, endStream);
    const cfg = this.cfg;
    const headers = head.headers;
    if (cfg.serverHeader === 'OVERWRITE') headers.set('server', cfg.serverName);
    else if (cfg.serverHeader === 'APPEND_IF_ABSENT') headers.setIfAbsent('server', cfg.serverName);
    if (cfg.alwaysSetRequestIdInResponse && this.info.requestId) headers.set('x-request-id', this.info.requestId);
    if (cfg.via) appendVia(headers, cfg.via);
    const info = this.info;
    info.responseCode = head.status;
    info.responseHeaders = headers;
    info.firstDownstreamTxByteMs = monotonicNow() - info.startMonotonicMs;
    if (!this.requestComplete) this.encoder.closeAfterResponse();
    this.encoder.encodeHeaders(head.status, headers, endStream || this.isHeadRequest);
    if (endStream) this.onResponseComplete();
  }

  encodeData(data: Buffer, endStream: boolean): boolean {
    if (this.phase !== Phase.Decoding || this.responseComplete) return true;
    for (const enc of this.encoders) enc.encodeData(data, endStream);
    let ok = true;
    if (this.isHeadRequest) {
      if (endStream) this.encoder.encodeData(EMPTY, true);
    } else {
      this.info.bytesSent += data.length;
      ok = this.encoder.encodeData(data, endStream);
    }
    if (endStream) this.onResponseComplete();
    return ok;
  }

  encodeTrailers(trailers: HeaderMap): void {
    if (this.phase !== Phase.Decoding || this.responseComplete) return;
    for (const enc of this.encoders) enc.encodeTrailers(trailers);
    this.info.responseTrailers = trailers;
    if (this.isHeadRequest) this.encoder.encodeData(EMPTY, true);
    else this.encoder.encodeTrailers(trailers);
    this.onResponseComplete();
  }

  readDisable(disable: boolean): void {
    this.encoder.readDisable(disable);
  }

  /** Filter-initiated abort (e.g. upstream reset after the response started). */
  resetStream(reason: string): void {
    if (this.phase !== Phase.Decoding) return;
    this.info.connectionTerminationDetails ||= reason;
    this.cfg.stats.rqTxReset.inc();
    this.encoder.resetStream();
    this.finish();
  }

  /** The downstream went away before the response completed. */
  onDownstreamReset(): void {
    if (this.phase !== Phase.Decoding) return;
    this.info.setResponseFlag(ResponseFlag.DownstreamConnectionTermination);
    this.cfg.stats.rqRxReset.inc();
    this.finish();
  }

  /** The downstream socket drained below its low watermark. */
  onDownstreamDrain(): void {
    for (const d of this.decoders) d.onDownstreamDrain?.();
  }

  private onResponseComplete(): void {
    this.responseComplete = true;
    const info = this.info;
    info.lastDownstreamTxByteMs = monotonicNow() - info.startMonotonicMs;
    this.finish();
  }

  /** max_stream_duration reached: 408 (a gRPC DEADLINE_EXCEEDED for gRPC), or a reset once the response started. */
  onMaxStreamDuration(): void {
    if (this.phase !== Phase.Decoding) return;
    this.cfg.stats.rqMaxDurationReached.inc();
    this.sendLocalReply(408, 'downstream duration timeout', { details: 'max_duration_timeout', grpcStatus: 4 });
  }

  private finish(): void {
    if (this.phase === Phase.Destroyed) return;
    this.phase = Phase.Destroyed;
    this.durationTimer?.cancel();
    const cfg = this.cfg;
    const info = this.info;
    info.durationMs = monotonicNow() - info.startMonotonicMs;
    const stats = cfg.stats;
    stats.rqActive.dec();
    if (this.upgraded) stats.cxUpgradesActive.dec();
    if (this.responseComplete) {
      stats.rqCompleted.inc();
      const cls = (info.responseCode / 100) | 0;
      if (cls >= 1 && cls <= 5) (stats.rqByClass[cls - 1] as { inc(): void }).inc();
    }
    stats.rqTime.record(info.durationMs);
    stats.rqRxBytes.record(info.bytesReceived);
    stats.rqTxBytes.record(info.bytesSent);
    for (const d of this.decoders) d.onDestroy();
    for (const e of this.encoders) e.onDestroy();
    const loggers = cfg.accessLoggers;
    if (loggers.length > 0) {
      const ctx = { info, method: this.method, path: this.path, authority: this.authority, scheme: this.scheme };
      for (const l of loggers) l.log(ctx);
    }
    recordHttpIstioMetrics(cfg, this);
  }

  get destroyed(): boolean {
    return this.phase === Phase.Destroyed;
  }
}

const EMPTY = Buffer.alloc(0);
export { EMPTY as EMPTY_BUFFER };
export { HeaderMap };
