import { parseArgs } from 'node:util';
import { DEFAULT_INTERCEPT, Interceptor, natScript, removalLines, type InterceptConfig, type ToggleReport } from '@weft/agent/intercept/index';

export const INTERCEPT_HELP = `Usage: weft intercept on|off|status [options]

Transparent interception (iptables nat rules, Istio style): outbound TCP to the proxy's outbound port, inbound
TCP to its inbound port; the proxy's own traffic (by uid/gid) and loopback are never captured.
'on' takes the instance out of service (the proxy's /healthcheck/fail), waits for in-flight requests, installs
the rules and puts it back; 'off' stops capturing new connections, drains (clients get connection: close), waits for the proxy's
connections to close and removes the rules.

Options:
      --netns <name>                      run iptables in this network namespace (ip netns exec)
      --admin <host:port>                 the proxy's admin address, or 'none' (default 127.0.0.1:15000)
      --proxy-uid <uid>                   the proxy's uid, never captured (default 1337)
      --proxy-gid <gid>                   the proxy's gid, never captured (default 1337)
      --outbound-port <port>              default 15001
      --inbound-port <port>               default 15006
      --include-outbound-ip-ranges <list> CIDRs, or '*' (default '*'; '' captures no outbound traffic)
      --exclude-outbound-ip-ranges <list> CIDRs
      --exclude-outbound-ports <list>     ports
      --include-inbound-ports <list>      ports, or '*' (default '*'; '' captures no inbound traffic)
      --exclude-inbound-ports <list>      ports (default 15020,15021,15090)
      --max-wait <sec>                    longest wait for in-flight work (default 10)
      --dry-run                           print the iptables-restore input instead of applying it
      --json                              print the report as JSON
  -h, --help                              print this help
`;

class UsageError extends Error {}

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function ports(v: string | undefined, opt: string): number[] | undefined {
  return list(v)?.map((s) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(`--${opt}: '${s}' is not a port`);
    return n;
  });
}

function int(v: string | undefined, opt: string, def: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${opt}: '${v}' is not a number`);
  return Number(v);
}

type Values = Record<string, string | boolean | undefined>;

function configFrom(v: Values): InterceptConfig {
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

function formatReport(r: ToggleReport): string {
  const ms = (n: number): string => `${Math.round(n)} ms`;
  const what = r.action === 'on' ? 'requests' : 'connections';
  const wait = `  wait for ${what}: ${ms(r.waitMs)} (${r.inFlightAtStart} in flight, ${r.inFlightAtEnd} left${r.waitTimedOut ? ', gave up waiting' : ''})\n`;
  const steps =
    r.action === 'on'
      ? `  out of service: ${ms(r.prepareMs)}\n${wait}  rules installed: ${ms(r.rulesMs)}\n`
      : `  drain started: ${ms(r.prepareMs)}\n${wait}  rules changed (capture stopped, then removed): ${ms(r.rulesMs)}\n`;
  return `interception ${r.action} in ${ms(r.totalMs)}\n${steps}  back in service: ${ms(r.restoreMs)}\n`;
}

export async function interceptCommand(argv: string[]): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    const str = { type: 'string' } as const;
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        netns: str,
        admin: str,
        'proxy-uid': str,
        'proxy-gid': str,
        'outbound-port': str,
        'inbound-port': str,
        'include-outbound-ip-ranges': str,
        'exclude-outbound-ip-ranges': str,
        'exclude-outbound-ports': str,
        'include-inbound-ports': str,
        'exclude-inbound-ports': str,
        'max-wait': str,
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    process.stderr.write(`weft intercept: ${(err as Error).message}\n\n${INTERCEPT_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(INTERCEPT_HELP);
    return 0;
  }
  const action = positionals[0];
  if (positionals.length !== 1 || (action !== 'on' && action !== 'off' && action !== 'status')) {
    process.stderr.write(`weft intercept: expected one of on, off, status\n\n${INTERCEPT_HELP}`);
    return 2;
  }
  try {
    const admin = typeof values.admin === 'string' ? values.admin : '127.0.0.1:15000';
    const maxWait = typeof values['max-wait'] === 'string' ? Number(values['max-wait']) : 10;
    if (!(maxWait >= 0)) throw new UsageError(`--max-wait: '${String(values['max-wait'])}' is not a number of seconds`);
    const interceptor = new Interceptor({
      config: configFrom(values),
      netns: typeof values.netns === 'string' ? values.netns : undefined,
      admin: admin === 'none' ? undefined : admin,
      toggle: { maxWaitMs: maxWait * 1000, pollMs: 50 },
    });
    const json = values.json === true;
    if (action === 'status') {
      const st = await interceptor.status();
      process.stdout.write(json ? `${JSON.stringify(st)}\n` : `interception ${st.state}\n${st.installed.jumps.concat(st.installed.rules).map((r) => `  ${r}\n`).join('')}`);
      return 0;
    }
    if (values['dry-run'] === true) {
      process.stdout.write(action === 'on' ? interceptor.dryRun() : natScript(removalLines(await interceptor.installer.state())));
      return 0;
    }
    const report = action === 'on' ? await interceptor.on() : await interceptor.off();
    process.stdout.write(json ? `${JSON.stringify(report)}\n` : formatReport(report));
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    process.stderr.write(`weft intercept ${action}: ${e.message}\n`);
    return e instanceof UsageError || e.code === 'WEFT_ERR_INTERCEPT_CONFIG' ? 2 : 1;
  }
}
