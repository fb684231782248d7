import { DEFAULT_INTERCEPT, type InterceptConfig } from '@weft/agent/intercept/index';

/** A bad interception flag: the CLI exits 2 with this message. */
export class InterceptUsageError extends Error {
  readonly code = 'WEFT_ERR_INTERCEPT_USAGE';
}

const str = { type: 'string' } as const;

/** The capture options `weft intercept` and `weft agent` share (parseArgs definitions). */
export const INTERCEPT_FLAGS = {
  netns: str,
  'proxy-uid': str,
  'proxy-gid': str,
  'outbound-port': str,
  'inbound-port': str,
  'include-outbound-ip-ranges': str,
  'exclude-outbound-ip-ranges': str,
  'exclude-outbound-ports': str,
  'include-inbound-ports': str,
  'exclude-inbound-ports': str,
} as const;

export const INTERCEPT_FLAGS_HELP = `      --netns <name>                      run iptables in this network namespace (ip netns exec)
      --proxy-uid <uid>                   the proxy's uid, never captured (default 1337)
      --proxy-gid <gid>                   the proxy's gid, never captured (default 1337)
      --outbound-port <port>              default 15001
      --inbound-port <port>               default 15006
      --include-outbound-ip-ranges <list> CIDRs, or '*' (default '*'; '' captures no outbound traffic)
      --exclude-outbound-ip-ranges <list> CIDRs
      --exclude-outbound-ports <list>     ports
      --include-inbound-ports <list>      ports, or '*' (default '*'; '' captures no inbound traffic)
      --exclude-inbound-ports <list>      ports (default 15020,15021,15090)
`;

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function ports(v: string | undefined, opt: string): number[] | undefined {
  return list(v)?.map((s) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new InterceptUsageError(`--${opt}: '${s}' is not a port`);
    return n;
  });
}

function int(v: string | undefined, opt: string, def: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new InterceptUsageError(`--${opt}: '${v}' is not a number`);
  return Number(v);
}

export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

/** Whether any capture option (other than --netns and the proxy's ids) was given. */
export function hasCaptureFlags(v: FlagValues): boolean {
  return Object.keys(INTERCEPT_FLAGS).some((k) => k !== 'netns' && k !== 'proxy-uid' && k !== 'proxy-gid' && v[k] !== undefined);
}

/** The interception config from the shared flags (defaults: Istio's); throws InterceptUsageError naming the flag. */
export function interceptConfigFrom(v: FlagValues): InterceptConfig {
  const s = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const incOut = s('include-outbound-ip-ranges');
  const incIn = s('include-inbound-ports');
  const d = DEFAULT_INTERCEPT;
  return {
    proxyUid: int(s('proxy-uid'), 'proxy-uid', d.proxyUid),
    proxyGid: int(s('proxy-gid'), 'proxy-gid', d.proxyGid),
    outboundPort: int(s('outbound-port'), 'outbound-port', d.outboundPort),
    inboundPort: int(s('inbound-port'), 'inbound-port', d.inboundPort),
    includeOutboundIPRanges: incOut === undefined || incOut.trim() === '*' ? '*' : (list(incOut) ?? []),
    excludeOutboundIPRanges: list(s('exclude-outbound-ip-ranges')) ?? d.excludeOutboundIPRanges,
    excludeOutboundPorts: ports(s('exclude-outbound-ports'), 'exclude-outbound-ports') ?? d.excludeOutboundPorts,
    includeInboundPorts: incIn === undefined || incIn.trim() === '*' ? '*' : (ports(incIn, 'include-inbound-ports') ?? []),
    excludeInboundPorts: ports(s('exclude-inbound-ports'), 'exclude-inbound-ports') ?? d.excludeInboundPorts,
  };
}

/** `--max-wait <sec>`: the longest a toggle waits for in-flight work (default 10). */
export function maxWaitSeconds(v: string | undefined): number {
  const n = v === undefined ? 10 : Number(v);
  if (v?.trim() === '' || !(n >= 0)) throw new InterceptUsageError(`--max-wait: '${String(v)}' is not a number of seconds`);
  return n;
}
