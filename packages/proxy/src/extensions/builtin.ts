import { registerNetworkFilter } from '../network/network-filter-registry.js';
import { registerHttpFilter } from '../http/http-filter-registry.js';
import { tcpProxyFactory } from './filters/network/tcp-proxy/config.js';
import { httpConnectionManagerFactory } from './filters/network/http-connection-manager/config.js';
import { routerFactory } from './filters/http/router/config.js';
import { registerListenerFilter } from '../network/listener-filter-registry.js';
import { tlsInspectorFactory } from './filters/listener/tls-inspector/config.js';

let registered = false;

/** Registers every built-in extension once. */
export function registerBuiltinExtensions(): void {
  if (registered) return;
  registered = true;
  registerNetworkFilter(tcpProxyFactory);
  registerNetworkFilter(httpConnectionManagerFactory);
  registerHttpFilter(routerFactory);
  registerListenerFilter(tlsInspectorFactory);
}
