import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

interface ProtoSpec {
  readonly includeDirs: readonly string[];
  /** Weft's own extension protos, relative to this package. */
  readonly weftIncludeDirs?: readonly string[];
  readonly roots: readonly string[];
}

/** protos.json: the Envoy protos Weft understands (everything they import is loaded too), shared with codegen. */
const spec = JSON.parse(readFileSync(new URL('../protos.json', import.meta.url), 'utf8')) as ProtoSpec;

export const ENVOY_ROOT_PROTOS: readonly string[] = spec.roots;

function includeDirs(): string[] {
  const xdsPkgDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  const weft = (spec.weftIncludeDirs ?? []).map((d) => fileURLToPath(new URL(`../${d}`, import.meta.url)));
  return [...weft, ...spec.includeDirs.map((d) => path.join(xdsPkgDir, 'deps', d))];
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
