import { createRequire } from 'node:module';
import type * as Http2 from 'node:http2';
import type * as Tls from 'node:tls';

const require = createRequire(import.meta.url);
let http2Module: typeof Http2 | undefined;
let tlsModule: typeof Tls | undefined;

/** node:http2, loaded on first use: with node:tls it is ~4 MiB of idle RSS a plain HTTP/1.1 proxy never needs. */
export function http2(): typeof Http2 {
  return (http2Module ??= require('node:http2') as typeof Http2);
}

/** node:tls, loaded on first use (see http2()). */
export function tls(): typeof Tls {
  return (tlsModule ??= require('node:tls') as typeof Tls);
}

/** The nghttp2 numbers we use (node:http2's `constants`, without loading the module). */
export const NGHTTP2_FLAG_END_STREAM = 0x1;
export const NGHTTP2_NO_ERROR = 0x0;
export const NGHTTP2_REFUSED_STREAM = 0x7;
export const NGHTTP2_CANCEL = 0x8;
