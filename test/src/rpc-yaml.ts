/** YAML builders for the RPC proxy suites. */
import { indent } from './yaml.js';

export const RPC_TYPE = 'type.googleapis.com/weft.extensions.filters.network.rpc_proxy.v1.RpcProxy';

/** A listener with the RPC proxy; `body` is the RpcProxy fields after `@type` (YAML at column 0). */
export function rpcListener(name: string, body: string): string {
  return `
  - name: ${name}
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: weft.filters.network.rpc_proxy
        typed_config:
          "@type": ${RPC_TYPE}
${indent(body, 10)}`;
}

export interface Endpoint {
  readonly port: number;
  readonly labels?: Record<string, string>;
}

/** A STATIC cluster whose endpoints may carry `envoy.lb` labels. */
export function rpcCluster(name: string, endpoints: readonly Endpoint[], extra = ''): string {
  const eps = endpoints
    .map((e) => {
      const md = e.labels
        ? `\n          metadata: { filter_metadata: { envoy.lb: { ${Object.entries(e.labels).map(([k, v]) => `${k}: ${v}`).join(', ')} } } }`
        : '';
      return `        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${e.port} } } }${md}`;
    })
    .join('\n');
  return `
  - name: ${name}
    type: STATIC
    connect_timeout: 0.5s
${indent(extra, 4)}
    load_assignment:
      cluster_name: ${name}
      endpoints:
      - lb_endpoints:
${eps}`;
}
