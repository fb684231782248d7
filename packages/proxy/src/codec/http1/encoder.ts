/**
 * HTTP/1.1 encoders. Heads are built as latin1 strings (write them with `socket.write(s, 'latin1')`): one string
 * per head is cheaper than assembling Buffers, and latin1 maps each char code 0–255 to one byte. Header names go out
 * lower-case as Envoy sends them. Every name and value is validated before it reaches the wire, so a filter or
 * config that produced `\r\n` in a value cannot split the message (header injection).
 */
import type { HeaderMap } from '../../interfaces/header-map.js';
import { FIELD_VALUE, TARGET, TOKEN } from './char-tables.js';
import { STATUS_REASONS } from './status-reasons.js';

export { HOP_BY_HOP, removeHopByHop, type RemoveHopByHopOptions } from './hop-by-hop.js';

export class Http1EncodeError extends Error {
  readonly code = 'WEFT_ERR_HTTP1_INVALID_OUTGOING_HEADER';
  constructor(message: string) {
    super(message);
    this.name = 'Http1EncodeError';
  }
}

/** Reason phrase for a status code ("Unknown" like Envoy for codes it has none for). */
export function reasonPhrase(status: number): string {
  return STATUS_REASONS[status] ?? 'Unknown';
}

/**
 * Hot-path variant for heads whose every field came from our own parser (already validated on the way in) or from
 * config that was validated at load time: skips the per-field checks. Anything else must use the checked encoders.
 */
export function encodeTrustedRequestHead(method: string, target: string, headers: HeaderMap): string {
  return encodeFieldsUnchecked(`${method} ${target} HTTP/1.1\r\n`, headers) + '\r\n';
}

export function encodeTrustedResponseHead(status: number, headers: HeaderMap): string {
  return encodeFieldsUnchecked(statusLine(status), headers) + '\r\n';
}

const STATUS_LINES: Array<string | undefined> = [];

/** `HTTP/1.1 <status> <reason>\r\n`, built once per status code. */
function statusLine(status: number): string {
  if (!(status >= 100 && status <= 999 && Number.isInteger(status))) return `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  return (STATUS_LINES[status] ??= `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`);
}

function encodeFieldsUnchecked(startLine: string, headers: HeaderMap): string {
  let out = startLine;
  const names = headers.names;
  const values = headers.values;
  for (let i = 0; i < names.length; i++) out += (names[i] as string) + ': ' + (values[i] as string) + '\r\n';
  return out;
}

export function encodeRequestHead(method: string, target: string, headers: HeaderMap, versionMinor: 0 | 1 = 1): string {
  checkToken(method, 'method');
  checkTarget(target);
  return encodeFields(`${method} ${target} HTTP/1.${versionMinor}\r\n`, headers) + '\r\n';
}

export function encodeResponseHead(status: number, reason: string | undefined, headers: HeaderMap, versionMinor: 0 | 1 = 1): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new Http1EncodeError(`invalid status ${status}`);
  const phrase = reason ?? reasonPhrase(status);
  checkValue(phrase, 'reason phrase');
  return encodeFields(`HTTP/1.${versionMinor} ${status} ${phrase}\r\n`, headers) + '\r\n';
}

/** `<hex length>\r\n`; follow with the chunk bytes and CHUNK_END. Never call with 0 (that is the last chunk). */
export function encodeChunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

export const CHUNK_END = '\r\n';

/** The last chunk, optional trailer fields and the final CRLF. */
export function encodeLastChunk(trailers?: HeaderMap): string {
  if (trailers === undefined || trailers.size === 0) return '0\r\n\r\n';
  return encodeFields('0\r\n', trailers) + '\r\n';
}

function encodeFields(startLine: string, headers: HeaderMap): string {
  let out = startLine;
  const names = headers.names;
  const values = headers.values;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const value = values[i] as string;
    checkToken(name, 'header name');
    checkValue(value, name);
    out += `${name}: ${value}\r\n`;
  }
  return out;
}

// Regexes rather than char loops: V8 compiles them to native code, several times faster on the hot path. They must
// agree with the TOKEN / FIELD_VALUE tables (encoder.test checks every char code against both).
const NOT_TOKEN = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const NOT_FIELD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

function checkToken(s: string, what: string): void {
  if (s.length === 0) throw new Http1EncodeError(`empty ${what}`);
  if (NOT_TOKEN.test(s)) throw new Http1EncodeError(`invalid character in ${what} ${JSON.stringify(s)}`);
}

function checkTarget(s: string): void {
  if (s.length === 0) throw new Http1EncodeError('empty request target');
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || TARGET[c] === 0) throw new Http1EncodeError(`invalid character in request target ${JSON.stringify(s)}`);
  }
}

function checkValue(s: string, what: string): void {
  if (NOT_FIELD_VALUE.test(s)) throw new Http1EncodeError(`invalid character in value of ${what}`);
}

/** For tests: the regexes above must match the parser's character tables exactly. */
export function encoderCharClassesAgree(): boolean {
  for (let c = 0; c < 0x100; c++) {
    const ch = String.fromCharCode(c);
    if (NOT_TOKEN.test(ch) !== (TOKEN[c] === 0)) return false;
    if (NOT_FIELD_VALUE.test(ch) !== (FIELD_VALUE[c] === 0)) return false;
  }
  return NOT_FIELD_VALUE.test('\u0100') && NOT_TOKEN.test('\u0100');
}

/**
 * How the body of an outgoing message is delimited:
 * - `none`: no body bytes may follow the head;
 * - `length`: exactly the Content-Length bytes follow;
 * - `chunked`: chunked framing (the helper added `transfer-encoding: chunked`);
 * - `close`: the body ends when we close the connection (HTTP/1.0 peer, unknown length).
 */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

const METHODS_WITH_BODY_SEMANTICS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Chooses the framing of a request we send upstream and fixes its headers to match: any incoming Transfer-Encoding
 * is dropped (we re-frame), a known Content-Length is kept, a body-less POST/PUT/PATCH gets `content-length: 0`, and
 * a streamed body of unknown length is sent chunked. `endStream`: the head is the whole message.
 */
export function frameRequest(method: string, headers: HeaderMap, endStream: boolean): BodyFraming {
  headers.remove('transfer-encoding');
  if (method === 'CONNECT') {
    headers.remove('content-length');
    return 'none';
  }
  if (headers.has('content-length')) return 'length';
  if (endStream) {
    if (METHODS_WITH_BODY_SEMANTICS.has(method)) headers.add('content-length', '0');
    return 'none';
  }
  headers.add('transfer-encoding', 'chunked');
  return 'chunked';
}

/**
 * Chooses the framing of a response we send downstream and fixes its headers. 1xx, 204 and a 2xx to CONNECT never
 * carry a body or framing headers; 304 and responses to HEAD keep their Content-Length (it describes the resource)
 * but send no body. Otherwise Content-Length if known, `content-length: 0` for an empty body, chunked for an
 * HTTP/1.1 peer, and close-delimited for an HTTP/1.0 peer.
 */
export function frameResponse(
  status: number,
  requestMethod: string,
  headers: HeaderMap,
  endStream: boolean,
  peerVersionMinor: 0 | 1 = 1,
): BodyFraming {
  headers.remove('transfer-encoding');
  if (status < 200 || status === 204 || (requestMethod === 'CONNECT' && status < 300)) {
    headers.remove('content-length');
    return 'none';
  }
  if (status === 304 || requestMethod === 'HEAD') return 'none';
  if (headers.has('content-length')) return 'length';
  if (endStream) {
    headers.add('content-length', '0');
    return 'none';
  }
  if (peerVersionMinor === 1) {
    headers.add('transfer-encoding', 'chunked');
    return 'chunked';
  }
  return 'close';
}
