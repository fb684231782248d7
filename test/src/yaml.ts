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
  /** HCM stat_prefix (default `ingress`). */
  readonly statPrefix?: string;
  /** Extra Listener fields (YAML at the listener's indentation, e.g. `stat_prefix: edge`). */
  readonly listenerExtra?: string;
  /** HTTP filters before the router (YAML list items at the `http_filters:` indentation). */
  readonly filters?: string;
  /** Extra RouteConfiguration fields (e.g. `typed_per_filter_config`). */
  readonly routeConfigExtra?: string;
}

/** One HTTP listener on port 0 with an inline route config; `routes` is the YAML list under `routes:`. */
export function httpListener(o: HcmOptions): string {
  return `
  - name: ${o.listenerName ?? 'http'}
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
${indent(o.listenerExtra ?? '', 4)}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${o.statPrefix ?? 'ingress'}
${indent(o.hcmExtra ?? '', 10)}
          route_config:
            name: local
${indent(o.routeConfigExtra ?? '', 12)}
            virtual_hosts:
            - name: vh
              domains: [${o.domains ?? '"*"'}]
${indent(o.vhostExtra ?? '', 14)}
              routes:
${indent(o.routes, 14)}
          http_filters:
${indent(o.filters ?? '', 10)}
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

/** An HCM `access_log:` block (for `hcmExtra`) writing `format` (one line per request) to a file. */
export function fileAccessLog(path: string, format: string): string {
  return `access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${path}
    log_format: { text_format_source: { inline_string: "${format}\\n" } }`;
}
