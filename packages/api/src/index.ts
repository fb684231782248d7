export { ConfigError, joinPath } from './errors.js';
export { envoyRoot, envoyType, releaseEnvoyRoot, ENVOY_ROOT_PROTOS, TYPE_URL_PREFIX } from './proto-root.js';
export { decodeMessage, encodeMessage, normalizeMessage, OUTPUT_OPTIONS } from './message.js';
export { AggregateConfigError, type ConfigErrorSource } from './aggregate-config-error.js';
export { messageFromJson, type MessageFromJsonOptions } from './json-to-message.js';
export { parseBootstrapText, loadBootstrapFile } from './bootstrap-file.js';
export { unpackAny } from './unpack-any.js';
