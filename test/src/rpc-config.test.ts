import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerRpcCodec, unregisterRpcCodec } from '@weft/proxy/rpc/codec-registry';
import { configError } from './config-error.js';
import { createTestCodec } from './rpc-test-codec.js';
import { MAGIC } from './rpc-test-peers.js';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { bootstrap } from './yaml.js';

const P = 'static_resources\\.listeners\\[0\\]\\.filter_chains\\[0\\]\\.filters\\[0\\]\\.typed_config';

function refusal(body: string): string {
  return configError(bootstrap(rpcListener('rpc', body), rpcCluster('c', [{ port: 1 }])));
}

describe('rpc_proxy config refusals name the field', () => {
  before(() => registerRpcCodec(createTestCodec('wrpc', MAGIC)));
  after(() => unregisterRpcCodec('wrpc'));

  const routes = 'route_config: { routes: [{ match: {}, route: { cluster: c } }] }';
  const cases: Array<[string, string, RegExp]> = [
    ['a missing stat_prefix', `codecs: [wrpc]\n${routes}`, new RegExp(`${P}\\.stat_prefix: is required`)],
    ['no codecs', `stat_prefix: s\n${routes}`, new RegExp(`${P}\\.codecs: needs at least one protocol`)],
    ['an unknown codec', `stat_prefix: s\ncodecs: [wrpc, nope]\n${routes}`, new RegExp(`${P}\\.codecs\\[1\\]: unknown RPC protocol 'nope'`)],
    ['a missing route_config', 'stat_prefix: s\ncodecs: [wrpc]', new RegExp(`${P}\\.route_config: is required`)],
    [
      'an unknown cluster',
      'stat_prefix: s\ncodecs: [wrpc]\nroute_config: { routes: [{ match: {}, route: { cluster: nope } }] }',
      new RegExp(`${P}\\.route_config\\.routes\\[0\\]\\.route\\.cluster: unknown cluster 'nope'`),
    ],
    [
      'a route without a cluster',
      'stat_prefix: s\ncodecs: [wrpc]\nroute_config: { routes: [{ match: {}, route: { timeout: 1s } }] }',
      new RegExp(`${P}\\.route_config\\.routes\\[0\\]\\.route: one of cluster or weighted_clusters is required`),
    ],
    [
      'an unknown retry condition',
      'stat_prefix: s\ncodecs: [wrpc]\nroute_config: { routes: [{ match: {}, route: { cluster: c, retry_policy: { retry_on: "reset,5xx" } } }] }',
      new RegExp(`${P}\\.route_config\\.routes\\[0\\]\\.route\\.retry_policy\\.retry_on: unknown retry condition '5xx'`),
    ],
    [
      'metadata_match outside envoy.lb',
      'stat_prefix: s\ncodecs: [wrpc]\nroute_config: { routes: [{ match: {}, route: { cluster: c, metadata_match: { filter_metadata: { other: { a: b } } } } }] }',
      new RegExp(`${P}\\.route_config\\.routes\\[0\\]\\.route\\.metadata_match\\.filter_metadata\\.other: only the 'envoy\\.lb' namespace`),
    ],
    [
      'an empty parameter prefix',
      'stat_prefix: s\ncodecs: [wrpc]\nroute_config: { routes: [{ match: { parameters: [{ index: 0, value: { prefix: "" } }] }, route: { cluster: c } }] }',
      new RegExp(`${P}\\.route_config\\.routes\\[0\\]\\.match\\.parameters\\[0\\]\\.value\\.prefix: value length must be at least 1`),
    ],
    [
      'a zero total weight',
      'stat_prefix: s\ncodecs: [wrpc]\nroute_config: { routes: [{ match: {}, route: { weighted_clusters: { clusters: [{ name: c, weight: 0 }] } } }] }',
      new RegExp(`${P}\\.route_config\\.routes\\[0\\]\\.route\\.weighted_clusters: total weight must be greater than 0`),
    ],
    [
      'both route_config and rds',
      `stat_prefix: s\ncodecs: [wrpc]\nrds: { config_source: { ads: {} }, route_config_name: r }\n${routes}`,
      new RegExp(`${P}: only one of route_config and rds may be set`),
    ],
    ['rds without ADS in the bootstrap', 'stat_prefix: s\ncodecs: [wrpc]\nrds: { config_source: { ads: {} }, route_config_name: r }', new RegExp(`${P}\\.rds: needs dynamic_resources\\.ads_config`)],
    ['colouring without a header', `stat_prefix: s\ncodecs: [wrpc]\ncolouring: { label: c }\n${routes}`, new RegExp(`${P}\\.colouring\\.header: is required`)],
    ['a tiny max_frame_bytes', `stat_prefix: s\ncodecs: [wrpc]\nmax_frame_bytes: 4\n${routes}`, new RegExp(`${P}\\.max_frame_bytes\\.value: must be at least 16`)],
  ];
  for (const [what, body, expected] of cases) {
    test(`refuses ${what}`, () => {
      assert.match(refusal(body), expected);
    });
  }

  test('refuses an unknown field of the extension message (strict decoding)', () => {
    assert.match(refusal(`stat_prefix: s\ncodecs: [wrpc]\nroutes_config: {}\n${routes}`), /routes_config/);
  });
});
