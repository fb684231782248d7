// The Envoy protos Weft loads (protos.json, shared with src/proto-root.ts), and where they come from: Envoy's from
// @grpc/grpc-js-xds's deps, Weft's own extensions from this package's proto/ folder.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const xdsPkgDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
const pkgDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const spec = JSON.parse(readFileSync(new URL('../protos.json', import.meta.url), 'utf8'));

export const INCLUDE_DIRS = [
  ...(spec.weftIncludeDirs ?? []).map((d) => path.join(pkgDir, d)),
  ...spec.includeDirs.map((d) => path.join(xdsPkgDir, 'deps', d)),
];
export const ROOT_PROTOS = spec.roots;
