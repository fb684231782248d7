import type { Node__Output } from '@weft/api/envoy/envoy/config/core/v3/Node.js';
import type { XdsResource } from './resource.js';
import type { TypeUrl } from './type-urls.js';

/**
 * The seam between translation (Istio model -> Envoy resources) and the xDS server. See the package README.
 */

/** Who is asking: the Node of the first request on an ADS stream. */
export interface ProxyNode {
  readonly id: string;
  readonly cluster: string;
  readonly node: Node__Output;
}

/** Everything one proxy may receive, by type URL then resource name. Immutable once handed out. */
export interface ProxySnapshot {
  readonly resources: ReadonlyMap<TypeUrl, ReadonlyMap<string, XdsResource>>;
  /** Per-type version reported as SotW `version_info` / Delta `system_version_info` (e.g. a generation counter). */
  readonly versions: ReadonlyMap<TypeUrl, string>;
}

/**
 * What changed. Undefined members mean "everything": `proxies` undefined = every connected proxy; `types` undefined
 * = every type; a type mapped to undefined = any name of that type. Names list resources added, updated or removed.
 * Over-reporting only costs comparisons (the server diffs versions); under-reporting loses updates.
 */
export interface SnapshotChange {
  readonly proxies?: ReadonlySet<string> | undefined;
  readonly types?: ReadonlyMap<TypeUrl, ReadonlySet<string> | undefined> | undefined;
}

export interface SnapshotProvider {
  /** Called on every push and on subscription requests: return a cached object when nothing changed. */
  snapshotFor(node: ProxyNode): ProxySnapshot;
  /** Registers a change listener; returns the unsubscribe function. */
  onChange(listener: (change: SnapshotChange) => void): () => void;
}

export const EMPTY_RESOURCES: ReadonlyMap<string, XdsResource> = new Map();
