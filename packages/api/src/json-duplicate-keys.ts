import { keyPath } from './json-struct.js';

export interface DuplicateKey {
  readonly key: string;
  /** Offset of the second occurrence in the text. */
  readonly offset: number;
  /** Path of the object holding the key (`static_resources.clusters[0]`). */
  readonly path: string;
}

interface Frame {
  readonly keys: Set<string> | undefined; // undefined for arrays
  index: number;
  key: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Finds the first duplicate object key in text that `JSON.parse` already accepted (which keeps the last value
 * silently). One linear scan; strings are only decoded when they contain escapes.
 */
export function findDuplicateJsonKey(text: string): DuplicateKey | undefined {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) {
          escaped = true;
          i++;
        } else if (d === QUOTE) break;
      }
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
        if (top.keys.has(key)) return { key, offset: start, path: framesPath(stack) };
        top.keys.add(key);
        top.key = key;
        expectKey = false;
      }
      continue;
    }
    switch (c) {
      case 0x7b: // {
        stack.push({ keys: new Set(), index: 0, key: '' });
        expectKey = true;
        break;
      case 0x5b: // [
        stack.push({ keys: undefined, index: 0, key: '' });
        expectKey = false;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        expectKey = false;
        break;
      case 0x2c: {
        // ,
        const top = stack[stack.length - 1];
        if (top?.keys) expectKey = true;
        else if (top) top.index++;
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

function framesPath(stack: readonly Frame[]): string {
  let path = '';
  for (let i = 0; i < stack.length - 1; i++) {
    const f = stack[i];
    if (!f) continue;
    path = f.keys ? keyPath(path, f.key) : `${path}[${f.index}]`;
  }
  return path;
}
