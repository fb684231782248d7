import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** The Envoy protos Weft understands; everything they import is loaded too. */
export const ENVOY_ROOT_PROTOS: readonly string[] = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/service/discovery/v3/ads.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
];

function includeDirs(): string[] {
  const xdsPkgDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  return ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(xdsPkgDir, 'deps', d));
}

let cached: protobuf.Root | undefined;

interface ProtoJson {
  nested: { google: { nested: { protobuf: { nested: protobuf.INamespace['nested'] } } } };
}

/** protobufjs bundles most well-known types but not descriptor.proto (needed by the validate annotations). */
function addDescriptorProto(): void {
  const descriptor = require('protobufjs/google/protobuf/descriptor.json') as ProtoJson;
  const nested = descriptor.nested.google.nested.protobuf.nested;
  if (nested) protobuf.common('descriptor', nested as Record<string, protobuf.INamespace>);
}

/** Loads (once) the protobufjs root with every Envoy message Weft handles, field names kept in snake_case. */
export function envoyRoot(): protobuf.Root {
  if (cached) return cached;
  addDescriptorProto();
  const dirs = includeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string | null => {
    for (const dir of dirs) {
      const candidate = path.join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    // google/protobuf/*.proto come bundled with protobufjs (common definitions).
    return target;
  };
  root.loadSync([...ENVOY_ROOT_PROTOS], { keepCase: true });
  root.resolveAll();
  cached = root;
  return root;
}

/**
 * Drops the loaded root (tens of MB of reflection objects). A static-config proxy calls it once its bootstrap is
 * converted; the next `envoyRoot()` call loads it again.
 */
export function releaseEnvoyRoot(): void {
  cached = undefined;
}

/** Looks up a message type by its full name (`envoy.config.listener.v3.Listener`). */
export function envoyType(fullName: string): protobuf.Type {
  return envoyRoot().lookupType(fullName);
}

export { TYPE_URL_PREFIX } from './lite.js';
