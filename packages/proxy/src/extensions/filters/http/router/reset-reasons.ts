import { ResponseFlag } from '../../../../interfaces/response-flags.js';
import type { UpstreamResetReason } from '../../../../interfaces/upstream-stream.js';

const TEXT: Readonly<Record<UpstreamResetReason, string>> = {
  connection_failure: 'connection failure',
  connection_termination: 'connection termination',
  local_reset: 'local reset',
  remote_reset: 'remote reset',
  remote_refused_stream: 'remote refused stream reset',
  protocol_error: 'protocol error',
  overflow: 'overflow',
};

const FLAG: Readonly<Record<UpstreamResetReason, number>> = {
  connection_failure: ResponseFlag.UpstreamConnectionFailure,
  connection_termination: ResponseFlag.UpstreamConnectionTermination,
  local_reset: ResponseFlag.LocalReset,
  remote_reset: ResponseFlag.UpstreamRemoteReset,
  remote_refused_stream: ResponseFlag.UpstreamRemoteReset,
  protocol_error: ResponseFlag.UpstreamProtocolError,
  overflow: ResponseFlag.UpstreamOverflow,
};

/** The response flag Envoy sets for an upstream reset. */
export function resetFlag(reason: UpstreamResetReason): number {
  return FLAG[reason];
}

/** Envoy's local-reply body for an upstream reset before the response started. */
export function resetReplyBody(reason: UpstreamResetReason, transportFailure: string): string {
  const base = `upstream connect error or disconnect/reset before headers. reset reason: ${TEXT[reason]}`;
  return reason === 'connection_failure' && transportFailure ? `${base}, transport failure reason: ${transportFailure}` : base;
}

/** `%RESPONSE_CODE_DETAILS%` for an upstream reset. */
export function resetDetails(reason: UpstreamResetReason, afterResponseStarted: boolean): string {
  return `upstream_reset_${afterResponseStarted ? 'after' : 'before'}_response_started{${reason}}`;
}
