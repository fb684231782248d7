import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyIstioResource, IstioKind, SpecByKind } from '../sources/istio-resource.js';
import { analyzeResources } from './analyze.js';

function res<K extends IstioKind>(kind: K, name: string, spec: SpecByKind[K]): AnyIstioResource {
  return { kind, apiVersion: 'networking.istio.io/v1', name, namespace: 'trade', labels: {}, spec, origin: `${kind.toLowerCase()}.yaml` } as AnyIstioResource;
}

const se = res('ServiceEntry', 'hello', { hosts: ['com.example.Hello'], ports: [{ number: 12200, name: 'bolt' }], resolution: 'DNS' });
const dr = res('DestinationRule', 'hello', { host: 'com.example.Hello', subsets: [{ name: 'v1', labels: { version: 'v1' } }] });
const rpcRoute = (spec: SpecByKind['RpcRoute']): AnyIstioResource => res('RpcRoute', 'hello', spec);

describe('analyzeResources: RpcRoute', () => {
  it('finds nothing in a consistent RpcRoute', () => {
    const rr = rpcRoute({
      hosts: ['com.example.Hello'],
      rules: [
        { match: [{ method: { exact: 'a' } }], route: [{ destination: { host: 'com.example.Hello', subset: 'v1' } }] },
        { route: [{ destination: { host: 'com.example.Hello' } }] },
      ],
    });
    assert.deepEqual(analyzeResources([se, dr, rr]), []);
  });

  it('reports unknown hosts and subsets, and rules shadowed by an earlier catch-all', () => {
    const rr = rpcRoute({
      hosts: ['com.example.Hello', 'com.example.Missing'],
      rules: [
        { name: 'a', match: [{ method: { exact: 'a' } }], route: [{ destination: { host: 'com.example.Hello', subset: 'v9' } }] },
        { name: 'all', match: [{ method: { exact: 'b' } }, {}], mirror: { host: 'com.example.Gone' } },
        { name: 'late', match: [{ method: { exact: 'c' } }] },
      ],
    });
    assert.deepEqual(analyzeResources([se, dr, rr]).map((i) => [i.resource, i.path, i.reason, i.severity]), [
      ['RpcRoute/trade/hello', 'spec.hosts[1]', "host 'com.example.Missing' is not defined by any ServiceEntry visible in namespace 'trade'", 'error'],
      ['RpcRoute/trade/hello', 'spec.rules[0].route[0].destination.subset', "subset 'v9' is not defined by the DestinationRule for 'com.example.Hello' (defined: v1)", 'error'],
      ['RpcRoute/trade/hello', 'spec.rules[1].mirror.host', "host 'com.example.Gone' is not defined by any ServiceEntry visible in namespace 'trade'", 'error'],
      ['RpcRoute/trade/hello', 'spec.rules[2]', 'unreachable: spec.rules[1] before it matches every call', 'warning'],
    ]);
  });

  it('warns about retries that never happen: not idempotent, a per-try timeout not shorter than the call, not retried on timeout', () => {
    const rr = rpcRoute({
      hosts: ['com.example.Hello'],
      rules: [
        { name: 'plain', match: [{ method: { exact: 'a' } }], retries: { attempts: 2 } },
        { name: 'long', match: [{ method: { exact: 'b' } }], timeout: '1s', retries: { attempts: 1, perTryTimeout: '1s', idempotent: true } },
        { name: 'default', match: [{ method: { exact: 'c' } }], retries: { perTryTimeout: '20s', retryOn: 'reset', idempotent: true } },
        { name: 'fine', match: [{ method: { exact: 'd' } }], timeout: '2s', retries: { attempts: 2, perTryTimeout: '500ms', idempotent: true } },
        { name: 'off', match: [{ method: { exact: 'e' } }], retries: { attempts: 0 } },
      ],
    });
    assert.deepEqual(analyzeResources([se, dr, rr]).map((i) => [i.path, i.reason, i.severity]), [
      ['spec.rules[0].retries', "calls are retried only when their methods are idempotent: set 'idempotent: true' (these retries never happen)", 'warning'],
      ['spec.rules[1].retries.perTryTimeout', "1s is not shorter than the rule's timeout (1s): the call times out before an attempt does", 'warning'],
      ['spec.rules[2].retries.perTryTimeout', "20s is not shorter than the rule's timeout (15s by default): the call times out before an attempt does", 'warning'],
      ['spec.rules[2].retries.perTryTimeout', "an attempt that times out is retried only when retryOn has 'timeout'", 'warning'],
    ]);
  });

  it('warns when RpcRoutes of services on one RPC port set different colourings (a port has one)', () => {
    const other = res('ServiceEntry', 'bye', { hosts: ['com.example.Bye'], ports: [{ number: 12200, name: 'bolt' }], resolution: 'DNS' });
    const a = res('RpcRoute', 'a', { hosts: ['com.example.Hello'], colouring: { header: 'x-colour' } });
    const b = res('RpcRoute', 'b', { hosts: ['com.example.Bye'], colouring: { header: 'x-dye' } });
    const same = res('RpcRoute', 'c', { hosts: ['com.example.Bye'], colouring: { header: 'x-colour', label: 'colour' } });
    assert.deepEqual(analyzeResources([se, other, dr, a, b, same]).map((i) => [i.resource, i.path, i.reason, i.severity]), [
      ['RpcRoute/trade/b', 'spec.colouring', "port 12200 is coloured by RpcRoute/trade/a (header 'x-colour'): a port has one colouring, this one does not apply there", 'warning'],
    ]);
  });
});
