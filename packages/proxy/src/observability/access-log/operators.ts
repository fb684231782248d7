import { ConfigError } from '@weft/api/lite';
import { ResponseFlag, formatResponseFlags } from '../../interfaces/response-flags.js';
import type { HeaderMap } from '../../interfaces/header-map.js';
import type { StreamInfo } from '../../interfaces/stream-info.js';
import type { AccessLogContext } from './context.js';
import { DEFAULT_START_TIME_FORMAT, StartTimeFormatter } from './start-time.js';

/** Operator codes; a part is evaluated by one switch, no closure per part or per request. */
const Op = {
  Literal: 0,
  StartTime: 1,
  Req: 2,
  Resp: 3,
  Trailer: 4,
  ReqWithoutQuery: 5,
  ResponseCode: 6,
  ResponseCodeDetails: 7,
  ConnectionTerminationDetails: 8,
  ResponseFlags: 9,
  ResponseFlagsLong: 10,
  BytesReceived: 11,
  BytesSent: 12,
  Duration: 13,
  RequestDuration: 14,
  ResponseDuration: 15,
  ResponseTxDuration: 16,
  UpstreamHost: 17,
  UpstreamHostWithoutPort: 18,
  UpstreamCluster: 19,
  UpstreamLocalAddress: 20,
  UpstreamTransportFailureReason: 21,
  DownstreamRemoteAddress: 22,
  DownstreamRemoteAddressWithoutPort: 23,
  DownstreamLocalAddress: 24,
  DownstreamLocalAddressWithoutPort: 25,
  DownstreamDirectRemoteAddress: 26,
  DownstreamDirectRemoteAddressWithoutPort: 27,
  RequestedServerName: 28,
  RouteName: 29,
  Protocol: 30,
  UpstreamRequestAttemptCount: 31,
  Constant: 32,
  ConnectionId: 33,
  VirtualClusterName: 34,
  DownstreamLocalPort: 35,
  DownstreamRemotePort: 36,
  Missing: 37,
  DownstreamPeerUriSan: 38,
  DownstreamLocalUriSan: 39,
  DownstreamPeerSubject: 40,
  DownstreamLocalSubject: 41,
  DownstreamPeerIssuer: 42,
  DownstreamTlsVersion: 43,
  DownstreamTlsCipher: 44,
  DownstreamPeerFingerprint256: 45,
  DownstreamPeerSerial: 46,
  DownstreamPeerDnsSan: 47,
  DownstreamLocalDnsSan: 48,
} as const;

/** Operators without arguments, by name. */
const SIMPLE: Record<string, number> = {
  RESPONSE_CODE: Op.ResponseCode,
  RESPONSE_CODE_DETAILS: Op.ResponseCodeDetails,
  CONNECTION_TERMINATION_DETAILS: Op.ConnectionTerminationDetails,
  RESPONSE_FLAGS: Op.ResponseFlags,
  RESPONSE_FLAGS_LONG: Op.ResponseFlagsLong,
  BYTES_RECEIVED: Op.BytesReceived,
  BYTES_SENT: Op.BytesSent,
  DURATION: Op.Duration,
  REQUEST_DURATION: Op.RequestDuration,
  RESPONSE_DURATION: Op.ResponseDuration,
  RESPONSE_TX_DURATION: Op.ResponseTxDuration,
  UPSTREAM_HOST: Op.UpstreamHost,
  UPSTREAM_REMOTE_ADDRESS: Op.UpstreamHost,
  UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: Op.UpstreamHostWithoutPort,
  UPSTREAM_CLUSTER: Op.UpstreamCluster,
  UPSTREAM_LOCAL_ADDRESS: Op.UpstreamLocalAddress,
  UPSTREAM_TRANSPORT_FAILURE_REASON: Op.UpstreamTransportFailureReason,
  DOWNSTREAM_REMOTE_ADDRESS: Op.DownstreamRemoteAddress,
  DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT: Op.DownstreamRemoteAddressWithoutPort,
  DOWNSTREAM_REMOTE_PORT: Op.DownstreamRemotePort,
  DOWNSTREAM_LOCAL_ADDRESS: Op.DownstreamLocalAddress,
  DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT: Op.DownstreamLocalAddressWithoutPort,
  DOWNSTREAM_LOCAL_PORT: Op.DownstreamLocalPort,
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS: Op.DownstreamDirectRemoteAddress,
  DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT: Op.DownstreamDirectRemoteAddressWithoutPort,
  REQUESTED_SERVER_NAME: Op.RequestedServerName,
  ROUTE_NAME: Op.RouteName,
  PROTOCOL: Op.Protocol,
  UPSTREAM_REQUEST_ATTEMPT_COUNT: Op.UpstreamRequestAttemptCount,
  CONNECTION_ID: Op.ConnectionId,
  VIRTUAL_CLUSTER_NAME: Op.VirtualClusterName,
  DOWNSTREAM_PEER_URI_SAN: Op.DownstreamPeerUriSan,
  DOWNSTREAM_LOCAL_URI_SAN: Op.DownstreamLocalUriSan,
  DOWNSTREAM_PEER_DNS_SAN: Op.DownstreamPeerDnsSan,
  DOWNSTREAM_LOCAL_DNS_SAN: Op.DownstreamLocalDnsSan,
  DOWNSTREAM_PEER_SUBJECT: Op.DownstreamPeerSubject,
  DOWNSTREAM_LOCAL_SUBJECT: Op.DownstreamLocalSubject,
  DOWNSTREAM_PEER_ISSUER: Op.DownstreamPeerIssuer,
  DOWNSTREAM_TLS_VERSION: Op.DownstreamTlsVersion,
  DOWNSTREAM_TLS_CIPHER: Op.DownstreamTlsCipher,
  DOWNSTREAM_PEER_FINGERPRINT_256: Op.DownstreamPeerFingerprint256,
  DOWNSTREAM_PEER_SERIAL: Op.DownstreamPeerSerial,
};

const NUMERIC = new Set<number>([
  Op.ResponseCode, Op.BytesReceived, Op.BytesSent, Op.Duration, Op.RequestDuration, Op.ResponseDuration,
  Op.ResponseTxDuration, Op.UpstreamRequestAttemptCount, Op.ConnectionId, Op.DownstreamLocalPort, Op.DownstreamRemotePort,
]);

/** Envoy's long flag names (`%RESPONSE_FLAGS_LONG%`), in print order. */
const LONG_NAMES: ReadonlyArray<readonly [number, string]> = Object.entries(ResponseFlag).map(([k, bit]) => [
  bit,
  k === 'OverloadManager' ? 'OverloadManagerTerminated' : k === 'DropOverLoad' ? 'DropOverload' : k,
]);

export function formatResponseFlagsLong(flags: number): string {
  if (flags === 0) return '-';
  let out = '';
  for (const [bit, name] of LONG_NAMES) if ((flags & bit) !== 0) out = out ? `${out},${name}` : name;
  return out;
}

export type FormatValue = string | number | null;

/** One compiled piece of a format string: a literal or an operator. */
export class FormatPart {
  constructor(
    readonly op: number,
    /** Literal text, or the constant value of %HOSTNAME% / %ENVIRONMENT(X)%. */
    readonly text: string,
    /** REQ/RESP/TRAILER: lower-case header and its `?` alternative ('' if none). */
    readonly header: string,
    readonly altHeader: string,
    /** -1 when no `:N`. */
    readonly maxLength: number,
    readonly startTime: StartTimeFormatter | undefined,
  ) {}

  get isLiteral(): boolean {
    return this.op === Op.Literal;
  }

  /** Whether the operator yields a number (JSON output prints it unquoted). */
  get isNumeric(): boolean {
    return NUMERIC.has(this.op);
  }

  /** The value, or null when not available (printed `-` in text). */
  value(ctx: AccessLogContext): FormatValue {
    const info = ctx.info;
    switch (this.op) {
      case Op.Literal: return this.text;
      case Op.Constant: return this.truncate(this.text);
      case Op.StartTime: return (this.startTime as StartTimeFormatter).format(info.startTimeMs);
      case Op.Req: return this.headerValue(reqHeader(ctx, this.header) ?? (this.altHeader ? reqHeader(ctx, this.altHeader) : undefined));
      case Op.ReqWithoutQuery: {
        const v = reqHeader(ctx, this.header) ?? (this.altHeader ? reqHeader(ctx, this.altHeader) : undefined);
        if (v === undefined) return null;
        const q = v.indexOf('?');
        return this.truncate(q === -1 ? v : v.slice(0, q));
      }
      case Op.Resp: return this.headerValue(respHeader(info, info.responseHeaders, this.header) ?? (this.altHeader ? respHeader(info, info.responseHeaders, this.altHeader) : undefined));
      case Op.Trailer: return this.headerValue(info.responseTrailers?.get(this.header) ?? (this.altHeader ? info.responseTrailers?.get(this.altHeader) : undefined));
      case Op.ResponseCode: return info.responseCode;
      case Op.ResponseCodeDetails: return this.str(info.responseCodeDetails);
      case Op.ConnectionTerminationDetails: return this.str(info.connectionTerminationDetails);
      case Op.ResponseFlags: return formatResponseFlags(info.responseFlags);
      case Op.ResponseFlagsLong: return formatResponseFlagsLong(info.responseFlags);
      case Op.BytesReceived: return info.bytesReceived;
      case Op.BytesSent: return info.bytesSent;
      case Op.Duration: return ms(info.durationMs);
      case Op.RequestDuration: return ms(info.lastDownstreamRxByteMs);
      case Op.ResponseDuration: return ms(info.firstUpstreamRxByteMs);
      case Op.ResponseTxDuration:
        return info.lastDownstreamTxByteMs < 0 || info.firstUpstreamRxByteMs < 0 ? null : ms(info.lastDownstreamTxByteMs - info.firstUpstreamRxByteMs);
      case Op.UpstreamHost: return this.str(info.upstreamHost);
      case Op.UpstreamHostWithoutPort: return this.str(withoutPort(info.upstreamHost));
      case Op.UpstreamCluster: return this.str(info.upstreamCluster);
      case Op.UpstreamLocalAddress: return this.str(info.upstreamLocalAddress);
      case Op.UpstreamTransportFailureReason: return this.str(info.upstreamTransportFailureReason);
      case Op.DownstreamRemoteAddress: return this.str(withPort(info.downstreamRemoteAddress, info.downstreamRemotePort));
      case Op.DownstreamRemoteAddressWithoutPort: return this.str(withoutPort(info.downstreamRemoteAddress));
      case Op.DownstreamRemotePort: return info.downstreamRemotePort > 0 ? info.downstreamRemotePort : null;
      case Op.DownstreamLocalAddress: return this.str(withPort(info.downstreamLocalAddress, info.downstreamLocalPort));
      case Op.DownstreamLocalAddressWithoutPort: return this.str(withoutPort(info.downstreamLocalAddress));
      case Op.DownstreamLocalPort: return info.downstreamLocalPort > 0 ? info.downstreamLocalPort : null;
      case Op.DownstreamDirectRemoteAddress: return this.str(directRemote(info));
      case Op.DownstreamDirectRemoteAddressWithoutPort: return this.str(withoutPort(directRemote(info)));
      case Op.RequestedServerName: return this.str(info.requestedServerName);
      case Op.RouteName: return this.str(info.routeName);
      case Op.Protocol: return info.protocol === undefined ? null : this.str(info.protocol);
      case Op.UpstreamRequestAttemptCount: return info.upstreamRequestAttemptCount;
      case Op.ConnectionId: return info.connectionId;
      case Op.VirtualClusterName: return this.str(info.virtualClusterName);
      default: return this.tlsValue(info);
    }
  }

  /** The DOWNSTREAM_* TLS operators: null on plaintext connections or when the certificate lacks the field. */
  private tlsValue(info: StreamInfo): FormatValue {
    const tls = info.downstreamTls;
    if (tls === undefined) return null;
    const peer = tls.peerCertificate;
    const local = tls.localCertificate;
    switch (this.op) {
      case Op.DownstreamTlsVersion: return this.str(tls.version);
      case Op.DownstreamTlsCipher: return this.str(tls.cipher);
      case Op.DownstreamPeerUriSan: return peer ? this.str(peer.uriSans.join(',')) : null;
      case Op.DownstreamPeerDnsSan: return peer ? this.str(peer.dnsSans.join(',')) : null;
      case Op.DownstreamLocalUriSan: return local ? this.str(local.uriSans.join(',')) : null;
      case Op.DownstreamLocalDnsSan: return local ? this.str(local.dnsSans.join(',')) : null;
      case Op.DownstreamPeerSubject: return peer ? this.str(peer.subject) : null;
      case Op.DownstreamLocalSubject: return local ? this.str(local.subject) : null;
      case Op.DownstreamPeerIssuer: return peer ? this.str(peer.issuer) : null;
      case Op.DownstreamPeerFingerprint256: return peer ? this.str(peer.sha256) : null;
      case Op.DownstreamPeerSerial: return peer ? this.str(peer.serial) : null;
      default: return null;
    }
  }

  /** Headers present with an empty value print empty (Envoy); absent ones are null. */
  private headerValue(v: string | undefined): FormatValue {
    return v === undefined ? null : this.truncate(v);
  }

  /** StreamInfo strings: empty means unset. */
  private str(v: string): FormatValue {
    return v === '' ? null : this.truncate(v);
  }

  private truncate(v: string): string {
    return this.maxLength >= 0 && v.length > this.maxLength ? v.slice(0, this.maxLength) : v;
  }
}

function ms(v: number): number | null {
  return v < 0 ? null : Math.floor(v);
}

function reqHeader(ctx: AccessLogContext, name: string): string | undefined {
  const h = ctx.info.requestHeaders;
  switch (name) {
    case ':method': return ctx.method ?? h?.get(':method');
    case ':path': return ctx.path ?? h?.get(':path');
    case ':authority': return ctx.authority ?? h?.get(':authority') ?? h?.get('host');
    case ':scheme': return ctx.scheme ?? h?.get(':scheme');
    default: return h?.get(name);
  }
}

function respHeader(info: StreamInfo, h: HeaderMap | undefined, name: string): string | undefined {
  if (name === ':status') return info.responseCode > 0 ? String(info.responseCode) : h?.get(':status');
  return h?.get(name);
}

/** `ip:port` or `[v6]:port` already carries a port; a bare IPv6 address has several colons and no brackets. */
function hasPort(a: string): boolean {
  if (a.startsWith('[')) return /\]:\d+$/.test(a);
  const c = a.indexOf(':');
  return c !== -1 && c === a.lastIndexOf(':');
}

function withPort(a: string, port: number): string {
  if (a === '' || hasPort(a)) return a;
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

function withoutPort(a: string): string {
  if (a === '' || !hasPort(a)) return a;
  if (a.startsWith('[')) return a.slice(1, a.indexOf(']'));
  return a.slice(0, a.indexOf(':'));
}

function directRemote(info: StreamInfo): string {
  return info.downstreamDirectRemoteAddress !== '' ? info.downstreamDirectRemoteAddress : withPort(info.downstreamRemoteAddress, info.downstreamRemotePort);
}

export interface OperatorEnv {
  readonly hostname: string;
}

/** Compiles `%NAME(arg):len%` into a part; throws ConfigError naming `path` for unknown or malformed operators. */
export function compileOperator(name: string, arg: string | undefined, len: number, path: string, env: OperatorEnv): FormatPart {
  const part = (op: number, text = '', header = '', alt = '', start?: StartTimeFormatter): FormatPart =>
    new FormatPart(op, text, header, alt, len, start);
  const simple = SIMPLE[name];
  if (simple !== undefined) {
    if (arg !== undefined) throw new ConfigError(path, `${name} takes no argument`);
    return part(simple);
  }
  switch (name) {
    case 'START_TIME':
      return part(Op.StartTime, '', '', '', new StartTimeFormatter(arg === undefined || arg === '' ? DEFAULT_START_TIME_FORMAT : arg));
    case 'REQ':
    case 'RESP':
    case 'TRAILER':
    case 'REQ_WITHOUT_QUERY': {
      if (arg === undefined || arg === '') throw new ConfigError(path, `${name} needs a header name: %${name}(X?Y):Z%`);
      const pieces = arg.split('?');
      if (pieces.length > 2 || pieces.some((p) => p === '')) throw new ConfigError(path, `${name}(${arg}): expected X or X?Y`);
      const op = name === 'REQ' ? Op.Req : name === 'RESP' ? Op.Resp : name === 'TRAILER' ? Op.Trailer : Op.ReqWithoutQuery;
      return part(op, '', (pieces[0] as string).toLowerCase(), (pieces[1] ?? '').toLowerCase());
    }
    case 'HOSTNAME':
      return part(Op.Constant, env.hostname);
    case 'ENVIRONMENT': {
      if (arg === undefined || arg === '') throw new ConfigError(path, 'ENVIRONMENT needs a variable name');
      const v = process.env[arg];
      return v === undefined || v === '' ? part(Op.Missing) : part(Op.Constant, v);
    }
    default:
      throw new ConfigError(path, `unknown access log operator %${name}%`);
  }
}
