/**
 * One monotonic clock read per I/O callback instead of one per timestamp. A data-path callback (socket data,
 * deadline timer) runs inside `enterClockScope()` / `exitClockScope()`: the clock is read once on entry and
 * `monotonicNow()` returns that value until the scope exits. Outside any scope `monotonicNow()` reads the clock, so
 * code reached from a callback that opened no scope (a connect event, a promise, a test) never sees a stale value.
 *
 * A scope covers one synchronous stretch of work, normally tens of microseconds; timestamps inside it are equal,
 * which is the precision Envoy's own per-event time source gives.
 */
let cached = 0;
let depth = 0;

/** Opens a scope (nestable) and returns the current time, ms (performance.now() scale). */
export function enterClockScope(): number {
  if (depth++ === 0) cached = performance.now();
  return cached;
}

/** Closes the scope opened by the matching enterClockScope(); call it in a `finally`. */
export function exitClockScope(): void {
  if (depth > 0) depth--;
}

/** The monotonic time in ms: the scope's entry time inside a scope, a fresh read outside. */
export function monotonicNow(): number {
  return depth === 0 ? performance.now() : cached;
}
