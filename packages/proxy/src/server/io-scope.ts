/**
 * Work shared by everything one data-path callback (socket data, deadline timer) does, set up once per callback:
 *
 * - One monotonic clock read instead of one per timestamp. Inside `enterIoScope()` / `exitIoScope()` the clock is
 *   read once on entry and `monotonicNow()` returns that value; outside any scope `monotonicNow()` reads the clock,
 *   so code reached from a callback that opened no scope (a connect event, a promise, a test) never sees a stale
 *   value. A scope covers one synchronous stretch of work, normally tens of microseconds.
 * - Deferred work (`deferToScopeEnd`): runs when the outermost scope exits, or in a nextTick when deferred outside
 *   any scope. Used to hold a response head until its body arrives in the same read, without a nextTick per request.
 */
export interface Deferred {
  runDeferred(): void;
}

let cached = 0;
/** The scope's wall clock, read on first use (0: not read yet in this scope). */
let cachedWall = 0;
let depth = 0;
const deferred: Deferred[] = [];
let tickScheduled = false;

/** Opens a scope (nestable) and returns the current time, ms (performance.now() scale). */
export function enterIoScope(): number {
  if (depth++ === 0) {
    cached = performance.now();
    cachedWall = 0;
  }
  return cached;
}

/** Closes the scope opened by the matching enterIoScope(); call it in a `finally`. The outermost runs deferred work. */
export function exitIoScope(): void {
  if (depth > 1) {
    depth--;
    return;
  }
  if (depth === 0) return;
  try {
    if (deferred.length !== 0) runAll();
  } finally {
    depth = 0;
  }
}

/** Whether a data-path callback's scope is open. */
export function inIoScope(): boolean {
  return depth !== 0;
}

/** The monotonic time in ms: the scope's entry time inside a scope, a fresh read outside. */
export function monotonicNow(): number {
  return depth === 0 ? performance.now() : cached;
}

/** Wall-clock ms since the epoch (Date.now()): read once per scope, like monotonicNow(); a fresh read outside. */
export function wallClockNow(): number {
  if (depth === 0) return Date.now();
  if (cachedWall === 0) cachedWall = Date.now();
  return cachedWall;
}

/** Runs `d.runDeferred()` once the current scope ends (in a nextTick outside any scope). */
export function deferToScopeEnd(d: Deferred): void {
  deferred.push(d);
  if (depth === 0 && !tickScheduled) {
    tickScheduled = true;
    process.nextTick(runFromTick);
  }
}

function runFromTick(): void {
  tickScheduled = false;
  runAll();
}

function runAll(): void {
  // Items deferred while running are run too (index loop over a growing array).
  let i = 0;
  try {
    for (; i < deferred.length; i++) (deferred[i] as Deferred).runDeferred();
    while (deferred.length !== 0) deferred.pop(); // cheaper than `length = 0` for a few entries
  } catch (err) {
    // Drop the failed item; the rest still run, on the next tick.
    deferred.splice(0, i + 1);
    if (deferred.length !== 0 && !tickScheduled) {
      tickScheduled = true;
      process.nextTick(runFromTick);
    }
    throw err;
  }
}
