import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildModel, resolveGatewayName } from '../model/mesh-model.js';
import type { AnyIstioResource, GatewaySpec, VirtualServiceSpec } from '../sources/istio-resource.js';
import { hostsForNamespace, intersectHosts, mergeGatewayServers, selectGateways, virtualServicesForGateway } from './gateway-scope.js';
import { proxyIdentityFromNode } from './proxy-identity.js';

const gw = (name: string, namespace: string, spec: GatewaySpec): AnyIstioResource => ({ kind: 'Gateway', apiVersion: 'networking.istio.io/v1', name, namespace, labels: {}, spec, origin: 'gw.yaml' });
const vs = (name: string, namespace: string, spec: VirtualServiceSpec): AnyIstioResource => ({ kind: 'VirtualService', apiVersion: 'networking.istio.io/v1', name, namespace, labels: {}, spec, origin: 'vs.yaml' });
const router = proxyIdentityFromNode({ id: 'router~10.0.0.1~gw-1.edge~edge.svc.cluster.local', metadata: { LABELS: { istio: 'ingressgateway' } } });

describe('gateway scope', () => {
  it('resolves VirtualService gateway references like Istio', () => {
    assert.equal(resolveGatewayName('ingress', 'shop'), 'shop/ingress');
    assert.equal(resolveGatewayName('edge/ingress', 'shop'), 'edge/ingress');
    assert.equal(resolveGatewayName('ingress.edge.svc.cluster.local', 'shop'), 'edge/ingress');
    assert.equal(resolveGatewayName('mesh', 'shop'), 'mesh');
  });

  it('intersects server and VirtualService hosts keeping the more specific name', () => {
    assert.deepEqual(intersectHosts(['*.example.com'], ['a.example.com', 'b.example.com', 'a.other.com']), ['a.example.com', 'b.example.com']);
    assert.deepEqual(intersectHosts(['a.example.com', 'b.example.com'], ['*.example.com']), ['a.example.com', 'b.example.com']);
    assert.deepEqual(intersectHosts(['*'], ['*.example.com', 'x.io']), ['*.example.com', 'x.io']);
    assert.deepEqual(intersectHosts(['a.example.com'], ['b.example.com']), []);
  });

  it('selects Gateways by selector in any namespace (no selector: every gateway proxy)', () => {
    const server = { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] };
    const model = buildModel([
      gw('a', 'edge', { selector: { istio: 'ingressgateway' }, servers: [server] }),
      gw('b', 'other', { servers: [server] }),
      gw('c', 'edge', { selector: { istio: 'egressgateway' }, servers: [server] }),
    ]);
    assert.deepEqual(selectGateways(model, router).map((g) => `${g.namespace}/${g.name}`), ['edge/a', 'other/b']);
  });

  it('merges servers per bind:port and drops servers whose protocol class conflicts with the port', () => {
    const model = buildModel([
      gw('a', 'edge', { servers: [
        { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['a.example.com'] },
        { port: { number: 80, name: 'http-local', protocol: 'HTTP' }, hosts: ['local.example.com'], bind: '127.0.0.1' },
        { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['./a.example.com'], tls: { mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' } },
        { port: { number: 9000, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] },
      ] }),
      gw('b', 'edge', { servers: [
        { port: { number: 80, name: 'http-b', protocol: 'HTTP' }, hosts: ['shop/b.example.com'] },
        { port: { number: 443, name: 'plain', protocol: 'HTTP' }, hosts: ['c.example.com'] },
        { port: { number: 443, name: 'tls', protocol: 'TLS' }, hosts: ['db.example.com'], tls: { mode: 'PASSTHROUGH' } },
        { port: { number: 9000, name: 'tcp-2', protocol: 'TCP' }, hosts: ['*'] },
      ] }),
    ]);
    const ports = mergeGatewayServers(model.gateways);
    assert.deepEqual(ports.map((p) => [`${p.bind}:${p.number}`, p.kind, p.servers.map((s) => `${s.gatewayName}:${s.portName}:${s.kind}`)]), [
      ['0.0.0.0:80', 'http', ['edge/a:http:http', 'edge/b:http-b:http']],
      ['127.0.0.1:80', 'http', ['edge/a:http-local:http']],
      ['0.0.0.0:443', 'tls', ['edge/a:https:https', 'edge/b:tls:passthrough']],
      ['0.0.0.0:9000', 'tcp', ['edge/a:tcp:tcp']],
    ]);
    const https = ports[2]?.servers[0];
    const httpB = ports[0]?.servers[1];
    assert.ok(https && httpB);
    assert.deepEqual(https.hosts, [{ namespace: 'edge', host: 'a.example.com' }]);
    assert.deepEqual(hostsForNamespace(https, 'edge'), ['a.example.com']);
    assert.deepEqual(hostsForNamespace(https, 'shop'), []);
    assert.deepEqual(hostsForNamespace(httpB, 'shop'), ['b.example.com']);
    assert.deepEqual(hostsForNamespace(ports[0]?.servers[0] ?? https, 'anywhere'), ['a.example.com']);
  });

  it('binds only VirtualServices naming the gateway and visible to the proxy namespace', () => {
    const model = buildModel([
      vs('short', 'edge', { hosts: ['a.example.com'], gateways: ['ingress'], http: [] }),
      vs('full', 'shop', { hosts: ['a.example.com'], gateways: ['edge/ingress'], http: [] }),
      vs('elsewhere', 'shop', { hosts: ['a.example.com'], gateways: ['ingress'], http: [] }),
      vs('private', 'shop', { hosts: ['a.example.com'], gateways: ['edge/ingress'], exportTo: ['.'], http: [] }),
      vs('mesh', 'edge', { hosts: ['a.example.com'], http: [] }),
    ]);
    assert.deepEqual(virtualServicesForGateway(model, 'edge', 'edge/ingress').map((v) => `${v.namespace}/${v.name}`), ['edge/short', 'shop/full']);
  });
});
