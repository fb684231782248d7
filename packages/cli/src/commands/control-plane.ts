import { parseArgs } from 'node:util';
import { ConfigError } from '@weft/api/lite';
import {
  DEFAULT_ETCD_PREFIX,
  DEFAULT_HTTP_ADDRESS,
  DEFAULT_XDS_ADDRESS,
  EtcdSource,
  IstioSnapshotProvider,
  loadSnapshotFile,
  parseEtcdEndpoints,
  parseHostPort,
  startControlPlane,
  startIstioSource,
  StaticSnapshotProvider,
  type ConfigSourceFactory,
  type RunningControlPlane,
} from '@weft/control-plane';
import { LOG_LEVELS, parseLogLevel } from '@weft/proxy';
import { CONTROL_PLANE_HELP } from './control-plane-help.js';
import { Logger } from '@weft/proxy/server/logger';


export async function controlPlaneCommand(argv: string[]): Promise<number | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'snapshot-file': { type: 'string' },
        'config-dir': { type: 'string' },
        'etcd-endpoints': { type: 'string' },
        'etcd-prefix': { type: 'string' },
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
  const configDir = values['config-dir'];
  const etcd = values['etcd-endpoints'];
  if ([file, configDir, etcd].filter((v) => v !== undefined).length !== 1) {
    process.stderr.write(`weft control-plane: exactly one of --config-dir, --etcd-endpoints and --snapshot-file is required\n\n${CONTROL_PLANE_HELP}`);
    return 2;
  }
  if (values['etcd-prefix'] !== undefined && etcd === undefined) {
    process.stderr.write(`weft control-plane: --etcd-prefix needs --etcd-endpoints\n`);
    return 2;
  }
  let etcdEndpoints: string[] | undefined;
  const etcdPrefix = values['etcd-prefix'] ?? DEFAULT_ETCD_PREFIX;
  try {
    if (etcd !== undefined) etcdEndpoints = parseEtcdEndpoints(etcd);
  } catch (err) {
    process.stderr.write(`weft control-plane: ${(err as Error).message}\n`);
    return 2;
  }
  if (etcdPrefix === '') {
    process.stderr.write(`weft control-plane: --etcd-prefix must not be empty (it would watch the whole keyspace)\n`);
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
  const logger = new Logger(logLevel, { component: 'control-plane' });
  if (configDir !== undefined || etcdEndpoints !== undefined) {
    const istio = new IstioSnapshotProvider();
    let from: string | ConfigSourceFactory;
    if (etcdEndpoints !== undefined) {
      const endpoints = etcdEndpoints;
      from = (hooks) => new EtcdSource({ endpoints, prefix: etcdPrefix, ...hooks });
      logger.info({ endpoints, prefix: etcdPrefix }, 'reading Istio resources from etcd (waiting for a first full read)');
      if (!etcdPrefix.endsWith('/')) logger.warn({ prefix: etcdPrefix }, `--etcd-prefix does not end with '/': keys such as ${etcdPrefix}-other/x match too`);
    } else from = configDir as string;
    const source = await startIstioSource(from, istio, logger);
    const cp = await startControlPlane({
      provider: istio,
      xdsAddress,
      httpAddress,
      debounceMs,
      logger,
      debug: { configIssues: () => source.issues(), configSource: () => source.status(), registry: () => source.registry() },
    });
    announce(logger, cp, xdsAddress, httpAddress, () => source.close());
    return undefined;
  }
  let provider: StaticSnapshotProvider;
  try {
    provider = new StaticSnapshotProvider(loadSnapshotFile(file as string));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`weft control-plane: invalid snapshot in ${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const cp = await startControlPlane({ provider, xdsAddress, httpAddress, debounceMs, logger });
  announce(logger, cp, xdsAddress, httpAddress);
  return undefined;
}

function announce(logger: Logger, cp: RunningControlPlane, xdsAddress: string, httpAddress: string, closeSource?: () => void): void {
  logger.info({ xds: `${parseHostPort(xdsAddress, '').host}:${cp.xdsPort}`, http: `${parseHostPort(httpAddress, '').host}:${cp.httpPort}` }, 'control plane listening');
  const stop = (): void => {
    closeSource?.();
    void cp.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
