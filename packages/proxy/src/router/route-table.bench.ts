// Micro-benchmark (not a test): route selection among 50 virtual hosts × 20 routes.
// Run: node packages/proxy/dist/router/route-table.bench.js
import { HeaderMap } from '../interfaces/header-map.js';
import type { RouteRequest } from './route-request.js';
import { compile } from './route-test-helpers.js';

const VHOSTS = 50;
const ROUTES = 20;

function config(kind: 'prefix' | 'mixed'): object {
  const virtual_hosts = [];
  for (let v = 0; v < VHOSTS; v++) {
    const routes = [];
    for (let r = 0; r < ROUTES - 1; r++) {
      const match: Record<string, unknown> = kind === 'mixed' && r % 4 === 2 ? { safe_regex: { regex: `/api/v${r}/.*` } } : { prefix: `/api/v${r}/` };
      if (kind === 'mixed' && r % 4 === 1) match['headers'] = [{ name: 'x-version', exact_match: `v${r}` }];
      routes.push({ name: `r${r}`, match, route: { cluster: `svc-${v}` } });
    }
    routes.push({ name: 'default', match: { prefix: '/' }, route: { cluster: `svc-${v}` } });
    virtual_hosts.push({ name: `vh${v}`, domains: [`svc-${v}.default.svc.cluster.local`, `svc-${v}`, `svc-${v}:8080`, `svc-${v}.default:8080`], routes });
  }
  return { name: 'bench', virtual_hosts };
}

function requests(n: number): RouteRequest[] {
  const out: RouteRequest[] = [];
  for (let i = 0; i < n; i++) {
    const v = (i * 7) % VHOSTS;
    const r = (i * 13) % ROUTES;
    const authority = i % 2 === 0 ? `svc-${v}.default.svc.cluster.local` : `svc-${v}:8080`;
    const headers = HeaderMap.from([['host', authority], ['user-agent', 'bench'], ['accept', '*/*'], ['x-version', `v${r}`]]);
    out.push({ headers, method: 'GET', path: `/api/v${r}/items/${i}?q=1`, authority, scheme: 'http', sourceIp: '10.0.0.1', random: i });
  }
  return out;
}

function bench(name: string, plain: object): void {
  const t0 = process.hrtime.bigint();
  const table = compile(plain);
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const reqs = requests(1024);
  let found = 0;
  for (let i = 0; i < 200_000; i++) if (table.select(reqs[i & 1023] as RouteRequest)) found++; // warm-up
  const n = 2_000_000;
  const heapBefore = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (table.select(reqs[i & 1023] as RouteRequest)) found++;
  const ns = Number(process.hrtime.bigint() - start) / n;
  const heapDelta = process.memoryUsage().heapUsed - heapBefore;
  console.log(`${name}: ${ns.toFixed(1)} ns/select (compile ${compileMs.toFixed(1)} ms, heap delta ${(heapDelta / 1024).toFixed(0)} KiB over ${n} selects, ${found} found)`);
}

bench('50 vhosts x 20 prefix routes', config('prefix'));
bench('50 vhosts x 20 routes, 1/4 with header matchers, 1/4 regex', config('mixed'));
