import type { SocketAddress } from './address.js';

/** What the original-destination hand-off needs to know of a listener. */
export interface AddressedListener {
  readonly address: SocketAddress;
  /** The bound port, or the configured one for bind_to_port: false listeners. */
  readonly port: number;
}

/**
 * Envoy's listener lookup for `use_original_dst`: the listener bound to exactly `ip:port`, else the one on the
 * wildcard address of the same family and port; undefined when none.
 */
export function findListenerByAddress<L extends AddressedListener>(listeners: Iterable<L>, ip: string, port: number): L | undefined {
  const v6 = ip.includes(':');
  let wildcard: L | undefined;
  for (const l of listeners) {
    if (l.port !== port) continue;
    const host = l.address.host;
    if (host === ip) return l;
    if (wildcard === undefined && (v6 ? host === '::' : host === '0.0.0.0')) wildcard = l;
  }
  return wildcard;
}
