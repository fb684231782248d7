import { parseArgs } from 'node:util';
import { Interceptor, natScript, removalLines, type ToggleReport } from '@weft/agent/intercept/index';
import { hasCaptureFlags, INTERCEPT_FLAGS, INTERCEPT_FLAGS_HELP, interceptConfigFrom, InterceptUsageError, maxWaitSeconds, type FlagValues } from './intercept-flags.js';
import { interceptViaAgent } from './intercept-via-agent.js';

export const INTERCEPT_HELP = `Usage: weft intercept on|off|status [options]

Transparent interception (iptables nat rules, Istio style): outbound TCP to the proxy's outbound port, inbound
TCP to its inbound port; the proxy's own traffic (by uid/gid) and loopback are never captured.
'on' takes the instance out of service (the proxy's /healthcheck/fail), waits for in-flight requests, installs
the rules and puts it back; 'off' stops capturing new connections, drains (clients get connection: close), waits for the proxy's
connections to close and removes the rules.

With --agent the local 'weft agent' runs the flow (its own capture options apply) and answers with the report.

Options:
      --agent <host:port>                 go through this weft agent's API (POST /intercept/on|off, GET /intercept)
      --admin <host:port>                 the proxy's admin address, or 'none' (default 127.0.0.1:15000)
${INTERCEPT_FLAGS_HELP}      --max-wait <sec>                    longest wait for in-flight work (default 10)
      --dry-run                           print the iptables-restore input instead of applying it
      --json                              print the report as JSON
  -h, --help                              print this help
`;

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
  let values: FlagValues;
  let positionals: string[];
  try {
    const str = { type: 'string' } as const;
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        ...INTERCEPT_FLAGS,
        agent: str,
        admin: str,
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
    const json = values.json === true;
    if (typeof values.agent === 'string') {
      const local = ['admin', 'max-wait', 'netns', 'proxy-uid', 'proxy-gid'].filter((k) => values[k] !== undefined);
      if (hasCaptureFlags(values) || local.length > 0) {
        throw new InterceptUsageError('--agent: the capture options are the agent\'s own (weft agent flags); only --json and --dry-run go with --agent');
      }
      return await interceptViaAgent(values.agent, action, { json, dryRun: values['dry-run'] === true, format: formatReport });
    }
    const admin = typeof values.admin === 'string' ? values.admin : '127.0.0.1:15000';
    const maxWait = maxWaitSeconds(typeof values['max-wait'] === 'string' ? values['max-wait'] : undefined);
    const interceptor = new Interceptor({
      config: interceptConfigFrom(values),
      netns: typeof values.netns === 'string' ? values.netns : undefined,
      admin: admin === 'none' ? undefined : admin,
      toggle: { maxWaitMs: maxWait * 1000, pollMs: 50 },
    });
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
    return e instanceof InterceptUsageError || e.code === 'WEFT_ERR_INTERCEPT_CONFIG' ? 2 : 1;
  }
}
