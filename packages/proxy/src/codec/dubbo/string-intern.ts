/**
 * A small direct-mapped cache of the short ASCII strings Dubbo requests repeat on every call (service paths,
 * method names, descriptors, attachment keys and values), so decoding them costs a hash over the bytes instead of
 * a new string each time. Process-wide: the event loop is single-threaded and entries are verified on every hit.
 */
const SLOTS = 512;
const MAX_LENGTH = 64;
const cache: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);

/** The string for ASCII bytes `buf[start, end)`. */
export function asciiString(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len > MAX_LENGTH) return buf.toString('latin1', start, end);
  let h = 0x811c9dc5 ^ len;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (buf[i] as number), 0x01000193);
  const slot = (h >>> 0) & (SLOTS - 1);
  const hit = cache[slot];
  if (hit !== undefined && hit.length === len && sameAscii(hit, buf, start)) return hit;
  const s = buf.toString('latin1', start, end);
  cache[slot] = s;
  return s;
}

function sameAscii(s: string, buf: Buffer, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}
