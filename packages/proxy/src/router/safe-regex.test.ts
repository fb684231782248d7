import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@weft/api';
import { compileRe2, RegexRewrite, RegexSubstitution } from './safe-regex.js';

function rewrite(pattern: string, substitution: string): RegexRewrite {
  const re = compileRe2(pattern, 'p');
  return new RegexRewrite(re, RegexSubstitution.parse(substitution, re.groupCount));
}

describe('RE2 patterns on the JS engine', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/api/v[0-9]+/.*', '/api/v12/users', true],
    ['/api/v[0-9]+/.*', '/api/v12', false],
    ['/api', '/api/x', false], // full match, not search
    ['a.c', 'a\nc', false], // '.' excludes only newline
    ['a.c', 'a\rc', true],
    ['(?s)a.c', 'a\nc', true],
    ['(?i)/FOO', '/foo', true],
    ['a\\sb', 'a\u00a0b', false], // RE2 \s is ASCII whitespace only
    ['a\\sb', 'a\tb', true],
    ['[[:digit:]]+', '123', true],
    ['[[:alpha:]_]+', 'ab_C', true],
    ['[]a]+', ']a]', true], // leading ']' is literal in RE2
    ['(?P<ver>v[0-9])/x', 'v1/x', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['\\x{41}\\x42', 'AB', true],
    ['\\Aab\\z', 'ab', true],
    ['a{2,3}', 'aaa', true],
    ['a{2,3}', 'aaaa', false],
    ['x{', 'x{', true], // not a repetition: literal
    ['(?m)^b$', 'b', true],
  ];
  for (const [pattern, input, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(input)}`, () => {
      assert.equal(compileRe2(pattern, 'p').fullMatch(input), expected);
    });
  }

  const rejected: Array<[string, RegExp]> = [
    ['(a)\\1', /backreferences/],
    ['a(?=b)', /lookaround/],
    ['(?<=a)b', /lookaround/],
    ['(?<!a)b', /lookaround/],
    ['a(?i)b', /inline flags/],
    ['(?i:a)b', /inline flags/],
    ['\\pL', /Unicode classes/],
    ['(a+)+', /nested unbounded repetition/],
    ['(?:x|y*)*z', /nested unbounded repetition/],
    ['a{1001}', /bad repetition/],
    ['a**', /bad repetition/],
    ['*a', /missing argument/],
    ['(ab', /missing closing \)/],
    ['ab)', /unexpected \)/],
    ['[ab', /missing closing \]/],
    ['\\k', /invalid escape/],
    ['[[:nope:]]', /invalid character class/],
    ['', /must not be empty/],
  ];
  for (const [pattern, reason] of rejected) {
    it(`rejects ${JSON.stringify(pattern)} with a ConfigError`, () => {
      assert.throws(
        () => compileRe2(pattern, 'a.b.regex'),
        (err: unknown) => err instanceof ConfigError && err.path === 'a.b.regex' && reason.test(err.reason),
      );
    });
  }

  it('accepts a bounded repetition of a group with an unbounded inner repetition only when it repeats at most once', () => {
    assert.ok(compileRe2('(a+)?b', 'p').fullMatch('aab'));
    assert.throws(() => compileRe2('(a+){2}', 'p'), ConfigError);
  });
});

describe('regex rewrite (RE2::GlobalReplace)', () => {
  it('substitutes \\N capture groups and \\\\ for a backslash', () => {
    assert.equal(rewrite('^/service/([^/]+)(/.*)$', '\\2/instance/\\1').apply('/service/foo/v1/api'), '/v1/api/instance/foo');
    assert.equal(rewrite('a', '\\\\').apply('bab'), 'b\\b');
    assert.equal(rewrite('(b)', '[\\0|\\1]').apply('abc'), 'a[b|b]c');
  });

  it('replaces every non-overlapping match', () => {
    assert.equal(rewrite('o', '0').apply('/foo/boo'), '/f00/b00');
  });

  it('does not allow an empty match right after the previous match, like RE2', () => {
    assert.equal(rewrite('a*', '-').apply('baaac'), '-b-c-');
    assert.equal(rewrite('x*', '-').apply(''), '-');
  });

  it('returns the input unchanged when nothing matches', () => {
    assert.equal(rewrite('zzz', 'y').apply('/abc'), '/abc');
  });

  it('rejects references to missing groups and stray backslashes', () => {
    assert.throws(() => RegexSubstitution.parse('\\2', 1), /group \\2/);
    assert.throws(() => RegexSubstitution.parse('\\x', 1), /invalid rewrite pattern/);
  });
});
