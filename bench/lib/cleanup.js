// Process-wide cleanup registry: every child process and temp dir the bench creates registers a synchronous
// undo here, so it is removed on normal exit, on SIGINT/SIGTERM and on an uncaught error alike.
const actions = new Set();
const graceful = new Set();
let installed = false;
let stopping = false;

/** True once a signal asked the bench to stop: start nothing new. */
export function isStopping() {
  return stopping;
}

/**
 * Registers an async orderly stop (e.g. SIGTERM a server and wait for it, so it reaps its own workers), tried on
 * signals before the synchronous cleanups; returns a function that unregisters it.
 */
export function onGracefulStop(fn) {
  graceful.add(fn);
  return () => graceful.delete(fn);
}

/** Runs every registered graceful stop, giving up after `timeoutMs`. Never rejects. */
export async function runGracefulStops(timeoutMs = 4000) {
  const list = [...graceful];
  graceful.clear();
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled(list.map((fn) => fn())), timeout]);
  clearTimeout(timer);
}

/** Registers a synchronous cleanup; returns a function that unregisters it (after an orderly stop). */
export function onCleanup(fn) {
  actions.add(fn);
  return () => actions.delete(fn);
}

/** Runs (and forgets) every registered cleanup, last registered first. Never throws. */
export function runCleanups() {
  const list = [...actions].reverse();
  actions.clear();
  for (const fn of list) {
    try {
      fn();
    } catch {
      // best effort: one failing cleanup must not keep the others from running
    }
  }
}

/** Installs exit/signal/error handlers once. */
export function installCleanupHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig} received, stopping every started process\n`);
      const code = 128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1);
      process.exitCode = code;
      stopping = true;
      // A second signal during the orderly stop falls through to the sync path below.
      process.on(sig, () => process.exit(code));
      void runGracefulStops().finally(() => {
        runCleanups();
        process.exit(code);
      });
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: uncaught error: ${err?.stack ?? err}\n`);
    runCleanups();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection: ${err?.stack ?? err}\n`);
    runCleanups();
    process.exit(1);
  });
}
