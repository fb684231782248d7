// A stand-in for `weft proxy` run by agent tests as --proxy-binary: serves the admin `/ready` on the bootstrap's
// admin port and speaks the hot-upgrade control protocol (hello / begin / ready / exiting) with a real handle
// handover: OLD hands its raw listening admin handle to NEW. FAKE_PROXY_MODE selects a misbehaviour:
// `ignore-term` (SIGTERM does nothing), `crash` (exits 3 at once), `exit0` (exits 0 at once, never LIVE),
// `never-ready` (NEW never reports ready).
import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { Server } from 'node:net';

const mode = process.env['FAKE_PROXY_MODE'] ?? '';
const config = process.argv[process.argv.indexOf('--config') + 1] ?? '';
const adminPort = Number(/admin:\s+address:\s+socket_address:\s+address: \S+\s+port_value: (\d+)/.exec(readFileSync(config, 'utf8'))?.[1]);
const send = (msg: Record<string, unknown>, handle?: Server): void => {
  if (process.connected) process.send?.({ weftUpgrade: 1, ...msg }, handle);
};

if (mode === 'crash') process.exit(3);
if (mode === 'exit0') process.exit(0);

const admin: HttpServer = createServer((req, res) => {
  if (req.url === '/ready') res.writeHead(200).end('LIVE\n');
  // What the interception toggle uses: health check flips and (no) active requests/connections.
  else if ((req.url === '/healthcheck/fail' || req.url === '/healthcheck/ok') && req.method === 'POST') res.writeHead(200).end('OK\n');
  else if (req.url?.startsWith('/stats?')) res.writeHead(200).end('');
  else if (req.url === '/quitquitquit' && req.method === 'POST') {
    res.writeHead(200).end('OK\n');
    setImmediate(() => process.exit(0));
  } else res.writeHead(404).end();
});

process.on('SIGTERM', () => {
  if (mode !== 'ignore-term') admin.close(() => process.exit(0));
});
process.on('message', (msg: { weftUpgrade?: number; type?: string }, handle: unknown) => {
  if (msg.weftUpgrade !== 1) return;
  // The raw listening handle, as the real proxy hands its listeners over (a broker forwarding a net.Server would
  // itself start accepting on it).
  if (msg.type === 'begin') send({ type: 'admin-socket' }, (admin as unknown as { _handle: Server })._handle);
  else if (msg.type === 'admin-socket' && mode !== 'never-ready') {
    admin.listen(handle as Server, () => send({ type: 'ready', pid: process.pid }));
  } else if (msg.type === 'ready') {
    // OLD: "drain" briefly, say goodbye, exit.
    setTimeout(() => {
      send({ type: 'exiting' });
      setTimeout(() => process.exit(0), 20);
    }, 150);
  }
});

if (process.env['WEFT_HOT_UPGRADE'] === '1') send({ type: 'hello', pid: process.pid, version: 'fake' });
else admin.listen(adminPort, '127.0.0.1');
