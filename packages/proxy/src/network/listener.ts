import net from 'node:net';
import { ConfigError, joinPath } from '@weft/api/lite';
import type { Listener__Output } from '@weft/api/envoy/envoy/config/listener/v3/Listener.js';
import type { NetworkFilterHandler } from '../interfaces/network-filter.js';
import type { Counter, Gauge, Histogram } from '../interfaces/stats.js';
import { deadlineTimer, type Deadline, type DeadlineList } from '../server/deadline-queue.js';
import { durationMs } from '../server/duration.js';
import { rawHandleOf, takeInheritedListener, type RawListenHandle } from '../server/hot-upgrade/inherited-listeners.js';
import type { FactoryContext } from '../server/factory-context.js';
import type { DownstreamTls } from '../tls/downstream-tls.js';
import { SslStats } from '../tls/ssl-stats.js';
import { parseDownstreamTransportSocket } from '../tls/transport-socket-config.js';
import { AcceptingConnection, type AcceptOwner } from './accepting-connection.js';
import type { DetachedConnection } from './detached-connection.js';
import { detachIdle, detachWhenIdle, type ReleaseConnection } from './listener-detach.js';
import { ActiveConnection } from './active-connection.js';
import { formatAddress, parseSocketAddress, type SocketAddress } from './address.js';
import { socketMeta } from './socket-meta.js';
import { startReading } from './socket-handoff.js';
import { FilterChainMatcher } from './filter-chain-match.js';
import { createListenerFilters, type CompiledListenerFilter, type MutableConnectionMeta } from './listener-filter-registry.js';
import { createNetworkFilterChain } from './network-filter-registry.js';
import { findListenerByAddress } from './listener-lookup.js';
import { ORIGINAL_DST_FILTER_NAME, ORIGINAL_DST_FILTER_TYPE, OriginalDstFilter, originalDstUnavailable } from './original-dst.js';

const DEFAULT_BUFFER_LIMIT = 1024 * 1024;
/** Envoy's default `listener_filters_timeout`. */
const DEFAULT_LISTENER_FILTERS_TIMEOUT_MS = 15000;
const TLS_INSPECTOR_TYPE = 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

/** A compiled filter chain: its terminal filter and, for TLS chains, the server TLS context. */
export interface FilterChainEntry {
  readonly handler: NetworkFilterHandler;
  readonly tls: DownstreamTls | undefined;
  /** transport_socket_connect_timeout in ms; 0 = none. */
  readonly handshakeTimeoutMs: number;
}

interface ListenerStats {
  cxTotal: Counter;
  cxActive: Gauge;
  cxDestroy: Counter;
  cxLength: Histogram;
  noFilterChainMatch: Counter;
  preCxTimeout: Counter;
  preCxActive: Gauge;
  listenerFilterRemoteClose: Counter;
  transportSocketConnectTimeout: Counter;
  /** Hot upgrade (no Envoy equivalent): connections handed to the next process / taken over from the previous one. */
  cxDetached: Counter;
  cxAdopted: Counter;
  ssl: SslStats;
}

/** A compiled listener: address, filter chains and limits. Immutable; a config change builds a new one. */
export class ListenerConfig {
  readonly name: string;
  readonly address: SocketAddress;
  readonly bufferLimitBytes: number;
  readonly matcher: FilterChainMatcher<FilterChainEntry>;
  readonly listenerFilters: readonly CompiledListenerFilter[];
  /** 0 = no timeout. */
  readonly listenerFiltersTimeoutMs: number;
  readonly continueOnListenerFiltersTimeout: boolean;
  readonly statPrefix: string;
  readonly bindToPort: boolean;
  /** `use_original_dst`: redirected connections go to the listener of their original destination, if any. */
  readonly useOriginalDst: boolean;
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
    this.useOriginalDst = cfg.use_original_dst?.value === true;
    const filters = createListenerFilters(cfg.listener_filters, path, ctx);
    if (this.useOriginalDst && !filters.some((f) => f.configType === ORIGINAL_DST_FILTER_TYPE)) {
      // As in Envoy, use_original_dst implies the original_dst listener filter (first, so the others see the restored address).
      const why = originalDstUnavailable();
      if (why !== undefined) throw new ConfigError(joinPath(path, 'use_original_dst'), why);
      filters.unshift({ name: ORIGINAL_DST_FILTER_NAME, configType: ORIGINAL_DST_FILTER_TYPE, filter: new OriginalDstFilter() });
    }
    this.listenerFilters = filters;
    this.listenerFiltersTimeoutMs = durationMs(cfg.listener_filters_timeout, DEFAULT_LISTENER_FILTERS_TIMEOUT_MS);
    this.continueOnListenerFiltersTimeout = cfg.continue_on_listener_filters_timeout;
    const defaultChain = cfg.default_filter_chain ? compileChain(cfg.default_filter_chain, joinPath(path, 'default_filter_chain'), ctx) : undefined;
    this.matcher = new FilterChainMatcher(defaultChain);
    cfg.filter_chains.forEach((chain, i) => {
      const p = joinPath(joinPath(path, 'filter_chains'), i);
      this.matcher.add(chain.filter_chain_match, compileChain(chain, p, ctx), p);
    });
    if (this.matcher.size === 0 && !defaultChain) throw new ConfigError(joinPath(path, 'filter_chains'), 'at least one filter chain is required');
    if (this.matcher.needsTlsInspection() && !this.listenerFilters.some((f) => f.configType === TLS_INSPECTOR_TYPE)) {
      throw new ConfigError(joinPath(path, 'filter_chains'), 'server_names / transport_protocol "tls" / application_protocols need the envoy.filters.listener.tls_inspector listener filter');
    }
  }
}

function compileChain(chain: Listener__Output['filter_chains'][number], path: string, ctx: FactoryContext): FilterChainEntry {
  const tls = parseDownstreamTransportSocket(chain.transport_socket, joinPath(path, 'transport_socket'), ctx.secrets);
  return { handler: createNetworkFilterChain(chain, path, ctx), tls, handshakeTimeoutMs: durationMs(chain.transport_socket_connect_timeout, 0) };
}

function rejectUnsupported(cfg: Listener__Output, path: string): void {
  const unsupported: Array<[string, boolean]> = [
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
}

/** A listener bound to its socket. Config may be swapped for one with the same address without rebinding. */
export class ActiveListener implements AcceptOwner {
  private server: net.Server | undefined;
  private readonly connections = new Set<ActiveConnection>();
  /** Connections still running listener filters. */
  private readonly accepting = new Set<AcceptingConnection>();
  private stats: ListenerStats;
  private draining = false;
  private drainDone: Promise<void> | undefined;
  private boundPort = 0;

  constructor(
    private config: ListenerConfig,
    private readonly ctx: FactoryContext,
    /** Every listener of the server, for the `use_original_dst` hand-off. */
    private readonly peers?: ReadonlyMap<string, ActiveListener>,
  ) {
    this.stats = this.makeStats();
  }

  get name(): string {
    return this.config.name;
  }

  get listenerConfig(): ListenerConfig {
    return this.config;
  }

  get address(): SocketAddress {
    return this.config.address;
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
    const { host, port } = this.config.address;
    // Hot upgrade: the previous process's listening socket, if it handed one over for this listener (never rebind).
    const inherited = takeInheritedListener(this.config.name, host, port);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (inherited) server.listen(inherited, 1024, done);
      else server.listen({ host, port, backlog: 1024, ipv6Only: this.config.address.family === 6 }, done);
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
        this.abandonAccepting();
        for (const c of [...this.connections]) c.close('listener drain timeout');
        resolve();
      }, drainMs);
      t.unref();
    });
    return this.drainDone;
  }

  /** The listening socket's raw handle, for a hot upgrade to hand over (undefined when not bound). */
  rawHandle(): RawListenHandle | undefined {
    return rawHandleOf(this.server);
  }

  /** Connections accepted and not yet closed (including those still in listener filters). */
  get openConnections(): number {
    return this.connections.size + this.accepting.size;
  }

  /**
   * Hot upgrade, after the next process took over the listening socket: every connection drains (HTTP/1
   * `connection: close` on its next response, HTTP/2 GOAWAY, RPC graceful close) and nothing new is accepted.
   */
  drainConnections(): void {
    this.draining = true;
    for (const c of [...this.connections]) c.startDrain();
  }

  /** Stop accepting new connections but keep existing ones (`/drain_listeners` without graceful close). */
  stopListening(): void {
    this.server?.close();
  }

  close(): void {
    this.server?.close();
    this.abandonAccepting();
    for (const c of [...this.connections]) c.close('listener closed');
  }

  /** Closes connections still in their listener filters. */
  private abandonAccepting(): void {
    for (const a of this.accepting) {
      this.stats.preCxActive.dec();
      a.abandon();
    }
    this.accepting.clear();
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
      preCxTimeout: scope.counter('downstream_pre_cx_timeout'),
      preCxActive: scope.gauge('downstream_pre_cx_active'),
      listenerFilterRemoteClose: scope.counter('downstream_listener_filter_remote_close'),
      transportSocketConnectTimeout: scope.counter('downstream_cx_transport_socket_connect_timeout'),
      cxDetached: scope.counter('downstream_cx_detached'),
      cxAdopted: scope.counter('downstream_cx_adopted'),
      ssl: new SslStats(scope),
    };
  }

  /** Hot upgrade, OLD side (listener-detach.ts): counted as closed here, and in `downstream_cx_detached`. */
  detachIdle(): DetachedConnection[] {
    return detachIdle([...this.connections], this.release);
  }

  detachWhenIdle(onDetached: (c: DetachedConnection) => void, onSettled: (c: ActiveConnection) => void): ActiveConnection[] {
    return detachWhenIdle([...this.connections], this.release, onDetached, onSettled);
  }

  private readonly release: ReleaseConnection = (c, d) => {
    c.handedOff();
    this.stats.cxDetached.inc();
    return { listenerName: this.name, socket: d.socket, unread: d.unread };
  };

  /**
   * Hot upgrade, NEW side: serves a socket the previous process detached as a freshly accepted connection (filter
   * chain match on its addresses, accept stats, plus `downstream_cx_adopted`) without running listener filters
   * again; `unread` is put back in front of whatever the socket reads next, so protocol detection starts over.
   */
  adopt(socket: net.Socket, unread: Buffer): void {
    // A socket received over IPC is read into its buffer at once (net.Socket with a handle calls read(0)) but does
    // not flow until someone listens for 'data' or resumes it: nothing is lost before the filter attaches. pause()
    // makes sure attaching 'data' does not start the flow before selectChain resumes it.
    socket.pause();
    socket.on('error', noop);
    // Sockets Node builds from a passed handle default to allowHalfOpen false; this listener's sockets are half-open.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    this.stats.cxTotal.inc();
    this.stats.cxAdopted.inc();
    if (unread.length > 0) socket.unshift(unread);
    this.selectChain(socket, socketMeta(socket), performance.now(), true, true);
    startReading(socket);
  }

  private onConnection(socket: net.Socket): void {
    const meta = socketMeta(socket);
    const acceptedAt = performance.now();
    this.stats.cxTotal.inc();
    // Errors are surfaced through 'close'; an unhandled 'error' would crash the process.
    socket.on('error', noop);
    this.runListenerFilters(socket, meta, acceptedAt, false);
  }

  /** A redirected connection handed over by the listener that accepted it (`use_original_dst`). */
  acceptHandedOff(socket: net.Socket, meta: MutableConnectionMeta, acceptedAt: number): void {
    this.stats.cxTotal.inc();
    this.runListenerFilters(socket, meta, acceptedAt, true);
  }

  private runListenerFilters(socket: net.Socket, meta: MutableConnectionMeta, acceptedAt: number, peeked: boolean): void {
    const cfg = this.config;
    if (cfg.listenerFilters.length === 0) {
      this.selectChain(socket, meta, acceptedAt, peeked);
      return;
    }
    const timeout = cfg.listenerFiltersTimeoutMs > 0 ? this.timeoutList(cfg.listenerFiltersTimeoutMs) : undefined;
    const a = new AcceptingConnection(socket, meta, cfg.listenerFilters, this, timeout, acceptedAt);
    this.accepting.add(a);
    this.stats.preCxActive.inc();
    a.start();
  }

  onListenerFiltersDone(a: AcceptingConnection, ok: boolean, peerClosed: boolean): void {
    this.accepting.delete(a);
    this.stats.preCxActive.dec();
    if (peerClosed) this.stats.listenerFilterRemoteClose.inc();
    if (!ok || a.socket.destroyed) {
      a.socket.destroy();
      return;
    }
    if (this.config.useOriginalDst && a.meta.localAddressRestored === true && this.handOff(a)) return;
    this.selectChain(a.socket, a.meta, a.acceptedAt, true);
  }

  /** Envoy: the listener of the original destination (exact, then wildcard) takes the connection, if not this one. */
  private handOff(a: AcceptingConnection): boolean {
    const peers = this.peers;
    if (peers === undefined) return false;
    const target = findListenerByAddress(peers.values(), a.meta.destinationIp, a.meta.destinationPort);
    if (target === undefined || target === this) return false;
    target.acceptHandedOff(a.socket, a.meta, a.acceptedAt);
    return true;
  }

  onListenerFiltersTimeout(a: AcceptingConnection): void {
    this.stats.preCxTimeout.inc();
    if (this.config.continueOnListenerFiltersTimeout) {
      a.continueAfterTimeout();
    } else {
      this.accepting.delete(a);
      this.stats.preCxActive.dec();
      a.abandon();
    }
  }

  private timeoutList(ms: number): DeadlineList {
    return this.ctx.deadlines.list(ms);
  }

  /**
   * `peeked`: listener filters paused the socket (and may have put bytes back). `adopted`: a connection taken over
   * mid-stream from the previous process, which can only continue in plaintext.
   */
  private selectChain(socket: net.Socket, meta: MutableConnectionMeta, startMs: number, peeked: boolean, adopted = false): void {
    const stats = this.stats;
    const chain = this.config.matcher.select(meta);
    if (!chain || (adopted && chain.tls)) {
      stats.noFilterChainMatch.inc();
      socket.destroy();
      return;
    }
    const conn = new ActiveConnection(socket, meta, this.config.name, this.config.bufferLimitBytes, startMs);
    // Accepted during a drain: served, but told to go away after its first response.
    if (this.draining) conn.draining = true;
    this.connections.add(conn);
    stats.cxActive.inc();
    let closed = false;
    const onClose = (): void => {
      if (closed) return;
      closed = true;
      this.connections.delete(conn);
      stats.cxActive.dec();
      stats.cxDestroy.inc();
      stats.cxLength.record(performance.now() - conn.info.startMonotonicMs);
    };
    conn.onSocketClose = onClose;
    socket.once('close', onClose);
    if (!chain.tls) {
      chain.handler(conn);
      // Listener filters left the socket paused; the network filter has its 'data' listener now.
      if (peeked && !socket.destroyed) socket.resume();
      return;
    }
    let timer: Deadline | undefined;
    if (chain.handshakeTimeoutMs > 0) {
      timer = deadlineTimer(() => {
        stats.transportSocketConnectTimeout.inc();
        conn.socket.destroy();
        socket.destroy();
      });
      this.ctx.deadlines.schedule(timer, chain.handshakeTimeoutMs);
    }
    chain.tls.handshake(socket, stats.ssl, (secure, info) => {
      timer?.cancel();
      if (!secure || !info) return; // closed; counted by the handshake
      secure.once('close', onClose);
      conn.secured(secure, info);
      chain.handler(conn);
    });
  }
}

function noop(): void {}

/** Envoy's listener stat name: the address with ':' replaced (`127.0.0.1_10000`, `[__1]_10000`). */
function listenerStatName(host: string, port: number): string {
  return formatAddress(host, port).replace(/:/g, '_');
}
