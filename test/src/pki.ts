import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway PKI made with the openssl CLI (EC P-256 keys: fast to generate). */
export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  /** Issues a leaf signed by this CA; returns the file paths. */
  issue(name: string, sans: string, cn?: string): { cert: string; key: string };
  /** Another, unrelated CA. */
  otherCa(name: string): TestPki;
  close(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export function createPki(dir = mkdtempSync(path.join(os.tmpdir(), 'weft-pki-')), prefix = 'ca'): TestPki {
  const caKey = path.join(dir, `${prefix}.key`);
  const caCert = path.join(dir, `${prefix}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caCert, '-days', '2', '-subj', `/CN=${prefix} Test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  let serial = 1;
  return {
    dir,
    caCert,
    issue(name, sans, cn = name) {
      const key = path.join(dir, `${name}.key`);
      const csr = path.join(dir, `${name}.csr`);
      const cert = path.join(dir, `${name}.crt`);
      const ext = path.join(dir, `${name}.ext`);
      writeFileSync(ext, `basicConstraints=CA:FALSE\nsubjectAltName=${sans}\n`);
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', `/O=Weft/CN=${cn}`], dir);
      openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', String(0x1000 + serial++), '-out', cert, '-days', '2', '-extfile', ext], dir);
      return { cert, key };
    },
    otherCa(name) {
      return createPki(dir, name);
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
