import net from 'node:net';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { CidrRange__Output } from '@weft/api/envoy/envoy/config/core/v3/CidrRange.js';

/** An IP prefix compiled to bytes for fast containment checks. */
export class Cidr {
  private constructor(
    readonly family: 4 | 6,
    private readonly bytes: Uint8Array,
    readonly prefixLen: number,
  ) {}

  static parse(range: CidrRange__Output, path: string): Cidr {
    const family = net.isIP(range.address_prefix);
    if (family === 0) throw new ConfigError(joinPath(path, 'address_prefix'), `'${range.address_prefix}' is not an IP address`);
    const max = family === 4 ? 32 : 128;
    const len = range.prefix_len ? range.prefix_len.value : max;
    if (len > max) throw new ConfigError(joinPath(path, 'prefix_len'), `prefix length ${len} exceeds ${max}`);
    const bytes = ipBytes(range.address_prefix);
    if (!bytes) throw new ConfigError(joinPath(path, 'address_prefix'), 'invalid address');
    return new Cidr(family === 4 ? 4 : 6, bytes, len);
  }

  contains(ip: string): boolean {
    const bytes = ipBytes(ip);
    if (!bytes || bytes.length !== this.bytes.length) return false;
    let bits = this.prefixLen;
    for (let i = 0; bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if (((bytes[i] as number) & mask) !== ((this.bytes[i] as number) & mask)) return false;
    }
    return true;
  }
}

/** IPv4 → 4 bytes, IPv6 → 16 bytes (IPv4-mapped IPv6 is reported as IPv4). */
export function ipBytes(ip: string): Uint8Array | undefined {
  if (ip.startsWith('::ffff:') && ip.includes('.')) ip = ip.slice(7);
  const family = net.isIP(ip);
  if (family === 4) {
    const parts = ip.split('.');
    return Uint8Array.from(parts, (p) => Number(p));
  }
  if (family !== 6) return undefined;
  const out = new Uint8Array(16);
  let head = ip;
  let tail = '';
  const dbl = ip.indexOf('::');
  if (dbl !== -1) {
    head = ip.slice(0, dbl);
    tail = ip.slice(dbl + 2);
  }
  const parseGroups = (s: string): number[] => {
    if (!s) return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const v4 = g.split('.').map(Number);
        groups.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const h = parseGroups(head);
  const t = parseGroups(tail);
  const groups = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Envoy's notion of a local source: loopback, or the same IP as the local address. */
export function isLoopback(ip: string): boolean {
  const b = ipBytes(ip);
  if (!b) return false;
  if (b.length === 4) return b[0] === 127;
  return b.every((v, i) => (i === 15 ? v === 1 : v === 0));
}
