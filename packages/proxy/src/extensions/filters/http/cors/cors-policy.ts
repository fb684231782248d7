import { joinPath } from '@weft/api/lite';
import type { CorsPolicy__Output } from '@weft/api/envoy/envoy/extensions/filters/http/cors/v3/CorsPolicy.js';
import type { Runtime } from '../../../../interfaces/runtime.js';
import { compileRuntimeFraction, type RuntimeFraction } from '../../../../router/route-matchers.js';
import { compileStringMatcher, type StringMatcher } from '../../../../router/string-matcher.js';

export const CORS_TYPE = 'envoy.extensions.filters.http.cors.v3.Cors';
export const CORS_POLICY_TYPE = 'envoy.extensions.filters.http.cors.v3.CorsPolicy';

/** A compiled CorsPolicy from a route's, virtual host's or route configuration's typed_per_filter_config. */
export class CorsPolicy {
  constructor(
    readonly allowOrigins: readonly StringMatcher[],
    readonly allowMethods: string,
    readonly allowHeaders: string,
    readonly exposeHeaders: string,
    readonly maxAge: string,
    readonly allowCredentials: boolean | undefined,
    readonly allowPrivateNetworkAccess: boolean | undefined,
    readonly forwardNotMatchingPreflights: boolean | undefined,
    private readonly filterEnabled: RuntimeFraction | undefined,
    private readonly shadowEnabled: RuntimeFraction | undefined,
  ) {}

  /** filter_enabled (runtime fraction); on when absent. */
  enabled(runtime: Runtime, random: number): boolean {
    return this.filterEnabled === undefined || this.filterEnabled.enabled(runtime, random);
  }

  /** shadow_enabled: evaluate and count, never enforce; off when absent. */
  shadow(runtime: Runtime, random: number): boolean {
    return this.shadowEnabled !== undefined && this.shadowEnabled.enabled(runtime, random);
  }
}

export function compileCorsPolicy(cfg: CorsPolicy__Output, path: string): CorsPolicy {
  return new CorsPolicy(
    cfg.allow_origin_string_match.map((m, i) => compileStringMatcher(m, joinPath(joinPath(path, 'allow_origin_string_match'), i))),
    cfg.allow_methods,
    cfg.allow_headers,
    cfg.expose_headers,
    cfg.max_age,
    cfg.allow_credentials?.value,
    cfg.allow_private_network_access?.value,
    cfg.forward_not_matching_preflights?.value,
    cfg.filter_enabled ? compileRuntimeFraction(cfg.filter_enabled, joinPath(path, 'filter_enabled')) : undefined,
    cfg.shadow_enabled ? compileRuntimeFraction(cfg.shadow_enabled, joinPath(path, 'shadow_enabled')) : undefined,
  );
}

/**
 * The effective policy of a request: each field from the most specific level that sets it (route, virtual host,
 * route configuration), as Envoy's CORS filter reads its policies.
 */
export class EffectiveCors {
  constructor(private readonly policies: readonly CorsPolicy[]) {}

  isOriginAllowed(origin: string): boolean {
    for (const p of this.policies) {
      if (p.allowOrigins.length === 0) continue;
      for (const m of p.allowOrigins) if (m.match('*') || m.match(origin)) return true;
      return false;
    }
    return false;
  }

  private str(pick: (p: CorsPolicy) => string): string {
    for (const p of this.policies) {
      const v = pick(p);
      if (v !== '') return v;
    }
    return '';
  }

  private flag(pick: (p: CorsPolicy) => boolean | undefined, fallback: boolean): boolean {
    for (const p of this.policies) {
      const v = pick(p);
      if (v !== undefined) return v;
    }
    return fallback;
  }

  get allowMethods(): string {
    return this.str((p) => p.allowMethods);
  }
  get allowHeaders(): string {
    return this.str((p) => p.allowHeaders);
  }
  get exposeHeaders(): string {
    return this.str((p) => p.exposeHeaders);
  }
  get maxAge(): string {
    return this.str((p) => p.maxAge);
  }
  get allowCredentials(): boolean {
    return this.flag((p) => p.allowCredentials, false);
  }
  get allowPrivateNetworkAccess(): boolean {
    return this.flag((p) => p.allowPrivateNetworkAccess, false);
  }
  /** Default true: preflights from origins that do not match go to the upstream. */
  get forwardNotMatchingPreflights(): boolean {
    return this.flag((p) => p.forwardNotMatchingPreflights, true);
  }
  /** Enabled / shadow state come from the most specific policy only. */
  enabled(runtime: Runtime, random: number): boolean {
    const p = this.policies[0];
    return p !== undefined && p.enabled(runtime, random);
  }
  shadow(runtime: Runtime, random: number): boolean {
    const p = this.policies[0];
    return p !== undefined && p.shadow(runtime, random);
  }
}
