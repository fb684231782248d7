/**
 * Test support (not used by the codec): a seeded PRNG, a random header-field generator aimed at the HPACK encoder's
 * caches and tables, Weft block encoding into write buffers that grow mid-field, and the independent `hpack.js`
 * codec (indutny, 2.1.6) as a reference peer.
 */
import { createRequire } from 'node:module';
import type { HpackEncoder } from './hpack-encoder.js';
import { STATIC_TABLE } from './hpack-static-table.js';
import { WriteBuffer } from './write-buffer.js';

/** mulberry32: small, fast, and the same sequence for a seed on every run. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)] as T;
  }
}

/** The seed of a run: FUZZ_SEED from the environment to replay one, else fixed so the suite is deterministic. */
export function seedOf(fixed: number): number {
  const env = process.env.FUZZ_SEED;
  return env === undefined ? fixed : Number(env);
}

export interface Field {
  name: string;
  value: string;
  never: boolean;
}

/** The encoder's volatile names (NOT_INDEXED in hpack-encoder.ts): literals without indexing, bytes cached per value. */
export const VOLATILE = [':path', 'content-length', 'date', 'etag', 'last-modified', 'age', 'x-request-id', 'if-modified-since', 'if-none-match', 'location', 'set-cookie', 'grpc-timeout', 'x-envoy-expected-rq-timeout-ms', 'x-envoy-upstream-service-time'];
const TOKEN = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz";
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te']);
const STATIC_NAMES = [...new Set(STATIC_TABLE.map((e) => e[0]))];
/** Regular static names a well-formed message may carry. */
const REGULAR_STATIC_NAMES = STATIC_NAMES.filter((n) => !n.startsWith(':') && !CONNECTION_SPECIFIC.has(n));

/** Mirrors the encoder's sensitive(): such fields go out never-indexed. */
export function sensitive(name: string, value: string): boolean {
  return name === 'authorization' || name === 'proxy-authorization' || (name === 'cookie' && value.length < 20);
}

/**
 * Random valid fields (RFC 9113 §8.2.1: lower-case token names, values without NUL/CR/LF or surrounding
 * whitespace). Values repeat per name often, come back after another one, sit around the 64-byte field cache limit
 * and far beyond it, and range over printable ASCII (Huffman-coded) and obs-text (raw literals).
 */
export class FieldGen {
  private readonly last = new Map<string, string>();
  private readonly pools = new Map<string, string[]>();
  private readonly frequent: string[];
  private rare = 0;
  private tinyPhase = false;

  constructor(private readonly rng: Rng) {
    this.frequent = Array.from({ length: 8 }, (_, i) => `x-f${i}-${this.token(rng.int(1, 12))}`);
  }

  token(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += this.rng.pick(TOKEN.split(''));
    return s;
  }

  /** A valid value of length n: one character class mix per value, whitespace only inside. */
  value(n: number): string {
    const r = this.rng;
    const mode = r.int(0, 3);
    let s = '';
    for (let i = 0; i < n; i++) {
      let c: number;
      const inside = i > 0 && i < n - 1;
      if (inside && r.chance(0.05)) c = r.chance(0.5) ? 0x20 : 0x09;
      else if (mode === 0) c = r.pick([0x61, 0x65, 0x69, 0x6f, 0x74, 0x30, 0x31, 0x32, 0x2f, 0x2d]); // short codes
      else if (mode === 1) c = r.int(0x21, 0x7e);
      else if (mode === 2) c = r.int(0x80, 0xff);
      else c = r.chance(0.5) ? r.int(0x21, 0x7e) : r.int(0x80, 0xff);
      s += String.fromCharCode(c);
    }
    return s;
  }

  private length(): number {
    const r = this.rng;
    const k = r.next();
    if (k < 0.45) return r.int(0, 12);
    if (k < 0.75) return r.int(30, 70); // the 64-byte field cache limit falls in here
    if (k < 0.97) return r.int(70, 300);
    return r.int(1000, 3000); // larger than the table: never indexed by Weft, empties it when hpack.js indexes it
  }

  /** A value for `name`: the last one again, one of a few earlier ones, or new. */
  valueFor(name: string): string {
    const r = this.rng;
    const last = this.last.get(name);
    let pool = this.pools.get(name);
    if (pool === undefined) this.pools.set(name, (pool = []));
    let v: string;
    const k = r.next();
    if (last !== undefined && k < 0.45) v = last;
    else if (pool.length > 0 && k < 0.7) v = r.pick(pool);
    else {
      v = this.value(this.length());
      if (pool.length < 4) pool.push(v);
      else pool[r.int(0, 3)] = v;
    }
    this.last.set(name, v);
    return v;
  }

  /** A name: static, volatile, frequent custom, rare (new each time, sometimes longer than the name cache takes). */
  name(regularOnly: boolean): string {
    const r = this.rng;
    const k = r.next();
    if (k < 0.25) return r.pick(regularOnly ? REGULAR_STATIC_NAMES : STATIC_NAMES);
    if (k < 0.5) {
      const v = r.pick(VOLATILE);
      return regularOnly && v === ':path' ? 'location' : v;
    }
    if (k < 0.8) return r.pick(this.frequent);
    return `x-r${this.rare++}-${this.token(r.chance(0.2) ? r.int(60, 120) : r.int(1, 20))}`;
  }

  field(regularOnly = false): Field {
    const r = this.rng;
    const k = r.next();
    if (k < 0.15) {
      const e = r.pick(STATIC_TABLE);
      if (!regularOnly || (!e[0].startsWith(':') && !CONNECTION_SPECIFIC.has(e[0]))) return { name: e[0], value: e[1], never: r.chance(0.05) };
    }
    if (k < 0.2) {
      // Sensitive: never indexed whatever the caller asks; a short cookie is guessable, a long one is not.
      const name = r.pick(['authorization', 'proxy-authorization', 'cookie']);
      return { name, value: name === 'cookie' && r.chance(0.5) ? this.value(r.int(20, 60)) : this.valueFor(name), never: false };
    }
    // Tiny entries: ~120 of them fill the table, so indexes pass 127 (a second integer octet).
    if (k < 0.3 || (this.tinyPhase && r.chance(0.8))) return { name: `x${r.int(0, 99)}`, value: r.pick(['', 'a', '1', 'ok']), never: false };
    const name = this.name(regularOnly);
    return { name, value: this.valueFor(name), never: r.chance(0.08) };
  }

  /** A block: any fields in any order, or a well-formed request or response shape (pseudo-headers first). */
  block(shape: 'any' | 'request' | 'response' | 'trailers'): Field[] {
    const r = this.rng;
    const out: Field[] = [];
    if (shape === 'request') {
      out.push({ name: ':method', value: r.pick(['GET', 'POST', 'PUT']), never: false });
      out.push({ name: ':scheme', value: r.pick(['http', 'https']), never: false });
      out.push({ name: ':path', value: `/${this.valueFor(':path')}`, never: false });
      if (r.chance(0.7)) out.push({ name: ':authority', value: this.valueFor(':authority') || 'a', never: false });
    } else if (shape === 'response') out.push({ name: ':status', value: r.pick(['200', '204', '404', '503', '302']), never: false });
    // Stretches of blocks with mostly tiny fields: the table fills up with them.
    if (r.chance(0.05)) this.tinyPhase = !this.tinyPhase;
    const n = r.int(0, this.tinyPhase ? 30 : 14);
    for (let i = 0; i < n; i++) out.push(this.field(shape !== 'any'));
    return out;
  }
}

/** Shrinks the slab `w` writes into to `room` free bytes, so the next write moves it (maybe mid-field). */
export function squeeze(w: WriteBuffer, room: number): void {
  const next = Buffer.allocUnsafe(w.pos + room);
  w.buf.copy(next, 0, 0, w.pos);
  w.buf = next;
}

/**
 * One block from a Weft encoder: after `lead` bytes of other frames, the slab squeezed before fields at random.
 * Returns the block's bytes.
 */
export function weftBlock(enc: HpackEncoder, w: WriteBuffer, fields: readonly Field[], rng: Rng): Buffer {
  const lead = rng.int(0, 9);
  w.bytes(Buffer.alloc(lead, 0xaa));
  if (rng.chance(0.3)) squeeze(w, rng.int(0, 3));
  enc.beginBlock(w);
  for (const f of fields) {
    if (rng.chance(0.15)) squeeze(w, rng.int(0, 8));
    enc.encode(w, f.name, f.value, f.never);
  }
  const out = w.take();
  if (out === null) return Buffer.alloc(0);
  const b = Buffer.isBuffer(out) ? out : Buffer.concat(out);
  return b.subarray(lead);
}

/** A new write buffer whose slab is a few bytes, so the first fields already move it. */
export function tinyWriteBuffer(rng: Rng): WriteBuffer {
  const w = new WriteBuffer();
  w.buf = Buffer.allocUnsafe(rng.int(0, 16));
  return w;
}

/** A dynamic table size update (RFC 7541 §6.3), written by hand. */
export function sizeUpdate(size: number): Buffer {
  const bytes: number[] = [];
  if (size < 31) bytes.push(0x20 | size);
  else {
    bytes.push(0x3f);
    let v = size - 31;
    while (v >= 128) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
  }
  return Buffer.from(bytes);
}

export interface RefHeader {
  name: string;
  value: string;
  neverIndex?: boolean;
  huffman?: boolean;
  incremental?: boolean;
}
interface RefTable {
  size: number;
  updateSize(n: number): void;
}
export interface RefCompressor {
  write(headers: RefHeader[]): void;
  read(): Buffer | null;
  readonly _table: RefTable;
}
export interface RefDecompressor {
  write(b: Buffer): void;
  execute(): void;
  read(): { name: string; value: string; neverIndex: boolean } | null;
  readonly _table: RefTable;
}
const hpackJs = createRequire(import.meta.url)('hpack.js') as {
  compressor: { create(o: { table: { maxSize: number } }): RefCompressor };
  decompressor: { create(o: { table: { maxSize: number } }): RefDecompressor };
};

export function refCompressor(maxSize: number): RefCompressor {
  return hpackJs.compressor.create({ table: { maxSize } });
}

export function refDecompressor(maxSize: number): RefDecompressor {
  return hpackJs.decompressor.create({ table: { maxSize } });
}

/** hpack.js's encoding of one block (its output chunks joined). */
export function refEncode(c: RefCompressor, headers: RefHeader[]): Buffer {
  c.write(headers);
  const chunks: Buffer[] = [];
  for (let b = c.read(); b !== null; b = c.read()) chunks.push(b);
  return Buffer.concat(chunks);
}

/**
 * hpack.js's own table size change. Its Compressor.updateTableSize() writes the §6.3 update only when the size is the
 * protocol maximum: a smaller size shrinks its table silently, and the peer's table goes out of sync (RFC 7541 §4.2
 * wants the update signalled). So the table is resized directly and the caller writes the update (sizeUpdate()).
 */
export function refResize(c: RefCompressor, size: number): void {
  c._table.updateSize(size);
}

/** hpack.js's decoding of one block: [name, value, never-indexed] per field. Throws on a decoding error. */
export function refDecode(d: RefDecompressor, b: Buffer): Array<[string, string, boolean]> {
  d.write(b);
  d.execute();
  const out: Array<[string, string, boolean]> = [];
  for (let h = d.read(); h !== null; h = d.read()) out.push([h.name, h.value, h.neverIndex]);
  return out;
}

/** A short printable description of a failing case (latin1 strings JSON-escaped, long ones cut). */
export function describe(x: unknown): string {
  const s = JSON.stringify(x, (_k, v: unknown) => (typeof v === 'string' && v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v));
  return s.length > 4000 ? `${s.slice(0, 4000)}…` : s;
}
