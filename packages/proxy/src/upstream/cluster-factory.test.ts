import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, normalizeMessage } from '@weft/api';
import { parseClusterConfig } from './cluster-factory.js';
import type { Cluster__Output } from './envoy-types.js';

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HPO_TYPE = `type.googleapis.com/${HPO}`;

function endpoint(address: string, port = 80, extra: object = {}): object {
  return { endpoint: { address: { socket_address: { address, port_value: port } } }, ...extra };
}

function hc(extra: object): object {
  return { timeout: { seconds: 1 }, interval: { seconds: 1 }, unhealthy_threshold: { value: 2 }, healthy_threshold: { value: 2 }, ...extra };
}

function cluster(extra: object = {}, endpoints: object[] = [endpoint('10.0.0.1')]): Cluster__Output {
  return normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
    name: 'svc',
    connect_timeout: { seconds: 1 },
    load_assignment: { cluster_name: 'svc', endpoints: [{ lb_endpoints: endpoints }] },
    ...extra,
  });
}

function rejects(cfg: Cluster__Output, path: string, reason: RegExp = /not supported yet/): void {
  assert.throws(
    () => parseClusterConfig(cfg, 'clusters[0]'),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
      assert.equal(err.path, path);
      assert.match(err.reason, reason);
      return true;
    },
  );
}

describe('parseClusterConfig: upstream HTTP protocol', () => {
  it('defaults to HTTP/1.1 with default HTTP/2 settings', () => {
    const c = parseClusterConfig(cluster(), 'clusters[0]');
    assert.equal(c.httpOptions.protocol, 'http1');
    assert.equal(c.httpOptions.http2.maxConcurrentStreams, 2147483647);
    assert.equal(c.httpOptions.http2.initialStreamWindowSize, 268435456);
  });
  it('explicit_http_config.http2_protocol_options selects HTTP/2 with its settings', () => {
    const c = parseClusterConfig(
      cluster({
        typed_extension_protocol_options: {
          [HPO]: { '@type': HPO_TYPE, explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 50 }, initial_stream_window_size: { value: 65536 } } } },
        },
      }),
      'clusters[0]',
    );
    assert.equal(c.httpOptions.protocol, 'http2');
    assert.equal(c.httpOptions.http2.maxConcurrentStreams, 50);
    assert.equal(c.httpOptions.http2.initialStreamWindowSize, 65536);
  });
  it('use_downstream_protocol_config and the deprecated fields', () => {
    const d = parseClusterConfig(
      cluster({ typed_extension_protocol_options: { [HPO]: { '@type': HPO_TYPE, use_downstream_protocol_config: { http2_protocol_options: { max_concurrent_streams: { value: 9 } } } } } }),
      'clusters[0]',
    );
    assert.equal(d.httpOptions.protocol, 'downstream');
    assert.equal(d.httpOptions.http2.maxConcurrentStreams, 9);
    assert.equal(parseClusterConfig(cluster({ http2_protocol_options: {} }), 'clusters[0]').httpOptions.protocol, 'http2');
    assert.equal(parseClusterConfig(cluster({ protocol_selection: 'USE_DOWNSTREAM_PROTOCOL' }), 'clusters[0]').httpOptions.protocol, 'downstream');
  });
});

describe('parseClusterConfig: defaults', () => {
  it("applies Envoy's defaults", () => {
    const c = parseClusterConfig(
      normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', { name: 'svc' }),
      'clusters[0]',
    );
    assert.equal(c.type, 'STATIC');
    assert.equal(c.connectTimeoutMs, 5000);
    assert.equal(c.perConnectionBufferLimitBytes, 1024 * 1024);
    assert.equal(c.httpOptions.idleTimeoutMs, 3_600_000);
    assert.equal(c.httpOptions.maxRequestsPerConnection, 0);
    assert.equal(c.httpOptions.maxHeadersCount, 100);
    assert.equal(c.lb.policy, 'ROUND_ROBIN');
    assert.equal(c.lb.panicThreshold, 50);
    assert.equal(c.dns.refreshMs, 5000);
    assert.equal(c.dns.lookupFamily, 'AUTO');
    assert.equal(c.loadAssignment.overprovisioningFactor, 140);
    assert.equal(c.statName, 'svc');
    assert.equal(c.waitForWarmOnInit, true);
  });

  it('reads HttpProtocolOptions from typed_extension_protocol_options', () => {
    const c = parseClusterConfig(
      cluster({
        typed_extension_protocol_options: {
          [HPO]: {
            '@type': HPO_TYPE,
            common_http_protocol_options: { idle_timeout: { seconds: 2, nanos: 500_000_000 }, max_requests_per_connection: { value: 7 }, max_headers_count: { value: 50 } },
            explicit_http_config: { http_protocol_options: { accept_http_10: true } },
          },
        },
      }),
      'clusters[0]',
    );
    assert.equal(c.httpOptions.idleTimeoutMs, 2500);
    assert.equal(c.httpOptions.maxRequestsPerConnection, 7);
    assert.equal(c.httpOptions.maxHeadersCount, 50);
    assert.equal(c.httpOptions.http1?.accept_http_10, true);
  });

  it('reads the deprecated cluster-level protocol fields', () => {
    const c = parseClusterConfig(
      cluster({ common_http_protocol_options: { idle_timeout: { seconds: 0 } }, max_requests_per_connection: { value: 3 } }),
      'clusters[0]',
    );
    assert.equal(c.httpOptions.idleTimeoutMs, 0);
    assert.equal(c.httpOptions.maxRequestsPerConnection, 3);
  });

  it('accepts raw_buffer transport sockets, default circuit breakers, alt_stat_name and lb configs', () => {
    const c = parseClusterConfig(
      cluster({
        alt_stat_name: 'alt',
        transport_socket: { name: 'envoy.transport_sockets.raw_buffer' },
        circuit_breakers: { thresholds: [{ max_connections: { value: 1024 }, max_retries: { value: 3 } }] },
        lb_policy: 'MAGLEV',
        maglev_lb_config: { table_size: { value: 7 } },
        common_lb_config: { healthy_panic_threshold: { value: 25.4 } },
        upstream_connection_options: { tcp_keepalive: { keepalive_time: { value: 30 } } },
        dns_failure_refresh_rate: { base_interval: { seconds: 1 }, max_interval: { seconds: 10 } },
      }),
      'clusters[0]',
    );
    assert.equal(c.statName, 'alt');
    assert.equal(c.lb.policy, 'MAGLEV');
    assert.equal(c.lb.panicThreshold, 25);
    assert.equal(c.tcpKeepaliveMs, 30_000);
    assert.deepEqual(c.dns.failureBackoff, { baseMs: 1000, maxMs: 10_000 });
  });

  it('parses endpoints: weights, priorities, localities and health', () => {
    const c = parseClusterConfig(
      normalizeMessage<Cluster__Output>('envoy.config.cluster.v3.Cluster', {
        name: 'svc',
        load_assignment: {
          cluster_name: 'svc',
          endpoints: [
            {
              locality: { region: 'r', zone: 'z', sub_zone: 's' },
              load_balancing_weight: { value: 5 },
              priority: 1,
              lb_endpoints: [
                endpoint('10.0.0.1', 81, { load_balancing_weight: { value: 3 }, health_status: 'DRAINING' }),
                endpoint('::1', 82, { health_status: 'DEGRADED', metadata: {
                    filter_metadata: {
                      'envoy.lb': { fields: { colour: { stringValue: 'blue' }, canary: { boolValue: true }, n: { numberValue: 2 }, o: { structValue: { fields: {} } } } },
                    },
                  },
                }),
              ],
            },
          ],
          policy: { overprovisioning_factor: { value: 200 } },
        },
      }),
      'c',
    );
    const [a, b] = c.loadAssignment.endpoints;
    assert.deepEqual(
      { ...a, path: undefined },
      {
        address: '10.0.0.1',
        port: 81,
        hostname: '',
        weight: 3,
        priority: 1,
        locality: { region: 'r', zone: 'z', subZone: 's' },
        localityWeight: 5,
        healthy: false,
        degraded: false,
        labels: new Map(),
        path: undefined,
      },
    );
    // `envoy.lb` metadata becomes string labels (structured values are not labels).
    assert.deepEqual(b?.labels, new Map([['colour', 'blue'], ['canary', 'true'], ['n', '2']]));
    assert.equal(b?.healthy, true);
    assert.equal(b?.degraded, true);
    assert.equal(c.loadAssignment.overprovisioningFactor, 200);
  });
});

describe('parseClusterConfig: ORIGINAL_DST', () => {
  it('takes original_dst_lb_config and cleanup_interval, with Envoy defaults', () => {
    const d = parseClusterConfig(cluster({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', load_assignment: null }, []), 'clusters[0]');
    assert.equal(d.type, 'ORIGINAL_DST');
    assert.equal(d.lb.policy, 'CLUSTER_PROVIDED');
    assert.deepEqual(d.originalDst, { useHttpHeader: false, httpHeaderName: 'x-envoy-original-dst-host', portOverride: 0, cleanupIntervalMs: 5000 });
    const c = parseClusterConfig(
      cluster({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', load_assignment: null, cleanup_interval: { seconds: 1 }, original_dst_lb_config: { use_http_header: true, http_header_name: 'X-Dst', upstream_port_override: { value: 8080 } } }),
      'clusters[0]',
    );
    assert.deepEqual(c.originalDst, { useHttpHeader: true, httpHeaderName: 'x-dst', portOverride: 8080, cleanupIntervalMs: 1000 });
  });
});

describe('parseClusterConfig: ConfigError paths', () => {
  const ep0 = 'clusters[0].load_assignment.endpoints[0].lb_endpoints[0]';
  const cases: [string, Cluster__Output, string, RegExp?][] = [
    ['an empty name', cluster({ name: '' }), 'clusters[0].name', /must not be empty/],
    ['EDS clusters without ADS', cluster({ type: 'EDS' }), 'clusters[0].type', /EDS clusters need dynamic_resources.ads_config/],
    ['ORIGINAL_DST with ROUND_ROBIN', cluster({ type: 'ORIGINAL_DST', load_assignment: null }), 'clusters[0].lb_policy', /Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'/],
    ['ORIGINAL_DST with a load assignment', cluster({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' }, []), 'clusters[0].load_assignment', /must have no load assignment/],
    [
      'an ORIGINAL_DST header name without use_http_header',
      cluster({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', load_assignment: null, original_dst_lb_config: { http_header_name: 'x-dst' } }),
      'clusters[0].original_dst_lb_config.http_header_name',
      /use_http_header is false/,
    ],
    ['original_dst_lb_config on a STATIC cluster', cluster({ original_dst_lb_config: { use_http_header: true } }), 'clusters[0].original_dst_lb_config', /only valid with type ORIGINAL_DST/],
    ['original_dst_lb_config.metadata_key', cluster({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', load_assignment: null, original_dst_lb_config: { metadata_key: { key: 'k' } } }), 'clusters[0].original_dst_lb_config.metadata_key'],
    ['a zero cleanup_interval', cluster({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', load_assignment: null, cleanup_interval: { seconds: 0 } }), 'clusters[0].cleanup_interval', /greater than 0/],
    ['custom cluster types', cluster({ cluster_type: { name: 'x' } }), 'clusters[0].cluster_type'],
    ['a hostname in a STATIC cluster', cluster({}, [endpoint('backend.local')]), `${ep0}.endpoint.address.socket_address.address`, /malformed IP address: backend.local/],
    [
      'two endpoints in a LOGICAL_DNS cluster',
      cluster({ type: 'LOGICAL_DNS' }, [endpoint('a.local'), endpoint('b.local')]),
      'clusters[0].load_assignment.endpoints',
      /single locality_lb_endpoint and a single lb_endpoint/,
    ],
    ['no endpoint in a LOGICAL_DNS cluster', cluster({ type: 'LOGICAL_DNS' }, []), 'clusters[0].load_assignment.endpoints', /single/],
    ['retry budget percent out of range', cluster({ circuit_breakers: { thresholds: [{ retry_budget: { budget_percent: { value: 150 } } }] } }), 'clusters[0].circuit_breakers.thresholds[0].retry_budget.budget_percent', /within \[0, 100\]/],
    ['per-host circuit breakers', cluster({ circuit_breakers: { per_host_thresholds: [{}] } }), 'clusters[0].circuit_breakers.per_host_thresholds'],
    ['a TLS transport socket without its context', cluster({ transport_socket: { name: 'envoy.transport_sockets.tls' } }), 'clusters[0].transport_socket.typed_config', /needs a typed_config/],
    ['an unknown transport socket', cluster({ transport_socket: { name: 'envoy.transport_sockets.alts' } }), 'clusters[0].transport_socket.name', /'envoy.transport_sockets.alts' is not supported/],
    ['transport socket matches', cluster({ transport_socket_matches: [{ name: 'm' }] }), 'clusters[0].transport_socket_matches'],
    ['eds_cluster_config on a STATIC cluster', cluster({ eds_cluster_config: { service_name: 'x' } }), 'clusters[0].eds_cluster_config', /is only valid with type EDS/],
    ['lb_subset_config', cluster({ lb_subset_config: {} }), 'clusters[0].lb_subset_config'],
    ['upstream_bind_config', cluster({ upstream_bind_config: { source_address: { address: '127.0.0.1', port_value: 0 } } }), 'clusters[0].upstream_bind_config'],
    ['dns_resolvers', cluster({ dns_resolvers: [{ socket_address: { address: '1.1.1.1', port_value: 53 } }] }), 'clusters[0].dns_resolvers'],
    ['use_tcp_for_dns_lookups', cluster({ use_tcp_for_dns_lookups: true }), 'clusters[0].use_tcp_for_dns_lookups'],
    ['upstream network filters', cluster({ filters: [{ name: 'f' }] }), 'clusters[0].filters'],
    ['preconnect_policy', cluster({ preconnect_policy: {} }), 'clusters[0].preconnect_policy'],
    ['CLUSTER_PROVIDED on a STATIC cluster', cluster({ lb_policy: 'CLUSTER_PROVIDED' }), 'clusters[0].lb_policy', /only valid with a cluster type that provides its load balancer/],
    ['LOAD_BALANCING_POLICY_CONFIG', cluster({ lb_policy: 'LOAD_BALANCING_POLICY_CONFIG' }), 'clusters[0].lb_policy'],
    ['load_balancing_policy', cluster({ load_balancing_policy: { policies: [] } }), 'clusters[0].load_balancing_policy'],
    ['a non-prime Maglev table', cluster({ lb_policy: 'MAGLEV', maglev_lb_config: { table_size: { value: 65536 } } }), 'clusters[0].maglev_lb_config.table_size.value', /must be prime/],
    [
      'a ring hash minimum above its maximum',
      cluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: 100 }, maximum_ring_size: { value: 10 } } }),
      'clusters[0].ring_hash_lb_config',
      /minimum_ring_size \(100\) > maximum_ring_size \(10\)/,
    ],
    ['least request choice_count 1', cluster({ lb_policy: 'LEAST_REQUEST', least_request_lb_config: { choice_count: { value: 1 } } }), 'clusters[0].least_request_lb_config.choice_count.value', /at least 2/],
    ['slow start', cluster({ round_robin_lb_config: { slow_start_config: {} } }), 'clusters[0].round_robin_lb_config.slow_start_config'],
    ['locality weighted ring hash', cluster({ lb_policy: 'RING_HASH', common_lb_config: { locality_weighted_lb_config: {} } }), 'clusters[0].common_lb_config.locality_weighted_lb_config', /with RING_HASH/],
    ['zone aware Maglev', cluster({ lb_policy: 'MAGLEV', common_lb_config: { zone_aware_lb_config: {} } }), 'clusters[0].common_lb_config.zone_aware_lb_config', /with MAGLEV/],
    ['routing_enabled above 100', cluster({ common_lb_config: { zone_aware_lb_config: { routing_enabled: { value: 120 } } } }), 'clusters[0].common_lb_config.zone_aware_lb_config.routing_enabled.value', /\[0, 100\]/],
    ['a panic threshold above 100', cluster({ common_lb_config: { healthy_panic_threshold: { value: 150 } } }), 'clusters[0].common_lb_config.healthy_panic_threshold.value', /\[0, 100\]/],
    ['two health checks', cluster({ health_checks: [hc({ tcp_health_check: {} }), hc({ tcp_health_check: {} })] }), 'clusters[0].health_checks', /Multiple health checks not supported/],
    ['a health check without timeout', cluster({ health_checks: [{ interval: { seconds: 1 }, unhealthy_threshold: { value: 1 }, healthy_threshold: { value: 1 }, tcp_health_check: {} }] }), 'clusters[0].health_checks[0].timeout', /is required/],
    ['a health check without healthy_threshold', cluster({ health_checks: [{ timeout: { seconds: 1 }, interval: { seconds: 1 }, unhealthy_threshold: { value: 1 }, tcp_health_check: {} }] }), 'clusters[0].health_checks[0].healthy_threshold', /is required/],
    ['a health check without a checker', cluster({ health_checks: [hc({})] }), 'clusters[0].health_checks[0]', /one of http_health_check/],
    ['an HTTP health check without path', cluster({ health_checks: [hc({ http_health_check: { host: 'x' } })] }), 'clusters[0].health_checks[0].http_health_check.path', /must not be empty/],
    ['an HTTP/2 health check', cluster({ health_checks: [hc({ http_health_check: { path: '/h', codec_client_type: 'HTTP2' } })] }), 'clusters[0].health_checks[0].http_health_check.codec_client_type'],
    ['an expected status range with start >= end', cluster({ health_checks: [hc({ http_health_check: { path: '/h', expected_statuses: [{ start: 300, end: 200 }] } })] }), 'clusters[0].health_checks[0].http_health_check.expected_statuses[0]', /start < end/],
    ['a health check header formatter', cluster({ health_checks: [hc({ http_health_check: { path: '/h', request_headers_to_add: [{ header: { key: 'x', value: '%HOSTNAME%' } }] } })] }), 'clusters[0].health_checks[0].http_health_check.request_headers_to_add[0].header.value', /header formatters/],
    ['an invalid hex TCP payload', cluster({ health_checks: [hc({ tcp_health_check: { send: { text: 'zz' } } })] }), 'clusters[0].health_checks[0].tcp_health_check.send.text', /invalid hex string/],
    ['a health check event log', cluster({ health_checks: [hc({ tcp_health_check: {}, event_log_path: '/tmp/hc.log' })] }), 'clusters[0].health_checks[0].event_log_path'],
    ['always_log_health_check_failures', cluster({ health_checks: [hc({ tcp_health_check: {}, always_log_health_check_failures: true })] }), 'clusters[0].health_checks[0].always_log_health_check_failures'],
    ['a custom health checker', cluster({ health_checks: [hc({ custom_health_check: { name: 'envoy.health_checkers.redis' } })] }), 'clusters[0].health_checks[0].custom_health_check', /redis/],
    ['a zero health check interval', cluster({ health_checks: [hc({ interval: { seconds: 0 }, tcp_health_check: {} })] }), 'clusters[0].health_checks[0].interval', /greater than 0/],
    ['max_ejection_time below base_ejection_time', cluster({ outlier_detection: { base_ejection_time: { seconds: 60 }, max_ejection_time: { seconds: 10 } } }), 'clusters[0].outlier_detection.max_ejection_time', /cannot be smaller than base_ejection_time/],
    ['max_ejection_percent above 100', cluster({ outlier_detection: { max_ejection_percent: { value: 101 } } }), 'clusters[0].outlier_detection.max_ejection_percent.value', /at most 100/],
    ['an enforcing percentage above 100', cluster({ outlier_detection: { enforcing_success_rate: { value: 200 } } }), 'clusters[0].outlier_detection.enforcing_success_rate.value', /at most 100/],
    ['a zero outlier interval', cluster({ outlier_detection: { interval: { seconds: 0 } } }), 'clusters[0].outlier_detection.interval', /greater than 0/],
    ['outlier detection monitors', cluster({ outlier_detection: { monitors: [{ name: 'm' }] } }), 'clusters[0].outlier_detection.monitors'],
    ['a zero connect timeout', cluster({ connect_timeout: { seconds: 0 } }), 'clusters[0].connect_timeout', /greater than 0/],
    ['a 1ms dns_refresh_rate', cluster({ dns_refresh_rate: { nanos: 1_000_000 } }), 'clusters[0].dns_refresh_rate', /greater than 1ms/],
    [
      'a failure refresh max below its base',
      cluster({ dns_failure_refresh_rate: { base_interval: { seconds: 5 }, max_interval: { seconds: 1 } } }),
      'clusters[0].dns_failure_refresh_rate',
      /max_interval greater than or equal to the base_interval/,
    ],
    ['an endpoint weight of 0', cluster({}, [endpoint('10.0.0.1', 80, { load_balancing_weight: { value: 0 } })]), `${ep0}.load_balancing_weight.value`, /at least 1/],
    ['named ports', cluster({}, [{ endpoint: { address: { socket_address: { address: '10.0.0.1', named_port: 'http' } } } }]), `${ep0}.endpoint.address.socket_address.named_port`],
    ['pipe addresses', cluster({}, [{ endpoint: { address: { pipe: { path: '/tmp/s' } } } }]), `${ep0}.endpoint.address.pipe`],
    ['endpoint names', cluster({}, [{ endpoint_name: 'e' }]), `${ep0}.endpoint_name`],
    ['UDP endpoints', cluster({}, [{ endpoint: { address: { socket_address: { protocol: 'UDP', address: '10.0.0.1', port_value: 1 } } } }]), `${ep0}.endpoint.address.socket_address.protocol`],
    ['ports above 65535', cluster({}, [endpoint('10.0.0.1', 70000)]), `${ep0}.endpoint.address.socket_address.port_value`, /65535/],
    ['drop_overloads', cluster({ load_assignment: { cluster_name: 'svc', policy: { drop_overloads: [{ category: 'x' }] } } }), 'clusters[0].load_assignment.policy.drop_overloads'],
    [
      'unknown typed_extension_protocol_options',
      cluster({ typed_extension_protocol_options: { 'envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions' } } }),
      "clusters[0].typed_extension_protocol_options['envoy.extensions.upstreams.tcp.v3.TcpProtocolOptions']",
    ],
    [
      'HTTP/2 options nghttp2 cannot honour',
      cluster({ typed_extension_protocol_options: { [HPO]: { '@type': HPO_TYPE, explicit_http_config: { http2_protocol_options: { allow_metadata: true } } } } }),
      `clusters[0].typed_extension_protocol_options['${HPO}'].explicit_http_config.http2_protocol_options.allow_metadata`,
    ],
    [
      'max_concurrent_streams 0',
      cluster({ typed_extension_protocol_options: { [HPO]: { '@type': HPO_TYPE, explicit_http_config: { http2_protocol_options: { max_concurrent_streams: { value: 0 } } } } } }),
      `clusters[0].typed_extension_protocol_options['${HPO}'].explicit_http_config.http2_protocol_options.max_concurrent_streams`,
      /between 1 and 2147483647/,
    ],
    [
      'auto_config',
      cluster({ typed_extension_protocol_options: { [HPO]: { '@type': HPO_TYPE, auto_config: {} } } }),
      `clusters[0].typed_extension_protocol_options['${HPO}'].auto_config`,
      /ALPN/,
    ],
    [
      'the typed extension with deprecated http2_protocol_options',
      cluster({ http2_protocol_options: {}, typed_extension_protocol_options: { [HPO]: { '@type': HPO_TYPE, explicit_http_config: { http_protocol_options: {} } } } }),
      `clusters[0].typed_extension_protocol_options['${HPO}']`,
      /Only one of/,
    ],
    [
      'max_stream_duration',
      cluster({
        typed_extension_protocol_options: {
          [HPO]: { '@type': HPO_TYPE, common_http_protocol_options: { max_stream_duration: { seconds: 1 } }, explicit_http_config: { http_protocol_options: {} } },
        },
      }),
      `clusters[0].typed_extension_protocol_options['${HPO}'].common_http_protocol_options.max_stream_duration`,
    ],
    [
      'both the typed extension and deprecated protocol options',
      cluster({
        common_http_protocol_options: {},
        typed_extension_protocol_options: { [HPO]: { '@type': HPO_TYPE, explicit_http_config: { http_protocol_options: {} } } },
      }),
      `clusters[0].typed_extension_protocol_options['${HPO}']`,
      /Only one of/,
    ],
    [
      'max_requests_per_connection in two places',
      cluster({ max_requests_per_connection: { value: 1 }, common_http_protocol_options: { max_requests_per_connection: { value: 2 } } }),
      'clusters[0].max_requests_per_connection',
      /Only one of max_requests_per_connection/,
    ],
    ['tcp keepalive probes', cluster({ upstream_connection_options: { tcp_keepalive: { keepalive_probes: { value: 3 } } } }), 'clusters[0].upstream_connection_options.tcp_keepalive.keepalive_probes'],
    ['track_cluster_stats', cluster({ track_cluster_stats: { per_endpoint_stats: true } }), 'clusters[0].track_cluster_stats'],
  ];
  for (const [what, cfg, path, reason] of cases) {
    it(`rejects ${what} at ${path}`, () => rejects(cfg, path, reason));
  }
});
