import type { HeaderMap } from '../../interfaces/header-map.js';
import type { HpackEncoder } from './hpack-encoder.js';
import type { WriteBuffer } from './write-buffer.js';
import { NAME_CHAR } from './field-bytes.js';

/** Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2). */
function connectionSpecific(name: string, value: string): boolean {
  switch (name) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'transfer-encoding':
    case 'upgrade':
    case 'http2-settings':
      return true;
    case 'te':
      return value.trim().toLowerCase() !== 'trailers';
    default:
      return false;
  }
}

/** Names already found valid: names repeat across messages, so each is scanned once. Bounded (names come from traffic). */
const VALID_NAMES = new Set<string>();
const VALID_NAMES_MAX = 1024;
/** Longer names are scanned each time: the cache must not pin large strings a peer chose. */
const CACHED_NAME_MAX = 64;

function validName(name: string): boolean {
  if (VALID_NAMES.has(name)) return true;
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) if (NAME_CHAR[name.charCodeAt(i)] !== 1) return false;
  if (VALID_NAMES.size < VALID_NAMES_MAX && name.length <= CACHED_NAME_MAX) VALID_NAMES.add(name);
  return true;
}

const FORBIDDEN_IN_VALUE = /[\0\n\r]/;

/**
 * Values may not hold NUL, CR or LF (§8.2.1). Long values go to the regexp engine: a charCodeAt loop costs ~30
 * instructions a character, as V8 re-dispatches on the string's representation each time.
 */
function sendableValue(v: string): boolean {
  if (v.length >= 8) return !FORBIDDEN_IN_VALUE.test(v);
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return false;
  }
  return true;
}

/** Received values must also not start or end with whitespace (§8.2.1). */
function validValue(v: string): boolean {
  if (!sendableValue(v)) return false;
  const n = v.length;
  if (n === 0) return true;
  const a = v.charCodeAt(0);
  const z = v.charCodeAt(n - 1);
  return a !== 32 && a !== 9 && z !== 32 && z !== 9;
}

/**
 * Whether a request header list is well-formed (RFC 9113 §8.3.1): lower-case valid names, pseudo-headers first,
 * known and not repeated, :method present, :scheme and non-empty :path unless CONNECT (extended CONNECT needs them),
 * no connection-specific fields. A malformed request is a stream error (PROTOCOL_ERROR). `checked`: the HPACK
 * decoder has already found every name and value valid (HpackDecoder.checked), so only the structure is left.
 */
export function validRequestFields(fields: readonly string[], checked = false): boolean {
  let seen = 0;
  let regular = false;
  let method = '';
  let pathEmpty = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (!checked && !validValue(value)) return false;
    if (name.charCodeAt(0) === 58) {
      if (regular) return false;
      let bit: number;
      if (name === ':method') {
        bit = 1;
        method = value;
      } else if (name === ':scheme') bit = 2;
      else if (name === ':path') {
        bit = 4;
        pathEmpty = value === '';
      } else if (name === ':authority') bit = 8;
      else if (name === ':protocol') bit = 16;
      else return false;
      if (seen & bit) return false;
      seen |= bit;
      continue;
    }
    regular = true;
    if ((!checked && !validName(name)) || connectionSpecific(name, value)) return false;
  }
  if ((seen & 1) === 0) return false;
  if (method === 'CONNECT' && (seen & 16) === 0) return (seen & 6) === 0 && (seen & 8) !== 0;
  if ((seen & 16) !== 0 && method !== 'CONNECT') return false;
  return (seen & 6) === 6 && !pathEmpty;
}

/** Whether every field of a HeaderMap can be sent in HTTP/2 (checked before encoding: HPACK state must not move). */
export function sendableHeaderMap(headers: HeaderMap): boolean {
  const names = headers.names;
  const values = headers.values;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (name.charCodeAt(0) === 58) continue;
    if ((!validName(name) && !validName(name.toLowerCase())) || !sendableValue(values[i] as string)) return false;
  }
  return true;
}

/**
 * HPACK-encodes a sendable HeaderMap's regular fields (names lower-cased; pseudo and connection-specific dropped;
 * `host` too when `skipHost`: a request carries it as :authority). Fields received never-indexed stay so.
 */
export function encodeHeaderMap(enc: HpackEncoder, w: WriteBuffer, headers: HeaderMap, skipHost = false): void {
  const names = headers.names;
  const values = headers.values;
  const never = headers.neverIndexed;
  for (let i = 0; i < names.length; i++) {
    let name = names[i] as string;
    const value = values[i] as string;
    if (name.charCodeAt(0) === 58) continue;
    if (!validName(name)) name = name.toLowerCase();
    if (connectionSpecific(name, value) || (skipHost && name === 'host')) continue;
    enc.encode(w, name, value, never !== undefined && never.includes(name));
  }
}

/**
 * Whether a response header list is well-formed (RFC 9113 §8.3.2, §8.2): :status first, once, the only
 * pseudo-header, three digits and not 101 (HTTP/2 has no protocol switch, §8.6); lower-case valid names and valid
 * values; no connection-specific fields. A malformed response is a stream error (PROTOCOL_ERROR).
 */
export function validResponseFields(fields: readonly string[], checked = false): boolean {
  if (fields[0] !== ':status' || !validStatus(fields[1] ?? '')) return false;
  return validRegularFields(fields, 2, checked);
}

/** Whether a trailer section is well-formed: no pseudo-headers (§8.1), valid names and values, no connection fields. */
export function validTrailerFields(fields: readonly string[], checked = false): boolean {
  return validRegularFields(fields, 0, checked);
}

/** Three digits, the first 1-9, and not 101. */
function validStatus(v: string): boolean {
  if (v.length !== 3 || v === '101') return false;
  const a = v.charCodeAt(0);
  const b = v.charCodeAt(1);
  const c = v.charCodeAt(2);
  return a >= 49 && a <= 57 && b >= 48 && b <= 57 && c >= 48 && c <= 57;
}

function validRegularFields(fields: readonly string[], from: number, checked: boolean): boolean {
  for (let i = from; i + 1 < fields.length; i += 2) {
    const name = fields[i] as string;
    const value = fields[i + 1] as string;
    if (checked) {
      // The decoder lets pseudo-header names through for the message checks: none may appear here.
      if (name.charCodeAt(0) === 58 || connectionSpecific(name, value)) return false;
    } else if (!validName(name) || !validValue(value) || connectionSpecific(name, value)) return false;
  }
  return true;
}

/** The content-length of a header list: -1 when absent, -2 when invalid or repeated with different values. */
export function contentLengthOf(fields: readonly string[]): number {
  let n = -1;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'content-length') continue;
    const v = fields[i + 1] as string;
    if (!/^[0-9]{1,15}$/.test(v)) return -2;
    const m = Number(v);
    if (n >= 0 && m !== n) return -2;
    n = m;
  }
  return n;
}
