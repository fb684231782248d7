import { collectClusterStatus } from './cluster-status.js';
import { logger, setLogLevel } from './logger.js';
import { restoreBuffers } from '../config/load-bootstrap.js';
import type { XdsUpdate } from '../config/xds/xds-types.js';
import type { ProxyServer } from './proxy-server.js';
import { isMainToWorker, type WorkerToMain } from './worker-protocol.js';

function send(msg: WorkerToMain): void {
  process.send?.(msg);
}

/** Serves the main process's requests in a worker process. */
export function serveWorkerIpc(server: ProxyServer, onShutdown: () => void): void {
  process.on('message', (msg: unknown) => {
    if (!isMainToWorker(msg)) return;
    switch (msg.type) {
      case 'stats':
        server.refreshServerStats();
        send({ type: 'reply', id: msg.id, stats: server.stats.snapshot() });
        return;
      case 'clusters':
        send({ type: 'reply', id: msg.id, clusters: collectClusterStatus(server.clusterManager) });
        return;
      case 'healthcheck':
        server.setHealthCheckFailed(msg.failed);
        send({ type: 'reply', id: msg.id });
        return;
      case 'drain':
        void server.drainListeners({ inboundOnly: msg.inboundOnly, graceful: msg.graceful });
        send({ type: 'reply', id: msg.id });
        return;
      case 'log_level':
        setLogLevel(msg.level);
        send({ type: 'reply', id: msg.id });
        return;
      case 'xds':
        try {
          server.applyXdsUpdate(restoreBuffers(msg.update) as XdsUpdate);
        } catch (err) {
          logger().error({ err, typeUrl: msg.update.typeUrl }, 'worker could not apply an xDS update its main process accepted');
        }
        return;
      case 'shutdown':
        send({ type: 'reply', id: msg.id });
        onShutdown();
        return;
    }
  });
}

export function reportReady(server: ProxyServer): void {
  send({
    type: 'ready',
    listeners: [...server.listeners.values()].map((l) => ({ name: l.name, address: l.listenerConfig.address.host, port: l.port })),
  });
}

export function reportFailed(error: string): void {
  send({ type: 'failed', error });
}
