import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';
import { HessianReader, hessianDialect } from './hessian-reader.js';
import { RPC_SERVER_EXCEPTION, encodeRpcServerException } from './hessian-writer.js';

const require = createRequire(import.meta.url);

interface HessianLib {
  encode(value: unknown, version: '2.0'): Buffer;
  decode(buf: Buffer, version: '2.0', withType?: boolean): unknown;
}
/** hessian.js 2: the final Hessian 2.0 spec. hessian.js 1: the 2.0 draft sofa-bolt-node writes by default. */
const finalLib = require('hessian.js') as HessianLib;
const draftLib = require('hessian.js-1') as HessianLib;

/** What the reader returns for a value the libraries return: dates as ISO strings, binaries as base64. */
function normalize(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalize(x);
    return o;
  }
  return v;
}

function readAll(buf: Buffer, draft: boolean): unknown {
  const r = new HessianReader(buf, draft);
  const v = r.read();
  assert.ok(r.atEnd(), 'consumed every byte');
  return v;
}

const VALUES: [string, unknown][] = [
  ['null', null], ['true', true], ['false', false],
  ...[0, -16, 47, 48, -17, -2048, 2047, -262144, 262143, 262144, -2147483648, 2147483647].map((n): [string, unknown] => [`int ${n}`, n]),
  ['long', { $class: 'long', $: 2 ** 40 }], ['small long', { $class: 'long', $: 7 }], ['negative long', { $class: 'long', $: -300000 }],
  ['double 0', { $class: 'double', $: 0 }], ['double 1', { $class: 'double', $: 1 }], ['double byte', { $class: 'double', $: -7 }],
  ['double short', { $class: 'double', $: 1000 }], ['double', 3.14159],
  ['short string', 'hello'], ['empty string', ''], ['string 31', 'a'.repeat(31)], ['string 32', 'b'.repeat(32)],
  ['string 1023', 'c'.repeat(1023)], ['string 1024', 'd'.repeat(1024)], ['string 70000', 'e'.repeat(70000)],
  ['unicode', 'héllo wörld € 中文'], ['emoji', 'x😀y'],
  ['binary', Buffer.from('abc')], ['binary 300', Buffer.alloc(300, 7)], ['binary 70000', Buffer.alloc(70000, 9)],
  ['date', new Date(1_700_000_000_000)],
  ['list', [1, 'two', 3.5, null]], ['empty list', []], ['long list', Array.from({ length: 20 }, (_, i) => i)],
  ['typed list', { $class: '[java.lang.String', $: ['a', 'b'] }],
  ['map', { a: 1, b: 'x', c: [1, 2] }], ['typed map', { $class: 'java.util.HashMap', $: { k: 'v' } }],
  ['object', { $class: 'com.example.User', $: { name: 'ann', age: 30 } }],
  ['objects sharing a class', [{ $class: 'com.example.P', $: { x: 1 } }, { $class: 'com.example.P', $: { x: 2 } }]],
  ['lists sharing a type', [{ $class: '[java.lang.String', $: ['a'] }, { $class: '[java.lang.String', $: ['b', 'c'] }]],
  ['array lists', [{ $class: 'java.util.ArrayList', $: [1] }, { $class: 'java.util.ArrayList', $: [2] }]],
  ['nested typed maps', { $class: 'java.util.HashMap', $: { a: { $class: 'java.util.HashMap', $: { b: 1 } } } }],
  ['boxed numbers', [{ $class: 'long', $: 5 }, { $class: 'int', $: 70000 }, { $class: 'double', $: 2.5 }, { $class: 'java.lang.Long', $: 3 }]],
  ['nested objects and classes', [
    { $class: 'com.a.X', $: { y: { $class: 'com.a.Y', $: { z: 1 } } } }, { $class: 'com.a.Y', $: { z: 2 } }, { $class: 'com.a.X', $: { y: null } },
  ]],
  ['list of 300', Array.from({ length: 300 }, (_, i) => i)],
];

describe('hessian reader', () => {
  for (const [dialect, lib, draft] of [['final', finalLib, false], ['draft', draftLib, true]] as const) {
    for (const [name, value] of VALUES) {
      it(`reads a ${dialect} ${name} as the library decodes it`, () => {
        const buf = lib.encode(value, '2.0');
        assert.deepEqual(readAll(buf, draft), normalize(lib.decode(buf, '2.0')));
      });
    }
  }

  it('reads back references to the same object', () => {
    const shared = { $class: 'com.example.P', $: { x: 1 } };
    for (const [lib, draft] of [[finalLib, false], [draftLib, true]] as const) {
      const buf = lib.encode([shared, shared], '2.0');
      assert.deepEqual(readAll(buf, draft), [{ x: 1 }, { x: 1 }]);
    }
  });

  it('tells the dialect from a body starting with a class definition', () => {
    const obj = { $class: 'com.example.P', $: { x: 1 } };
    assert.equal(hessianDialect(finalLib.encode(obj, '2.0')), 'final');
    assert.equal(hessianDialect(draftLib.encode(obj, '2.0')), 'draft');
  });

  it('fails with RpcProtocolError on truncation, unknown codes, bad references and deep nesting', () => {
    const buf = finalLib.encode({ $class: 'com.example.P', $: { x: 'hello world' } }, '2.0');
    for (let i = 0; i < buf.length; i++) assert.throws(() => new HessianReader(buf.subarray(0, i), false).read(), RpcProtocolError, `cut at ${i}`);
    assert.throws(() => new HessianReader(Buffer.from([0x51, 0x95]), false).read(), RpcProtocolError);
    assert.throws(() => new HessianReader(Buffer.from([0x6f, 0x90]), true).read(), RpcProtocolError);
    assert.throws(() => new HessianReader(Buffer.from([0x40]), false).read(), RpcProtocolError);
    assert.throws(() => new HessianReader(Buffer.alloc(1000, 0x57), false).read(), /nesting too deep/);
  });

  it('writes a RpcServerException each library reads as a Java exception with the message', () => {
    for (const [lib, dialect] of [[finalLib, 'final'], [draftLib, 'draft']] as const) {
      const buf = encodeRpcServerException('weft: no route', dialect);
      assert.equal(hessianDialect(buf), dialect);
      const typed = lib.decode(buf, '2.0', true) as { $class: string; $: unknown };
      assert.equal(typed.$class, RPC_SERVER_EXCEPTION);
      const err = lib.decode(buf, '2.0');
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'weft: no route');
      assert.equal(String(err), `${RPC_SERVER_EXCEPTION}: weft: no route`);
      assert.deepEqual(readAll(buf, dialect === 'draft'), { detailMessage: 'weft: no route', stackTrace: [], cause: null });
    }
  });
});
