import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, Server, ServerCredentials, type ServiceDefinition, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { resourceFromMessage } from './resource.js';
import { apiListener, cluster, endpoints, startHarness, type Harness } from './test-fixtures.js';
import { LISTENER_TYPE } from './type-urls.js';

// The reference proxyless client: real @grpc/grpc-js-xds resolving xds:/// names through our ADS server (SotW).

const identity = (b: Buffer): Buffer => b;
const ECHO: ServiceDefinition = {
  Say: { path: '/test.Echo/Say', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

async function startEcho(tag: string): Promise<{ server: Server; port: number }> {
  const server = new Server();
  server.addService(ECHO, {
    Say: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => cb(null, Buffer.concat([Buffer.from(`${tag}:`), call.request])),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, port };
}

function say(client: Client, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/test.Echo/Say', identity, identity, Buffer.from(text), { deadline: Date.now() + 5000 }, (err, res) =>
      err ? reject(err) : resolve(String(res)),
    );
  });
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('interop with @grpc/grpc-js-xds', () => {
  let h: Harness;
  let one: { server: Server; port: number };
  let two: { server: Server; port: number };
  let client: Client;

  before(async () => {
    one = await startEcho('one');
    two = await startEcho('two');
    h = await startHarness([apiListener('echo.test:1234', 'echo'), cluster('echo'), endpoints('echo', [one.port])], 20);
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
      xds_servers: [{ server_uri: `127.0.0.1:${h.port}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: 'grpc-client', cluster: 'interop', locality: { region: 'r', zone: 'z' } },
    });
    const xds = await import('@grpc/grpc-js-xds');
    xds.register();
    client = new Client('xds:///echo.test:1234', credentials.createInsecure());
  });

  after(async () => {
    client.close();
    await h.close();
    one.server.forceShutdown();
    two.server.forceShutdown();
  });

  it('resolves the name through LDS, CDS and EDS, calls the endpoint, and ACKs every type', async () => {
    assert.equal(await say(client, 'hi'), 'one:hi');
    const view = h.ads.syncz().find((s) => s.proxy === 'grpc-client');
    assert.equal(view?.variant, 'sotw');
    for (const t of ['Listener', 'Cluster', 'ClusterLoadAssignment']) {
      const state = view?.types[t] as { ackedVersion: string; nacks: number };
      assert.equal(state.ackedVersion, '1', `${t} ACKed`);
      assert.equal(state.nacks, 0);
    }
  });

  it('follows an endpoint change pushed as EDS only', async () => {
    const before = h.ads.syncz().find((s) => s.proxy === 'grpc-client')?.types['Cluster'] as { responses: number };
    h.provider.update([endpoints('echo', [two.port])], []);
    await eventually(async () => (await say(client, 'x')) === 'two:x');
    const view = h.ads.syncz().find((s) => s.proxy === 'grpc-client');
    assert.equal((view?.types['Cluster'] as { responses: number }).responses, before.responses, 'no CDS push');
    await eventually(() => (h.ads.syncz().find((s) => s.proxy === 'grpc-client')?.types['ClusterLoadAssignment'] as { ackedVersion: string }).ackedVersion === '2');
  });

  it('records the NACK of a listener with an unsupported required HTTP filter, with its error detail', async () => {
    const bad = resourceFromMessage(LISTENER_TYPE, {
      name: 'echo.test:1234',
      api_listener: {
        api_listener: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          stat_prefix: 'x',
          route_config: { name: 'r', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: 'echo' } }] }] },
          http_filters: [
            { name: 'cors', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' } },
            { name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
          ],
        },
      },
    });
    h.provider.update([bad], []);
    await eventually(() => (h.ads.syncz().find((s) => s.proxy === 'grpc-client')?.types['Listener'] as { nacks: number }).nacks === 1);
    const lds = h.ads.syncz().find((s) => s.proxy === 'grpc-client')?.types['Listener'] as { ackedVersion: string; lastNack: { version: string; message: string } };
    assert.equal(lds.lastNack.version, '3');
    assert.match(lds.lastNack.message, /cors|filter/i);
    assert.equal(lds.ackedVersion, '1', 'the client keeps the last good version');
    assert.equal(await say(client, 'still'), 'two:still', 'the old listener keeps serving');
  });
});
