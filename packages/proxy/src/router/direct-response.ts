import { readFileSync, statSync } from 'node:fs';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { DirectResponseAction__Output } from '@weft/api/envoy/envoy/config/route/v3/DirectResponseAction.js';

/** Envoy's default `max_direct_response_body_size_bytes`. */
export const DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES = 4096;

/** `direct_response` action: answer locally with a status and a body read at config time. */
export class DirectResponseRouteAction {
  readonly kind = 'direct_response' as const;
  /** The body as text (UTF-8); `bodyBytes` holds the exact bytes. */
  readonly body: string;

  constructor(
    readonly status: number,
    readonly bodyBytes: Buffer,
  ) {
    this.body = bodyBytes.toString('utf8');
  }
}

export function compileDirectResponse(d: DirectResponseAction__Output, path: string, maxBodyBytes: number): DirectResponseRouteAction {
  if (d.status < 200 || d.status >= 600) throw new ConfigError(joinPath(path, 'status'), 'must be in [200, 600)');
  let body = Buffer.alloc(0);
  const b = d.body;
  const bodyPath = joinPath(path, 'body');
  if (b) {
    switch (b.specifier) {
      case 'inline_string':
        body = Buffer.from(b.inline_string ?? '', 'utf8');
        break;
      case 'inline_bytes':
        body = Buffer.from(b.inline_bytes ?? Buffer.alloc(0));
        break;
      case 'filename': {
        const file = b.filename ?? '';
        const fp = joinPath(bodyPath, 'filename');
        let size: number;
        try {
          size = statSync(file).size;
        } catch (err) {
          throw new ConfigError(fp, `response body file ${file} does not exist`, { cause: err });
        }
        if (size > maxBodyBytes) throw new ConfigError(fp, `response body file ${file} size is ${size} bytes; maximum is ${maxBodyBytes}`);
        try {
          body = readFileSync(file);
        } catch (err) {
          throw new ConfigError(fp, `cannot read response body file ${file}: ${(err as Error).message}`, { cause: err });
        }
        break;
      }
      case 'environment_variable': {
        const name = b.environment_variable ?? '';
        const v = process.env[name];
        if (v === undefined) throw new ConfigError(joinPath(bodyPath, 'environment_variable'), `environment variable ${name} is not set`);
        body = Buffer.from(v, 'utf8');
        break;
      }
      default:
    }
  }
  if (body.length > maxBodyBytes) throw new ConfigError(bodyPath, `response body size is ${body.length} bytes; maximum is ${maxBodyBytes}`);
  return new DirectResponseRouteAction(d.status, body);
}
