import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseBootstrapText } from '@weft/api';
import { ProxyServer } from '@weft/proxy';
import { request, startProxyFromYaml, startUpstream } from '@weft/testing';
import { adminStat } from './stats.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

function zonedCluster(name: string, zones: Array<[string, number[]]>, extra = ''): string {
  const localities = zones
    .map(
      ([zone, ports]) => `      - locality: { region: r1, zone: ${zone} }
        lb_endpoints:
${ports.map((p) => `        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${p} } } }`).join('\n')}`,
    )
    .join('\n');
  return `
  - name: ${name}
    type: STATIC
    connect_timeout: 0.5s
${extra}
    load_assignment:
      cluster_name: ${name}
      endpoints:
${localities}`;
}

const ROUTES = '- match: { prefix: "/" }\n  route: { cluster: svc }';
const ZONE_NODE = 'cluster_manager: { local_cluster_name: local }';

describe('zone-aware routing from the bootstrap (node.locality + cluster_manager.local_cluster_name)', () => {
  test('a proxy in zone a sends everything to the upstream in zone a when the shares match', async () => {
    const a = await startUpstream('zone-a');
    const b = await startUpstream('zone-b');
    const yaml = bootstrap(
      httpListener({ routes: ROUTES }),
      zonedCluster('local', [['a', [1]], ['b', [2]]]) +
        zonedCluster('svc', [['a', [a.port]], ['b', [b.port]]], '    common_lb_config: { zone_aware_lb_config: { min_cluster_size: 2 } }'),
      ZONE_NODE,
    ).replace('node: { id: test-node, cluster: test }', 'node: { id: test-node, cluster: test, locality: { region: r1, zone: a } }');
    const proxy = await startProxyFromYaml(yaml);
    try {
      for (let i = 0; i < 6; i++) assert.equal((await request(proxy.port('http'), '/')).headers['x-upstream'], 'zone-a');
      assert.equal(await adminStat(proxy.adminPort, 'cluster.svc.lb_zone_routing_all_directly'), 6);
      assert.equal(b.requests.length, 0);
    } finally {
      await proxy.close();
      await a.close();
      await b.close();
    }
  });

  test('a local_cluster_name naming no cluster is refused', () => {
    const yaml = bootstrap(httpListener({ routes: ROUTES }), staticCluster('svc', [1]), 'cluster_manager: { local_cluster_name: nope }');
    assert.throws(
      () => new ProxyServer(parseBootstrapText(yaml, 'b.yaml'), { serveTraffic: false, concurrency: 1, drainTimeMs: 0 }),
      (e: unknown) => e instanceof ConfigError && e.message === "cluster_manager.local_cluster_name: local cluster 'nope' must be defined",
    );
  });
});
