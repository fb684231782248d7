import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RpcCodec, RpcFrame } from '../../interfaces/rpc-codec.js';
import { boltCodec } from '../bolt/bolt-codec.js';
import { peerRequest } from '../bolt/test-peer.js';
import { dubboCodec } from '../dubbo/index.js';
import { DUBBO2JS_SAY_HELLO } from '../dubbo/captured-frames.js';
import { thriftCodec } from '../thrift/thrift-codec.js';
import { COMBOS, addCall } from '../thrift/test-frames.js';

// Hot upgrade hands a connection's partial frame to a fresh codec in the next process: what takePartial returns,
// followed by the rest of the stream, must decode to the same frames as the uninterrupted stream.

function decode(codec: RpcCodec, chunks: readonly Buffer[]): { frames: RpcFrame[]; partial: Buffer } {
  const c = codec.createConnectionCodec({ maxFrameBytes: 1 << 20 });
  const frames: RpcFrame[] = [];
  for (const chunk of chunks) c.decode(chunk, frames);
  return { frames, partial: c.takePartial() };
}

const cases: Array<[string, RpcCodec, Buffer, Buffer]> = [
  ['bolt v1', boltCodec, peerRequest(5), peerRequest(6)],
  ['bolt v2 crc', boltCodec, peerRequest(5, { protocolType: 'bolt2', boltVersion: 2, crcEnable: true }), peerRequest(6, { protocolType: 'bolt2', boltVersion: 2, crcEnable: true })],
  ['dubbo', dubboCodec, DUBBO2JS_SAY_HELLO, DUBBO2JS_SAY_HELLO],
  ...COMBOS.map((c): [string, RpcCodec, Buffer, Buffer] => [`thrift ${c.transport} ${c.protocol}`, thriftCodec, addCall(c, 5, 1, 2), addCall(c, 6, 3, 4)]),
];

describe('codecs hand over a partial frame (takePartial)', () => {
  for (const [name, codec, first, second] of cases) {
    it(`${name}: every split point of the second frame resumes in a fresh codec`, () => {
      const stream = Buffer.concat([first, second]);
      const whole = decode(codec, [stream]).frames.map((f) => f.requestId);
      assert.equal(whole.length, 2);
      for (let cut = first.length; cut < stream.length; cut += Math.max(1, Math.floor(second.length / 7))) {
        // OLD read up to `cut` in two reads; its partial frame moves with the rest of the stream to a new codec.
        const old = decode(codec, [stream.subarray(0, first.length - 1), stream.subarray(first.length - 1, cut)]);
        assert.deepEqual(old.frames.map((f) => f.requestId), whole.slice(0, 1));
        assert.deepEqual(old.partial, stream.subarray(first.length, cut));
        const next = decode(codec, [Buffer.concat([old.partial, stream.subarray(cut)])]);
        assert.deepEqual(next.frames.map((f) => f.requestId), whole.slice(1));
        assert.equal(next.partial.length, 0);
      }
    });
  }

  it('forgets the bytes it hands over', () => {
    const c = boltCodec.createConnectionCodec({ maxFrameBytes: 1 << 20 });
    const frame = peerRequest(9);
    const out: RpcFrame[] = [];
    c.decode(frame.subarray(0, 10), out);
    assert.equal(c.takePartial().length, 10);
    assert.equal(c.takePartial().length, 0);
    c.decode(frame, out);
    assert.deepEqual(out.map((f) => f.requestId), [9]);
  });
});
