import { readFileSync } from 'node:fs';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { DataSource__Output } from '@weft/api/envoy/envoy/config/core/v3/DataSource.js';

/** A config.core.v3.DataSource: a file (watched for changes) or inline bytes. */
export interface DataSourceSpec {
  /** Absolute or relative file name; undefined for inline data. */
  readonly filename: string | undefined;
  /** The field path, for errors on reload. */
  readonly path: string;
  readonly inline: Buffer | undefined;
}

export function parseDataSource(ds: DataSource__Output | null, path: string): DataSourceSpec | undefined {
  if (!ds || !ds.specifier) return undefined;
  if (ds.watched_directory) throw new ConfigError(joinPath(path, 'watched_directory'), 'is not supported yet (files are watched anyway)');
  switch (ds.specifier) {
    case 'filename':
      if (!ds.filename) throw new ConfigError(joinPath(path, 'filename'), 'must not be empty');
      return { filename: ds.filename, path, inline: undefined };
    case 'inline_bytes':
      return { filename: undefined, path, inline: Buffer.from(ds.inline_bytes ?? Buffer.alloc(0)) };
    case 'inline_string':
      return { filename: undefined, path, inline: Buffer.from(ds.inline_string ?? '', 'utf8') };
    default:
      throw new ConfigError(joinPath(path, ds.specifier), 'is not supported yet');
  }
}

/** Reads the current bytes; throws ConfigError naming the field when a file cannot be read. */
export function readDataSource(spec: DataSourceSpec): Buffer {
  if (spec.inline) return spec.inline;
  try {
    return readFileSync(spec.filename as string);
  } catch (err) {
    throw new ConfigError(joinPath(spec.path, 'filename'), `cannot read '${spec.filename}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
