import { createHash } from 'node:crypto';
import { ConfigStore, isEmptyChange, type ConfigChange, type ConfigSnapshot } from './config-store.js';
import { parseYamlDocuments } from './yaml-documents.js';

export type UpdateListener = (snapshot: ConfigSnapshot, change: ConfigChange) => void;

/**
 * The part every config source shares: texts by origin (a file path, an etcd key) parsed and validated into a
 * ConfigStore, changes collected over a batch and reported once per batch that changed the applied set or the issues.
 */
export class SourceFeed {
  private readonly store: ConfigStore;
  private readonly texts = new Map<string, string>();
  private pending: ConfigChange[] = [];
  private lastIssues = '';
  private digestOf: { snapshot: ConfigSnapshot; digest: string } | undefined;

  constructor(
    defaultNamespace: string,
    private readonly onUpdate: UpdateListener,
  ) {
    this.store = new ConfigStore(defaultNamespace);
  }

  /** Sets an origin's text (unchanged text is a no-op). */
  set(origin: string, text: string): void {
    if (this.texts.get(origin) === text) return;
    this.texts.set(origin, text);
    this.pending.push(this.store.setFile(origin, parseYamlDocuments(text)));
  }

  remove(origin: string): void {
    if (!this.texts.delete(origin)) return;
    this.pending.push(this.store.removeFile(origin));
  }

  /** Makes `all` the whole content: origins not in it are removed. */
  replaceAll(all: ReadonlyMap<string, string>): void {
    for (const origin of [...this.texts.keys()]) if (!all.has(origin)) this.remove(origin);
    for (const [origin, text] of all) this.set(origin, text);
  }

  /** The text last set for an origin. */
  text(origin: string): string | undefined {
    return this.texts.get(origin);
  }

  origins(): string[] {
    return [...this.texts.keys()];
  }

  snapshot(): ConfigSnapshot {
    return this.store.snapshot();
  }

  /**
   * A hash of the applied resources (identity, labels, spec; not where they came from), so replicas can be compared
   * at a glance. Computed on demand, once per applied set.
   */
  digest(): string {
    const snapshot = this.store.snapshot();
    if (this.digestOf?.snapshot !== snapshot) {
      const h = createHash('sha256');
      for (const key of [...snapshot.resources.keys()].sort()) {
        const r = snapshot.resources.get(key);
        if (r) h.update(JSON.stringify([key, r.apiVersion, r.labels, r.spec])).update('\n');
      }
      this.digestOf = { snapshot, digest: h.digest('hex').slice(0, 32) };
    }
    return this.digestOf.digest;
  }

  /** Ends a batch: reports it when the applied set or the issues changed (the first batch always). */
  flush(): void {
    const change = combineChanges(this.pending);
    this.pending = [];
    const snap = this.store.snapshot();
    const issues = JSON.stringify(snap.issues);
    if (isEmptyChange(change) && issues === this.lastIssues) return;
    this.lastIssues = issues;
    this.onUpdate(snap, change);
  }
}

/** Folds several changes into one (a key added then removed in the same batch is dropped). */
export function combineChanges(changes: readonly ConfigChange[]): ConfigChange {
  const state = new Map<string, 'added' | 'updated' | 'removed'>();
  for (const c of changes) {
    for (const k of c.added) state.set(k, state.get(k) === 'removed' ? 'updated' : 'added');
    for (const k of c.updated) if (state.get(k) !== 'added') state.set(k, 'updated');
    for (const k of c.removed) {
      if (state.get(k) === 'added') state.delete(k);
      else state.set(k, 'removed');
    }
  }
  const pick = (s: string): string[] => [...state].filter(([, v]) => v === s).map(([k]) => k).sort();
  return { added: pick('added'), updated: pick('updated'), removed: pick('removed') };
}
