import type { Etcd3, IKeyValue, IOptions, IWatchResponse, Watcher } from 'etcd3';
import type { ConfigSnapshot } from './config-store.js';
import type { ConfigSource, SourceHooks } from './config-source.js';
import { isCleanText, valuesBefore } from './etcd-history.js';
import { SourceFeed } from './source-feed.js';

export const DEFAULT_ETCD_PREFIX = '/weft/config/';

export interface EtcdSourceOptions extends SourceHooks {
  /** Client URLs (`http://host:port`). */
  readonly endpoints: readonly string[];
  /** Every key under it holds one or more Istio resources (YAML or JSON, multi-document YAML allowed). */
  readonly prefix: string;
  readonly defaultNamespace?: string;
  /** Reconnect backoff: first delay, doubled per failed attempt up to `maxMs`. */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Deadline of one list request. */
  readonly requestTimeoutMs?: number;
}

type State = 'starting' | 'watching' | 'reconnecting' | 'closed';

/**
 * `--etcd-endpoints`: Istio resources stored under a key prefix in etcd; the key plays the role of the file in
 * issues. Lists the prefix, then watches it from the revision after the list (no gap, no duplicate). When the
 * connection is lost the last good config keeps being served while it reconnects with backoff and resyncs
 * (list + watch again), so a compaction or a missed event cannot leave it stale.
 */
export class EtcdSource implements ConfigSource {
  private readonly feed: SourceFeed;
  private client: Etcd3 | undefined;
  private watcher: Watcher | undefined;
  /** The etcd revision the served config reflects (every change under the prefix up to it is applied). */
  private revision = '0';
  private state: State = 'starting';
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncs = 0;
  private lastError: string | undefined;
  /** Bumped on every (re)sync so events of an abandoned watcher are ignored. */
  private epoch = 0;
  private abortConnect: ((err: Error) => void) | undefined;
  /** Ends the start-up wait between attempts (on close). */
  private wake: (() => void) | undefined;

  constructor(private readonly options: EtcdSourceOptions) {
    this.feed = new SourceFeed(this.namespace, options.onUpdate);
  }

  get description(): string {
    return `etcd prefix ${this.options.prefix} at ${this.options.endpoints.join(',')}`;
  }

  status(): Record<string, unknown> {
    return {
      kind: 'etcd',
      endpoints: this.options.endpoints,
      prefix: this.options.prefix,
      revision: this.revision,
      state: this.state,
      keys: this.feed.origins().length,
      resources: this.feed.snapshot().resources.size,
      digest: this.feed.digest(),
      resyncs: this.resyncs,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  private get namespace(): string {
    return this.options.defaultNamespace ?? 'default';
  }

  private deadline(): number {
    return Date.now() + (this.options.requestTimeoutMs ?? 5000);
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  snapshot(): ConfigSnapshot {
    return this.feed.snapshot();
  }

  /** Resolves after the first successful list (retrying with backoff until then, or until closed). */
  async start(): Promise<ConfigSnapshot> {
    const { Etcd3: Client } = await import('etcd3');
    // Our own backoff and resync replace the client's circuit breaker (it would refuse calls for 5 s).
    const faultHandling = { host: () => NOOP_POLICY } as unknown as IOptions['faultHandling'];
    this.client = new Client({ hosts: [...this.options.endpoints], dialTimeout: this.options.requestTimeoutMs ?? 5000, ...(faultHandling ? { faultHandling } : {}) });
    for (;;) {
      if (await this.sync()) return this.feed.snapshot();
      if (this.isClosed()) return this.feed.snapshot();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.retryTimer = setTimeout(resolve, this.nextDelay());
      });
      this.wake = undefined;
    }
  }

  close(): void {
    this.state = 'closed';
    this.epoch++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.abortConnect?.(new Error('closed'));
    this.wake?.();
    this.dropWatcher();
    this.client?.close();
  }

  /** Lists the prefix and watches from the next revision; false (error reported) when etcd cannot be reached. */
  private async sync(): Promise<boolean> {
    const client = this.client;
    if (!client || this.isClosed()) return false;
    const epoch = ++this.epoch;
    try {
      const res = await client
        .getAll()
        .prefix(this.options.prefix)
        .options({ deadline: this.deadline() })
        .exec();
      if (epoch !== this.epoch) return false;
      const all = new Map<string, string>();
      const changed = new Map<string, IKeyValue>();
      for (const kv of res.kvs) {
        const key = keyOf(kv);
        const text = kv.value.toString('utf8');
        all.set(key, text);
        if (this.feed.text(key) !== text) changed.set(key, kv);
      }
      this.feed.replaceAll(all);
      await this.replayHistory(client, changed);
      if (epoch !== this.epoch) return false;
      this.revision = res.header.revision;
      this.feed.flush();
      const watcher = client.watch().prefix(this.options.prefix).startRevision((BigInt(this.revision) + 1n).toString()).watcher();
      this.watcher = watcher;
      watcher.on('data', (r: IWatchResponse) => this.onWatch(epoch, r));
      await this.connected(watcher);
      if (epoch !== this.epoch) return false;
      // From here on a broken or canceled stream means events may be missed until we resync.
      watcher.on('error', (err: Error) => this.lost(epoch, err));
      watcher.on('disconnected', (err: Error) => this.lost(epoch, err));
    } catch (err) {
      if (epoch === this.epoch && !this.isClosed()) {
        this.report(err);
        this.dropWatcher();
      }
      return false;
    }
    if (this.state !== 'starting') {
      this.resyncs++;
      this.options.onInfo?.({ revision: this.revision, prefix: this.options.prefix }, 'etcd config source resynced');
    }
    this.state = 'watching';
    this.attempt = 0;
    this.lastError = undefined;
    return true;
  }

  /**
   * Keys just listed with a new, invalid value are replayed from their history (earlier values, then the current
   * one), so invalid resources keep the same last valid version a replica that watched them all along has.
   */
  private async replayHistory(client: Etcd3, changed: ReadonlyMap<string, IKeyValue>): Promise<void> {
    const withIssues = new Set(this.feed.snapshot().issues.map((i) => i.file));
    for (const [key, kv] of changed) {
      const text = kv.value.toString('utf8');
      if (!withIssues.has(key) || isCleanText(text, this.namespace)) continue; // clean alone: a conflict between keys
      const earlier = await valuesBefore(client, kv, this.namespace, () => this.deadline());
      if (earlier.length === 0) continue;
      for (const t of earlier) this.feed.set(key, t);
      this.feed.set(key, text);
    }
  }

  /** Waits until etcd accepted the watch (the client would otherwise retry forever in the background). */
  private connected(watcher: Watcher): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error('etcd did not accept the watch in time')), this.options.requestTimeoutMs ?? 5000);
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.abortConnect = undefined;
        watcher.off('connected', onConnected);
        watcher.off('disconnected', done);
        watcher.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const onConnected = (): void => done();
      watcher.on('connected', onConnected);
      watcher.on('disconnected', done);
      watcher.on('error', done);
      this.abortConnect = done;
    });
  }

  private onWatch(epoch: number, res: IWatchResponse): void {
    if (epoch !== this.epoch) return;
    for (const ev of res.events) {
      const key = keyOf(ev.kv);
      if (ev.type === 'Put') this.feed.set(key, ev.kv.value.toString('utf8'));
      else this.feed.remove(key);
    }
    if (BigInt(res.header.revision) > BigInt(this.revision)) this.revision = res.header.revision;
    this.feed.flush();
  }

  /** The watch broke (etcd down, compacted, canceled): keep serving, reconnect with backoff, then resync. */
  private lost(epoch: number, err: Error): void {
    if (epoch !== this.epoch || this.isClosed()) return;
    this.epoch++;
    this.state = 'reconnecting';
    this.report(err);
    this.dropWatcher();
    this.scheduleResync();
  }

  private scheduleResync(): void {
    if (this.isClosed()) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.sync().then((ok) => {
        if (!ok) this.scheduleResync();
      });
    }, this.nextDelay());
  }

  private nextDelay(): number {
    const initial = this.options.backoff?.initialMs ?? 500;
    const max = this.options.backoff?.maxMs ?? 30_000;
    const delay = Math.min(max, initial * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    // Jitter so replicas do not reconnect in lockstep.
    return delay / 2 + Math.random() * (delay / 2);
  }

  private dropWatcher(): void {
    const w = this.watcher;
    this.watcher = undefined;
    if (!w) return;
    w.removeAllListeners('data');
    w.removeAllListeners('disconnected');
    w.removeAllListeners('error');
    w.on('error', () => undefined);
    void w.cancel().catch(() => undefined);
  }

  private report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.lastError = e.message;
    this.options.onError(e);
  }
}

function keyOf(kv: IKeyValue): string {
  return kv.key.toString('utf8');
}

/** A pass-through fault-handling policy (etcd3 only calls `execute`, and expects a promise back). */
const NOOP_POLICY = {
  execute: async <T>(fn: (ctx: { signal: AbortSignal }) => T | Promise<T>): Promise<T> => fn({ signal: new AbortController().signal }),
};

/**
 * `--etcd-endpoints`: comma-separated `http://host:port` URLs (`host:port` means http). Throws naming the bad entry;
 * TLS (`https://`) is refused until client certificates can be configured.
 */
export function parseEtcdEndpoints(value: string): string[] {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') throw new Error(`--etcd-endpoints has an empty entry in '${value}'`);
    if (/^https:\/\//i.test(entry)) throw new Error(`--etcd-endpoints: '${entry}': https (TLS to etcd) is not supported yet`);
    const url = /^http:\/\//i.test(entry) ? entry : `http://${entry}`;
    const m = /^http:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/i.exec(url);
    if (!m || Number(m[2]) > 65535 || Number(m[2]) === 0) throw new Error(`--etcd-endpoints: '${entry}' is not http://host:port`);
    out.push(`http://${m[1]}:${m[2]}`);
  }
  return out;
}
