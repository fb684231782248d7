import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ProxyEndpoints, WorkloadIdentity } from './identity.js';

/** The cluster the ADS stream uses (Istio calls it xds-grpc). */
export const XDS_CLUSTER = 'xds-grpc';
const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** `sidecar~10.0.0.1~reviews-1.shop~shop.svc.cluster.local`: what proxyIdentityFromNode() in the control plane parses. */
export function nodeId(id: WorkloadIdentity): string {
  return `${id.proxyType}~${id.ip}~${id.workload}.${id.namespace}~${id.dnsDomain}`;
}

/** The Envoy v3 bootstrap for the workload's proxy, as a plain object (JSON shape of the proto). */
export function bootstrapObject(id: WorkloadIdentity, ep: ProxyEndpoints): Record<string, unknown> {
  const metadata: Record<string, unknown> = {
    NAMESPACE: id.namespace,
    WORKLOAD_NAME: id.workload,
    LABELS: { ...id.labels },
    INSTANCE_IPS: id.ip,
    // REDIRECT: the control plane serves the 15001/15006 listeners iptables capture sends traffic to.
    INTERCEPTION_MODE: id.interceptionMode,
  };
  if (id.clusterId !== '') metadata.CLUSTER_ID = id.clusterId;
  const node: Record<string, unknown> = { id: nodeId(id), cluster: `${id.service}.${id.namespace}`, metadata };
  if (id.locality) {
    const l: Record<string, string> = { region: id.locality.region };
    if (id.locality.zone !== '') l.zone = id.locality.zone;
    if (id.locality.subZone !== '') l.sub_zone = id.locality.subZone;
    node.locality = l;
  }
  const cp = ep.controlPlane;
  return {
    node,
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: ep.adminPort } } },
    dynamic_resources: {
      ads_config: { api_type: ep.xdsApi, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: XDS_CLUSTER } }] },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      lds_config: { ads: {}, resource_api_version: 'V3' },
    },
    static_resources: {
      clusters: [
        {
          name: XDS_CLUSTER,
          type: isIP(cp.host) === 0 ? 'STRICT_DNS' : 'STATIC',
          connect_timeout: '1s',
          // gRPC needs HTTP/2 upstream (stock Envoy requires it said explicitly).
          typed_extension_protocol_options: {
            'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS, explicit_http_config: { http2_protocol_options: {} } },
          },
          load_assignment: {
            cluster_name: XDS_CLUSTER,
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: cp.host, port_value: cp.port } } } }] }],
          },
        },
      ],
    },
  };
}

export function bootstrapYaml(id: WorkloadIdentity, ep: ProxyEndpoints): string {
  return `# Written by weft agent for ${nodeId(id)}\n${stringify(bootstrapObject(id, ep), { lineWidth: 0 })}`;
}

/** Writes `<workDir>/bootstrap.yaml` atomically (a restarting proxy never reads half a file); returns its path. */
export function writeBootstrap(workDir: string, yaml: string): string {
  mkdirSync(workDir, { recursive: true });
  const file = path.join(workDir, 'bootstrap.yaml');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, yaml, { mode: 0o644 });
  renameSync(tmp, file);
  return file;
}
