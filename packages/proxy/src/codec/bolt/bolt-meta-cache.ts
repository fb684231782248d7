/**
 * Per-connection caches of what a Bolt frame's routing needs, keyed by the frame's own bytes: the header map (decoded
 * once per distinct byte string), the SofaRequest's leading fields up to `methodName` and `targetServiceUniqueName`
 * (read once per distinct prefix), a SofaResponse's `isError` prefix, and the split of a unique service name. A client
 * repeats these bytes on every call, so the steady state is a few memcmp per frame and no hessian decoding.
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

/** What a request's header map says. */
export interface HeaderMeta {
  readonly map: ReadonlyMap<string, string>;
  /** `interface:version[:uniqueId]`, '' when absent. */
  readonly unique: string;
  readonly method: string;
  readonly app: string;
}

/** What the start of a SofaRequest body says ('' for absent fields). */
export interface BodyMeta {
  readonly unique: string;
  readonly method: string;
}

/** A unique service name split into its parts. */
export interface ServiceId {
  readonly service: string;
  readonly version: string;
  readonly group: string;
}

export const EMPTY_HEADER_META: HeaderMeta = { map: new Map(), unique: '', method: '', app: '' };
const EMPTY_ID: ServiceId = { service: '', version: '', group: '' };
const REQUEST_HEAD = new Set(['methodName', 'targetServiceUniqueName']);
const IS_ERROR = new Set(['isError']);

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function splitUnique(unique: string): ServiceId {
  if (unique === '') return EMPTY_ID;
  const c1 = unique.indexOf(':');
  if (c1 < 0) return { service: unique, version: '', group: '' };
  const c2 = unique.indexOf(':', c1 + 1);
  return {
    service: unique.slice(0, c1),
    version: c2 < 0 ? unique.slice(c1 + 1) : unique.slice(c1 + 1, c2),
    group: c2 < 0 ? '' : unique.slice(c2 + 1),
  };
}

export class BoltMetaCache {
  private readonly headerMetas = new BytesCache<HeaderMeta>();
  private readonly bodyMetas = new BytesCache<BodyMeta>();
  private readonly errorFlags = new BytesCache<boolean>(4);
  private lastUnique = '';
  private lastId: ServiceId = EMPTY_ID;

  /** The header map `buf[start, end)`; throws RpcProtocolError when it is malformed. */
  headers(buf: Buffer, start: number, end: number): HeaderMeta {
    const hit = this.headerMetas.exact(buf, start, end);
    if (hit !== undefined) return hit;
    const map = decodeHeaderMap(buf, start, end);
    const meta: HeaderMeta = {
      map,
      unique: map.get(HEADER_SERVICE) || map.get(HEADER_TARGET_SERVICE) || '',
      method: map.get(HEADER_METHOD) ?? '',
      app: map.get(HEADER_APP) || map.get(HEADER_CALLER_APP) || '',
    };
    return this.headerMetas.set(buf, start, end, meta);
  }

  /** The SofaRequest's service and method from the hessian2 body `buf[start, end)`; throws when unreadable. */
  body(buf: Buffer, start: number, end: number, draft: boolean): BodyMeta {
    const hit = this.bodyMetas.prefix(buf, start, end);
    if (hit !== undefined) return hit;
    const reader = new HessianReader(buf, draft, start, end);
    const head = reader.readObjectPrefix(REQUEST_HEAD);
    const meta: BodyMeta = { unique: str(head['targetServiceUniqueName']), method: str(head['methodName']) };
    return this.bodyMetas.set(buf, start, reader.position, meta);
  }

  /** A SofaResponse body's `isError` (the body `buf[start, end)` starts with the SofaResponse); throws when unreadable. */
  isError(buf: Buffer, start: number, end: number, draft: boolean): boolean {
    const hit = this.errorFlags.prefix(buf, start, end);
    if (hit !== undefined) return hit;
    const reader = new HessianReader(buf, draft, start, end);
    const flag = reader.readObjectPrefix(IS_ERROR)['isError'] === true;
    return this.errorFlags.set(buf, start, reader.position, flag);
  }

  serviceId(unique: string): ServiceId {
    if (unique !== this.lastUnique) {
      this.lastUnique = unique;
      this.lastId = splitUnique(unique);
    }
    return this.lastId;
  }
}
