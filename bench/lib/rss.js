// Memory of a process tree from /proc/<pid>/status: VmRSS sampled on an interval, VmHWM read on demand.
import { readFileSync } from 'node:fs';
import { processTree } from './procs.js';

const MIB = 1024 * 1024;

/** { vmRssBytes, vmHwmBytes } of one pid, or null if it is gone. */
export function readStatusMemory(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field) => {
    const m = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : 0;
  };
  return { vmRssBytes: kb('VmRSS'), vmHwmBytes: kb('VmHWM') };
}

/** Sum over the pid and its descendants (a proxy with worker processes counts as a whole). */
export function readTreeMemory(rootPid) {
  let vmRssBytes = 0;
  let vmHwmBytes = 0;
  let processes = 0;
  for (const pid of processTree(rootPid)) {
    const m = readStatusMemory(pid);
    if (!m) continue;
    vmRssBytes += m.vmRssBytes;
    vmHwmBytes += m.vmHwmBytes;
    processes++;
  }
  return { vmRssBytes, vmHwmBytes, processes };
}

export const toMiB = (bytes) => (bytes === null || bytes === undefined ? null : bytes / MIB);

/** Samples the tree's summed VmRSS every `intervalMs` between start() and stop(). */
export class RssSampler {
  constructor(rootPid, intervalMs = 200) {
    this.rootPid = rootPid;
    this.intervalMs = intervalMs;
    this.samples = 0;
    this.peakBytes = 0;
    this.timer = null;
  }

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  sample() {
    const m = readTreeMemory(this.rootPid);
    if (m.processes === 0) return;
    this.samples++;
    if (m.vmRssBytes > this.peakBytes) this.peakBytes = m.vmRssBytes;
  }

  /** Stops sampling; returns { peakRssBytes, vmHwmBytes, samples } (VmHWM read now, summed over the tree). */
  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return { peakRssBytes: this.peakBytes, vmHwmBytes: readTreeMemory(this.rootPid).vmHwmBytes, samples: this.samples };
  }
}

/**
 * The tree's memory after `idleMs` without traffic. V8 keeps start-up's enlarged young generation until its memory
 * reducer runs a few seconds into idleness (about 5 s here), so a reading right after start overstates what an idle
 * proxy holds; both readings are returned: { vmRssBytes (after idleMs), startRssBytes (now), settleMs, processes }.
 */
export async function settledTreeMemory(rootPid, idleMs = 10_000) {
  const first = readTreeMemory(rootPid);
  await new Promise((r) => setTimeout(r, idleMs));
  const last = readTreeMemory(rootPid);
  return { vmRssBytes: last.vmRssBytes, startRssBytes: first.vmRssBytes, settleMs: idleMs, processes: last.processes };
}

/** The memory fields of a mode's result: the idle reading (settledTreeMemory) and the sampler's (RssSampler.stop). */
export function memoryReport(idle, mem) {
  return {
    idleRssBytes: idle.vmRssBytes, startRssBytes: idle.startRssBytes, idleSettleMs: idle.settleMs,
    peakRssBytes: mem.peakRssBytes, vmHwmBytes: mem.vmHwmBytes, samples: mem.samples, processes: idle.processes,
  };
}
