import { ConfigError } from './errors.js';

/** Where the errors were found: the file and, per error, the line (1-based) when it could be located. */
export interface ConfigErrorSource {
  readonly fileName?: string;
  readonly lines?: readonly (number | undefined)[];
}

/** How many errors the message lists; the `errors` array keeps them all. */
const MAX_LISTED = 50;

/**
 * Several configuration errors found in one pass. It is a `ConfigError` whose `path`/`reason` are those of the first
 * error, so code that handles a single `ConfigError` keeps working; `errors` has them all. The message lists one
 * `[file:line: ]path: reason` line per error.
 */
export class AggregateConfigError extends ConfigError {
  readonly errors: readonly ConfigError[];
  readonly fileName: string | undefined;
  readonly lines: readonly (number | undefined)[];

  constructor(errors: readonly ConfigError[], source: ConfigErrorSource = {}) {
    const first = errors[0] ?? new ConfigError('', 'invalid configuration');
    super(first.path, first.reason, { cause: first });
    this.name = 'AggregateConfigError';
    this.errors = errors.length > 0 ? errors : [first];
    this.fileName = source.fileName;
    this.lines = source.lines ?? [];
    this.message = formatErrors(this.errors, this.fileName, this.lines);
  }
}

function formatOne(error: ConfigError, fileName: string | undefined, line: number | undefined): string {
  let where = '';
  if (fileName !== undefined) where = line !== undefined ? `${fileName}:${line}: ` : `${fileName}: `;
  return where + (error.path ? `${error.path}: ${error.reason}` : error.reason);
}

function formatErrors(
  errors: readonly ConfigError[],
  fileName: string | undefined,
  lines: readonly (number | undefined)[],
): string {
  if (errors.length === 1 && errors[0]) return formatOne(errors[0], fileName, lines[0]);
  const out = [`${errors.length} configuration errors${fileName !== undefined ? ` in ${fileName}` : ''}:`];
  const n = Math.min(errors.length, MAX_LISTED);
  for (let i = 0; i < n; i++) {
    const e = errors[i];
    if (e) out.push(`  ${formatOne(e, fileName, lines[i])}`);
  }
  if (errors.length > n) out.push(`  … and ${errors.length - n} more`);
  return out.join('\n');
}
