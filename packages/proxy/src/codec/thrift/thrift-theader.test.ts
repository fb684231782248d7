import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RpcFrame } from '../../interfaces/rpc-codec.js';
import { matchThrift, thriftCodec } from './thrift-codec.js';
import { addCall, readTHeaderHeaders } from './test-frames.js';
import { wrapTHeader } from './thrift-theader.js';

describe('thrift THeader', () => {
  it('writes header blocks the thrift library reads, with multi-byte varint counts and lengths', () => {
    const headers = new Map<string, string>();
    for (let i = 0; i < 200; i++) headers.set(`k${i}`, 'v'.repeat(i));
    headers.set('ключ', 'значение');
    for (const protocol of ['binary', 'compact'] as const) {
      const payload = addCall({ transport: 'unframed', protocol }, 9, 1, 2);
      const bytes = wrapTHeader(protocol, 9, headers, payload);
      assert.equal((bytes.readUInt16BE(12) * 4) % 4, 0);
      assert.deepEqual(readTHeaderHeaders(bytes), Object.fromEntries(headers));
      const out: RpcFrame[] = [];
      thriftCodec.createConnectionCodec({ maxFrameBytes: 1 << 20 }).decode(bytes, out);
      assert.deepEqual(out.map((f) => [f.requestId, f.method, f.args()]), [[9, 'add', [1, 2]]]);
      assert.deepEqual(out[0]?.headers, headers);
      assert.equal(matchThrift(bytes), 'yes');
      assert.equal(matchThrift(bytes.subarray(0, 5)), 'need-more');
      assert.equal(matchThrift(Buffer.from('000000100f00', 'hex')), 'no');
    }
  });

  it('without headers writes the protocol id and an empty transform list, padded to 4 bytes', () => {
    const bytes = wrapTHeader('compact', -2, new Map(), Buffer.from('ab', 'hex'));
    assert.deepEqual(bytes, Buffer.from('0000000f0fff0000fffffffe000102000000ab', 'hex'));
  });
});
