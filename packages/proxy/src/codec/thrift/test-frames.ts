/**
 * Test support (not used by the codec): Thrift messages written and read by the real Apache `thrift` library's
 * protocol and transport classes, for every transport x protocol the codec detects.
 */
import { createRequire } from 'node:module';
import thrift from 'thrift';

const Int64 = createRequire(import.meta.url)('node-int64') as new (v: string | number) => object;

export interface Combo {
  readonly transport: 'framed' | 'unframed' | 'header';
  readonly protocol: 'binary' | 'compact';
}

export const COMBOS: readonly Combo[] = [
  { transport: 'framed', protocol: 'binary' },
  { transport: 'framed', protocol: 'compact' },
  { transport: 'unframed', protocol: 'binary' },
  { transport: 'unframed', protocol: 'compact' },
  { transport: 'header', protocol: 'binary' },
  { transport: 'header', protocol: 'compact' },
];

/** THeader key/value headers the library writes on every THeader message these helpers make. */
export const THEADER_HEADERS: ReadonlyMap<string, string> = new Map([['trace', 'abc'], ['é', 'ü']]);

interface HeaderTransport {
  setProtocolId(id: number): void;
  setSeqId(id: number): void;
  setWriteHeader(k: string, v: string): void;
  getReadHeaders(): Record<string, string>;
}

/** In the library, missing from @types/thrift. */
const THeaderProtocol = (thrift as unknown as { THeaderProtocol: new (t: unknown) => thrift.TProtocol }).THeaderProtocol;

const T = thrift.Thrift.Type;
const M = thrift.Thrift.MessageType;

/** The bytes the library writes for one message (THeader: the seqid in the header is `seqid`). */
export function thriftBytes(c: Combo, write: (p: thrift.TProtocol) => void, seqid = 0): Buffer {
  let out: Buffer | undefined;
  const Transport = c.transport === 'framed' ? thrift.TFramedTransport : thrift.TBufferedTransport;
  const transport = new Transport(undefined, (b?: Buffer) => { if (b) out = Buffer.from(b); });
  const Protocol = c.protocol === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol;
  if (c.transport === 'header') {
    const ht = transport as unknown as HeaderTransport;
    ht.setProtocolId(c.protocol === 'binary' ? 0 : 2);
    ht.setSeqId(seqid);
    for (const [k, v] of THEADER_HEADERS) ht.setWriteHeader(k, v);
    const p = new THeaderProtocol(transport);
    write(p);
    // The protocol's flush writes the THeader header block first.
    p.flush();
  } else {
    const p = new Protocol(transport);
    write(p);
    transport.flush();
  }
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
  }, seqid);
}

/** Calc.add(a, b) as the generated client writes it. */
export function addCall(c: Combo, seqid: number, a: number, b: number): Buffer {
  return thriftBytes(c, (p) => {
    p.writeMessageBegin('add', M.CALL, seqid);
    p.writeStructBegin('Calc_add_args');
    field(p, T.I32, 1, () => p.writeI32(a));
    field(p, T.I32, 2, () => p.writeI32(b));
    p.writeFieldStop();
    p.writeStructEnd();
    p.writeMessageEnd();
  }, seqid);
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
  }, seqid);
}

export function appException(c: Combo, name: string, seqid: number, type: number, message: string): Buffer {
  return thriftBytes(c, (p) => {
    p.writeMessageBegin(name, M.EXCEPTION, seqid);
    new thrift.Thrift.TApplicationException(type, message).write(p);
    p.writeMessageEnd();
  }, seqid);
}

export interface ReadException {
  readonly name: string;
  readonly mtype: number;
  readonly seqid: number;
  readonly type: number;
  readonly message: string;
}

/** A protocol reading `bytes` as the library's client would. */
function reading(c: Combo, bytes: Buffer): thrift.TProtocol {
  if (c.transport !== 'unframed' && bytes.readUInt32BE(0) !== bytes.length - 4) throw new Error('bad frame length');
  if (c.transport === 'header') return new THeaderProtocol(new thrift.TFramedTransport(bytes));
  const Protocol = c.protocol === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol;
  return new Protocol(new thrift.TFramedTransport(c.transport === 'framed' ? bytes.subarray(4) : bytes));
}

/** THeader headers of a THeader message, read by the library. */
export function readTHeaderHeaders(bytes: Buffer): Record<string, string> {
  const t = new thrift.TFramedTransport(bytes);
  new THeaderProtocol(t).readMessageBegin();
  return { ...(t as unknown as HeaderTransport).getReadHeaders() };
}

/** Reads an EXCEPTION message with the library, as a client would. */
export function readAppException(c: Combo, bytes: Buffer): ReadException {
  const p = reading(c, bytes);
  const h = p.readMessageBegin();
  const x = new thrift.Thrift.TApplicationException();
  x.read(p);
  const code = (x as unknown as { type: number }).type;
  return { name: h.fname, mtype: h.mtype, seqid: h.rseqid, type: code, message: x.message };
}

/** Reads a message's header and its struct's first field with the library. */
export function readHeader(c: Combo, bytes: Buffer): { name: string; mtype: number; seqid: number } {
  const h = reading(c, bytes).readMessageBegin();
  return { name: h.fname, mtype: h.mtype, seqid: h.rseqid };
}
