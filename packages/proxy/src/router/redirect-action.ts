import { ConfigError, joinPath } from '@weft/api/lite';
import type { RedirectAction__Output } from '@weft/api/envoy/envoy/config/route/v3/RedirectAction.js';
import { PathRewrite } from './path-rewrite.js';
import type { CompiledRouteMatch } from './route-matchers.js';
import type { RouteRequest } from './route-request.js';
import { compileRegexRewrite } from './safe-regex.js';
import { equalsIgnoreCase } from './string-matcher.js';

const REDIRECT_CODES: Readonly<Record<string, number>> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

/** `redirect` action: answer with a 3xx and a Location built as Envoy's Http::Utility::newUri does. */
export class RedirectRouteAction {
  readonly kind = 'redirect' as const;

  constructor(
    readonly status: number,
    /** scheme_redirect, or 'https' for https_redirect, or '' to keep the request's scheme. */
    readonly scheme: string,
    readonly hostRedirect: string,
    /** ':<port>' or ''. */
    readonly portRedirect: string,
    readonly pathRedirect: string,
    readonly pathRewrite: PathRewrite,
    readonly stripQuery: boolean,
    /** The synthesized `require_tls` redirect: `https://<host as is><path as is>`. */
    readonly tlsRedirect = false,
  ) {}

  /** A path_redirect carrying its own query wins over the request's and is never stripped. */
  get pathRedirectHasQuery(): boolean {
    return this.pathRedirect.includes('?');
  }

  static tls(): RedirectRouteAction {
    return new RedirectRouteAction(301, 'https', '', '', '', PathRewrite.NONE, false, true);
  }

  redirectLocation(req: RouteRequest): string {
    if (this.tlsRedirect) return `https://${req.authority}${req.path}`;
    const scheme = this.scheme !== '' ? this.scheme : req.scheme;
    const host = this.hostRedirect !== '' ? this.hostRedirect : requestHost(req, scheme, this.portRedirect);
    const current = this.pathRewrite.active ? this.pathRewrite.apply(req.path) : req.path;
    let path: string;
    const hasQuery = this.pathRedirectHasQuery;
    if (this.pathRedirect !== '') {
      const q = current.indexOf('?');
      path = hasQuery || q === -1 ? this.pathRedirect : this.pathRedirect + current.slice(q);
    } else path = current;
    if (!path.startsWith('/')) path = `/${path}`;
    if (!hasQuery && this.stripQuery) {
      const q = path.indexOf('?');
      if (q !== -1) path = path.slice(0, q);
    }
    return `${scheme}://${host}${this.portRedirect}${path}`;
  }
}

/**
 * The request's host for a redirect: its port is dropped when a port_redirect is given, or when the scheme changes
 * and the port is the old scheme's default (`http://a:80` → `https://a`). Envoy reads the old scheme from
 * x-forwarded-proto; we fall back to the connection's scheme when the header is absent.
 */
function requestHost(req: RouteRequest, newScheme: string, newPort: string): string {
  const host = req.authority;
  if (host === '') return host;
  let end: number;
  if (host.charCodeAt(0) === 91 /* [ */) {
    end = host.lastIndexOf(']:');
    if (end !== -1) end++;
  } else end = host.lastIndexOf(':');
  if (end === -1) return host;
  const port = host.slice(end);
  const proto = req.headers.get('x-forwarded-proto') ?? req.scheme;
  let remove = newPort !== '';
  if (newScheme !== proto) {
    remove ||= equalsIgnoreCase(proto, 'https') && port === ':443';
    remove ||= equalsIgnoreCase(proto, 'http') && port === ':80';
  }
  return remove ? host.slice(0, end) : host;
}

const BAD_VALUE = /[\0\r\n]/;

export function compileRedirectAction(r: RedirectAction__Output, path: string, match: CompiledRouteMatch): RedirectRouteAction {
  const status = REDIRECT_CODES[r.response_code];
  if (status === undefined) throw new ConfigError(joinPath(path, 'response_code'), `unknown response code ${r.response_code}`);
  const check = (field: string, v: string): string => {
    if (BAD_VALUE.test(v)) throw new ConfigError(joinPath(path, field), 'must not contain NUL, CR or LF');
    return v;
  };
  let scheme = '';
  if (r.scheme_rewrite_specifier === 'scheme_redirect') scheme = check('scheme_redirect', r.scheme_redirect ?? '');
  else if (r.scheme_rewrite_specifier === 'https_redirect' && r.https_redirect) scheme = 'https';
  if (r.port_redirect > 65535) throw new ConfigError(joinPath(path, 'port_redirect'), 'must be a port number');
  let rewrite = PathRewrite.NONE;
  let pathRedirect = '';
  switch (r.path_rewrite_specifier) {
    case 'path_redirect':
      pathRedirect = check('path_redirect', r.path_redirect ?? '');
      break;
    case 'prefix_rewrite': {
      const prefix = check('prefix_rewrite', r.prefix_rewrite ?? '');
      if (prefix !== '') rewrite = new PathRewrite(prefix, undefined, match);
      break;
    }
    case 'regex_rewrite':
      if (!r.regex_rewrite) throw new ConfigError(joinPath(path, 'regex_rewrite'), 'is required');
      rewrite = new PathRewrite(undefined, compileRegexRewrite(r.regex_rewrite, joinPath(path, 'regex_rewrite')), match);
      break;
    default:
  }
  return new RedirectRouteAction(
    status,
    scheme,
    check('host_redirect', r.host_redirect),
    r.port_redirect ? `:${r.port_redirect}` : '',
    pathRedirect,
    rewrite,
    r.strip_query,
  );
}
