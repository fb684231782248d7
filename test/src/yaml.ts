/** Small builders for bootstrap YAML used across the cross-package suites. */

export function staticCluster(name: string, ports: number[], extra = ''): string {
  const eps = ports.map((p) => `        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${p} } } }`).join('\n');
  return `
  - name: ${name}
    type: STATIC
    connect_timeout: 0.5s
${extra}
    load_assignment:
      cluster_name: ${name}
      endpoints:
      - lb_endpoints:
${eps}`;
}

export interface HcmOptions {
  readonly routes: string;
  readonly hcmExtra?: string;
  readonly listenerName?: string;
  readonly domains?: string;
  readonly vhostExtra?: string;
}

/** One HTTP listener on port 0 with an inline route config; `routes` is the YAML list under `routes:`. */
export function httpListener(o: HcmOptions): string {
  return `
  - name: ${o.listenerName ?? 'http'}
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
${indent(o.hcmExtra ?? '', 10)}
          route_config:
            name: local
            virtual_hosts:
            - name: vh
              domains: [${o.domains ?? '"*"'}]
${indent(o.vhostExtra ?? '', 14)}
              routes:
${indent(o.routes, 14)}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
}

export function bootstrap(listeners: string, clusters: string, extra = ''): string {
  return `
node: { id: test-node, cluster: test }
${extra}
static_resources:
  listeners:${listeners}
  clusters:${clusters || ' []'}
`;
}

export function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => pad + l)
    .join('\n');
}
