import { messageFromJson } from './dist/json-to-message.js';
const t = (name, v) => { try { const r = messageFromJson(name, v, 'x'); console.log('OK', JSON.stringify(r).slice(0, 600)); } catch (e) { console.log('ERR', e.message); } };
t('envoy.config.core.v3.SocketAddress', { address: '1.2.3.4', port_value: 80 });
t('envoy.config.core.v3.SocketAddress', { address: '', port_value: 70000, named_port: 'x', htpp: 1 });
t('envoy.config.core.v3.SocketAddress', { address: 'a' });
t('envoy.config.cluster.v3.Cluster', { name: 'c', connect_timeout: '0.25s', type: 'STRICT_DNS', lbPolicy: 'ROUND_ROBIN', per_connection_buffer_limit_bytes: 1024, metadata: { filter_metadata: { 'envoy.lb': { canary: true, n: 1, l: [1, 'a', null], o: { x: 'y' } } } },
  typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } } });
t('envoy.config.cluster.v3.Cluster', { name: 'c', connect_timeout: '0.25', type: 'STRICT_DN', dns_refresh_rate: '0s', max_requests_per_connection: 5 });
t('envoy.config.listener.v3.Filter', { name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', stat_prefix: 'a', route_config: { virtual_hosts: [{ name: 'v', domains: ['*'], htpp: 1 }] }, http_filters: [{ name: 'r', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }] } });
t('envoy.config.listener.v3.Filter', { name: 'x', typed_config: { '@type': 'foo/envoy.extensions.filters.http.router.v3.Router', dynamic_stats: true } });
t('envoy.config.listener.v3.Filter', { name: 'x', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '3s' } });
t('envoy.config.listener.v3.Filter', { name: 'x', typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct' } });
t('envoy.config.listener.v3.Filter', { name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.nope.Foo' } });
