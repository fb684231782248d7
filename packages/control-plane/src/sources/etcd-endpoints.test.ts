import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEtcdEndpoints } from './etcd-source.js';

describe('parseEtcdEndpoints', () => {
  it('accepts comma-separated http URLs and host:port (as http), trimming spaces and a trailing slash', () => {
    assert.deepEqual(parseEtcdEndpoints('http://10.0.0.1:2379, etcd-1.local:2379,http://[::1]:2379/'), [
      'http://10.0.0.1:2379',
      'http://etcd-1.local:2379',
      'http://[::1]:2379',
    ]);
  });

  it('refuses empty entries, missing or out-of-range ports, paths and https, naming the entry', () => {
    assert.throws(() => parseEtcdEndpoints('a:1,,b:2'), /^Error: --etcd-endpoints has an empty entry in 'a:1,,b:2'$/);
    assert.throws(() => parseEtcdEndpoints('http://etcd'), /^Error: --etcd-endpoints: 'http:\/\/etcd' is not http:\/\/host:port$/);
    assert.throws(() => parseEtcdEndpoints('etcd:70000'), /'etcd:70000' is not http:\/\/host:port/);
    assert.throws(() => parseEtcdEndpoints('etcd:0'), /'etcd:0' is not/);
    assert.throws(() => parseEtcdEndpoints('http://etcd:2379/v3'), /'http:\/\/etcd:2379\/v3' is not/);
    assert.throws(() => parseEtcdEndpoints('https://etcd:2379'), /https \(TLS to etcd\) is not supported yet/);
  });
});
