import { ConfigError, joinPath } from '@weft/api/lite';
import type { Cluster__Output } from './envoy-types.js';
import { rejectIfSet, unsupported, wrapped } from './config-util.js';
import type { LbDeps, PriorityLoadBalancer } from './load-balancers/base.js';
import { LeastRequestLoadBalancer } from './load-balancers/least-request.js';
import { DEFAULT_MAGLEV_TABLE_SIZE, MaglevLoadBalancer } from './load-balancers/maglev.js';
import { RandomLoadBalancer } from './load-balancers/random.js';
import { RingHashLoadBalancer, type RingHashOptions } from './load-balancers/ring-hash.js';
import { RoundRobinLoadBalancer } from './load-balancers/round-robin.js';
import type { ZoneAwareConfig } from './load-balancers/zone-aware.js';

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV' | 'CLUSTER_PROVIDED';

/** A validated LB config: builds a fresh load balancer for a cluster. */
export interface LbFactory {
  readonly policy: LbPolicy;
  /** Percent, from `common_lb_config.healthy_panic_threshold` (rounded like Envoy; default 50). */
  readonly panicThreshold: number;
  create(deps: LbDeps): PriorityLoadBalancer;
  /** `common_lb_config.zone_aware_lb_config`; used when a local cluster is configured. */
  readonly zoneAware?: ZoneAwareConfig | undefined;
}

const RING_MIN_DEFAULT = 1024;
const RING_MAX_DEFAULT = 8 * 1024 * 1024;
const RING_SIZE_LIMIT = 8 * 1024 * 1024;
/**
 * Rings are built with BigInt hashes (~1 µs per point): beyond this many points a rebuild would block the event
 * loop for seconds, so larger maximum_ring_size values are capped here (Envoy's default is 8M).
 */
export const RING_SIZE_CAP = 1 << 20;
const MAGLEV_TABLE_LIMIT = 5000011;

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

function useHostnameForHashing(cfg: Cluster__Output, path: string): boolean {
  const ch = cfg.common_lb_config?.consistent_hashing_lb_config;
  if (!ch) return false;
  rejectIfSet(joinPath(path, 'common_lb_config.consistent_hashing_lb_config'), 'hash_balance_factor', ch.hash_balance_factor);
  return ch.use_hostname_for_hashing;
}

function panicThreshold(cfg: Cluster__Output, path: string): number {
  const p = cfg.common_lb_config?.healthy_panic_threshold;
  if (!p) return 50;
  const v = Number(p.value);
  if (!(v >= 0 && v <= 100)) {
    throw new ConfigError(joinPath(path, 'common_lb_config.healthy_panic_threshold.value'), 'must be within [0, 100]');
  }
  return Math.round(v);
}

interface LocalityOptions {
  readonly localityWeighted: boolean;
  readonly zoneAware: ZoneAwareConfig | undefined;
}

function validateCommonLbConfig(cfg: Cluster__Output, path: string): LocalityOptions {
  const c = cfg.common_lb_config;
  if (!c) return { localityWeighted: false, zoneAware: undefined };
  const base = joinPath(path, 'common_lb_config');
  rejectIfSet(base, 'override_host_status', c.override_host_status);
  const spec = c.locality_config_specifier;
  if ((spec === 'locality_weighted_lb_config' || spec === 'zone_aware_lb_config') && (cfg.lb_policy === 'RING_HASH' || cfg.lb_policy === 'MAGLEV')) {
    throw unsupported(base, spec, `${spec} with ${cfg.lb_policy} is not supported yet`);
  }
  if (spec === 'zone_aware_lb_config') {
    const z = c.zone_aware_lb_config;
    const zp = joinPath(base, 'zone_aware_lb_config');
    const enabled = z?.routing_enabled ? Number(z.routing_enabled.value) : 100;
    if (!(enabled >= 0 && enabled <= 100)) throw new ConfigError(joinPath(zp, 'routing_enabled.value'), 'must be within [0, 100]');
    return {
      localityWeighted: false,
      zoneAware: {
        routingEnabled: Math.round(enabled),
        minClusterSize: wrapped(z?.min_cluster_size, 6),
        failTrafficOnPanic: z?.fail_traffic_on_panic ?? false,
      },
    };
  }
  return { localityWeighted: spec === 'locality_weighted_lb_config', zoneAware: undefined };
}

function ringHashOptions(cfg: Cluster__Output, path: string, hostname: boolean): RingHashOptions {
  const rc = cfg.lb_config === 'ring_hash_lb_config' ? cfg.ring_hash_lb_config : null;
  const base = joinPath(path, 'ring_hash_lb_config');
  const min = wrapped(rc?.minimum_ring_size, RING_MIN_DEFAULT);
  const max = wrapped(rc?.maximum_ring_size, RING_MAX_DEFAULT);
  if (min < 1 || min > RING_SIZE_LIMIT) {
    throw new ConfigError(joinPath(base, 'minimum_ring_size'), `must be within [1, ${RING_SIZE_LIMIT}]`);
  }
  if (max > RING_SIZE_LIMIT) throw new ConfigError(joinPath(base, 'maximum_ring_size'), `must be at most ${RING_SIZE_LIMIT}`);
  if (min > max) {
    throw new ConfigError(base, `ring hash: minimum_ring_size (${min}) > maximum_ring_size (${max})`);
  }
  return {
    minimumRingSize: Math.min(min, RING_SIZE_CAP),
    maximumRingSize: Math.min(max, RING_SIZE_CAP),
    hashFunction: rc?.hash_function === 'MURMUR_HASH_2' ? 'MURMUR_HASH_2' : 'XX_HASH',
    useHostnameForHashing: hostname,
  };
}

/** Validates `lb_policy` and its config; throws ConfigError naming the field. */
export function createLbFactory(cfg: Cluster__Output, path: string): LbFactory {
  rejectIfSet(path, 'load_balancing_policy', cfg.load_balancing_policy);
  const { localityWeighted, zoneAware } = validateCommonLbConfig(cfg, path);
  const threshold = panicThreshold(cfg, path);
  const originalDst = cfg.cluster_discovery_type !== 'cluster_type' && cfg.type === 'ORIGINAL_DST';
  if (originalDst && cfg.lb_policy !== 'CLUSTER_PROVIDED') {
    throw new ConfigError(joinPath(path, 'lb_policy'), `LB policy ${String(cfg.lb_policy)} is not valid for Cluster type ORIGINAL_DST. Only 'CLUSTER_PROVIDED' is allowed with cluster type 'ORIGINAL_DST'`);
  }
  switch (cfg.lb_policy) {
    case 'CLUSTER_PROVIDED':
      if (!originalDst) throw new ConfigError(joinPath(path, 'lb_policy'), `LB policy CLUSTER_PROVIDED is only valid with a cluster type that provides its load balancer (ORIGINAL_DST), not ${String(cfg.type)}`);
      // The cluster picks hosts itself (OriginalDstHosts); this balancer only keeps priority state for the admin.
      return { policy: 'CLUSTER_PROVIDED', panicThreshold: threshold, zoneAware: undefined, create: (deps) => new RandomLoadBalancer(deps) };
    case 'ROUND_ROBIN': {
      if (cfg.lb_config === 'round_robin_lb_config') {
        rejectIfSet(joinPath(path, 'round_robin_lb_config'), 'slow_start_config', cfg.round_robin_lb_config?.slow_start_config);
      }
      return { policy: 'ROUND_ROBIN', panicThreshold: threshold, zoneAware, create: (deps) => new RoundRobinLoadBalancer({ ...deps, localityWeighted }) };
    }
    case 'LEAST_REQUEST': {
      const lc = cfg.lb_config === 'least_request_lb_config' ? cfg.least_request_lb_config : null;
      const base = joinPath(path, 'least_request_lb_config');
      const choiceCount = wrapped(lc?.choice_count, 2);
      if (choiceCount < 2) throw new ConfigError(joinPath(base, 'choice_count.value'), 'must be at least 2');
      rejectIfSet(base, 'slow_start_config', lc?.slow_start_config);
      // Envoy falls back to 1.0 for a negative or non-finite bias. The runtime key is not consulted (yet).
      let bias = lc?.active_request_bias ? Number(lc.active_request_bias.default_value) : 1;
      if (!(bias >= 0) || !Number.isFinite(bias)) bias = 1;
      const opts = { choiceCount, activeRequestBias: bias };
      return {
        policy: 'LEAST_REQUEST',
        panicThreshold: threshold,
        zoneAware,
        create: (deps) => new LeastRequestLoadBalancer({ ...deps, localityWeighted }, opts),
      };
    }
    case 'RANDOM':
      return { policy: 'RANDOM', panicThreshold: threshold, zoneAware, create: (deps) => new RandomLoadBalancer({ ...deps, localityWeighted }) };
    case 'RING_HASH': {
      const opts = ringHashOptions(cfg, path, useHostnameForHashing(cfg, path));
      return { policy: 'RING_HASH', panicThreshold: threshold, create: (deps) => new RingHashLoadBalancer(deps, opts) };
    }
    case 'MAGLEV': {
      const mc = cfg.lb_config === 'maglev_lb_config' ? cfg.maglev_lb_config : null;
      const size = wrapped(mc?.table_size, DEFAULT_MAGLEV_TABLE_SIZE);
      const sizePath = joinPath(path, 'maglev_lb_config.table_size.value');
      if (size > MAGLEV_TABLE_LIMIT) throw new ConfigError(sizePath, `must be at most ${MAGLEV_TABLE_LIMIT}`);
      if (!isPrime(size)) throw new ConfigError(sizePath, 'The table size of maglev must be prime number');
      const hostname = useHostnameForHashing(cfg, path);
      return {
        policy: 'MAGLEV',
        panicThreshold: threshold,
        create: (deps) => new MaglevLoadBalancer(deps, size, hostname),
      };
    }
    default:
      throw new ConfigError(joinPath(path, 'lb_policy'), `${String(cfg.lb_policy)} is not supported yet`);
  }
}
