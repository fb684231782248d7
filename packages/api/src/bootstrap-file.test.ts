import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AggregateConfigError } from './aggregate-config-error.js';
import { loadBootstrapFile, parseBootstrapText } from './bootstrap-file.js';
import { ConfigError } from './errors.js';
import type { Bootstrap__Output } from './generated/envoy/config/bootstrap/v3/Bootstrap.js';
import { unpackAny } from './unpack-any.js';

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';
const TCP_PROXY = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

const BOOTSTRAP_YAML = `# A realistic static bootstrap
node:
  id: weft-test
  cluster: test
  metadata: { team: edge, replicas: 3, canary: false, tags: [a, b], nested: { k: v }, nothing: null }
admin:
  access_log:
  - name: envoy.access_loggers.stdout
    typed_config:
      "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
  address:
    socket_address: { address: 127.0.0.1, port_value: 9901 }
stats_server_version_override: 18446744073709551615
static_resources:
  listeners:
  - name: http
    address:
      socket_address: { address: 0.0.0.0, port_value: 10000 }
    per_connection_buffer_limit_bytes: 32768
    listener_filters:
    - name: envoy.filters.listener.tls_inspector
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/${HCM}
          stat_prefix: ingress_http
          codec_type: AUTO
          stream_idle_timeout: 300s
          request_timeout: 0.5s
          use_remote_address: true
          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: /dev/stdout
              log_format:
                text_format_source:
                  inline_string: "[%START_TIME%] %REQ(:METHOD)% %RESPONSE_CODE%\\n"
          route_config:
            name: local_route
            virtual_hosts:
            - name: backend
              domains: ["*"]
              routes:
              - match: { prefix: "/api" }
                route:
                  cluster: service_a
                  timeout: 15s
                  retry_policy:
                    retry_on: 5xx
                    num_retries: 3
                    per_try_timeout: 0.25s
              - match: { prefix: "/" }
                direct_response: { status: 200, body: { inline_string: ok } }
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/${ROUTER}
  - name: tcp
    address:
      socket_address: { address: 0.0.0.0, port_value: 10001 }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/${TCP_PROXY}
          stat_prefix: tcp
          cluster: service_b
          idle_timeout: 60s
          max_connect_attempts: 2
  clusters:
  - name: service_a
    type: STATIC
    connect_timeout: 0.25s
    lb_policy: ROUND_ROBIN
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config:
          http2_protocol_options:
            max_concurrent_streams: 100
    load_assignment:
      cluster_name: service_a
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: 127.0.0.1, port_value: 8080 }
          load_balancing_weight: 2
        - endpoint:
            address:
              socket_address: { address: 127.0.0.2, port_value: 8080 }
  - name: service_b
    type: STRICT_DNS
    dns_lookup_family: V4_ONLY
    connect_timeout: 1s
    dns_refresh_rate: 5s
    circuit_breakers:
      thresholds:
      - priority: HIGH
        max_connections: 1000
    load_assignment:
      cluster_name: service_b
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: backend.local, port_value: 9000 }
layered_runtime:
  layers:
  - name: static_layer
    static_layer:
      overload.global_downstream_max_connections: 50000
  - name: admin_layer
    admin_layer: {}
`;

/** The same bootstrap as JSON, written with the JSON (lowerCamel) field names and a few numeric strings. */
const BOOTSTRAP_JSON = `{
  "node": { "id": "weft-test", "cluster": "test",
    "metadata": { "team": "edge", "replicas": 3, "canary": false, "tags": ["a", "b"], "nested": { "k": "v" }, "nothing": null } },
  "admin": {
    "accessLog": [{ "name": "envoy.access_loggers.stdout",
      "typedConfig": { "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog" } }],
    "address": { "socketAddress": { "address": "127.0.0.1", "portValue": 9901 } }
  },
  "statsServerVersionOverride": "18446744073709551615",
  "staticResources": {
    "listeners": [
      { "name": "http",
        "address": { "socketAddress": { "address": "0.0.0.0", "portValue": "10000" } },
        "perConnectionBufferLimitBytes": 32768,
        "listenerFilters": [{ "name": "envoy.filters.listener.tls_inspector",
          "typedConfig": { "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector" } }],
        "filterChains": [{ "filters": [{ "name": "envoy.filters.network.http_connection_manager",
          "typedConfig": {
            "@type": "type.googleapis.com/${HCM}",
            "statPrefix": "ingress_http", "codecType": "AUTO", "streamIdleTimeout": "300s", "requestTimeout": "0.5s",
            "useRemoteAddress": true,
            "accessLog": [{ "name": "envoy.access_loggers.file", "typedConfig": {
              "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
              "path": "/dev/stdout",
              "logFormat": { "textFormatSource": { "inlineString": "[%START_TIME%] %REQ(:METHOD)% %RESPONSE_CODE%\\n" } } } }],
            "routeConfig": { "name": "local_route", "virtualHosts": [{ "name": "backend", "domains": ["*"], "routes": [
              { "match": { "prefix": "/api" }, "route": { "cluster": "service_a", "timeout": "15s",
                "retryPolicy": { "retryOn": "5xx", "numRetries": 3, "perTryTimeout": "0.25s" } } },
              { "match": { "prefix": "/" }, "directResponse": { "status": 200, "body": { "inlineString": "ok" } } }
            ] }] },
            "httpFilters": [{ "name": "envoy.filters.http.router",
              "typedConfig": { "@type": "type.googleapis.com/${ROUTER}" } }]
          } }] }] },
      { "name": "tcp",
        "address": { "socketAddress": { "address": "0.0.0.0", "portValue": 10001 } },
        "filterChains": [{ "filters": [{ "name": "envoy.filters.network.tcp_proxy", "typedConfig": {
          "@type": "type.googleapis.com/${TCP_PROXY}",
          "statPrefix": "tcp", "cluster": "service_b", "idleTimeout": "60s", "maxConnectAttempts": 2 } }] }] }
    ],
    "clusters": [
      { "name": "service_a", "type": "STATIC", "connectTimeout": "0.25s", "lbPolicy": "ROUND_ROBIN",
        "typedExtensionProtocolOptions": { "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
          "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
          "explicitHttpConfig": { "http2ProtocolOptions": { "maxConcurrentStreams": 100 } } } },
        "loadAssignment": { "clusterName": "service_a", "endpoints": [{ "lbEndpoints": [
          { "endpoint": { "address": { "socketAddress": { "address": "127.0.0.1", "portValue": 8080 } } }, "loadBalancingWeight": 2 },
          { "endpoint": { "address": { "socketAddress": { "address": "127.0.0.2", "portValue": 8080 } } } }
        ] }] } },
      { "name": "service_b", "type": "STRICT_DNS", "dnsLookupFamily": "V4_ONLY", "connectTimeout": "1s", "dnsRefreshRate": "5s",
        "circuitBreakers": { "thresholds": [{ "priority": "HIGH", "maxConnections": 1000 }] },
        "loadAssignment": { "clusterName": "service_b", "endpoints": [{ "lbEndpoints": [
          { "endpoint": { "address": { "socketAddress": { "address": "backend.local", "portValue": 9000 } } } }
        ] }] } }
    ]
  },
  "layeredRuntime": { "layers": [
    { "name": "static_layer", "staticLayer": { "overload.global_downstream_max_connections": 50000 } },
    { "name": "admin_layer", "adminLayer": {} }
  ] }
}`;

/** Parses expecting failure; returns the AggregateConfigError. */
function parseError(text: string, fileName: string): AggregateConfigError {
  try {
    parseBootstrapText(text, fileName);
  } catch (e) {
    assert.ok(e instanceof AggregateConfigError, `expected AggregateConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the bootstrap to be rejected');
}

/** Replaces one line of the realistic YAML (by its exact text) to build a broken variant. */
function yamlWith(find: string, replace: string): string {
  assert.ok(BOOTSTRAP_YAML.includes(find), `fixture lacks ${find}`);
  return BOOTSTRAP_YAML.replace(find, replace);
}

function lineOf(text: string, needle: string): number {
  const idx = text.indexOf(needle);
  assert.ok(idx >= 0);
  return text.slice(0, idx).split('\n').length;
}

describe('parseBootstrapText with a realistic bootstrap', () => {
  let fromYaml: Bootstrap__Output;
  before(() => {
    fromYaml = parseBootstrapText(BOOTSTRAP_YAML, 'bootstrap.yaml');
  });

  it('produces identical output from YAML (proto names) and JSON (JSON names)', () => {
    const fromJson = parseBootstrapText(BOOTSTRAP_JSON, 'bootstrap.json');
    assert.deepEqual(fromJson, fromYaml);
  });

  it('converts durations, wrappers and enums to the __Output shape', () => {
    const [a, b] = fromYaml.static_resources?.clusters ?? [];
    assert.deepEqual(a?.connect_timeout, { seconds: '0', nanos: 250000000 });
    assert.equal(a?.type, 'STATIC');
    assert.equal(a?.cluster_discovery_type, 'type');
    assert.equal(a?.lb_policy, 'ROUND_ROBIN');
    assert.deepEqual(a?.load_assignment?.endpoints[0]?.lb_endpoints[0]?.load_balancing_weight, { value: 2 });
    assert.equal(a?.load_assignment?.endpoints[0]?.lb_endpoints[1]?.load_balancing_weight, null);
    assert.equal(b?.type, 'STRICT_DNS');
    assert.equal(b?.dns_lookup_family, 'V4_ONLY');
    assert.deepEqual(b?.dns_refresh_rate, { seconds: '5', nanos: 0 });
    assert.equal(b?.circuit_breakers?.thresholds[0]?.priority, 'HIGH');
    assert.deepEqual(b?.circuit_breakers?.thresholds[0]?.max_connections, { value: 1000 });
    const l0 = fromYaml.static_resources?.listeners[0];
    assert.deepEqual(l0?.per_connection_buffer_limit_bytes, { value: 32768 });
    assert.equal(l0?.address?.socket_address?.port_value, 10000);
    assert.equal(l0?.address?.socket_address?.port_specifier, 'port_value');
    // uint64 beyond 2^53 stays exact when written as a plain YAML integer
    assert.deepEqual(fromYaml.stats_server_version_override, { value: '18446744073709551615' });
  });

  it('decodes typed_config Any values with @type, recursively', () => {
    const filter = fromYaml.static_resources?.listeners[0]?.filter_chains[0]?.filters[0];
    const hcm = unpackAny<Record<string, unknown>>(filter?.typed_config, [HCM], 'typed_config');
    assert.equal(hcm.typeName, HCM);
    assert.equal(hcm.value['stat_prefix'], 'ingress_http');
    assert.equal(hcm.value['codec_type'], 'AUTO');
    assert.deepEqual(hcm.value['request_timeout'], { seconds: '0', nanos: 500000000 });
    assert.equal(hcm.value['route_specifier'], 'route_config');
    const httpFilters = hcm.value['http_filters'] as { typed_config: Record<string, unknown> }[];
    assert.equal(httpFilters[0]?.typed_config['@type'], `type.googleapis.com/${ROUTER}`);
    const route = (hcm.value['route_config'] as { virtual_hosts: { routes: { route: Record<string, unknown> }[] }[] })
      .virtual_hosts[0]?.routes[0]?.route;
    assert.deepEqual(route?.['timeout'], { seconds: '15', nanos: 0 });
    const tcp = fromYaml.static_resources?.listeners[1]?.filter_chains[0]?.filters[0]?.typed_config as Record<string, unknown>;
    assert.equal(tcp['@type'], `type.googleapis.com/${TCP_PROXY}`);
    assert.deepEqual(tcp['max_connect_attempts'], { value: 2 });
    const opts = fromYaml.static_resources?.clusters[0]?.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'] as unknown as
      Record<string, { http2_protocol_options: { max_concurrent_streams: unknown } }>;
    assert.deepEqual(opts['explicit_http_config']?.http2_protocol_options.max_concurrent_streams, { value: 100 });
  });

  it('reads Struct values (node metadata, runtime layers) from arbitrary JSON', () => {
    const fields = fromYaml.node?.metadata?.fields ?? {};
    assert.deepEqual(fields['team'], { stringValue: 'edge', kind: 'stringValue' });
    assert.deepEqual(fields['replicas'], { numberValue: 3, kind: 'numberValue' });
    assert.deepEqual(fields['canary'], { boolValue: false, kind: 'boolValue' });
    assert.equal(fields['nothing']?.kind, 'nullValue');
    assert.deepEqual(fields['tags']?.listValue?.values.map((v) => v.stringValue), ['a', 'b']);
    assert.equal(fields['nested']?.structValue?.fields['k']?.stringValue, 'v');
    const layer = fromYaml.layered_runtime?.layers[0]?.static_layer?.fields ?? {};
    assert.equal(layer['overload.global_downstream_max_connections']?.numberValue, 50000);
    assert.equal(fromYaml.layered_runtime?.layers[1]?.layer_specifier, 'admin_layer');
  });

  it('supports YAML anchors, aliases and merge keys', () => {
    const text = 'static_resources:\n  clusters:\n  - &base\n    name: a\n    connect_timeout: 2s\n  - <<: *base\n    name: b\n';
    const clusters = parseBootstrapText(text, 'anchors.yaml').static_resources?.clusters ?? [];
    assert.deepEqual(clusters.map((c) => [c.name, c.connect_timeout?.seconds]), [['a', '2'], ['b', '2']]);
  });

  it('detects the format of a file without a known extension', () => {
    assert.deepEqual(parseBootstrapText(BOOTSTRAP_JSON, 'bootstrap.conf'), fromYaml);
    assert.deepEqual(parseBootstrapText(BOOTSTRAP_YAML, 'bootstrap.conf'), fromYaml);
  });
});

describe('parseBootstrapText errors', () => {
  it('names file, line and full path of an unknown field deep inside a typed_config', () => {
    const text = yamlWith('              domains: ["*"]\n', '              domains: ["*"]\n              htpp: true\n');
    const e = parseError(text, 'bootstrap.yaml');
    assert.equal(e.errors.length, 1);
    assert.equal(e.path, 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].htpp');
    assert.match(e.reason, /^unknown field 'htpp'/);
    assert.equal(e.lines[0], lineOf(text, 'htpp'));
    assert.match(e.message, /^bootstrap\.yaml:\d+: static_resources\.listeners\[0\].*\.htpp: unknown field 'htpp'/);
  });

  it('collects several errors with their lines', () => {
    let text = yamlWith('port_value: 9901', 'port_value: 70000');
    text = text.replace('    type: STRICT_DNS', '    type: STRICT_DNZ');
    const e = parseError(text, 'b.yaml');
    assert.deepEqual(e.errors.map((x) => x.path), ['admin.address.socket_address.port_value', 'static_resources.clusters[1].type']);
    assert.deepEqual(e.lines, [lineOf(text, '70000'), lineOf(text, 'STRICT_DNZ')]);
    assert.match(e.message, /^2 configuration errors in b\.yaml:\n {2}b\.yaml:\d+: admin\.address/);
  });

  it('reports a YAML syntax error with its line', () => {
    const e = parseError('admin:\n  address: [unclosed\nnode: {}\n', 'bad.yaml');
    assert.match(e.reason, /YAML syntax error/);
    assert.equal(typeof e.lines[0], 'number');
    assert.match(e.message, /^bad\.yaml:\d+: YAML syntax error/);
  });

  it('rejects duplicate keys in YAML', () => {
    const e = parseError('node:\n  id: a\n  id: b\n', 'dup.yaml');
    assert.match(e.reason, /unique/i);
    assert.equal(e.lines[0], 3);
  });

  it('rejects duplicate keys in JSON with path and line', () => {
    const e = parseError('{\n  "node": {\n    "id": "a",\n    "id": "b"\n  }\n}', 'dup.json');
    assert.equal(e.path, 'node');
    assert.equal(e.reason, "duplicate key 'id'");
    assert.equal(e.lines[0], 4);
  });

  it('reports invalid JSON with its line', () => {
    const e = parseError('{\n  "node": {\n    "id": "a",\n  }\n}', 'bad.json');
    assert.match(e.reason, /^invalid JSON/);
    assert.equal(e.lines[0], 4);
  });

  it('rejects a multi-document YAML file', () => {
    const e = parseError('node: { id: a }\n---\nnode: { id: b }\n', 'multi.yaml');
    assert.match(e.reason, /2 YAML documents/);
    assert.equal(e.lines[0], 3);
  });

  it('rejects an empty file and a non-object top level', () => {
    assert.match(parseError('', 'empty.yaml').reason, /empty/);
    assert.match(parseError('- a\n- b\n', 'list.yaml').reason, /expected an Envoy v3 Bootstrap object/);
  });

  it('uses the YAML 1.2 core schema: yes is a string, not a boolean', () => {
    const e = parseError(yamlWith('use_remote_address: true', 'use_remote_address: yes'), 'b.yaml');
    assert.match(e.path, /typed_config\.use_remote_address$/);
    assert.match(e.reason, /expected true or false, got string "yes"/);
  });

  it('locates errors in JSON files by line too', () => {
    const text = BOOTSTRAP_JSON.replace('"portValue": 9901', '"portValue": "x9901"');
    const e = parseError(text, 'b.json');
    assert.equal(e.path, 'admin.address.socketAddress.portValue');
    assert.equal(e.lines[0], lineOf(text, 'x9901'));
  });
});

describe('loadBootstrapFile', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'weft-bootstrap-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a YAML file from disk', () => {
    const file = path.join(dir, 'envoy.yaml');
    writeFileSync(file, BOOTSTRAP_YAML);
    assert.equal(loadBootstrapFile(file).static_resources?.clusters.length, 2);
  });

  it('names the file when it cannot be read', () => {
    const file = path.join(dir, 'missing.yaml');
    assert.throws(() => loadBootstrapFile(file), (e: unknown) => e instanceof ConfigError && e.message.startsWith(`${file}: cannot read`));
  });
});

describe('unpackAny', () => {
  it('returns the fields of an expected type and rejects others at path.@type', () => {
    const any = { '@type': `type.googleapis.com/${ROUTER}`, dynamic_stats: null };
    assert.deepEqual(unpackAny(any, [ROUTER], 'f'), { typeName: ROUTER, value: { dynamic_stats: null } });
    assert.deepEqual(unpackAny({ '@type': `example.com/x/${ROUTER}` }, [HCM, ROUTER], 'f').typeName, ROUTER);
    assert.throws(() => unpackAny(any, [HCM], 'f.typed_config'), (e: unknown) => e instanceof ConfigError && e.path === 'f.typed_config.@type' && /unexpected type/.test(e.reason));
    assert.throws(() => unpackAny(null, [HCM], 'f.typed_config'), (e: unknown) => e instanceof ConfigError && e.path === 'f.typed_config');
    assert.throws(() => unpackAny({ type_url: 'type.googleapis.com/x.Y', value: Buffer.alloc(0) }, [HCM], 'p'),
      (e: unknown) => e instanceof ConfigError && e.path === 'p.@type' && /unsupported type/.test(e.reason));
  });
});

describe('large bootstraps', () => {
  it('loads a 1,000-listener bootstrap with every listener intact', () => {
    const listeners = [];
    for (let i = 0; i < 1000; i++) {
      listeners.push({
        name: `l${i}`,
        address: { socket_address: { address: '127.0.0.1', port_value: 20000 + i } },
        filter_chains: [{ filters: [{ name: 'hcm', typed_config: {
          '@type': `type.googleapis.com/${HCM}`, stat_prefix: `s${i}`, codec_type: 'AUTO',
          route_config: { name: 'r', virtual_hosts: [{ name: 'v', domains: ['*'], routes: [
            { match: { prefix: '/a' }, route: { cluster: 'c', timeout: '3s' } },
            { match: { prefix: '/' }, route: { cluster: 'c' } }] }] },
          http_filters: [{ name: 'router', typed_config: { '@type': `type.googleapis.com/${ROUTER}` } }],
        } }] }],
      });
    }
    const text = JSON.stringify({ static_resources: { listeners } });
    // Speed is a benchmark's business (timed assertions fail on a busy machine); this checks the result.
    const out = parseBootstrapText(text, 'big.json');
    const ls = out.static_resources?.listeners ?? [];
    assert.equal(ls.length, 1000);
    assert.equal(ls[999]?.name, 'l999');
    assert.equal(ls[999]?.address?.socket_address?.port_value, 20999);
  });
});
