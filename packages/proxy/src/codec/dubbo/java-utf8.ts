const SURROGATE = /[\ud800-\udfff]/;

/** UTF-8 the way Java's Hessian writes it: each UTF-16 unit on its own, so a surrogate pair takes 2 x 3 bytes. */
export function javaUtf8(value: string): Buffer {
  if (!SURROGATE.test(value)) return Buffer.from(value, 'utf8');
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(out);
}

/** Decodes Java-style UTF-8 (CESU-8 surrogates, which Node's decoder would replace). */
export function decodeJavaUtf8(buf: Buffer, start: number, end: number): string {
  let out = '';
  let p = start;
  while (p < end) {
    const b = buf[p] as number;
    let c: number;
    if (b < 0x80) {
      c = b;
      p += 1;
    } else if (b < 0xe0) {
      c = ((b & 0x1f) << 6) | ((buf[p + 1] as number) & 0x3f);
      p += 2;
    } else if (b < 0xf0) {
      c = ((b & 0x0f) << 12) | (((buf[p + 1] as number) & 0x3f) << 6) | ((buf[p + 2] as number) & 0x3f);
      p += 3;
    } else {
      // A standard 4-byte sequence (not what Java writes, but accepted).
      out += buf.toString('utf8', p, p + 4);
      p += 4;
      continue;
    }
    out += String.fromCharCode(c);
  }
  return out;
}
