import { ConfigError, joinPath } from '@weft/api/lite';
import type { HeaderMatcher__Output } from '@weft/api/envoy/envoy/config/route/v3/HeaderMatcher.js';
import type { StringMatcher__Output } from '@weft/api/envoy/envoy/type/matcher/v3/StringMatcher.js';
import type { AccessLogContext } from './context.js';

function compileRegex(regex: string, path: string, flags = ''): RegExp {
  try {
    // Envoy's safe_regex is a full match (RE2 `FullMatch`).
    return new RegExp(`^(?:${regex})$`, flags);
  } catch (err) {
    throw new ConfigError(path, `invalid regex: ${(err as Error).message}`, { cause: err });
  }
}

type ValueMatcher = (v: string) => boolean;

function stringMatcher(m: StringMatcher__Output, path: string): ValueMatcher {
  const ic = m.ignore_case;
  const norm = (s: string): string => (ic ? s.toLowerCase() : s);
  switch (m.match_pattern) {
    case 'exact': {
      const e = norm(m.exact ?? '');
      return (v) => norm(v) === e;
    }
    case 'prefix': {
      const e = norm(m.prefix ?? '');
      return (v) => norm(v).startsWith(e);
    }
    case 'suffix': {
      const e = norm(m.suffix ?? '');
      return (v) => norm(v).endsWith(e);
    }
    case 'contains': {
      const e = norm(m.contains ?? '');
      return (v) => norm(v).includes(e);
    }
    case 'safe_regex': {
      const re = compileRegex(m.safe_regex?.regex ?? '', joinPath(path, 'safe_regex.regex'));
      return (v) => re.test(v);
    }
    default:
      throw new ConfigError(path, `unsupported string matcher ${m.match_pattern ?? '(none)'}`);
  }
}

/**
 * `envoy.config.route.v3.HeaderMatcher` against the request headers (pseudo-headers from the context). Multiple
 * values are joined with `,` as Envoy does.
 */
export function compileHeaderMatcher(m: HeaderMatcher__Output, path: string): (ctx: AccessLogContext) => boolean {
  const name = m.name.toLowerCase();
  if (name === '') throw new ConfigError(joinPath(path, 'name'), 'header name is required');
  let match: ValueMatcher | 'present';
  switch (m.header_match_specifier) {
    case 'exact_match': {
      const e = m.exact_match ?? '';
      match = (v) => v === e;
      break;
    }
    case 'prefix_match': {
      const e = m.prefix_match ?? '';
      match = (v) => v.startsWith(e);
      break;
    }
    case 'suffix_match': {
      const e = m.suffix_match ?? '';
      match = (v) => v.endsWith(e);
      break;
    }
    case 'contains_match': {
      const e = m.contains_match ?? '';
      match = (v) => v.includes(e);
      break;
    }
    case 'safe_regex_match': {
      const re = compileRegex(m.safe_regex_match?.regex ?? '', joinPath(path, 'safe_regex_match.regex'));
      match = (v) => re.test(v);
      break;
    }
    case 'range_match': {
      const start = Number(m.range_match?.start ?? 0);
      const end = Number(m.range_match?.end ?? 0);
      match = (v) => /^-?\d+$/.test(v) && Number(v) >= start && Number(v) < end;
      break;
    }
    case 'string_match':
      match = stringMatcher(m.string_match as StringMatcher__Output, joinPath(path, 'string_match'));
      break;
    case 'present_match':
    case undefined:
      // No specifier: Envoy treats the matcher as "header is present".
      match = 'present';
      break;
    default:
      throw new ConfigError(path, `unsupported header matcher ${String(m.header_match_specifier)}`);
  }
  const presentWanted = m.header_match_specifier === 'present_match' ? m.present_match === true : true;
  const invert = m.invert_match;
  const missingAsEmpty = m.treat_missing_header_as_empty;
  return (ctx) => {
    let v = headerValue(ctx, name);
    if (v === undefined && missingAsEmpty) v = '';
    let ok: boolean;
    if (match === 'present') ok = (v !== undefined) === presentWanted;
    else ok = v !== undefined && match(v);
    return invert ? !ok : ok;
  };
}

function headerValue(ctx: AccessLogContext, name: string): string | undefined {
  switch (name) {
    case ':method': return ctx.method;
    case ':path': return ctx.path;
    case ':authority': return ctx.authority ?? ctx.info.requestHeaders?.get('host');
    case ':scheme': return ctx.scheme;
    default: return ctx.info.requestHeaders?.getJoined(name);
  }
}
