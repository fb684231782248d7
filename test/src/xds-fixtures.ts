import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeAdsServer, preloadAdsProtos, startProxyFromYaml, type TestProxy } from '@weft/testing';

export const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
export const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
export const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
export const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

/** A bootstrap whose clusters and listeners come over ADS from 127.0.0.1:`adsPort`. */
export function dynamicBootstrap(adsPort: number, apiType: 'GRPC' | 'DELTA_GRPC'): string {
  return `
node: { id: test-node, cluster: test-cluster, locality: { zone: z1 } }
dynamic_resources:
  ads_config:
    api_type: ${apiType}
    transport_api_version: V3
    grpc_services:
    - envoy_grpc:
        cluster_name: xds
        retry_policy: { retry_back_off: { base_interval: 0.05s, max_interval: 0.2s } }
  cds_config: { ads: {}, resource_api_version: V3, initial_fetch_timeout: 3s }
  lds_config: { ads: {}, resource_api_version: V3, initial_fetch_timeout: 3s }
static_resources:
  clusters:
  - name: xds
    type: STATIC
    load_assignment:
      cluster_name: xds
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${adsPort} } } } }] }]
`;
}

export function staticClusterJson(name: string, port: number): unknown {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
  };
}

export function edsClusterJson(name: string): unknown {
  return { name, type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } };
}

export function claJson(name: string, ports: number[]): unknown {
  return {
    cluster_name: name,
    endpoints: [{ lb_endpoints: ports.map((p) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } })) }],
  };
}

export function listenerJson(name: string, routeName: string): unknown {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'ingress',
              rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          },
        ],
      },
    ],
  };
}

export function routeJson(name: string, cluster: string): unknown {
  return {
    name,
    virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster, timeout: '0s' } }] }],
  };
}

/** An upstream that answers `/slow/<ms>` after that many milliseconds with its name, everything else at once. */
export async function startNamedUpstream(name: string): Promise<{ port: number; count: number; close(): Promise<void> }> {
  const timers = new Set<NodeJS.Timeout>();
  const state = { port: 0, count: 0, close: async (): Promise<void> => undefined };
  const server = http.createServer((req, res) => {
    state.count++;
    req.resume();
    const delay = req.url?.startsWith('/slow/') ? Number(req.url.slice(6)) : 0;
    const t = setTimeout(() => {
      timers.delete(t);
      res.writeHead(200, { 'content-length': Buffer.byteLength(name) });
      res.end(name);
    }, delay);
    timers.add(t);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return state;
}

export interface XdsHarness {
  readonly ads: FakeAdsServer;
  readonly proxy: TestProxy;
}

/** Starts a fake ADS server with `init` resources, then a proxy fed by it (returns once the proxy is LIVE). */
export async function startXds(apiType: 'GRPC' | 'DELTA_GRPC', init: (ads: FakeAdsServer) => void): Promise<XdsHarness> {
  preloadAdsProtos();
  const ads = await FakeAdsServer.start();
  init(ads);
  const proxy = await startProxyFromYaml(dynamicBootstrap(ads.port, apiType), { drainTimeMs: 2000 });
  return { ads, proxy };
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
