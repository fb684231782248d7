import net from 'node:net';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { Address__Output } from '@weft/api/envoy/envoy/config/core/v3/Address.js';

export interface SocketAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/** Validates an Envoy `Address` that must be a TCP socket address with an IP host. */
export function parseSocketAddress(addr: Address__Output | null, path: string, opts: { allowHostname?: boolean } = {}): SocketAddress {
  if (!addr) throw new ConfigError(path, 'is required');
  if (addr.address !== 'socket_address' || !addr.socket_address) {
    throw new ConfigError(joinPath(path, addr.address ?? 'address'), 'only socket_address is supported');
  }
  const sa = addr.socket_address;
  const sp = joinPath(path, 'socket_address');
  if (sa.protocol !== 'TCP') throw new ConfigError(joinPath(sp, 'protocol'), `protocol ${sa.protocol} is not supported (TCP only)`);
  if (sa.port_specifier !== 'port_value') throw new ConfigError(joinPath(sp, 'named_port'), 'named ports are not supported');
  if (sa.resolver_name) throw new ConfigError(joinPath(sp, 'resolver_name'), 'custom resolvers are not supported');
  const port = sa.port_value ?? 0;
  if (port > 65535) throw new ConfigError(joinPath(sp, 'port_value'), `port ${port} is out of range`);
  const host = sa.address;
  const family = net.isIP(host);
  if (family === 0 && !opts.allowHostname) {
    throw new ConfigError(joinPath(sp, 'address'), `'${host}' is not an IP address`);
  }
  return { host, port, family: family === 6 ? 6 : 4 };
}

/** `ip:port` or `[ipv6]:port`, as Envoy prints addresses. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Strips the IPv4-mapped IPv6 prefix Node reports for dual-stack sockets. */
export function normalizeIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
