// Table, flags, ratios and targets of the RPC suite (Bolt and Dubbo; direct, Weft RPC proxy, Weft tcp_proxy).
import { fmtMiB, fmtMs, fmtRps, table } from './report.js';

export const RPC_TARGETS = { rpcOverTcpRpsMin: 0.7, boltRpcRpsMin: 60_000 };
// Below this CPU use over the measured window, a proxy was not what limited its row (the load core was).
export const SATURATED_CPU_PCT = 90;

const verdict = (ok) => (ok === null ? 'n/a' : ok ? 'MET' : 'MISSED');
const v = (x, digits, suffix = '') => (x === null || x === undefined ? 'n/a' : `${x.toFixed(digits)}${suffix}`);
const ok = (r) => (r?.status === 'ok' ? r : null);

/** Flags that make a mode "not clean" (exit code 1): errors, lost responses, nothing answered, a dead process. */
export function rpcFlags(load, proc) {
  const flags = [];
  if (load.errors > 0) flags.push('ERRORS');
  if (load.lost > 0) flags.push(`${load.lost} responses lost`);
  if (load.ok === 0) flags.push('no successful requests');
  if (proc && !proc.running) flags.push(`${proc.name === 'weft' ? 'proxy' : proc.name} ${proc.describeExit()} during load`);
  return flags;
}

function errorsCell(l) {
  const parts = Object.entries(l.errorsBy).map(([k, n]) => `${k} ${n}`);
  if (l.lost) parts.push(`lost ${l.lost}`);
  return parts.length ? parts.join(', ') : '0';
}

const pct = (x) => (x === null || x === undefined ? '-' : `${Math.round(x)} %`);

export function formatRpcResults(modes) {
  const header = ['protocol', 'mode', 'cpu', 'req/s', 'p50', 'p99', 'p99.9', 'errors', 'proxy CPU', 'load CPU', 'RSS before', 'RSS peak', 'flag'];
  const rows = [];
  const notes = [];
  for (const [name, r] of Object.entries(modes)) {
    if (r.status === 'failed') {
      rows.push([r.protocol, r.mode, r.cpu ?? '-', ...Array(header.length - 4).fill('-'), 'FAILED']);
      notes.push(`${name}: ${r.reason}`);
      continue;
    }
    const l = r.load;
    rows.push([
      r.protocol, r.mode, r.cpu, fmtRps(l.rps), fmtMs(l.p50Ms), fmtMs(l.p99Ms), fmtMs(l.latency.p999Ms), errorsCell(l),
      pct(r.proxyCpuPct), pct(l.loadCpuPct), fmtMiB(r.memory?.beforeLoadRssBytes), fmtMiB(r.memory?.peakRssBytes),
      r.flags.length ? r.flags.join('; ') : 'ok',
    ]);
  }
  return table(header, rows) + (notes.length ? `\n\n${notes.join('\n')}` : '');
}

/** Per protocol: weft-rpc / weft-tcp and weft-rpc / direct req/s; the Bolt RPC proxy's req/s. null when missing. */
export function computeRpcRatios(modes) {
  const rps = (protocol, mode) => ok(modes[`${protocol} ${mode}`])?.load.rps ?? null;
  const ratio = (a, b) => (a !== null && b ? a / b : null);
  const out = { meets: {} };
  for (const protocol of ['bolt', 'dubbo']) {
    const rpc = rps(protocol, 'weft-rpc');
    const rpcOverTcp = ratio(rpc, rps(protocol, 'weft-tcp'));
    const tcpCpu = ok(modes[`${protocol} weft-tcp`])?.proxyCpuPct ?? null;
    out[protocol] = {
      rpcOverTcpRps: rpcOverTcp,
      rpcOverDirectRps: ratio(rpc, rps(protocol, 'direct')),
      tcpOverDirectRps: ratio(rps(protocol, 'weft-tcp'), rps(protocol, 'direct')),
      tcpProxyCpuPct: tcpCpu,
    };
    out.meets[`${protocol}RpcOverTcp`] = rpcOverTcp === null ? null : rpcOverTcp >= RPC_TARGETS.rpcOverTcpRpsMin;
  }
  const boltRpc = rps('bolt', 'weft-rpc');
  out.boltRpcRps = boltRpc;
  out.meets.boltRpcRps = boltRpc === null ? null : boltRpc >= RPC_TARGETS.boltRpcRpsMin;
  return out;
}

export function formatRpcRatios(ratios, modes) {
  const rows = [];
  for (const protocol of ['bolt', 'dubbo']) {
    const name = protocol === 'bolt' ? 'Bolt' : 'Dubbo';
    const r = ratios[protocol];
    rows.push([`${name}: Weft RPC proxy / Weft tcp_proxy req/s`, v(r.rpcOverTcpRps, 2), `>= ${RPC_TARGETS.rpcOverTcpRpsMin.toFixed(2)}`, verdict(ratios.meets[`${protocol}RpcOverTcp`])]);
    rows.push([`${name}: Weft RPC proxy / direct req/s`, v(r.rpcOverDirectRps, 2), '(info)', '']);
    rows.push([`${name}: Weft tcp_proxy / direct req/s`, v(r.tcpOverDirectRps, 2), '(info)', '']);
  }
  rows.push(['Bolt: Weft RPC proxy req/s (one core)', ratios.boltRpcRps === null ? 'n/a' : fmtRps(ratios.boltRpcRps), `>= ${fmtRps(RPC_TARGETS.boltRpcRpsMin)}`, verdict(ratios.meets.boltRpcRps)]);
  const notes = [];
  if (Object.keys(modes).length === 0) notes.push('ratios n/a: (no mode ran)');
  for (const protocol of ['bolt', 'dubbo']) {
    const cpu = ratios[protocol].tcpProxyCpuPct;
    if (ratios[protocol].rpcOverTcpRps !== null && cpu !== null && cpu < SATURATED_CPU_PCT) {
      notes.push(`note: ${protocol} weft-tcp used ${Math.round(cpu)} % of its core: the load core limited it, so its RPC / tcp_proxy ratio is a lower bound (try a smaller --rpc-depth)`);
    }
  }
  return table(['ratio', 'value', 'target', 'verdict'], rows) + notes.map((n) => `\n${n}`).join('');
}
