import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregateConfigError } from './aggregate-config-error.js';
import { messageFromJson } from './json-to-message.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const SOCKET = 'envoy.config.core.v3.SocketAddress';
const FILTER = 'envoy.config.listener.v3.Filter';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';

type Obj = Record<string, unknown>;

function read(typeName: string, value: unknown): Obj {
  return messageFromJson<Obj>(typeName, value, 'x');
}

/** Expects rejection; returns `path: reason` lines of all errors. */
function errorsOf(typeName: string, value: unknown): string[] {
  try {
    messageFromJson(typeName, value, 'x');
  } catch (e) {
    assert.ok(e instanceof AggregateConfigError, String(e));
    return e.errors.map((x) => `${x.path}: ${x.reason}`);
  }
  assert.fail('expected an error');
}

function assertOneError(typeName: string, value: unknown, path: string, reason: RegExp): void {
  const errors = errorsOf(typeName, value);
  assert.equal(errors.length, 1, errors.join('\n'));
  const [p, ...rest] = (errors[0] ?? '').split(': ');
  assert.equal(p, path);
  assert.match(rest.join(': '), reason);
}

const hcmFilter = (hcm: Obj): Obj => ({
  name: 'hcm',
  typed_config: {
    '@type': `type.googleapis.com/${HCM}`,
    stat_prefix: 'p',
    route_config: { virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }] },
    ...hcm,
  },
});

describe('messageFromJson scalars', () => {
  it('accepts integers as numbers or decimal strings and range-checks them', () => {
    assert.equal(read(SOCKET, { address: 'a', port_value: '8080' })['port_value'], 8080);
    assertOneError(SOCKET, { address: 'a', port_value: 'http' }, 'x.port_value', /expected an integer \(uint32\), got string "http"/);
    assertOneError(SOCKET, { address: 'a', port_value: 1.5 }, 'x.port_value', /expected an integer/);
    assertOneError(SOCKET, { address: 'a', port_value: -1 }, 'x.port_value', /out of range for uint32/);
    assertOneError(SOCKET, { address: 'a', port_value: 70000 }, 'x.port_value', /less than or equal to 65535 \[uint32\.lte\]/);
  });

  it('reads 64-bit integers exactly from strings', () => {
    assert.deepEqual(read('google.protobuf.UInt64Value', '18446744073709551615'), { value: '18446744073709551615' });
    assert.deepEqual(read('google.protobuf.Int64Value', -5), { value: '-5' });
    assert.deepEqual(errorsOf('google.protobuf.UInt64Value', '18446744073709551616'), ['x: value 18446744073709551616 is out of range for uint64 [0, 18446744073709551615]']);
  });

  it('reads doubles including NaN and Infinity, bools strictly, bytes as base64', () => {
    // The __Output shape (toObject with json: true, as for xDS) writes non-finite doubles as strings.
    assert.deepEqual(read('google.protobuf.DoubleValue', 'NaN'), { value: 'NaN' });
    assert.deepEqual(read('google.protobuf.DoubleValue', '-Infinity'), { value: '-Infinity' });
    assert.deepEqual(read('google.protobuf.DoubleValue', '2.5'), { value: 2.5 });
    assert.deepEqual(read('google.protobuf.BoolValue', true), { value: true });
    assertOneError('google.protobuf.BoolValue', 'true', 'x', /expected true or false/);
    assert.deepEqual(read('google.protobuf.BytesValue', 'aGk='), { value: Buffer.from('hi') });
    assert.deepEqual(read('google.protobuf.BytesValue', 'aGk'), { value: Buffer.from('hi') });
    assertOneError('google.protobuf.BytesValue', 'not base64!', 'x', /not valid base64/);
    assertOneError(SOCKET, { address: 8080, port_value: 1 }, 'x.address', /expected a string, got number 8080/);
  });

  it('reads enums by name or number and rejects unknown names', () => {
    assert.equal(read(SOCKET, { address: 'a', port_value: 1, protocol: 'UDP' })['protocol'], 'UDP');
    assert.equal(read(SOCKET, { address: 'a', port_value: 1, protocol: 1 })['protocol'], 'UDP');
    assertOneError(SOCKET, { address: 'a', port_value: 1, protocol: 'udp' }, 'x.protocol', /unknown value "udp" for enum envoy\.config\.core\.v3\.SocketAddress\.Protocol; expected one of TCP, UDP/);
    assertOneError(SOCKET, { address: 'a', port_value: 1, protocol: 7 }, 'x.protocol', /not a defined enum value \[enum\.defined_only\]/);
  });

  it('treats null as the default and a null repeated field as empty', () => {
    const c = read(CLUSTER, { name: 'c', connect_timeout: null, health_checks: null, lb_policy: null, type: null });
    assert.equal(c['connect_timeout'], null);
    assert.deepEqual(c['health_checks'], []);
    assert.equal(c['lb_policy'], 'ROUND_ROBIN');
    assert.equal(c['cluster_discovery_type'], undefined); // a null oneof member leaves the oneof unset
    assertOneError(CLUSTER, { name: 'c', health_checks: [null] }, 'x.health_checks[0]', /must not be null/);
    assertOneError(CLUSTER, { name: 'c', health_checks: {} }, 'x.health_checks', /expected an array, got an object/);
  });
});

describe('messageFromJson field names and oneofs', () => {
  it('accepts proto and JSON names but not both', () => {
    assert.equal(read(SOCKET, { address: 'a', portValue: 80 })['port_value'], 80);
    assertOneError(SOCKET, { address: 'a', port_value: 80, portValue: 80 }, 'x.portValue', /field 'port_value' is set twice/);
  });

  it('rejects unknown fields, suggesting a close name', () => {
    assertOneError(SOCKET, { address: 'a', port_value: 1, adress: 'b' }, 'x.adress', /^unknown field 'adress' in envoy\.config\.core\.v3\.SocketAddress \(did you mean 'address'\?\)$/);
  });

  it('rejects two members of a oneof, naming both', () => {
    assertOneError(SOCKET, { address: 'a', port_value: 1, named_port: 'http' }, 'x.named_port', /only one of 'port_value' and 'named_port' may be set \(oneof 'port_specifier'\)/);
  });
});

describe('messageFromJson well-known types', () => {
  it('reads Duration strings and objects', () => {
    assert.deepEqual(read(CLUSTER, { name: 'c', connect_timeout: '0.25s' })['connect_timeout'], { seconds: '0', nanos: 250000000 });
    assert.deepEqual(read(CLUSTER, { name: 'c', connect_timeout: '3s' })['connect_timeout'], { seconds: '3', nanos: 0 });
    assert.deepEqual(read(CLUSTER, { name: 'c', connect_timeout: '0.001s' })['connect_timeout'], { seconds: '0', nanos: 1000000 });
    assert.deepEqual(read(CLUSTER, { name: 'c', connect_timeout: { seconds: 2, nanos: 5 } })['connect_timeout'], { seconds: '2', nanos: 5 });
    assertOneError(CLUSTER, { name: 'c', connect_timeout: '250ms' }, 'x.connect_timeout', /invalid duration "250ms"/);
    assertOneError(CLUSTER, { name: 'c', connect_timeout: 5 }, 'x.connect_timeout', /expected a duration string such as "1\.5s", got number 5/);
    assertOneError(CLUSTER, { name: 'c', connect_timeout: { seconds: 1, nanos: -1 } }, 'x.connect_timeout', /same sign/);
  });

  it('reads RFC 3339 timestamps', () => {
    assert.deepEqual(read('google.protobuf.Timestamp', '1972-01-01T10:00:20.021Z'), { seconds: '63108020', nanos: 21000000 });
    assert.deepEqual(read('google.protobuf.Timestamp', '1972-01-01T11:00:20+01:00'), { seconds: '63108020', nanos: 0 });
    assertOneError('google.protobuf.Timestamp', '1972-02-30T00:00:00Z', 'x', /no such date/);
  });

  it('reads wrappers as plain values', () => {
    const c = read(CLUSTER, { name: 'c', per_connection_buffer_limit_bytes: 1024, wait_for_warm_on_init: false });
    assert.deepEqual(c['per_connection_buffer_limit_bytes'], { value: 1024 });
    assert.deepEqual(c['wait_for_warm_on_init'], { value: false });
    assertOneError(CLUSTER, { name: 'c', per_connection_buffer_limit_bytes: { value: 1 } }, 'x.per_connection_buffer_limit_bytes', /expected an integer/);
  });

  it('reads Struct from arbitrary JSON', () => {
    const m = read('envoy.config.core.v3.Metadata', { filter_metadata: { 'envoy.lb': { a: 1, b: [true, null, 'x'], c: { d: 'e' } } } });
    const fields = (m['filter_metadata'] as Record<string, { fields: Record<string, Obj> }>)['envoy.lb']?.fields ?? {};
    assert.deepEqual(fields['a'], { numberValue: 1, kind: 'numberValue' });
    assert.deepEqual(fields['b'], { listValue: { values: [
      { boolValue: true, kind: 'boolValue' }, { nullValue: 'NULL_VALUE', kind: 'nullValue' }, { stringValue: 'x', kind: 'stringValue' }] }, kind: 'listValue' });
    assert.deepEqual(fields['c'], { structValue: { fields: { d: { stringValue: 'e', kind: 'stringValue' } } }, kind: 'structValue' });
    assertOneError('envoy.config.core.v3.Metadata', { filter_metadata: { '': {} } }, 'x.filter_metadata[""]', /at least 1 character/);
  });

  it('reads Any with @type, recursing into its fields with their paths', () => {
    const f = read(FILTER, hcmFilter({}));
    const tc = f['typed_config'] as Obj;
    assert.equal(tc['@type'], `type.googleapis.com/${HCM}`);
    assert.equal(tc['stat_prefix'], 'p');
    assertOneError(FILTER, hcmFilter({ route_config: { virtual_hosts: [{ name: 'v', domains: ['*'], htpp: 1 }] } }),
      'x.typed_config.route_config.virtual_hosts[0].htpp', /^unknown field 'htpp'/);
  });

  it('resolves an Any type URL by its last segment, whatever the prefix', () => {
    const f = read(FILTER, { name: 'r', typed_config: { '@type': `example.com/types/${ROUTER}` } });
    assert.equal((f['typed_config'] as Obj)['@type'], `example.com/types/${ROUTER}`);
    const g = read(FILTER, { name: 'r', typed_config: { '@type': ROUTER } });
    assert.equal((g['typed_config'] as Obj)['@type'], `type.googleapis.com/${ROUTER}`);
  });

  it('reads an Any holding a well-known type from its "value"', () => {
    const f = read(FILTER, { name: 'd', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1.5s' } });
    assert.deepEqual(f['typed_config'], { '@type': 'type.googleapis.com/google.protobuf.Duration', seconds: '1', nanos: 500000000 });
  });

  it('rejects unknown @type, missing @type and TypedStruct at path.@type', () => {
    assertOneError(FILTER, { name: 'f', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope' } },
      'x.typed_config.@type', /unknown type 'envoy\.extensions\.filters\.http\.nope\.v3\.Nope'/);
    assertOneError(FILTER, { name: 'f', typed_config: { stat_prefix: 'p' } }, 'x.typed_config.@type', /missing @type/);
    assertOneError(FILTER, { name: 'f', typed_config: { '@type': 'type.googleapis.com/xds.type.v3.TypedStruct', value: {} } },
      'x.typed_config.@type', /TypedStruct is not supported/);
  });
});

describe('messageFromJson protoc-gen-validate rules', () => {
  it('enforces string.min_len (a filter without a name)', () => {
    assertOneError(FILTER, { typed_config: { '@type': `type.googleapis.com/${ROUTER}` } }, 'x.name', /value length must be at least 1 character \[string\.min_len\]/);
    assertOneError(CLUSTER, { name: '' }, 'x.name', /at least 1 character/);
  });

  it('enforces required oneofs and message.required', () => {
    const { route_config: _unused, ...noRoute } = hcmFilter({}).typed_config as Obj;
    assertOneError(FILTER, { name: 'f', typed_config: noRoute }, 'x.typed_config.route_specifier',
      /one of 'rds', 'route_config', 'scoped_routes' is required \[oneof required\]/);
    assertOneError('envoy.config.route.v3.Route', { route: { cluster: 'c' } }, 'x.match', /value is required \[message\.required\]/);
  });

  it('enforces numeric ranges on wrappers and scalars', () => {
    assertOneError('envoy.config.endpoint.v3.LbEndpoint', { load_balancing_weight: 0 }, 'x.load_balancing_weight', /greater than or equal to 1 \[uint32\.gte\]/);
    assertOneError('envoy.type.v3.Percent', { value: 100.5 }, 'x.value', /less than or equal to 100 \[double\.lte\]/);
  });

  it('enforces duration bounds', () => {
    assertOneError(CLUSTER, { name: 'c', dns_refresh_rate: '0s' }, 'x.dns_refresh_rate', /greater than 0\.001s \[duration\.gt\]/);
    assertOneError(CLUSTER, { name: 'c', connect_timeout: '0s' }, 'x.connect_timeout', /greater than 0s \[duration\.gt\]/);
  });

  it('enforces repeated.min_items and header-name regexes on items', () => {
    assertOneError('envoy.config.route.v3.VirtualHost', { name: 'v', domains: [] }, 'x.domains', /at least 1 item\(s\) \[repeated\.min_items\]/);
    assertOneError('envoy.config.route.v3.VirtualHost', { name: 'v', domains: ['*'], request_headers_to_remove: ['x-ok', 'bad\nname'] },
      'x.request_headers_to_remove[1]', /valid HTTP header name \[string\.well_known_regex\]/);
    const UPSTREAM_HTTP = 'envoy.config.core.v3.UpstreamHttpProtocolOptions';
    assertOneError(UPSTREAM_HTTP, { override_auto_sni_header: 'bad header' }, 'x.override_auto_sni_header', /valid HTTP header name/);
    assert.equal(read(UPSTREAM_HTTP, { override_auto_sni_header: '' })['override_auto_sni_header'], ''); // ignore_empty
    assert.equal(read(UPSTREAM_HTTP, { override_auto_sni_header: ':authority' })['override_auto_sni_header'], ':authority');
    assertOneError('envoy.config.core.v3.HealthCheck.HttpHealthCheck', { path: '/a\u0001' }, 'x.path', /valid HTTP header value/);
  });

  it('checks oneof members only when they are set', () => {
    // path_separated_prefix has a string.pattern its empty default would fail; prefix is the member set
    assert.equal(read('envoy.config.route.v3.RouteMatch', { prefix: '/' })['path_specifier'], 'prefix');
    assertOneError('envoy.config.route.v3.RouteMatch', { path_separated_prefix: '/api/' }, 'x.path_separated_prefix', /\[string\.pattern\]/);
  });
});

describe('messageFromJson deprecation and reporting', () => {
  it('rejects fields that are deprecated and disallowed by default', () => {
    assertOneError('envoy.config.route.v3.RateLimit.Action', { dynamic_metadata: { descriptor_key: 'k', metadata_key: { key: 'k', path: [{ key: 'p' }] } } },
      'x.dynamic_metadata', /deprecated and disallowed by default/);
    assertOneError('envoy.config.core.v3.ApiConfigSource', { api_type: 'DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE' }, 'x.api_type', /deprecated and disallowed by default/);
  });

  it('accepts deprecated fields and reports a warning', () => {
    const warnings: string[] = [];
    const c = messageFromJson<Obj>(CLUSTER, { name: 'c', max_requests_per_connection: 5 }, 'x', { onWarning: (p, m) => warnings.push(`${p}: ${m}`) });
    assert.deepEqual(c['max_requests_per_connection'], { value: 5 });
    assert.deepEqual(warnings, ["x.max_requests_per_connection: field 'max_requests_per_connection' is deprecated"]);
  });

  it('collects every error into one AggregateConfigError listing path: reason lines', () => {
    let err: unknown;
    try {
      messageFromJson(CLUSTER, { name: '', type: 'STATIK', connect_timeout: 'soon', bogus: 1 }, 'clusters[3]');
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof AggregateConfigError);
    assert.equal(err.code, 'WEFT_ERR_CONFIG');
    assert.equal(err.errors.length, 4);
    assert.equal(err.path, err.errors[0]?.path);
    assert.match(err.message, /^4 configuration errors:\n/);
    for (const p of ['clusters[3].name', 'clusters[3].type', 'clusters[3].connect_timeout', 'clusters[3].bogus']) {
      assert.ok(err.message.includes(`\n  ${p}: `), `message lists ${p}`);
    }
  });
});
