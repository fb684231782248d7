import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseBootstrapText } from '@weft/api';
import { ProxyServer } from '@weft/proxy';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

/** Builds the server (validation happens at construction) and returns the ConfigError message. */
function configError(yaml: string): string {
  try {
    const server = new ProxyServer(parseBootstrapText(yaml, 'bad.yaml'), { serveTraffic: false, concurrency: 1, drainTimeMs: 0 });
    void server.stop();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

const hcm = (o: Parameters<typeof httpListener>[0]): string => bootstrap(httpListener(o), staticCluster('a', [1]));
const L = 'static_resources.listeners[0].filter_chains[0].filters[0].typed_config';

describe('invalid configuration is refused with the field path', () => {
  test('a route to an unknown cluster', () => {
    assert.match(configError(hcm({ routes: '- match: { prefix: "/" }\n  route: { cluster: nope }' })), new RegExp(`${L.replace(/[[\].]/g, '\\$&')}\\.route_config\\.virtual_hosts\\[0\\]\\.routes\\[0\\]\\.route\\.cluster: .*nope`));
  });

  test('an HTTP filter Weft does not implement', () => {
    const yaml = hcm({ routes: '- match: { prefix: "/" }\n  route: { cluster: a }' }).replace(
      '          http_filters:\n',
      '          http_filters:\n          - name: envoy.filters.network.tcp_proxy\n            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: t, cluster: a }\n',
    );
    assert.match(configError(yaml), /http_filters\[0\]/);
  });

  test('an unsupported HCM field', () => {
    assert.match(configError(hcm({ routes: '- match: { prefix: "/" }\n  route: { cluster: a }', hcmExtra: 'merge_slashes: true' })), new RegExp(`${L.replace(/[[\].]/g, '\\$&')}\\.merge_slashes: is not supported yet`));
  });

  test('HTTP/2 options nghttp2 cannot honour, and out-of-range ones, on the HCM', () => {
    const r = '- match: { prefix: "/" }\n  route: { cluster: a }';
    assert.match(configError(hcm({ routes: r, hcmExtra: 'http2_protocol_options: { allow_metadata: true }' })), /http2_protocol_options\.allow_metadata: is not supported yet/);
    assert.match(
      configError(hcm({ routes: r, hcmExtra: 'http2_protocol_options: { initial_stream_window_size: 100 }' })),
      /http2_protocol_options\.initial_stream_window_size: (value )?must be/,
    );
    assert.match(configError(hcm({ routes: r, hcmExtra: 'codec_type: HTTP3' })), /codec_type: HTTP3 is not supported/);
    // Flood limits: Envoy's validation (gte 1) with the field path.
    for (const field of ['max_outbound_frames', 'max_outbound_control_frames', 'max_inbound_window_update_frames_per_data_frame_sent']) {
      assert.match(configError(hcm({ routes: r, hcmExtra: `http2_protocol_options: { ${field}: 0 }` })), new RegExp(`http2_protocol_options\\.${field}: (value )?must be`));
    }
  });

  test('upgrade configs: custom upgrade filter chains and CONNECT allow_post', () => {
    const filters = 'upgrade_configs: [{ upgrade_type: websocket, filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }] }]';
    assert.match(configError(hcm({ routes: '- match: { prefix: "/" }\n  route: { cluster: a }', hcmExtra: filters })), new RegExp(`${L.replace(/[[\].]/g, '\\$&')}\\.upgrade_configs\\[0\\]\\.filters: `));
    const post = '- match: { connect_matcher: {} }\n  route: { cluster: a, upgrade_configs: [{ upgrade_type: CONNECT, connect_config: { allow_post: true } }] }';
    assert.match(configError(hcm({ routes: post })), /routes\[0\]\.route\.upgrade_configs\[0\]\.connect_config\.allow_post: is not supported yet/);
  });

  test('an unsupported route feature (hedging)', () => {
    assert.match(configError(hcm({ routes: '- match: { prefix: "/" }\n  route: { cluster: a, hedge_policy: { initial_requests: 2 } }' })), /routes\[0\]\.route\.hedge_policy/);
  });

  test('duplicate listener names and duplicate cluster names', () => {
    const two = bootstrap(httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: a }' }) + httpListener({ routes: '- match: { prefix: "/" }\n  route: { cluster: a }' }), staticCluster('a', [1]));
    assert.match(configError(two), /static_resources\.listeners\[1\]\.name: duplicate listener name 'http'/);
    assert.match(configError(bootstrap('', staticCluster('a', [1]) + staticCluster('a', [2]))), /static_resources\.clusters\[1\]\.name: duplicate cluster name 'a'/);
  });

  test('a TLS transport socket without a certificate', () => {
    const yaml = hcm({ routes: '- match: { prefix: "/" }\n  route: { cluster: a }' }).replace(
      '    filter_chains:\n    - filters:',
      '    filter_chains:\n    - transport_socket: { name: envoy.transport_sockets.tls, typed_config: { "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext } }\n      filters:',
    );
    assert.match(configError(yaml), /static_resources\.listeners\[0\]\.filter_chains\[0\]\.transport_socket\.typed_config\.common_tls_context\.tls_certificates: a server context needs a certificate/);
  });

  test('a STATIC cluster with a hostname endpoint', () => {
    const yaml = bootstrap('', staticCluster('a', [1]).replace('address: 127.0.0.1', 'address: example.com'));
    assert.match(configError(yaml), /static_resources\.clusters\[0\]\.load_assignment\.endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.address/);
  });
});
