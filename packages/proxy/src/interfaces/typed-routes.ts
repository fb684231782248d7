/** A route table of a non-HTTP route resource type that xDS may replace; readers take `table` once per call. */
export interface TypedRouteProvider<T> {
  readonly table: T | undefined;
}

/**
 * Route tables over xDS for filters other than the HCM (the rpc_proxy's `rds`): the filter compiles the resource
 * itself. Present only when the bootstrap configures ADS.
 */
export interface TypedRouteSubscriptions {
  /**
   * `compile` validates a resource of `typeUrl` (throwing a ConfigError NACKs the update); `statScope` is where
   * the `rds.<name>.*` stats go (e.g. `rpc.<stat_prefix>`). One provider per (type, name, statScope).
   */
  subscribeTyped<T>(typeUrl: string, routeConfigName: string, statScope: string, compile: (resource: unknown, path: string) => T): TypedRouteProvider<T>;
}
