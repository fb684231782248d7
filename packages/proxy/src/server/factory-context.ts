import type { Logger } from './logger.js';
import type { Runtime } from '../interfaces/runtime.js';
import type { Scope } from '../interfaces/stats.js';
import type { ClusterManager } from '../upstream/cluster-manager.js';
import type { IstioMetrics } from '../observability/istio-metrics.js';
import type { DeadlineQueues } from './deadline-queue.js';
import type { RdsSubscriptions } from '../http/route-provider.js';
import type { TypedRouteSubscriptions } from '../interfaces/typed-routes.js';
import type { SecretStore } from '../tls/secret-store.js';

/** Everything an extension factory may use when it turns its config into a per-connection/per-stream handler. */
export interface FactoryContext {
  readonly clusterManager: ClusterManager;
  readonly stats: Scope;
  readonly runtime: Runtime;
  readonly deadlines: DeadlineQueues;
  readonly istio: IstioMetrics;
  readonly logger: Logger;
  /** Local host name, for `%HOSTNAME%`. */
  readonly hostname: string;
  /** Whether the server is draining (`/healthcheck/fail` or shutdown): HCM adds `connection: close`. */
  readonly drainState: DrainState;
  /** Listener traffic direction: 'inbound' listeners report Istio metrics as the destination. */
  readonly direction: 'inbound' | 'outbound';
  /** The bootstrap's node.cluster (`x-envoy-upstream-healthchecked-cluster`). */
  readonly localClusterName?: string;
  /** RDS (HCM `rds`), when the bootstrap configures ADS. */
  readonly rds?: RdsSubscriptions | undefined;
  /** Route tables over xDS for other filters (the rpc_proxy's `rds`), when the bootstrap configures ADS. */
  readonly routeSubscriptions?: TypedRouteSubscriptions | undefined;
  /**
   * Whether a cluster is known but not active yet (a CDS cluster warming until its endpoints arrive). Envoy's
   * tcp_proxy takes such a cluster: connections before it is active count `downstream_cx_no_route`.
   */
  readonly clusterWarming?: ((name: string) => boolean) | undefined;
  /** `static_resources.secrets` for TLS contexts that reference secrets by name. */
  readonly secrets?: SecretStore | undefined;
}

/** Server-wide drain/health state shared by listeners and connection managers. */
export class DrainState {
  healthCheckFailed = false;
  draining = false;
}
