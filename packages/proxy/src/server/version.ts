import { readFileSync } from 'node:fs';
import { proxyPackageFile } from './package-files.js';

/** Weft's version, from the proxy package manifest. */
export const WEFT_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(proxyPackageFile('package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
