import { pathPartEnd } from './route-request.js';
import type { CompiledRouteMatch } from './route-matchers.js';
import type { RegexRewrite } from './safe-regex.js';

/**
 * Envoy's path rewrite (`prefix_rewrite` / `regex_rewrite`), shared by route and redirect actions. The query string
 * is always preserved: a prefix rewrite replaces the matched prefix of the full target (so `/foo` → `/` turns
 * `/foo/bar` into `//bar`, exactly as Envoy does), a regex rewrite applies to the path part only.
 */
export class PathRewrite {
  static readonly NONE = new PathRewrite(undefined, undefined, undefined);

  constructor(
    readonly prefix: string | undefined,
    readonly regex: RegexRewrite | undefined,
    private readonly match: CompiledRouteMatch | undefined,
  ) {}

  get active(): boolean {
    return this.prefix !== undefined || this.regex !== undefined;
  }

  apply(path: string): string {
    if (this.prefix !== undefined) {
      const matched = (this.match as CompiledRouteMatch).matchedLength(path);
      return this.prefix + path.slice(Math.min(matched, path.length));
    }
    if (this.regex !== undefined) {
      const end = pathPartEnd(path);
      return this.regex.apply(path.slice(0, end)) + path.slice(end);
    }
    return path;
  }
}
