import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { bootstrapObject, bootstrapYaml, nodeId, writeBootstrap } from './bootstrap.js';
import { parseIdentity, parseProxyEndpoints } from './identity.js';

const identity = parseIdentity(
  { service: 'reviews', namespace: 'shop', workload: 'reviews-v2-1', labels: 'app=reviews,version=v2', ip: '10.0.0.7', locality: 'eu/z1', 'cluster-id': 'east', 'interception-mode': 'redirect' },
  {},
);
const endpoints = parseProxyEndpoints({ 'control-plane': 'istiod.mesh:15010', 'admin-port': '15099' }, {});

test('node id and metadata follow the Istio conventions the control plane parses', () => {
  assert.equal(nodeId(identity), 'sidecar~10.0.0.7~reviews-v2-1.shop~shop.svc.cluster.local');
  assert.deepEqual(bootstrapObject(identity, endpoints).node, {
    id: 'sidecar~10.0.0.7~reviews-v2-1.shop~shop.svc.cluster.local',
    cluster: 'reviews.shop',
    metadata: {
      NAMESPACE: 'shop',
      WORKLOAD_NAME: 'reviews-v2-1',
      LABELS: { app: 'reviews', version: 'v2' },
      INSTANCE_IPS: '10.0.0.7',
      INTERCEPTION_MODE: 'REDIRECT',
      CLUSTER_ID: 'east',
    },
    locality: { region: 'eu', zone: 'z1' },
  });
  const router = parseIdentity({ service: 'ingress', 'proxy-type': 'router', ip: '10.0.0.8' }, {});
  assert.equal(nodeId(router), 'router~10.0.0.8~ingress-10-0-0-8.default~default.svc.cluster.local');
  const routerNode = bootstrapObject(router, endpoints).node as { locality?: unknown; metadata: Record<string, unknown> };
  assert.equal(routerNode.locality, undefined);
  assert.equal(routerNode.metadata.INTERCEPTION_MODE, 'NONE');
});

test('admin on loopback, ADS over Delta gRPC to the control plane (STRICT_DNS for a name, HTTP/2)', () => {
  const doc = parse(bootstrapYaml(identity, endpoints)) as Record<string, unknown>;
  assert.deepEqual(doc.admin, { address: { socket_address: { address: '127.0.0.1', port_value: 15099 } } });
  assert.deepEqual(doc.dynamic_resources, {
    ads_config: { api_type: 'DELTA_GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
    cds_config: { ads: {}, resource_api_version: 'V3' },
    lds_config: { ads: {}, resource_api_version: 'V3' },
  });
  assert.deepEqual(doc.static_resources, {
    clusters: [
      {
        name: 'xds-grpc',
        type: 'STRICT_DNS',
        connect_timeout: '1s',
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
        load_assignment: {
          cluster_name: 'xds-grpc',
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'istiod.mesh', port_value: 15010 } } } }] }],
        },
      },
    ],
  });
  const sotw = parse(bootstrapYaml(identity, parseProxyEndpoints({ 'control-plane': '10.9.9.9:15010', 'xds-api': 'sotw' }, {}))) as {
    dynamic_resources: { ads_config: { api_type: string } };
    static_resources: { clusters: { type: string }[] };
  };
  assert.equal(sotw.dynamic_resources.ads_config.api_type, 'GRPC');
  assert.equal(sotw.static_resources.clusters[0]?.type, 'STATIC');
});

test('writeBootstrap writes <workDir>/bootstrap.yaml, creating the directory', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weft-agent-bs-'));
  try {
    const file = writeBootstrap(path.join(dir, 'nested'), 'node: {}\n');
    assert.equal(file, path.join(dir, 'nested', 'bootstrap.yaml'));
    assert.equal(readFileSync(file, 'utf8'), 'node: {}\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
