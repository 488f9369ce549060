import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileOriginRules, originHost, validateOriginPattern } from './origin-rule.js';

const reason = (pattern: string): string =>
  `'${pattern}' is not a valid origin: use a domain such as 'example.com' or a wildcard such as '*.example.com'`;

const label63 = 'a'.repeat(63);
// 63+1+63+1+63+1+61 = 253 characters
const domain253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;

describe('validateOriginPattern', () => {
  const valid = [
    'mydomain.com',
    'MyDomain.COM',
    'a',
    'localhost',
    'x-y.example.com',
    '123.example.com',
    'xn--bcher-kva.de',
    `${label63}.com`,
    domain253,
    `*.${domain253}`,
    '*.millicast.com',
    '*.Millicast.COM',
    '*.a.b.c.com',
    '*.com',
    '*.localhost',
    '127.0.0.1',
    '1.2.3.4',
    '255.255.255.255',
  ];
  for (const pattern of valid) {
    it(`accepts ${JSON.stringify(pattern.length > 40 ? `${pattern.slice(0, 40)}…` : pattern)}`, () => {
      assert.equal(validateOriginPattern(pattern), null);
    });
  }

  const invalid = [
    '',
    '*',
    '*.',
    '.',
    'a.*.com',
    '**.a.com',
    '*a.com',
    '*.*.a.com',
    'a.com*',
    '.a.com',
    'a.com.',
    'a..com',
    'https://a.com',
    'http://a.com',
    '//a.com',
    'a.com:8080',
    'a.com/path',
    'a.com/',
    'user@a.com',
    'a com',
    ' a.com',
    'a.com ',
    'a_b.com',
    '-a.com',
    'a-.com',
    'a.-b.com',
    `${'a'.repeat(64)}.com`,
    `${domain253}c`,
    'bücher.de',
    '[::1]',
    '::1',
    '1.2.3',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4.5',
    'a.123',
    '*.1.2.3.4',
    '* .a.com',
  ];
  for (const pattern of invalid) {
    it(`rejects ${JSON.stringify(pattern.length > 40 ? `${pattern.slice(0, 40)}…` : pattern)}`, () => {
      assert.equal(validateOriginPattern(pattern), reason(pattern));
    });
  }

  it('gives the documented reason for a URL', () => {
    assert.equal(
      validateOriginPattern('https://a.com'),
      "'https://a.com' is not a valid origin: use a domain such as 'example.com' or a wildcard such as '*.example.com'",
    );
  });
});

describe('originHost', () => {
  const cases: ReadonlyArray<readonly [string, string | null]> = [
    ['https://A.Example.com:8443', 'a.example.com'],
    ['https://a.example.com', 'a.example.com'],
    ['http://a.example.com:80', 'a.example.com'],
    ['example.com', 'example.com'],
    ['Example.COM:8080', 'example.com'],
    ['http://localhost:3000', 'localhost'],
    ['https://example.com.', 'example.com'],
    ['https://example.com.:443', 'example.com'],
    ['https://[::1]:8443', '::1'],
    ['http://[2001:DB8::1]', '2001:db8::1'],
    ['https://127.0.0.1', '127.0.0.1'],
    ['chrome-extension://ABCDEF', 'abcdef'],
    ['https://bücher.de', 'xn--bcher-kva.de'],
    ['null', null],
    ['', null],
    ['https://', null],
    ['file:///etc/passwd', null],
    ['https://a..com', null],
    ['https://.a.com', null],
    ['https://..a.com', null],
    ['http://exa mple.com', null],
    ['http://[::1', null],
  ];
  for (const [origin, host] of cases) {
    it(`${JSON.stringify(origin)} -> ${JSON.stringify(host)}`, () => {
      assert.equal(originHost(origin), host);
    });
  }
});

describe('compileOriginRules', () => {
  it('allows any origin, and no origin at all, when the list is empty', () => {
    const matcher = compileOriginRules([]);
    assert.equal(matcher.allowsAll, true);
    for (const origin of [undefined, '', 'null', 'https://anything.example', 'garbage ::']) {
      assert.equal(matcher.matches(origin), true, String(origin));
    }
  });

  it('denies everything when every pattern is invalid', () => {
    const matcher = compileOriginRules(['https://a.com', 'not valid!']);
    assert.equal(matcher.allowsAll, false);
    assert.equal(matcher.matches('https://a.com'), false);
  });

  const table: ReadonlyArray<readonly [readonly string[], string | undefined, boolean]> = [
    [['mydomain.com'], 'https://mydomain.com', true],
    [['mydomain.com'], 'http://mydomain.com:8080', true],
    [['mydomain.com'], 'https://MYDOMAIN.COM', true],
    [['mydomain.com'], 'HTTPS://MyDomain.Com:443', true],
    [['mydomain.com'], 'mydomain.com', true],
    [['mydomain.com'], 'https://mydomain.com.', true],
    [['mydomain.com'], 'https://sub.mydomain.com', false],
    [['mydomain.com'], 'https://mydomain.com.evil.com', false],
    [['mydomain.com'], 'https://evilmydomain.com', false],
    [['mydomain.com'], 'https://mydomain.co', false],
    [['mydomain.com'], undefined, false],
    [['mydomain.com'], 'null', false],
    [['mydomain.com'], '', false],
    [['MyDomain.COM'], 'https://mydomain.com', true],
    [['*.millicast.com'], 'https://x.millicast.com', true],
    [['*.millicast.com'], 'https://x.y.millicast.com', true],
    [['*.millicast.com'], 'https://a.b.c.d.millicast.com:8443', true],
    [['*.millicast.com'], 'HTTPS://X.MILLICAST.COM', true],
    [['*.millicast.com'], 'https://x.millicast.com.', true],
    [['*.millicast.com'], 'https://millicast.com', false],
    [['*.millicast.com'], 'https://evilmillicast.com', false],
    [['*.millicast.com'], 'https://x.evilmillicast.com', false],
    [['*.millicast.com'], 'https://millicast.com.evil.com', false],
    [['*.millicast.com'], 'https://x.millicast.co', false],
    [['*.millicast.com'], 'https://..millicast.com', false],
    [['*.millicast.com'], 'https://.millicast.com', false],
    [['*.millicast.com'], undefined, false],
    [['*.Millicast.COM'], 'https://a.millicast.com', true],
    [['millicast.com', '*.millicast.com'], 'https://millicast.com', true],
    [['millicast.com', '*.millicast.com'], 'https://www.millicast.com', true],
    [['a.com', '*.b.com'], 'https://x.a.com', false],
    [['a.com', '*.b.com'], 'https://b.com', false],
    [['a.com', '*.b.com'], 'https://x.b.com', true],
    [['*.com'], 'https://a.com', true],
    [['*.com'], 'https://com', false],
    [['localhost'], 'http://localhost:3000', true],
    [['localhost'], 'http://localhost.example.com', false],
    [['127.0.0.1'], 'http://127.0.0.1:8080', true],
    [['127.0.0.1'], 'http://127.0.0.2', false],
    [['xn--bcher-kva.de'], 'https://bücher.de', true],
  ];
  for (const [patterns, origin, expected] of table) {
    it(`${JSON.stringify(patterns)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(origin)}`, () => {
      const matcher = compileOriginRules(patterns);
      assert.equal(matcher.allowsAll, false);
      assert.equal(matcher.matches(origin), expected);
    });
  }
});

describe('origin-rule properties', () => {
  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/);
  // The URL parser refuses "xn--" labels that are not real punycode, so keep them out.
  const hostname = fc.domain().filter((d) => !/(?:^|\.)xn--/.test(d) && d.length <= 200);
  const subdomain = fc
    .array(label, { minLength: 1, maxLength: 4 })
    .map((labels) => labels.join('.'))
    .filter((s) => !/(?:^|\.)xn--/.test(s));
  const randomCase = (text: string, flips: readonly boolean[]): string =>
    [...text].map((ch, k) => (flips[k % Math.max(flips.length, 1)] ? ch.toUpperCase() : ch)).join('');

  it('*.h matches any subdomain of h but never h itself nor a lookalike', () => {
    fc.assert(
      fc.property(hostname, subdomain, label, (h, s, prefix) => {
        assert.equal(validateOriginPattern(h), null);
        assert.equal(validateOriginPattern(`*.${h}`), null);
        const matcher = compileOriginRules([`*.${h}`]);
        assert.equal(matcher.matches(`https://${s}.${h}`), true);
        assert.equal(matcher.matches(`https://${h}`), false);
        assert.equal(matcher.matches(`https://${prefix}${h}`), false);
        assert.equal(matcher.matches(`https://${s}.${h}.evil.test`), false);
      }),
      { numRuns: 500 },
    );
  });

  it('h matches h in any case, with any scheme and port, and not its subdomains', () => {
    fc.assert(
      fc.property(
        hostname,
        subdomain,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('https', 'http', 'HTTPS', 'wss'),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        (h, s, flips, scheme, port) => {
          const matcher = compileOriginRules([randomCase(h, flips)]);
          const suffix = port === undefined ? '' : `:${port}`;
          assert.equal(matcher.matches(`${scheme}://${randomCase(h, [...flips].reverse())}${suffix}`), true);
          assert.equal(matcher.matches(`HTTPS://${h.toUpperCase()}:443`), true);
          assert.equal(originHost(`${scheme}://${h.toUpperCase()}${suffix}`), h);
          assert.equal(matcher.matches(`https://${s}.${h}`), false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary header values', () => {
    const matcher = compileOriginRules(['example.com', '*.example.org']);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (origin) => {
        const host = originHost(origin);
        const expected = host === 'example.com' || host?.endsWith('.example.org') === true;
        assert.equal(matcher.matches(origin), expected);
      }),
    );
  });
});

describe('originHost remembers what it parsed', () => {
  it('answers the same for a value seen before, and past its memory limit', () => {
    const values = ['https://A.Example.com:8443', 'null', 'http://[::1]:80', 'example.org', 'https://x..y.com', ''];
    const first = values.map((v) => originHost(v));
    assert.deepEqual(first, ['a.example.com', null, '::1', 'example.org', null, null]);
    // thousands of other origins overflow the memory, which starts over
    for (let i = 0; i < 5000; i++) assert.equal(originHost(`https://site-${i}.test`), `site-${i}.test`);
    assert.deepEqual(
      values.map((v) => originHost(v)),
      first,
    );
    assert.deepEqual(
      values.map((v) => originHost(v)),
      first,
    );
  });
});
