import { isDeepStrictEqual } from 'node:util';
import { resourceKey, type AnyIstioResource } from './istio-resource.js';
import type { ConfigIssue } from './issue.js';
import { validateDocument } from './validate-resource.js';
import type { ParsedFile } from './yaml-documents.js';

interface FileState {
  /** Resources of this file in document order: the new version when valid, else the last valid one. */
  readonly resources: Map<string, AnyIstioResource>;
  readonly issues: readonly ConfigIssue[];
}

export interface ConfigSnapshot {
  /** Applied resources by `Kind/namespace/name`. */
  readonly resources: ReadonlyMap<string, AnyIstioResource>;
  readonly issues: readonly ConfigIssue[];
}

export interface ConfigChange {
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly removed: readonly string[];
}

function sameResource(a: AnyIstioResource, b: AnyIstioResource): boolean {
  return a.apiVersion === b.apiVersion && isDeepStrictEqual(a.spec, b.spec) && isDeepStrictEqual(a.labels, b.labels);
}

/**
 * Validated config, per source file. A resource that turns invalid keeps its last valid version (reported as such);
 * a file that no longer parses keeps all its last valid resources. The same resource in two files: the file that
 * sorts first wins, the other is reported.
 */
export class ConfigStore {
  private readonly files = new Map<string, FileState>();
  private merged: ConfigSnapshot = { resources: new Map(), issues: [] };

  constructor(private readonly defaultNamespace = 'default') {}

  /** Applies a file's new content; returns what changed in the merged set. */
  setFile(file: string, parsed: ParsedFile): ConfigChange {
    const previous = this.files.get(file);
    if (!parsed.ok) {
      const kept = previous?.resources.size ? ` (keeping its ${previous.resources.size} last valid resources)` : '';
      const issue: ConfigIssue = { file, path: '', reason: `YAML parse error: ${parsed.reason}${kept}`, severity: 'error', ...(parsed.line !== undefined ? { line: parsed.line } : {}) };
      this.files.set(file, { resources: previous?.resources ?? new Map(), issues: [issue] });
      return this.remerge();
    }
    const resources = new Map<string, AnyIstioResource>();
    const issues: ConfigIssue[] = [];
    for (const doc of parsed.documents) {
      const r = validateDocument(doc.value, file, this.defaultNamespace);
      if (r.ok) {
        if (resources.has(r.key)) issues.push({ file, line: doc.line, resource: r.key, path: '', reason: 'defined twice in this file; the first one is used', severity: 'error' });
        else resources.set(r.key, r.resource);
        continue;
      }
      const last = r.key !== undefined ? previous?.resources.get(r.key) : undefined;
      const suffix = last ? ' (not applied; the last valid version is kept)' : ' (not applied)';
      for (const p of r.problems) {
        issues.push({ file, line: doc.line, ...(r.key !== undefined ? { resource: r.key } : {}), path: p.path, reason: p.reason + suffix, severity: 'error' });
      }
      if (last && r.key !== undefined && !resources.has(r.key)) resources.set(r.key, last);
    }
    this.files.set(file, { resources, issues });
    return this.remerge();
  }

  removeFile(file: string): ConfigChange {
    if (!this.files.delete(file)) return { added: [], updated: [], removed: [] };
    return this.remerge();
  }

  fileNames(): string[] {
    return [...this.files.keys()];
  }

  snapshot(): ConfigSnapshot {
    return this.merged;
  }

  private remerge(): ConfigChange {
    const resources = new Map<string, AnyIstioResource>();
    const issues: ConfigIssue[] = [];
    for (const file of [...this.files.keys()].sort()) {
      const state = this.files.get(file);
      if (!state) continue;
      issues.push(...state.issues);
      for (const [key, r] of state.resources) {
        const other = resources.get(key);
        if (other) issues.push({ file, resource: key, path: '', reason: `also defined in ${other.origin}, which is used`, severity: 'error' });
        else resources.set(key, r);
      }
    }
    const before = this.merged.resources;
    const change: { added: string[]; updated: string[]; removed: string[] } = { added: [], updated: [], removed: [] };
    for (const [key, r] of resources) {
      const old = before.get(key);
      if (!old) change.added.push(key);
      else if (!sameResource(old, r)) change.updated.push(key);
    }
    for (const key of before.keys()) if (!resources.has(key)) change.removed.push(key);
    this.merged = { resources, issues };
    return change;
  }
}

export function isEmptyChange(c: ConfigChange): boolean {
  return c.added.length === 0 && c.updated.length === 0 && c.removed.length === 0;
}

export { resourceKey };
