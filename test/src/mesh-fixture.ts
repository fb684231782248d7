import { IstioSnapshotProvider, startControlPlane, startIstioSource, type RunningControlPlane, type RunningIstioSource } from '@weft/control-plane';
import { startProxyFromYaml, type TestProxy } from '@weft/testing';
import { dynamicBootstrap } from './xds-fixtures.js';

/** The client workload's sidecar identity (Istio's node conventions). */
export const CLIENT_PROXY_ID = 'sidecar~127.0.0.1~client-1.shop~shop.svc.cluster.local';

/** The `node:` block of the client sidecar's bootstrap. */
export const CLIENT_NODE = `node:\n  id: ${CLIENT_PROXY_ID}\n  cluster: client.shop\n  metadata: { NAMESPACE: shop, WORKLOAD_NAME: client-1, LABELS: { app: client } }`;

/** Polls `check` until it holds (or throws after `ms`). */
export async function eventually(check: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `client` sidecar: captureMode NONE, HTTP egress on 127.0.0.1:`egressPort` to every service of its namespace. */
export function clientSidecar(egressPort: number): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: client, namespace: shop }
spec:
  workloadSelector: { labels: { app: client } }
  egress:
  - port: { number: ${egressPort}, protocol: HTTP, name: http }
    bind: 127.0.0.1
    captureMode: NONE
    hosts: [./*]
---
`;
}

/**
 * Istio resources for a `client` sidecar (captureMode NONE, egress on 127.0.0.1:`egressPort`) and a `reviews`
 * service with subsets v1/v2 on the given ServiceEntry endpoint lines.
 */
export function reviewsMesh(egressPort: number, endpoints: string): string {
  return `${clientSidecar(egressPort)}apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: reviews, namespace: shop }
spec:
  hosts: [reviews.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${egressPort}, name: http, protocol: HTTP }]
  endpoints:
${endpoints}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews, namespace: shop }
spec:
  host: reviews.shop.svc.cluster.local
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
`;
}

export interface MeshFixture {
  readonly source: RunningIstioSource;
  readonly cp: RunningControlPlane;
  readonly proxy: TestProxy;
  close(): Promise<void>;
}

/** The control plane on `dir` (loopback, free ports) and an in-process `weft proxy` (the client's by default) over Delta ADS. */
export async function startMesh(dir: string, node: string = CLIENT_NODE): Promise<MeshFixture> {
  const provider = new IstioSnapshotProvider();
  const source = await startIstioSource(dir, provider);
  const cp = await startControlPlane({ provider, xdsAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', debounceMs: 20, debug: { configIssues: () => source.issues() } });
  const proxy = await startProxyFromYaml(
    dynamicBootstrap(cp.xdsPort, 'DELTA_GRPC').replace(
      'node: { id: test-node, cluster: test-cluster, locality: { zone: z1 } }',
      node,
    ),
  );
  return {
    source,
    cp,
    proxy,
    async close() {
      await proxy.close();
      await cp.close();
      source.close();
    },
  };
}
