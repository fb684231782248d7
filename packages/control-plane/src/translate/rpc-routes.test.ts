import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envoyType, messageFromJson } from '@weft/api';
import { buildModel } from '../model/mesh-model.js';
import { ConfigStore } from '../sources/config-store.js';
import { formatIssue } from '../sources/issue.js';
import { parseYamlDocuments } from '../sources/yaml-documents.js';
import { rpcRouteTable } from './rpc-routes.js';

const SERVICE = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: hello, namespace: trade }
spec:
  hosts: [com.example.Hello]
  resolution: STATIC
  ports: [{ number: 12200, name: bolt }]
  endpoints: [{ address: 10.0.0.1 }]
---
apiVersion: rpc.weft.io/v1alpha1
kind: RpcRoute
metadata: { name: hello, namespace: trade }
spec:
  hosts: [com.example.Hello]
  rules:
  - name: guarded
    fault: { delay: { fixedDelay: 100ms, percentage: { value: 50 } }, abort: { message: no } }
    rateLimit: { tokenBucket: { maxTokens: 10, fillInterval: 1s } }
`;

function load(text: string): { issues: string[]; model: ReturnType<typeof buildModel> } {
  const store = new ConfigStore();
  const parsed = parseYamlDocuments(text);
  store.setFile('in.yaml', parsed);
  const snap = store.snapshot();
  return { issues: snap.issues.map(formatIssue), model: buildModel(snap.resources.values()) };
}

const ROUTE_ACTION = 'weft.extensions.filters.network.rpc_proxy.v1.RouteAction';

describe('RpcRoute fault and rate limit', () => {
  // The rpc_proxy proto gains RouteAction.fault / local_rate_limit in another branch: until then they are refused.
  const supported = envoyType(ROUTE_ACTION).fields.fault !== undefined && envoyType(ROUTE_ACTION).fields.local_rate_limit !== undefined;

  it(supported ? 'translates fault and rateLimit into the RouteAction' : 'refuses fault and rateLimit while the proxy API lacks them', () => {
    const { issues, model } = load(SERVICE);
    if (!supported) {
      assert.deepEqual(issues, [
        "in.yaml:10: RpcRoute/trade/hello spec.rules[0].fault: is not supported by this Weft build (the rpc_proxy RouteAction has no 'fault') (not applied)",
        "in.yaml:10: RpcRoute/trade/hello spec.rules[0].rateLimit: is not supported by this Weft build (the rpc_proxy RouteAction has no 'local_rate_limit') (not applied)",
      ]);
      return;
    }
    assert.deepEqual(issues, []);
    const service = model.services[0];
    assert.ok(service);
    const table = rpcRouteTable(model, 'trade', [service], 12200);
    const action = table.routes[0]?.route;
    assert.deepEqual(action, {
      cluster: 'outbound|12200||com.example.Hello',
      fault: { delay: { fixed_delay: '0.1s', percentage: { numerator: 500000, denominator: 'MILLION' } }, abort: { percentage: { numerator: 1000000, denominator: 'MILLION' }, message: 'no' } },
      local_rate_limit: { token_bucket: { max_tokens: 10, tokens_per_fill: 1, fill_interval: '1s' } },
    });
    assert.doesNotThrow(() => messageFromJson(ROUTE_ACTION, action));
  });
});
