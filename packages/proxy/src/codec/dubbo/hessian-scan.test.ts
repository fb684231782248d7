import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { hessianDecoder, hessianEncoder } from './hessian.js';
import { HessianScanner } from './hessian-scan.js';
import { hessianString } from './hessian-write.js';

/** Values covering every Hessian 2 form hessian.js writes (compact and long forms, chunks, refs, class defs). */
const VALUES: unknown[] = [
  null, true, false, 0, -16, 47, -2048, 2047, -262144, 262143, 2 ** 31 - 1, -(2 ** 31),
  { $class: 'long', $: 0 }, { $class: 'long', $: 15 }, { $class: 'long', $: -2000 }, { $class: 'long', $: 200000 },
  { $class: 'long', $: 2 ** 31 + 5 }, { $class: 'long', $: 2 ** 40 },
  0.0, 1.0, 1.5, -3.25, 12.7, 1e300, 100, 32767.5, new Date(0), new Date(1700000000000), new Date(1700000040000),
  '', 'a', 'x'.repeat(31), 'x'.repeat(32), 'é'.repeat(1023), 'y'.repeat(1024), 'z'.repeat(70000), '😀 emoji 😀',
  Buffer.alloc(0), Buffer.alloc(15, 1), Buffer.alloc(16, 2), Buffer.alloc(1023, 3), Buffer.alloc(1024, 4), Buffer.alloc(70000, 5),
  [1, 2, 3], [], ['a', ['b', ['c']]], { $class: 'java.util.ArrayList', $: [1, 'x'] }, { $class: '[int', $: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
  { a: 1, b: 'two', c: [3] }, { $class: 'java.util.HashMap', $: { k: 'v' } }, new Map<unknown, unknown>([[1, 'one'], ['two', 2]]),
  { $class: 'com.x.User', $: { id: 1, name: 'n', tags: ['t'] } },
  [{ $class: 'com.x.User', $: { id: 1, name: 'a' } }, { $class: 'com.x.User', $: { id: 2, name: 'b' } }],
  { $class: 'com.x.Outer', $: { inner: { $class: 'com.x.Inner', $: { v: 1 } }, list: [{ $class: 'com.x.Inner', $: { v: 2 } }] } },
];

function encodeAll(values: unknown[]): Buffer {
  const enc = hessianEncoder();
  for (const v of values) enc.write(v);
  return enc.get();
}

describe('hessian scanner', () => {
  it('skips exactly the bytes hessian.js reads, value by value', () => {
    const buf = encodeAll(VALUES);
    const dec = hessianDecoder(buf);
    const scan = new HessianScanner();
    scan.reset(buf, 0, buf.length);
    for (const v of VALUES) {
      dec.read();
      scan.skip();
      assert.equal(scan.pos, dec.position(), `after ${JSON.stringify(v)?.slice(0, 60)}`);
    }
    assert.ok(scan.atEnd());
  });

  it('reads strings, ints and longs like hessian.js', () => {
    const strings = ['', 'abc', 'é'.repeat(40), 'y'.repeat(1024), 'z'.repeat(70000), '😀x'];
    const buf = encodeAll(strings);
    const scan = new HessianScanner();
    scan.reset(buf, 0, buf.length);
    for (const s of strings) assert.equal(scan.readString(), s);
    const ints = [0, -16, 47, -2048, 2047, -262144, 262143, 2 ** 31 - 1, -(2 ** 31)];
    const ib = encodeAll(ints);
    scan.reset(ib, 0, ib.length);
    for (const n of ints) assert.equal(scan.readInt(), n);
    const longs = [0, 15, -2000, 200000, 2 ** 31 + 5, 2 ** 40];
    const lb = encodeAll(longs.map(($) => ({ $class: 'long', $ })));
    scan.reset(lb, 0, lb.length);
    for (const n of longs) assert.equal(scan.readLong(), n);
  });

  it('writes strings hessian.js reads back, including chunked ones', () => {
    for (const s of ['', 'a', 'x'.repeat(31), 'é'.repeat(500), 'y'.repeat(1024), '😀'.repeat(20000), 'z'.repeat(70001)]) {
      assert.equal(hessianDecoder(hessianString(s)).read(), s);
    }
  });

  it('throws RpcProtocolError on every truncation of the values', () => {
    const buf = encodeAll(VALUES.slice(40));
    const scan = new HessianScanner();
    for (let cut = 0; cut < buf.length; cut += 97) {
      scan.reset(buf, 0, cut);
      assert.throws(() => {
        for (;;) scan.skip();
      }, RpcProtocolError);
    }
  });

  it('refuses nesting deeper than 64 levels', () => {
    const deep = Buffer.concat([Buffer.alloc(100, 0x57), Buffer.alloc(100, 0x5a)]);
    const scan = new HessianScanner();
    scan.reset(deep, 0, deep.length);
    assert.throws(() => scan.skip(), /nested too deeply/);
  });
});
