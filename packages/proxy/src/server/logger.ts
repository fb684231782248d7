import { pino, type Logger } from 'pino';

/** Envoy's log level names, mapped onto pino's. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PINO_LEVEL: Record<LogLevel, string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  off: 'silent',
};

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Accepts Envoy names plus pino's `warn`/`fatal` aliases. */
export function parseLogLevel(value: string): LogLevel | undefined {
  if (value === 'warn') return 'warning';
  if (value === 'fatal') return 'critical';
  return isLogLevel(value) ? value : undefined;
}

let root: Logger = pino({ level: 'info', base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
let current: LogLevel = 'info';

export function logger(): Logger {
  return root;
}

export function setLogLevel(level: LogLevel): void {
  current = level;
  root.level = PINO_LEVEL[level];
}

export function getLogLevel(): LogLevel {
  return current;
}

/** Replaces the process logger (tests silence it; workers tag their lines). */
export function configureLogger(options: { level: LogLevel; bindings?: Record<string, unknown> }): void {
  root = pino({ level: PINO_LEVEL[options.level], base: { pid: process.pid, ...options.bindings } }, pino.destination({ dest: 2, sync: true }));
  current = options.level;
}
