import type { ChildProcess, SendHandle } from 'node:child_process';
import type { UpgradeMessage } from './protocol.js';

/** The IPC channel an upgrade talks over: to NEW (standalone, OLD spawned it) or to the broker (agent mode). */
export interface UpgradeChannel {
  /** Sends one message; failures (the other end went away) are ignored: the deadline or exit handling decides. */
  send(msg: UpgradeMessage, handle?: object, onSent?: () => void): void;
  onMessage(fn: (msg: unknown, handle: unknown) => void): void;
  offMessage(fn: (msg: unknown, handle: unknown) => void): void;
}

type Sender = Pick<ChildProcess, 'send' | 'on' | 'off'> & { readonly connected: boolean };

function channelOf(target: Sender): UpgradeChannel {
  return {
    send(msg, handle, onSent) {
      const done = onSent ?? ignore;
      if (!target.connected) return done();
      try {
        // A raw listen handle is not one of the SendHandle classes in the typings, but Node sends it ('net.Native').
        target.send(msg, handle as SendHandle, { keepOpen: false }, () => done());
      } catch {
        // Channel closed between the check and the send.
        done();
      }
    },
    onMessage(fn) {
      target.on('message', fn);
    },
    offMessage(fn) {
      target.off('message', fn);
    },
  };
}

export function childChannel(child: ChildProcess): UpgradeChannel {
  return channelOf(child);
}

/** This process's channel to its parent (undefined when it was not started with an IPC channel). */
export function parentChannel(): UpgradeChannel | undefined {
  if (!process.send) return undefined;
  return channelOf(process as unknown as Sender);
}

function ignore(): void {}
