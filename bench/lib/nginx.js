// The upstream: nginx answering `200 "hello world\n"` on a keep-alive loopback port, with its own prefix dir.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts } from './ports.js';
import { makeTempDir, startProcess } from './procs.js';
import { expectHelloWorld, waitFor200 } from './http-check.js';
import { expectH2HelloWorld, waitForH2_200 } from './h2-check.js';

const TEMP_PATH_DIRECTIVES = {
  'client-body': 'client_body_temp_path',
  proxy: 'proxy_temp_path',
  fastcgi: 'fastcgi_temp_path',
  uwsgi: 'uwsgi_temp_path',
  scgi: 'scgi_temp_path',
};

/**
 * Temp-path directives for every module compiled in (Debian compiles absolute paths under /var/lib/nginx, which
 * we must not touch), skipping modules built `--without-...`.
 */
function tempPathDirectives(dir) {
  const v = spawnSync('nginx', ['-V'], { encoding: 'utf8' });
  const info = `${v.stdout}${v.stderr}`;
  const lines = [];
  for (const [flag, directive] of Object.entries(TEMP_PATH_DIRECTIVES)) {
    const module = flag === 'client-body' ? null : flag;
    if (!info.includes(`--http-${flag}-temp-path=`)) continue;
    if (module && info.includes(`--without-http_${module}_module`)) continue;
    lines.push(`  ${directive} ${path.join(dir, `${flag}-temp`)};`);
  }
  return lines.join('\n');
}

/** nginx >= 1.25.1 enables HTTP/2 with `http2 on;`; older versions with the `http2` listen parameter. */
function h2cDirectives(port) {
  const v = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '');
  const modern = v && (Number(v[1]) > 1 || Number(v[2]) > 25 || (Number(v[2]) === 25 && Number(v[3]) >= 1));
  const listen = modern ? `listen 127.0.0.1:${port};\n    http2 on;` : `listen 127.0.0.1:${port} http2;`;
  // Streams per connection: the proxies multiplex every client onto few upstream connections.
  return `${listen}\n    http2_max_concurrent_streams 1024;`;
}

/** `h2c`: serve HTTP/2 cleartext with prior knowledge only (no TLS, no upgrade) instead of HTTP/1.1. */
export function nginxConfig({ dir, port, h2c = false }) {
  return `daemon off;
master_process on;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
${tempPathDirectives(dir)}
  server {
    ${h2c ? h2cDirectives(port) : `listen 127.0.0.1:${port};`}
    location / {
      default_type text/plain;
      return 200 "hello world\\n";
    }
  }
}
`;
}

/** Starts nginx pinned to `cpu`; resolves { proc, port, dir } once it serves "hello world" (over h2c if `h2c`). */
export async function startNginx({ cpu, h2c = false }) {
  const dir = makeTempDir('weft-bench-nginx-');
  chmodSync(dir, 0o755); // workers run as an unprivileged user and must be able to reach their temp dirs
  const [port] = await freePorts(1);
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, port, h2c }));
  const proc = startProcess('nginx', 'nginx', ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { cpu });
  try {
    await (h2c ? waitForH2_200 : waitFor200)(port, '/', 10_000, proc);
    await (h2c ? expectH2HelloWorld : expectHelloWorld)(port);
  } catch (err) {
    await proc.stop();
    throw new Error(`nginx${h2c ? ' h2c' : ''} upstream failed to start: ${err.message}`);
  }
  return { proc, port, dir };
}
