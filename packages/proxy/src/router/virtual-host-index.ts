import { ConfigError } from '@weft/api/lite';
import { asciiLower } from './string-matcher.js';

/** How the connection manager treats a port in Host before matching (HCM strip_any_host_port / strip_matching_host_port). */
export type StripPortMode = 'none' | 'any' | 'matching';

/** Wildcard domains of one length; small groups are scanned (no substring allocation), big ones hashed. */
class WildcardGroup<T> {
  readonly keys: string[] = [];
  readonly values: T[] = [];
  readonly map = new Map<string, T>();
  constructor(readonly length: number) {}
}

const SCAN_LIMIT = 8;

/**
 * Envoy's virtual host lookup: exact domain, then the longest suffix wildcard (`*.foo.com`, `*-bar.foo.com`), then
 * the longest prefix wildcard (`foo.*`), then `*`. Case-insensitive; a wildcard matches at least one character.
 */
export class VirtualHostIndex<T> {
  private readonly exact = new Map<string, T>();
  private readonly suffixes: Array<WildcardGroup<T>> = [];
  private readonly prefixes: Array<WildcardGroup<T>> = [];
  private catchAll: T | undefined;
  private readonly owners = new Map<string, string>();

  /** Adds a domain; `owner` names the virtual host in duplicate errors, `path` is the domain's field path. */
  add(domain: string, value: T, owner: string, path: string): void {
    const d = asciiLower(domain);
    const first = d.indexOf('*');
    if (first !== -1 && (d.indexOf('*', first + 1) !== -1 || (first !== 0 && first !== d.length - 1))) {
      throw new ConfigError(path, `invalid domain '${domain}': '*' may only appear once, as the first or last character`);
    }
    const previous = this.owners.get(d);
    if (previous !== undefined) {
      throw new ConfigError(path, `duplicate domain '${domain}' (already used by virtual host '${previous}')`);
    }
    this.owners.set(d, owner);
    if (d === '*') this.catchAll = value;
    else if (first === 0) addWildcard(this.suffixes, d.slice(1), value);
    else if (first !== -1) addWildcard(this.prefixes, d.slice(0, -1), value);
    else this.exact.set(d, value);
  }

  get size(): number {
    return this.owners.size;
  }

  /** Looks up a host (already port-stripped as configured). */
  find(host: string): T | undefined {
    if (this.exact.size === 0 && this.suffixes.length === 0 && this.prefixes.length === 0) return this.catchAll;
    // Keys are lower-case, so a hit on the raw host is a correct hit; lower-case only on a miss.
    const raw = this.exact.get(host);
    if (raw !== undefined) return raw;
    const h = asciiLower(host);
    const exact = h === host ? undefined : this.exact.get(h);
    if (exact !== undefined) return exact;
    for (const g of this.suffixes) {
      if (g.length >= h.length) continue;
      const v = g.keys.length <= SCAN_LIMIT ? scan(g, h, true) : g.map.get(h.slice(h.length - g.length));
      if (v !== undefined) return v;
    }
    for (const g of this.prefixes) {
      if (g.length >= h.length) continue;
      const v = g.keys.length <= SCAN_LIMIT ? scan(g, h, false) : g.map.get(h.slice(0, g.length));
      if (v !== undefined) return v;
    }
    return this.catchAll;
  }
}

function addWildcard<T>(groups: Array<WildcardGroup<T>>, key: string, value: T): void {
  let g = groups.find((x) => x.length === key.length);
  if (!g) {
    g = new WildcardGroup<T>(key.length);
    groups.push(g);
    groups.sort((a, b) => b.length - a.length);
  }
  g.keys.push(key);
  g.values.push(value);
  g.map.set(key, value);
}

function scan<T>(g: WildcardGroup<T>, host: string, suffix: boolean): T | undefined {
  const keys = g.keys;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (suffix ? host.endsWith(k) : host.startsWith(k)) return g.values[i];
  }
  return undefined;
}

/** Index of the ':' before a port, or -1 (Envoy HeaderUtility::getPortStart; IPv6 literals are bracketed). */
export function portStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon === -1) return -1;
  const v6End = host.lastIndexOf(']');
  return v6End === -1 || v6End < colon ? colon : -1;
}

/** The host to match: port removed per HCM strip mode and route config `ignore_port_in_host_matching`. */
export function hostForMatching(authority: string, method: string, mode: StripPortMode, ignorePort: boolean, localPort: number | undefined): string {
  if (mode === 'none' && !ignorePort) return authority;
  const colon = portStart(authority);
  if (colon === -1) return authority;
  if (ignorePort || mode === 'any') return method === 'CONNECT' && !ignorePort ? authority : authority.slice(0, colon);
  // 'matching': strip only a port equal to the listener's (never for CONNECT, whose authority needs its port).
  if (method === 'CONNECT' || localPort === undefined) return authority;
  const port = authority.slice(colon + 1);
  return /^[0-9]+$/.test(port) && Number(port) === localPort ? authority.slice(0, colon) : authority;
}
