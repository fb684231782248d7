import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, orderTypes, ROUTE_TYPE, RPC_ROUTE_TYPE, shortTypeName } from './type-urls.js';

describe('type URLs', () => {
  it("names the rpc_proxy's route tables apart from Envoy's RouteConfiguration", () => {
    assert.equal(shortTypeName(ROUTE_TYPE), 'RouteConfiguration');
    assert.equal(shortTypeName(RPC_ROUTE_TYPE), 'RpcRouteConfiguration');
    assert.equal(shortTypeName(CLUSTER_TYPE), 'Cluster');
  });

  it('pushes rpc_proxy route tables after the listeners that reference them', () => {
    assert.deepEqual(orderTypes([RPC_ROUTE_TYPE, ROUTE_TYPE, LISTENER_TYPE, ENDPOINT_TYPE, CLUSTER_TYPE]), [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, RPC_ROUTE_TYPE]);
  });
});
