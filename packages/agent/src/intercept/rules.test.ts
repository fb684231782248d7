import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { natScript, parseInstalled, removalLines } from './iptables-state.js';
import { DEFAULT_INTERCEPT, InterceptConfigError, interceptRules } from './rules.js';

const ANCHOR = ['-N WEFT_CONNTRACK', '-A WEFT_CONNTRACK -m conntrack --ctstate INVALID -j RETURN'];

describe('interceptRules', () => {
  it('captures all inbound and outbound TCP by default, except the proxy (uid/gid 1337), loopback and Istio ports', () => {
    assert.equal(
      natScript(interceptRules(DEFAULT_INTERCEPT)),
      `*nat
-N WEFT_CONNTRACK
-A WEFT_CONNTRACK -m conntrack --ctstate INVALID -j RETURN
-N WEFT_INBOUND
-N WEFT_IN_REDIRECT
-N WEFT_OUTPUT
-N WEFT_REDIRECT
-A WEFT_IN_REDIRECT -p tcp --syn -j REDIRECT --to-ports 15006
-A WEFT_REDIRECT -p tcp --syn -j REDIRECT --to-ports 15001
-A PREROUTING -p tcp -j WEFT_INBOUND
-A WEFT_INBOUND -p tcp --dport 15020 -j RETURN
-A WEFT_INBOUND -p tcp --dport 15021 -j RETURN
-A WEFT_INBOUND -p tcp --dport 15090 -j RETURN
-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT
-A OUTPUT -p tcp -j WEFT_OUTPUT
-A WEFT_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN
-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m owner --uid-owner 1337 -j WEFT_IN_REDIRECT
-A WEFT_OUTPUT -o lo -m owner ! --uid-owner 1337 -j RETURN
-A WEFT_OUTPUT -m owner --uid-owner 1337 -j RETURN
-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m owner --gid-owner 1337 -j WEFT_IN_REDIRECT
-A WEFT_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN
-A WEFT_OUTPUT -m owner --gid-owner 1337 -j RETURN
-A WEFT_OUTPUT -d 127.0.0.1/32 -j RETURN
-A WEFT_OUTPUT -j WEFT_REDIRECT
COMMIT
`,
    );
  });

  it('applies include/exclude ports and CIDRs with Istio names', () => {
    const rules = interceptRules({
      ...DEFAULT_INTERCEPT,
      proxyUid: 2000,
      proxyGid: 2001,
      outboundPort: 16001,
      inboundPort: 16006,
      includeOutboundIPRanges: ['10.0.0.0/8', '172.16.0.0/12'],
      excludeOutboundIPRanges: ['10.96.0.1/32'],
      excludeOutboundPorts: [5432],
      includeInboundPorts: [8080, 9090, 15021],
    });
    assert.deepEqual(rules, [
      ...ANCHOR,
      '-N WEFT_INBOUND',
      '-N WEFT_IN_REDIRECT',
      '-N WEFT_OUTPUT',
      '-N WEFT_REDIRECT',
      '-A WEFT_IN_REDIRECT -p tcp --syn -j REDIRECT --to-ports 16006',
      '-A WEFT_REDIRECT -p tcp --syn -j REDIRECT --to-ports 16001',
      '-A PREROUTING -p tcp -j WEFT_INBOUND',
      '-A WEFT_INBOUND -p tcp --dport 8080 -j WEFT_IN_REDIRECT',
      '-A WEFT_INBOUND -p tcp --dport 9090 -j WEFT_IN_REDIRECT',
      '-A OUTPUT -p tcp -j WEFT_OUTPUT',
      '-A WEFT_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
      '-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m owner --uid-owner 2000 -j WEFT_IN_REDIRECT',
      '-A WEFT_OUTPUT -o lo -m owner ! --uid-owner 2000 -j RETURN',
      '-A WEFT_OUTPUT -m owner --uid-owner 2000 -j RETURN',
      '-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -p tcp -m owner --gid-owner 2001 -j WEFT_IN_REDIRECT',
      '-A WEFT_OUTPUT -o lo -m owner ! --gid-owner 2001 -j RETURN',
      '-A WEFT_OUTPUT -m owner --gid-owner 2001 -j RETURN',
      '-A WEFT_OUTPUT -d 127.0.0.1/32 -j RETURN',
      '-A WEFT_OUTPUT -p tcp --dport 5432 -j RETURN',
      '-A WEFT_OUTPUT -d 10.96.0.1/32 -j RETURN',
      '-A WEFT_OUTPUT -d 10.0.0.0/8 -j WEFT_REDIRECT',
      '-A WEFT_OUTPUT -d 172.16.0.0/12 -j WEFT_REDIRECT',
    ]);
  });

  it('captures nothing in a direction whose include list is empty (no jump from the built-in chain)', () => {
    const rules = interceptRules({ ...DEFAULT_INTERCEPT, includeInboundPorts: [], includeOutboundIPRanges: [] });
    assert.deepEqual(rules, [...ANCHOR, '-N WEFT_INBOUND', '-N WEFT_IN_REDIRECT', '-N WEFT_OUTPUT', '-N WEFT_REDIRECT', '-A WEFT_IN_REDIRECT -p tcp --syn -j REDIRECT --to-ports 15006', '-A WEFT_REDIRECT -p tcp --syn -j REDIRECT --to-ports 15001']);
    // Without inbound capture the proxy's own loopback calls are not sent to the inbound port.
    const outOnly = interceptRules({ ...DEFAULT_INTERCEPT, includeInboundPorts: [] });
    assert.ok(!outOnly.some((r) => r.includes('--uid-owner 1337 -j WEFT_IN_REDIRECT')));
  });

  it('refuses bad ports, CIDRs and ids naming the option', () => {
    assert.throws(() => interceptRules({ ...DEFAULT_INTERCEPT, outboundPort: 0 }), (e: unknown) => e instanceof InterceptConfigError && /outboundPort: 0/.test(e.message));
    assert.throws(() => interceptRules({ ...DEFAULT_INTERCEPT, excludeOutboundIPRanges: ['10.0.0.0/33'] }), /excludeOutboundIPRanges: '10.0.0.0\/33'/);
    assert.throws(() => interceptRules({ ...DEFAULT_INTERCEPT, includeOutboundIPRanges: ['fd00::/8'] }), /includeOutboundIPRanges: 'fd00::\/8' is not an IPv4 CIDR/);
    assert.throws(() => interceptRules({ ...DEFAULT_INTERCEPT, excludeInboundPorts: [70000] }), /excludeInboundPorts: 70000/);
    assert.throws(() => interceptRules({ ...DEFAULT_INTERCEPT, proxyUid: -1 }), /proxyUid/);
  });
});

describe('installed state and removal', () => {
  const listing = `-P PREROUTING ACCEPT
-P OUTPUT ACCEPT
-N OTHER
-N WEFT_INBOUND
-N WEFT_OUTPUT
-A PREROUTING -p tcp -j WEFT_INBOUND
-A PREROUTING -p udp -j OTHER
-A OUTPUT -p tcp -j WEFT_OUTPUT
-A OUTPUT -p tcp -j WEFT_OUTPUT
-A WEFT_INBOUND -p tcp -m tcp --dport 15020 -j RETURN
-A WEFT_OUTPUT -j RETURN
-A OTHER -j RETURN
`;
  it('finds only Weft chains, their rules and the jumps into them', () => {
    assert.deepEqual(parseInstalled(listing), {
      chains: ['WEFT_INBOUND', 'WEFT_OUTPUT'],
      jumps: ['-A PREROUTING -p tcp -j WEFT_INBOUND', '-A OUTPUT -p tcp -j WEFT_OUTPUT', '-A OUTPUT -p tcp -j WEFT_OUTPUT'],
      rules: ['-A WEFT_INBOUND -p tcp -m tcp --dport 15020 -j RETURN', '-A WEFT_OUTPUT -j RETURN'],
    });
  });
  it('removes every jump (duplicates too), then flushes and deletes the chains, leaving others alone', () => {
    assert.equal(
      natScript(removalLines(parseInstalled(listing))),
      '*nat\n-D PREROUTING -p tcp -j WEFT_INBOUND\n-D OUTPUT -p tcp -j WEFT_OUTPUT\n-D OUTPUT -p tcp -j WEFT_OUTPUT\n-F WEFT_INBOUND\n-F WEFT_OUTPUT\n-X WEFT_INBOUND\n-X WEFT_OUTPUT\nCOMMIT\n',
    );
    assert.deepEqual(removalLines(parseInstalled('-P OUTPUT ACCEPT\n')), []);
  });
});
