import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * Directory watchers shared by every TLS context: each bumps a generation counter on any event in its directory.
 * Watching the directory (not the file) sees atomic rename-replaces and Kubernetes' `..data` symlink swaps.
 * Watchers are not persistent: they never keep the process alive.
 */
interface DirWatch {
  generation: number;
  watcher: FSWatcher | undefined;
}

const dirs = new Map<string, DirWatch>();

function dirOf(file: string): string {
  return path.dirname(path.resolve(file));
}

/** The watch state of a file's directory (created on first use). */
export function watchDirectoryOf(file: string): DirWatch {
  const dir = dirOf(file);
  let w = dirs.get(dir);
  if (w === undefined) {
    const state: DirWatch = { generation: 0, watcher: undefined };
    try {
      state.watcher = watch(dir, { persistent: false }, () => {
        state.generation++;
      });
      state.watcher.on('error', () => {
        // A vanished directory: fall back to the content check on every handshake.
        state.watcher = undefined;
      });
    } catch {
      state.watcher = undefined;
    }
    w = state;
    dirs.set(dir, w);
  }
  return w;
}

/** Sum of the generations of the files' directories; changes whenever any of them saw an event. */
export function generationOf(watches: readonly DirWatch[]): number {
  let g = 0;
  for (const w of watches) g += w.watcher === undefined ? Number.NaN : w.generation;
  return g;
}
