import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AgentFlagError, parseIdentity, parseLabels, parseProxyEndpoints } from './identity.js';

const noEnv = {};

describe('parseIdentity', () => {
  test('defaults: namespace default, labels app=<service>, workload <service>-<ip>, sidecar, domain from namespace', () => {
    assert.deepEqual(parseIdentity({ service: 'reviews', ip: '10.1.2.3' }, noEnv), {
      service: 'reviews',
      namespace: 'default',
      workload: 'reviews-10-1-2-3',
      labels: { app: 'reviews' },
      ip: '10.1.2.3',
      proxyType: 'sidecar',
      clusterId: '',
      locality: undefined,
      dnsDomain: 'default.svc.cluster.local',
      interceptionMode: 'NONE',
    });
  });

  test('flags win over the environment; the environment fills what flags leave out', () => {
    const env = { WEFT_SERVICE: 'ratings', POD_NAMESPACE: 'shop', POD_NAME: 'ratings-7f9c', INSTANCE_IP: '10.0.0.9', WEFT_LABELS: 'app=ratings,version=v1', WEFT_LOCALITY: 'eu-west/eu-west-1a' };
    const id = parseIdentity({ namespace: 'prod', 'proxy-type': 'router', 'cluster-id': 'c1' }, env);
    assert.equal(id.service, 'ratings');
    assert.equal(id.namespace, 'prod');
    assert.equal(id.workload, 'ratings-7f9c');
    assert.equal(id.ip, '10.0.0.9');
    assert.deepEqual(id.labels, { app: 'ratings', version: 'v1' });
    assert.deepEqual(id.locality, { region: 'eu-west', zone: 'eu-west-1a', subZone: '' });
    assert.equal(id.proxyType, 'router');
    assert.equal(id.clusterId, 'c1');
    assert.equal(id.dnsDomain, 'prod.svc.cluster.local');
    assert.equal(parseIdentity({ service: 'r', ip: '10.0.0.1' }, { WEFT_INTERCEPTION_MODE: 'redirect' }).interceptionMode, 'REDIRECT');
  });

  test('each invalid value is refused naming its flag', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{}, 'service', /--service: is required \(or set WEFT_SERVICE\)/],
      [{ service: 'Reviews' }, 'service', /lowercase DNS name/],
      [{ service: 'r', namespace: 'a_b' }, 'namespace', /'a_b'/],
      [{ service: 'r', ip: '10.0.0' }, 'ip', /not an IP address/],
      [{ service: 'r', labels: 'app' }, 'labels', /'app' is not key=value/],
      [{ service: 'r', labels: 'app=a,app=b' }, 'labels', /given twice/],
      [{ service: 'r', labels: 'app=a b' }, 'labels', /not a valid value/],
      [{ service: 'r', 'proxy-type': 'gateway' }, 'proxy-type', /sidecar or router/],
      [{ service: 'r', locality: 'a/b/c/d' }, 'locality', /region\[\/zone\[\/subzone\]\]/],
      [{ service: 'r', 'cluster-id': 'C 1' }, 'cluster-id', /lowercase DNS name/],
      [{ service: 'r', 'interception-mode': 'tproxy' }, 'interception-mode', /'tproxy' must be none or redirect/],
    ];
    for (const [input, flag, message] of cases) {
      assert.throws(() => parseIdentity({ ip: '10.0.0.1', ...input }, noEnv), (err: unknown) => {
        assert.ok(err instanceof AgentFlagError);
        assert.equal(err.flag, flag);
        assert.equal(err.code, 'WEFT_ERR_AGENT_FLAG');
        assert.match(err.message, new RegExp(`^--${flag}: `));
        assert.match(err.message, message);
        return true;
      });
    }
  });

  test('labels accept prefixed keys, empty values and surrounding blanks', () => {
    assert.deepEqual(parseLabels(' app=web , topology.kubernetes.io/zone=z1,empty=,'), { app: 'web', 'topology.kubernetes.io/zone': 'z1', empty: '' });
  });
});

describe('parseProxyEndpoints', () => {
  test('defaults: control plane 127.0.0.1:15010, admin 15000, Delta ADS', () => {
    assert.deepEqual(parseProxyEndpoints({}, noEnv), { controlPlane: { host: '127.0.0.1', port: 15010 }, adminPort: 15000, xdsApi: 'DELTA_GRPC' });
  });

  test('host names, bracketed IPv6, SotW', () => {
    assert.deepEqual(parseProxyEndpoints({ 'control-plane': 'istiod.istio-system:15012', 'xds-api': 'sotw' }, noEnv).controlPlane, { host: 'istiod.istio-system', port: 15012 });
    assert.equal(parseProxyEndpoints({ 'xds-api': 'sotw' }, noEnv).xdsApi, 'GRPC');
    assert.deepEqual(parseProxyEndpoints({ 'control-plane': '[::1]:15010' }, noEnv).controlPlane, { host: '::1', port: 15010 });
  });

  test('refuses a bad address, admin port 0 (the agent polls it) and unknown APIs, naming the flag', () => {
    assert.throws(() => parseProxyEndpoints({ 'control-plane': 'cp' }, noEnv), /^AgentFlagError: --control-plane: 'cp' is not host:port$|--control-plane: 'cp' is not host:port/);
    assert.throws(() => parseProxyEndpoints({ 'control-plane': 'cp:70000' }, noEnv), /--control-plane:/);
    assert.throws(() => parseProxyEndpoints({ 'admin-port': '0' }, noEnv), /--admin-port: '0' is not a port number/);
    assert.throws(() => parseProxyEndpoints({}, { WEFT_XDS_API: 'rest' }), /--xds-api: 'rest' must be delta or sotw/);
  });
});
