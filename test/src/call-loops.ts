/** Continuous RPC load for the hot-upgrade tests: `inFlight` loops each issue the next call as soon as one ends. */
export interface CallLoops {
  /** Calls answered as expected so far. */
  ok(): number;
  /** Ends the loops after their current call; resolves the final counts. */
  stop(): Promise<{ ok: number; failed: number }>;
}

/** `call(n)` resolves true for an expected answer; false or a throw counts as failed. */
export function startCallLoops(inFlight: number, call: (n: number) => Promise<boolean>): CallLoops {
  let running = true;
  let ok = 0;
  let failed = 0;
  let n = 0;
  const loops = Array.from({ length: inFlight }, async () => {
    while (running) {
      try {
        if (await call(n++)) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  });
  return {
    ok: () => ok,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return { ok, failed };
    },
  };
}
