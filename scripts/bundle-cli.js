// Bundles the `weft` CLI (packages/cli/dist/main.js and the workspace code it imports, @weft/api excepted) into
// packages/cli/dist/bundle/, split at dynamic imports so each command loads only its own code. Part of
// `npm run build`, after tsc. Why: Node's ESM loader resolves, reads, decodes and links each module separately, and
// `weft proxy` imports about 240 of them; that start-up work allocates ~18 MiB and grows V8's young generation,
// which V8 gives back only when its memory reducer happens to run. One bundle of the same code starts at ~55 MiB
// RSS instead of ~64 MiB. Identifiers are kept (logs, stack traces and error names stay readable); a linked source
// map points back to dist/. It sits at the same depth as dist/commands/, whose paths to ../../bin stay right.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'packages', 'cli', 'dist', 'bundle');

/**
 * npm packages and node builtins stay imports; so does @weft/api: its generated types are large and only the
 * config loader (a child process) and the xDS client need most of them, and it reads files next to its dist.
 */
const externals = {
  name: 'weft-externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const workspace = args.path.startsWith('@weft/') && !args.path.startsWith('@weft/api');
      return workspace ? undefined : { path: args.path, external: true };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'packages', 'cli', 'dist', 'main.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [externals],
});
