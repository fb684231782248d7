import { setImmediate as nextTurn } from 'node:timers/promises';

/** Continuous RPC load for the hot-upgrade tests: `inFlight` loops each issue the next call as soon as one ends. */
export interface CallLoops {
  /** Calls answered as expected so far. */
  ok(): number;
  /** Calls that failed so far: a wrong answer, a throw, or no answer within `stuckMs`. */
  failed(): number;
  /** Counts, the first failures with their reason, and the calls still outstanding with their age (for messages). */
  describe(): string;
  /** Ends the loops after their current call; resolves the final counts. Safe to call again (e.g. in `finally`). */
  stop(): Promise<{ ok: number; failed: number }>;
}

export interface CallLoopOptions {
  /** A call still unanswered after this long counts as failed and its loop moves on (default 5000 ms). */
  readonly stuckMs?: number;
}

const FAILURES_KEPT = 10;

/**
 * `call(n)` resolves true for an expected answer; false or a throw counts as failed. A call that never settles
 * counts as failed after `stuckMs` (so stop() always ends), and a loop yields to the event loop after a failed call:
 * a client that fails every call at once (closed, no provider) must not starve timers and I/O — that turned a
 * failed assertion into a 120 s test timeout with no message.
 */
export function startCallLoops(inFlight: number, call: (n: number) => Promise<boolean>, opts: CallLoopOptions = {}): CallLoops {
  const stuckMs = opts.stuckMs ?? 5000;
  let running = true;
  let ok = 0;
  let failed = 0;
  let n = 0;
  const outstanding = new Map<number, number>();
  const failures: string[] = [];

  const fail = (k: number, why: string): void => {
    failed++;
    if (failures.length < FAILURES_KEPT) failures.push(`call ${k} ${why} (at ${new Date().toISOString()})`);
  };

  /** Whether call `k` was answered as expected. */
  const one = async (k: number): Promise<boolean> => {
    outstanding.set(k, Date.now());
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`got no answer within ${stuckMs} ms`), stuckMs);
    });
    // Settles either way, so a call that loses the race to `stuck` and rejects later is not an unhandled rejection.
    const answered = Promise.resolve()
      .then(() => call(k))
      .then(
        (good) => (good ? true : 'got a wrong answer'),
        (err: unknown) => `threw ${String(err)}`,
      );
    const r = await Promise.race([answered, stuck]);
    clearTimeout(timer);
    outstanding.delete(k);
    if (r === true) {
      ok++;
      return true;
    }
    fail(k, r);
    return false;
  };

  const loops = Array.from({ length: inFlight }, async () => {
    while (running) {
      // After a failure only: an answered call went through I/O anyway, and yielding after each one would leave the
      // connection idle between the loops' turns (the busy-connection tests need calls in flight all the time).
      if (!(await one(n++))) await nextTurn();
    }
  });
  let stopped: Promise<{ ok: number; failed: number }> | undefined;
  return {
    ok: () => ok,
    failed: () => failed,
    describe: () => {
      const now = Date.now();
      const waiting = [...outstanding].map(([k, t]) => `${k} (${now - t} ms)`);
      return `${ok} calls ok, ${failed} failed${failures.length > 0 ? `: ${failures.join('; ')}` : ''}; outstanding: ${waiting.join(', ') || 'none'}`;
    },
    stop: () => {
      running = false;
      stopped ??= Promise.all(loops).then(() => ({ ok, failed }));
      return stopped;
    },
  };
}
