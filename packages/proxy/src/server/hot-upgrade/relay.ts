import type { ChildProcess, SendHandle } from 'node:child_process';
import { Server, Socket } from 'node:net';
import { closeRawHandle, type RawListenHandle } from './inherited-listeners.js';
import { controlMessage, isUpgradeMessage } from './protocol.js';

export interface RelayOptions {
  /** NEW must report `ready` within this time, or the upgrade is aborted and OLD keeps serving. */
  readonly readyTimeoutMs: number;
}

export type RelayOutcome =
  | { readonly ok: true; readonly readyAfterMs: number }
  | { readonly ok: false; readonly reason: string };

/** Listening sockets travel as raw handles (see inherited-listeners.ts), connections as Sockets. */
type Handle = Server | Socket | RawListenHandle | undefined;

/**
 * The broker side of a hot upgrade when the broker is not OLD itself (the agent): both proxies are its children.
 * Forwards every upgrade message, with its handle, from one to the other, tells OLD to begin, and settles when NEW is
 * ready. On a deadline miss or NEW's early exit it sends `abort` to both and kills NEW; OLD keeps serving.
 * OLD's drain and exit happen after this settles; watch OLD's `exit` event for them.
 */
export function relayUpgrade(oldProc: ChildProcess, newProc: ChildProcess, opts: RelayOptions): Promise<RelayOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const forward = (to: ChildProcess) => (msg: unknown, handle: Handle): void => {
      if (!isUpgradeMessage(msg) || !to.connected) return;
      // keepOpen false: the handle now belongs to the receiver; this process must not hold its copy. Node closes a
      // sent Socket itself, not a raw handle: close ours once sent, or this process keeps the port open for ever.
      const raw = handle !== undefined && !(handle instanceof Socket) && !(handle instanceof Server) ? handle : undefined;
      to.send(msg, handle as SendHandle, { keepOpen: false }, () => {
        if (raw) closeRawHandle(raw);
      });
      if (msg.type === 'ready' && to === oldProc) finish({ ok: true, readyAfterMs: performance.now() - started });
    };
    const fromOld = forward(newProc);
    const fromNew = forward(oldProc);
    const newExited = (code: number | null, signal: NodeJS.Signals | null): void => {
      abort(`new proxy exited before it was ready (code ${String(code)}, signal ${String(signal)})`);
    };
    const timer = setTimeout(() => abort(`new proxy was not ready within ${opts.readyTimeoutMs} ms`), opts.readyTimeoutMs);

    function cleanup(): void {
      clearTimeout(timer);
      newProc.off('exit', newExited);
    }
    function finish(outcome: RelayOutcome): void {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(outcome);
    }
    function abort(reason: string): void {
      if (settled) return;
      oldProc.off('message', fromOld);
      newProc.off('message', fromNew);
      const msg = controlMessage('abort', { reason });
      if (oldProc.connected) oldProc.send(msg, () => undefined);
      if (newProc.connected) newProc.send(msg, () => undefined);
      if (newProc.exitCode === null && newProc.signalCode === null) newProc.kill('SIGKILL');
      finish({ ok: false, reason });
    }

    oldProc.on('message', fromOld);
    newProc.on('message', fromNew);
    newProc.once('exit', newExited);
    // Messages keep flowing after `ready` (migrated connections, counters, `exiting`) until OLD exits.
    oldProc.once('exit', () => {
      oldProc.off('message', fromOld);
      newProc.off('message', fromNew);
    });
    oldProc.send(controlMessage('begin', { readyTimeoutMs: opts.readyTimeoutMs }), () => undefined);
  });
}
