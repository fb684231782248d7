import { ConfigError } from '@weft/api/lite';
import type { AccessLogContext } from './context.js';
import { compileOperator, FormatPart, type OperatorEnv } from './operators.js';

/** Envoy's default access log format. */
export const DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

/** A compiled access log format. */
export interface Formatter {
  format(ctx: AccessLogContext): string;
  /** `content_type` of the SubstitutionFormatString (`text/plain` or `application/json` by default). */
  readonly contentType: string;
}

// `%NAME%`, `%NAME(args)%`, `%NAME(args):N%`; args end at the first ')' (START_TIME formats contain '%').
const OPERATOR = /%([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?(?::(\d+))?%/y;

/**
 * Splits a format string into literal and operator parts. `%%` is a literal `%`; any other `%` must start a
 * well-formed operator, else ConfigError (Envoy rejects such formats too).
 */
export function parseFormat(format: string, path: string, env: OperatorEnv): FormatPart[] {
  const parts: FormatPart[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i] as string;
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    if (format[i + 1] === '%') {
      literal += '%';
      i += 2;
      continue;
    }
    OPERATOR.lastIndex = i;
    const m = OPERATOR.exec(format);
    if (m === null) {
      throw new ConfigError(path, `invalid access log format at position ${i}: '${format.slice(i, i + 30)}'`);
    }
    if (literal !== '') parts.push(new FormatPart(0, literal, '', '', -1, undefined));
    literal = '';
    const len = m[3] === undefined ? -1 : Number(m[3]);
    parts.push(compileOperator(m[1] as string, m[2], len, path, env));
    i = OPERATOR.lastIndex;
  }
  if (literal !== '') parts.push(new FormatPart(0, literal, '', '', -1, undefined));
  return parts;
}

/** Plain text output: missing values print `-`, or nothing with `omit_empty_values`. */
export class TextFormatter implements Formatter {
  private readonly parts: FormatPart[];
  private readonly missing: string;

  constructor(
    format: string,
    path: string,
    env: OperatorEnv,
    omitEmptyValues = false,
    readonly contentType = 'text/plain',
  ) {
    this.parts = parseFormat(format, path, env);
    this.missing = omitEmptyValues ? '' : '-';
  }

  format(ctx: AccessLogContext): string {
    let out = '';
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const v = (parts[i] as FormatPart).value(ctx);
      out += v === null ? this.missing : typeof v === 'number' ? String(v) : v;
    }
    return out;
  }
}
