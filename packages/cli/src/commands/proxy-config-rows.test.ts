import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from '../output/format.js';
import { clusterRows, endpointRows, listenerRows, routeRows } from './proxy-config-rows.js';

test('routeRows: matches (path, regex, headers) and actions (weighted, redirect, direct response)', () => {
  const rc = {
    name: 'r',
    virtual_hosts: [
      {
        name: 'vh',
        domains: ['a.example.com'],
        routes: [
          { match: { path: '/exact', path_specifier: 'path', headers: [{ name: 'x-env' }] }, route: { weighted_clusters: { clusters: [{ name: 'a', weight: { value: 90 } }, { name: 'b', weight: { value: 10 } }] } } },
          { match: { safe_regex: { regex: '^/r.*' }, path_specifier: 'safe_regex' }, redirect: { host_redirect: 'x' } },
          { match: { prefix: '/', path_specifier: 'prefix' }, direct_response: { status: 404 } },
        ],
      },
      { name: 'empty', domains: ['*', 'b'], routes: [] },
    ],
  };
  assert.deepEqual(routeRows([rc]), [
    ['r', 'vh', 'a.example.com', 'path /exact headers x-env', 'a 90, b 10'],
    ['r', 'vh', 'a.example.com', 'regex ^/r.*', 'redirect'],
    ['r', 'vh', 'a.example.com', 'prefix /', 'direct_response 404'],
    ['r', 'empty', '* +1 more', '', ''],
  ]);
});

test('listener, cluster and endpoint rows; defaults when fields are absent', () => {
  assert.deepEqual(listenerRows([{ name: 'l', address: { socket_address: { address: '0.0.0.0', port_value: 80 } }, filter_chains: [{}, {}], default_filter_chain: {} }]), [['l', '0.0.0.0', '80', '3']]);
  assert.deepEqual(clusterRows([{ name: 'c', type: 'STRICT_DNS', lb_policy: 'RING_HASH' }, { name: 'd' }]), [['c', 'STRICT_DNS', 'RING_HASH'], ['d', 'STATIC', 'ROUND_ROBIN']]);
  const cla = {
    cluster_name: 'c',
    endpoints: [{ locality: { region: '', zone: 'z1', sub_zone: '' }, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } }, health_status: 'HEALTHY' }] }],
  };
  assert.deepEqual(endpointRows([cla]), [['c', '10.0.0.1:8080', '/z1', '1', 'HEALTHY']]);
});

test('formatTable aligns columns and does not pad the last one', () => {
  assert.equal(formatTable(['A', 'LONG'], [['xyz', '1'], ['q', '']]), 'A     LONG\nxyz   1\nq\n');
});
