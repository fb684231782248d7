export { Cluster, type ClusterConfig, type ClusterDeps, type ClusterType } from './cluster.js';
export { createCluster, parseClusterConfig } from './cluster-factory.js';
export { ClusterManager } from './cluster-manager.js';
export type { ClusterStats } from './cluster-stats.js';
export {
  ConnectionPool,
  type AcquireCallback,
  type ConnectionPoolOptions,
  type PendingHandle,
  type PooledConnection,
} from './connection-pool.js';
export { PoolError, type PoolErrorKind } from './pool-error.js';
export { resolveFamily, systemResolver, type DnsLookupFamily, type DnsResolver } from './dns-resolver.js';
export { hostKey, type Host, type HostStats, type Locality } from './host.js';
export type { LbContext, LoadBalancer } from './load-balancers/base.js';
export { murmurHash2, xxHash64 } from './load-balancers/hash.js';
export type { ClusterHttpOptions } from './protocol-options.js';
