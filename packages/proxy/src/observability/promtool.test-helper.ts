import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

/**
 * Lint messages promtool 2.x prints for Envoy's naming, which Weft keeps on purpose (dashboards depend on it):
 * counters like `envoy_cluster_upstream_rq` lack `_total`, gauges like `envoy_cluster_membership_total` have it,
 * Envoy prints no HELP text, and Istio measures durations in milliseconds. Anything else promtool says is a failure.
 */
const TOLERATED = [
  / no help text$/,
  /counter metrics should have "_total" suffix$/,
  /non-counter metrics should not have "_total" suffix$/,
  // Envoy's `_ms` histograms (upstream_cx_connect_ms, downstream_cx_length_ms).
  /metric names should not contain abbreviated units$/,
  // Istio's standard name istio_request_duration_milliseconds.
  /use base unit "seconds" instead of "milliseconds"$/,
];

export interface PromtoolResult {
  status: number | null;
  output: string;
}

/** Runs the real `promtool check metrics` with `exposition` on stdin. Fails loudly when promtool is missing. */
export function runPromtool(exposition: string): PromtoolResult {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) {
    assert.fail(`promtool is required (Debian package "prometheus"): ${r.error.message}`);
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Asserts the exposition parses and has no problems other than the tolerated Envoy-naming lints. */
export function assertPromtoolAccepts(exposition: string): void {
  const { status, output } = runPromtool(exposition);
  assert.ok(status === 0 || status === 3, `promtool exit ${String(status)}:\n${output}`);
  const problems = output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !TOLERATED.some((re) => re.test(l)));
  assert.deepEqual(problems, [], `promtool reported:\n${output}`);
}

/**
 * Checks what promtool 2.42 does not: every family has exactly one `# TYPE` line, before its samples, and its
 * samples are contiguous.
 */
export function assertWellGrouped(exposition: string): void {
  const typed = new Map<string, string>();
  const closed = new Set<string>();
  let current = '';
  for (const line of exposition.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t !== null) {
      const name = t[1] as string;
      assert.ok(!typed.has(name), `second TYPE line for ${name}`);
      typed.set(name, t[2] as string);
      if (current !== '') closed.add(current);
      current = name;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    assert.ok(m !== null, `bad line: ${line}`);
    const sample = m[1] as string;
    const family = typed.get(current) === 'histogram' ? sample.replace(/_(bucket|sum|count)$/, '') : sample;
    assert.equal(family, current, `sample ${sample} outside its family block`);
    assert.ok(!closed.has(family), `family ${family} is not contiguous`);
  }
}
