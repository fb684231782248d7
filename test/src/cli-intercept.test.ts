import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runWeft } from './weft-cli.js';

describe('weft intercept (no root needed)', () => {
  test('--dry-run prints the iptables-restore input with the include/exclude options applied', async () => {
    const r = await runWeft(['intercept', 'on', '--dry-run', '--admin', 'none', '--proxy-uid', '2000', '--proxy-gid', '2000', '--exclude-outbound-ports', '22,443', '--include-inbound-ports', '8080', '--exclude-outbound-ip-ranges', '169.254.169.254/32']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '*nat');
    assert.equal(lines.at(-1), 'COMMIT');
    assert.ok(lines.includes('-A WEFT_INBOUND -p tcp --dport 8080 -j WEFT_IN_REDIRECT'));
    assert.ok(lines.includes('-A WEFT_OUTPUT -m owner --uid-owner 2000 -j RETURN'));
    assert.ok(lines.includes('-A WEFT_OUTPUT -p tcp --dport 443 -j RETURN'));
    assert.ok(lines.includes('-A WEFT_OUTPUT -d 169.254.169.254/32 -j RETURN'));
    assert.equal(lines.filter((l) => l.startsWith('-A PREROUTING') || l.startsWith('-A OUTPUT')).length, 2);
  });

  test('bad usage exits 2 naming the problem', async () => {
    const noAction = await runWeft(['intercept']);
    assert.equal(noAction.code, 2);
    assert.match(noAction.stderr, /expected one of on, off, status/);
    const badPort = await runWeft(['intercept', 'on', '--dry-run', '--exclude-inbound-ports', '80,x']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--exclude-inbound-ports: 'x' is not a port/);
    const badCidr = await runWeft(['intercept', 'on', '--dry-run', '--include-outbound-ip-ranges', '10.0.0.0/40']);
    assert.equal(badCidr.code, 2);
    assert.match(badCidr.stderr, /includeOutboundIPRanges: '10.0.0.0\/40' is not an IPv4 CIDR/);
  });
});
