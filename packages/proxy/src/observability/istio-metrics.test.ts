import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeMessage } from '@weft/api';
import type { Node__Output } from '@weft/api/envoy/envoy/config/core/v3/Node.js';
import { HeaderMap } from '../interfaces/header-map.js';
import { ResponseFlag } from '../interfaces/response-flags.js';
import { StreamInfo } from '../interfaces/stream-info.js';
import { ISTIO_REQUEST_LABELS, ISTIO_TCP_LABELS, IstioMetrics } from './istio-metrics.js';
import { fromNodeMetadata } from './istio-workload.js';
import { formatPrometheus } from './prometheus.js';
import { StatsStore } from './stats-store.js';
import { assertPromtoolAccepts, assertWellGrouped } from './promtool.test-helper.js';

const NODE = {
  id: 'sidecar~10.1.2.3~productpage-v1-7f4669bdd9-dg7vn.default~default.svc.cluster.local',
  cluster: 'productpage.default',
  metadata: {
    NAME: 'productpage-v1-7f4669bdd9-dg7vn',
    NAMESPACE: 'default',
    WORKLOAD_NAME: 'productpage-v1',
    CLUSTER_ID: 'Kubernetes',
    MESH_ID: 'cluster.local',
    SERVICE_ACCOUNT: 'bookinfo-productpage',
    LABELS: { app: 'productpage', version: 'v1', 'service.istio.io/canonical-name': 'productpage' },
  },
};

const RATINGS = {
  workload: 'ratings-v1',
  namespace: 'default',
  app: 'ratings',
  version: 'v1',
  canonicalService: 'ratings',
  canonicalRevision: 'v1',
  cluster: 'Kubernetes',
  principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-ratings',
};

test('derives the local workload from Istio node metadata', () => {
  const w = fromNodeMetadata(NODE);
  assert.deepEqual(w, {
    workload: 'productpage-v1',
    namespace: 'default',
    app: 'productpage',
    version: 'v1',
    canonicalService: 'productpage',
    canonicalRevision: 'v1',
    cluster: 'Kubernetes',
    principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
    meshId: 'cluster.local',
  });
});

test('reads node metadata given as a protobuf Struct and falls back like Istio', () => {
  const node = normalizeMessage<Node__Output>('envoy.config.core.v3.Node', {
    id: 'sidecar~10.0.0.9~web-0.shop~shop.svc.cluster.local',
    metadata: { fields: { LABELS: { structValue: { fields: { app: { stringValue: 'web' } } } } } },
  });
  const w = fromNodeMetadata(node);
  assert.equal(w.namespace, 'shop', 'from the node id');
  assert.equal(w.app, 'web');
  assert.equal(w.canonicalService, 'web', 'from app');
  assert.equal(w.canonicalRevision, 'latest');
  assert.equal(w.version, 'unknown');
  assert.equal(w.workload, 'unknown');
  assert.equal(w.principal, 'unknown');
});

function tagsOf(store: StatsStore, metric: string): Array<[string, string]> | undefined {
  return store.snapshot().counters.find((c) => c.tagExtractedName === metric)?.tags;
}

test('labels an outbound request with the local side as source, in Istio order', () => {
  const store = new StatsStore();
  const istio = new IstioMetrics(store, fromNodeMetadata(NODE));
  istio
    .requestSeries({
      reporter: 'source',
      peer: RATINGS,
      destination_service: 'ratings.default.svc.cluster.local',
      request_protocol: 'http',
      response_code: 200,
      response_flags: 0,
    })
    .record(12, 100, 2000);
  const tags = tagsOf(store, 'istio_requests_total');
  assert.deepEqual(tags?.map(([k]) => k), [...ISTIO_REQUEST_LABELS]);
  assert.deepEqual(Object.fromEntries(tags ?? []), {
    reporter: 'source',
    source_workload: 'productpage-v1',
    source_canonical_service: 'productpage',
    source_canonical_revision: 'v1',
    source_workload_namespace: 'default',
    source_principal: 'unknown',
    source_app: 'productpage',
    source_version: 'v1',
    source_cluster: 'Kubernetes',
    destination_workload: 'ratings-v1',
    destination_workload_namespace: 'default',
    destination_principal: 'spiffe://cluster.local/ns/default/sa/bookinfo-ratings',
    destination_app: 'ratings',
    destination_version: 'v1',
    destination_service: 'ratings.default.svc.cluster.local',
    destination_canonical_service: 'ratings',
    destination_canonical_revision: 'v1',
    destination_service_name: 'ratings',
    destination_service_namespace: 'default',
    destination_cluster: 'Kubernetes',
    request_protocol: 'http',
    response_code: '200',
    grpc_response_status: '',
    response_flags: '-',
    connection_security_policy: 'unknown',
  });
  const h = store.snapshot().histograms;
  assert.deepEqual(h.map((x) => [x.tagExtractedName, x.sum]), [
    ['istio_request_duration_milliseconds', 12],
    ['istio_request_bytes', 100],
    ['istio_response_bytes', 2000],
  ]);
});

test('an inbound mTLS request reports the local side as destination with its principal', () => {
  const store = new StatsStore();
  const istio = new IstioMetrics(store, fromNodeMetadata(NODE));
  istio.requestSeries({ reporter: 'destination', mtls: true, response_code: 503, response_flags: ResponseFlag.UpstreamConnectionFailure }).record(1, 0, 0);
  const t = Object.fromEntries(tagsOf(store, 'istio_requests_total') ?? []);
  assert.equal(t.source_workload, 'unknown');
  assert.equal(t.destination_workload, 'productpage-v1');
  assert.equal(t.destination_principal, 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage');
  assert.equal(t.connection_security_policy, 'mutual_tls');
  assert.equal(t.response_flags, 'UF');
  assert.equal(t.destination_service, 'unknown');
});

test('caches series by label set: the same labels give the same handle', () => {
  const istio = new IstioMetrics(new StatsStore(), fromNodeMetadata(NODE));
  const labels = { reporter: 'source' as const, destination_service: 'a.b.svc.cluster.local', response_code: 200 };
  assert.equal(istio.requestSeries(labels), istio.requestSeries({ ...labels }));
  assert.notEqual(istio.requestSeries(labels), istio.requestSeries({ ...labels, response_code: 404 }));
  const edge = istio.requestEdge(labels);
  assert.equal(edge.series(200), istio.requestSeries(labels));
});

test('records TCP metrics and derives the edge from an Istio cluster name', () => {
  const store = new StatsStore();
  const istio = new IstioMetrics(store, fromNodeMetadata(NODE));
  const info = new StreamInfo();
  info.upstreamCluster = 'outbound|3306||mysql.db.svc.cluster.local';
  istio.tcpOpened(info);
  info.bytesSent = 120;
  info.bytesReceived = 80;
  info.setResponseFlag(ResponseFlag.UpstreamConnectionTermination);
  istio.tcpClosed(info);
  const snap = store.snapshot();
  const value = (m: string): number => snap.counters.filter((c) => c.tagExtractedName === m).reduce((s, c) => s + c.value, 0);
  assert.equal(value('istio_tcp_connections_opened_total'), 1);
  assert.equal(value('istio_tcp_connections_closed_total'), 1);
  assert.equal(value('istio_tcp_sent_bytes_total'), 120);
  assert.equal(value('istio_tcp_received_bytes_total'), 80);
  const closed = snap.counters.find((c) => c.tagExtractedName === 'istio_tcp_connections_closed_total');
  const t = Object.fromEntries(closed?.tags ?? []);
  assert.deepEqual(closed?.tags?.map(([k]) => k), ISTIO_TCP_LABELS);
  assert.equal(t.reporter, 'source');
  assert.equal(t.destination_service_name, 'mysql');
  assert.equal(t.destination_service_namespace, 'db');
  assert.equal(t.request_protocol, 'tcp');
  assert.equal(t.response_flags, 'UC');
});

test('records an HTTP request from StreamInfo, gRPC status included', () => {
  const store = new StatsStore();
  const istio = new IstioMetrics(store, fromNodeMetadata(NODE));
  const info = new StreamInfo();
  info.upstreamCluster = 'inbound|9080||';
  info.responseCode = 200;
  info.durationMs = 5.5;
  info.requestHeaders = HeaderMap.from([['content-type', 'application/grpc']]);
  info.responseTrailers = HeaderMap.from([['grpc-status', '14']]);
  istio.recordRequest(info);
  const t = Object.fromEntries(tagsOf(store, 'istio_requests_total') ?? []);
  assert.equal(t.reporter, 'destination');
  assert.equal(t.request_protocol, 'grpc');
  assert.equal(t.grpc_response_status, '14');
});

test('keeps requests of different clusters, protocols, codes and flags in their own series', () => {
  const store = new StatsStore();
  const istio = new IstioMetrics(store, fromNodeMetadata(NODE));
  const rec = (cluster: string, code: number, flags: number, grpc: boolean): void => {
    const info = new StreamInfo();
    info.upstreamCluster = cluster;
    info.responseCode = code;
    info.responseFlags = flags;
    info.durationMs = 1;
    istio.recordRequest(info, grpc);
  };
  rec('outbound|80||a.ns.svc.cluster.local', 200, 0, false);
  rec('outbound|80||a.ns.svc.cluster.local', 200, 0, false);
  rec('outbound|80||b.ns.svc.cluster.local', 200, 0, false);
  rec('outbound|80||a.ns.svc.cluster.local', 200, 0, true);
  rec('outbound|80||a.ns.svc.cluster.local', 503, 0, false);
  rec('outbound|80||a.ns.svc.cluster.local', 200, 0x2, false);
  rec('outbound|80||a.ns.svc.cluster.local', 200, 0, false);
  const series = store
    .snapshot()
    .counters.filter((c) => c.tagExtractedName === 'istio_requests_total')
    .map((c) => {
      const t = Object.fromEntries(c.tags ?? []);
      return `${t.destination_service_name} ${t.request_protocol} ${t.response_code} ${t.response_flags} ${c.value}`;
    })
    .sort();
  assert.deepEqual(series, ['a grpc 200 - 1', 'a http 200 - 3', 'a http 200 UH 1', 'a http 503 - 1', 'b http 200 - 1']);
});

test('Istio series merge across workers and pass promtool alongside Envoy stats', () => {
  const snaps = [1, 2].map(() => {
    const store = new StatsStore();
    const istio = new IstioMetrics(store, fromNodeMetadata(NODE));
    istio.requestSeries({ reporter: 'source', peer: RATINGS, destination_service: 'ratings.default.svc.cluster.local', response_code: 200 }).record(30, 10, 20);
    istio.tcpSeries({ reporter: 'destination', destination_service: 'db.x.svc.cluster.local' }).connectionOpened();
    store.scope('cluster.outbound|9080||ratings.default.svc.cluster.local', { 'envoy.cluster_name': 'outbound|9080||ratings.default.svc.cluster.local' }).counter('upstream_rq_200').inc();
    return store.snapshot();
  });
  const merged = StatsStore.merge(snaps);
  const text = formatPrometheus(merged);
  assert.match(text, /^istio_requests_total\{reporter="source",source_workload="productpage-v1",.*\} 2$/m);
  assert.match(text, /^istio_request_duration_milliseconds_count\{reporter="source",.*\} 2$/m);
  assert.match(text, /^istio_request_duration_milliseconds_bucket\{.*,le="50"\} 2$/m);
  assert.match(text, /^istio_tcp_connections_opened_total\{reporter="destination",.*\} 2$/m);
  assert.ok(!text.includes('envoy_istio'));
  assertWellGrouped(text);
  assertPromtoolAccepts(text);
});
