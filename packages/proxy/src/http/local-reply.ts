import { HeaderMap } from '../interfaces/header-map.js';

/** HTTP status → gRPC status for local replies to gRPC requests (Envoy's Grpc::Utility::httpToGrpcStatus). */
export function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return 13; // INTERNAL
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

export function isGrpcRequest(headers: HeaderMap): boolean {
  const ct = headers.get('content-type');
  return ct !== undefined && ct.startsWith('application/grpc');
}

export interface LocalReplyHead {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: string;
}

/** Builds a local reply: text/plain for HTTP, trailers-only with grpc-status for gRPC requests. */
export function buildLocalReply(status: number, body: string, grpc: boolean, grpcStatus: number | undefined, extra: ReadonlyArray<readonly [string, string]> | undefined): LocalReplyHead {
  const headers = new HeaderMap();
  if (grpc) {
    headers.add('content-type', 'application/grpc');
    headers.add('grpc-status', String(grpcStatus ?? httpToGrpcStatus(status)));
    if (body) headers.add('grpc-message', encodeGrpcMessage(body));
    if (extra) for (const [k, v] of extra) headers.add(k, v);
    return { status: 200, headers, body: '' };
  }
  if (body) {
    headers.add('content-length', String(Buffer.byteLength(body)));
    headers.add('content-type', 'text/plain');
  }
  if (extra) for (const [k, v] of extra) headers.add(k, v);
  return { status, headers, body };
}

/**
 * gRPC's grpc-message encoding: UTF-8, then percent-encode only bytes outside printable ASCII (0x20-0x7E) and '%'
 * itself (so clients show `a/b: c` as is).
 */
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = '';
  for (const b of Buffer.from(message, 'utf8')) {
    out += b < 0x20 || b > 0x7e || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}
