import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bootstrap__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/Bootstrap.js';
import { staticClusterTarget } from './ads-config.js';

function bootstrap(...addresses: Array<[string, number]>): Bootstrap__Output {
  const lb_endpoints = addresses.map(([address, port_value]) => ({ endpoint: { address: { socket_address: { address, port_value } } } }));
  return { static_resources: { clusters: [{ name: 'xds', load_assignment: { endpoints: [{ lb_endpoints }] } }] } } as unknown as Bootstrap__Output;
}

describe('the ADS target from a static xDS cluster', () => {
  it('is the endpoint itself when there is one', () => {
    assert.equal(staticClusterTarget(bootstrap(['127.0.0.1', 15010]), 'xds', 'p'), '127.0.0.1:15010');
    assert.equal(staticClusterTarget(bootstrap(['::1', 15010]), 'xds', 'p'), '[::1]:15010');
  });

  it('lists every replica so the channel fails over between them', () => {
    assert.equal(staticClusterTarget(bootstrap(['127.0.0.1', 1], ['127.0.0.2', 2]), 'xds', 'p'), 'ipv4:127.0.0.1:1,127.0.0.2:2');
    assert.equal(staticClusterTarget(bootstrap(['::1', 1], ['::2', 2]), 'xds', 'p'), 'ipv6:[::1]:1,[::2]:2');
  });

  it('uses the first endpoint when they are hostnames or mixed families', () => {
    assert.equal(staticClusterTarget(bootstrap(['cp-a.local', 1], ['cp-b.local', 2]), 'xds', 'p'), 'cp-a.local:1');
    assert.equal(staticClusterTarget(bootstrap(['127.0.0.1', 1], ['::1', 2]), 'xds', 'p'), '127.0.0.1:1');
  });

  it('names the field when the cluster is unknown or empty', () => {
    assert.throws(() => staticClusterTarget(bootstrap(), 'xds', 'dynamic_resources.ads_config'), /dynamic_resources.ads_config: cluster 'xds' has no socket address endpoint/);
    assert.throws(() => staticClusterTarget(bootstrap(['127.0.0.1', 1]), 'other', 'p'), /p: unknown static cluster 'other'/);
  });
});
