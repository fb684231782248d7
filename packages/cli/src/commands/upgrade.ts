import { request } from 'node:http';
import { parseArgs } from 'node:util';

export const UPGRADE_HELP = `Usage: weft upgrade --admin <host:port> [options]

Hot-upgrades a running 'weft proxy' (its admin POST /hot_upgrade): a new process takes over the listening sockets,
the old one drains and exits. Prints the time until the new process served, and the old and new pids.
Exit code 1 when the upgrade was aborted (the old process keeps serving).

Options:
  --admin <host:port>   the proxy's admin address (required)
  --binary <path>       weft.js (run with the same Node) or an executable to start instead of the current command
  --timeout <ms>        the new process must serve within this time (default: the proxy's --upgrade-timeout)
  --wait                also wait until the old process has exited (same host only) and print when
  -o, --output text|json
  -h, --help            print this help
`;

interface Report {
  readonly ok?: boolean;
  readonly old_pid?: number;
  readonly new_pid?: number;
  readonly ready_ms?: number;
  readonly old_exit_deadline_ms?: number;
  readonly reason?: string;
  readonly aborted_after_ms?: number;
}

export async function upgradeCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        admin: { type: 'string' },
        binary: { type: 'string' },
        timeout: { type: 'string' },
        wait: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`weft upgrade: ${(err as Error).message}\n\n${UPGRADE_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(UPGRADE_HELP);
    return 0;
  }
  if (!values.admin) {
    process.stderr.write(`weft upgrade: --admin is required\n\n${UPGRADE_HELP}`);
    return 2;
  }
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs <= 0)) {
    process.stderr.write(`weft upgrade: --timeout must be a positive integer (milliseconds)\n`);
    return 2;
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') {
    process.stderr.write(`weft upgrade: -o must be text or json\n`);
    return 2;
  }
  const query = new URLSearchParams();
  if (values.binary) query.set('binary', values.binary);
  if (timeoutMs !== undefined) query.set('timeout_ms', String(timeoutMs));
  const started = performance.now();
  let res: { status: number; body: string };
  try {
    res = await post(values.admin, `/hot_upgrade${query.size > 0 ? `?${query.toString()}` : ''}`, (timeoutMs ?? 120_000) + 10_000);
  } catch (err) {
    process.stderr.write(`weft upgrade: cannot reach the proxy admin at ${values.admin}: ${(err as Error).message}\n`);
    return 1;
  }
  let report: Report & { old_exit_ms?: number };
  try {
    report = JSON.parse(res.body) as Report;
  } catch {
    process.stderr.write(`weft upgrade: the proxy answered ${res.status}: ${res.body.trim()}\n`);
    return 1;
  }
  if (report.ok === true && values.wait && report.old_pid !== undefined) {
    await waitForExit(report.old_pid);
    report = { ...report, old_exit_ms: Math.round(performance.now() - started) };
  }
  if (output === 'json') process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else if (report.ok === true) {
    process.stdout.write(
      `upgraded: new proxy pid ${report.new_pid} serving after ${report.ready_ms} ms; old proxy pid ${report.old_pid} drains ` +
        `(exits within ${report.old_exit_deadline_ms} ms)\n`,
    );
    if (report.old_exit_ms !== undefined) process.stdout.write(`old proxy pid ${report.old_pid} exited after ${report.old_exit_ms} ms\n`);
  } else {
    process.stdout.write(`upgrade aborted after ${report.aborted_after_ms ?? '?'} ms: ${report.reason ?? `status ${res.status}`}; old proxy pid ${report.old_pid} keeps serving\n`);
  }
  return report.ok === true ? 0 : 1;
}

function post(address: string, pathAndQuery: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const url = new URL(`http://${address}${pathAndQuery}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

async function waitForExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
