// Runs as a short-lived child process: loads and validates a bootstrap file with the full proto machinery, sends the
// result over IPC and exits, so that machinery's memory never enters the proxy process.
import { ConfigError, loadBootstrapFile } from '@weft/api';

const file = process.argv[2] ?? '';
let reply: unknown;
try {
  reply = { ok: true, bootstrap: loadBootstrapFile(file) };
} catch (err) {
  reply =
    err instanceof ConfigError
      ? { ok: false, config: true, path: err.path, reason: err.reason, message: err.message }
      : { ok: false, config: false, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
}
process.send?.(reply, () => process.disconnect());
