import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileIpRules } from './ip-rule.js';
import { keepLastVerdict } from './last-verdict.js';
import { compileOriginRules } from './origin-rule.js';
import { compileStreamRules } from './stream-rule.js';

describe('keepLastVerdict', () => {
  it('asks again only when the value changes', () => {
    const asked: string[] = [];
    const even = keepLastVerdict((v) => {
      asked.push(v);
      return v.length % 2 === 0;
    });
    assert.deepEqual(['ab', 'ab', 'abc', 'abc', 'ab', `${'a'}b`].map(even), [true, true, false, false, true, true]);
    assert.deepEqual(asked, ['ab', 'abc', 'ab']);
  });

  it('starts with no verdict, whatever the first value', () => {
    const never = keepLastVerdict(() => true);
    assert.equal(never(''), true);
  });
});

/**
 * A matcher that keeps its last verdict answers any sequence of questions, repeats included,
 * exactly as a freshly compiled matcher answers each one alone.
 */
describe('matchers asked in sequence', () => {
  const sequence = <T>(values: fc.Arbitrary<T>) =>
    fc
      .array(values, { minLength: 1, maxLength: 30 })
      .chain((pool) => fc.array(fc.constantFrom(...pool), { maxLength: 60 }));

  it('IP rules', () => {
    const rules = ['10.0.0.0/8', '192.168.1.0/24', '2001:db8::/32', '::1'];
    const clients = fc.oneof(
      fc.constantFrom('10.1.2.3', '11.0.0.1', '192.168.1.9', '192.168.2.9', '::1', '::2', '2001:db8::5', 'junk'),
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((ip) => `::ffff:${ip}`),
    );
    fc.assert(
      fc.property(sequence(clients), (asked) => {
        const kept = compileIpRules(rules);
        for (const ip of asked) assert.equal(kept.matches(ip), compileIpRules(rules).matches(ip), ip);
      }),
    );
  });

  it('origin rules', () => {
    const rules = ['*.example.com', 'example.org'];
    const origins = fc.constantFrom(
      'https://app.example.com',
      'https://example.com',
      'https://a.b.example.com:8443',
      'http://example.org',
      'https://www.example.org',
      'null',
      '',
      'https://evilexample.com',
    );
    fc.assert(
      fc.property(sequence(origins), (asked) => {
        const kept = compileOriginRules(rules);
        for (const o of asked) assert.equal(kept.matches(o), compileOriginRules(rules).matches(o), o);
      }),
    );
  });

  it('stream rules', () => {
    const rules = [
      { streamName: 'fixed', isRegex: false },
      { streamName: '(?:feed|live)-[0-9]+', isRegex: true },
    ];
    const names = fc.oneof(
      fc.constantFrom('fixed', 'feed-1', 'live-22', 'feed-x', 'live-', 'other'),
      fc.stringMatching(/^[a-z0-9-]{1,12}$/),
    );
    fc.assert(
      fc.property(sequence(names), (asked) => {
        const kept = compileStreamRules(rules);
        for (const n of asked) assert.equal(kept.matches(n), compileStreamRules(rules).matches(n), n);
      }),
    );
  });
});
