import { messageFromJson } from '@weft/api';
import { buildModel, type MeshModel } from '../model/mesh-model.js';
import { translateFor } from '../translate/translate.js';
import { proxyIdentityFromNode, type XdsNode } from '../translate/proxy-identity.js';
import { resourceFromMessage, setVersion, type XdsResource } from '../xds/resource.js';
import type { ProxyNode, ProxySnapshot, SnapshotChange, SnapshotProvider } from '../xds/snapshot.js';
import { messageTypeName, type TypeUrl } from '../xds/type-urls.js';

/** google.protobuf.Value in protobufjs object form, or already plain JSON. */
function plainValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return o['stringValue'];
  if ('numberValue' in o) return o['numberValue'];
  if ('boolValue' in o) return o['boolValue'];
  if ('nullValue' in o) return null;
  if ('structValue' in o) return plainStruct(o['structValue']);
  if ('listValue' in o) return ((o['listValue'] as { values?: unknown[] }).values ?? []).map(plainValue);
  return v;
}

/** Node metadata (a Struct) as plain JSON, whichever form the decoder produced. */
export function plainStruct(s: unknown): Record<string, unknown> {
  if (s === null || typeof s !== 'object') return {};
  const fields = (s as { fields?: Record<string, unknown> }).fields;
  if (fields === undefined) return s as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = plainValue(v);
  return out;
}

function xdsNode(n: ProxyNode): XdsNode {
  const l = n.node.locality;
  return {
    id: n.id,
    cluster: n.cluster,
    metadata: plainStruct(n.node.metadata),
    ...(l ? { locality: { region: l.region, zone: l.zone, sub_zone: l.sub_zone } } : {}),
  };
}

/**
 * Serves the Istio model: each proxy gets `translateForProxy(model, its identity)`, computed once per model
 * generation and encoded once per distinct resource content (proxies sharing a resource share its bytes). Resource
 * and type versions are derived from content only, so replicas serving the same config send the same versions.
 */
export class IstioSnapshotProvider implements SnapshotProvider {
  private model: MeshModel = buildModel([]);
  private generation = 0;
  private readonly perProxy = new Map<string, { generation: number; snapshot: ProxySnapshot }>();
  /** Content-addressed encodings of the current generation (rebuilt lazily as proxies ask). */
  private encoded = new Map<string, XdsResource>();
  private previousEncoded = new Map<string, XdsResource>();
  private readonly listeners = new Set<(change: SnapshotChange) => void>();

  get currentModel(): MeshModel {
    return this.model;
  }

  /** Swaps in a new model and notifies the server (`change` scopes the push; default: everything). */
  setModel(model: MeshModel, change: SnapshotChange = {}): void {
    this.model = model;
    this.generation++;
    this.perProxy.clear();
    // Keep last generation's encodings for reuse, drop older ones.
    this.previousEncoded = this.encoded;
    this.encoded = new Map();
    for (const l of this.listeners) l(change);
  }

  onChange(listener: (change: SnapshotChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshotFor(node: ProxyNode): ProxySnapshot {
    const cached = this.perProxy.get(node.id);
    if (cached !== undefined && cached.generation === this.generation) return cached.snapshot;
    const identity = proxyIdentityFromNode(xdsNode(node));
    const translated = translateFor(this.model, identity);
    const resources = new Map<TypeUrl, Map<string, XdsResource>>();
    const versions = new Map<TypeUrl, string>();
    for (const [typeUrl, byName] of translated) {
      const out = new Map<string, XdsResource>();
      for (const [name, obj] of byName) out.set(name, this.encode(typeUrl as TypeUrl, obj));
      resources.set(typeUrl as TypeUrl, out);
      // Content-derived, not the generation: replicas on the same config must agree on version_info.
      versions.set(typeUrl as TypeUrl, setVersion(out.values()));
    }
    const snapshot: ProxySnapshot = { resources, versions };
    this.perProxy.set(node.id, { generation: this.generation, snapshot });
    return snapshot;
  }

  private encode(typeUrl: TypeUrl, obj: object): XdsResource {
    const key = `${typeUrl}\n${JSON.stringify(obj)}`;
    let r = this.encoded.get(key) ?? this.previousEncoded.get(key);
    if (r === undefined) {
      const typeName = messageTypeName(typeUrl);
      r = resourceFromMessage(typeUrl, messageFromJson<object>(typeName, obj, typeName));
    }
    this.encoded.set(key, r);
    return r;
  }
}
