import { isIP } from 'node:net';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { ClusterLoadAssignment__Output } from './envoy-types.js';
import { rejectIfSet, unsupported, wrapped } from './config-util.js';
import { EMPTY_LOCALITY, NO_LABELS, type Locality } from './host.js';
import { valueToJson } from '../config/struct.js';

/** One `lb_endpoint` of the load assignment, validated. `address` is an IP (STATIC) or a DNS name. */
export interface EndpointSpec {
  readonly address: string;
  readonly port: number;
  readonly hostname: string;
  readonly weight: number;
  readonly priority: number;
  readonly locality: Locality;
  readonly localityWeight: number;
  readonly healthy: boolean;
  readonly degraded: boolean;
  /** String values of the endpoint's `metadata.filter_metadata["envoy.lb"]` (subset selection by labels). */
  readonly labels: ReadonlyMap<string, string>;
  /** Config path of the endpoint's socket address (for errors). */
  readonly path: string;
}

export interface LoadAssignment {
  readonly endpoints: readonly EndpointSpec[];
  /** Percent (`policy.overprovisioning_factor`, default 140). */
  readonly overprovisioningFactor: number;
  readonly weightedPriorityHealth: boolean;
}

export const DEFAULT_OVERPROVISIONING_FACTOR = 140;

/**
 * Parses `load_assignment`. With `requireIp` (STATIC) every address must be an IP literal, like Envoy's
 * "malformed IP address" check.
 */
export function parseLoadAssignment(
  la: ClusterLoadAssignment__Output | null,
  path: string,
  requireIp: boolean,
): LoadAssignment {
  if (!la) return { endpoints: [], overprovisioningFactor: DEFAULT_OVERPROVISIONING_FACTOR, weightedPriorityHealth: false };
  let factor = DEFAULT_OVERPROVISIONING_FACTOR;
  let weighted = false;
  if (la.policy) {
    const pp = joinPath(path, 'policy');
    rejectIfSet(pp, 'drop_overloads', la.policy.drop_overloads);
    rejectIfSet(pp, 'endpoint_stale_after', la.policy.endpoint_stale_after);
    factor = wrapped(la.policy.overprovisioning_factor, DEFAULT_OVERPROVISIONING_FACTOR);
    if (factor <= 0) throw new ConfigError(joinPath(pp, 'overprovisioning_factor.value'), 'must be greater than 0');
    weighted = la.policy.weighted_priority_health;
  }
  rejectIfSet(path, 'named_endpoints', la.named_endpoints);
  const out: EndpointSpec[] = [];
  la.endpoints.forEach((lle, i) => {
    const lp = joinPath(joinPath(path, 'endpoints'), i);
    if (lle.lb_config) throw unsupported(lp, lle.lb_config);
    const localityWeight = wrapped(lle.load_balancing_weight, 0);
    if (lle.load_balancing_weight && localityWeight < 1) {
      throw new ConfigError(joinPath(lp, 'load_balancing_weight.value'), 'must be at least 1');
    }
    if (lle.priority > 128) throw new ConfigError(joinPath(lp, 'priority'), 'must be at most 128');
    const locality: Locality = lle.locality
      ? { region: lle.locality.region, zone: lle.locality.zone, subZone: lle.locality.sub_zone }
      : EMPTY_LOCALITY;
    lle.lb_endpoints.forEach((lbe, j) => {
      const ep = joinPath(joinPath(lp, 'lb_endpoints'), j);
      if (lbe.host_identifier !== 'endpoint' || !lbe.endpoint) {
        throw lbe.host_identifier === 'endpoint_name'
          ? unsupported(ep, 'endpoint_name')
          : new ConfigError(joinPath(ep, 'endpoint'), 'is required');
      }
      const e = lbe.endpoint;
      rejectIfSet(joinPath(ep, 'endpoint'), 'additional_addresses', e.additional_addresses);
      const ap = joinPath(ep, 'endpoint.address');
      if (!e.address) throw new ConfigError(ap, 'is required');
      if (e.address.address !== 'socket_address' || !e.address.socket_address) {
        throw e.address.address ? unsupported(ap, e.address.address) : new ConfigError(ap, 'is required');
      }
      const sa = e.address.socket_address;
      const sp = joinPath(ap, 'socket_address');
      if (sa.protocol !== 'TCP') throw new ConfigError(joinPath(sp, 'protocol'), `${sa.protocol} is not supported yet`);
      rejectIfSet(sp, 'resolver_name', sa.resolver_name);
      if (sa.port_specifier !== 'port_value') {
        throw sa.port_specifier === 'named_port'
          ? unsupported(sp, 'named_port')
          : new ConfigError(joinPath(sp, 'port_value'), 'is required');
      }
      const port = sa.port_value ?? 0;
      if (port > 65535) throw new ConfigError(joinPath(sp, 'port_value'), 'must be at most 65535');
      if (sa.address === '') throw new ConfigError(joinPath(sp, 'address'), 'must not be empty');
      if (requireIp && isIP(sa.address) === 0) {
        throw new ConfigError(
          joinPath(sp, 'address'),
          `malformed IP address: ${sa.address}. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'`,
        );
      }
      const weight = wrapped(lbe.load_balancing_weight, 1);
      if (weight < 1) throw new ConfigError(joinPath(ep, 'load_balancing_weight.value'), 'must be at least 1');
      const hs = lbe.health_status;
      out.push({
        address: sa.address,
        port,
        hostname: e.hostname,
        weight,
        priority: lle.priority,
        locality,
        localityWeight,
        healthy: hs !== 'UNHEALTHY' && hs !== 'DRAINING' && hs !== 'TIMEOUT',
        degraded: hs === 'DEGRADED',
        labels: lbLabels(lbe.metadata),
        path: sp,
      });
    });
  });
  return { endpoints: out, overprovisioningFactor: factor, weightedPriorityHealth: weighted };
}

interface MetadataLike {
  readonly filter_metadata: Record<string, { readonly fields: Record<string, Parameters<typeof valueToJson>[0]> }>;
}

/** `envoy.lb` metadata as labels: strings as is, numbers and booleans in their text form, other values skipped. */
function lbLabels(md: MetadataLike | null | undefined): ReadonlyMap<string, string> {
  const lb = md?.filter_metadata['envoy.lb'];
  if (lb === undefined) return NO_LABELS;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(lb.fields)) {
    const j = valueToJson(v);
    if (typeof j === 'string' || typeof j === 'number' || typeof j === 'boolean') out.set(k, String(j));
  }
  return out.size === 0 ? NO_LABELS : out;
}
