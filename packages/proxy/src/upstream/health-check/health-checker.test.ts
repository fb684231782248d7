import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeMessage } from '@weft/api';
import type { HealthCheck__Output } from '../envoy-types.js';
import { HealthFlag, healthFlagsToString, type Host } from '../host.js';
import { mkHost } from '../test-hosts.js';
import { TestScope } from '../test-scope.js';
import { parseHealthCheck } from './hc-config.js';
import { HealthChecker } from './health-checker.js';
import { ProbeOutcome, type ProbeCallbacks } from './probe.js';
import { decodeHealthStatus, encodeHealthRequest } from './grpc-probe.js';
import { matchesInOrder } from './tcp-probe.js';

/** A checker whose probes are driven by the test; intervals are long so no timer fires during a test. */
function setup(extra: object = {}, traffic = true) {
  const cfg = parseHealthCheck(
    normalizeMessage<HealthCheck__Output>('envoy.config.core.v3.HealthCheck', {
      timeout: { seconds: 100 },
      interval: { seconds: 100 },
      unhealthy_threshold: { value: 3 },
      healthy_threshold: { value: 2 },
      tcp_health_check: {},
      ...extra,
    }),
    'hc',
  );
  const scope = new TestScope();
  const probes = new Map<Host, ProbeCallbacks>();
  const starts: Host[] = [];
  const changes: Host[] = [];
  const checker = new HealthChecker(cfg, {
    scope: scope.scope('cluster.c'),
    clusterName: 'c',
    random: () => 7,
    hadTraffic: () => traffic,
    onHostChange: (h) => changes.push(h),
    probeFactory: (host, cb) => {
      probes.set(host, cb);
      return { start: () => starts.push(host), cancel: () => {}, close: () => {} };
    },
  });
  const host = mkHost('10.0.0.1');
  host.healthFlags |= HealthFlag.FAILED_ACTIVE_HC;
  checker.addHost(host);
  const report = (o: ProbeOutcome): void => probes.get(host)?.onProbeDone(o);
  const stat = (n: string): number => scope.value(`cluster.c.health_check.${n}`);
  return { checker, host, report, starts, changes, stat };
}

describe('health checker state machine', () => {
  it('waits for start(); the first pass makes the host healthy at once and ends the warming round', async () => {
    const { checker, host, report, starts, changes, stat } = setup();
    assert.equal(starts.length, 0);
    let warmed = false;
    const round = checker.firstRound().then(() => (warmed = true));
    checker.start();
    assert.deepEqual(starts, [host]);
    assert.equal(stat('attempt'), 1);
    await Promise.resolve();
    assert.equal(warmed, false);
    report(ProbeOutcome.HEALTHY);
    await round;
    assert.equal(host.healthFlags, 0);
    assert.deepEqual(changes, [host]);
    assert.equal(stat('success'), 1);
    assert.equal(stat('healthy'), 1);
    checker.close();
    assert.equal(stat('healthy'), 0);
  });

  it('network failures need unhealthy_threshold; an unexpected answer fails at once', () => {
    const { checker, host, report, stat } = setup();
    checker.start();
    report(ProbeOutcome.HEALTHY);
    report(ProbeOutcome.NETWORK);
    report(ProbeOutcome.NETWORK);
    assert.equal(host.healthy, true);
    report(ProbeOutcome.NETWORK);
    assert.equal(healthFlagsToString(host.healthFlags), '/failed_active_hc');
    assert.equal(stat('network_failure'), 3);
    report(ProbeOutcome.HEALTHY);
    assert.equal(host.healthy, false, 'healthy_threshold is 2 after the first check');
    report(ProbeOutcome.HEALTHY);
    assert.equal(host.healthy, true);
    report(ProbeOutcome.FAILED_RETRIABLE);
    assert.equal(host.healthy, true, 'retriable statuses count like network failures');
    report(ProbeOutcome.FAILED);
    assert.equal(host.healthy, false);
    assert.equal(stat('failure'), 5);
    checker.close();
  });

  it('a first failure keeps the host failed and ends warming; PENDING_ACTIVE_HC is cleared by any result', async () => {
    const { checker, host, report, changes } = setup();
    host.healthFlags |= HealthFlag.PENDING_ACTIVE_HC;
    checker.start();
    assert.equal(host.excluded, true);
    report(ProbeOutcome.NETWORK);
    await checker.firstRound();
    assert.equal(healthFlagsToString(host.healthFlags), '/failed_active_hc');
    assert.deepEqual(changes, [host], 'clearing the pending flag is a change (the host stops being excluded)');
    checker.close();
  });

  it('x-envoy-degraded makes the host degraded; the data path immediate-fail excludes and fails it', () => {
    const { checker, host, report, changes, stat } = setup();
    checker.start();
    report(ProbeOutcome.DEGRADED);
    assert.equal(healthFlagsToString(host.healthFlags), '/degraded_active_hc');
    assert.equal(stat('degraded'), 1);
    report(ProbeOutcome.HEALTHY);
    assert.equal(host.healthFlags, 0);
    host.healthChecker.setUnhealthyImmediate();
    assert.equal(healthFlagsToString(host.healthFlags), '/failed_active_hc/excluded_via_immediate_hc_fail');
    assert.equal(stat('passive_failure'), 1);
    assert.equal(changes.length, 3);
    report(ProbeOutcome.HEALTHY);
    report(ProbeOutcome.HEALTHY);
    assert.equal(host.healthFlags, 0, 'passing again clears the exclusion');
    checker.close();
  });

  it('intervals: interval / unhealthy_interval / edge intervals with traffic, no_traffic_interval without; jitter added', () => {
    const { checker } = setup({
      interval: { seconds: 10 },
      unhealthy_interval: { seconds: 20 },
      unhealthy_edge_interval: { seconds: 3 },
      healthy_edge_interval: { seconds: 4 },
      no_traffic_interval: { seconds: 50 },
      no_traffic_healthy_interval: { seconds: 60 },
    });
    assert.equal(checker.interval(true, 0), 10_000);
    assert.equal(checker.interval(true, 2), 4_000);
    assert.equal(checker.interval(false, 1), 20_000);
    assert.equal(checker.interval(false, 2), 3_000);
    const idle = setup({ no_traffic_interval: { seconds: 50 }, no_traffic_healthy_interval: { seconds: 60 } }, false).checker;
    assert.equal(idle.interval(true, 0), 60_000);
    assert.equal(idle.interval(true, 2), 50_000);
    assert.equal(idle.interval(false, 0), 50_000);
    const jittered = setup({ interval_jitter: { seconds: 1 }, interval_jitter_percent: 10 }).checker;
    // random() is 7: +7 % (10% of 100 s) and +7 % 1000 ms.
    assert.equal(jittered.interval(true, 0), 100_014);
    checker.close();
    idle.close();
    jittered.close();
  });
});

describe('health check wire helpers', () => {
  it('TCP receive blocks match in order, anywhere in the data', () => {
    const b = (s: string): Buffer => Buffer.from(s);
    assert.equal(matchesInOrder([b('po'), b('ng')], b('xxpoyyng')), true);
    assert.equal(matchesInOrder([b('ng'), b('po')], b('pong')), false);
    assert.equal(matchesInOrder([b('pon'), b('ng')], b('pong')), false, 'blocks do not overlap');
  });

  it('gRPC health request and response encode as protobuf in a gRPC frame', () => {
    assert.deepEqual([...encodeHealthRequest('')], [0, 0, 0, 0, 0]);
    assert.deepEqual([...encodeHealthRequest('ab')], [0, 0, 0, 0, 4, 0x0a, 2, 0x61, 0x62]);
    assert.equal(decodeHealthStatus(Buffer.from([0, 0, 0, 0, 2, 0x08, 1])), 1);
    assert.equal(decodeHealthStatus(Buffer.from([0, 0, 0, 0, 0])), 0);
    assert.equal(decodeHealthStatus(Buffer.from([0, 0, 0, 0, 3, 0x08])), -1);
  });
});
