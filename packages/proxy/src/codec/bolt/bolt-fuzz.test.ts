/**
 * A generated fuzz corpus for the Bolt codec: truncated, oversized, bit-flipped, byte-spliced and random frames built
 * from real sofa-bolt-node frames with a seeded PRNG. Each must end in frames or an RpcProtocolError, whether it
 * arrives whole or in random pieces, and every routing accessor of every frame that comes out must answer or throw
 * RpcProtocolError (args) — nothing else may escape.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcProtocolError, type RpcFrame } from '../../interfaces/rpc-codec.js';
import { boltCodec } from './bolt-codec.js';
import { peerHeartbeat, peerRequest, peerRequestFinalHessian, peerResponse, sofaErrorResponse } from './test-peer.js';

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

const SEEDS: Buffer[] = [
  peerRequest(1, {}, { args: ['a', 1, [1, 2, { k: 'v' }], { $class: 'com.example.User', $: { name: 'n' } }] }),
  peerRequest(2, { protocolType: 'bolt2', boltVersion: 2, crcEnable: true }),
  peerRequest(3, { protocolType: 'bolt2', boltVersion: 1 }, { oneway: true }),
  peerRequestFinalHessian(4, {}, { args: [1.5, 'x'.repeat(300), null, true, new Date(0), Buffer.from('bin')] }),
  peerResponse(5),
  peerHeartbeat(6),
  sofaErrorResponse(7, 'failed'),
  sofaErrorResponse(8, 'failed', true),
];

function touch(f: RpcFrame): void {
  void [f.kind, f.oneway, f.heartbeat, f.requestId, f.service, f.method, f.version, f.group, f.application, f.requestTimeoutMs, f.status];
  for (const _ of f.headers) void _;
  try {
    f.args();
  } catch (e) {
    if (!(e instanceof RpcProtocolError)) throw e;
  }
}

/** Feeds `bytes` in `pieces`; returns frames or the protocol error; anything else fails the test. */
function run(bytes: Buffer, cuts: number[]): { frames: number; error: boolean } {
  const c = boltCodec.createConnectionCodec({ maxFrameBytes: 64 * 1024 });
  const out: RpcFrame[] = [];
  let prev = 0;
  try {
    for (const cut of [...cuts, bytes.length]) {
      c.decode(bytes.subarray(prev, cut), out);
      prev = cut;
    }
  } catch (e) {
    if (!(e instanceof RpcProtocolError)) throw e;
    for (const f of out) touch(f);
    return { frames: out.length, error: true };
  }
  for (const f of out) touch(f);
  return { frames: out.length, error: false };
}

function mutants(rand: () => number): Buffer[] {
  const out: Buffer[] = [];
  for (const seed of SEEDS) {
    for (let i = 0; i < seed.length; i += 3) out.push(seed.subarray(0, i)); // truncated
    for (let n = 0; n < 150; n++) {
      const m = Buffer.from(seed);
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(rand() * m.length);
        m[at] = (m[at] as number) ^ (1 << Math.floor(rand() * 8));
      }
      out.push(m);
    }
    for (let n = 0; n < 40; n++) {
      const m = Buffer.from(seed);
      const at = Math.floor(rand() * m.length);
      m[at] = Math.floor(rand() * 256); // random byte
      out.push(Buffer.concat([m, seed])); // followed by a good frame
    }
    const big = Buffer.from(seed);
    big.writeUInt32BE(0x7fff_ffff, big[0] === 2 ? (big[2] === 0 ? 18 : 20) : big[1] === 0 ? 16 : 18); // oversized content
    out.push(big);
  }
  for (let n = 0; n < 200; n++) {
    const len = Math.floor(rand() * 200);
    const r = Buffer.alloc(len);
    for (let i = 0; i < len; i++) r[i] = Math.floor(rand() * 256);
    if (n % 2 === 0 && len > 0) r[0] = 1 + (n % 4 === 0 ? 1 : 0); // looks like Bolt
    out.push(r);
  }
  return out;
}

describe('bolt fuzz corpus', () => {
  it('ends every mutant in frames or an RpcProtocolError, whole or in pieces, with the same outcome', () => {
    const rand = prng(Number(process.env['BOLT_FUZZ_SEED'] ?? 0xb017));
    let errors = 0;
    let frames = 0;
    const corpus = mutants(rand);
    assert.ok(corpus.length > 1000);
    for (const m of corpus) {
      const whole = run(m, []);
      const cuts: number[] = [];
      for (let p = Math.floor(rand() * 8); p < m.length; p += 1 + Math.floor(rand() * 16)) cuts.push(p);
      const pieces = run(m, cuts);
      assert.deepEqual(pieces, whole);
      if (whole.error) errors++;
      frames += whole.frames;
    }
    // The corpus exercises both outcomes.
    assert.ok(errors > 100, `errors ${errors}`);
    assert.ok(frames > 100, `frames ${frames}`);
  });

  it('decodes the untouched seeds', () => {
    for (const s of SEEDS) assert.deepEqual(run(s, []), { frames: 1, error: false });
  });
});
