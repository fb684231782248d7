import { randomFillSync } from 'node:crypto';

/**
 * x-request-id values: RFC 4122 version 4 UUIDs from the CSPRNG, like `crypto.randomUUID()`, but made in batches:
 * one randomFillSync and one latin1 conversion per 1024 ids, after which an id is a `slice` of the batch text (a flat
 * string, no per-id concatenation).
 */
const BATCH = 1024;
/** Lower-case hex digit (char code) of each nibble. */
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
// Allocated on first use: a process that never generates ids keeps no buffers.
let random: Buffer | undefined;
let text: Buffer | undefined;
let batch = '';
let next = BATCH;

function hex(t: Buffer, o: number, b: number): void {
  t[o] = HEX[b >> 4] as number;
  t[o + 1] = HEX[b & 0x0f] as number;
}

function refill(): void {
  if (random === undefined || text === undefined) {
    random = Buffer.allocUnsafeSlow(16 * BATCH);
    text = Buffer.allocUnsafeSlow(36 * BATCH);
    // The dashes never move: written once.
    for (let o = 0; o < text.length; o += 36) text[o + 8] = text[o + 13] = text[o + 18] = text[o + 23] = 0x2d;
  }
  randomFillSync(random);
  const r = random;
  const t = text;
  for (let k = 0, i = 0, o = 0; k < BATCH; k++, i += 16, o += 36) {
    hex(t, o, r[i] as number);
    hex(t, o + 2, r[i + 1] as number);
    hex(t, o + 4, r[i + 2] as number);
    hex(t, o + 6, r[i + 3] as number);
    hex(t, o + 9, r[i + 4] as number);
    hex(t, o + 11, r[i + 5] as number);
    hex(t, o + 14, ((r[i + 6] as number) & 0x0f) | 0x40); // version 4
    hex(t, o + 16, r[i + 7] as number);
    hex(t, o + 19, ((r[i + 8] as number) & 0x3f) | 0x80); // variant 10xx
    hex(t, o + 21, r[i + 9] as number);
    hex(t, o + 24, r[i + 10] as number);
    hex(t, o + 26, r[i + 11] as number);
    hex(t, o + 28, r[i + 12] as number);
    hex(t, o + 30, r[i + 13] as number);
    hex(t, o + 32, r[i + 14] as number);
    hex(t, o + 34, r[i + 15] as number);
  }
  batch = t.toString('latin1');
  next = 0;
}

/** A new random (version 4) UUID in the canonical lower-case 8-4-4-4-12 form. */
export function newRequestId(): string {
  if (next === BATCH) refill();
  const o = 36 * next++;
  return batch.slice(o, o + 36);
}
