import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { AgentApi } from './api-server.js';

function call(port: number, method: string, path: string, body?: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('AgentApi', () => {
  const api = new AgentApi();
  let port = 0;
  before(async () => {
    api.route('GET', '/text', () => ({ status: 200, body: 'LIVE\n' }));
    api.route('POST', '/intercept/on', (req) => ({ status: 202, body: { got: req.body ?? null, q: req.query.get('x') } }));
    api.route('GET', '/boom', () => {
      throw new Error('broken');
    });
    port = await api.listen('127.0.0.1', 0);
  });
  after(() => api.close());

  test('a registered module route gets the parsed JSON body and query', async () => {
    const r = await call(port, 'POST', '/intercept/on?x=1', '{"drainMs": 5}');
    assert.equal(r.status, 202);
    assert.equal(r.type, 'application/json');
    assert.deepEqual(JSON.parse(r.body), { got: { drainMs: 5 }, q: '1' });
    assert.deepEqual(JSON.parse((await call(port, 'POST', '/intercept/on')).body), { got: null, q: null });
  });

  test('text bodies, 404 for unknown paths, 405 naming the allowed method, 400 for bad JSON, 500 for a throwing handler', async () => {
    assert.deepEqual(await call(port, 'GET', '/text'), { status: 200, type: 'text/plain; charset=utf-8', body: 'LIVE\n' });
    assert.deepEqual(JSON.parse((await call(port, 'GET', '/nope')).body), { error: 'no route /nope' });
    const wrong = await call(port, 'GET', '/intercept/on');
    assert.deepEqual([wrong.status, JSON.parse(wrong.body)], [405, { error: 'use POST' }]);
    const bad = await call(port, 'POST', '/intercept/on', '{nope');
    assert.deepEqual([bad.status, JSON.parse(bad.body)], [400, { error: 'body is not JSON' }]);
    const boom = await call(port, 'GET', '/boom');
    assert.deepEqual([boom.status, JSON.parse(boom.body)], [500, { error: 'broken' }]);
  });

  test('registering the same route twice is an error', () => {
    assert.throws(() => api.route('get', '/text', () => ({ status: 200, body: '' })), /GET \/text is already registered/);
  });
});
