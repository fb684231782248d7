/** Envoy response flags (bit set) and their short codes as access logs print them. */
export const ResponseFlag = {
  FailedLocalHealthCheck: 1 << 0, // LH
  NoHealthyUpstream: 1 << 1, // UH
  UpstreamRequestTimeout: 1 << 2, // UT
  LocalReset: 1 << 3, // LR
  UpstreamRemoteReset: 1 << 4, // UR
  UpstreamConnectionFailure: 1 << 5, // UF
  UpstreamConnectionTermination: 1 << 6, // UC
  UpstreamOverflow: 1 << 7, // UO
  NoRouteFound: 1 << 8, // NR
  DelayInjected: 1 << 9, // DI
  FaultInjected: 1 << 10, // FI
  RateLimited: 1 << 11, // RL
  UnauthorizedExternalService: 1 << 12, // UAEX
  RateLimitServiceError: 1 << 13, // RLSE
  DownstreamConnectionTermination: 1 << 14, // DC
  UpstreamRetryLimitExceeded: 1 << 15, // URX
  StreamIdleTimeout: 1 << 16, // SI
  InvalidEnvoyRequestHeaders: 1 << 17, // IH
  DownstreamProtocolError: 1 << 18, // DPE
  UpstreamMaxStreamDurationReached: 1 << 19, // UMSDR
  ResponseFromCacheFilter: 1 << 20, // RFCF
  NoFilterConfigFound: 1 << 21, // NFCF
  DurationTimeout: 1 << 22, // DT
  UpstreamProtocolError: 1 << 23, // UPE
  NoClusterFound: 1 << 24, // NC
  OverloadManager: 1 << 25, // OM
  DnsResolutionFailed: 1 << 26, // DF
  DropOverLoad: 1 << 27, // DO
  DownstreamRemoteReset: 1 << 28, // DR
} as const;

export type ResponseFlagName = keyof typeof ResponseFlag;

/** Short codes in Envoy's print order. */
const SHORT_CODES: ReadonlyArray<readonly [number, string]> = [
  [ResponseFlag.FailedLocalHealthCheck, 'LH'],
  [ResponseFlag.NoHealthyUpstream, 'UH'],
  [ResponseFlag.UpstreamRequestTimeout, 'UT'],
  [ResponseFlag.LocalReset, 'LR'],
  [ResponseFlag.UpstreamRemoteReset, 'UR'],
  [ResponseFlag.UpstreamConnectionFailure, 'UF'],
  [ResponseFlag.UpstreamConnectionTermination, 'UC'],
  [ResponseFlag.UpstreamOverflow, 'UO'],
  [ResponseFlag.NoRouteFound, 'NR'],
  [ResponseFlag.DelayInjected, 'DI'],
  [ResponseFlag.FaultInjected, 'FI'],
  [ResponseFlag.RateLimited, 'RL'],
  [ResponseFlag.UnauthorizedExternalService, 'UAEX'],
  [ResponseFlag.RateLimitServiceError, 'RLSE'],
  [ResponseFlag.DownstreamConnectionTermination, 'DC'],
  [ResponseFlag.UpstreamRetryLimitExceeded, 'URX'],
  [ResponseFlag.StreamIdleTimeout, 'SI'],
  [ResponseFlag.InvalidEnvoyRequestHeaders, 'IH'],
  [ResponseFlag.DownstreamProtocolError, 'DPE'],
  [ResponseFlag.UpstreamMaxStreamDurationReached, 'UMSDR'],
  [ResponseFlag.ResponseFromCacheFilter, 'RFCF'],
  [ResponseFlag.NoFilterConfigFound, 'NFCF'],
  [ResponseFlag.DurationTimeout, 'DT'],
  [ResponseFlag.UpstreamProtocolError, 'UPE'],
  [ResponseFlag.NoClusterFound, 'NC'],
  [ResponseFlag.OverloadManager, 'OM'],
  [ResponseFlag.DnsResolutionFailed, 'DF'],
  [ResponseFlag.DropOverLoad, 'DO'],
  [ResponseFlag.DownstreamRemoteReset, 'DR'],
];

/** `UF,URX` style string, or `-` when no flag is set (Envoy's format). */
export function formatResponseFlags(flags: number): string {
  if (flags === 0) return '-';
  let out = '';
  for (const [bit, code] of SHORT_CODES) {
    if ((flags & bit) === 0) continue;
    out = out ? `${out},${code}` : code;
  }
  return out;
}
