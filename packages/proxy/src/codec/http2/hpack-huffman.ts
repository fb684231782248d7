/**
 * HPACK Huffman coding (RFC 7541 §5.2, Appendix B). The code is canonical, so the table is stored as code lengths
 * per symbol (0..255, 256 = EOS) and the codes are derived from them. Decoding walks a 4-bit state machine built
 * from the code tree once at load.
 */
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

const EOS = 256;
/** Code of each symbol, right-aligned. */
export const HUFFMAN_CODES = new Uint32Array(257);
export const HUFFMAN_LENGTHS = Uint8Array.from(LENGTHS);

/** Decoder states: internal tree nodes; per (state, nibble): next state, emitted symbol + 1 (0 = none), failure. */
const NEXT = new Uint16Array(256 * 16);
const EMIT = new Uint16Array(256 * 16);
const FAIL = new Uint8Array(256 * 16);
/** A state is a valid end when it lies on the all-ones path from the root within 7 bits (padding, §5.2). */
const ACCEPT = new Uint8Array(256);

function build(): void {
  const order = [...LENGTHS.keys()].sort((a, b) => (LENGTHS[a] as number) - (LENGTHS[b] as number) || a - b);
  let code = 0;
  let prev = LENGTHS[order[0] as number] as number;
  for (const sym of order) {
    const len = LENGTHS[sym] as number;
    code = code * 2 ** (len - prev);
    prev = len;
    HUFFMAN_CODES[sym] = code;
    code++;
  }
  // Tree: child[node * 2 + bit] >= 0 is an internal node, < 0 is leaf -(sym + 1).
  const child = new Int32Array(256 * 2).fill(0);
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const len = LENGTHS[sym] as number;
    const c = HUFFMAN_CODES[sym] as number;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(c / 2 ** i) & 1;
      const slot = node * 2 + bit;
      if (i === 0) child[slot] = -(sym + 1);
      else {
        if (child[slot] === 0) child[slot] = nodes++;
        node = child[slot] as number;
      }
    }
  }
  for (let s = 0, depth = 0; depth < 8; depth++) {
    ACCEPT[s] = 1;
    const next = child[s * 2 + 1] as number;
    if (next <= 0) break;
    s = next;
  }
  for (let state = 0; state < nodes; state++) {
    for (let nib = 0; nib < 16; nib++) {
      let node = state;
      let emit = 0;
      let fail = 0;
      for (let b = 3; b >= 0; b--) {
        const next = child[node * 2 + ((nib >> b) & 1)] as number;
        if (next < 0) {
          const sym = -next - 1;
          if (sym === EOS) fail = 1;
          emit = sym + 1;
          node = 0;
        } else node = next;
      }
      const i = state * 16 + nib;
      NEXT[i] = node;
      EMIT[i] = emit;
      FAIL[i] = fail;
    }
  }
}
build();

/** Decoded octets before they become one string (the shortest code is 5 bits: at most 8/5 octets per input octet). */
let scratch = Buffer.allocUnsafeSlow(1024);

/**
 * Huffman-decodes `src[start, end)` into a shared scratch buffer (see huffmanDecoded); returns the octet count, or -1
 * on an invalid code, EOS or bad padding (COMPRESSION_ERROR). The octets stay valid until the next call.
 */
export function huffmanDecodeBytes(src: Buffer, start: number, end: number): number {
  const max = ((end - start) * 8) / 5 + 1;
  if (max > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(max, scratch.length * 2));
  const out = scratch;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i] as number;
    let k = state * 16 + (byte >> 4);
    if (FAIL[k] === 1) return -1;
    let e = EMIT[k] as number;
    if (e !== 0) out[n++] = e - 1;
    state = NEXT[k] as number;
    k = state * 16 + (byte & 15);
    if (FAIL[k] === 1) return -1;
    e = EMIT[k] as number;
    if (e !== 0) out[n++] = e - 1;
    state = NEXT[k] as number;
  }
  return ACCEPT[state] === 1 ? n : -1;
}

/** The buffer huffmanDecodeBytes decoded into. */
export function huffmanDecoded(): Buffer {
  return scratch;
}

/** Bytes the Huffman coding of src[from, to) takes. */
export function huffmanLength(src: Uint8Array, from: number, to: number): number {
  let bits = 0;
  for (let i = from; i < to; i++) bits += HUFFMAN_LENGTHS[src[i] as number] as number;
  return (bits + 7) >> 3;
}

/**
 * Writes the Huffman coding of src[from, to) at out[pos]; returns the position after it. Works on bytes, not string
 * characters: V8 re-checks a string's representation at every charCodeAt, which made coding twice as slow.
 */
export function huffmanEncode(src: Uint8Array, from: number, to: number, out: Uint8Array, pos: number): number {
  let acc = 0; // fewer than 8 pending bits between symbols, so a code of up to 24 bits fits in 32
  let n = 0;
  for (let i = from; i < to; i++) {
    const sym = src[i] as number;
    let code = HUFFMAN_CODES[sym] as number;
    let len = HUFFMAN_LENGTHS[sym] as number;
    if (len > 24) {
      // Only a few control and high bytes have codes this long: their top bits go first.
      const top = len - 24;
      acc = (acc << top) | (code >>> 24);
      n += top;
      while (n >= 8) {
        n -= 8;
        out[pos++] = (acc >>> n) & 0xff;
      }
      acc &= (1 << n) - 1;
      code &= 0xffffff;
      len = 24;
    }
    acc = (acc << len) | code;
    n += len;
    while (n >= 8) {
      n -= 8;
      out[pos++] = (acc >>> n) & 0xff;
    }
    acc &= (1 << n) - 1;
  }
  if (n > 0) out[pos++] = ((acc << (8 - n)) | (0xff >> n)) & 0xff;
  return pos;
}
