/**
 * Per-connection caches of what routing needs from a Bolt frame, keyed by the frame's own bytes. For a request the key
 * runs from the header map through the SofaRequest's leading fields up to `methodName` and `targetServiceUniqueName`
 * (only the header map when it names both); for a response from the class name through the SofaResponse's `isError`.
 * A client repeats these bytes on every call, so the steady state is one memcmp per frame and no decoding.
 */
import { BytesCache } from '../common/bytes-cache.js';
import { decodeHeaderMap } from './bolt-header-map.js';
import { HessianReader } from './hessian-reader.js';

/** Header names SOFARPC uses for routing metadata. */
export const HEADER_SERVICE = 'service';
export const HEADER_TARGET_SERVICE = 'sofa_head_target_service';
export const HEADER_METHOD = 'sofa_head_method_name';
export const HEADER_CALLER_APP = 'rpc_trace_context.sofaCallerApp';
export const HEADER_APP = 'app';

/** A request's routing metadata ('' for what it does not carry). */
export interface RequestMeta {
  readonly headers: ReadonlyMap<string, string>;
  readonly service: string;
  readonly version: string;
  readonly group: string;
  readonly method: string;
  readonly application: string;
  /** Length of the header map the entry was read from (a key must not straddle another frame's header/body edge). */
  readonly headerLen: number;
  /** Whether the body could be read (hessian2): the same header bytes mean more with a readable body. */
  readonly hessian: boolean;
}

const NO_HEADERS: ReadonlyMap<string, string> = new Map();
export const EMPTY_META: RequestMeta = { headers: NO_HEADERS, service: '', version: '', group: '', method: '', application: '', headerLen: 0, hessian: false };
const REQUEST_HEAD = new Set(['methodName', 'targetServiceUniqueName']);
const IS_ERROR = new Set(['isError']);
const SOFA_RESPONSE = Buffer.from('com.alipay.sofa.rpc.core.response.SofaResponse', 'latin1');

/** 'C' starts a final-dialect class definition; anything else is the 2.0 draft (see hessianDialect). */
function isDraft(buf: Buffer, at: number): boolean {
  return buf[at] !== 0x43;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

interface ResponseFlag {
  readonly isError: boolean;
  /** Class name + header map length of the entry (see RequestMeta.headerLen). */
  readonly contentOffset: number;
}

export class BoltMetaCache {
  private readonly requests = new BytesCache<RequestMeta>();
  private readonly responses = new BytesCache<ResponseFlag>(4);

  /**
   * The metadata of a request with its header map at `[headerStart, contentStart)` and body up to `contentEnd`;
   * `hessian` when the body may be read. Throws RpcProtocolError when the header map is malformed; an unreadable
   * body only leaves the body's fields empty.
   */
  request(buf: Buffer, headerStart: number, contentStart: number, contentEnd: number, hessian: boolean): RequestMeta {
    const headerLen = contentStart - headerStart;
    const hit = this.requests.prefix(buf, headerStart, contentEnd);
    if (hit !== undefined && hit.headerLen === headerLen && hit.hessian === hessian) return hit;
    const headers = headerLen > 0 ? decodeHeaderMap(buf, headerStart, contentStart) : NO_HEADERS;
    let unique = headers.get(HEADER_SERVICE) || headers.get(HEADER_TARGET_SERVICE) || '';
    let method = headers.get(HEADER_METHOD) ?? '';
    let keyEnd = contentStart;
    if ((unique === '' || method === '') && hessian && contentEnd > contentStart) {
      try {
        const reader = new HessianReader(buf, isDraft(buf, contentStart), contentStart, contentEnd);
        const head = reader.readObjectPrefix(REQUEST_HEAD);
        if (unique === '') unique = str(head['targetServiceUniqueName']);
        if (method === '') method = str(head['methodName']);
        keyEnd = reader.position;
      } catch {
        keyEnd = -1; // metadata is best effort (args() reports the broken body); not cached
      }
    }
    const meta: RequestMeta = {
      headers,
      ...splitUnique(unique),
      method,
      application: headers.get(HEADER_APP) || headers.get(HEADER_CALLER_APP) || '',
      headerLen,
      hessian,
    };
    return keyEnd < 0 ? meta : this.requests.set(buf, headerStart, keyEnd, meta);
  }

  /**
   * Whether a SUCCESS response's body is a SofaResponse with `isError` set (class name at `classStart`, body at
   * `contentStart`); throws RpcProtocolError when such a body is unreadable.
   */
  responseIsError(buf: Buffer, classStart: number, headerStart: number, contentStart: number, contentEnd: number): boolean {
    const contentOffset = contentStart - classStart;
    const hit = this.responses.prefix(buf, classStart, contentEnd);
    if (hit !== undefined && hit.contentOffset === contentOffset) return hit.isError;
    if (buf.compare(SOFA_RESPONSE, 0, SOFA_RESPONSE.length, classStart, headerStart) !== 0) {
      return this.responses.set(buf, classStart, contentStart, { isError: false, contentOffset }).isError;
    }
    const reader = new HessianReader(buf, isDraft(buf, contentStart), contentStart, contentEnd);
    const isError = reader.readObjectPrefix(IS_ERROR)['isError'] === true;
    return this.responses.set(buf, classStart, reader.position, { isError, contentOffset }).isError;
  }
}

/** `interface:version[:uniqueId]` into its parts. */
export function splitUnique(unique: string): { service: string; version: string; group: string } {
  const c1 = unique.indexOf(':');
  if (c1 < 0) return { service: unique, version: '', group: '' };
  const c2 = unique.indexOf(':', c1 + 1);
  return {
    service: unique.slice(0, c1),
    version: c2 < 0 ? unique.slice(c1 + 1) : unique.slice(c1 + 1, c2),
    group: c2 < 0 ? '' : unique.slice(c2 + 1),
  };
}
