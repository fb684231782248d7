import { constants } from 'node:os';
import type { UpstreamStreamReadyHandler } from '../interfaces/upstream-stream.js';

export type PoolErrorKind = 'connect_failure' | 'timeout' | 'overflow';

/**
 * Why a connection could not be handed out. `reason` is Envoy's transport failure reason
 * (`delayed connect error: 111`), empty for a timeout; the router composes Envoy's local-reply text from both.
 */
export class PoolError extends Error {
  readonly code = 'WEFT_ERR_UPSTREAM_POOL';
  constructor(
    readonly kind: PoolErrorKind,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason ? `${kind}: ${reason}` : kind, options);
    this.name = 'PoolError';
  }
}

/** Envoy-style transport failure reason for a failed connect: `delayed connect error: <errno>`. */
export function connectFailureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  let errno = code !== undefined ? (constants.errno as Record<string, number | undefined>)[code] : undefined;
  if (errno === undefined && typeof e?.errno === 'number') errno = Math.abs(e.errno);
  return errno !== undefined ? `delayed connect error: ${errno}` : `delayed connect error: ${code ?? 'unknown'}`;
}

/** Tells a stream's owner why the pool had no connection for it (circuit-breaker overflow or connect failure). */
export function reportPoolFailure(ready: UpstreamStreamReadyHandler, err: PoolError | undefined): void {
  if (err?.kind === 'overflow') ready.onStreamFailure('overflow', '');
  else ready.onStreamFailure('connection_failure', err?.reason ?? '');
}
