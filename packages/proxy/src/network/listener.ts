import net from 'node:net';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { Listener__Output } from '@weft/api/envoy/envoy/config/listener/v3/Listener.js';
import type { Drainable, DownstreamConnection, NetworkFilterHandler } from '../interfaces/network-filter.js';
import type { Counter, Gauge, Histogram } from '../interfaces/stats.js';
import { StreamInfo } from '../interfaces/stream-info.js';
import type { FactoryContext } from '../server/factory-context.js';
import { formatAddress, normalizeIp, parseSocketAddress, type SocketAddress } from './address.js';
import { FilterChainMatcher, type ConnectionMeta } from './filter-chain-match.js';
import { createNetworkFilterChain } from './network-filter-registry.js';

const DEFAULT_BUFFER_LIMIT = 1024 * 1024;
let nextConnectionId = 1;

interface ListenerStats {
  cxTotal: Counter;
  cxActive: Gauge;
  cxDestroy: Counter;
  cxLength: Histogram;
  noFilterChainMatch: Counter;
}

/** A compiled listener: address, filter chains and limits. Immutable; a config change builds a new one. */
export class ListenerConfig {
  readonly name: string;
  readonly address: SocketAddress;
  readonly bufferLimitBytes: number;
  readonly matcher: FilterChainMatcher<NetworkFilterHandler>;
  readonly statPrefix: string;
  readonly bindToPort: boolean;
  /** The source message, for /config_dump and change detection. */
  readonly source: Listener__Output;
  readonly hash: string;

  constructor(cfg: Listener__Output, path: string, ctx: FactoryContext) {
    if (!cfg.name) throw new ConfigError(joinPath(path, 'name'), 'is required');
    this.name = cfg.name;
    this.source = cfg;
    this.hash = JSON.stringify(cfg);
    this.address = parseSocketAddress(cfg.address, joinPath(path, 'address'));
    this.bufferLimitBytes = cfg.per_connection_buffer_limit_bytes ? cfg.per_connection_buffer_limit_bytes.value : DEFAULT_BUFFER_LIMIT;
    this.bindToPort = cfg.bind_to_port ? cfg.bind_to_port.value : true;
    this.statPrefix = cfg.stat_prefix || listenerStatName(this.address.host, this.address.port);
    rejectUnsupported(cfg, path);
    ctx = { ...ctx, direction: cfg.traffic_direction === 'INBOUND' ? 'inbound' : 'outbound' };
    const defaultChain = cfg.default_filter_chain
      ? createNetworkFilterChain(cfg.default_filter_chain, joinPath(path, 'default_filter_chain'), ctx)
      : undefined;
    this.matcher = new FilterChainMatcher(defaultChain);
    cfg.filter_chains.forEach((chain, i) => {
      const p = joinPath(joinPath(path, 'filter_chains'), i);
      this.matcher.add(chain.filter_chain_match, createNetworkFilterChain(chain, p, ctx), p);
    });
    if (this.matcher.size === 0 && !defaultChain) throw new ConfigError(joinPath(path, 'filter_chains'), 'at least one filter chain is required');
    if (this.matcher.needsTlsInspection()) {
      throw new ConfigError(joinPath(path, 'filter_chains'), 'server_names / transport_protocol "tls" / application_protocols need the TLS inspector, which is not supported yet');
    }
  }
}

function rejectUnsupported(cfg: Listener__Output, path: string): void {
  const unsupported: Array<[string, boolean]> = [
    ['listener_filters', cfg.listener_filters.length > 0],
    ['use_original_dst', !!cfg.use_original_dst?.value],
    ['transparent', !!cfg.transparent?.value],
    ['freebind', !!cfg.freebind?.value],
    ['udp_listener_config', !!cfg.udp_listener_config],
    ['api_listener', !!cfg.api_listener],
    ['connection_balance_config', !!cfg.connection_balance_config],
    ['internal_listener', !!cfg.internal_listener],
    ['additional_addresses', cfg.additional_addresses.length > 0],
    ['filter_chain_matcher', !!cfg.filter_chain_matcher],
  ];
  for (const [field, set] of unsupported) {
    if (set) throw new ConfigError(joinPath(path, field), 'is not supported yet');
  }
  cfg.filter_chains.forEach((chain, i) => {
    const ts = chain.transport_socket;
    if (ts && ts.name !== 'envoy.transport_sockets.raw_buffer') {
      throw new ConfigError(joinPath(joinPath(joinPath(path, 'filter_chains'), i), 'transport_socket'), `transport socket '${ts.name}' is not supported yet`);
    }
  });
}

class ActiveConnection implements DownstreamConnection {
  readonly info = new StreamInfo();
  draining = false;
  private drainable: Drainable | undefined;

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
    readonly meta: ConnectionMeta,
    readonly listenerName: string,
    readonly bufferLimitBytes: number,
  ) {
    this.info.connectionId = id;
    this.info.startMonotonicMs = performance.now();
    this.info.downstreamRemoteAddress = meta.sourceIp;
    this.info.downstreamRemotePort = meta.sourcePort;
    this.info.downstreamLocalAddress = meta.destinationIp;
    this.info.downstreamLocalPort = meta.destinationPort;
    this.info.downstreamDirectRemoteAddress = meta.sourceIp;
  }

  setDrainable(drainable: Drainable): void {
    this.drainable = drainable;
  }

  startDrain(): void {
    if (this.draining) return;
    this.draining = true;
    this.drainable?.startDrain();
  }

  close(reason: string): void {
    if (this.drainable) this.drainable.close(reason);
    else this.socket.destroy();
  }
}

/** A listener bound to its socket. Config may be swapped for one with the same address without rebinding. */
export class ActiveListener {
  private server: net.Server | undefined;
  private readonly connections = new Set<ActiveConnection>();
  private stats: ListenerStats;
  private draining = false;
  private drainDone: Promise<void> | undefined;
  private boundPort = 0;

  constructor(
    private config: ListenerConfig,
    private readonly ctx: FactoryContext,
  ) {
    this.stats = this.makeStats();
  }

  get name(): string {
    return this.config.name;
  }

  get listenerConfig(): ListenerConfig {
    return this.config;
  }

  /** The bound port (differs from the configured one when it was 0). */
  get port(): number {
    return this.boundPort || this.config.address.port;
  }

  get activeConnections(): number {
    return this.connections.size;
  }

  async listen(): Promise<void> {
    if (!this.config.bindToPort) return;
    // allowHalfOpen: a client's FIN must not end our side (tcp_proxy relays half-close; HCM closes explicitly).
    const server = net.createServer({ noDelay: true, highWaterMark: this.config.bufferLimitBytes, allowHalfOpen: true });
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('error', (err) => this.ctx.logger.error({ err, listener: this.name }, 'listener error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.config.address.host, port: this.config.address.port, backlog: 1024, ipv6Only: this.config.address.family === 6 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.boundPort = addr.port;
    // Envoy names listener stats after the bound address: with port 0 that is known only now.
    if (this.config.address.port === 0 && !this.config.source.stat_prefix) this.stats = this.makeStats();
  }

  /** In-place update (same address): new connections use the new filter chains; existing ones keep theirs. */
  update(config: ListenerConfig): void {
    this.config = config;
    this.stats = this.makeStats();
  }

  /**
   * LDS update in place (same address): new connections get the new filter chains; the existing ones drain and
   * whatever is left after `drainMs` is closed.
   */
  updateAndDrainOld(config: ListenerConfig, drainMs: number): void {
    const old = [...this.connections];
    this.update(config);
    for (const c of old) c.startDrain();
    if (old.length === 0) return;
    setTimeout(() => {
      for (const c of old) if (this.connections.has(c)) c.close('listener update drain timeout');
    }, drainMs).unref();
  }

  /**
   * Envoy's graceful drain: for `drainMs` the listener keeps accepting, but every connection (existing and new) is
   * draining — HTTP/1 answers with `connection: close`, idle ones close now. Then the listener closes and whatever
   * is left is closed. Resolves at the end of the drain period.
   */
  drain(drainMs: number): Promise<void> {
    if (this.draining) return this.drainDone ?? Promise.resolve();
    this.draining = true;
    for (const c of [...this.connections]) c.startDrain();
    this.drainDone = new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.server?.close();
        for (const c of [...this.connections]) c.close('listener drain timeout');
        resolve();
      }, drainMs);
      t.unref();
    });
    return this.drainDone;
  }

  /** Stop accepting new connections but keep existing ones (`/drain_listeners` without graceful close). */
  stopListening(): void {
    this.server?.close();
  }

  close(): void {
    this.server?.close();
    for (const c of [...this.connections]) c.close('listener closed');
  }

  private makeStats(): ListenerStats {
    const prefix = this.boundPort && !this.config.source.stat_prefix ? listenerStatName(this.config.address.host, this.boundPort) : this.config.statPrefix;
    const scope = this.ctx.stats.scope(`listener.${prefix}`);
    return {
      cxTotal: scope.counter('downstream_cx_total'),
      cxActive: scope.gauge('downstream_cx_active'),
      cxDestroy: scope.counter('downstream_cx_destroy'),
      cxLength: scope.histogram('downstream_cx_length_ms', 'milliseconds'),
      noFilterChainMatch: scope.counter('no_filter_chain_match'),
    };
  }

  private onConnection(socket: net.Socket): void {
    const meta: ConnectionMeta = {
      destinationIp: normalizeIp(socket.localAddress),
      destinationPort: socket.localPort ?? 0,
      sourceIp: normalizeIp(socket.remoteAddress),
      sourcePort: socket.remotePort ?? 0,
      directSourceIp: normalizeIp(socket.remoteAddress),
      serverName: '',
      transportProtocol: 'raw_buffer',
      applicationProtocols: [],
    };
    const stats = this.stats;
    stats.cxTotal.inc();
    const handler = this.config.matcher.select(meta);
    if (!handler) {
      stats.noFilterChainMatch.inc();
      socket.destroy();
      return;
    }
    const conn = new ActiveConnection(nextConnectionId++, socket, meta, this.config.name, this.config.bufferLimitBytes);
    // Accepted during a drain: served, but told to go away after its first response.
    if (this.draining) conn.draining = true;
    this.connections.add(conn);
    stats.cxActive.inc();
    socket.once('close', () => {
      this.connections.delete(conn);
      stats.cxActive.dec();
      stats.cxDestroy.inc();
      stats.cxLength.record(performance.now() - conn.info.startMonotonicMs);
    });
    // Errors are surfaced through 'close'; an unhandled 'error' would crash the process.
    socket.on('error', noop);
    handler(conn);
  }
}

function noop(): void {}

/** Envoy's listener stat name: the address with ':' replaced (`127.0.0.1_10000`, `[__1]_10000`). */
function listenerStatName(host: string, port: number): string {
  return formatAddress(host, port).replace(/:/g, '_');
}
