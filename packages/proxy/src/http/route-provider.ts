import type { RouteTable, StripPortMode } from '../router/route-table.js';

/** A route table that RDS may replace; each stream reads `table` once, when it starts. */
export interface RouteProvider {
  readonly table: RouteTable | undefined;
}

/** Where an HCM with `rds` gets its route table (present only when the bootstrap configures ADS). */
export interface RdsSubscriptions {
  subscribe(routeConfigName: string, stripPortMode: StripPortMode, statPrefix: string): RouteProvider;
}
