import { isRecord, structToJson } from './struct.js';

/** The Istio identity of one side of a request, as the standard metric labels need it. */
export interface IstioWorkload {
  readonly workload: string;
  readonly namespace: string;
  readonly app: string;
  readonly version: string;
  readonly canonicalService: string;
  readonly canonicalRevision: string;
  /** Istio `CLUSTER_ID` (the Kubernetes cluster), not an Envoy cluster. */
  readonly cluster: string;
  /** SPIFFE id (`spiffe://<trust domain>/ns/<ns>/sa/<sa>`), or `unknown`. */
  readonly principal: string;
  readonly meshId: string;
}

export const UNKNOWN = 'unknown';

export const UNKNOWN_WORKLOAD: IstioWorkload = Object.freeze({
  workload: UNKNOWN,
  namespace: UNKNOWN,
  app: UNKNOWN,
  version: UNKNOWN,
  canonicalService: UNKNOWN,
  canonicalRevision: 'latest',
  cluster: UNKNOWN,
  principal: UNKNOWN,
  meshId: UNKNOWN,
});

export interface NodeLike {
  id?: string;
  cluster?: string;
  /** Plain JSON or a `google.protobuf.Struct` in `__Output` shape (bootstrap `node.metadata`). */
  metadata?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Derives the local workload from Envoy bootstrap `node` with Istio's metadata keys (`NAME`, `NAMESPACE`, `LABELS`,
 * `WORKLOAD_NAME`, `CLUSTER_ID`, `MESH_ID`, `SERVICE_ACCOUNT`). Falls back as Istio does: namespace from the node id
 * (`sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local`), canonical service from `app` then the workload name,
 * canonical revision from `version` then `latest`; anything else unknown is `unknown`.
 */
export function fromNodeMetadata(node: NodeLike, options: { trustDomain?: string } = {}): IstioWorkload {
  const md = structToJson(node.metadata);
  const labels: Record<string, unknown> = isRecord(md.LABELS) ? md.LABELS : {};
  const idParts = (node.id ?? '').split('~');
  const idNamespace = str(idParts[3]?.split('.')[0]) ?? str(idParts[2]?.split('.')[1]);
  const namespace = str(md.NAMESPACE) ?? idNamespace ?? UNKNOWN;
  const workload = str(md.WORKLOAD_NAME) ?? UNKNOWN;
  const app = str(labels.app) ?? str(labels['app.kubernetes.io/name']) ?? UNKNOWN;
  const version = str(labels.version) ?? str(labels['app.kubernetes.io/version']) ?? UNKNOWN;
  const canonicalService =
    str(labels['service.istio.io/canonical-name']) ?? (app !== UNKNOWN ? app : undefined) ?? workload;
  const canonicalRevision =
    str(labels['service.istio.io/canonical-revision']) ?? (version !== UNKNOWN ? version : undefined) ?? 'latest';
  const sa = str(md.SERVICE_ACCOUNT);
  const principal =
    sa !== undefined && namespace !== UNKNOWN
      ? `spiffe://${options.trustDomain ?? 'cluster.local'}/ns/${namespace}/sa/${sa}`
      : UNKNOWN;
  return {
    workload,
    namespace,
    app,
    version,
    canonicalService,
    canonicalRevision,
    cluster: str(md.CLUSTER_ID) ?? UNKNOWN,
    principal,
    meshId: str(md.MESH_ID) ?? UNKNOWN,
  };
}
