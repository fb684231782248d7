// Generates TypeScript types for the Envoy protos into src/generated (not committed).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { INCLUDE_DIRS, ROOT_PROTOS } from './protos.js';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, '..', 'src', 'generated');
const stamp = path.join(outDir, '.stamp');
// Weft's own protos change with the code: their modification times are part of the key.
const ownProtos = ROOT_PROTOS.flatMap((r) => INCLUDE_DIRS.map((d) => path.join(d, r))).filter((f) => f.includes(`${path.sep}api${path.sep}proto${path.sep}`) && existsSync(f));
const key = JSON.stringify(ROOT_PROTOS) + statSync(fileURLToPath(import.meta.url)).mtimeMs + ownProtos.map((f) => statSync(f).mtimeMs).join(',');

if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) process.exit(0);
mkdirSync(outDir, { recursive: true });
const bin = path.join(path.dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');
const args = [
  bin, '--keepCase', '--longs', 'String', '--enums', 'String', '--defaults', '--oneofs', '--json',
  '--grpcLib', '@grpc/grpc-js', '--importFileExtension', '.js', '--outDir', outDir,
  ...ROOT_PROTOS,
  ...INCLUDE_DIRS.map((d) => `--includeDirs=${d}`),
];
execFileSync(process.execPath, args, { stdio: 'inherit' });
writeFileSync(stamp, key);
