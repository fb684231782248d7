import { parseArgs } from 'node:util';
import { ConfigError } from '@weft/api/lite';
import { LOG_LEVELS, parseLogLevel, runProxy } from '@weft/proxy';

export const PROXY_HELP = `Usage: weft proxy --config <file> [options]

Runs the data-plane proxy from an Envoy v3 bootstrap (YAML or JSON).

Options:
  -c, --config <file>       bootstrap file (required)
      --concurrency <n>     worker processes sharing the listeners (default 1)
  -l, --log-level <level>   ${LOG_LEVELS.join('|')} (default info)
      --drain-time <sec>    how long draining listeners wait for connections (default 15); also how long
                            the old process drains after a hot upgrade
      --upgrade-timeout <sec>
                            hot upgrade: the new process must serve within this time or the upgrade is
                            aborted and this one keeps serving (default 30)

Hot upgrade: SIGHUP, 'weft upgrade' (admin POST /hot_upgrade) or, under an agent, its 'begin' message starts a
new process that takes over the listening sockets (with --concurrency 1 only).
  -h, --help                print this help
`;

export async function proxyCommand(argv: string[]): Promise<number | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        concurrency: { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        'drain-time': { type: 'string' },
        'upgrade-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`weft proxy: ${(err as Error).message}\n\n${PROXY_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(PROXY_HELP);
    return 0;
  }
  if (!values.config) {
    process.stderr.write(`weft proxy: --config is required\n\n${PROXY_HELP}`);
    return 2;
  }
  const concurrency = values.concurrency === undefined ? 1 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    process.stderr.write(`weft proxy: --concurrency must be an integer between 1 and 256\n`);
    return 2;
  }
  const logLevel = parseLogLevel(values['log-level'] ?? 'info');
  if (!logLevel) {
    process.stderr.write(`weft proxy: --log-level must be one of ${LOG_LEVELS.join(', ')}\n`);
    return 2;
  }
  const drainSeconds = values['drain-time'] === undefined ? 15 : Number(values['drain-time']);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0) {
    process.stderr.write(`weft proxy: --drain-time must be a non-negative number of seconds\n`);
    return 2;
  }
  const upgradeSeconds = values['upgrade-timeout'] === undefined ? 30 : Number(values['upgrade-timeout']);
  if (!Number.isFinite(upgradeSeconds) || upgradeSeconds <= 0) {
    process.stderr.write(`weft proxy: --upgrade-timeout must be a positive number of seconds\n`);
    return 2;
  }
  try {
    await runProxy({ configPath: values.config, concurrency, logLevel, drainTimeMs: drainSeconds * 1000, upgradeTimeoutMs: upgradeSeconds * 1000 });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`weft proxy: invalid configuration in ${values.config}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return undefined;
}
