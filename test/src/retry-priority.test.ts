import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, startProxyFromYaml, startUpstream, type TestProxy, type TestUpstream } from '@weft/testing';
import { bootstrap, httpListener } from './yaml.js';

/** A cluster with one host in priority 0 and one in priority 1. */
function twoPriorities(name: string, p0: number, p1: number): string {
  const ep = (port: number) => `{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }`;
  return `
  - name: ${name}
    type: STATIC
    connect_timeout: 0.5s
    load_assignment:
      cluster_name: ${name}
      endpoints:
      - { priority: 0, lb_endpoints: [${ep(p0)}] }
      - { priority: 1, lb_endpoints: [${ep(p1)}] }`;
}

const PREVIOUS_PRIORITIES = (frequency: number): string =>
  `retry_priority: { name: envoy.retry_priorities.previous_priorities, typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig, update_frequency: ${frequency} } }`;

describe('retry_priority envoy.retry_priorities.previous_priorities over real sockets', () => {
  let failing: TestUpstream;
  let healthy: TestUpstream;
  let proxy: TestProxy;
  let port: number;

  before(async () => {
    failing = await startUpstream('p0', (_req, res) => {
      res.writeHead(503, { 'x-upstream': 'p0', 'content-length': '0' });
      res.end();
    });
    healthy = await startUpstream('p1');
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({
          routes: `
- match: { prefix: "/every" }
  route: { cluster: c, retry_policy: { retry_on: 5xx, num_retries: 1, ${PREVIOUS_PRIORITIES(1)} } }
- match: { prefix: "/second" }
  route: { cluster: c, retry_policy: { retry_on: 5xx, num_retries: 2, ${PREVIOUS_PRIORITIES(2)} } }
- match: { prefix: "/" }
  route: { cluster: c, retry_policy: { retry_on: 5xx, num_retries: 2 } }`,
        }),
        twoPriorities('c', failing.port, healthy.port),
      ),
    );
    port = proxy.port('http');
  });

  after(async () => {
    await proxy.close();
    await failing.close();
    await healthy.close();
  });

  test('without a retry priority every retry stays in priority 0 (all its load): 503 after three tries', async () => {
    const before = failing.requests.length;
    const res = await request(port, '/plain');
    assert.equal(res.status, 503);
    assert.equal(failing.requests.length - before, 3);
  });

  test('update_frequency 1: the retry goes to priority 1', async () => {
    const before = failing.requests.length;
    const res = await request(port, '/every');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-upstream'], 'p1');
    assert.equal(failing.requests.length - before, 1);
  });

  test('update_frequency 2 (Istio retryRemoteLocalities): the first retry keeps priority 0, the second leaves it', async () => {
    const before = failing.requests.length;
    const healthyBefore = healthy.requests.length;
    const res = await request(port, '/second');
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-upstream'], 'p1');
    assert.equal(failing.requests.length - before, 2);
    assert.equal(healthy.requests.length - healthyBefore, 1);
  });
});
