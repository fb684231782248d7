import type { ActiveConnection } from '../network/active-connection.js';
import type { DetachedConnection } from '../network/detached-connection.js';
import type { ActiveListener } from '../network/listener.js';

export interface DetachOptions {
  /** How long busy connections may take to finish their calls; those left then drain here. */
  readonly deadlineMs: number;
}

/**
 * Hot upgrade, OLD side: every connection that can move (RPC sessions, not TLS) stops reading now; idle ones are
 * handed to `onDetached` at once, busy ones once their calls are answered and flushed. Resolves when none is left
 * pending, or at the deadline: the ones left then read again and get the normal drain (GoAway when idle, close).
 */
export function detachConnectionsForUpgrade(
  listeners: Iterable<ActiveListener>,
  onDetached: (c: DetachedConnection) => void,
  opts: DetachOptions,
): Promise<void> {
  const pending = new Set<ActiveConnection>();
  return new Promise((resolve) => {
    let started = false;
    const timer = setTimeout(() => {
      for (const c of [...pending]) {
        c.cancelDetach(); // settles it
        c.startDrain();
      }
      resolve();
    }, opts.deadlineMs);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const onSettled = (c: ActiveConnection): void => {
      pending.delete(c);
      if (started && pending.size === 0) finish();
    };
    for (const l of listeners) for (const c of l.detachWhenIdle(onDetached, onSettled)) pending.add(c);
    started = true;
    if (pending.size === 0) finish();
  });
}
