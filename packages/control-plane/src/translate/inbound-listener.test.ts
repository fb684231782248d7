import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageFromJson } from '@weft/api';
import { inboundListener } from './listeners.js';

type Json = Record<string, unknown>;

/** The inbound route of a sidecar ingress listener (HCM inline route config, one virtual host, one route). */
function inboundRoute(listener: Json): Json {
  const chain = (listener.filter_chains as Json[])[0] as Json;
  const hcm = ((chain.filters as Json[])[0] as Json).typed_config as Json;
  const vh = ((hcm.route_config as Json).virtual_hosts as Json[])[0] as Json;
  return ((vh.routes as Json[])[0] as Json).route as Json;
}

describe('sidecar inbound listener: default route retry policy (Istio >= 1.24)', () => {
  it('HTTP and HTTP2 ports retry a request reset before any byte reached the app, twice', () => {
    for (const protocol of ['HTTP', 'HTTP2']) {
      const l = inboundListener('10.0.0.5', 9080, protocol);
      assert.deepEqual(inboundRoute(l), { cluster: 'inbound|9080||', timeout: '0s', retry_policy: { retry_on: 'reset-before-request', num_retries: 2 } });
      // It is a valid Envoy Listener (the Any-packed HCM decodes back).
      assert.doesNotThrow(() => messageFromJson('envoy.config.listener.v3.Listener', l));
    }
  });

  it('gRPC ports get no retry policy, TCP ports no HTTP route at all', () => {
    for (const protocol of ['GRPC', 'GRPC-WEB']) assert.deepEqual(inboundRoute(inboundListener('10.0.0.5', 9090, protocol)), { cluster: 'inbound|9090||', timeout: '0s' });
    const tcp = inboundListener('10.0.0.5', 3306, 'TCP');
    const filter = ((tcp.filter_chains as Json[])[0] as Json).filters as Json[];
    assert.equal((filter[0] as Json).name, 'envoy.filters.network.tcp_proxy');
  });
});
