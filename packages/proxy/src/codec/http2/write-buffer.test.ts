import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteBuffer } from './write-buffer.js';

test('WriteBuffer.reuse: the space of a chunk already written is written over by the next one', () => {
  const w = new WriteBuffer();
  w.bytes(Buffer.from('first'));
  const a = w.take() as Buffer;
  w.reuse(a);
  w.bytes(Buffer.from('second'));
  const b = w.take() as Buffer;
  assert.equal(b.toString(), 'second');
  assert.equal(b.byteOffset, a.byteOffset, 'same slab position');
  assert.equal(a.toString(), 'secon', 'the first chunk was given back, so its bytes were reused');
});

test('WriteBuffer.reuse: ignored unless the chunk is the newest take() and nothing was written since', () => {
  const w = new WriteBuffer();
  w.bytes(Buffer.from('one'));
  const one = w.take() as Buffer;
  w.bytes(Buffer.from('two'));
  const two = w.take() as Buffer;
  w.reuse(one); // older than `two`: still owned by a pending write
  w.bytes(Buffer.from('xyz'));
  assert.equal(one.toString(), 'one');
  assert.equal(two.toString(), 'two');
  w.reuse(two); // bytes written after it
  const three = w.take() as Buffer;
  assert.equal(three.toString(), 'xyz');
  assert.equal(two.toString(), 'two');
  const ref = Buffer.from('referenced');
  w.reference(ref);
  const taken = w.take() as Buffer;
  assert.equal(taken, ref);
  w.reuse(taken); // not slab memory
  w.bytes(Buffer.from('next'));
  assert.equal((w.take() as Buffer).toString(), 'next');
  assert.equal(ref.toString(), 'referenced');
});

test('WriteBuffer.reuse: ignored for a chunk of an earlier slab, after the slab was grown or replaced', () => {
  const w = new WriteBuffer();
  w.bytes(Buffer.from('small'));
  const small = w.take() as Buffer;
  w.ensure(200 * 1024); // a larger slab
  w.reuse(small);
  w.bytes(Buffer.from('after'));
  assert.equal(small.toString(), 'small');
  assert.equal((w.take() as Buffer).toString(), 'after');
  // Fill the slab to its end: the next cut starts a fresh slab, and the last chunk lies in the old one.
  const big = Buffer.alloc(w.buf.length - w.pos - 10, 0x61);
  w.bytes(big);
  const full = w.take() as Buffer;
  w.reuse(full);
  w.bytes(Buffer.from('fresh'));
  assert.equal(full.length, big.length);
  assert.equal(full[0], 0x61);
  assert.equal((w.take() as Buffer).toString(), 'fresh');
});
