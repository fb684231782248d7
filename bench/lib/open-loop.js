// Open-loop load at a fixed rate: request i is due at t0 + i / rate whatever happened to the earlier ones (a slow
// response does not delay the next send, unlike a closed loop). Timings in ms from `now()` (default: hrtime).

const hrNowMs = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Runs `warmupMs` (results discarded) then `durationMs` of `call(done)` at `rate` per second; `call` must invoke
 * `done(err)` exactly once. Latency is measured from the actual send to `done` (the service time the proxy adds to);
 * how late each send was against its schedule is reported separately as `lag` (timer granularity, a busy core).
 * Calls still open `drainMs` after the last send count as `unfinished`. Resolves
 * { scheduled, ok, errors, errorsBy, unfinished, latency (Float64Array of ok latencies), lag (Float64Array), spanMs,
 * achievedRps }, covering the measured part only.
 */
export function runOpenLoop({ rate, warmupMs, durationMs, call, drainMs = 2000, now = hrNowMs }) {
  const interval = 1000 / rate;
  const warmupCount = Math.round((warmupMs * rate) / 1000);
  const total = warmupCount + Math.round((durationMs * rate) / 1000);
  const measured = total - warmupCount;
  const latency = new Float64Array(measured);
  const lag = new Float64Array(measured);
  const errorsBy = {};
  let okCount = 0;
  let errors = 0;
  let completed = 0;
  let next = 0;
  let firstSend = 0;
  let lastSend = 0;
  return new Promise((resolve) => {
    let drainTimer = null;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      if (drainTimer) clearTimeout(drainTimer);
      const spanMs = lastSend - firstSend;
      resolve({
        scheduled: measured,
        ok: okCount,
        errors,
        errorsBy,
        unfinished: total - completed,
        latency: latency.subarray(0, okCount),
        lag,
        spanMs,
        achievedRps: measured > 1 && spanMs > 0 ? ((measured - 1) * 1000) / spanMs : null,
      });
    };
    const send = (i, dueAt) => {
      const sentAt = now();
      const measuredIdx = i - warmupCount;
      if (measuredIdx >= 0) {
        lag[measuredIdx] = sentAt - dueAt;
        if (measuredIdx === 0) firstSend = sentAt;
        lastSend = sentAt;
      }
      let called = false;
      call((err) => {
        if (called || finished) return;
        called = true;
        const ms = now() - sentAt;
        completed++;
        if (measuredIdx >= 0) {
          if (err) {
            errors++;
            const key = err.code !== undefined ? String(err.code) : err.message ?? String(err);
            errorsBy[key] = (errorsBy[key] ?? 0) + 1;
          } else {
            latency[okCount++] = ms;
          }
        }
        if (completed === total) finish();
      });
    };
    const t0 = now() + 1;
    const tick = () => {
      const t = now();
      while (next < total && t0 + next * interval <= t) {
        send(next, t0 + next * interval);
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, t0 + next * interval - now()));
      else if (completed < total) drainTimer = setTimeout(finish, drainMs);
    };
    if (total === 0) finish();
    else tick();
  });
}
