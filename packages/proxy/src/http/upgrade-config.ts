import { ConfigError, joinPath } from '@weft/api/lite';
import type { HttpConnectionManager__Output } from '@weft/api/envoy/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';

/** HCM `upgrade_configs`: lower-case upgrade type (`websocket`, `connect`) → enabled. */
export type UpgradeMap = ReadonlyMap<string, boolean>;

export const NO_UPGRADES: UpgradeMap = new Map();

/** Compiles the connection manager's upgrade_configs; custom per-upgrade filter chains are refused. */
export function compileHcmUpgrades(cfg: HttpConnectionManager__Output, path: string): UpgradeMap {
  if (cfg.upgrade_configs.length === 0) return NO_UPGRADES;
  const out = new Map<string, boolean>();
  cfg.upgrade_configs.forEach((u, i) => {
    const up = joinPath(joinPath(path, 'upgrade_configs'), i);
    const type = u.upgrade_type.toLowerCase();
    if (type === '') throw new ConfigError(joinPath(up, 'upgrade_type'), 'must not be empty');
    if (out.has(type)) throw new ConfigError(joinPath(up, 'upgrade_type'), `duplicate upgrade ${u.upgrade_type}`);
    if (u.filters.length > 0) throw new ConfigError(joinPath(up, 'filters'), 'custom upgrade filter chains are not supported yet');
    out.set(type, u.enabled ? u.enabled.value : true);
  });
  return out;
}

/**
 * Envoy's rule (createUpgradeFilterChain): a route entry for the type decides when present (false refuses, true
 * allows even if the connection manager has no such upgrade); otherwise the connection manager's entry must exist
 * and be enabled.
 */
export function upgradeAllowed(hcm: UpgradeMap, route: UpgradeMap | undefined, type: string): boolean {
  const lower = type.toLowerCase();
  const r = route?.get(lower);
  if (r !== undefined) return r;
  return hcm.get(lower) === true;
}

/** The upgrade type of a tunnelled request: `CONNECT` for CONNECT, else the Upgrade header value. */
export function upgradeTypeOf(method: string, upgradeHeader: string | undefined): string {
  return method === 'CONNECT' ? 'CONNECT' : (upgradeHeader ?? '');
}
