import * as os from 'node:os';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { AccessLog__Output } from '@weft/api/envoy/envoy/config/accesslog/v3/AccessLog.js';
import type { FileAccessLog__Output } from '@weft/api/envoy/envoy/extensions/access_loggers/file/v3/FileAccessLog.js';
import type { StdoutAccessLog__Output } from '@weft/api/envoy/envoy/extensions/access_loggers/stream/v3/StdoutAccessLog.js';
import type { Runtime } from '../../interfaces/runtime.js';
import type { AccessLogContext } from './context.js';
import { defaultSinks, type Sink, type SinkRegistry } from './file-sink.js';
import { compileAccessLogFilter, type AccessLogFilterFn } from './filters.js';
import { compileFileAccessLogFormat, compileSubstitutionFormat } from './format-config.js';
import type { Formatter } from './formatter.js';

export type { AccessLogContext } from './context.js';

export interface AccessLogger {
  log(ctx: AccessLogContext): void;
}

export interface AccessLogDeps {
  /** For `%HOSTNAME%`; default `os.hostname()`. */
  readonly hostname?: string;
  readonly runtime?: Runtime;
  /** Default: the process-wide registry (`defaultSinks`). */
  readonly sinks?: SinkRegistry;
}

const TYPE_PREFIX = 'type.googleapis.com/';
const FILE = `${TYPE_PREFIX}envoy.extensions.access_loggers.file.v3.FileAccessLog`;
const STDOUT = `${TYPE_PREFIX}envoy.extensions.access_loggers.stream.v3.StdoutAccessLog`;
const STDERR = `${TYPE_PREFIX}envoy.extensions.access_loggers.stream.v3.StderrAccessLog`;

/** Filter (optional) → formatter → shared buffered sink. */
export class SinkAccessLogger implements AccessLogger {
  constructor(
    readonly name: string,
    private readonly filter: AccessLogFilterFn | undefined,
    readonly formatter: Formatter,
    private readonly sink: Sink,
  ) {}

  log(ctx: AccessLogContext): void {
    if (this.filter !== undefined && !this.filter(ctx)) return;
    this.sink.write(this.formatter.format(ctx));
  }
}

/**
 * Compiles `envoy.config.accesslog.v3.AccessLog` entries (HCM / TCP proxy `access_log`). `path` is the field path of
 * the list; errors name the entry (`…access_log[1].typed_config.path`).
 */
export function createAccessLoggers(
  cfgs: readonly AccessLog__Output[],
  path: string,
  deps: AccessLogDeps = {},
): AccessLogger[] {
  const env = { hostname: deps.hostname ?? os.hostname() };
  const sinks = deps.sinks ?? defaultSinks;
  return cfgs.map((cfg, i) => {
    const p = joinPath(path, i);
    const filter = cfg.filter === null ? undefined : compileAccessLogFilter(cfg.filter, joinPath(p, 'filter'), deps);
    const tp = joinPath(p, 'typed_config');
    const typed = cfg.typed_config as unknown;
    if (typed === null || typed === undefined || typeof typed !== 'object') throw new ConfigError(tp, 'typed_config is required');
    const type = (typed as Record<string, unknown>)['@type'];
    switch (type) {
      case FILE: {
        const file = typed as FileAccessLog__Output;
        if (file.path === '') throw new ConfigError(joinPath(tp, 'path'), 'path is required');
        const formatter = compileFileAccessLogFormat(file, tp, env);
        return new SinkAccessLogger(cfg.name, filter, formatter, openSink(sinks, file.path, joinPath(tp, 'path')));
      }
      case STDOUT:
      case STDERR: {
        const stream = typed as StdoutAccessLog__Output;
        const formatter = compileSubstitutionFormat(stream.log_format ?? null, joinPath(tp, 'log_format'), env);
        return new SinkAccessLogger(cfg.name, filter, formatter, sinks.get(type === STDOUT ? '/dev/stdout' : '/dev/stderr'));
      }
      default:
        throw new ConfigError(tp, `unsupported access logger type ${typeof type === 'string' ? type : '(none)'}`);
    }
  });
}

function openSink(sinks: SinkRegistry, file: string, path: string): Sink {
  try {
    return sinks.get(file);
  } catch (err) {
    throw new ConfigError(path, `cannot open access log ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Flushes every buffered access log of the process (shutdown, before exit). */
export function flushAllAccessLogs(): void {
  defaultSinks.flushAll();
}

/** Reopens every access log file (SIGUSR1, after logrotate moved them). */
export function reopenAllAccessLogs(): void {
  defaultSinks.reopenAll();
}

/** Flushes and closes every access log file and stops the flush timer. */
export function closeAllAccessLogs(): void {
  defaultSinks.closeAll();
}
