import { ConfigError, joinPath } from '@weft/api/lite';
import type { RegexMatcher__Output } from '@weft/api/envoy/envoy/type/matcher/v3/RegexMatcher.js';
import type { RegexMatchAndSubstitute__Output } from '@weft/api/envoy/envoy/type/matcher/v3/RegexMatchAndSubstitute.js';

/**
 * Envoy's `safe_regex` is RE2. We run RE2 patterns on V8's backtracking engine after translating the syntax that
 * differs (`.`, `\s`, `\A`, `\z`, POSIX classes, `(?P<n>`, leading `(?i)`/`(?s)`/`(?m)`, `\Q..\E`, `\x{..}`) and
 * rejecting what V8 would run differently or unsafely: backreferences, lookaround, scoped flags, `\p`, `\C`, and
 * nested unbounded repetition such as `(a+)+` (the classic catastrophic-backtracking shape; RE2 is linear, V8 is
 * not). The nesting check is best effort, not a proof of linear time.
 */
export class Re2SyntaxError extends Error {}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const RE2_SPACE = '\\t\\n\\f\\r ';
const MAX_REPEAT = 1000;

interface Translation {
  readonly source: string;
  readonly flags: string;
}

function isAsciiPunct(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 128 && !/[A-Za-z0-9_]/.test(c);
}

function hexEscape(cp: number, inClass: boolean): string {
  if (cp > 0x10ffff) throw new Re2SyntaxError('invalid \\x escape');
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  if (inClass) throw new Re2SyntaxError('code points above U+FFFF are not supported in character classes');
  const v = cp - 0x10000;
  const hi = 0xd800 + (v >> 10);
  const lo = 0xdc00 + (v & 0x3ff);
  return `(?:\\u${hi.toString(16)}\\u${lo.toString(16)})`;
}

/** Translates one escape at `p[i] === '\\'`; returns [js, consumed]. */
function translateEscape(p: string, i: number, inClass: boolean): [string, number] {
  const c = p[i + 1];
  if (c === undefined) throw new Re2SyntaxError('trailing backslash at end of expression');
  if (c >= '1' && c <= '9') throw new Re2SyntaxError('backreferences are not supported');
  switch (c) {
    case '0': {
      let j = i + 2;
      let v = 0;
      while (j < p.length && j < i + 4 && (p[j] as string) >= '0' && (p[j] as string) <= '7') v = v * 8 + Number(p[j++]);
      return [hexEscape(v, inClass), j - i];
    }
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
      return [`\\${c}`, 2];
    case 'a':
      return ['\\x07', 2];
    case 's':
      return [inClass ? RE2_SPACE : `[${RE2_SPACE}]`, 2];
    case 'S':
      if (inClass) throw new Re2SyntaxError('\\S inside a character class is not supported');
      return [`[^${RE2_SPACE}]`, 2];
    case 'b':
    case 'B':
      if (inClass) throw new Re2SyntaxError(`invalid escape \\${c} in character class`);
      return [`\\${c}`, 2];
    case 'A':
      if (inClass) throw new Re2SyntaxError('invalid escape \\A in character class');
      return ['(?<![\\s\\S])', 2];
    case 'z':
      if (inClass) throw new Re2SyntaxError('invalid escape \\z in character class');
      return ['(?![\\s\\S])', 2];
    case 'x': {
      if (p[i + 2] === '{') {
        const close = p.indexOf('}', i + 3);
        const hex = close === -1 ? '' : p.slice(i + 3, close);
        if (!/^[0-9A-Fa-f]{1,6}$/.test(hex)) throw new Re2SyntaxError('invalid \\x{...} escape');
        return [hexEscape(parseInt(hex, 16), inClass), close + 1 - i];
      }
      const hex = p.slice(i + 2, i + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Re2SyntaxError('invalid \\x escape');
      return [`\\x${hex}`, 4];
    }
    case 'p':
    case 'P':
      throw new Re2SyntaxError('Unicode classes (\\p, \\P) are not supported');
    case 'C':
      throw new Re2SyntaxError('\\C is not supported');
    default:
      if (isAsciiPunct(c)) return [`\\${c}`, 2];
      throw new Re2SyntaxError(`invalid escape sequence \\${c}`);
  }
}

/** Translates a character class starting at `p[i] === '['`; returns [js, consumed]. */
function translateClass(p: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (p[j] === '^') {
    out += '^';
    j++;
  }
  let first = true;
  for (;;) {
    const c = p[j];
    if (c === undefined) throw new Re2SyntaxError('missing closing ]');
    if (c === ']' && !first) return [`${out}]`, j + 1 - i];
    first = false;
    if (c === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      if (close !== -1) {
        const name = p.slice(j + 2, close);
        if (name.startsWith('^')) throw new Re2SyntaxError('negated POSIX classes are not supported');
        const ranges = POSIX_CLASSES[name];
        if (ranges === undefined) throw new Re2SyntaxError(`invalid character class range [:${name}:]`);
        out += ranges;
        j = close + 2;
        continue;
      }
    }
    if (c === '\\') {
      if (p[j + 1] === 'Q') throw new Re2SyntaxError('\\Q inside a character class is not supported');
      const [js, len] = translateEscape(p, j, true);
      out += js;
      j += len;
      continue;
    }
    out += c === ']' || c === '[' ? `\\${c}` : c;
    j++;
  }
}

/** Translates an RE2 pattern to a JS RegExp source and flags; throws Re2SyntaxError. */
export function translateRe2(pattern: string): Translation {
  let i = 0;
  let flags = '';
  let multiline = false;
  // Leading flag groups only: `(?i)`, `(?s)`, `(?m)`, `(?is)`.
  for (let m = /^\(\?([a-zA-Z]+)\)/.exec(pattern); m; m = /^\(\?([a-zA-Z]+)\)/.exec(pattern.slice(i))) {
    for (const f of m[1] as string) {
      if (f === 'i' || f === 's') {
        if (!flags.includes(f)) flags += f;
      } else if (f === 'm') multiline = true;
      else if (f === 'U') throw new Re2SyntaxError('the U (ungreedy) flag is not supported');
      else throw new Re2SyntaxError(`invalid flag ${f}`);
    }
    i += m[0].length;
  }
  const dotAll = flags.includes('s');
  let out = '';
  // Per open group: whether it contains an unbounded repetition (for the nested-repetition check).
  const groups: boolean[] = [false];
  let haveAtom = false;
  let atomHasUnbounded = false;
  const markUnbounded = (): void => {
    groups[groups.length - 1] = true;
  };
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, end === -1 ? pattern.length : end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end === -1 ? pattern.length : end + 2;
        haveAtom = lit.length > 0;
        atomHasUnbounded = false;
        continue;
      }
      const [js, len] = translateEscape(pattern, i, false);
      out += js;
      i += len;
      haveAtom = true;
      atomHasUnbounded = false;
      continue;
    }
    if (c === '[') {
      const [js, len] = translateClass(pattern, i);
      out += js;
      i += len;
      haveAtom = true;
      atomHasUnbounded = false;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] !== '?') {
        out += '(';
        i++;
      } else if (pattern.startsWith('(?:', i)) {
        out += '(?:';
        i += 3;
      } else {
        const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(pattern.slice(i));
        if (named) {
          out += `(?<${named[1] as string}>`;
          i += named[0].length;
        } else if (/^\(\?(=|!|<=|<!)/.test(pattern.slice(i))) {
          throw new Re2SyntaxError('lookaround assertions are not supported');
        } else if (pattern.startsWith('(?P=', i)) {
          throw new Re2SyntaxError('backreferences are not supported');
        } else if (/^\(\?[a-zA-Z-]+[:)]/.test(pattern.slice(i))) {
          throw new Re2SyntaxError('inline flags are only supported at the start of the expression');
        } else {
          throw new Re2SyntaxError('invalid or unsupported group syntax');
        }
      }
      groups.push(false);
      haveAtom = false;
      continue;
    }
    if (c === ')') {
      if (groups.length === 1) throw new Re2SyntaxError('unexpected )');
      const inner = groups.pop() as boolean;
      if (inner) markUnbounded();
      out += ')';
      i++;
      haveAtom = true;
      atomHasUnbounded = inner;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let min = 0;
      let max = Infinity;
      let text = c;
      if (c === '{') {
        const rep = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
        if (!rep) {
          // Not a repetition: RE2 takes '{' literally.
          out += '\\{';
          i++;
          haveAtom = true;
          atomHasUnbounded = false;
          continue;
        }
        min = Number(rep[1]);
        max = rep[2] === undefined ? min : rep[3] ? Number(rep[3]) : Infinity;
        if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT) || max < min) {
          throw new Re2SyntaxError(`bad repetition operator ${rep[0]}`);
        }
        text = rep[0];
      } else if (c === '?') max = 1;
      if (!haveAtom) throw new Re2SyntaxError(`missing argument to repetition operator ${text}`);
      if (max > 1 && atomHasUnbounded) {
        throw new Re2SyntaxError('nested unbounded repetition (e.g. (a+)+) is not supported: it can backtrack catastrophically');
      }
      if (max === Infinity) markUnbounded();
      out += text;
      i += text.length;
      if (pattern[i] === '?') {
        out += '?';
        i++;
      }
      if (pattern[i] === '*' || pattern[i] === '+' || (pattern[i] === '?' && c !== '?')) {
        throw new Re2SyntaxError(`bad repetition operator ${text}${pattern[i] as string}`);
      }
      haveAtom = false;
      continue;
    }
    if (c === '.') out += dotAll ? '[\\s\\S]' : '[^\\n]';
    else if (c === '^') out += multiline ? '(?<![^\\n])' : '^';
    else if (c === '$') out += multiline ? '(?![^\\n])' : '$';
    else if (c === '|') {
      out += '|';
      i++;
      haveAtom = false;
      continue;
    } else if (c === ']' || c === '}' || c === '/') out += `\\${c}`;
    else out += c;
    i++;
    haveAtom = c !== '^' && c !== '$';
    atomHasUnbounded = false;
  }
  if (groups.length !== 1) throw new Re2SyntaxError('missing closing )');
  return { source: out, flags };
}

/** A compiled RE2 pattern: full match (Envoy `FullMatch`) and global replace (Envoy `replaceAll`). */
export class SafeRegex {
  readonly groupCount: number;
  private readonly full: RegExp;
  private readonly global: RegExp;

  constructor(
    readonly pattern: string,
    translation: Translation,
  ) {
    this.full = new RegExp(`^(?:${translation.source})$`, translation.flags);
    this.global = new RegExp(translation.source, `${translation.flags}g`);
    this.groupCount = (new RegExp(`${translation.source}|`, translation.flags).exec('') as RegExpExecArray).length - 1;
  }

  fullMatch(s: string): boolean {
    return this.full.test(s);
  }

  /** RE2::GlobalReplace semantics (no empty match right after the previous match). */
  replaceAll(s: string, rewrite: RegexSubstitution): string {
    const re = this.global;
    let out = '';
    let p = 0;
    let lastEnd = -1;
    let count = 0;
    while (p <= s.length) {
      re.lastIndex = p;
      const m = re.exec(s);
      if (m === null) break;
      const start = m.index;
      const end = start + m[0].length;
      if (p < start) out += s.slice(p, start);
      if (start === end && start === lastEnd) {
        if (p < s.length) {
          const code = s.charCodeAt(p);
          const n = code >= 0xd800 && code <= 0xdbff && p + 1 < s.length ? 2 : 1;
          out += s.slice(p, p + n);
          p += n;
        } else p++;
        continue;
      }
      out += rewrite.expand(m);
      p = end;
      lastEnd = end;
      count++;
    }
    if (count === 0) return s;
    if (p < s.length) out += s.slice(p);
    return out;
  }
}

/** An RE2 rewrite string: `\0`..`\9` are capture groups, `\\` is a backslash. */
export class RegexSubstitution {
  private constructor(private readonly parts: ReadonlyArray<string | number>) {}

  static parse(text: string, groupCount: number): RegexSubstitution {
    const parts: Array<string | number> = [];
    let lit = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (c !== '\\') {
        lit += c;
        continue;
      }
      const n = text[++i];
      if (n === '\\') lit += '\\';
      else if (n !== undefined && n >= '0' && n <= '9') {
        const g = Number(n);
        if (g > groupCount) throw new Re2SyntaxError(`substitution references group \\${g} but the pattern has ${groupCount} group(s)`);
        if (lit) parts.push(lit);
        lit = '';
        parts.push(g);
      } else throw new Re2SyntaxError('invalid rewrite pattern: a backslash must be followed by a digit or a backslash');
    }
    if (lit) parts.push(lit);
    return new RegexSubstitution(parts);
  }

  expand(m: RegExpExecArray): string {
    let out = '';
    for (const part of this.parts) out += typeof part === 'string' ? part : (m[part] ?? '');
    return out;
  }
}

/** A compiled `RegexMatchAndSubstitute`. */
export class RegexRewrite {
  constructor(
    readonly regex: SafeRegex,
    readonly substitution: RegexSubstitution,
  ) {}

  apply(s: string): string {
    return this.regex.replaceAll(s, this.substitution);
  }
}

/** Compiles a raw RE2 pattern; errors are ConfigErrors at `path`. */
export function compileRe2(pattern: string, path: string): SafeRegex {
  if (pattern === '') throw new ConfigError(path, 'regex must not be empty');
  try {
    return new SafeRegex(pattern, translateRe2(pattern));
  } catch (err) {
    const reason = err instanceof Re2SyntaxError ? err.message : `invalid regex: ${(err as Error).message}`;
    throw new ConfigError(path, reason, { cause: err });
  }
}

/** Compiles an Envoy `RegexMatcher` found at `path` (errors name `path.regex`). */
export function compileRegexMatcher(m: RegexMatcher__Output | null, path: string): SafeRegex {
  if (!m) throw new ConfigError(path, 'is required');
  return compileRe2(m.regex, joinPath(path, 'regex'));
}

/** Compiles an Envoy `RegexMatchAndSubstitute` found at `path`. */
export function compileRegexRewrite(r: RegexMatchAndSubstitute__Output, path: string): RegexRewrite {
  const regex = compileRegexMatcher(r.pattern, joinPath(path, 'pattern'));
  try {
    return new RegexRewrite(regex, RegexSubstitution.parse(r.substitution, regex.groupCount));
  } catch (err) {
    throw new ConfigError(joinPath(path, 'substitution'), (err as Error).message, { cause: err });
  }
}
