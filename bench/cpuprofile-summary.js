// Prints the top self-time entries of a V8 .cpuprofile, by function (default) or by file (--by-file).
import { readFileSync } from 'node:fs';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpuprofile-summary.js <file.cpuprofile> [--by-file] [--top N]');
  process.exit(2);
}
const byFile = rest.includes('--by-file');
const topIdx = rest.indexOf('--top');
const top = topIdx >= 0 ? Number(rest[topIdx + 1]) : 40;
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const totals = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const frame = nodes.get(id).callFrame;
  const where = frame.url ? frame.url.replace(/^.*\/dist\//, '').replace(/^node:internal\//, 'node:') : '';
  const key = byFile ? where || frame.functionName : `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber}`;
  totals.set(key, (totals.get(key) ?? 0) + dt);
});
for (const [key, t] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((t / total) * 100).toFixed(2).padStart(6)}%  ${key}`);
}
