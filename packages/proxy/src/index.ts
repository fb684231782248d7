export { runProxy, type RunProxyOptions, type RunningProxy } from './server/run.js';
export { ProxyServer, type ProxyServerOptions } from './server/proxy-server.js';
export { LOG_LEVELS, parseLogLevel, type LogLevel } from './server/logger.js';
export { WEFT_VERSION } from './server/version.js';
export { HeaderMap } from './interfaces/header-map.js';
