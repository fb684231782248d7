import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HPACK_COMPRESSION_ERROR, HPACK_OK, HPACK_TOO_LARGE, HpackDecoder } from './hpack-decoder.js';
import { HpackEncoder } from './hpack-encoder.js';
import { huffmanDecodeBytes, huffmanDecoded, huffmanEncode, huffmanLength } from './hpack-huffman.js';
import { WriteBuffer } from './write-buffer.js';

type Fields = Array<[string, string]>;

function huffmanDecode(src: Buffer, start: number, end: number): string | undefined {
  const n = huffmanDecodeBytes(src, start, end);
  return n < 0 ? undefined : huffmanDecoded().toString('latin1', 0, n);
}
const REQ1: Fields = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const REQ2: Fields = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: Fields = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];
const LOC = 'https://www.example.com';
const RESP1: Fields = [[':status', '302'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', LOC]];
const RESP2: Fields = [[':status', '307'], ['cache-control', 'private'], ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'], ['location', LOC]];
const RESP3: Fields = [
  [':status', '200'],
  ['cache-control', 'private'],
  ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
  ['location', LOC],
  ['content-encoding', 'gzip'],
  ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
];

// RFC 7541 Appendix C.3 - C.6: [table size, blocks, expected fields, dynamic table size after each block]
const VECTORS: Array<[string, number, string[], Fields[], number[]]> = [
  ['C.3 requests', 4096, ['828684410f7777772e6578616d706c652e636f6d', '828684be58086e6f2d6361636865', '828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565'], [REQ1, REQ2, REQ3], [57, 110, 164]],
  ['C.4 requests, Huffman', 4096, ['828684418cf1e3c2e5f23a6ba0ab90f4ff', '828684be5886a8eb10649cbf', '828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf'], [REQ1, REQ2, REQ3], [57, 110, 164]],
  [
    'C.5 responses, eviction',
    256,
    [
      '4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d',
      '4803333037c1c0bf',
      '88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31',
    ],
    [RESP1, RESP2, RESP3],
    [222, 222, 215],
  ],
  [
    'C.6 responses, Huffman, eviction',
    256,
    [
      '488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3',
      '4883640effc1c0bf',
      '88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
    ],
    [RESP1, RESP2, RESP3],
    [222, 222, 215],
  ],
];

const pairs = (flat: string[]): Fields => {
  const out: Fields = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
};

for (const [name, size, blocks, fields, sizes] of VECTORS) {
  test(`HpackDecoder: RFC 7541 ${name}`, () => {
    const d = new HpackDecoder(4096);
    d.table.setMaxSize(size);
    blocks.forEach((hex, i) => {
      const b = Buffer.from(hex, 'hex');
      const out: string[] = [];
      assert.equal(d.decode(b, 0, b.length, out, 1 << 20, 100), HPACK_OK);
      assert.deepEqual(pairs(out), fields[i]);
      assert.equal(d.table.size, sizes[i]);
    });
  });
}

test('HpackEncoder: produces the RFC 7541 C.4 request blocks exactly (indexing, Huffman only when shorter)', () => {
  const e = new HpackEncoder();
  const blocks = VECTORS[1]?.[2] as string[];
  [REQ1, REQ2, REQ3].forEach((fields, i) => {
    const w = new WriteBuffer();
    e.beginBlock(w);
    for (const [n, v] of fields) e.encode(w, n, v);
    assert.equal((w.take() as Buffer).toString('hex'), blocks[i]);
  });
  assert.equal(e.table.size, 164);
});

test('HPACK: encoder and decoder stay in sync through eviction, size updates and never-indexed fields', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder(4096);
  e.setPeerMaxTableSize(200);
  for (let round = 0; round < 50; round++) {
    const fields: Fields = [[':status', String(200 + (round % 3))], ['x-round', `value-${round % 7}`], ['authorization', 'secret'], ['x-bin', '\u00ff\u0000ok'], ['content-length', String(round)]];
    if (round === 20) e.setPeerMaxTableSize(0);
    if (round === 21) e.setPeerMaxTableSize(4096);
    const w = new WriteBuffer();
    e.beginBlock(w);
    for (const [n, v] of fields) e.encode(w, n, v, n === 'x-bin');
    const b = w.take() as Buffer;
    const out: string[] = [];
    assert.equal(d.decode(b, 0, b.length, out, 1 << 20, 100), HPACK_OK, `round ${round}`);
    assert.deepEqual(pairs(out), fields);
    assert.deepEqual(d.neverIndexed, ['authorization', 'x-bin']);
    assert.equal(d.table.size, e.table.size);
  }
});

test('HpackEncoder: a repeated volatile field reuses its bytes; any change of value, name or kind is re-encoded', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder(4096);
  const block = (fields: Fields, neverIndex = ''): Buffer => {
    const w = new WriteBuffer();
    e.beginBlock(w);
    for (const [n, v] of fields) e.encode(w, n, v, n === neverIndex);
    const b = w.take() as Buffer;
    const out: string[] = [];
    assert.equal(d.decode(b, 0, b.length, out, 1 << 20, 100), HPACK_OK);
    assert.deepEqual(pairs(out), fields);
    return b;
  };
  const date = 'Wed, 25 Nov 2026 00:19:49 GMT';
  // The same value in a different string (as decoded from a peer), for a static-indexed and a literal name.
  const first = block([['date', date], ['x-envoy-upstream-service-time', '12']]);
  const again = block([['date', `Wed, 25 Nov 2026 ${'00:19:49'} GMT`], ['x-envoy-upstream-service-time', '12']]);
  assert.deepEqual(again, first);
  // 33 is date's static name index: a literal without indexing (0000 prefix, index 15 + 18 in two bytes).
  assert.equal(first[0], 0x0f);
  assert.equal(first[1], 33 - 15);
  const changed = block([['date', 'Wed, 25 Nov 2026 00:19:50 GMT'], ['x-envoy-upstream-service-time', '7']]);
  assert.notDeepEqual(changed, first);
  assert.deepEqual(block([['date', 'Wed, 25 Nov 2026 00:19:50 GMT'], ['x-envoy-upstream-service-time', '7']]), changed);
  // Never-indexed is another representation (0001 prefix), and must not pollute the cache either way.
  const never = block([['date', date]], 'date');
  assert.equal((never[0] as number) & 0xf0, 0x10);
  assert.equal((block([['date', date]])[0] as number) & 0xf0, 0x00);
  // Volatile fields never enter the table; a field too long to cache still round-trips, twice.
  const path = `/${'p'.repeat(200)}`;
  block([[':path', path]]);
  block([[':path', path]]);
  assert.equal(e.table.length, 0);
  // A unique-valued field is a literal with a literal name each time, its name bytes shared by encoders.
  const other = new HpackEncoder();
  const w = new WriteBuffer();
  other.encode(w, 'x-request-id', 'b8e1a2c4-0000-4000-8000-000000000001');
  const fromOther = w.take() as Buffer;
  const mine = block([['x-request-id', 'b8e1a2c4-0000-4000-8000-000000000001']]);
  assert.deepEqual(mine, fromOther);
});

test('HpackEncoder: cached field and name bytes stay right when the write buffer moves in the middle of a field', () => {
  const cases: Array<[string, string, boolean]> = [
    ['date', 'Wed, 25 Nov 2026 00:19:49 GMT', false], // a volatile field's bytes, cached per encoder
    ['x-moved-mid-field', 'v', true], // a literal name's bytes, cached per process
  ];
  for (const [name, value, never] of cases) {
    const e = new HpackEncoder();
    const d = new HpackDecoder(4096);
    const w = new WriteBuffer();
    for (let round = 0; round < 3; round++) {
      // A slab whose write start is past 0, with 10 bytes of room: the field does not fit and the slab moves.
      w.bytes(Buffer.alloc(100));
      w.take();
      const filler = w.buf.length - w.pos - 10;
      w.bytes(Buffer.alloc(filler));
      e.encode(w, name, value, never);
      const b = w.take() as Buffer;
      const out: string[] = [];
      assert.equal(d.decode(b, filler, b.length, out, 1 << 20, 100), HPACK_OK, `round ${round}`);
      assert.deepEqual(out, [name, value], `round ${round}`);
    }
  }
});

test('HpackDecoder.checked: literals are checked as decoded; an unchecked literal in the table taints the connection', () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder(4096);
  const decode = (fields: Fields): boolean => {
    const w = new WriteBuffer();
    e.beginBlock(w);
    for (const [n, v] of fields) e.encode(w, n, v);
    const b = w.take() as Buffer;
    const out: string[] = [];
    assert.equal(d.decode(b, 0, b.length, out, 1 << 20, 100), HPACK_OK);
    assert.deepEqual(pairs(out), fields);
    return d.checked;
  };
  assert.equal(decode([[':method', 'GET'], [':path', '/a b'], ['x-ok', 'v'], ['date', 'Wed, 25 Nov 2026 00:19:49 GMT']]), true);
  // Each bad literal, Huffman-coded or raw (binary values are not shorter in Huffman), makes the block unchecked.
  for (const [n, v] of [['x-v', 'a\rb'], ['x-v', 'a\nb'], ['x-v', '\u0000'], ['x-v', ' lead'], ['x-v', 'trail\t'], ['X-Upper', 'v'], ['bad name', 'v'], ['x-\u00e9', 'v']] as const) {
    const fresh = new HpackDecoder(4096);
    const w = new WriteBuffer();
    new HpackEncoder().encode(w, n, v, true); // never indexed: nothing enters the table
    const b = w.take() as Buffer;
    assert.equal(fresh.decode(b, 0, b.length, [], 1 << 20, 100), HPACK_OK);
    assert.equal(fresh.checked, false, JSON.stringify([n, v]));
  }
  // Indexed references to checked entries stay checked.
  assert.equal(decode([['x-ok', 'v'], ['x-ok', 'v']]), true);
  // A bad field indexed into the table: later blocks, good or not, are left to the caller's own checks.
  assert.equal(decode([['x-bad', 'a\rb']]), false);
  assert.equal(decode([['x-ok', 'v']]), false);
});

test('HpackDecoder: errors — bad index, size update above the setting or after a field, truncation, EOS, bad padding', () => {
  const bad = ['be', '3fe21f', '823f01', '0f', '4085', '0081ff', '4081fe0161', '0082fffe0161'];
  for (const hex of bad) {
    const b = Buffer.from(hex, 'hex');
    assert.equal(new HpackDecoder(4096).decode(b, 0, b.length, [], 1 << 20, 100), HPACK_COMPRESSION_ERROR, hex);
  }
  // A size update within the setting is fine; the list limit drops fields but keeps decoding.
  const d = new HpackDecoder(4096);
  const ok = Buffer.from('3f6182', 'hex'); // size 128, then :method GET
  assert.equal(d.decode(ok, 0, ok.length, [], 1 << 20, 100), HPACK_OK);
  assert.equal(d.table.maxSize, 128);
  const big = Buffer.from('400a637573746f6d2d6b65790c637573746f6d2d76616c7565', 'hex');
  const out: string[] = [];
  assert.equal(d.decode(big, 0, big.length, out, 40, 100), HPACK_TOO_LARGE);
  assert.deepEqual(out, []);
  assert.equal(d.table.length, 1);
});

test('Huffman: every octet round-trips; the RFC example string encodes to its vector', () => {
  const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
  const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
  const buf = Buffer.alloc(1024);
  const end = huffmanEncode(bytes(all), 0, 256, buf, 0);
  assert.equal(end, huffmanLength(bytes(all), 0, 256));
  assert.equal(huffmanDecode(buf, 0, end), all);
  // Each octet alone and after every possible count of pending bits (codes up to 30 bits long).
  for (let pad = 0; pad < 8; pad++) {
    for (let c = 0; c < 256; c++) {
      const s = 'a'.repeat(pad) + String.fromCharCode(c) + 'b';
      const e = huffmanEncode(bytes(s), 0, s.length, buf, 0);
      assert.equal(e, huffmanLength(bytes(s), 0, s.length));
      assert.equal(huffmanDecode(buf, 0, e), s);
    }
  }
  const www = bytes('xxwww.example.comyy');
  const n = huffmanEncode(www, 2, www.length - 2, buf, 0);
  assert.equal(buf.subarray(0, n).toString('hex'), 'f1e3c2e5f23a6ba0ab90f4ff');
  // Longer than the decoder's first scratch buffer, and a short one decoded after it.
  const long = 'a0'.repeat(5000);
  const big = Buffer.alloc(huffmanLength(bytes(long), 0, long.length));
  assert.equal(huffmanDecode(big, 0, huffmanEncode(bytes(long), 0, long.length, big, 0)), long);
  assert.equal(huffmanDecode(buf, 0, n), 'www.example.com');
});
