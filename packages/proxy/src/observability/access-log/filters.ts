import { ConfigError, joinPath } from '@weft/api/lite';
import type { AccessLogFilter__Output } from '@weft/api/envoy/envoy/config/accesslog/v3/AccessLogFilter.js';
import type { ComparisonFilter__Output } from '@weft/api/envoy/envoy/config/accesslog/v3/ComparisonFilter.js';
import type { HeaderMatcher__Output } from '@weft/api/envoy/envoy/config/route/v3/HeaderMatcher.js';
import { ResponseFlag, formatResponseFlags } from '../../interfaces/response-flags.js';
import type { Runtime } from '../../interfaces/runtime.js';
import type { AccessLogContext } from './context.js';
import { compileHeaderMatcher } from './header-filter.js';

/** Decides whether one request is logged; compiled once from `envoy.config.accesslog.v3.AccessLogFilter`. */
export type AccessLogFilterFn = (ctx: AccessLogContext) => boolean;

export interface FilterDeps {
  /** For `runtime_key` overrides of comparison values and for runtime_filter; absent → defaults apply. */
  readonly runtime?: Runtime | undefined;
}

const RESPONSE_FLAG_BY_CODE = new Map<string, number>();
for (const bit of Object.values(ResponseFlag)) RESPONSE_FLAG_BY_CODE.set(formatResponseFlags(bit), bit);

const GRPC_STATUS = [
  'OK', 'CANCELED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

const DENOMINATORS: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

function comparison(cfg: ComparisonFilter__Output | null, path: string, deps: FilterDeps): (actual: number) => boolean {
  if (cfg === null) throw new ConfigError(path, 'comparison is required');
  if (cfg.value === null) throw new ConfigError(joinPath(path, 'value'), 'value is required');
  const def = cfg.value.default_value;
  const key = cfg.value.runtime_key;
  const runtime = deps.runtime;
  const value = (): number => (key !== '' && runtime !== undefined ? runtime.getNumber(key, def) : def);
  switch (cfg.op) {
    case 'EQ': return (a) => a === value();
    case 'GE': return (a) => a >= value();
    case 'LE': return (a) => a <= value();
    default: throw new ConfigError(joinPath(path, 'op'), `unknown comparison ${String(cfg.op)}`);
  }
}

/** HTTP status → gRPC status, as Envoy maps it when a response carries no grpc-status. */
function httpToGrpc(code: number): number {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

function grpcStatusOf(ctx: AccessLogContext): number {
  const info = ctx.info;
  const raw = info.responseTrailers?.get('grpc-status') ?? info.responseHeaders?.get('grpc-status');
  if (raw !== undefined && /^\d+$/.test(raw)) return Number(raw);
  return info.responseCode === 0 ? 2 : httpToGrpc(info.responseCode);
}

/** A stable 64-bit-ish hash of x-request-id (Envoy samples by request id unless independent randomness is set). */
function requestIdRandom(ctx: AccessLogContext): number {
  const id = ctx.info.requestHeaders?.get('x-request-id') ?? ctx.info.requestId;
  if (id === '') return Math.floor(Math.random() * 2 ** 32);
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export function compileAccessLogFilter(cfg: AccessLogFilter__Output, path: string, deps: FilterDeps): AccessLogFilterFn {
  const kind = cfg.filter_specifier;
  const p = kind === undefined ? path : joinPath(path, kind);
  switch (kind) {
    case 'status_code_filter': {
      const cmp = comparison(cfg.status_code_filter?.comparison ?? null, joinPath(p, 'comparison'), deps);
      return (ctx) => cmp(ctx.info.responseCode);
    }
    case 'duration_filter': {
      const cmp = comparison(cfg.duration_filter?.comparison ?? null, joinPath(p, 'comparison'), deps);
      return (ctx) => cmp(Math.max(0, Math.floor(ctx.info.durationMs)));
    }
    case 'response_flag_filter': {
      const flags = cfg.response_flag_filter?.flags ?? [];
      let mask = 0;
      flags.forEach((f: string, i: number) => {
        const bit = RESPONSE_FLAG_BY_CODE.get(f);
        if (bit === undefined) throw new ConfigError(joinPath(joinPath(p, 'flags'), i), `unknown response flag '${f}'`);
        mask |= bit;
      });
      // No flags listed: any flag matches (Envoy).
      if (mask === 0) return (ctx) => ctx.info.responseFlags !== 0;
      return (ctx) => (ctx.info.responseFlags & mask) !== 0;
    }
    case 'and_filter':
    case 'or_filter': {
      const subs = (kind === 'and_filter' ? cfg.and_filter?.filters : cfg.or_filter?.filters) ?? [];
      if (subs.length < 2) throw new ConfigError(joinPath(p, 'filters'), 'at least two filters are required');
      const fns = subs.map((f: AccessLogFilter__Output, i: number) => compileAccessLogFilter(f, joinPath(joinPath(p, 'filters'), i), deps));
      if (kind === 'and_filter') {
        return (ctx) => {
          for (const f of fns) if (!f(ctx)) return false;
          return true;
        };
      }
      return (ctx) => {
        for (const f of fns) if (f(ctx)) return true;
        return false;
      };
    }
    case 'header_filter': {
      const m = cfg.header_filter?.header ?? null;
      if (m === null) throw new ConfigError(joinPath(p, 'header'), 'header is required');
      return compileHeaderMatcher(m as HeaderMatcher__Output, joinPath(p, 'header'));
    }
    case 'runtime_filter': {
      const rf = cfg.runtime_filter;
      if (rf == null || rf.runtime_key === '') throw new ConfigError(joinPath(p, 'runtime_key'), 'runtime_key is required');
      const numerator = rf.percent_sampled?.numerator ?? 0;
      const denominator = DENOMINATORS[rf.percent_sampled?.denominator ?? 'HUNDRED'] ?? 100;
      const key = rf.runtime_key;
      const independent = rf.use_independent_randomness;
      const runtime = deps.runtime;
      return (ctx) => {
        const random = independent ? Math.floor(Math.random() * 2 ** 32) : requestIdRandom(ctx);
        if (runtime !== undefined) return runtime.featureEnabled(key, numerator, denominator, random);
        return random % denominator < numerator;
      };
    }
    case 'grpc_status_filter': {
      const g = cfg.grpc_status_filter;
      const wanted = new Set<number>();
      (g?.statuses ?? []).forEach((s: string | number, i: number) => {
        const code = typeof s === 'number' ? s : GRPC_STATUS.indexOf(s);
        if (code < 0 || code >= GRPC_STATUS.length) throw new ConfigError(joinPath(joinPath(p, 'statuses'), i), `unknown gRPC status ${String(s)}`);
        wanted.add(code);
      });
      const exclude = g?.exclude === true;
      return (ctx) => wanted.has(grpcStatusOf(ctx)) !== exclude;
    }
    case undefined:
      throw new ConfigError(path, 'filter has no filter_specifier');
    default:
      // not_health_check_filter needs a health-check mark in StreamInfo; traceable needs tracing; metadata and
      // extension filters have no implementation yet.
      throw new ConfigError(p, `access log filter '${kind}' is not supported`);
  }
}
