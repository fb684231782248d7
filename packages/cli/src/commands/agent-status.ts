import { parseArgs } from 'node:util';
import type { AgentStatus } from '@weft/agent';
import { fetchDebug } from '../output/control-plane-client.js';
import { formatTable, parseOutputFormat, render } from '../output/format.js';

const HELP = `Usage: weft agent status [--agent host:port] [-o table|json|yaml]

Prints what the local weft agent reports: the proxy's pid, state, readiness, restarts and the last upgrade.
Options:
      --agent <host:port>   the agent API (default 127.0.0.1:15020)
  -o, --output <format>     table|json|yaml (default table)
  -h, --help                print this help
`;

function rows(s: AgentStatus): string[][] {
  const up = s.upgrade.last as { ok?: boolean; reason?: string; readyAfterMs?: number; oldExitAfterMs?: number } | null;
  const upgrade = up === null ? 'none' : up.ok ? `ok (ready after ${up.readyAfterMs} ms${up.oldExitAfterMs === undefined ? '' : `, old exited after ${up.oldExitAfterMs} ms`})` : `failed: ${up.reason}`;
  return [
    ['node', s.identity.nodeId],
    ['proxy pid', String(s.proxy.pid ?? '-')],
    ['state', s.proxy.state],
    ['ready', `${s.proxy.ready} (${s.proxy.serverState})`],
    ['restarts', String(s.proxy.restarts)],
    ['uptime', `${Math.round(s.proxy.uptimeMs / 1000)} s`],
    ['admin port', String(s.proxy.adminPort)],
    ['last upgrade', s.upgrade.inProgress ? 'in progress' : upgrade],
    ...(s.interception === undefined ? [] : [['interception', String((s.interception as { state?: unknown }).state ?? 'unknown')]]),
  ];
}

export async function agentStatusCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { agent: { type: 'string' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`weft agent status: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const format = parseOutputFormat(values.output);
  if (!format) {
    process.stderr.write(`weft agent status: --output must be table, json or yaml\n`);
    return 2;
  }
  const address = values.agent ?? '127.0.0.1:15020';
  try {
    const { status, body } = await fetchDebug(address, '/status');
    if (status !== 200) {
      process.stderr.write(`weft agent status: the agent at ${address} answered ${status}\n`);
      return 1;
    }
    const s = body as AgentStatus;
    process.stdout.write(render(format, s, () => formatTable(['FIELD', 'VALUE'], rows(s))));
    return 0;
  } catch (err) {
    process.stderr.write(`weft agent status: ${(err as Error).message.replace('the control plane', 'the agent').replace('control plane', 'agent')}\n`);
    return 1;
  }
}
