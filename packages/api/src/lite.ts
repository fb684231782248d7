/**
 * The parts of @weft/api that do not load protobufjs or YAML: the data plane imports only these, so a running proxy
 * does not keep the proto reflection machinery in memory.
 */
export { ConfigError, joinPath } from './errors.js';
export const TYPE_URL_PREFIX = 'type.googleapis.com/';
