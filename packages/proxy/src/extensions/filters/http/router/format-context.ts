import { HeaderMap } from '../../../../interfaces/header-map.js';
import type { HttpRequest } from '../../../../interfaces/http-filter.js';
import type { StreamInfo } from '../../../../interfaces/stream-info.js';
import { applyResponseMutations, type HeaderFormatContext, type RouteEntry } from '../../../../router/route-table.js';

/** What `%...%` header formatters see for a request (and its response, once there is one). */
export function headerFormatContext(req: HttpRequest, info: StreamInfo, hostname: string, responseHeaders?: HeaderMap): HeaderFormatContext {
  return {
    streamInfo: info,
    requestHeaders: req.headers,
    hostname,
    request: { method: req.method, path: req.path, scheme: req.scheme, authority: req.authority },
    ...(responseHeaders ? { responseHeaders } : {}),
  };
}

/** Headers of a direct response or redirect: the extra ones plus the route's response header mutations. */
export function directReplyHeaders(route: RouteEntry, extra: ReadonlyArray<readonly [string, string]>, ctx: HeaderFormatContext): Array<[string, string]> {
  const headers = new HeaderMap();
  for (const [k, v] of extra) headers.add(k, v);
  applyResponseMutations(route, headers, { ...ctx, responseHeaders: headers });
  const all: Array<[string, string]> = [];
  headers.forEach((k, v) => all.push([k, v]));
  return all;
}
