/**
 * The few protobuf wire-format writes the xDS server needs. Responses are assembled from resource bytes encoded once
 * per resource version (PEERS.md: encoding a large ClusterLoadAssignment costs ~100 ms with protobufjs 7), so a push
 * to N proxies copies bytes instead of encoding N times.
 */

const WIRE_LEN = 2;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, offset: number, n: number): number {
  while (n >= 0x80) {
    buf[offset++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[offset++] = n;
  return offset;
}

/** Accumulates length-delimited fields; `finish()` lays them out in one buffer. */
export class MessageWriter {
  private readonly tags: number[] = [];
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  /** A string field (skipped when empty, as proto3 does). */
  string(field: number, value: string): this {
    if (value.length === 0) return this;
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** A repeated string element: written even when empty. */
  repeatedString(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** A bytes or embedded-message field holding already-encoded bytes. */
  bytes(field: number, value: Uint8Array): this {
    const tag = (field << 3) | WIRE_LEN;
    this.tags.push(tag);
    this.parts.push(value);
    this.size += varintSize(tag) + varintSize(value.length) + value.length;
    return this;
  }

  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.size);
    let offset = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as Uint8Array;
      offset = writeVarint(out, offset, this.tags[i] as number);
      offset = writeVarint(out, offset, part.length);
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}
