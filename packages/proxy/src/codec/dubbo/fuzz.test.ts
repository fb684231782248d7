/**
 * Generated fuzz corpus: captured and encoded frames truncated, with oversized lengths, bit-flipped, spliced with
 * random bytes, and plain random streams. Each input must end in frames or an RpcProtocolError, the same whole or
 * split, and every frame it yields must survive args(), rewrites and local replies without any other error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcProtocolError, type RpcFrame } from '../../interfaces/rpc-codec.js';
import * as captured from './captured-frames.js';
import { dubboCodec } from './index.js';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const codec = dubboCodec.createConnectionCodec({ maxFrameBytes: 4096 });
const SEEDS: Buffer[] = [
  captured.DUBBO2JS_SAY_HELLO,
  captured.DUBBO2JS_MIXED,
  captured.APACHE_MIXED,
  captured.APACHE_NO_ARGS,
  captured.CLIENT_HEARTBEAT,
  codec.encodeGoAway()!,
  Buffer.from('dabb02140000000000000063000000079105776f726c64', 'hex'),
  Buffer.from('dabb023c000000000000000100000003026e6f', 'hex'),
];
const HESSIAN_CODES = [0x43, 0x48, 0x4d, 0x4f, 0x51, 0x52, 0x53, 0x55, 0x56, 0x57, 0x58, 0x5a, 0x60, 0x70, 0x78, 0x41, 0x42, 0x4e, 0x49, 0xff, 0x00];

function mutate(seed: Buffer, rnd: () => number): Buffer {
  const bytes = [...seed];
  const pick = (n: number): number => Math.floor(rnd() * n);
  switch (pick(6)) {
    case 0: // truncated
      return Buffer.from(bytes.slice(0, pick(bytes.length)));
    case 1: {
      // oversized or lying body length
      const b = Buffer.from(bytes);
      b.writeUInt32BE(pick(3) === 0 ? 0xffffffff : pick(b.length + 64), 12);
      return b;
    }
    case 2: // bit flips
      for (let i = 1 + pick(4); i > 0; i--) {
        const at = pick(bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << pick(8));
      }
      return Buffer.from(bytes);
    case 3: {
      // Hessian codes spliced into the body, length kept consistent
      for (let i = 1 + pick(3); i > 0; i--) bytes.splice(16 + pick(Math.max(1, bytes.length - 16)), pick(2), HESSIAN_CODES[pick(HESSIAN_CODES.length)] as number);
      const b = Buffer.from(bytes);
      if (b.length >= 16) b.writeUInt32BE(b.length - 16, 12);
      return b;
    }
    case 4: // random body behind a valid header
      return Buffer.concat([seed.subarray(0, 12), Buffer.from([0, 0, 0, 24]), Buffer.from(Array.from({ length: 24 }, () => pick(256)))]);
    default: // random stream
      return Buffer.from(Array.from({ length: pick(80) }, () => pick(256)));
  }
}

type Outcome = { frames: unknown[]; error: boolean };

function run(input: Buffer, splits: number[]): Outcome {
  const c = dubboCodec.createConnectionCodec({ maxFrameBytes: 4096 });
  const out: RpcFrame[] = [];
  let at = 0;
  // Frames are views into what was read and responses are rewritten in place: each run reads its own copy.
  const data = Buffer.from(input);
  try {
    for (const s of [...splits, input.length]) {
      c.decode(data.subarray(at, s), out);
      at = s;
    }
  } catch (err) {
    if (!(err instanceof RpcProtocolError)) throw err;
    return { frames: out.map(exercise), error: true };
  }
  return { frames: out.map(exercise), error: false };
}

function exercise(f: RpcFrame): unknown {
  let args: unknown = 'error';
  try {
    args = JSON.stringify(f.args(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  } catch (err) {
    if (!(err instanceof RpcProtocolError)) throw new Error(`args() threw ${String(err)}`);
  }
  if (f.kind === 'request') {
    codec.rewriteRequest(f, { requestId: 3, setHeaders: new Map([['colour', 'red']]) });
    codec.encodeLocalReply(f, 'no_route', 'x');
    if (f.heartbeat) codec.encodeHeartbeatReply(f);
  } else codec.rewriteResponse(f, 3);
  return [f.kind, f.requestId, f.heartbeat, f.service, f.method, [...f.headers], f.status, f.badRequest, args];
}

describe('dubbo codec fuzz corpus', () => {
  it('ends every mutated input in frames or an RpcProtocolError, the same however it is split', () => {
    const rnd = prng(0xdabb);
    let errors = 0;
    let frames = 0;
    for (let i = 0; i < 3000; i++) {
      const input = mutate(SEEDS[i % SEEDS.length] as Buffer, rnd);
      const whole = run(input, []);
      const cut = Math.floor(rnd() * (input.length + 1));
      const split = run(input, [cut, Math.min(input.length, cut + 1 + Math.floor(rnd() * 20))]);
      assert.deepEqual(split, whole, `input ${input.toString('hex')}`);
      if (whole.error) errors++;
      frames += whole.frames.length;
    }
    // The corpus exercises both outcomes.
    assert.ok(errors > 300, `errors ${errors}`);
    assert.ok(frames > 1000, `frames ${frames}`);
  });
});
