import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeMessage } from '@weft/api';
import type { OutlierDetection__Output } from '../envoy-types.js';
import { HealthFlag, OutlierResult, type Host } from '../host.js';
import { mkHost } from '../test-hosts.js';
import { TestScope } from '../test-scope.js';
import { parseOutlierDetection } from './outlier-config.js';
import { OutlierDetector } from './outlier-detector.js';

function setup(od: object, n = 2, random: () => number = () => 0) {
  const cfg = parseOutlierDetection(
    normalizeMessage<OutlierDetection__Output>('envoy.config.cluster.v3.OutlierDetection', od),
    'outlier_detection',
  );
  const scope = new TestScope();
  const clock = { t: 1000 };
  const changes: Host[] = [];
  const d = new OutlierDetector(cfg, {
    scope: scope.scope('cluster.c'),
    now: () => clock.t,
    random,
    onHostChange: (h) => changes.push(h),
  });
  const hosts = Array.from({ length: n }, (_, i) => mkHost(`10.0.0.${i + 1}`));
  for (const h of hosts) d.addHost(h);
  const stat = (name: string): number => scope.value(`cluster.c.outlier_detection.${name}`);
  return { d, hosts, clock, changes, stat };
}

const ejected = (h: Host): boolean => (h.healthFlags & HealthFlag.FAILED_OUTLIER_CHECK) !== 0;

describe('outlier detector: consecutive errors', () => {
  it('ejects on the 5th consecutive 5xx and returns the host after base_ejection_time', () => {
    const { d, hosts, clock, changes, stat } = setup({ max_ejection_percent: { value: 50 } });
    const h = hosts[0] as Host;
    for (let i = 0; i < 4; i++) h.outlier.putHttpResponseCode(500);
    assert.equal(ejected(h), false);
    h.outlier.putHttpResponseCode(500);
    assert.equal(ejected(h), true);
    assert.equal(h.healthy, false);
    assert.deepEqual(changes, [h]);
    assert.equal(stat('ejections_active'), 1);
    assert.equal(stat('ejections_enforced_total'), 1);
    assert.equal(stat('ejections_detected_consecutive_5xx'), 1);
    assert.equal(stat('ejections_enforced_consecutive_5xx'), 1);
    assert.equal(stat('ejections_consecutive_5xx'), 1);
    assert.equal(stat('ejections_total'), 1);
    assert.equal(h.outlier.numEjections, 1);
    clock.t += 29_999;
    d.sweep();
    assert.equal(ejected(h), true);
    clock.t += 1;
    d.sweep();
    assert.equal(ejected(h), false);
    assert.equal(stat('ejections_active'), 0);
    assert.equal(changes.length, 2);
  });

  it('a success resets the count; a 4xx is a success', () => {
    const { hosts } = setup({ max_ejection_percent: { value: 50 } });
    const h = hosts[0] as Host;
    for (let i = 0; i < 4; i++) h.outlier.putHttpResponseCode(503);
    h.outlier.putHttpResponseCode(404);
    for (let i = 0; i < 4; i++) h.outlier.putHttpResponseCode(503);
    assert.equal(ejected(h), false);
  });

  it('ejection time grows with each ejection (base × n), capped by max_ejection_time, plus jitter', () => {
    const { d, hosts, clock } = setup(
      {
        max_ejection_percent: { value: 50 },
        consecutive_5xx: { value: 1 },
        base_ejection_time: { seconds: 10 },
        max_ejection_time: { seconds: 25 },
        max_ejection_time_jitter: { nanos: 5_000_000 },
        interval: { seconds: 100 },
      },
      2,
      () => 1003, // jitter = 1003 % 6 = 1ms
    );
    const h = hosts[0] as Host;
    const expectEjectedFor = (ms: number): void => {
      h.outlier.putHttpResponseCode(500);
      assert.equal(ejected(h), true);
      clock.t += ms - 1;
      d.sweep();
      assert.equal(ejected(h), true, `still ejected at ${ms - 1}ms`);
      clock.t += 1;
      d.sweep();
      assert.equal(ejected(h), false, `back at ${ms}ms`);
    };
    expectEjectedFor(10_001);
    expectEjectedFor(20_001);
    expectEjectedFor(25_001);
    expectEjectedFor(25_001);
  });

  it('the backoff shrinks by one for every interval the host stays in service', () => {
    const { d, hosts, clock } = setup({
      max_ejection_percent: { value: 50 },
      consecutive_5xx: { value: 1 },
      base_ejection_time: { seconds: 10 },
      interval: { seconds: 10 },
    });
    const h = hosts[0] as Host;
    h.outlier.putHttpResponseCode(500); // backoff 1
    clock.t += 10_000;
    d.sweep(); // back
    h.outlier.putHttpResponseCode(500); // backoff 2: 20 s
    clock.t += 20_000;
    d.sweep();
    assert.equal(ejected(h), false);
    const m = d.monitor(h);
    assert.equal(m?.ejectTimeBackoff, 2);
    clock.t += 10_000;
    d.sweep();
    assert.equal(m?.ejectTimeBackoff, 1);
    h.outlier.putHttpResponseCode(500); // backoff 2 again, not 3
    assert.equal(m?.ejectTimeBackoff, 2);
  });

  it('max_ejection_percent caps ejections (overflow); always_eject_one_host allows the first', () => {
    const a = setup({ consecutive_5xx: { value: 1 } });
    a.hosts[0]?.outlier.putHttpResponseCode(500);
    assert.equal(ejected(a.hosts[0] as Host), false);
    assert.equal(a.stat('ejections_overflow'), 1);
    assert.equal(a.stat('ejections_detected_consecutive_5xx'), 1);
    assert.equal(a.stat('ejections_enforced_total'), 0);
    const b = setup({ consecutive_5xx: { value: 1 }, always_eject_one_host: { value: true } });
    b.hosts[0]?.outlier.putHttpResponseCode(500);
    b.hosts[1]?.outlier.putHttpResponseCode(500);
    assert.equal(ejected(b.hosts[0] as Host), true);
    assert.equal(ejected(b.hosts[1] as Host), false);
    assert.equal(b.stat('ejections_overflow'), 1);
  });

  it('gateway failures are detected but not enforced by default; enforcing_consecutive_gateway_failure ejects', () => {
    const a = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 0 } });
    const h = a.hosts[0] as Host;
    for (let i = 0; i < 5; i++) h.outlier.putHttpResponseCode(502);
    assert.equal(ejected(h), false);
    assert.equal(a.stat('ejections_detected_consecutive_gateway_failure'), 1);
    assert.equal(a.stat('ejections_enforced_consecutive_gateway_failure'), 0);
    const b = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 0 }, enforcing_consecutive_gateway_failure: { value: 100 } });
    const g = b.hosts[0] as Host;
    for (let i = 0; i < 4; i++) g.outlier.putHttpResponseCode(504);
    g.outlier.putHttpResponseCode(500); // not a gateway error: resets that count
    for (let i = 0; i < 4; i++) g.outlier.putHttpResponseCode(503);
    assert.equal(ejected(g), false);
    g.outlier.putHttpResponseCode(503);
    assert.equal(ejected(g), true);
    assert.equal(b.stat('ejections_enforced_consecutive_gateway_failure'), 1);
  });

  it('enforcing_consecutive_5xx is a percentage chance drawn per detection', () => {
    const a = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 1 }, enforcing_consecutive_5xx: { value: 30 } }, 2, () => 30);
    a.hosts[0]?.outlier.putHttpResponseCode(500);
    assert.equal(ejected(a.hosts[0] as Host), false);
    assert.equal(a.stat('ejections_detected_consecutive_5xx'), 1);
    const b = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 1 }, enforcing_consecutive_5xx: { value: 30 } }, 2, () => 129);
    b.hosts[0]?.outlier.putHttpResponseCode(500);
    assert.equal(ejected(b.hosts[0] as Host), true);
  });

  it('without split, local-origin failures count as 503/504 and a plain connect success is not reported', () => {
    const { hosts, stat } = setup({ max_ejection_percent: { value: 100 } });
    const h = hosts[0] as Host;
    for (let i = 0; i < 3; i++) h.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED);
    h.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS);
    h.outlier.putResult(OutlierResult.LOCAL_ORIGIN_TIMEOUT);
    assert.equal(ejected(h), false);
    h.outlier.putResult(OutlierResult.LOCAL_ORIGIN_TIMEOUT);
    assert.equal(ejected(h), true);
    assert.equal(stat('ejections_enforced_consecutive_5xx'), 1);
  });

  it('with split_external_local_origin_errors, local failures have their own counter and 5xx theirs', () => {
    const { hosts, stat } = setup({ max_ejection_percent: { value: 100 }, split_external_local_origin_errors: true, consecutive_local_origin_failure: { value: 3 } });
    const h = hosts[0] as Host;
    h.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED);
    h.outlier.putResult(OutlierResult.LOCAL_ORIGIN_TIMEOUT);
    for (let i = 0; i < 4; i++) h.outlier.putHttpResponseCode(500); // does not reset the local count
    assert.equal(ejected(h), false);
    h.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED);
    assert.equal(ejected(h), true);
    assert.equal(stat('ejections_enforced_consecutive_local_origin_failure'), 1);
    assert.equal(stat('ejections_detected_consecutive_local_origin_failure'), 1);
    assert.equal(stat('ejections_detected_consecutive_5xx'), 0);
  });

  it('a removed host stops counting and frees its active ejection', () => {
    const { d, hosts, stat } = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 1 } });
    const h = hosts[0] as Host;
    const monitor = h.outlier;
    h.outlier.putHttpResponseCode(500);
    assert.equal(stat('ejections_active'), 1);
    d.removeHost(h);
    assert.equal(stat('ejections_active'), 0);
    monitor.putHttpResponseCode(500);
    assert.equal(stat('ejections_enforced_total'), 1);
  });

  it('a passing active health check returns an ejected host (successful_active_health_check_uneject_host)', () => {
    const { d, hosts, stat } = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 1 } });
    const h = hosts[0] as Host;
    h.outlier.putHttpResponseCode(500);
    d.onActiveHealthCheckSuccess(h);
    assert.equal(ejected(h), false);
    assert.equal(stat('ejections_active'), 0);
    const off = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 1 }, successful_active_health_check_uneject_host: { value: false } });
    off.hosts[0]?.outlier.putHttpResponseCode(500);
    off.d.onActiveHealthCheckSuccess(off.hosts[0] as Host);
    assert.equal(ejected(off.hosts[0] as Host), true);
  });
});

describe('outlier detector: success rate and failure percentage', () => {
  function feed(h: Host, ok: number, fail: number): void {
    for (let i = 0; i < ok; i++) h.outlier.putHttpResponseCode(200);
    for (let i = 0; i < fail; i++) h.outlier.putHttpResponseCode(500);
    h.outlier.putHttpResponseCode(200); // keep consecutive counts low
  }

  it('ejects hosts below mean − stdev_factor × stdev over the last interval (Envoy example: threshold 52)', () => {
    const { d, hosts, stat } = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 0 } }, 5);
    // Success rates 100, 100, 100, 100 and 50 over ≥100 requests each: mean 90, stdev 20, threshold 90 − 1.9 × 20.
    for (let i = 0; i < 4; i++) feed(hosts[i] as Host, 99, 0);
    const bad = hosts[4] as Host;
    for (let r = 0; r < 60; r++) {
      bad.outlier.putHttpResponseCode(500);
      bad.outlier.putHttpResponseCode(200);
    }
    assert.equal(ejected(bad), false, 'only evaluated on the sweep');
    d.sweep();
    assert.equal(ejected(bad), true);
    assert.equal(stat('ejections_detected_success_rate'), 1);
    assert.equal(stat('ejections_enforced_success_rate'), 1);
    assert.equal(bad.outlier.successRate, 50);
    assert.equal(Math.round((d.successRateEjectionThreshold[0] as number) * 10), 520);
    assert.equal(hosts[0]?.outlier.successRate, 100);
    assert.equal(Math.round(d.successRateAverage[0] as number), 90);
  });

  it('needs success_rate_minimum_hosts hosts with success_rate_request_volume requests', () => {
    const { d, hosts, stat } = setup({ max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 0 } }, 5);
    for (let i = 0; i < 4; i++) feed(hosts[i] as Host, 99, 0);
    feed(hosts[4] as Host, 10, 40); // only 51 requests
    d.sweep();
    assert.equal(stat('ejections_detected_success_rate'), 0);
    assert.equal(hosts[4]?.outlier.successRate, 10 * 100 / 51 + 100 / 51);
  });

  it('failure percentage ejects hosts at or above the threshold when enforced', () => {
    const { d, hosts, stat } = setup(
      { max_ejection_percent: { value: 100 }, consecutive_5xx: { value: 0 }, enforcing_success_rate: { value: 0 }, enforcing_failure_percentage: { value: 100 }, failure_percentage_minimum_hosts: { value: 2 }, failure_percentage_request_volume: { value: 10 }, failure_percentage_threshold: { value: 50 } },
      3,
    );
    feed(hosts[0] as Host, 19, 0);
    feed(hosts[1] as Host, 9, 10); // 50% failures
    feed(hosts[2] as Host, 11, 8);
    d.sweep();
    assert.equal(ejected(hosts[1] as Host), true);
    assert.equal(ejected(hosts[2] as Host), false);
    assert.equal(stat('ejections_detected_failure_percentage'), 1);
    assert.equal(stat('ejections_enforced_failure_percentage'), 1);
    // The next interval has no data: nothing new happens.
    d.sweep();
    assert.equal(stat('ejections_detected_failure_percentage'), 1);
  });

  it('local-origin failure percentage uses its own enforcement', () => {
    const { d, hosts, stat } = setup(
      { max_ejection_percent: { value: 100 }, split_external_local_origin_errors: true, consecutive_local_origin_failure: { value: 0 }, enforcing_failure_percentage_local_origin: { value: 100 }, failure_percentage_minimum_hosts: { value: 2 }, failure_percentage_request_volume: { value: 4 } },
      2,
    );
    for (let i = 0; i < 4; i++) hosts[0]?.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_SUCCESS);
    for (let i = 0; i < 4; i++) hosts[1]?.outlier.putResult(OutlierResult.LOCAL_ORIGIN_CONNECT_FAILED);
    d.sweep();
    assert.equal(ejected(hosts[1] as Host), true);
    assert.equal(stat('ejections_enforced_local_origin_failure_percentage'), 1);
    assert.equal(hosts[0]?.outlier.localOriginSuccessRate, 100);
  });
});
