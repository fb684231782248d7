/** The steps of a lossless toggle, injected so the agent (or the CLI) decides how each is done. */
export interface ToggleSteps {
  /** false: take the instance out of service (fail its health check, tell the registry); true: put it back. */
  setInService(inService: boolean): Promise<void>;
  /** Requests in flight through the proxy (what `on` waits to finish before the rules change). */
  activeRequests(): Promise<number>;
  /** Downstream connections still open on the intercepted listeners (what `off` waits to close). */
  activeConnections(): Promise<number>;
  /** Tell clients on existing connections to stop sending on them (Connection: close, GOAWAY, RPC close). */
  drain(): Promise<void>;
  installRules(): Promise<void>;
  /** New connections are no longer redirected; redirected ones still reach the proxy. */
  stopCapture(): Promise<void>;
  /** Everything goes (connections still redirected at this point lose their redirection). */
  removeRules(): Promise<void>;
}

export interface ToggleOptions {
  /** Longest wait for in-flight work before the rules change anyway (default 10 s). */
  readonly maxWaitMs?: number;
  /** How often the proxy's gauges are read while waiting (default 100 ms). */
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a toggle did and how long each phase took (ms). */
export interface ToggleReport {
  readonly action: 'on' | 'off';
  /** Taking the instance out of service (on) or starting the drain after the rules are gone (off). */
  readonly prepareMs: number;
  /** Waiting for requests (on) or connections (off) to finish. */
  readonly waitMs: number;
  readonly inFlightAtStart: number;
  readonly inFlightAtEnd: number;
  /** The wait ended at maxWaitMs with work still in flight. */
  readonly waitTimedOut: boolean;
  readonly rulesMs: number;
  /** Putting the instance back in service. */
  readonly restoreMs: number;
  readonly totalMs: number;
}

export type InterceptState = 'on' | 'off' | 'unknown';

/**
 * Turns interception on or off without losing a request.
 * on: out of service -> wait for in-flight requests -> install the rules -> back in service. Connections opened
 * before the rules keep going straight to their destination (NAT applies to new connections only).
 * off: stop capturing new connections -> drain (clients are told to stop using their connections) -> wait for the
 * proxy's connections to close -> remove the rules -> back in service. Capture stops first: redirected connections
 * keep their NAT mapping and so keep reaching the proxy, while clients that reconnect after the drain go straight
 * to the destination (with the capture still on they would reconnect through the proxy and the wait could not end
 * under load).
 * Toggles are serialized: a second call waits for the first.
 */
export class InterceptToggle {
  private queue: Promise<unknown> = Promise.resolve();
  private current: InterceptState = 'unknown';
  private readonly maxWaitMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly steps: ToggleSteps,
    opts: ToggleOptions = {},
  ) {
    this.maxWaitMs = opts.maxWaitMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 100;
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  get state(): InterceptState {
    return this.current;
  }

  on(): Promise<ToggleReport> {
    return this.serialize(() => this.run('on'));
  }

  off(): Promise<ToggleReport> {
    return this.serialize(() => this.run('off'));
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(action: 'on' | 'off'): Promise<ToggleReport> {
    const s = this.steps;
    const t0 = this.now();
    let stopMs = 0;
    if (action === 'on') {
      await s.setInService(false);
    } else {
      this.current = 'unknown';
      await s.stopCapture();
      stopMs = this.now() - t0;
      await s.drain();
    }
    const t1 = this.now();
    const count = action === 'on' ? () => s.activeRequests() : () => s.activeConnections();
    const inFlightAtStart = await count();
    let inFlight = inFlightAtStart;
    while (inFlight > 0 && this.now() - t1 < this.maxWaitMs) {
      await this.sleep(this.pollMs);
      inFlight = await count();
    }
    const t2 = this.now();
    const rulesMs = await this.changeRules(action);
    const t3 = this.now();
    await s.setInService(true);
    const t4 = this.now();
    return {
      action,
      prepareMs: t1 - t0 - stopMs,
      waitMs: t2 - t1,
      inFlightAtStart,
      inFlightAtEnd: inFlight,
      waitTimedOut: inFlight > 0,
      rulesMs: rulesMs + stopMs,
      restoreMs: t4 - t3,
      totalMs: t4 - t0,
    };
  }

  private async changeRules(action: 'on' | 'off'): Promise<number> {
    const t = this.now();
    this.current = 'unknown';
    if (action === 'on') await this.steps.installRules();
    else await this.steps.removeRules();
    this.current = action;
    return this.now() - t;
  }
}
