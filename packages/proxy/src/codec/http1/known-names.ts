/**
 * Interned header names and methods. A name on the wire that matches one of these (case-insensitively for headers,
 * exactly for methods) yields the shared constant string: no slice, no toLowerCase, and `===` against it is a
 * pointer compare. The first entries are the headers the parser itself interprets; their ids are exported.
 */
import { ascii, TOKEN } from './char-tables.js';

export const H_CONTENT_LENGTH = 0;
export const H_TRANSFER_ENCODING = 1;
export const H_CONNECTION = 2;
export const H_HOST = 3;
export const H_UPGRADE = 4;
export const H_EXPECT = 5;
/** Ids below this value need interpretation by the parser. */
export const H_SPECIAL_END = 6;

export const KNOWN_HEADER_NAMES: readonly string[] = [
  'content-length',
  'transfer-encoding',
  'connection',
  'host',
  'upgrade',
  'expect',
  // Frequent on real traffic, in no particular order.
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'content-type',
  'content-encoding',
  'cookie',
  'set-cookie',
  'authorization',
  'cache-control',
  'pragma',
  'referer',
  'origin',
  'date',
  'server',
  'location',
  'etag',
  'vary',
  'last-modified',
  'if-none-match',
  'if-modified-since',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'via',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'x-real-ip',
  'traceparent',
  'tracestate',
  'grpc-status',
  'grpc-message',
  'x-envoy-upstream-service-time',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-original-path',
  'x-b3-traceid',
  'x-b3-spanid',
  'x-b3-parentspanid',
  'x-b3-sampled',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-accept',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-dest',
];

const HEADER_BYTES: Uint8Array[] = KNOWN_HEADER_NAMES.map(ascii);
export const KNOWN_HEADER_LENGTHS: readonly number[] = KNOWN_HEADER_NAMES.map((n) => n.length);

/** tchar bytes mapped to their lower-case form, everything else to 0. */
const LOWER_TOKEN = new Uint8Array(256);
for (let c = 0; c < 256; c++) if (TOKEN[c] !== 0) LOWER_TOKEN[c] = TOKEN[c] === 2 ? c | 0x20 : c;

/** Candidate ids by lower-case first byte. */
const HEADERS_BY_FIRST: number[][] = [];
for (let id = 0; id < HEADER_BYTES.length; id++) {
  const first = (HEADER_BYTES[id] as Uint8Array)[0] as number;
  (HEADERS_BY_FIRST[first] ??= []).push(id);
}

/**
 * Id of the known header name that buf[p, ...) starts with, ASCII case-insensitively, followed by ':'; or -1.
 * One pass over the name instead of a token scan plus a comparison: the byte where the candidate's ':' would be is
 * checked first, which rules out nearly every wrong candidate; LOWER_TOKEN maps non-token bytes to 0, so a match
 * also proves the name is a valid token. A name running past `end` is left to the generic path (it may be partial).
 */
export function matchHeaderName(buf: Buffer, p: number, end: number): number {
  const cands = HEADERS_BY_FIRST[LOWER_TOKEN[buf[p] as number] as number];
  if (cands === undefined) return -1;
  outer: for (let k = 0; k < cands.length; k++) {
    const id = cands[k] as number;
    const lit = HEADER_BYTES[id] as Uint8Array;
    const len = lit.length;
    if (p + len >= end || buf[p + len] !== 0x3a) continue;
    for (let i = 1; i < len; i++) if (LOWER_TOKEN[buf[p + i] as number] !== lit[i]) continue outer;
    return id;
  }
  return -1;
}

export const KNOWN_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'];
const METHOD_BYTES: Uint8Array[] = KNOWN_METHODS.map(ascii);

/** The interned method string equal (case-sensitively, as RFC 9110 requires) to buf[s, e), or undefined. */
export function lookupMethod(buf: Buffer, s: number, e: number): string | undefined {
  const len = e - s;
  const first = buf[s];
  outer: for (let id = 0; id < METHOD_BYTES.length; id++) {
    const lit = METHOD_BYTES[id] as Uint8Array;
    if (lit.length !== len || lit[0] !== first) continue;
    for (let i = 1; i < len; i++) if (buf[s + i] !== lit[i]) continue outer;
    return KNOWN_METHODS[id];
  }
  return undefined;
}

// Sanity: every interned name must itself be a lower-case token, or lookups could return a non-canonical name.
for (const name of KNOWN_HEADER_NAMES) {
  for (let i = 0; i < name.length; i++) {
    if (TOKEN[name.charCodeAt(i)] !== 1) throw new Error(`known header name ${name} is not a lower-case token`);
  }
}
