import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsResolutionError, resolveFamily, systemResolver, type DnsResolver } from './dns-resolver.js';

function fake(answers: Partial<Record<4 | 6, string[]>>, calls: number[] = []): DnsResolver {
  return async (_name, family) => {
    calls.push(family);
    const a = answers[family];
    if (!a) throw Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
    return a;
  };
}

describe('resolveFamily', () => {
  it('AUTO asks IPv6 first and falls back to IPv4', async () => {
    const calls: number[] = [];
    assert.deepEqual(await resolveFamily(fake({ 4: ['10.0.0.1'] }, calls), 'x', 'AUTO'), ['10.0.0.1']);
    assert.deepEqual(calls, [6, 4]);
    assert.deepEqual(await resolveFamily(fake({ 4: ['10.0.0.1'], 6: ['fd00::1'] }), 'x', 'AUTO'), ['fd00::1']);
  });

  it('V4_PREFERRED asks IPv4 first and falls back to IPv6', async () => {
    assert.deepEqual(await resolveFamily(fake({ 4: ['10.0.0.1'], 6: ['fd00::1'] }), 'x', 'V4_PREFERRED'), ['10.0.0.1']);
    assert.deepEqual(await resolveFamily(fake({ 6: ['fd00::1'] }), 'x', 'V4_PREFERRED'), ['fd00::1']);
  });

  it('ALL returns both families, IPv4 first', async () => {
    assert.deepEqual(await resolveFamily(fake({ 4: ['10.0.0.1'], 6: ['fd00::1'] }), 'x', 'ALL'), ['10.0.0.1', 'fd00::1']);
  });

  it('V4_ONLY / V6_ONLY ask one family and reject with DnsResolutionError when it has no address', async () => {
    const calls: number[] = [];
    await assert.rejects(resolveFamily(fake({ 4: ['10.0.0.1'] }, calls), 'x', 'V6_ONLY'), DnsResolutionError);
    assert.deepEqual(calls, [6]);
    await assert.rejects(resolveFamily(fake({ 4: [] }), 'x', 'V4_ONLY'), DnsResolutionError);
  });

  it('the system resolver reads /etc/hosts (localhost) and fails for unknown names', async () => {
    assert.deepEqual(await systemResolver('localhost', 4), ['127.0.0.1']);
    await assert.rejects(resolveFamily(systemResolver, 'no-such-host.invalid', 'V4_ONLY'), DnsResolutionError);
  });
});
