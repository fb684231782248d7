import type { MeshModel } from '../model/mesh-model.js';
import type { ProxyIdentity } from './proxy-identity.js';
import type { ProxyResources } from './proxy-resources.js';
import { translateForGrpc } from './proxyless.js';
import { translateForProxy } from './translate-for-proxy.js';

/**
 * The resources for whoever asks: proxyless gRPC clients (node metadata GENERATOR=grpc) get api_listeners and
 * gRPC-only routes, every other node (sidecars, gateways) the Envoy translation. Neither ever gets the other's.
 */
export function translateFor(model: MeshModel, proxy: ProxyIdentity): ProxyResources {
  return proxy.generator === 'grpc' ? translateForGrpc(model, proxy) : translateForProxy(model, proxy);
}
