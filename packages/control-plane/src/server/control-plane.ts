import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { Server as HttpServer } from 'node:http';
import { AdsServer, listenAds } from '../xds/ads-server.js';
import type { XdsLogger } from '../xds/ads-stream.js';
import type { SnapshotProvider } from '../xds/snapshot.js';
import { startDebugApi, type DebugApiOptions } from './debug-api.js';

export interface ControlPlaneOptions {
  readonly provider: SnapshotProvider;
  /** gRPC ADS address `host:port` (default 127.0.0.1:15010). */
  readonly xdsAddress?: string;
  /** Debug/admin HTTP address `host:port` (default 127.0.0.1:15014). */
  readonly httpAddress?: string;
  readonly debounceMs?: number;
  readonly logger?: XdsLogger;
  /** Extra debug views (config source issues, registry). */
  readonly debug?: Partial<Pick<DebugApiOptions, 'configIssues' | 'configSource' | 'registry' | 'ready'>>;
}

export interface RunningControlPlane {
  readonly ads: AdsServer;
  readonly xdsPort: number;
  readonly httpPort: number;
  close(): Promise<void>;
}

export const DEFAULT_XDS_ADDRESS = '127.0.0.1:15010';
export const DEFAULT_HTTP_ADDRESS = '127.0.0.1:15014';

/** Splits `host:port` (`[v6]:port` too); throws naming the option when malformed. */
export function parseHostPort(value: string, option: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`${option} must be host:port, got '${value}'`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Starts the ADS gRPC server and the debug HTTP API around a snapshot provider. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<RunningControlPlane> {
  const xdsAddress = opts.xdsAddress ?? DEFAULT_XDS_ADDRESS;
  const http = parseHostPort(opts.httpAddress ?? DEFAULT_HTTP_ADDRESS, '--http-address');
  parseHostPort(xdsAddress, '--xds-address');
  const ads = new AdsServer({
    provider: opts.provider,
    ...(opts.debounceMs !== undefined ? { debounceMs: opts.debounceMs } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  let grpc: GrpcServer | undefined;
  let httpServer: HttpServer | undefined;
  try {
    const bound = await listenAds(ads, xdsAddress);
    grpc = bound.server;
    const api = await startDebugApi({ ads, ready: () => true, ...opts.debug }, http.host, http.port);
    httpServer = api.server;
    const grpcServer = grpc;
    const server = httpServer;
    return {
      ads,
      xdsPort: bound.port,
      httpPort: api.port,
      close: async () => {
        ads.close();
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await httpClosed;
        await new Promise<void>((resolve) => {
          grpcServer.tryShutdown(() => resolve());
          setTimeout(() => grpcServer.forceShutdown(), 500).unref();
        });
      },
    };
  } catch (err) {
    ads.close();
    grpc?.forceShutdown();
    throw err;
  }
}
