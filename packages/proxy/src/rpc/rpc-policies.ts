import { ConfigError, joinPath } from '@weft/api/lite';
import type { Fault__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/Fault.js';
import type { LocalRateLimit__Output } from '@weft/api/envoy/weft/extensions/filters/network/rpc_proxy/v1/LocalRateLimit.js';
import type { Duration__Output } from '@weft/api/envoy/google/protobuf/Duration.js';
import { compileFraction, type Fraction } from '../server/fraction.js';
import { TokenBucket } from '../server/token-bucket.js';
import { durationMs } from '../server/duration.js';
import { monotonicNow } from '../server/io-scope.js';

/** Envoy's HTTP fault filter's abort body, reused as the RPC error message. */
export const DEFAULT_ABORT_MESSAGE = 'fault filter abort';

/** `r` is a uniform uint32: true for `numerator / denominator` of the values. */
function hit(f: Fraction, r: number): boolean {
  return f.numerator > 0 && r % f.denominator < f.numerator;
}

/** A route's compiled fault: a fixed delay and / or an abort, each on a share of calls. */
export class RpcFault {
  constructor(
    /** 0: no delay configured. */
    readonly delayMs: number,
    private readonly delayPercent: Fraction,
    private readonly abortPercent: Fraction | undefined,
    readonly abortMessage: string,
  ) {}

  /** The delay to inject for this call (0: none). */
  delayFor(r: number): number {
    return this.delayMs > 0 && hit(this.delayPercent, r) ? this.delayMs : 0;
  }

  aborts(r: number): boolean {
    return this.abortPercent !== undefined && hit(this.abortPercent, r);
  }
}

function positiveDuration(d: Duration__Output | null, path: string): number {
  if (!d) throw new ConfigError(path, 'is required');
  const ms = durationMs(d, 0);
  if (Number(d.seconds) < 0 || d.nanos < 0 || ms <= 0) throw new ConfigError(path, 'must be greater than 0 (at least 1ms)');
  return ms;
}

export function compileRpcFault(f: Fault__Output, path: string): RpcFault {
  if (!f.delay && !f.abort) throw new ConfigError(path, 'needs a delay or an abort');
  let delayMs = 0;
  let delayPercent: Fraction | undefined;
  if (f.delay) {
    const dp = joinPath(path, 'delay');
    delayMs = positiveDuration(f.delay.fixed_delay, joinPath(dp, 'fixed_delay'));
    delayPercent = compileFraction(f.delay.percentage, joinPath(dp, 'percentage'));
  }
  const abortPercent = f.abort ? compileFraction(f.abort.percentage, joinPath(joinPath(path, 'abort'), 'percentage')) : undefined;
  const zero = compileFraction(null, path);
  return new RpcFault(delayMs, delayPercent ?? zero, abortPercent, f.abort?.message || DEFAULT_ABORT_MESSAGE);
}

/** One token bucket per route, shared by every connection of the filter chain (per worker process). */
export function compileRpcRateLimit(l: LocalRateLimit__Output, path: string): TokenBucket {
  const tb = l.token_bucket;
  const tbPath = joinPath(path, 'token_bucket');
  if (!tb) throw new ConfigError(tbPath, 'is required');
  if (tb.max_tokens < 1) throw new ConfigError(joinPath(tbPath, 'max_tokens'), 'must be greater than 0');
  const tokensPerFill = tb.tokens_per_fill ? tb.tokens_per_fill.value : 1;
  if (tokensPerFill < 1) throw new ConfigError(joinPath(tbPath, 'tokens_per_fill.value'), 'must be greater than 0');
  const fill = positiveDuration(tb.fill_interval, joinPath(tbPath, 'fill_interval'));
  if (fill < 50) throw new ConfigError(joinPath(tbPath, 'fill_interval'), 'must be at least 50ms');
  return new TokenBucket(tb.max_tokens, tokensPerFill, fill, monotonicNow);
}

export function compilePerTryTimeout(d: Duration__Output | null, path: string): number {
  return d ? positiveDuration(d, path) : 0;
}
