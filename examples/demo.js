// `npm start`: a local demo mesh on the embedded defaults — three sample upstream instances and `weft proxy` in
// front of them. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..');

const upstreams = [
  { port: 18081, name: 'hello-v1-a', version: 'v1' },
  { port: 18082, name: 'hello-v1-b', version: 'v1' },
  { port: 18083, name: 'hello-v2', version: 'v2' },
];

const servers = upstreams.map(({ port, name, version }) =>
  http
    .createServer((req, res) => {
      const body = `hello from ${name} (${version}) path=${req.url}\n`;
      res.writeHead(200, { 'content-type': 'text/plain', 'x-instance': name });
      res.end(body);
    })
    .listen(port, '127.0.0.1'),
);

const proxy = spawn(process.execPath, [path.join(root, 'packages/cli/bin/weft.js'), 'proxy', '-c', path.join(here, 'demo/bootstrap.yaml')], {
  stdio: 'inherit',
});

async function waitReady() {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      http.get('http://127.0.0.1:9901/ready', (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      }).on('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function stop(code) {
  proxy.kill('SIGTERM');
  for (const s of servers) s.close();
  setTimeout(() => process.exit(code), 200).unref();
}

proxy.on('exit', (code) => {
  for (const s of servers) s.close();
  process.exit(code ?? 0);
});
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

if (await waitReady()) {
  process.stdout.write(`
Weft demo mesh is running:
  curl http://127.0.0.1:10000/hello        weighted 80/20 between hello_v1 and hello_v2
  curl http://127.0.0.1:10000/v2/anything  prefix-rewritten to hello_v2
  curl http://127.0.0.1:10000/health       direct response
  curl http://127.0.0.1:9901/stats/prometheus   metrics (admin API on :9901)
  curl http://127.0.0.1:10001/             tcp_proxy (L4) to hello_v1
Ctrl-C to stop.
`);
} else {
  process.stderr.write('weft proxy did not become ready\n');
  stop(1);
}
