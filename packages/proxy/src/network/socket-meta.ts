import type net from 'node:net';
import { normalizeIp } from './address.js';
import type { MutableConnectionMeta } from './listener-filter-registry.js';

/** What an accepted socket's addresses say about it, before listener filters add SNI, ALPN and the like. */
export function socketMeta(socket: net.Socket): MutableConnectionMeta {
  return {
    destinationIp: normalizeIp(socket.localAddress),
    destinationPort: socket.localPort ?? 0,
    sourceIp: normalizeIp(socket.remoteAddress),
    sourcePort: socket.remotePort ?? 0,
    directSourceIp: normalizeIp(socket.remoteAddress),
    serverName: '',
    transportProtocol: 'raw_buffer',
    applicationProtocols: [],
  };
}
