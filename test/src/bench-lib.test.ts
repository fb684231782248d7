// The benchmark harness (bench/) is plain JavaScript outside every TypeScript project, so its unit tests
// (bench/lib/*.test.js: wrk and h2load output parsing, percentiles, the open-loop scheduler, ratios) are not compiled
// into a dist folder that scripts/run-tests.js scans. Importing them here registers their tests in this run.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const benchLib = fileURLToPath(new URL('../../bench/lib/', import.meta.url));
const files = readdirSync(benchLib).filter((f) => f.endsWith('.test.js')).sort();
if (files.length === 0) throw new Error(`no bench unit tests found in ${benchLib}`);
for (const file of files) await import(pathToFileURL(path.join(benchLib, file)).href);
