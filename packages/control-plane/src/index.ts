export { AdsServer, ADS_SERVICE, listenAds, type AdsServerOptions, type PushStats } from './xds/ads-server.js';
export { SILENT_LOGGER, type StreamDebugView, type XdsLogger } from './xds/ads-stream.js';
export { mergeChanges, PushQueue } from './xds/push-queue.js';
export { contentVersion, resourceFromBytes, resourceFromMessage, resourceNameOf, XdsResource } from './xds/resource.js';
export type { ProxyNode, ProxySnapshot, SnapshotChange, SnapshotProvider } from './xds/snapshot.js';
export { StaticSnapshotProvider } from './xds/static-snapshot-provider.js';
export type { NackRecord } from './xds/stream-state.js';
export { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, PUSH_ORDER, ROUTE_TYPE, SECRET_TYPE, type TypeUrl } from './xds/type-urls.js';
export { loadSnapshotFile, parseSnapshotText } from './server/snapshot-file.js';
export { startDebugApi, type DebugApiOptions } from './server/debug-api.js';
export {
  DEFAULT_HTTP_ADDRESS,
  DEFAULT_XDS_ADDRESS,
  parseHostPort,
  startControlPlane,
  type ControlPlaneOptions,
  type RunningControlPlane,
} from './server/control-plane.js';
