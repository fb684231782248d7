import type { Socket } from 'node:net';
import { restoreBuffers } from '../../config/load-bootstrap.js';
import type { XdsUpdate } from '../../config/xds/xds-types.js';
import type { StatsSnapshot } from '../../observability/stats-snapshot.js';
import { logger } from '../logger.js';
import type { ProxyServer } from '../proxy-server.js';
import { WEFT_VERSION } from '../version.js';
import { parentChannel, type UpgradeChannel } from './channel.js';
import { addInheritedListener, closeUnclaimedListeners, type RawListenHandle } from './inherited-listeners.js';
import { HOT_UPGRADE_ENV, controlMessage, isUpgradeMessage, type UpgradeMessage } from './protocol.js';

/** Whether this process was started to take over from another (standalone child of OLD, or by the agent). */
export function isUpgradeSuccessor(): boolean {
  return process.env[HOT_UPGRADE_ENV] === '1';
}

/** What NEW received from OLD before building its listeners. */
export interface ReceivedState {
  readonly oldPid: number;
  readonly xds: readonly XdsUpdate[];
  readonly stats: StatsSnapshot;
}

/**
 * NEW side of a hot upgrade, before serving: says hello over the IPC channel to the parent and collects OLD's
 * state and listening sockets (registered for the listeners to adopt). Rejects on `abort` or the deadline.
 */
export function receiveHandover(timeoutMs: number): Promise<Successor> {
  const channel = parentChannel();
  if (!channel) return Promise.reject(new Error(`${HOT_UPGRADE_ENV}=1 but this process has no IPC channel to the process it takes over from`));
  return new Promise((resolve, reject) => {
    let state: ReceivedState | undefined;
    const timer = setTimeout(() => fail(new Error(`no handover from the old proxy within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (msg: unknown, handle: unknown): void => {
      if (!isUpgradeMessage(msg)) return;
      const m = msg as UpgradeMessage;
      if (m.type === 'state') state = { oldPid: m.pid, xds: restoreBuffers(m.xds) as XdsUpdate[], stats: m.stats };
      else if (m.type === 'listener' && handle) addInheritedListener(m.listener, handle as RawListenHandle);
      else if (m.type === 'abort') fail(new Error(`hot upgrade aborted: ${m.reason}`));
      else if (m.type === 'sockets-done') {
        if (!state) return fail(new Error('the old proxy sent its sockets without its state'));
        clearTimeout(timer);
        channel.offMessage(onMessage);
        resolve(new Successor(channel, state));
      }
    };
    function fail(err: Error): void {
      clearTimeout(timer);
      channel?.offMessage(onMessage);
      reject(err);
    }
    channel.onMessage(onMessage);
    channel.send(controlMessage('hello', { pid: process.pid, version: WEFT_VERSION }));
  });
}

/** NEW after the handover: reports `ready`, then follows OLD's drain (counters, migrated connections, exit). */
export class Successor {
  private readyAt = 0;
  private server: ProxyServer | undefined;
  private onMoved: () => void = () => undefined;
  /**
   * Settles once OLD sent every connection it moves here (`connections-moved`), or is gone. Until then this process
   * must not hand over in turn: a connection arriving after that would be served by a draining process, or be sent
   * to one that exited.
   */
  readonly connectionsMoved = new Promise<void>((resolve) => {
    this.onMoved = resolve;
  });

  constructor(
    private readonly channel: UpgradeChannel,
    readonly state: ReceivedState,
  ) {}

  /** Serving on every handed socket: tell OLD (through the broker) to stop accepting and drain. */
  ready(server: ProxyServer, unclaimedAfterMs: number): void {
    this.server = server;
    this.readyAt = performance.now();
    this.channel.onMessage(this.onMessage);
    this.channel.send(controlMessage('ready', { pid: process.pid }));
    logger().info({ pid: process.pid, oldPid: this.state.oldPid }, 'hot upgrade: serving on the handed-over sockets');
    // Sockets of listeners this config no longer has (or that are still warming) are kept while OLD drains.
    setTimeout(() => {
      const closed = closeUnclaimedListeners();
      if (closed.length > 0) logger().info({ listeners: closed.map((l) => l.name || 'admin') }, 'hot upgrade: closed handed-over sockets no listener took');
      this.onMoved(); // OLD has exited by now, whatever it said
    }, unclaimedAfterMs).unref();
    // Standalone, OLD is the parent: its exit without `exiting` (a crash) ends the wait too.
    process.once('disconnect', this.onMoved);
  }

  private readonly onMessage = (msg: unknown, handle: unknown): void => {
    if (!isUpgradeMessage(msg) || !this.server) return;
    const m = msg as UpgradeMessage;
    switch (m.type) {
      case 'counters':
        this.server.inheritStats(m.stats);
        return;
      case 'connection':
        if (handle) this.adopt(m.listenerName, handle as Socket, m.unread);
        return;
      case 'connections-moved':
        this.onMoved();
        return;
      case 'exiting':
        this.onMoved();
        process.off('disconnect', this.onMoved);
        this.channel.offMessage(this.onMessage);
        logger().info({ oldPid: this.state.oldPid, oldExitAfterReadyMs: Math.round(performance.now() - this.readyAt) }, 'hot upgrade: old proxy exited');
        return;
      default:
        return;
    }
  };

  private adopt(listenerName: string, socket: Socket, unread: Uint8Array): void {
    try {
      this.server?.adoptConnection({ listenerName, socket, unread: Buffer.from(unread.buffer, unread.byteOffset, unread.byteLength) });
    } catch (err) {
      logger().warn({ err, listener: listenerName }, 'hot upgrade: cannot adopt a migrated connection');
      socket.destroy();
    }
  }
}
