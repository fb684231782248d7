import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RpcProtocolError, type RpcFrame } from '../../interfaces/rpc-codec.js';
import { thriftCodec } from './thrift-codec.js';
import { COMBOS, appException, reply, richCall, type Combo } from './test-frames.js';

const MAX = 16 * 1024;

/** Feeds `chunks`; every outcome must be frames (whose args decode or throw RpcProtocolError) or an RpcProtocolError. */
function survive(chunks: readonly Buffer[]): { frames: number; error: boolean } {
  const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
  const out: RpcFrame[] = [];
  let error = false;
  try {
    for (const c of chunks) codec.decode(c, out);
  } catch (e) {
    if (!(e instanceof RpcProtocolError)) throw e;
    error = true;
  }
  for (const f of out) {
    try {
      f.args();
    } catch (e) {
      if (!(e instanceof RpcProtocolError)) throw e;
    }
    codec.rewriteRequest(f, { requestId: 123456 });
    codec.encodeLocalReply(f, 'timeout', 'x');
  }
  return { frames: out.length, error };
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seeds(c: Combo): Buffer[] {
  return [richCall(c, 'Calc:echo', 7), richCall(c, 'fire', 8, 4), reply(c, 'fail', 9, 1), appException(c, 'add', 10, 6, 'boom')];
}

function frameIt(c: Combo, body: Buffer): Buffer {
  if (c.transport === 'unframed') return body;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** A CALL whose args struct nests `depth` structs (or lists) inside each other. */
function deep(c: Combo, depth: number, lists: boolean): Buffer {
  const parts: Buffer[] = [];
  const binary = c.protocol === 'binary';
  parts.push(Buffer.from(binary ? '80010001000000016100000001' : '8221010161', 'hex'));
  if (lists) {
    // Field 1: a list of lists ... of an empty i32 list.
    parts.push(Buffer.from(binary ? '0f0001' : '19', 'hex'));
    for (let i = 1; i < depth; i++) parts.push(Buffer.from(binary ? '0f00000001' : '19', 'hex'));
    parts.push(Buffer.from(binary ? '080000000000' : '0500', 'hex'));
  } else {
    for (let i = 0; i < depth; i++) parts.push(Buffer.from(binary ? '0c0001' : '1c', 'hex'));
    parts.push(Buffer.alloc(depth + 1));
  }
  return frameIt(c, Buffer.concat(parts));
}

describe('thrift fuzz', () => {
  for (const c of COMBOS) {
    const label = `${c.transport} ${c.protocol}`;

    it(`every truncation waits or fails cleanly (${label})`, () => {
      for (const s of seeds(c)) {
        for (let n = 0; n < s.length; n++) {
          const r = survive([s.subarray(0, n)]);
          assert.equal(r.frames, 0, `prefix ${n}`);
        }
        assert.deepEqual(survive([s]), { frames: 1, error: false });
      }
    });

    it(`bit-flipped and random-tailed messages end in frames or a protocol error (${label})`, () => {
      const rand = rng(c.transport.length * 31 + c.protocol.length);
      for (const s of seeds(c)) {
        for (let i = 0; i < 300; i++) {
          const m = Buffer.from(s);
          const flips = 1 + Math.floor(rand() * 3);
          for (let k = 0; k < flips; k++) {
            const at = Math.floor(rand() * m.length);
            m[at] = (m[at] as number) ^ (1 << Math.floor(rand() * 8));
          }
          const cut = Math.floor(rand() * m.length);
          survive([m.subarray(0, cut), m.subarray(cut), s]);
        }
        for (let i = 0; i < 100; i++) {
          const keep = Math.floor(rand() * s.length);
          const tail = Buffer.alloc(Math.floor(rand() * 64));
          for (let k = 0; k < tail.length; k++) tail[k] = Math.floor(rand() * 256);
          survive([Buffer.concat([s.subarray(0, keep), tail])]);
        }
      }
    });

    it(`refuses deep nesting (${label})`, () => {
      for (const lists of [false, true]) {
        const ok = deep(c, 20, lists);
        const r = survive([ok]);
        assert.deepEqual(r, { frames: 1, error: false }, `depth 20 lists=${lists}`);
        const bad = deep(c, 200, lists);
        if (c.transport === 'unframed') assert.deepEqual(survive([bad]), { frames: 0, error: true });
        else {
          const codec = thriftCodec.createConnectionCodec({ maxFrameBytes: MAX });
          const out: RpcFrame[] = [];
          codec.decode(bad, out);
          assert.throws(() => out[0]?.args(), /too deep/);
        }
      }
    });
  }

  it('refuses huge declared lengths and counts without waiting for the bytes', () => {
    const bodies: [Combo, string][] = [
      [{ transport: 'unframed', protocol: 'binary' }, '8001000100000001610000000a 0b0001 7fffffff'],
      [{ transport: 'unframed', protocol: 'binary' }, '8001000100000001610000000a 0b0001 ffffffff'],
      [{ transport: 'unframed', protocol: 'binary' }, '8001000100000001610000000a 0f0001 0a 7fffffff'],
      [{ transport: 'unframed', protocol: 'binary' }, '8001000100000001610000000a 0d0001 0b0b 10000000'],
      [{ transport: 'unframed', protocol: 'binary' }, '8001000100000001610000000a 0f0001 0c 7fffffff'],
      [{ transport: 'unframed', protocol: 'binary' }, '80010001 7fffffff'],
      [{ transport: 'unframed', protocol: 'compact' }, '82210a0161 18 ffffffff0f'],
      [{ transport: 'unframed', protocol: 'compact' }, '82210a0161 19 f6 ffffffff07'],
      [{ transport: 'unframed', protocol: 'compact' }, '82210a0161 1b ffffffff07 88'],
      [{ transport: 'unframed', protocol: 'compact' }, '82210a ffffffff0f'],
      [{ transport: 'unframed', protocol: 'compact' }, '82210a0161 18 ffffffffffff'],
      [{ transport: 'framed', protocol: 'binary' }, '7fffffff 80010001'],
    ];
    for (const [, hex] of bodies) {
      assert.deepEqual(survive([Buffer.from(hex.replaceAll(' ', ''), 'hex')]), { frames: 0, error: true }, hex);
    }
  });

  it('random bytes after a plausible start end in frames, waiting or a protocol error', () => {
    const rand = rng(7);
    const starts = ['80010001', '8221', '0000002080010001', '0000002082', '00000005', ''];
    for (let i = 0; i < 600; i++) {
      const start = Buffer.from(starts[i % starts.length] as string, 'hex');
      const tail = Buffer.alloc(Math.floor(rand() * 80));
      for (let k = 0; k < tail.length; k++) tail[k] = Math.floor(rand() * 256);
      survive([start, tail]);
    }
  });
});
