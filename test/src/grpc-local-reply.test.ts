import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { freePort, request, startProxyFromYaml, type TestProxy } from '@weft/testing';
import { closeSession, h2connect, h2request } from './h2-client.js';
import { bootstrap, httpListener, staticCluster } from './yaml.js';

function unary(port: number, method: string, metadata = new grpc.Metadata()): Promise<grpc.ServiceError> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from('ping'),
      metadata,
      (err, res) => {
        client.close();
        resolve(err ?? Object.assign(new Error(`unexpected success: ${String(res)}`), { code: -1, details: '', metadata }));
      },
    );
  });
}

describe('gRPC local replies over downstream HTTP/2', () => {
  let proxy: TestProxy;
  test('setup', async () => {
    const dead = await freePort();
    proxy = await startProxyFromYaml(
      bootstrap(
        httpListener({ routes: '- match: { prefix: "/dead." }\n  route: { cluster: dead }' }),
        staticCluster('dead', [dead]),
      ),
    );
  });

  test('no route: trailers-only response, :status 200, grpc-status 12 (UNIMPLEMENTED) — seen by grpc-js', async () => {
    const err = await unary(proxy.port('http'), '/pkg.Svc/Missing');
    assert.equal(err.code, grpc.status.UNIMPLEMENTED);
  });

  test('upstream connect failure: grpc-status 14 (UNAVAILABLE) with the reason in grpc-message', async () => {
    const err = await unary(proxy.port('http'), '/dead.Svc/Call');
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    assert.match(err.details, /upstream connect error or disconnect\/reset before headers/);
  });

  test('the trailers-only reply is one HEADERS frame with END_STREAM: no DATA, no separate trailers', async () => {
    const s = h2connect(proxy.port('http'));
    const r = await h2request(s, { ':method': 'POST', ':path': '/pkg.Svc/Missing', ':authority': 'x', 'content-type': 'application/grpc', te: 'trailers' }, Buffer.alloc(5));
    await closeSession(s);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/grpc');
    assert.equal(r.headers['grpc-status'], '12');
    assert.equal(r.body.length, 0);
    assert.equal(r.trailers, undefined);
    assert.equal(r.rstCode, 0);
  });

  test('istio_requests_total carries grpc_response_status from the reply', async () => {
    const body = (await request(proxy.adminPort, '/stats/prometheus')).body;
    assert.match(body, /^istio_requests_total\{[^}]*destination_service="dead"[^}]*request_protocol="grpc",response_code="200",grpc_response_status="14",response_flags="UF"[^}]*\} 1$/m);
  });

  test('teardown', async () => {
    await proxy.close();
  });
});
