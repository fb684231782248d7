import { parseArgs } from 'node:util';
import { ConfigError } from '@weft/api/lite';
import { DEFAULT_HTTP_ADDRESS, DEFAULT_XDS_ADDRESS, loadSnapshotFile, parseHostPort, startControlPlane, StaticSnapshotProvider } from '@weft/control-plane';
import { LOG_LEVELS, parseLogLevel } from '@weft/proxy';
import { Logger } from '@weft/proxy/server/logger';

export const CONTROL_PLANE_HELP = `Usage: weft control-plane --snapshot-file <file> [options]

Runs the control plane: an ADS server (State-of-the-World and Delta) and its debug HTTP API.

Options:
      --snapshot-file <file>  Envoy resources served to every proxy: YAML/JSON with listeners, routes,
                              clusters and endpoints lists (proto3 JSON); required until Istio sources exist
      --xds-address <addr>    gRPC ADS address (default ${DEFAULT_XDS_ADDRESS})
      --http-address <addr>   debug/admin HTTP API address (default ${DEFAULT_HTTP_ADDRESS})
      --debounce <ms>         collect changes this long before pushing (default 100)
  -l, --log-level <level>     ${LOG_LEVELS.join('|')} (default info)
  -h, --help                  print this help
`;

export async function controlPlaneCommand(argv: string[]): Promise<number | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'snapshot-file': { type: 'string' },
        'xds-address': { type: 'string' },
        'http-address': { type: 'string' },
        debounce: { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`weft control-plane: ${(err as Error).message}\n\n${CONTROL_PLANE_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(CONTROL_PLANE_HELP);
    return 0;
  }
  const file = values['snapshot-file'];
  if (!file) {
    process.stderr.write(`weft control-plane: --snapshot-file is required\n\n${CONTROL_PLANE_HELP}`);
    return 2;
  }
  const xdsAddress = values['xds-address'] ?? DEFAULT_XDS_ADDRESS;
  const httpAddress = values['http-address'] ?? DEFAULT_HTTP_ADDRESS;
  try {
    parseHostPort(xdsAddress, '--xds-address');
    parseHostPort(httpAddress, '--http-address');
  } catch (err) {
    process.stderr.write(`weft control-plane: ${(err as Error).message}\n`);
    return 2;
  }
  const debounceMs = values.debounce === undefined ? 100 : Number(values.debounce);
  if (!Number.isFinite(debounceMs) || debounceMs < 0) {
    process.stderr.write(`weft control-plane: --debounce must be a non-negative number of milliseconds\n`);
    return 2;
  }
  const logLevel = parseLogLevel(values['log-level'] ?? 'info');
  if (!logLevel) {
    process.stderr.write(`weft control-plane: --log-level must be one of ${LOG_LEVELS.join(', ')}\n`);
    return 2;
  }
  let provider: StaticSnapshotProvider;
  try {
    provider = new StaticSnapshotProvider(loadSnapshotFile(file));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`weft control-plane: invalid snapshot in ${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const logger = new Logger(logLevel, { component: 'control-plane' });
  const cp = await startControlPlane({ provider, xdsAddress, httpAddress, debounceMs, logger });
  logger.info({ xds: `${parseHostPort(xdsAddress, '').host}:${cp.xdsPort}`, http: `${parseHostPort(httpAddress, '').host}:${cp.httpPort}` }, 'control plane listening');
  const stop = (): void => {
    void cp.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return undefined;
}
