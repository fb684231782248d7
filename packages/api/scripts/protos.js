// The Envoy protos Weft loads (protos.json, shared with src/proto-root.ts), and where they come from.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const xdsPkgDir = path.dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
const spec = JSON.parse(readFileSync(new URL('../protos.json', import.meta.url), 'utf8'));

export const INCLUDE_DIRS = spec.includeDirs.map((d) => path.join(xdsPkgDir, 'deps', d));
export const ROOT_PROTOS = spec.roots;
