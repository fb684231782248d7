import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyIstioResource, IstioKind, SpecByKind } from '../sources/istio-resource.js';
import { analyzeResources } from './analyze.js';

function res<K extends IstioKind>(kind: K, name: string, namespace: string, spec: SpecByKind[K]): AnyIstioResource {
  return { kind, apiVersion: 'networking.istio.io/v1', name, namespace, labels: {}, spec, origin: `${kind.toLowerCase()}.yaml` } as AnyIstioResource;
}

const se = res('ServiceEntry', 'reviews', 'shop', { hosts: ['reviews.shop.svc.cluster.local'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' });
const ext = res('ServiceEntry', 'ext', 'other', { hosts: ['*.example.com'], ports: [{ number: 443, name: 'tls', protocol: 'TLS' }], resolution: 'DNS' });
const dr = res('DestinationRule', 'reviews', 'shop', { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] });
const vs = (http: unknown[], tcp?: unknown[]): AnyIstioResource =>
  res('VirtualService', 'reviews', 'shop', { hosts: ['reviews'], http, ...(tcp ? { tcp } : {}) } as SpecByKind['VirtualService']);
const to = (host: string, subset?: string): unknown => ({ route: [{ destination: { host, ...(subset ? { subset } : {}) } }] });

describe('analyzeResources', () => {
  it('finds nothing in a consistent set (short names, wildcard ServiceEntry hosts)', () => {
    const routes = [
      { match: [{ uri: { prefix: '/v2' } }], ...(to('reviews', 'v2') as object) },
      { match: [{ headers: { end: { exact: 'x' } } }], ...(to('api.example.com') as object) },
      to('reviews.shop.svc.cluster.local', 'v1'),
    ];
    assert.deepEqual(analyzeResources([se, ext, dr, vs(routes)]), []);
  });

  it('reports destination hosts no visible ServiceEntry defines, with file, resource and field path', () => {
    const hidden = res('ServiceEntry', 'hidden', 'other', { hosts: ['hidden.other.svc.cluster.local'], exportTo: ['.'], ports: [{ number: 80, name: 'http' }] });
    const issues = analyzeResources([se, hidden, vs([{ match: [{ uri: { prefix: '/a' } }], ...(to('ratings') as object) }, to('hidden.other.svc.cluster.local')], [{ route: [{ destination: { host: 'db' } }] }])]);
    assert.deepEqual(issues, [
      { file: 'virtualservice.yaml', resource: 'VirtualService/shop/reviews', path: 'spec.http[0].route[0].destination.host', reason: "host 'ratings.shop.svc.cluster.local' is not defined by any ServiceEntry visible in namespace 'shop'", severity: 'error' },
      { file: 'virtualservice.yaml', resource: 'VirtualService/shop/reviews', path: 'spec.http[1].route[0].destination.host', reason: "host 'hidden.other.svc.cluster.local' is not defined by any ServiceEntry visible in namespace 'shop'", severity: 'error' },
      { file: 'virtualservice.yaml', resource: 'VirtualService/shop/reviews', path: 'spec.tcp[0].route[0].destination.host', reason: "host 'db.shop.svc.cluster.local' is not defined by any ServiceEntry visible in namespace 'shop'", severity: 'error' },
    ]);
  });

  it('reports subsets no DestinationRule defines (and subsets without any rule)', () => {
    const issues = analyzeResources([se, dr, vs([{ match: [{ uri: { prefix: '/a' } }], ...(to('reviews', 'v3') as object) }, to('reviews', 'v1')])]);
    assert.deepEqual(issues.map((i) => [i.path, i.reason, i.severity]), [
      ['spec.http[0].route[0].destination.subset', "subset 'v3' is not defined by the DestinationRule for 'reviews.shop.svc.cluster.local' (defined: v1, v2)", 'error'],
    ]);
    const noRule = analyzeResources([se, vs([to('reviews', 'v1')])]);
    assert.deepEqual(noRule.map((i) => [i.path, i.reason]), [
      ['spec.http[0].route[0].destination.subset', "subset 'v1' of 'reviews.shop.svc.cluster.local': no DestinationRule defines subsets for that host"],
    ]);
  });

  it('checks mirror destinations too', () => {
    const issues = analyzeResources([se, dr, vs([{ ...(to('reviews', 'v1') as object), mirror: { host: 'reviews', subset: 'shadow' } }])]);
    assert.deepEqual(issues.map((i) => i.path), ['spec.http[0].mirror.subset']);
  });

  it('warns about routes after a match-less or prefix "/" route, and routes repeating earlier conditions', () => {
    const afterMatchless = analyzeResources([se, dr, vs([to('reviews', 'v1'), { match: [{ uri: { prefix: '/v2' } }], ...(to('reviews', 'v2') as object) }, to('reviews', 'v2')])]);
    assert.deepEqual(afterMatchless.map((i) => [i.path, i.reason, i.severity]), [
      ['spec.http[1]', 'unreachable: spec.http[0] before it matches every request', 'warning'],
      ['spec.http[2]', 'unreachable: spec.http[0] before it matches every request', 'warning'],
    ]);
    const afterSlash = analyzeResources([se, dr, vs([
      { match: [{ name: 'a', uri: { exact: '/x' } }, { name: 'all', uri: { prefix: '/' }, ignoreUriCase: true }], ...(to('reviews', 'v1') as object) },
      { match: [{ uri: { prefix: '/v2' } }], ...(to('reviews', 'v2') as object) },
    ])]);
    assert.deepEqual(afterSlash.map((i) => [i.path, i.reason]), [['spec.http[1]', 'unreachable: spec.http[0] before it matches every request']]);
    const same = analyzeResources([se, dr, vs([
      { match: [{ name: 'first', uri: { prefix: '/v2' } }], ...(to('reviews', 'v2') as object) },
      { match: [{ name: 'second', uri: { prefix: '/v2' } }], ...(to('reviews', 'v1') as object) },
      to('reviews', 'v1'),
    ])]);
    assert.deepEqual(same.map((i) => [i.path, i.reason]), [['spec.http[1]', 'unreachable: spec.http[0] has the same match conditions']]);
    // a prefix "/" with another condition (a header) does not match everything; the last catch-all shadows nothing
    const fine = analyzeResources([se, dr, vs([
      { match: [{ uri: { prefix: '/' }, headers: { end: { exact: 'x' } } }], ...(to('reviews', 'v2') as object) },
      to('reviews', 'v1'),
    ])]);
    assert.deepEqual(fine, []);
  });

  it('reports gateway references no Gateway defines (short names resolve in the VirtualService namespace) and checks tls destinations', () => {
    const gw = res('Gateway', 'ingress', 'istio-system', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] });
    const bound = res('VirtualService', 'edge', 'shop', {
      hosts: ['reviews.example.com'],
      gateways: ['istio-system/ingress', 'mesh', 'ingress', 'ingress.istio-system.svc.cluster.local'],
      http: [{ match: [{ gateways: ['other/gw'] }], route: [{ destination: { host: 'reviews' } }] }],
      tls: [{ match: [{ sniHosts: ['a.example.com'], gateways: ['istio-system/ingress'] }], route: [{ destination: { host: 'tls-backend' } }] }],
    } as SpecByKind['VirtualService']);
    assert.deepEqual(analyzeResources([se, gw, bound]).map((i) => [i.path, i.reason]), [
      ['spec.tls[0].route[0].destination.host', "host 'tls-backend.shop.svc.cluster.local' is not defined by any ServiceEntry visible in namespace 'shop'"],
      ['spec.gateways[2]', "gateway 'shop/ingress' is not defined by any Gateway"],
      ['spec.http[0].match[0].gateways[0]', "gateway 'other/gw' is not defined by any Gateway"],
    ]);
  });

  it('warns about VirtualService hosts the bound Gateway does not serve for its namespace', () => {
    const gw = res('Gateway', 'ingress', 'istio-system', { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['shop/*.shop.example.com', './admin.example.com', 'api.example.com'] }] });
    const bound = res('VirtualService', 'edge', 'shop', {
      hosts: ['a.shop.example.com', 'admin.example.com', 'api.example.com', 'other.example.com'],
      gateways: ['istio-system/ingress'],
      http: [{ route: [{ destination: { host: 'reviews' } }] }],
    } as SpecByKind['VirtualService']);
    assert.deepEqual(analyzeResources([se, gw, bound]).map((i) => [i.path, i.reason, i.severity]), [
      ['spec.gateways[0]', "host 'admin.example.com' is not among the hosts of Gateway 'istio-system/ingress' for namespace 'shop'", 'warning'],
      ['spec.gateways[0]', "host 'other.example.com' is not among the hosts of Gateway 'istio-system/ingress' for namespace 'shop'", 'warning'],
    ]);
  });
});
