// Envoy config types used by the upstream layer, imported in one place.
export type { Cluster__Output } from '@weft/api/envoy/envoy/config/cluster/v3/Cluster.js';
export type { CircuitBreakers__Output } from '@weft/api/envoy/envoy/config/cluster/v3/CircuitBreakers.js';
export type { ClusterLoadAssignment__Output } from '@weft/api/envoy/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
export type { Http1ProtocolOptions__Output } from '@weft/api/envoy/envoy/config/core/v3/Http1ProtocolOptions.js';
export type { HttpProtocolOptions__Output as CommonHttpProtocolOptions__Output } from '@weft/api/envoy/envoy/config/core/v3/HttpProtocolOptions.js';
export type { HttpProtocolOptions__Output } from '@weft/api/envoy/envoy/extensions/upstreams/http/v3/HttpProtocolOptions.js';
export type { OutlierDetection__Output } from '@weft/api/envoy/envoy/config/cluster/v3/OutlierDetection.js';
export type { HealthCheck__Output } from '@weft/api/envoy/envoy/config/core/v3/HealthCheck.js';
