#!/usr/bin/env node
// The bundled CLI (scripts/bundle-cli.js): the same code as dist/, started from one module instead of ~240.
import { main } from '../dist/bundle/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`weft: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
