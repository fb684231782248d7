import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsStore } from './stats-store.js';
import { TagName } from './tag-extraction.js';
import { formatBucketBound, formatPrometheus, prometheusMetricName } from './prometheus.js';
import { assertPromtoolAccepts, assertWellGrouped, runPromtool } from './promtool.test-helper.js';

/** Stats the way the proxy registers them: tagged scopes for clusters, listeners, HCM and TCP proxy prefixes. */
function envoyLikeStore(): StatsStore {
  const store = new StatsStore();
  const name = 'outbound|80||foo.default.svc.cluster.local';
  const cluster = store.scope(`cluster.${name}`, { [TagName.CLUSTER_NAME]: name });
  cluster.counter('upstream_rq_total').add(12);
  cluster.counter('upstream_rq_200').add(10);
  cluster.counter('upstream_rq_503').add(2);
  cluster.counter('upstream_rq_2xx').add(10);
  cluster.counter('upstream_rq_5xx').add(2);
  cluster.gauge('membership_total').set(3);
  cluster.histogram('upstream_rq_time', 'milliseconds').record(12);
  const listener = store.scope('listener.0.0.0.0_15001', { [TagName.LISTENER_ADDRESS]: '0.0.0.0_15001' });
  listener.counter('downstream_cx_total').add(4);
  listener.scope('http.inbound_0.0.0.0_8080', { [TagName.HTTP_CONN_MANAGER_PREFIX]: 'inbound_0.0.0.0_8080' }).counter('downstream_rq_2xx').inc();
  const http = store.scope('http.ingress_http', { [TagName.HTTP_CONN_MANAGER_PREFIX]: 'ingress_http' });
  http.counter('downstream_rq_total').add(7);
  http.histogram('downstream_rq_time', 'milliseconds').record(3);
  store.scope('tcp.mysql', { [TagName.TCP_PREFIX]: 'mysql' }).counter('downstream_cx_total').inc();
  store.counter('server.hot_restart_epoch');
  store.gauge('server.live', 'never').set(1);
  return store;
}

test('names cluster stats envoy_cluster_* with the cluster name and response code as labels', () => {
  const text = formatPrometheus(envoyLikeStore().snapshot());
  const c = 'envoy_cluster_name="outbound|80||foo.default.svc.cluster.local"';
  assert.ok(text.includes(`# TYPE envoy_cluster_upstream_rq_total counter\nenvoy_cluster_upstream_rq_total{${c}} 12\n`), text);
  assert.ok(text.includes(`# TYPE envoy_cluster_upstream_rq counter\n`));
  assert.ok(text.includes(`envoy_cluster_upstream_rq{envoy_response_code="200",${c}} 10\n`));
  assert.ok(text.includes(`envoy_cluster_upstream_rq{envoy_response_code="503",${c}} 2\n`));
  assert.ok(text.includes(`envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",${c}} 10\n`));
  assert.ok(text.includes(`envoy_cluster_upstream_rq_xx{envoy_response_code_class="5",${c}} 2\n`));
  assert.ok(text.includes(`# TYPE envoy_cluster_membership_total gauge\nenvoy_cluster_membership_total{${c}} 3\n`));
});

test('names listener, HCM and TCP proxy stats with their prefixes as labels', () => {
  const text = formatPrometheus(envoyLikeStore().snapshot());
  assert.ok(text.includes('envoy_listener_downstream_cx_total{envoy_listener_address="0.0.0.0_15001"} 4\n'), text);
  assert.ok(
    text.includes(
      'envoy_listener_http_downstream_rq_xx{envoy_response_code_class="2",envoy_http_conn_manager_prefix="inbound_0.0.0.0_8080",envoy_listener_address="0.0.0.0_15001"} 1\n',
    ),
    text,
  );
  assert.ok(text.includes('envoy_http_downstream_rq_total{envoy_http_conn_manager_prefix="ingress_http"} 7\n'));
  assert.ok(text.includes('envoy_tcp_downstream_cx_total{envoy_tcp_prefix="mysql"} 1\n'));
  assert.ok(text.includes('# TYPE envoy_server_live gauge\nenvoy_server_live 1\n'));
});

test('extracts tags by Envoy default regexes when a stat was registered without tags', () => {
  const store = new StatsStore();
  store.counter('cluster.plain.upstream_rq_404').inc();
  store.counter('http.admin.downstream_rq_4xx').inc();
  store.counter('listener.127.0.0.1_8080.downstream_cx_total').inc();
  store.counter('tcp.redis.downstream_cx_rx_bytes_total').inc();
  store.counter('vhost.vh1.vcluster.other.upstream_rq_total').inc();
  store.counter('listener_manager.worker_3.downstream_cx_total').inc();
  const text = formatPrometheus(store.snapshot());
  assert.ok(text.includes('envoy_cluster_upstream_rq{envoy_response_code="404",envoy_cluster_name="plain"} 1'), text);
  assert.ok(text.includes('envoy_http_downstream_rq_xx{envoy_response_code_class="4",envoy_http_conn_manager_prefix="admin"} 1'));
  assert.ok(text.includes('envoy_listener_downstream_cx_total{envoy_listener_address="127.0.0.1_8080"} 1'));
  assert.ok(text.includes('envoy_tcp_downstream_cx_rx_bytes_total{envoy_tcp_prefix="redis"} 1'));
  assert.ok(text.includes('envoy_vhost_vcluster_upstream_rq_total{envoy_virtual_cluster="other",envoy_virtual_host="vh1"} 1'));
  assert.ok(text.includes('envoy_listener_manager_downstream_cx_total{envoy_worker_id="worker_3"} 1'));
});

test('prints histograms with cumulative buckets, +Inf, sum and count', () => {
  const store = new StatsStore();
  const h = store.scope('cluster.c', { [TagName.CLUSTER_NAME]: 'c' }).histogram('upstream_rq_time', 'milliseconds');
  h.record(0.2);
  h.record(7);
  h.record(4_000_000);
  const text = formatPrometheus(store.snapshot());
  const lines = text.split('\n').filter((l) => l.startsWith('envoy_cluster_upstream_rq_time'));
  assert.equal(lines.length, 19 + 1 + 2);
  assert.equal(lines[0], 'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="c",le="0.5"} 1');
  assert.equal(lines[3], 'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="c",le="10"} 2');
  assert.equal(lines[18], 'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="c",le="3.6e+06"} 2');
  assert.equal(lines[19], 'envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="c",le="+Inf"} 3');
  assert.equal(lines[20], 'envoy_cluster_upstream_rq_time_sum{envoy_cluster_name="c"} 4000007.2');
  assert.equal(lines[21], 'envoy_cluster_upstream_rq_time_count{envoy_cluster_name="c"} 3');
  assert.ok(text.startsWith('# TYPE envoy_cluster_upstream_rq_time histogram\n'));
});

test('formats bucket bounds like Go and keeps istio names unprefixed', () => {
  assert.deepEqual([0.5, 1, 300000, 600000, 1800000, 1e9].map(formatBucketBound), ['0.5', '1', '300000', '600000', '1.8e+06', '1e+09']);
  assert.equal(prometheusMetricName('istio_requests_total'), 'istio_requests_total');
  assert.equal(prometheusMetricName('cluster.upstream-rq'), 'envoy_cluster_upstream_rq');
});

test('escapes label values and sanitises label names', () => {
  const store = new StatsStore();
  store.taggedCounter('weird', 'weird', [['bad.label-name', 'a"b\\c\nd']]).inc();
  const text = formatPrometheus(store.snapshot());
  assert.ok(text.includes('envoy_weird{bad_label_name="a\\"b\\\\c\\nd"} 1\n'), text);
});

test('applies filter and usedonly to the exposition', () => {
  const text = formatPrometheus(envoyLikeStore().snapshot(), { usedOnly: true, filter: '^server\\.' });
  assert.equal(text, '# TYPE envoy_server_live gauge\nenvoy_server_live 1\n');
});

test('leaves out a stat whose family name is taken by another type, keeping the exposition valid', () => {
  const store = new StatsStore();
  store.counter('x.rq').inc();
  store.gauge('x.rq').set(1);
  store.histogram('y').record(1);
  store.counter('y_count').inc();
  const text = formatPrometheus(store.snapshot());
  assert.equal((text.match(/# TYPE envoy_x_rq /g) ?? []).length, 1);
  // Counters are placed first, so the counter keeps `envoy_y_count` and the histogram that needs it is left out.
  assert.ok(text.includes('# TYPE envoy_y_count counter'));
  assert.ok(!text.includes('# TYPE envoy_y histogram'));
  assertWellGrouped(text);
});

test('promtool check metrics accepts a realistic exposition', () => {
  const text = formatPrometheus(envoyLikeStore().snapshot());
  assertWellGrouped(text);
  assertPromtoolAccepts(text);
});

test('the promtool check rejects a broken exposition (so the check above can fail)', () => {
  const broken = '# TYPE a counter\na 1\n# TYPE b counter\nb 1\n# TYPE a counter\na{x="1"} 1\n';
  assert.equal(runPromtool(broken).status, 1);
  assert.throws(() => assertPromtoolAccepts(broken));
  assert.throws(() => assertWellGrouped(broken));
});
