import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TYPE_URLS } from '../model/affected-by.js';
import { buildModel } from '../model/mesh-model.js';
import type { AnyIstioResource, GatewaySpec, VirtualServiceSpec } from '../sources/istio-resource.js';
import { proxyIdentityFromNode } from './proxy-identity.js';
import { translateForProxy } from './translate-for-proxy.js';

type Json = Record<string, unknown>;
const gw = (name: string, spec: GatewaySpec): AnyIstioResource => ({ kind: 'Gateway', apiVersion: 'networking.istio.io/v1', name, namespace: 'edge', labels: {}, spec, origin: 'gw.yaml' });
const vs = (name: string, spec: VirtualServiceSpec): AnyIstioResource => ({ kind: 'VirtualService', apiVersion: 'networking.istio.io/v1', name, namespace: 'edge', labels: {}, spec, origin: 'vs.yaml' });
const router = proxyIdentityFromNode({ id: 'router~10.0.0.1~gw-1.edge~edge.svc.cluster.local', metadata: { LABELS: { istio: 'ingressgateway' } } });
const simple = { mode: 'SIMPLE' as const, serverCertificate: '/c.crt', privateKey: '/c.key' };

function translate(resources: AnyIstioResource[]): { listeners: Map<string, Json>; routes: Map<string, Json> } {
  const out = translateForProxy(buildModel(resources), router);
  return { listeners: out.get(TYPE_URLS.listener) ?? new Map(), routes: out.get(TYPE_URLS.route) ?? new Map() };
}

const vhosts = (r: Json | undefined): Array<{ name: string; routes: Array<{ name: string }>; require_tls?: string }> => (r?.virtual_hosts ?? []) as never;

describe('translateForGateway', () => {
  it('names route tables and listeners after the bind address; a port without VirtualServices gets the 404 blackhole', () => {
    const { listeners, routes } = translate([gw('ingress', { servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, bind: '127.0.0.1', hosts: ['*'] }] })]);
    assert.deepEqual([...listeners.keys()], ['127.0.0.1_8080']);
    assert.deepEqual(routes.get('http.8080.127.0.0.1'), { name: 'http.8080.127.0.0.1', virtual_hosts: [{ name: 'blackhole:8080', domains: ['*'], routes: [] }], validate_clusters: false });
  });

  it('keeps the first HTTPS server claiming an SNI name on a port (Envoy refuses duplicate chain matches)', () => {
    const { listeners, routes } = translate([gw('a', { servers: [
      { port: { number: 443, name: 'https-a', protocol: 'HTTPS' }, hosts: ['a.example.com'], tls: simple },
      { port: { number: 443, name: 'https-b', protocol: 'HTTPS' }, hosts: ['b.example.com', 'a.example.com'], tls: simple },
      { port: { number: 443, name: 'https-any', protocol: 'HTTPS' }, hosts: ['*'], tls: simple },
    ] })]);
    const chains = (listeners.get('0.0.0.0_443')?.filter_chains ?? []) as Json[];
    assert.deepEqual(chains.map((c) => c.filter_chain_match), [{ server_names: ['a.example.com'] }, undefined]);
    assert.deepEqual([...routes.keys()].sort(), ['https.443.https-a.a.edge', 'https.443.https-any.a.edge']);
  });

  it('applies match-level gateways per gateway and merges routes of several VirtualServices on one host', () => {
    const { routes } = translate([
      gw('public', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop.example.com'], tls: { httpsRedirect: true } }] }),
      gw('internal', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http-int', protocol: 'HTTP' }, hosts: ['shop.example.com', 'admin.example.com'] }] }),
      vs('shop', { hosts: ['shop.example.com'], gateways: ['public', 'internal'], http: [
        { name: 'public-only', match: [{ uri: { prefix: '/buy' }, gateways: ['public'] }], route: [{ destination: { host: 'shop' } }] },
        { name: 'internal-only', match: [{ uri: { prefix: '/stock' }, gateways: ['edge/internal'] }], route: [{ destination: { host: 'stock' } }] },
        { name: 'both', route: [{ destination: { host: 'shop' } }] },
      ] }),
      vs('admin', { hosts: ['admin.example.com'], gateways: ['internal'], http: [{ name: 'admin', route: [{ destination: { host: 'admin' } }] }] }),
    ]);
    const table = vhosts(routes.get('http.80'));
    assert.deepEqual(table.map((v) => [v.name, v.routes.map((r) => r.name), v.require_tls ?? 'NONE']), [
      ['admin.example.com:80', ['admin'], 'NONE'],
      // Servers in Gateway order (internal, public); each appends the routes that apply to its gateway.
      ['shop.example.com:80', ['internal-only', 'both', 'public-only', 'both'], 'ALL'],
    ]);
  });

  it('gives a sidecar proxy none of it', () => {
    const sidecar = proxyIdentityFromNode({ id: 'sidecar~10.0.0.2~app-1.edge~edge.svc.cluster.local', metadata: { LABELS: { istio: 'ingressgateway' } } });
    const out = translateForProxy(buildModel([gw('ingress', { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] })]), sidecar);
    assert.equal(out.get(TYPE_URLS.listener)?.size, 0);
    assert.equal(out.get(TYPE_URLS.route)?.size, 0);
  });
});
