import type { SnapshotChange } from './snapshot.js';
import type { TypeUrl } from './type-urls.js';

/** Union of two changes; "everything" (undefined) absorbs any set. */
export function mergeChanges(a: SnapshotChange, b: SnapshotChange): SnapshotChange {
  let proxies: Set<string> | undefined;
  if (a.proxies && b.proxies) proxies = new Set([...a.proxies, ...b.proxies]);
  let types: Map<TypeUrl, ReadonlySet<string> | undefined> | undefined;
  if (a.types && b.types) {
    types = new Map(a.types);
    for (const [typeUrl, names] of b.types) {
      const prev = types.get(typeUrl);
      if (!types.has(typeUrl)) types.set(typeUrl, names);
      else if (prev === undefined || names === undefined) types.set(typeUrl, undefined);
      else types.set(typeUrl, new Set([...prev, ...names]));
    }
  }
  return { proxies, types };
}

/**
 * Collects changes for `debounceMs` after the first one, then flushes their union once: a burst of registry events
 * becomes one push, and a push never waits longer than the window.
 */
export class PushQueue {
  private pending: SnapshotChange | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly debounceMs: number,
    private readonly flush: (change: SnapshotChange) => void,
  ) {}

  enqueue(change: SnapshotChange): void {
    this.pending = this.pending ? mergeChanges(this.pending, change) : change;
    if (this.debounceMs <= 0) {
      this.flushNow();
      return;
    }
    this.timer ??= setTimeout(() => this.flushNow(), this.debounceMs);
  }

  flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const change = this.pending;
    this.pending = undefined;
    if (change) this.flush(change);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
