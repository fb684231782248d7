import { ConfigError, joinPath } from '@weft/api/lite';
import type { TransportSocket__Output } from '@weft/api/envoy/envoy/config/core/v3/TransportSocket.js';
import type { DownstreamTlsContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/DownstreamTlsContext.js';
import type { UpstreamTlsContext__Output } from '@weft/api/envoy/envoy/extensions/transport_sockets/tls/v3/UpstreamTlsContext.js';
import { typedConfigOf } from '../config/typed-config.js';
import { DownstreamTls } from './downstream-tls.js';
import { NO_SECRETS, type SecretStore } from './secret-store.js';
import { UpstreamTls } from './upstream-tls.js';

const RAW_BUFFER_NAME = 'envoy.transport_sockets.raw_buffer';
const RAW_BUFFER_TYPE = 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
const TLS_NAME = 'envoy.transport_sockets.tls';
const DOWNSTREAM_TYPE = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM_TYPE = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** `undefined` = plain TCP (raw_buffer); the config message of a TLS socket otherwise. */
function tlsConfigOf(ts: TransportSocket__Output | null, path: string, expected: string): Record<string, unknown> | undefined {
  if (!ts) return undefined;
  if (!ts.typed_config) {
    if (ts.name === RAW_BUFFER_NAME || ts.name === '') return undefined;
    if (ts.name === TLS_NAME) throw new ConfigError(joinPath(path, 'typed_config'), `${ts.name} needs a typed_config (${expected})`);
    throw new ConfigError(joinPath(path, 'name'), `transport socket '${ts.name}' is not supported`);
  }
  const { typeName, value } = typedConfigOf(ts, path);
  if (typeName === RAW_BUFFER_TYPE) return undefined;
  if (typeName !== expected) throw new ConfigError(joinPath(path, 'typed_config.@type'), `expected ${expected}, got ${typeName}`);
  return value;
}

export function parseDownstreamTransportSocket(ts: TransportSocket__Output | null, path: string, secrets: SecretStore = NO_SECRETS): DownstreamTls | undefined {
  const cfg = tlsConfigOf(ts, path, DOWNSTREAM_TYPE);
  return cfg ? new DownstreamTls(cfg as unknown as DownstreamTlsContext__Output, joinPath(path, 'typed_config'), secrets) : undefined;
}

export function parseUpstreamTransportSocket(ts: TransportSocket__Output | null, path: string, secrets: SecretStore = NO_SECRETS): UpstreamTls | undefined {
  const cfg = tlsConfigOf(ts, path, UPSTREAM_TYPE);
  return cfg ? new UpstreamTls(cfg as unknown as UpstreamTlsContext__Output, joinPath(path, 'typed_config'), secrets) : undefined;
}
