/**
 * 64-bit hashes Envoy uses to place hosts (`HashUtil::xxHash64`, `MurmurHash::murmurHash2`). BigInt-based: they
 * run when a ring or Maglev table is built (config / membership changes), never per request.
 */

const MASK64 = 0xffffffffffffffffn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & MASK64;
}

function read64(b: Uint8Array, i: number): bigint {
  const lo = ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24)) >>> 0;
  const hi =
    ((b[i + 4] as number) | ((b[i + 5] as number) << 8) | ((b[i + 6] as number) << 16) | ((b[i + 7] as number) << 24)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function read32(b: Uint8Array, i: number): bigint {
  return BigInt(
    ((b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24)) >>> 0,
  );
}

function round(acc: bigint, input: bigint): bigint {
  acc = (acc + input * P2) & MASK64;
  return (rotl(acc, 31n) * P1) & MASK64;
}

function mergeRound(acc: bigint, val: bigint): bigint {
  acc ^= round(0n, val);
  return (acc * P1 + P4) & MASK64;
}

function toBytes(input: Uint8Array | string): Uint8Array {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
}

/** XXH64 (xxHash 64-bit), as `HashUtil::xxHash64(key, seed)`. */
export function xxHash64(input: Uint8Array | string, seed: bigint = 0n): bigint {
  const b = toBytes(input);
  const len = b.length;
  let i = 0;
  let h: bigint;
  if (len >= 32) {
    let v1 = (seed + P1 + P2) & MASK64;
    let v2 = (seed + P2) & MASK64;
    let v3 = seed & MASK64;
    let v4 = (seed - P1) & MASK64;
    for (; i + 32 <= len; i += 32) {
      v1 = round(v1, read64(b, i));
      v2 = round(v2, read64(b, i + 8));
      v3 = round(v3, read64(b, i + 16));
      v4 = round(v4, read64(b, i + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK64;
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    h = mergeRound(h, v4);
  } else {
    h = (seed + P5) & MASK64;
  }
  h = (h + BigInt(len)) & MASK64;
  for (; i + 8 <= len; i += 8) {
    h ^= round(0n, read64(b, i));
    h = (rotl(h, 27n) * P1 + P4) & MASK64;
  }
  if (i + 4 <= len) {
    h ^= (read32(b, i) * P1) & MASK64;
    h = (rotl(h, 23n) * P2 + P3) & MASK64;
    i += 4;
  }
  for (; i < len; i++) {
    h ^= (BigInt(b[i] as number) * P5) & MASK64;
    h = (rotl(h, 11n) * P1) & MASK64;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK64;
  h ^= h >> 29n;
  h = (h * P3) & MASK64;
  h ^= h >> 32n;
  return h;
}

/** Envoy's `MurmurHash::STD_HASH_SEED`. */
export const STD_HASH_SEED = 0xc70f6907n;
const MURMUR_MUL = 0xc6a4a7935bd1e995n;

function shiftMix(v: bigint): bigint {
  return v ^ (v >> 47n);
}

/** 64-bit MurmurHash2 as in libstdc++ `_Hash_bytes` (what Envoy's `MurmurHash::murmurHash2` ports). */
export function murmurHash2(input: Uint8Array | string, seed: bigint = STD_HASH_SEED): bigint {
  const b = toBytes(input);
  const len = b.length;
  const aligned = len & ~7;
  let hash = (seed ^ (BigInt(len) * MURMUR_MUL)) & MASK64;
  for (let i = 0; i < aligned; i += 8) {
    const data = (shiftMix((read64(b, i) * MURMUR_MUL) & MASK64) * MURMUR_MUL) & MASK64;
    hash ^= data;
    hash = (hash * MURMUR_MUL) & MASK64;
  }
  const rest = len & 7;
  if (rest !== 0) {
    let data = 0n;
    for (let n = rest - 1; n >= 0; n--) data = (data << 8n) + BigInt(b[aligned + n] as number);
    hash ^= data;
    hash = (hash * MURMUR_MUL) & MASK64;
  }
  hash = (shiftMix(hash) * MURMUR_MUL) & MASK64;
  return shiftMix(hash);
}
