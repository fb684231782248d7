import { fork } from 'node:child_process';
import { ConfigError } from '@weft/api/lite';
import { proxyPackageFile } from '../server/package-files.js';
import type { Bootstrap__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/Bootstrap.js';

type WorkerReply =
  | { ok: true; bootstrap: Bootstrap__Output }
  | { ok: false; config: true; path: string; reason: string; message: string }
  | { ok: false; config: false; message: string };

/**
 * Loads and validates a bootstrap file in a short-lived child process. The proto reflection tree and YAML parser it
 * needs cost ~40 MB; a worker thread would leave several MB of allocator residue behind, a process leaves none.
 * Structured-clone IPC keeps bytes fields intact.
 */
export function loadBootstrapIsolated(file: string): Promise<Bootstrap__Output> {
  return new Promise((resolve, reject) => {
    const worker = fork(proxyPackageFile('dist', 'config', 'bootstrap-worker.js'), [file], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    let settled = false;
    worker.once('message', (reply: WorkerReply) => {
      settled = true;
      if (reply.ok) {
        resolve(restoreBuffers(reply.bootstrap) as Bootstrap__Output);
      } else if (reply.config) {
        const err = new ConfigError(reply.path, reply.reason);
        err.message = reply.message;
        reject(err);
      } else {
        reject(new Error(reply.message));
      }
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
    });
    worker.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`bootstrap loader exited with ${signal ?? `code ${code}`}`));
    });
  });
}

/** Structured clone turns Buffers into plain Uint8Arrays; bytes fields are Buffers in the __Output shape. */
export function restoreBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restoreBuffers(value[i]);
    return value;
  }
  if (value && typeof value === 'object') {
    const rec = value as Record<string, unknown>;
    for (const k of Object.keys(rec)) rec[k] = restoreBuffers(rec[k]);
  }
  return value;
}
