import { logger } from '../logger.js';
import type { ProxyServer } from '../proxy-server.js';
import type { UpgradeChannel } from './channel.js';
import { handoverMessage } from './protocol.js';

/** How often a draining OLD sends NEW its counters and checks whether its connections are gone. */
const COUNTERS_INTERVAL_MS = 250;

export interface DrainOptions {
  readonly server: ProxyServer;
  readonly channel: UpgradeChannel;
  readonly drainTimeMs: number;
  exit(): void;
}

/**
 * OLD once NEW serves: stop accepting (NEW holds the listening sockets), move idle connections that can move,
 * drain the rest (HTTP/1 `connection: close`, HTTP/2 GOAWAY, RPC graceful close; in-flight requests finish), keep
 * NEW's copy of our counters fresh, and exit when no connection is left or the drain time is over.
 */
export function drainAndExit(opts: DrainOptions): void {
  const { server, channel } = opts;
  const started = performance.now();
  server.stopAcceptingForUpgrade();
  sendCounters(server, channel);
  // Connections that can move (RPC) go before the drain starts: idle ones now, busy ones stop reading (new requests
  // wait in the kernel for NEW) and move once their calls are answered. They never get a graceful-close frame; the
  // drain leaves a pending move alone. Half the drain time is left for those that cannot move in time.
  // NEW holds its own upgrade until `connections-moved` (after every `connection`: the channel keeps the order), so
  // no connection is sent to a process that already handed over, or exited.
  void server
    .detachConnectionsForUpgrade(
      (conn) => channel.send(handoverMessage('connection', { listenerName: conn.listenerName, unread: conn.unread }), conn.socket),
      { deadlineMs: opts.drainTimeMs / 2 },
    )
    .then(() => channel.send(handoverMessage('connections-moved', {})));
  server.drainForUpgrade();
  let finished = false;
  const finish = (timedOut: boolean): void => {
    if (finished) return;
    finished = true;
    clearInterval(poll);
    clearTimeout(deadline);
    const left = server.openConnections();
    // Counters last: whatever the connections closed below still count is lost, as in Envoy.
    sendCounters(server, channel);
    logger().info({ pid: process.pid, drainedMs: Math.round(performance.now() - started), timedOut, connectionsLeft: left }, 'hot upgrade: old proxy drained; exiting');
    // Exit only once `exiting` is written: process.exit() drops IPC messages still queued.
    channel.send({ weftUpgrade: 1, type: 'exiting' }, undefined, () => opts.exit());
  };
  const poll = setInterval(() => {
    sendCounters(server, channel);
    if (server.openConnections() === 0) finish(false);
  }, COUNTERS_INTERVAL_MS);
  const deadline = setTimeout(() => finish(true), opts.drainTimeMs);
}

function sendCounters(server: ProxyServer, channel: UpgradeChannel): void {
  const stats = server.statsSnapshot();
  channel.send(handoverMessage('counters', { stats: { ...stats, gauges: [] } }));
}
