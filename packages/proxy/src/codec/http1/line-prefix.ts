/**
 * Incremental validity check of a head/trailer line that arrives in pieces (no LF yet).
 *
 * The line parsers are not resumable: a line split across `execute` calls is kept in a scratch buffer and parsed
 * once its LF arrives. Without more, a bad byte early in such a line would only be reported when the LF (or the size
 * limit) comes, while the same bytes fed in one piece fail at once. This byte-at-a-time automaton mirrors the line
 * grammars closely enough to say "this prefix can no longer become a valid line"; the parser then runs the real line
 * parser on the prefix, which reports exactly the error whole input would have. Linear: each byte is checked once.
 */
import { CR, HTAB, SP, TOKEN, FIELD_VALUE } from './char-tables.js';

export const LINE_FIELD = 0;
export const LINE_REQUEST = 1;
export const LINE_STATUS = 2;

const P_START = 0;
const P_DEAD_AFTER_CR = 1; // a CR was seen: the next byte must be LF, which never reaches this checker
const P_NAME = 2;
const P_VALUE = 3;
const P_METHOD = 4;
const P_TARGET_START = 5;
const P_TARGET = 6;
const P_VERSION = 7;
const P_STATUS_DIGITS = 8;
const P_AFTER_STATUS = 9;
const P_REASON = 10;
const P_OFF = 11;

const HTTP_VERSION_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

export class LinePrefixCheck {
  private kind = LINE_FIELD;
  private phase = P_START;
  private k = 0;

  begin(kind: number): void {
    this.kind = kind;
    this.phase = P_START;
    this.k = 0;
  }

  /** Stops checking the current line (used if the real parser disagrees, so it can never loop). */
  disable(): void {
    this.phase = P_OFF;
  }

  /** Index of the first byte of buf[s, e) after which the line cannot be valid, or -1. */
  scan(buf: Buffer, s: number, e: number): number {
    let phase = this.phase;
    let k = this.k;
    for (let i = s; i < e; i++) {
      const c = buf[i] as number;
      let ok = true;
      switch (phase) {
        case P_OFF:
          return -1;
        case P_START:
          if (c === CR) phase = P_DEAD_AFTER_CR;
          else if (this.kind === LINE_FIELD) {
            ok = TOKEN[c] !== 0;
            phase = P_NAME;
          } else if (this.kind === LINE_REQUEST) {
            ok = TOKEN[c] !== 0;
            phase = P_METHOD;
          } else {
            ok = c === HTTP_VERSION_PREFIX[0];
            phase = P_VERSION;
            k = 1;
          }
          break;
        case P_DEAD_AFTER_CR:
          ok = false;
          break;
        case P_NAME:
          if (c === 0x3a) phase = P_VALUE;
          else ok = TOKEN[c] !== 0;
          break;
        case P_VALUE:
          if (c === CR) phase = P_DEAD_AFTER_CR;
          else ok = (c > 0x20 && c !== 0x7f) || c === SP || c === HTAB;
          break;
        case P_METHOD:
          if (c === SP) phase = P_TARGET_START;
          else ok = TOKEN[c] !== 0;
          break;
        case P_TARGET_START:
          ok = c > 0x20 && c < 0x7f;
          phase = P_TARGET;
          break;
        case P_TARGET:
          if (c === SP) {
            phase = P_VERSION;
            k = 0;
          } else ok = c > 0x20 && c < 0x7f;
          break;
        case P_VERSION:
          if (k < 8) {
            ok = k < 5 ? c === HTTP_VERSION_PREFIX[k] : k === 6 ? c === 0x2e : c >= 0x30 && c <= 0x39;
            k++;
          } else if (this.kind === LINE_REQUEST) {
            ok = c === CR;
            phase = P_DEAD_AFTER_CR;
          } else {
            ok = c === SP;
            phase = P_STATUS_DIGITS;
            k = 0;
          }
          break;
        case P_STATUS_DIGITS:
          ok = c >= 0x30 && c <= 0x39;
          if (++k === 3) phase = P_AFTER_STATUS;
          break;
        case P_AFTER_STATUS:
          if (c === CR) phase = P_DEAD_AFTER_CR;
          else {
            ok = c === SP;
            phase = P_REASON;
          }
          break;
        case P_REASON:
          if (c === CR) phase = P_DEAD_AFTER_CR;
          else ok = FIELD_VALUE[c] !== 0;
          break;
        default:
          break;
      }
      if (!ok) return i;
    }
    this.phase = phase;
    this.k = k;
    return -1;
  }
}
