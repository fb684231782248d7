export { AdsServer, ADS_SERVICE, listenAds, type AdsServerOptions, type PushStats } from './xds/ads-server.js';
export { SILENT_LOGGER, type StreamDebugView, type XdsLogger } from './xds/ads-stream.js';
export { mergeChanges, PushQueue } from './xds/push-queue.js';
export { contentVersion, resourceFromBytes, resourceFromMessage, resourceNameOf, setVersion, XdsResource } from './xds/resource.js';
export type { ProxyNode, ProxySnapshot, SnapshotChange, SnapshotProvider } from './xds/snapshot.js';
export { StaticSnapshotProvider } from './xds/static-snapshot-provider.js';
export type { NackRecord } from './xds/stream-state.js';
export { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, PUSH_ORDER, ROUTE_TYPE, RPC_ROUTE_TYPE, SECRET_TYPE, type TypeUrl } from './xds/type-urls.js';
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
export { DirectorySource, type DirectorySourceOptions } from './sources/directory-source.js';
export type { ConfigSource, ConfigSourceFactory, SourceHooks } from './sources/config-source.js';
// etcd3 itself is loaded only when an EtcdSource starts.
export { DEFAULT_ETCD_PREFIX, EtcdSource, parseEtcdEndpoints, type EtcdSourceOptions } from './sources/etcd-source.js';
export { combineChanges, SourceFeed } from './sources/source-feed.js';
export { ConfigStore, isEmptyChange, type ConfigChange, type ConfigSnapshot } from './sources/config-store.js';
export { formatIssue, type ConfigIssue } from './sources/issue.js';
export { resourceKey, type AnyIstioResource, type IstioKind, type IstioResource } from './sources/istio-resource.js';
export { validateDocument } from './sources/validate-resource.js';
export { parseYamlDocuments } from './sources/yaml-documents.js';
export { analyzeResources } from './model/analyze.js';
export { buildModel, type MeshModel, type Service, type ServiceEndpoint, type ServicePort } from './model/mesh-model.js';
export { affectedBy, isAffectedResource, TYPE_URLS, type PushScope, type TypeUrl as ModelTypeUrl } from './model/affected-by.js';
export { proxyIdentityFromNode, type ProxyIdentity, type XdsNode } from './translate/proxy-identity.js';
export { translateForProxy, type ProxyResources } from './translate/translate-for-proxy.js';
export { translateForGrpc } from './translate/proxyless.js';
export { translateFor } from './translate/translate.js';
export { IstioSnapshotProvider, plainStruct } from './server/istio-snapshot-provider.js';
export { startIstioSource, type RunningIstioSource } from './server/istio-source.js';
