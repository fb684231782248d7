/**
 * Test support (not used by the codec): Thrift messages written and read by the real Apache `thrift` library's
 * protocol and transport classes, for every transport x protocol the codec detects.
 */
import { createRequire } from 'node:module';
import thrift from 'thrift';

const Int64 = createRequire(import.meta.url)('node-int64') as new (v: string | number) => object;

export interface Combo {
  readonly transport: 'framed' | 'unframed';
  readonly protocol: 'binary' | 'compact';
}

export const COMBOS: readonly Combo[] = [
  { transport: 'framed', protocol: 'binary' },
  { transport: 'framed', protocol: 'compact' },
  { transport: 'unframed', protocol: 'binary' },
  { transport: 'unframed', protocol: 'compact' },
];

const T = thrift.Thrift.Type;
const M = thrift.Thrift.MessageType;

/** The bytes the library writes for one message. */
export function thriftBytes(c: Combo, write: (p: thrift.TProtocol) => void): Buffer {
  let out: Buffer | undefined;
  const Transport = c.transport === 'framed' ? thrift.TFramedTransport : thrift.TBufferedTransport;
  const transport = new Transport(undefined, (b?: Buffer) => { if (b) out = Buffer.from(b); });
  const Protocol = c.protocol === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol;
  const p = new Protocol(transport);
  write(p);
  transport.flush();
  if (!out) throw new Error('the thrift library flushed nothing');
  return out;
}

function field(p: thrift.TProtocol, type: thrift.Thrift.Type, id: number, value: () => void): void {
  p.writeFieldBegin('f', type, id);
  value();
  p.writeFieldEnd();
}

/** A CALL (or ONEWAY) with one argument of every type, fields written out of id order. */
export function richCall(c: Combo, name: string, seqid: number, type: thrift.Thrift.MessageType = M.CALL): Buffer {
  return thriftBytes(c, (p) => {
    p.writeMessageBegin(name, type, seqid);
    p.writeStructBegin('args');
    field(p, T.STRING, 2, () => p.writeString('héllo'));
    field(p, T.I32, 1, () => p.writeI32(-42));
    field(p, T.STRUCT, 3, () => {
      p.writeStructBegin('Item');
      field(p, T.STRING, 1, () => p.writeString('item'));
      field(p, T.I64, 2, () => p.writeI64(new Int64('7fffffffffffffff') as never));
      field(p, T.LIST, 3, () => {
        p.writeListBegin(T.I32, 3);
        for (const v of [1, -2, 300000]) p.writeI32(v);
        p.writeListEnd();
      });
      field(p, T.MAP, 4, () => {
        p.writeMapBegin(T.STRING, T.DOUBLE, 2);
        p.writeString('a');
        p.writeDouble(0.5);
        p.writeString('b');
        p.writeDouble(-2.25);
        p.writeMapEnd();
      });
      field(p, T.BOOL, 5, () => p.writeBool(true));
      p.writeFieldStop();
      p.writeStructEnd();
    });
    field(p, T.SET, 4, () => {
      p.writeSetBegin(T.BOOL, 2);
      p.writeBool(false);
      p.writeBool(true);
      p.writeSetEnd();
    });
    field(p, T.BYTE, 5, () => p.writeByte(-7));
    field(p, T.I16, 6, () => p.writeI16(-1234));
    field(p, T.I64, 7, () => p.writeI64(1234567890123));
    field(p, T.DOUBLE, 8, () => p.writeDouble(3.5));
    field(p, T.BOOL, 9, () => p.writeBool(false));
    field(p, T.LIST, 10, () => {
      p.writeListBegin(T.STRING, 0);
      p.writeListEnd();
    });
    p.writeFieldStop();
    p.writeStructEnd();
    p.writeMessageEnd();
  });
}

/** What richCall's args() decode to. */
export const RICH_ARGS: readonly unknown[] = [
  -42,
  'héllo',
  ['item', '9223372036854775807', [1, -2, 300000], { a: 0.5, b: -2.25 }, true],
  [false, true],
  -7,
  -1234,
  1234567890123,
  3.5,
  false,
  [],
];

/** A REPLY whose result struct sets field `id` (0: the success value, > 0: a declared exception) or nothing. */
export function reply(c: Combo, name: string, seqid: number, id: number | undefined): Buffer {
  return thriftBytes(c, (p) => {
    p.writeMessageBegin(name, M.REPLY, seqid);
    p.writeStructBegin('result');
    if (id === 0) field(p, T.I32, 0, () => p.writeI32(5));
    else if (id !== undefined) {
      field(p, T.STRUCT, id, () => {
        p.writeStructBegin('Oops');
        field(p, T.STRING, 1, () => p.writeString('bad'));
        p.writeFieldStop();
        p.writeStructEnd();
      });
    }
    p.writeFieldStop();
    p.writeStructEnd();
    p.writeMessageEnd();
  });
}

export function appException(c: Combo, name: string, seqid: number, type: number, message: string): Buffer {
  return thriftBytes(c, (p) => {
    p.writeMessageBegin(name, M.EXCEPTION, seqid);
    new thrift.Thrift.TApplicationException(type, message).write(p);
    p.writeMessageEnd();
  });
}

export interface ReadException {
  readonly name: string;
  readonly mtype: number;
  readonly seqid: number;
  readonly type: number;
  readonly message: string;
}

/** Reads an EXCEPTION message with the library, as a client would. */
export function readAppException(c: Combo, bytes: Buffer): ReadException {
  const body = c.transport === 'framed' ? bytes.subarray(4) : bytes;
  if (c.transport === 'framed' && bytes.readUInt32BE(0) !== body.length) throw new Error('bad frame length');
  const Protocol = c.protocol === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol;
  const p = new Protocol(new thrift.TFramedTransport(body));
  const h = p.readMessageBegin();
  const x = new thrift.Thrift.TApplicationException();
  x.read(p);
  const code = (x as unknown as { type: number }).type;
  return { name: h.fname, mtype: h.mtype, seqid: h.rseqid, type: code, message: x.message };
}

/** Reads a message's header and its struct's first field with the library. */
export function readHeader(c: Combo, bytes: Buffer): { name: string; mtype: number; seqid: number } {
  const body = c.transport === 'framed' ? bytes.subarray(4) : bytes;
  const Protocol = c.protocol === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol;
  const h = new Protocol(new thrift.TFramedTransport(body)).readMessageBegin();
  return { name: h.fname, mtype: h.mtype, seqid: h.rseqid };
}
