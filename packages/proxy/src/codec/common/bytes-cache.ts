/**
 * A few values keyed by byte strings, for the parts of RPC frames that repeat call after call on a connection (a
 * Bolt header map, the leading fields of a SofaRequest, a Dubbo attachments map). A lookup compares the frame's bytes
 * against each key (memcmp: a JS byte loop measured slower); a hit skips decoding and returns the strings decoded the first time, so equal frames
 * also share string identity. Most-recently used first; at most `size` entries per cache.
 */
interface Entry<T> {
  readonly key: Buffer;
  readonly value: T;
  /** For prefixIn(): `key` from byte i (0..3) on, as whole 32-bit words; made on first use. */
  readonly words: (Int32Array | undefined)[];
}

export class BytesCache<T> {
  private readonly entries: Entry<T>[] = [];

  constructor(private readonly size = 8) {}

  /** The value stored for exactly the bytes `buf[start, end)`. */
  exact(buf: Buffer, start: number, end: number): T | undefined {
    const len = end - start;
    const es = this.entries;
    for (let i = 0; i < es.length; i++) {
      const e = es[i] as Entry<T>;
      if (e.key.length === len && buf.compare(e.key, 0, len, start, end) === 0) return this.hit(i, e);
    }
    return undefined;
  }

  /** The value stored for a key that `buf[start, end)` starts with (keys are self-delimiting prefixes). */
  prefix(buf: Buffer, start: number, end: number): T | undefined {
    const avail = end - start;
    const es = this.entries;
    for (let i = 0; i < es.length; i++) {
      const e = es[i] as Entry<T>;
      const len = e.key.length;
      if (len <= avail && buf.compare(e.key, 0, len, start, start + len) === 0) return this.hit(i, e);
    }
    return undefined;
  }

  /**
   * prefix() for `buf[start, start + avail)` where `words` views the whole ArrayBuffer under `buf` as 32-bit words
   * and `abs` is `start`'s offset in it: compares a word at a time, about a third of a native compare call's cost for
   * keys of ~100 bytes (the call itself is most of that cost).
   */
  prefixIn(buf: Buffer, start: number, avail: number, words: Int32Array, abs: number): T | undefined {
    const es = this.entries;
    for (let i = 0; i < es.length; i++) {
      const e = es[i] as Entry<T>;
      if (e.key.length <= avail && sameBytes(buf, start, words, abs, e)) return this.hit(i, e);
    }
    return undefined;
  }

  /** Remembers `value` for a copy of `buf[start, end)`, evicting the least recently used entry when full. */
  set(buf: Buffer, start: number, end: number, value: T): T {
    const key = Buffer.allocUnsafeSlow(end - start);
    buf.copy(key, 0, start, end);
    const es = this.entries;
    if (es.length >= this.size) es.pop();
    es.unshift({ key, value, words: [undefined, undefined, undefined, undefined] });
    return value;
  }

  private hit(i: number, e: Entry<T>): T {
    if (i !== 0) {
      // One step towards the front: a steady mix of keys settles without reshuffling on every call.
      const es = this.entries;
      es[i] = es[i - 1] as Entry<T>;
      es[i - 1] = e;
    }
    return e.value;
  }
}

/**
 * Whether `buf[start, start + key length)` equals the key: the bytes up to the first word boundary (at `abs` in the
 * word view), then whole words against the key's words from the same byte on, then the bytes left.
 */
function sameBytes<T>(buf: Buffer, start: number, words: Int32Array, abs: number, e: Entry<T>): boolean {
  const key = e.key;
  const len = key.length;
  const lead = Math.min((4 - (abs & 3)) & 3, len);
  let i = 0;
  for (; i < lead; i++) if (buf[start + i] !== key[i]) return false;
  const kw = e.words[lead] ?? keyWords(e, lead);
  const n = kw.length;
  const w = (abs + lead) >> 2;
  for (let k = 0; k < n; k++) if (words[w + k] !== kw[k]) return false;
  for (i = lead + n * 4; i < len; i++) if (buf[start + i] !== key[i]) return false;
  return true;
}

/** The key's bytes from `from` on as 32-bit words (in a fresh, aligned copy), for sameBytes(). */
function keyWords<T>(e: Entry<T>, from: number): Int32Array {
  const n = (e.key.length - from) >> 2;
  const copy = new Uint8Array(n * 4);
  copy.set(e.key.subarray(from, from + n * 4));
  const kw = new Int32Array(copy.buffer, 0, n);
  e.words[from] = kw;
  return kw;
}
