import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfigChange, ConfigSnapshot } from './config-store.js';
import type { ConfigSource } from './config-source.js';
import { SourceFeed } from './source-feed.js';

export interface DirectorySourceOptions {
  readonly dir: string;
  /** Namespace of resources without `metadata.namespace`. */
  readonly defaultNamespace?: string;
  /** Quiet period after the last file event before re-reading (editors write in several steps). */
  readonly debounceMs?: number;
  /** Called after each load that changed the applied set or the reported issues. */
  readonly onUpdate: (snapshot: ConfigSnapshot, change: ConfigChange) => void;
  /** Called when the directory itself cannot be read. */
  readonly onError?: (error: Error) => void;
}

const CONFIG_FILE = /\.(ya?ml|json)$/i;

/**
 * `--config-dir`: every `*.yaml|*.yml|*.json` file under a directory (recursively, hidden entries skipped), each a
 * multi-document YAML stream of Istio resources. The directory is watched; changes are applied after a debounce.
 */
export class DirectorySource implements ConfigSource {
  private readonly feed: SourceFeed;
  /** One non-recursive watcher per directory (Node 20's recursive mode on Linux misses renames into place). */
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly options: DirectorySourceOptions) {
    this.feed = new SourceFeed(options.defaultNamespace ?? 'default', (snap, change) => options.onUpdate(snap, change));
  }

  get description(): string {
    return `config directory ${this.options.dir}`;
  }

  status(): Record<string, unknown> {
    return { kind: 'directory', dir: this.options.dir, files: this.feed.origins().length, resources: this.feed.snapshot().resources.size, digest: this.feed.digest() };
  }

  /** Loads the directory once and starts watching it. */
  async start(): Promise<ConfigSnapshot> {
    await this.reload();
    return this.feed.snapshot();
  }

  snapshot(): ConfigSnapshot {
    return this.feed.snapshot();
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private watchDirs(dirs: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Set(dirs);
    for (const [dir, w] of this.watchers) {
      if (!wanted.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, () => this.schedule());
        w.on('error', () => this.schedule());
        this.watchers.set(dir, w);
      } catch (e) {
        this.options.onError?.(e as Error);
      }
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.options.debounceMs ?? 100);
  }

  /** Re-reads the directory; loads never overlap (a request during a load runs once more after it). */
  async reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load();
    try {
      await this.loading;
    } finally {
      this.loading = undefined;
    }
    if (this.again && !this.closed) {
      this.again = false;
      await this.reload();
    }
  }

  private async load(): Promise<void> {
    let files: string[];
    const dirs: string[] = [];
    try {
      files = await listConfigFiles(this.options.dir, dirs);
    } catch (e) {
      this.options.onError?.(e as Error);
      return;
    }
    this.watchDirs(dirs);
    const present = new Set(files);
    for (const file of this.feed.origins()) if (!present.has(file)) this.feed.remove(file);
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue; // removed between listing and reading: the next event reloads
      }
      this.feed.set(file, text);
    }
    if (this.closed) return;
    this.feed.flush();
  }
}

async function listConfigFiles(dir: string, dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  dirs.push(dir);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listConfigFiles(full, dirs)));
    else if (entry.isFile() && CONFIG_FILE.test(entry.name)) out.push(full);
  }
  return out.sort();
}

