import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createThriftClient, startProxyFromYaml, startThriftServer, type TestProxy, type TestThriftClient, type TestThriftServer, type ThriftPeerOptions } from '@weft/testing';
import { rpcCluster, rpcListener } from './rpc-yaml.js';
import { adminStat } from './stats.js';
import { bootstrap } from './yaml.js';

// Real Apache thrift clients and servers (framed binary, framed compact multiplexed, unframed binary) through the RPC proxy.

function rejection(p: Promise<unknown>): Promise<Error & { type?: number }> {
  return p.then(
    (v) => assert.fail(`expected a rejection, got ${JSON.stringify(v)}`),
    (e: unknown) => e as Error & { type?: number },
  );
}

const ROUTES = `
route_config:
  name: local
  routes:
  - name: greeter
    match: { service: { exact: Greeter } }
    route: { cluster: greeter }
  - name: slow
    match: { method: { exact: slow } }
    route: { cluster: calc, timeout: 0.2s }
  - name: calc-add-or-fail
    match: { method: { safe_regex: { regex: "add|fail|fire" } } }
    route: { cluster: calc }`;

for (const opts of [
  { transport: 'framed', protocol: 'binary' },
  { transport: 'framed', protocol: 'compact', multiplexed: true },
  { transport: 'buffered', protocol: 'binary' },
] satisfies ThriftPeerOptions[]) {
  const label = `${opts.transport} ${opts.protocol}${opts.multiplexed ? ' multiplexed' : ''}`;
  describe(`Thrift ${label} through the RPC proxy (real thrift peers)`, () => {
    let calc: TestThriftServer;
    let greeter: TestThriftServer;
    let proxy: TestProxy;
    let client: TestThriftClient;
    const prefix = `thrift_${opts.transport}_${opts.protocol}`;

    before(async () => {
      calc = await startThriftServer(opts);
      greeter = await startThriftServer({ ...opts, handlers: { hello: (n) => `greeter says hi to ${n}` } });
      proxy = await startProxyFromYaml(
        bootstrap(
          rpcListener('thrift', `stat_prefix: ${prefix}\ncodecs: [thrift]${ROUTES}`),
          rpcCluster('calc', [{ port: calc.port }]) + rpcCluster('greeter', [{ port: greeter.port }]),
        ),
      );
      client = await createThriftClient(proxy.port('thrift'), opts);
    });

    after(async () => {
      await client.close();
      await proxy.close();
      await calc.close();
      await greeter.close();
    });

    test('calls come back matched to their sequence ids, many at once', async () => {
      assert.equal(await client.calc.add(2, 3), 5);
      const sums = await Promise.all(Array.from({ length: 50 }, (_, i) => client.calc.add(i, 1000)));
      assert.deepEqual(sums, Array.from({ length: 50 }, (_, i) => i + 1000));
      assert.deepEqual(client.errors, []);
    });

    test('a declared exception and a server crash reach the client as thrift sees them', async () => {
      const oops = await rejection(client.calc.fail('nope', 7));
      assert.equal((oops as unknown as { why: string }).why, 'nope');
      const crash = await rejection(client.calc.fail('crash', 1));
      assert.match(crash.message, /crashed: 1/);
      assert.equal(await client.calc.add(1, 1), 2);
    });

    test('the route timeout is a TApplicationException INTERNAL_ERROR and the connection keeps working', async () => {
      const err = await rejection(client.calc.slow(1000, 1));
      assert.equal(err.type, 6);
      assert.match(err.message, /upstream request timeout/);
      assert.equal(await adminStat(proxy.adminPort, `rpc.${prefix}.local_reply_timeout`), 1);
      assert.equal(await client.calc.add(4, 4), 8);
    });

    if (opts.multiplexed) {
      test('routes by multiplexed service name to another cluster', async () => {
        assert.equal(await client.greeter.hello('ann'), 'greeter says hi to ann');
        assert.equal(greeter.calls.at(-1)?.method, 'hello');
        assert.equal(calc.calls.some((c) => c.method === 'hello'), false);
      });
    } else {
      test('a method no route matches gets TApplicationException UNKNOWN_METHOD', async () => {
        const err = await rejection(client.calc.echo('x', {}, [], 1, 1, 0, 1, true));
        assert.equal(err.type, 1);
        assert.match(err.message, /no route for \.echo/);
        assert.equal(await client.calc.add(5, 5), 10);
      });
    }
  });
}
