import { createRequire } from 'node:module';
import type net from 'node:net';
import { proxyPackageFile } from '../server/package-files.js';
import { normalizeIp } from './address.js';
import type { ListenerFilter, ListenerFilterCallbacks, ListenerFilterWait } from './listener-filter-registry.js';

/** The destination of a connection before iptables REDIRECT/DNAT (SO_ORIGINAL_DST), from the native addon. */
export interface OriginalDst {
  readonly address: string;
  readonly port: number;
}

interface NativeAddon {
  getOriginalDst(fd: number, family: number): OriginalDst | null;
}

let addon: NativeAddon | undefined;
let loadError: string | undefined;

/** Loads the addon once. Returns an error message when it is not available (not built, not Linux). */
export function originalDstUnavailable(): string | undefined {
  if (addon !== undefined) return undefined;
  if (loadError !== undefined) return loadError;
  try {
    // Where `scripts/build-native.js` writes it.
    addon = createRequire(import.meta.url)(proxyPackageFile('native', 'build', 'weft_native.node')) as NativeAddon;
    return undefined;
  } catch (err) {
    loadError = `the SO_ORIGINAL_DST addon could not be loaded (${(err as Error).message.split('\n')[0]}); run 'npm run build' on Linux with a C compiler`;
    return loadError;
  }
}

/** The OS file descriptor of a connected TCP socket (Node keeps it on the libuv handle), -1 when unknown. */
export function socketFd(socket: net.Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/**
 * The original destination of an accepted connection, or undefined when it was not redirected (no NAT entry) or
 * the addon is missing. `localIp` picks the IPv4 or IPv6 socket option.
 */
export function getOriginalDst(socket: net.Socket, localIp: string): OriginalDst | undefined {
  if (addon === undefined && originalDstUnavailable() !== undefined) return undefined;
  const fd = socketFd(socket);
  if (fd < 0) return undefined;
  try {
    return (addon as NativeAddon).getOriginalDst(fd, localIp.includes(':') ? 6 : 4) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The part of a connection's metadata the original destination restores. */
export interface RestorableMeta {
  destinationIp: string;
  destinationPort: number;
  localAddressRestored?: boolean;
}

/**
 * Sets `meta`'s destination to the connection's original destination. A destination equal to the accepting
 * address means the connection was not redirected (it came straight to the listener): nothing is restored, so an
 * ORIGINAL_DST cluster finds no host instead of connecting back to the proxy itself.
 */
export function restoreOriginalDst(socket: net.Socket, meta: RestorableMeta): boolean {
  const dst = getOriginalDst(socket, meta.destinationIp);
  if (dst === undefined) return false;
  const ip = normalizeIp(dst.address);
  if (ip === meta.destinationIp && dst.port === meta.destinationPort) return false;
  meta.destinationIp = ip;
  meta.destinationPort = dst.port;
  meta.localAddressRestored = true;
  return true;
}

/** `envoy.filters.listener.original_dst`; also what `use_original_dst: true` puts in front of a listener's filters. */
export class OriginalDstFilter implements ListenerFilter {
  onAccept(cb: ListenerFilterCallbacks): ListenerFilterWait | undefined {
    restoreOriginalDst(cb.socket, cb.meta);
    return undefined;
  }
}

export const ORIGINAL_DST_FILTER_TYPE = 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst';
export const ORIGINAL_DST_FILTER_NAME = 'envoy.filters.listener.original_dst';
