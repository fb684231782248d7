import type { DetachedSocket } from '../interfaces/network-filter.js';
import type { ActiveConnection } from './active-connection.js';
import type { DetachedConnection } from './detached-connection.js';

/** Books a connection whose socket left this process (listener stats) and names it for the next process. */
export type ReleaseConnection = (c: ActiveConnection, d: DetachedSocket) => DetachedConnection;

/** Hot upgrade, OLD side: lets go of every connection its filter can move now (idle RPC sessions), socket open. */
export function detachIdle(conns: readonly ActiveConnection[], release: ReleaseConnection): DetachedConnection[] {
  const out: DetachedConnection[] = [];
  for (const c of conns) {
    const d = c.detachForUpgrade();
    if (d !== undefined) out.push(release(c, d));
  }
  return out;
}

/**
 * Like detachIdle, busy connections too: they stop reading now and go to `onDetached` once their calls are answered.
 * Returns those pending; `onSettled` is called once for each later (detached, closed, or cancelDetach()).
 */
export function detachWhenIdle(
  conns: readonly ActiveConnection[],
  release: ReleaseConnection,
  onDetached: (c: DetachedConnection) => void,
  onSettled: (c: ActiveConnection) => void,
): ActiveConnection[] {
  const pending: ActiveConnection[] = [];
  for (const c of conns) {
    const r = c.detachWhenIdle((d) => {
      if (d !== undefined) onDetached(release(c, d));
      onSettled(c);
    });
    if (r === 'pending') pending.push(c);
    else if (r !== undefined) onDetached(release(c, r));
  }
  return pending;
}
