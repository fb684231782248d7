// A --weft-bin wrapper for profiling: `node bench/run.js --only=weft --weft-bin bench/profile-weft.js` runs Weft
// with --cpu-prof; profiles land in bench/results/profiles/. Summarise with `node bench/cpuprofile-summary.js <file>`.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'bench', 'results', 'profiles');
mkdirSync(dir, { recursive: true });
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(root, 'packages', 'cli', 'bin', 'weft.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
// The harness signals the whole process group; the child handles it and writes its profile on exit.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => undefined);
child.on('exit', (code) => process.exit(code ?? 0));
