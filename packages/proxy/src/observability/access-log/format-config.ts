import * as fs from 'node:fs';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { SubstitutionFormatString__Output } from '@weft/api/envoy/envoy/config/core/v3/SubstitutionFormatString.js';
import type { DataSource__Output } from '@weft/api/envoy/envoy/config/core/v3/DataSource.js';
import type { FileAccessLog__Output } from '@weft/api/envoy/envoy/extensions/access_loggers/file/v3/FileAccessLog.js';
import { structToJson } from '../struct.js';
import { DEFAULT_FORMAT, TextFormatter, type Formatter } from './formatter.js';
import { JsonFormatter } from './json-formatter.js';
import type { OperatorEnv } from './operators.js';

/** Reads a DataSource at config time (inline_string, inline_bytes, filename, environment_variable). */
function readDataSource(ds: DataSource__Output, path: string): string {
  switch (ds.specifier) {
    case 'inline_string':
      return ds.inline_string ?? '';
    case 'inline_bytes':
      return Buffer.from(ds.inline_bytes ?? Buffer.alloc(0)).toString('utf8');
    case 'filename':
      try {
        return fs.readFileSync(ds.filename ?? '', 'utf8');
      } catch (err) {
        throw new ConfigError(joinPath(path, 'filename'), `cannot read ${ds.filename ?? ''}: ${(err as Error).message}`, { cause: err });
      }
    case 'environment_variable': {
      const v = process.env[ds.environment_variable ?? ''];
      if (v === undefined) throw new ConfigError(joinPath(path, 'environment_variable'), `${ds.environment_variable ?? ''} is not set`);
      return v;
    }
    default:
      throw new ConfigError(path, 'data source has no inline_string, inline_bytes, filename or environment_variable');
  }
}

/** `envoy.config.core.v3.SubstitutionFormatString` → Formatter. Null → Envoy's default text format. */
export function compileSubstitutionFormat(
  cfg: SubstitutionFormatString__Output | null,
  path: string,
  env: OperatorEnv,
): Formatter {
  if (cfg === null) return new TextFormatter(DEFAULT_FORMAT, path, env);
  if (cfg.formatters.length > 0) {
    throw new ConfigError(joinPath(path, 'formatters'), 'formatter extensions are not supported');
  }
  const omit = cfg.omit_empty_values;
  switch (cfg.format) {
    case 'text_format':
      return new TextFormatter(cfg.text_format ?? '', joinPath(path, 'text_format'), env, omit, cfg.content_type || 'text/plain');
    case 'text_format_source': {
      const p = joinPath(path, 'text_format_source');
      if (cfg.text_format_source == null) throw new ConfigError(p, 'missing data source');
      return new TextFormatter(readDataSource(cfg.text_format_source, p), p, env, omit, cfg.content_type || 'text/plain');
    }
    case 'json_format':
      return new JsonFormatter(structToJson(cfg.json_format), joinPath(path, 'json_format'), env, {
        typed: true,
        omitEmptyValues: omit,
        sortProperties: cfg.json_format_options?.sort_properties ?? false,
        contentType: cfg.content_type,
      });
    default:
      throw new ConfigError(path, 'one of text_format, text_format_source or json_format is required');
  }
}

/** FileAccessLog's format: `log_format`, or the legacy `format` / `json_format` / `typed_json_format`. */
export function compileFileAccessLogFormat(cfg: FileAccessLog__Output, path: string, env: OperatorEnv): Formatter {
  switch (cfg.access_log_format) {
    case 'format':
      return new TextFormatter(cfg.format || DEFAULT_FORMAT, joinPath(path, 'format'), env);
    case 'json_format':
      return new JsonFormatter(structToJson(cfg.json_format), joinPath(path, 'json_format'), env, { typed: false });
    case 'typed_json_format':
      return new JsonFormatter(structToJson(cfg.typed_json_format), joinPath(path, 'typed_json_format'), env, { typed: true });
    case 'log_format':
      return compileSubstitutionFormat(cfg.log_format ?? null, joinPath(path, 'log_format'), env);
    default:
      return new TextFormatter(DEFAULT_FORMAT, path, env);
  }
}
