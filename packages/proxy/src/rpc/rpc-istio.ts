import type { StreamInfo } from '../interfaces/stream-info.js';
import { edgeFromClusterName, type IstioMetrics, type IstioRequestEdge } from '../observability/istio-metrics.js';

/** Edges by (protocol, cluster), per metrics instance. */
const edges = new WeakMap<IstioMetrics, Map<string, IstioRequestEdge>>();

/** `istio_requests_total` & co. for one finished RPC request, `request_protocol` = the codec name. */
export function recordIstio(istio: IstioMetrics, protocol: string, info: StreamInfo): void {
  edgeFor(istio, protocol, info.upstreamCluster)
    .series(info.responseCode, info.responseFlags)
    .record(info.durationMs < 0 ? 0 : info.durationMs, info.bytesReceived, info.bytesSent);
}

// The last edge used: consecutive requests mostly share it.
let lastIstio: IstioMetrics | undefined;
let lastProtocol = '';
let lastCluster = '';
let lastEdge: IstioRequestEdge | undefined;

function edgeFor(istio: IstioMetrics, protocol: string, cluster: string): IstioRequestEdge {
  if (lastEdge !== undefined && istio === lastIstio && cluster === lastCluster && protocol === lastProtocol) return lastEdge;
  let byKey = edges.get(istio);
  if (byKey === undefined) {
    byKey = new Map();
    edges.set(istio, byKey);
  }
  const key = `${protocol}|${cluster}`;
  let edge = byKey.get(key);
  if (edge === undefined) {
    edge = istio.requestEdge({ ...edgeFromClusterName(cluster), request_protocol: protocol });
    byKey.set(key, edge);
  }
  lastIstio = istio;
  lastProtocol = protocol;
  lastCluster = cluster;
  lastEdge = edge;
  return edge;
}
