/** Field-name and field-value rules of RFC 9113 §8.2.1, on octets (HPACK literals as they are decoded). */

/** tchar (RFC 9110 §5.6.2) without upper-case letters: what an HTTP/2 field name may hold. */
export const NAME_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") NAME_CHAR[c.charCodeAt(0)] = 1;

/** A non-empty lower-case token; a pseudo-header name (leading ':') is left to the message checks. */
export function validNameBytes(b: Uint8Array, from: number, to: number): boolean {
  if (to <= from) return false;
  if (b[from] === 0x3a) return true;
  for (let i = from; i < to; i++) if (NAME_CHAR[b[i] as number] !== 1) return false;
  return true;
}

/** No NUL, CR or LF, and no leading or trailing SP or HTAB. */
export function validValueBytes(b: Uint8Array, from: number, to: number): boolean {
  if (to > from) {
    const first = b[from] as number;
    const last = b[to - 1] as number;
    if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  }
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}
