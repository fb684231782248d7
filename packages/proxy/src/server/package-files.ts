import { createRequire } from 'node:module';
import path from 'node:path';

let root: string | undefined;

/**
 * A file of the @weft/proxy package (its manifest, dist/, native/), found through the package's own entry point
 * rather than relative to this module, which may run from dist/ or from the CLI's bundle (scripts/bundle-cli.js).
 */
export function proxyPackageFile(...segments: string[]): string {
  root ??= path.dirname(path.dirname(createRequire(import.meta.url).resolve('@weft/proxy')));
  return path.join(root, ...segments);
}
