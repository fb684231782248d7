import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, unlink, writeFile as writeFileNow } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ConfigChange, ConfigSnapshot } from './config-store.js';
import { DirectorySource } from './directory-source.js';
import { formatIssue } from './issue.js';

const SE = (name: string, port: number): string => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: ns }
spec:
  hosts: [${name}.example.com]
  ports: [{ number: ${port}, name: http, protocol: HTTP }]
  resolution: DNS
`;

/** Writes like editors do (temporary hidden file, then rename) so a load never sees half a file. */
async function writeFile(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFileNow(tmp, text);
  await rename(tmp, file);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'weft-cfg-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Collects updates; `next()` resolves with the next one. */
function updates(): { onUpdate: (s: ConfigSnapshot, c: ConfigChange) => void; next: () => Promise<[ConfigSnapshot, ConfigChange]> } {
  const queue: [ConfigSnapshot, ConfigChange][] = [];
  let waiter: ((v: [ConfigSnapshot, ConfigChange]) => void) | undefined;
  return {
    onUpdate: (s, c) => {
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        w([s, c]);
      } else queue.push([s, c]);
    },
    next: () => {
      const q = queue.shift();
      if (q) return Promise.resolve(q);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no update within 5 s')), 5000);
        waiter = (v) => {
          clearTimeout(t);
          resolve(v);
        };
      });
    },
  };
}

describe('DirectorySource', () => {
  it('loads multi-document files, then applies edits live and keeps the last valid version of a broken resource', async () => {
    await withDir(async (dir) => {
      const file = path.join(dir, 'mesh.yaml');
      await writeFile(file, `${SE('a', 80)}---\n# comment only\n---\n${SE('b', 81)}`);
      const u = updates();
      const src = new DirectorySource({ dir, debounceMs: 20, onUpdate: u.onUpdate });
      try {
        const first = await src.start();
        assert.deepEqual([...first.resources.keys()], ['ServiceEntry/ns/a', 'ServiceEntry/ns/b']);
        assert.deepEqual(first.issues, []);
        await u.next(); // the initial load

        // b gets an unknown field: reported, last valid b kept; a changes port.
        await writeFile(file, `${SE('a', 8080)}---\n${SE('b', 81).replace('resolution: DNS', 'resolution: DNS\n  hostz: []')}`);
        const [snap, change] = await u.next();
        assert.deepEqual(change, { added: [], updated: ['ServiceEntry/ns/a'], removed: [] });
        assert.deepEqual(snap.issues.map(formatIssue), [
          `${file}:9: ServiceEntry/ns/b spec.hostz: unknown field 'hostz' (not applied; the last valid version is kept)`,
        ]);
        const b = snap.resources.get('ServiceEntry/ns/b');
        assert.equal(b?.kind === 'ServiceEntry' && b.spec.ports?.[0]?.number, 81);

        // A second file adds c; a syntax error in the first keeps both a and b.
        await writeFile(path.join(dir, 'more.yml'), SE('c', 90));
        await writeFile(file, 'apiVersion: [unclosed\n');
        // The two writes may land in one load or two: wait until both are seen.
        let [snap2] = await u.next();
        while (!snap2.resources.has('ServiceEntry/ns/c') || !snap2.issues.some((i) => i.reason.startsWith('YAML'))) [snap2] = await u.next();
        assert.deepEqual([...snap2.resources.keys()].sort(), ['ServiceEntry/ns/a', 'ServiceEntry/ns/b', 'ServiceEntry/ns/c']);
        assert.match(snap2.issues.map(formatIssue).join('\n'), /mesh\.yaml:\d+: YAML parse error: .* \(keeping its 2 last valid resources\)/);

        // Deleting the file removes its resources.
        await unlink(file);
        const [snap3, change3] = await u.next();
        assert.deepEqual(change3, { added: [], updated: [], removed: ['ServiceEntry/ns/a', 'ServiceEntry/ns/b'] });
        assert.deepEqual([...snap3.resources.keys()], ['ServiceEntry/ns/c']);
        assert.deepEqual(snap3.issues, []);
      } finally {
        src.close();
      }
    });
  });

  it('reports a resource defined in two files and uses the file that sorts first', async () => {
    await withDir(async (dir) => {
      await writeFile(path.join(dir, '1.yaml'), SE('a', 80));
      await writeFile(path.join(dir, '2.yaml'), SE('a', 81));
      const src = new DirectorySource({ dir, onUpdate: () => undefined });
      try {
        const snap = await src.start();
        const a = snap.resources.get('ServiceEntry/ns/a');
        assert.equal(a?.kind === 'ServiceEntry' && a.spec.ports?.[0]?.number, 80);
        assert.deepEqual(snap.issues.map(formatIssue), [`${path.join(dir, '2.yaml')}: ServiceEntry/ns/a also defined in ${path.join(dir, '1.yaml')}, which is used`]);
      } finally {
        src.close();
      }
    });
  });
});
