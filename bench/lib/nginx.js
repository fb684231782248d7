// The upstream: nginx answering `200 "hello world\n"` on a keep-alive loopback port, with its own prefix dir.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts } from './ports.js';
import { makeTempDir, startProcess } from './procs.js';
import { expectHelloWorld, waitFor200 } from './http-check.js';

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

export function nginxConfig({ dir, port }) {
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
    listen 127.0.0.1:${port};
    location / {
      default_type text/plain;
      return 200 "hello world\\n";
    }
  }
}
`;
}

/** Starts nginx pinned to `cpu`; resolves { proc, port, dir } once it serves "hello world". */
export async function startNginx({ cpu }) {
  const dir = makeTempDir('weft-bench-nginx-');
  chmodSync(dir, 0o755); // workers run as an unprivileged user and must be able to reach their temp dirs
  const [port] = await freePorts(1);
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ dir, port }));
  const proc = startProcess('nginx', 'nginx', ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { cpu });
  try {
    await waitFor200(port, '/', 10_000, proc);
    await expectHelloWorld(port);
  } catch (err) {
    await proc.stop();
    throw new Error(`nginx upstream failed to start: ${err.message}`);
  }
  return { proc, port, dir };
}
