import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validRequestFields, validResponseFields, validTrailerFields } from './fields.js';
import { HPACK_COMPRESSION_ERROR, HPACK_OK, HPACK_TOO_LARGE, HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import {
  describe,
  type Field,
  FieldGen,
  type RefHeader,
  refCompressor,
  refEncode,
  refResize,
  Rng,
  seedOf,
  sensitive,
  sizeUpdate,
  tinyWriteBuffer,
  weftBlock,
} from './hpack-fuzz-support.js';

// Randomized tests of HpackDecoder.checked (names and values checked on their octets as decoded, RFC 9113 §8.2.1)
// and of the field checks that trust it. FUZZ_SEED=<n> replays a run.
const CONNECTIONS = 6;
const BLOCKS = 250;
type Shape = 'any' | 'request' | 'response' | 'trailers';
const SHAPES: readonly Shape[] = ['any', 'request', 'response', 'trailers'];

/** The rules written independently of field-bytes.ts: a pseudo-header name or a lower-case token; safe values. */
const VALID_NAME = /^(?::[\s\S]*|[!#$%&'*+\-.^_`|~0-9a-z]+)$/;
const VALID_VALUE = /^(?![ \t])[^\0\r\n]*$/;
function validField(name: string, value: string): boolean {
  return VALID_NAME.test(name) && VALID_VALUE.test(value) && !/[ \t]$/.test(value);
}

const CHECKS = [validRequestFields, validResponseFields, validTrailerFields] as const;

/** The check a shaped block must pass, with the decoder's verdict and without it. */
function shapeCheck(shape: Shape, flat: readonly string[], checked: boolean): boolean {
  if (shape === 'request') return validRequestFields(flat, checked);
  if (shape === 'response') return validResponseFields(flat, checked);
  return validTrailerFields(flat, checked);
}

function decodeFlat(dec: HpackDecoder, b: Buffer, where: () => string): string[] {
  const out: string[] = [];
  assert.equal(dec.decode(b, 0, b.length, out, 1 << 20, 1000), HPACK_OK, where());
  return out;
}

test('Weft encoder -> Weft decoder: every valid block round-trips and is reported checked; the checks agree', () => {
  const seed = seedOf(0x5eed0003);
  for (let conn = 0; conn < CONNECTIONS; conn++) {
    const rng = new Rng(seed + conn);
    const gen = new FieldGen(rng);
    const enc = new HpackEncoder();
    const dec = new HpackDecoder(4096);
    const w = tinyWriteBuffer(rng);
    for (let i = 0; i < BLOCKS; i++) {
      if (rng.chance(0.06)) enc.setPeerMaxTableSize(rng.pick([0, 64, 200, 1000, 4096]));
      const shape = rng.pick(SHAPES);
      const fields = gen.block(shape);
      const b = weftBlock(enc, w, fields, rng);
      const where = () => `seed ${seed + conn} block ${i} (${shape}): ${describe(fields)}\n${b.toString('hex').slice(0, 400)}`;
      const flat = decodeFlat(dec, b, where);
      assert.deepEqual(flat, fields.flatMap((f) => [f.name, f.value]), where());
      assert.deepEqual(dec.neverIndexed, fields.filter((f) => f.never || sensitive(f.name, f.value)).map((f) => f.name), where());
      assert.equal(dec.table.size, enc.table.size, where());
      assert.equal(dec.checked, true, where());
      for (const check of CHECKS) assert.equal(check(flat, true), check(flat, false), `${check.name}; ${where()}`);
      if (shape !== 'any') assert.equal(shapeCheck(shape, flat, true), true, where());
    }
  }
});

/** A field that breaks §8.2.1 in one of the ways a peer may try; `name` sometimes a static one (indexed name). */
function badField(rng: Rng, gen: FieldGen): Field {
  const long = rng.chance(0.5); // values of 8+ characters take the regexp path in fields.ts
  const body = gen.value(long ? rng.int(8, 80) : rng.int(1, 6));
  const at = rng.int(0, body.length);
  const name = rng.chance(0.5) ? rng.pick(['accept', 'user-agent', 'x-f', 'content-type', 'date']) : `x-${gen.token(rng.int(1, 10))}`;
  switch (rng.int(0, 7)) {
    case 0:
    case 1:
      return { name, value: body.slice(0, at) + rng.pick(['\0', '\r', '\n']) + body.slice(at), never: false };
    case 2:
      return { name, value: rng.pick([' ', '\t']) + body, never: false };
    case 3:
      return { name, value: body + rng.pick([' ', '\t']), never: false };
    case 4: {
      const n = `x-${gen.token(rng.int(1, 10))}`;
      const k = rng.int(0, n.length);
      return { name: `${n.slice(0, k)}${String.fromCharCode(rng.int(0x41, 0x5a))}${n.slice(k)}`, value: body, never: false };
    }
    case 5: {
      const c = rng.pick([' ', '"', '(', ',', '/', ':', ';', '@', '[', '{', '\t', '\0', '\u007f', '\u0080', '\u00e9', '\u00ff']);
      return { name: `x-${c}${gen.token(rng.int(0, 5))}`, value: body, never: false };
    }
    case 6:
      return { name: '', value: body, never: false };
    default:
      return { name: 'x-Mixed-Case', value: body, never: false };
  }
}

test('hpack.js encoder -> Weft decoder: blocks with forbidden octets are unchecked and refused; a bad indexed field taints', () => {
  const seed = seedOf(0x5eed0004);
  let tainting = 0;
  let badBlocks = 0;
  let byIndex = 0;
  for (let conn = 0; conn < CONNECTIONS; conn++) {
    const rng = new Rng(seed + conn);
    const gen = new FieldGen(rng);
    const ref = refCompressor(4096);
    const dec = new HpackDecoder(4096);
    // Bad fields the peer indexed: once one entered the table, no later block is reported checked (the taint rule).
    const indexedBad: Field[] = [];
    // Half the connections never index a bad field (each bad literal is judged alone); the others start to late.
    const taintFrom = conn % 2 === 0 ? BLOCKS : rng.int(BLOCKS / 4, (3 * BLOCKS) / 4);
    const log: string[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const prefix: Buffer[] = [];
      if (rng.chance(0.05)) {
        const size = rng.pick([0, 100, 1000, 4096]);
        refResize(ref, size);
        prefix.push(sizeUpdate(size));
      }
      const shape = rng.pick(SHAPES);
      const fields = gen.block(shape);
      // Bad fields go after any pseudo-headers, so the block is refused for them, not for its structure.
      const first = fields.findIndex((f) => !f.name.startsWith(':'));
      const from = first < 0 ? fields.length : first;
      const injected: Field[] = [];
      if (rng.chance(0.25)) injected.push(badField(rng, gen));
      if (indexedBad.length > 0 && rng.chance(0.5)) {
        // Sent again: by index while hpack.js still holds it among its 32 newest entries, else as a literal again.
        const again = rng.chance(0.7) ? (indexedBad[indexedBad.length - 1] as Field) : rng.pick(indexedBad);
        let held = false;
        for (let e = 0; e < Math.min(dec.table.length, 32) && !held; e++) held = dec.table.name(e) === again.name && dec.table.value(e) === again.value;
        if (held) byIndex++;
        injected.push(again);
      }
      for (const f of injected) fields.splice(rng.int(from, fields.length), 0, f);
      const headers: RefHeader[] = fields.map((f) => {
        const h: RefHeader = { name: f.name, value: f.value, huffman: rng.chance(0.7) };
        const k = rng.next();
        if (f.never || k < 0.1) h.neverIndex = true;
        else if (k < 0.25 || (i < taintFrom && !validField(f.name, f.value))) h.incremental = false;
        return h;
      });
      let tainted = indexedBad.length > 0;
      headers.forEach((h, k) => {
        const f = fields[k] as Field;
        if (!validField(f.name, f.value) && h.neverIndex !== true && h.incremental !== false) {
          if (!indexedBad.includes(f)) indexedBad.push(f);
          tainted = true;
        }
      });
      if (tainted && indexedBad.length === 1 && !log.some((l) => l.startsWith('tainted'))) log.push(`tainted at block ${i}`);
      const b = Buffer.concat([...prefix, refEncode(ref, headers)]);
      log.push(describe(headers));
      const where = () => `seed ${seed + conn} block ${i} (${shape}): ${b.toString('hex').slice(0, 400)}\n${log.slice(-3).join('\n')}`;
      const flat = decodeFlat(dec, b, where);
      assert.deepEqual(flat, fields.flatMap((f) => [f.name, f.value]), where());
      assert.equal(dec.table.size, ref._table.size, where());
      const allValid = fields.every((f) => validField(f.name, f.value));
      if (!allValid) badBlocks++;
      assert.equal(dec.checked, allValid && !tainted, `checked; ${where()}`);
      // The checks never pass a block the full scan refuses, whatever the decoder reported.
      for (const check of CHECKS) {
        assert.equal(check(flat, dec.checked), check(flat, false), `${check.name}; ${where()}`);
        if (!allValid) assert.equal(check(flat, dec.checked), false, `${check.name} passed a bad field; ${where()}`);
      }
      if (shape !== 'any' && allValid) assert.equal(shapeCheck(shape, flat, dec.checked), true, where());
    }
    if (indexedBad.length > 0) tainting++;
  }
  // The run really covered bad blocks and tainted connections.
  assert.ok(badBlocks > 200 && byIndex > 10 && tainting === CONNECTIONS / 2, `bad blocks ${badBlocks}, bad fields by index ${byIndex}, tainted connections ${tainting}`);
});

test('HpackDecoder on corrupted blocks: never throws, and what it reports checked passes the full checks', () => {
  // Valid blocks with bytes flipped, inserted, dropped or cut: whatever the decoder accepts, `checked` must be sound.
  const seed = seedOf(0x5eed0005);
  const rng = new Rng(seed);
  const gen = new FieldGen(rng);
  const enc = new HpackEncoder();
  const w = tinyWriteBuffer(rng);
  let accepted = 0;
  for (let i = 0; i < 2000; i++) {
    const dec = new HpackDecoder(4096);
    const good = weftBlock(enc, w, gen.block(rng.pick(SHAPES)), rng);
    const b = Buffer.from(good);
    const edits = rng.int(1, 2);
    let bytes = b;
    for (let e = 0; e < edits && bytes.length > 0; e++) {
      const at = rng.int(0, bytes.length - 1);
      const k = rng.int(0, 3);
      if (k === 0) bytes[at] = rng.int(0, 255);
      else if (k === 1) bytes[at] = (bytes[at] as number) ^ (1 << rng.int(0, 7));
      else if (k === 2) bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([rng.pick([0x00, 0x0a, 0x0d, 0x20, 0x41, 0x3a, 0xff])]), bytes.subarray(at)]);
      else bytes = bytes.subarray(0, at);
    }
    const where = () => `seed ${seed} case ${i}: ${good.toString('hex').slice(0, 300)} -> ${bytes.toString('hex').slice(0, 300)}`;
    const out: string[] = [];
    let r: number;
    try {
      r = dec.decode(bytes, 0, bytes.length, out, 1 << 20, 1000);
    } catch (err) {
      assert.fail(`decode threw ${String(err)}; ${where()}`);
    }
    assert.ok(r === HPACK_OK || r === HPACK_COMPRESSION_ERROR || r === HPACK_TOO_LARGE, where());
    if (r !== HPACK_OK) continue;
    accepted++;
    for (let k = 0; k + 1 < out.length; k += 2) {
      const valid = validField(out[k] as string, out[k + 1] as string);
      if (dec.checked) assert.ok(valid, `checked but ${describe([out[k], out[k + 1]])} is invalid; ${where()}`);
    }
    for (const check of CHECKS) assert.equal(check(out, dec.checked), check(out, false), `${check.name}; ${where()}`);
  }
  assert.ok(accepted > 150, `accepted ${accepted}`);
});
