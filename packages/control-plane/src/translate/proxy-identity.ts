/** Who is asking for config: from the xDS `node` (id, cluster, metadata as plain JSON, Istio's keys). */
export interface ProxyIdentity {
  readonly id: string;
  /** `sidecar` (default) or `router` (an ingress gateway), from the `type~ip~name~domain` id or metadata. */
  readonly type: 'sidecar' | 'router';
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly workloadName: string;
  /** `grpc` for proxyless gRPC clients (metadata GENERATOR). */
  readonly generator: string;
  /** `region/zone/subzone` of the proxy, when known. */
  readonly locality: string;
  /**
   * Istio's node metadata `INTERCEPTION_MODE`: 'REDIRECT' when iptables send the workload's traffic to the proxy
   * (virtualOutbound 15001 / virtualInbound 15006); absent otherwise (captureMode NONE listeners).
   */
  readonly interceptionMode?: 'REDIRECT';
}

export interface XdsNode {
  readonly id?: string;
  readonly cluster?: string;
  /** The node metadata as plain JSON (a decoded google.protobuf.Struct). */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly locality?: { readonly region?: string; readonly zone?: string; readonly sub_zone?: string };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Reads Istio's node conventions: id `sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local`, metadata `NAMESPACE`,
 * `LABELS`, `WORKLOAD_NAME`, `GENERATOR`, `INTERCEPTION_MODE`. Without a namespace the id's `pod.ns` part, then `default`, is used.
 */
export function proxyIdentityFromNode(node: XdsNode): ProxyIdentity {
  const id = node.id ?? '';
  const meta = node.metadata ?? {};
  const parts = id.split('~');
  const idType = parts.length === 4 ? parts[0] : undefined;
  const podDotNs = parts.length === 4 ? parts[2] : undefined;
  const rawLabels = meta.LABELS;
  const labels: Record<string, string> = {};
  if (rawLabels && typeof rawLabels === 'object' && !Array.isArray(rawLabels)) {
    for (const [k, v] of Object.entries(rawLabels)) if (typeof v === 'string') labels[k] = v;
  }
  const namespace = str(meta.NAMESPACE) ?? podDotNs?.split('.')[1] ?? 'default';
  const l = node.locality;
  const locality = l ? [l.region ?? '', l.zone ?? '', l.sub_zone ?? ''].join('/').replace(/\/+$/, '') : '';
  return {
    id,
    type: idType === 'router' || meta.PROXY_TYPE === 'router' ? 'router' : 'sidecar',
    namespace,
    labels,
    workloadName: str(meta.WORKLOAD_NAME) ?? podDotNs?.split('.')[0] ?? (str(node.cluster) ?? ''),
    generator: str(meta.GENERATOR) ?? '',
    locality,
    ...(meta.INTERCEPTION_MODE === 'REDIRECT' ? { interceptionMode: 'REDIRECT' as const } : {}),
  };
}
