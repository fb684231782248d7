import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  AgentFlagError,
  bootstrapYaml,
  DEFAULT_AGENT_PORT,
  DEFAULT_BACKOFF,
  installAgentSignals,
  parseIdentity,
  parsePort,
  parseProxyEndpoints,
  runAgent,
  writeBootstrap,
  type IdentityInput,
} from '@weft/agent';
import { interceptExtension, validateInterceptConfig } from '@weft/agent/intercept/index';
import { LOG_LEVELS, parseLogLevel } from '@weft/proxy';
import { AGENT_HELP } from './agent-help.js';
import { hasCaptureFlags, INTERCEPT_FLAGS, interceptConfigFrom, InterceptUsageError, maxWaitSeconds } from './intercept-flags.js';

const WEFT_JS = fileURLToPath(new URL('../../bin/weft.js', import.meta.url));

const str = { type: 'string' } as const;
const OPTIONS = {
  service: str, namespace: str, workload: str, labels: str, ip: str, 'proxy-type': str, 'cluster-id': str, locality: str,
  'dns-domain': str, 'interception-mode': str, 'control-plane': str, 'admin-port': str, 'xds-api': str,
  'agent-port': str, 'work-dir': str, 'bootstrap-only': { type: 'boolean' }, 'proxy-binary': str, 'ready-interval': str,
  'termination-drain': str, 'restart-backoff': str, 'restart-backoff-max': str, 'restart-reset': str, 'max-restarts': str,
  concurrency: str, 'drain-time': str, 'log-level': { type: 'string', short: 'l' }, help: { type: 'boolean', short: 'h' },
  ...INTERCEPT_FLAGS, 'intercept-on-start': { type: 'boolean' }, 'max-wait': str,
} as const;

function millis(v: string | undefined, flag: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new AgentFlagError(flag, `'${v}' must be an integer >= ${min}`);
  return n;
}

/** Istio's TERMINATION_DRAIN_DURATION default. */
export const DEFAULT_TERMINATION_DRAIN_S = 5;

function seconds(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new AgentFlagError(flag, `'${v}' must be a non-negative number of seconds`);
  return n;
}

export async function agentCommand(argv: string[]): Promise<number | undefined> {
  if (argv[0] === 'status') return (await import('./agent-status.js')).agentStatusCommand(argv.slice(1));
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    process.stderr.write(`weft agent: ${(err as Error).message}\n\n${AGENT_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(AGENT_HELP);
    return 0;
  }
  const logLevel = parseLogLevel(values['log-level'] ?? 'info');
  if (!logLevel) {
    process.stderr.write(`weft agent: --log-level must be one of ${LOG_LEVELS.join(', ')}\n`);
    return 2;
  }
  try {
    const input = values as IdentityInput;
    const identity = parseIdentity(input);
    const endpoints = parseProxyEndpoints(input);
    const workDir = path.resolve(values['work-dir'] ?? path.join(os.tmpdir(), `weft-agent-${identity.workload}`));
    const yaml = bootstrapYaml(identity, endpoints);
    if (values['bootstrap-only']) {
      const file = writeBootstrap(workDir, yaml);
      process.stdout.write(yaml);
      process.stderr.write(`weft agent: bootstrap written to ${file}\n`);
      return 0;
    }
    const proxyArgs = ['--log-level', logLevel];
    if (values.concurrency !== undefined) proxyArgs.push('--concurrency', String(millis(values.concurrency, 'concurrency', 1)));
    if (values['drain-time'] !== undefined) proxyArgs.push('--drain-time', String(seconds(values['drain-time'], 'drain-time', 0)));
    const backoff = {
      initialMs: millis(values['restart-backoff'], 'restart-backoff', DEFAULT_BACKOFF.initialMs),
      maxMs: millis(values['restart-backoff-max'], 'restart-backoff-max', DEFAULT_BACKOFF.maxMs),
      resetAfterMs: millis(values['restart-reset'], 'restart-reset', DEFAULT_BACKOFF.resetAfterMs),
      maxConsecutive: millis(values['max-restarts'], 'max-restarts', DEFAULT_BACKOFF.maxConsecutive, 0),
    };
    const agentPort = values['agent-port'] === undefined ? DEFAULT_AGENT_PORT : parsePort(values['agent-port'], 'agent-port', true);
    const proxyBinary = path.resolve(values['proxy-binary'] ?? WEFT_JS);
    if (!existsSync(proxyBinary)) throw new AgentFlagError('proxy-binary', `${proxyBinary} does not exist`);
    const redirect = identity.interceptionMode === 'REDIRECT';
    if (!redirect && (hasCaptureFlags(values) || values.netns !== undefined || values['intercept-on-start'] === true || values['max-wait'] !== undefined)) {
      throw new AgentFlagError('interception-mode', 'the interception options need --interception-mode redirect');
    }
    const config = interceptConfigFrom(values);
    validateInterceptConfig(config);
    const explicitUser = values['proxy-uid'] !== undefined || values['proxy-gid'] !== undefined;
    const extensions = redirect
      ? [interceptExtension({ config, netns: values.netns, onStart: values['intercept-on-start'] === true, toggle: { maxWaitMs: maxWaitSeconds(values['max-wait']) * 1000, pollMs: 50 } })]
      : [];
    const agent = await runAgent({
      identity,
      endpoints,
      workDir,
      proxyBinary,
      proxyArgs,
      agentHost: '127.0.0.1',
      agentPort,
      backoff,
      readyIntervalMs: millis(values['ready-interval'], 'ready-interval', 1000, 10),
      terminationDrainMs: seconds(values['termination-drain'], 'termination-drain', DEFAULT_TERMINATION_DRAIN_S) * 1000,
      logLevel,
      // Capture excludes the proxy's own traffic by owner: the proxy must run as that uid/gid.
      proxyUser: redirect || explicitUser ? { uid: config.proxyUid, gid: config.proxyGid } : undefined,
      extensions,
    });
    installAgentSignals(agent);
    return undefined;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof AgentFlagError || err instanceof InterceptUsageError || code === 'WEFT_ERR_INTERCEPT_CONFIG') {
      process.stderr.write(`weft agent: ${(err as Error).message}\n`);
      return 2;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      process.stderr.write(`weft agent: cannot listen on the agent port: ${e.message}\n`);
      return 1;
    }
    throw err;
  }
}
