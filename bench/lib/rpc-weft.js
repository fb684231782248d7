// Weft bootstraps of the RPC suite (the RPC proxy with a route on the bench service, or the plain tcp_proxy, to the
// echo server) and the readiness check: one captured request through a port must come back answered OK.
import net from 'node:net';
import { forEachFrame, readId, responseOk, responseStatus, writeId } from './rpc-frames.js';

const RPC_PROXY_TYPE = 'type.googleapis.com/weft.extensions.filters.network.rpc_proxy.v1.RpcProxy';
const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

function networkFilter(mode, protocol, service) {
  if (mode === 'weft-tcp') {
    return `      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": ${TCP_PROXY_TYPE}, stat_prefix: bench, cluster: upstream }`;
  }
  if (mode !== 'weft-rpc') throw new Error(`no Weft bootstrap for mode ${mode}`);
  return `      - name: weft.filters.network.rpc_proxy
        typed_config:
          "@type": ${RPC_PROXY_TYPE}
          stat_prefix: bench
          codecs: [${protocol}]
          route_config:
            name: bench
            routes:
            - name: echo
              match: { service: { exact: ${service} } }
              route: { cluster: upstream }`;
}

/** The bootstrap of `mode` ('weft-rpc' | 'weft-tcp'): one listener on `port` to a STATIC cluster at `upstreamPort`. */
export function rpcBootstrap({ mode, protocol, service, adminPort, port, upstreamPort }) {
  return `admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${adminPort} } } }
static_resources:
  listeners:
  - name: bench
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
${networkFilter(mode, protocol, service)}
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment: { cluster_name: upstream, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstreamPort} } } } }] }] }
`;
}

/**
 * Sends `request` (id patched to 1) to 127.0.0.1:port and resolves once its response arrives with an OK status;
 * rejects on another status, a broken or closed stream, or after `timeoutMs`.
 */
export function rpcCheck(port, protocol, request, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    const finish = (err) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(new Error(`no ${protocol} response within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => {
      const frame = Buffer.from(request);
      writeId(frame, 0, protocol, 1);
      socket.write(frame);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      let done = null;
      try {
        forEachFrame(received, protocol, true, (buf, off) => {
          if (done) return;
          const id = readId(buf, off, protocol);
          if (id !== 1) done = new Error(`${protocol} response with id ${id}, expected 1`);
          else if (!responseOk(buf, off, protocol)) done = new Error(`${protocol} response status ${responseStatus(buf, off, protocol)}`);
          else done = true;
        });
      } catch (err) {
        done = err;
      }
      if (done) finish(done === true ? null : done);
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new Error(`${protocol} connection closed before a response`)));
  });
}
