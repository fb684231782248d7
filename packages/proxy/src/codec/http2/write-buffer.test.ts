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
