/**
 * Writes the one Hessian 2 value a local reply needs: a `com.alipay.remoting.rpc.exception.RpcServerException`
 * carrying the message, in the dialect the caller itself wrote (see hessian-reader.ts), so the caller's own decoder
 * reads it. sofa-rpc-node shows it as `com.alipay.remoting.rpc.exception.RpcServerException: <message>`; Java
 * sofa-bolt deserializes it as the server-side Throwable of the failed call.
 */
import type { HessianDialect } from './hessian-reader.js';

export const RPC_SERVER_EXCEPTION = 'com.alipay.remoting.rpc.exception.RpcServerException';
const STACK_TRACE_TYPE = '[java.lang.StackTraceElement';
const FIELDS = ['detailMessage', 'stackTrace', 'cause'] as const;
/** Messages are for humans: long ones are cut so one string chunk always holds them. */
const MAX_MESSAGE_CHARS = 4000;

class Out {
  private readonly parts: Buffer[] = [];
  byte(b: number): void {
    this.parts.push(Buffer.of(b));
  }
  raw(s: string): void {
    this.parts.push(Buffer.from(s, 'utf8'));
  }
  u16(v: number): void {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
  }
  /** A small non-negative int in its compact form. */
  int(v: number): void {
    if (v <= 47) this.byte(0x90 + v);
    else {
      this.byte(0xc8 + (v >> 8));
      this.byte(v & 0xff);
    }
  }
  string(s: string): void {
    if (s.length <= 31) this.byte(s.length);
    else {
      this.byte(0x53);
      this.u16(s.length);
    }
    this.raw(s);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function encodeRpcServerException(message: string, dialect: HessianDialect): Buffer {
  const msg = message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS) : message;
  const o = new Out();
  if (dialect === 'final') {
    o.byte(0x43); // C: class definition
    o.string(RPC_SERVER_EXCEPTION);
  } else {
    o.byte(0x4f); // O: draft class definition, raw name
    o.int(RPC_SERVER_EXCEPTION.length);
    o.raw(RPC_SERVER_EXCEPTION);
  }
  o.int(FIELDS.length);
  for (const f of FIELDS) o.string(f);
  if (dialect === 'final') o.byte(0x60); // instance of definition 0
  else {
    o.byte(0x6f);
    o.int(0);
  }
  o.string(msg);
  // An empty StackTraceElement[] (never null: Java reads a null stack trace as "immutable" and prints nothing useful).
  if (dialect === 'final') {
    o.byte(0x70);
    o.string(STACK_TRACE_TYPE);
  } else {
    o.byte(0x56);
    o.byte(0x74);
    o.u16(STACK_TRACE_TYPE.length);
    o.raw(STACK_TRACE_TYPE);
    o.byte(0x6e);
    o.byte(0);
    o.byte(0x7a);
  }
  o.byte(0x4e); // cause: null
  return o.done();
}
