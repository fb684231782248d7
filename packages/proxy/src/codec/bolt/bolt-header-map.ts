/**
 * Bolt's header map (sofa-rpc SimpleMapSerializer): repeated `int32 keyLen, key, int32 valueLen, value`, UTF-8.
 * A value length of -1 is Java's null (kept as ''); an empty key is written with length 0.
 */
import { RpcProtocolError } from '../../interfaces/rpc-codec.js';

export function decodeHeaderMap(buf: Buffer, start: number, end: number): Map<string, string> {
  const out = new Map<string, string>();
  let p = start;
  while (p < end) {
    if (p + 4 > end) throw new RpcProtocolError('bolt: truncated header key length');
    const kl = buf.readInt32BE(p);
    p += 4;
    if (kl < 0 || p + kl + 4 > end) throw new RpcProtocolError('bolt: bad header key length');
    const key = buf.toString('utf8', p, p + kl);
    p += kl;
    const vl = buf.readInt32BE(p);
    p += 4;
    if (vl < -1 || p + Math.max(vl, 0) > end) throw new RpcProtocolError('bolt: bad header value length');
    out.set(key, vl > 0 ? buf.toString('utf8', p, p + vl) : '');
    if (vl > 0) p += vl;
  }
  return out;
}

export function encodeHeaderMap(map: ReadonlyMap<string, string>): Buffer {
  let len = 0;
  for (const [k, v] of map) len += 8 + Buffer.byteLength(k) + Buffer.byteLength(v);
  const out = Buffer.allocUnsafe(len);
  let p = 0;
  for (const [k, v] of map) {
    const kl = out.write(k, p + 4);
    out.writeInt32BE(kl, p);
    p += 4 + kl;
    const vl = out.write(v, p + 4);
    out.writeInt32BE(vl, p);
    p += 4 + vl;
  }
  return out;
}
