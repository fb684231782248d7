import { logger } from '../logger.js';
import { isUpgradeMessage, type UpgradeMessage } from './protocol.js';
import type { HotUpgrader } from './upgrader.js';

/**
 * Standalone: SIGHUP upgrades in place (same command line). Agent mode: a `begin` from the parent (whoever
 * spawned this process with an IPC channel) hands over to the process at the other end of the parent's relay.
 */
export function installUpgradeTriggers(upgrader: HotUpgrader): void {
  process.on('SIGHUP', () => void upgrader.upgrade());
  if (!process.send) return;
  process.on('message', (msg: unknown) => {
    if (!isUpgradeMessage(msg)) return;
    const m = msg as UpgradeMessage;
    if (m.type !== 'begin') return;
    logger().info({ readyTimeoutMs: m.readyTimeoutMs }, 'hot upgrade: the parent asks for a handover');
    void upgrader.handOverToParent(m.readyTimeoutMs);
  });
  // The parent's channel must not keep a proxy alive, nor its loss stop one (the agent restarts, OLD exits).
  process.channel?.unref();
}
