import type { ActiveConnection } from '@weft/proxy/network/active-connection';
import type { TestProxy } from '@weft/testing';

/**
 * Bytes an in-process proxy's connections on `listener` have read. Hot-upgrade split tests need OLD to hold the first
 * part of a frame when it lets go, and a fixed sleep is not enough on a loaded machine (loopback delivery can lag by
 * more than 30 ms); no stat counts an RPC connection's bytes, so this looks into the listener (white box).
 */
export function bytesRead(proxy: TestProxy, listener: string): number {
  const l = proxy.server.listeners.get(listener) as unknown as { connections: Set<ActiveConnection> } | undefined;
  if (l === undefined) throw new Error(`no listener ${listener}`);
  let n = 0;
  for (const c of l.connections) n += c.info.bytesReceived;
  return n;
}
