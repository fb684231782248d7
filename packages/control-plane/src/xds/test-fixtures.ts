import type { Server } from '@grpc/grpc-js';
import { AdsServer, listenAds } from './ads-server.js';
import { RawAdsClient } from './ads-test-client.js';
import { resourceFromMessage, type XdsResource } from './resource.js';
import { StaticSnapshotProvider } from './static-snapshot-provider.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from './type-urls.js';

export function cluster(name: string, connectTimeoutSeconds = 1): XdsResource {
  return resourceFromMessage(CLUSTER_TYPE, {
    name,
    type: 'EDS',
    connect_timeout: { seconds: connectTimeoutSeconds },
    eds_cluster_config: { eds_config: { ads: {} } },
  });
}

export function endpoints(clusterName: string, ports: readonly number[], host = '127.0.0.1'): XdsResource {
  return resourceFromMessage(ENDPOINT_TYPE, {
    cluster_name: clusterName,
    endpoints: [
      {
        locality: { region: 'r', zone: 'z' },
        load_balancing_weight: { value: 1 },
        lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: host, port_value: port } } } })),
      },
    ],
  });
}

/** A proxyless-gRPC style API listener with an inline route to `clusterName`. */
export function apiListener(name: string, clusterName: string): XdsResource {
  return resourceFromMessage(LISTENER_TYPE, {
    name,
    api_listener: {
      api_listener: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
        stat_prefix: name,
        route_config: {
          name: `${name}-routes`,
          virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: clusterName } }] }],
        },
        http_filters: [{ name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
      },
    },
  });
}

/** A listener whose HCM takes its routes from RDS (`routeName`). */
export function rdsListener(name: string, routeName: string): XdsResource {
  return resourceFromMessage(LISTENER_TYPE, {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: { ads: {} } },
              http_filters: [{ name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          },
        ],
      },
    ],
  });
}

export function routeConfig(name: string, clusterName: string): XdsResource {
  return resourceFromMessage(ROUTE_TYPE, {
    name,
    virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: clusterName } }] }],
  });
}

export interface Harness {
  readonly provider: StaticSnapshotProvider;
  readonly ads: AdsServer;
  readonly port: number;
  client(variant: 'sotw' | 'delta'): RawAdsClient;
  close(): Promise<void>;
}

export async function startHarness(resources: XdsResource[], debounceMs = 0, maxBytesInFlight?: number): Promise<Harness> {
  const provider = new StaticSnapshotProvider(resources);
  const ads = new AdsServer({ provider, debounceMs, ...(maxBytesInFlight !== undefined ? { maxBytesInFlight } : {}) });
  const { server, port } = await listenAds(ads, '127.0.0.1:0');
  const clients: RawAdsClient[] = [];
  return {
    provider,
    ads,
    port,
    client(variant) {
      const c = new RawAdsClient(port, variant);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.close();
      ads.close();
      await shutdown(server);
    },
  };
}

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.tryShutdown(() => resolve());
    setTimeout(() => server.forceShutdown(), 200).unref();
  });
}

export const NODE = { id: 'proxy-1', cluster: 'test', locality: { region: 'r', zone: 'z' } };

/** Resource names of a decoded SotW response. */
export function names(res: Record<string, unknown>): string[] {
  const list = res['resources'] as Record<string, unknown>[];
  return list.map((r) => String(r['name'] ?? r['cluster_name'] ?? (r['resource'] as Record<string, unknown> | undefined)?.['name']));
}
