import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  compileStreamRules,
  MAX_STREAM_NAME_LENGTH,
  type StreamRule,
  validateStreamName,
  validateStreamRule,
} from './stream-rule.js';

const LENGTH = 'streamName must be 1-128 characters';
const CONTROL = 'streamName must not contain control characters';
const REGEX_PREFIX = (pattern: string): string =>
  `'${pattern}' is not a valid regular expression for a linear-time engine (backreferences and lookaround are not supported): `;

const exact = (streamName: string): StreamRule => ({ streamName, isRegex: false });
const regex = (streamName: string): StreamRule => ({ streamName, isRegex: true });

/** Escapes every regex syntax character so the pattern means the literal text. */
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

const emoji128 = '😀'.repeat(128);

describe('validateStreamRule', () => {
  it('limits names to 128 characters', () => {
    assert.equal(MAX_STREAM_NAME_LENGTH, 128);
  });

  const valid: readonly StreamRule[] = [
    exact('feed'),
    exact('a'),
    exact('a'.repeat(128)),
    exact('Feed-1_x.y'),
    exact('直播'),
    // 128 code points, 256 UTF-16 units: the limit counts characters.
    exact(emoji128),
    exact('a)|(b'),
    exact('(a)\\1'),
    regex('.*'),
    regex('feed[0-9]+'),
    regex('a|b'),
    regex('(a+)+$'),
    regex('(?i)feed'),
    regex('\\p{L}+'),
    regex('(?<name>feed)'),
    regex('a'.repeat(128)),
  ];
  for (const rule of valid) {
    it(`accepts ${JSON.stringify(rule).slice(0, 60)}`, () => {
      assert.equal(validateStreamRule(rule), null);
    });
  }

  const invalid: ReadonlyArray<readonly [StreamRule, string]> = [
    [exact(''), LENGTH],
    [regex(''), LENGTH],
    [exact('a'.repeat(129)), LENGTH],
    [regex('a'.repeat(129)), LENGTH],
    [exact(`${emoji128}😀`), LENGTH],
    [exact('a\nb'), CONTROL],
    [exact('a\u0000'), CONTROL],
    [exact('tab\there'), CONTROL],
    [exact('del\u007f'), CONTROL],
    [exact('nel\u0085'), CONTROL],
    [regex('a\n'), CONTROL],
    [exact('half\ud800'), 'streamName must be well-formed Unicode'],
    [regex('(a)\\1'), `${REGEX_PREFIX('(a)\\1')}invalid escape sequence: \\1`],
    [regex('(?=a)a'), `${REGEX_PREFIX('(?=a)a')}invalid perl operator: (?=`],
    [regex('(?!a)b'), `${REGEX_PREFIX('(?!a)b')}invalid perl operator: (?!`],
    [regex('(?<=a)b'), `${REGEX_PREFIX('(?<=a)b')}invalid perl operator: (?<=`],
    [regex('(?<!a)b'), `${REGEX_PREFIX('(?<!a)b')}invalid perl operator: (?<!`],
    [regex('a)|(b'), `${REGEX_PREFIX('a)|(b')}unexpected ): a)|(b`],
    [regex('['), `${REGEX_PREFIX('[')}missing ]: [`],
    [regex('a{1001}'), `${REGEX_PREFIX('a{1001}')}invalid repetition size: {1001}`],
  ];
  for (const [rule, reason] of invalid) {
    it(`rejects ${JSON.stringify(rule).slice(0, 60)}`, () => {
      assert.equal(validateStreamRule(rule), reason);
    });
  }

  // The engine's wording is not ours to pin down; our part of the message is.
  const refusedByEngine = ['(?<n>a)\\k<n>', '*', 'a**', '(', '\\Qa)|(b'];
  for (const pattern of refusedByEngine) {
    it(`rejects regex ${JSON.stringify(pattern)}`, () => {
      const problem = validateStreamRule(regex(pattern)) ?? '';
      assert.ok(problem.startsWith(REGEX_PREFIX(pattern)), problem);
      assert.ok(problem.length > REGEX_PREFIX(pattern).length, problem);
    });
  }
});

describe('validateStreamName', () => {
  const cases: ReadonlyArray<readonly [string, string | null]> = [
    ['feed', null],
    ['a'.repeat(128), null],
    [emoji128, null],
    ['.*', null],
    ['', LENGTH],
    ['a'.repeat(129), LENGTH],
    ['a\rb', CONTROL],
    ['\u009f', CONTROL],
    ['\udc00x', 'streamName must be well-formed Unicode'],
  ];
  for (const [name, expected] of cases) {
    it(`${JSON.stringify(name).slice(0, 40)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(validateStreamName(name), expected);
    });
  }
});

describe('compileStreamRules', () => {
  const table: ReadonlyArray<readonly [readonly StreamRule[], string, boolean]> = [
    [[exact('feed')], 'feed', true],
    [[exact('feed')], 'Feed', false],
    [[exact('feed')], 'FEED', false],
    [[exact('feed')], 'feed1', false],
    [[exact('feed')], 'xfeed', false],
    [[exact('feed')], 'feed ', false],
    [[exact('f.*')], 'feed', false],
    [[exact('f.*')], 'f.*', true],
    [[regex('feed')], 'feed', true],
    [[regex('feed')], 'feed1', false],
    [[regex('feed')], 'myfeed', false],
    [[regex('Feed')], 'feed', false],
    [[regex('.*')], 'anything', true],
    [[regex('.*')], 'a', true],
    [[regex('.*')], emoji128, true],
    [[regex('feed[0-9]+')], 'feed12', true],
    [[regex('feed[0-9]+')], 'feed', false],
    [[regex('feed[0-9]+')], 'feed12x', false],
    // Alternation stays inside the anchors: "^a|b$" alone would match "ab".
    [[regex('a|b')], 'a', true],
    [[regex('a|b')], 'b', true],
    [[regex('a|b')], 'ab', false],
    [[regex('a|b')], 'xb', false],
    // "u" flag: "." is one code point, not one UTF-16 unit.
    [[regex('.')], '😀', true],
    [[regex('..')], '😀', false],
    [[regex('(?i)feed')], 'FeEd', true],
    [[exact('alpha'), regex('beta.*')], 'alpha', true],
    [[exact('alpha'), regex('beta.*')], 'betamax', true],
    [[exact('alpha'), regex('beta.*')], 'beta', true],
    [[exact('alpha'), regex('beta.*')], 'gamma', false],
    [[exact('alpha'), regex('beta.*')], 'alpha2', false],
    [[exact('alpha'), regex('beta.*')], 'xbeta', false],
    [[exact('a'), exact('b'), exact('c')], 'b', true],
    [[exact('a'), exact('b'), exact('c')], 'd', false],
    [[], 'anything', false],
    // Rules that validation refuses grant nothing.
    [[regex('(a)\\1')], 'aa', false],
    [[regex('(a)\\1')], '(a)\\1', false],
    [[regex('\\Qa)|(b')], 'a', false],
    [[regex('\\Qa)|(b')], 'b', false],
    [[regex('a)|(b')], 'a', false],
    [[regex('a)|(b')], 'a)|(b', false],
    [[regex('['), exact('ok')], 'ok', true],
  ];
  for (const [rules, name, expected] of table) {
    it(`${JSON.stringify(rules).slice(0, 80)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(name).slice(0, 20)}`, () => {
      assert.equal(compileStreamRules(rules).matches(name), expected);
    });
  }

  const adversarial: ReadonlyArray<readonly [string, string]> = [
    ['(a+)+$', `${'a'.repeat(127)}!`],
    ['(a|a)*b', 'a'.repeat(128)],
    ['(a|aa)+', `${'a'.repeat(127)}b`],
    ['(.*a){20}', 'a'.repeat(128)],
    ['(x+x+)+y', 'x'.repeat(128)],
    ['([a-z]+)*[0-9]', 'a'.repeat(128)],
  ];
  for (const [pattern, input] of adversarial) {
    // A backtracking engine would not finish these within the timeout (years); RE2 takes microseconds.
    it(`runs ${JSON.stringify(pattern)} in linear time on a 128-char adversarial input`, { timeout: 10_000 }, () => {
      assert.equal(validateStreamRule(regex(pattern)), null);
      const matcher = compileStreamRules([regex(pattern)]);
      let matched = 0;
      for (let k = 0; k < 200; k++) if (matcher.matches(input)) matched++;
      // (.*a){20} is the only one of these that matches its input.
      assert.equal(matched, pattern === '(.*a){20}' ? 200 : 0);
    });
  }
});

describe('compiled patterns shared between tokens', () => {
  it('gives each matcher its own verdicts for a shared pattern', () => {
    const a = compileStreamRules([regex('feed-[0-9]+')]);
    const b = compileStreamRules([regex('feed-[0-9]+'), exact('other')]);
    assert.equal(a.matches('feed-1'), true);
    assert.equal(b.matches('feed-x'), false);
    // Each matcher remembers its own last verdict, never the other's.
    assert.equal(a.matches('feed-x'), false);
    assert.equal(b.matches('feed-1'), true);
    assert.equal(a.matches('other'), false);
    assert.equal(b.matches('other'), true);
  });

  it('keeps working matchers when the shared map is emptied past its limit', () => {
    const held = compileStreamRules([regex('cam-[a-z]+')]);
    // More distinct patterns than the map keeps: it is emptied at least once on the way.
    for (let i = 0; i < 10_050; i++) compileStreamRules([regex(`p${i}-[0-9]+`)]).matches(`p${i}-7`);
    assert.equal(held.matches('cam-front'), true);
    assert.equal(held.matches('cam-1'), false);
    const again = compileStreamRules([regex('cam-[a-z]+')]);
    assert.equal(again.matches('cam-back'), true);
    assert.equal(again.matches('cam-'), false);
  });
});

describe('stream-rule properties', () => {
  const syntaxHeavy = fc.string({
    unit: fc.oneof(
      fc.constantFrom(...'.*+?^$()[]{}|\\/-aA'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    ),
    minLength: 1,
    maxLength: MAX_STREAM_NAME_LENGTH,
  });
  const name = syntaxHeavy.filter((s) => validateStreamName(s) === null);
  const sample = fc.array(fc.oneof(name, fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 20 });

  it('an exact rule s matches s and nothing else', () => {
    fc.assert(
      fc.property(name, sample, (s, others) => {
        assert.equal(validateStreamRule(exact(s)), null);
        const matcher = compileStreamRules([exact(s)]);
        assert.equal(matcher.matches(s), true);
        for (const other of others) assert.equal(matcher.matches(other), other === s, other);
      }),
      { numRuns: 500 },
    );
  });

  it('an escaped-regex rule of s matches exactly s', () => {
    fc.assert(
      fc.property(name, sample, (s, others) => {
        const pattern = escapeRegex(s);
        const rule = regex(pattern);
        // Escaping can push the pattern past the length limit; the engine must still accept it.
        if (pattern.length <= MAX_STREAM_NAME_LENGTH) assert.equal(validateStreamRule(rule), null);
        const matcher = compileStreamRules([rule]);
        assert.equal(matcher.matches(s), true, pattern);
        assert.equal(matcher.matches(`${s}x`), false, pattern);
        assert.equal(matcher.matches(`x${s}`), false, pattern);
        for (const other of others) assert.equal(matcher.matches(other), other === s, other);
      }),
      { numRuns: 500 },
    );
  });

  it('a prefix regex p.* matches exactly the names starting with p', () => {
    fc.assert(
      fc.property(name, sample, (p, others) => {
        const matcher = compileStreamRules([regex(`${escapeRegex(p)}.*`)]);
        for (const other of [p, `${p}tail`, ...others]) {
          assert.equal(matcher.matches(other), other.startsWith(p), other);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('names are valid iff 1-128 code points without control characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 140 }), (s) => {
        const codePoints = [...s].map((ch) => ch.codePointAt(0) ?? 0);
        const control = codePoints.some((c) => c < 0x20 || (c >= 0x7f && c <= 0x9f));
        const expected = codePoints.length < 1 || codePoints.length > 128 ? LENGTH : control ? CONTROL : null;
        assert.equal(validateStreamName(s), expected);
      }),
    );
  });

  it('one matcher asked a sequence of names answers each as a fresh matcher would (the kept verdict)', () => {
    const rules = [regex('(?:feed|live)-[0-9]+'), { streamName: 'exact', isRegex: false }];
    const names = fc.constantFrom('feed-1', 'live-22', 'feed-x', 'exact', 'other', 'feed-1', 'FEED-1', '');
    fc.assert(
      fc.property(fc.array(names, { maxLength: 40 }), (sequence) => {
        const kept = compileStreamRules(rules);
        for (const n of sequence) assert.equal(kept.matches(n), compileStreamRules(rules).matches(n), n);
      }),
      { numRuns: 300 },
    );
  });
});
