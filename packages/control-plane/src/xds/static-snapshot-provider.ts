import type { XdsResource } from './resource.js';
import type { ProxySnapshot, SnapshotChange, SnapshotProvider } from './snapshot.js';
import type { TypeUrl } from './type-urls.js';

/**
 * Serves one snapshot to every node (the `--snapshot-file` fallback, tests, benchmarks). Each update replaces only
 * the maps of the types it touches and reports exactly the names it touched.
 */
export class StaticSnapshotProvider implements SnapshotProvider {
  private snapshot: ProxySnapshot = { resources: new Map(), versions: new Map() };
  private readonly listeners = new Set<(change: SnapshotChange) => void>();
  private generation = 0;

  constructor(resources: Iterable<XdsResource> = []) {
    this.update(resources, []);
  }

  snapshotFor(): ProxySnapshot {
    return this.snapshot;
  }

  current(): ProxySnapshot {
    return this.snapshot;
  }

  onChange(listener: (change: SnapshotChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds or replaces `upserts` and removes `removals` ([typeUrl, name]); unchanged versions are not reported. */
  update(upserts: Iterable<XdsResource>, removals: Iterable<readonly [TypeUrl, string]>): void {
    const resources = new Map(this.snapshot.resources);
    const versions = new Map(this.snapshot.versions);
    const touched = new Map<TypeUrl, Set<string>>();
    const mapFor = (typeUrl: TypeUrl): Map<string, XdsResource> => {
      let names = touched.get(typeUrl);
      if (!names) {
        names = new Set();
        touched.set(typeUrl, names);
        resources.set(typeUrl, new Map(resources.get(typeUrl)));
      }
      return resources.get(typeUrl) as Map<string, XdsResource>;
    };
    for (const r of upserts) {
      if (this.snapshot.resources.get(r.typeUrl)?.get(r.name)?.version === r.version) continue;
      mapFor(r.typeUrl).set(r.name, r);
      touched.get(r.typeUrl)?.add(r.name);
    }
    for (const [typeUrl, name] of removals) {
      if (!this.snapshot.resources.get(typeUrl)?.has(name)) continue;
      mapFor(typeUrl).delete(name);
      touched.get(typeUrl)?.add(name);
    }
    if (touched.size === 0) return;
    this.generation++;
    for (const typeUrl of touched.keys()) versions.set(typeUrl, String(this.generation));
    this.snapshot = { resources, versions };
    const change: SnapshotChange = { types: touched };
    for (const l of this.listeners) l(change);
  }

  /** Replaces the whole content (removing resources not in `all`). */
  replaceAll(all: Iterable<XdsResource>): void {
    const list = [...all];
    const keep = new Set(list.map((r) => `${r.typeUrl}\n${r.name}`));
    const removals: [TypeUrl, string][] = [];
    for (const [typeUrl, byName] of this.snapshot.resources) {
      for (const name of byName.keys()) if (!keep.has(`${typeUrl}\n${name}`)) removals.push([typeUrl, name]);
    }
    this.update(list, removals);
  }
}
