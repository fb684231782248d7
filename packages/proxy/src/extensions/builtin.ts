import { registerNetworkFilter } from '../network/network-filter-registry.js';
import { registerHttpFilter } from '../http/http-filter-registry.js';
import { tcpProxyFactory } from './filters/network/tcp-proxy/config.js';
import { httpConnectionManagerFactory } from './filters/network/http-connection-manager/config.js';
import { routerFactory } from './filters/http/router/config.js';
import { faultFactory, parseFaultPerRoute } from './filters/http/fault/config.js';
import { FAULT_TYPE } from './filters/http/fault/fault-settings.js';
import { localRateLimitFactory, parseLocalRateLimitPerRoute } from './filters/http/local-ratelimit/config.js';
import { LOCAL_RATELIMIT_TYPE } from './filters/http/local-ratelimit/local-ratelimit-config.js';
import { corsFactory, parseCorsPolicyPerRoute } from './filters/http/cors/config.js';
import { CORS_POLICY_TYPE } from './filters/http/cors/cors-policy.js';
import { headerMutationFactory, parseHeaderMutationPerRoute } from './filters/http/header-mutation/config.js';
import { HEADER_MUTATION_PER_ROUTE_TYPE } from './filters/http/header-mutation/mutations.js';
import { healthCheckFactory } from './filters/http/health-check/config.js';
import { registerPerFilterConfigParser } from '../router/per-filter-config.js';
import { registerListenerFilter } from '../network/listener-filter-registry.js';
import { tlsInspectorFactory } from './filters/listener/tls-inspector/config.js';
import { originalDstFactory } from './filters/listener/original-dst/config.js';

let registered = false;

/** Registers the built-in extensions every proxy loads, once (the RPC ones: optional-extensions.ts). */
export function registerBuiltinExtensions(): void {
  if (registered) return;
  registered = true;
  registerNetworkFilter(tcpProxyFactory);
  registerNetworkFilter(httpConnectionManagerFactory);
  registerHttpFilter(routerFactory);
  registerHttpFilter(faultFactory);
  registerPerFilterConfigParser(FAULT_TYPE, parseFaultPerRoute);
  registerHttpFilter(localRateLimitFactory);
  registerPerFilterConfigParser(LOCAL_RATELIMIT_TYPE, parseLocalRateLimitPerRoute);
  registerHttpFilter(corsFactory);
  registerPerFilterConfigParser(CORS_POLICY_TYPE, parseCorsPolicyPerRoute);
  registerHttpFilter(headerMutationFactory);
  registerPerFilterConfigParser(HEADER_MUTATION_PER_ROUTE_TYPE, parseHeaderMutationPerRoute);
  registerHttpFilter(healthCheckFactory);
  registerListenerFilter(tlsInspectorFactory);
  registerListenerFilter(originalDstFactory);
}
