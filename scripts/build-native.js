// Builds the proxy's N-API addon (SO_ORIGINAL_DST) with the system C compiler. Part of `npm run build` (npm 11 does
// not run install scripts of workspace dependencies by default). A failure is reported, not fatal: only the
// features that need the addon (original_dst listener filter, use_original_dst) refuse their config then.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

const src = path.join('packages', 'proxy', 'native', 'original-dst.c');
const outDir = path.join('packages', 'proxy', 'native', 'build');
const out = path.join(outDir, 'weft_native.node');
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);
if (process.platform !== 'linux') {
  console.warn(`build-native: skipped (${process.platform}): SO_ORIGINAL_DST is Linux only`);
  process.exit(0);
}
const include = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((d) => existsSync(path.join(d, 'node_api.h')));
if (!include) {
  console.warn('build-native: node_api.h not found (install the Node.js headers); the original_dst features are unavailable');
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const cc = process.env.CC || 'cc';
const res = spawnSync(cc, ['-shared', '-fPIC', '-O2', '-Wall', `-I${include}`, '-o', out, src], { stdio: 'inherit' });
if (res.status !== 0) console.warn(`build-native: ${cc} failed (${res.error?.message ?? `exit ${res.status}`}); the original_dst features are unavailable`);
