import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HPACK_OK, HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import {
  describe,
  FieldGen,
  type RefHeader,
  refCompressor,
  refDecode,
  refDecompressor,
  refEncode,
  refResize,
  Rng,
  seedOf,
  sensitive,
  sizeUpdate,
  tinyWriteBuffer,
  weftBlock,
  type Field,
} from './hpack-fuzz-support.js';

// Randomized differential tests against hpack.js (an independent RFC 7541 codec), many blocks per connection so
// the dynamic table, eviction, size updates and the encoder's field caches all carry state. FUZZ_SEED=<n> replays.
const CONNECTIONS = 8;
const BLOCKS = 250;
const SIZES = [0, 1, 33, 64, 100, 150, 256, 1000, 2048, 4096, 8192];

/** How Weft sends a field: never-indexed when asked (even a full static match, §6.2.3) or sensitive. */
function expectNever(f: Field): boolean {
  return f.never || sensitive(f.name, f.value);
}

test('HpackEncoder: a never-indexed field that is a full static entry stays a never-indexed literal (RFC 7541 §6.2.3)', () => {
  // An intermediary must re-encode a never-indexed field the same way; the static index would lose the marking.
  const enc = new HpackEncoder();
  const ref = refDecompressor(4096);
  const dec = new HpackDecoder(4096);
  for (const [name, value] of [[':method', 'GET'], ['accept-encoding', 'gzip, deflate'], [':path', '/']] as const) {
    const w = tinyWriteBuffer(new Rng(1));
    enc.beginBlock(w);
    enc.encode(w, name, value, true);
    const b = w.take() as Buffer;
    assert.deepEqual(refDecode(ref, b), [[name, value, true]], `${name}: ${b.toString('hex')}`);
    const out: string[] = [];
    assert.equal(dec.decode(b, 0, b.length, out, 1 << 20, 100), HPACK_OK);
    assert.deepEqual([out, dec.neverIndexed], [[name, value], [name]]);
  }
});

test('HPACK differential: Weft encoder -> hpack.js decoder, fields and table size equal after every block', () => {
  const seed = seedOf(0x5eed0001);
  for (let conn = 0; conn < CONNECTIONS; conn++) {
    const rng = new Rng(seed + conn);
    const gen = new FieldGen(rng);
    const enc = new HpackEncoder();
    const ref = refDecompressor(4096);
    const w = tinyWriteBuffer(rng);
    const log: string[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      if (rng.chance(0.08)) {
        // The peer's SETTINGS_HEADER_TABLE_SIZE changed, maybe more than once before the next block.
        const sizes = Array.from({ length: rng.int(1, 3) }, () => rng.pick(SIZES));
        for (const s of sizes) enc.setPeerMaxTableSize(s);
        log.push(`sizes ${sizes.join(',')}`);
      }
      const stateless = rng.chance(0.05);
      enc.stateless = stateless;
      const fields = gen.block('any');
      const bytes = weftBlock(enc, w, fields, rng);
      enc.stateless = false;
      log.push(describe({ stateless, fields }));
      const where = () => `seed ${seed + conn} block ${i}: ${bytes.toString('hex').slice(0, 400)}\nlast blocks:\n${log.slice(-4).join('\n')}`;
      let got: Array<[string, string, boolean]>;
      try {
        got = refDecode(ref, bytes);
      } catch (err) {
        assert.fail(`hpack.js could not decode: ${String(err)}; ${where()}`);
      }
      assert.deepEqual(got, fields.map((f) => [f.name, f.value, expectNever(f)]), where());
      // A stateless block leaves a pending size update to the next block, and the encoder's table is already resized.
      if (!stateless) assert.equal(ref._table.size, enc.table.size, `table size; ${where()}`);
    }
  }
});

test('HPACK differential: hpack.js encoder -> Weft decoder, fields, never-indexed names and table size equal', () => {
  const seed = seedOf(0x5eed0002);
  for (let conn = 0; conn < CONNECTIONS; conn++) {
    const rng = new Rng(seed + conn);
    const gen = new FieldGen(rng);
    const ref = refCompressor(4096);
    const dec = new HpackDecoder(4096);
    const log: string[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const prefix: Buffer[] = [];
      if (rng.chance(0.08)) {
        // Our SETTINGS_HEADER_TABLE_SIZE changed and was acknowledged: the peer's next block starts with its choice
        // (at most the setting), sometimes after a smaller one (§4.2).
        const setting = Math.min(rng.pick(SIZES), 4096);
        dec.setMaxTableSize(setting);
        const size = rng.chance(0.7) ? setting : rng.int(0, setting);
        if (rng.chance(0.3)) {
          const lower = rng.int(0, size);
          refResize(ref, lower);
          prefix.push(sizeUpdate(lower));
        }
        refResize(ref, size);
        prefix.push(sizeUpdate(size));
        log.push(`setting ${setting}, sizes ${describe(prefix.map((b) => b.toString('hex')))}`);
      }
      const fields = gen.block('any');
      const headers: RefHeader[] = fields.map((f) => {
        const h: RefHeader = { name: f.name, value: f.value, huffman: rng.chance(0.75) };
        if (f.never) h.neverIndex = true;
        else if (rng.chance(0.15)) h.incremental = false;
        return h;
      });
      const bytes = Buffer.concat([...prefix, refEncode(ref, headers)]);
      log.push(describe(headers));
      const where = () => `seed ${seed + conn} block ${i}: ${bytes.toString('hex').slice(0, 400)}\nlast blocks:\n${log.slice(-4).join('\n')}`;
      const out: string[] = [];
      assert.equal(dec.decode(bytes, 0, bytes.length, out, 1 << 20, 1000), HPACK_OK, where());
      const pairs: Array<[string, string]> = [];
      for (let k = 0; k < out.length; k += 2) pairs.push([out[k] as string, out[k + 1] as string]);
      assert.deepEqual(pairs, fields.map((f) => [f.name, f.value]), where());
      assert.deepEqual(dec.neverIndexed, fields.filter((f) => f.never).map((f) => f.name), where());
      assert.equal(dec.table.size, ref._table.size, `table size; ${where()}`);
    }
  }
});
