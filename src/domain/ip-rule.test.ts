import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalIp, compileIpRules, parseIpAddress, validateIpRuleEntry } from './ip-rule.js';

const generic = (entry: string): string => `'${entry}' is not a valid IP address or CIDR block`;

// --- reference helpers: BigInt arithmetic, independent of the code under test ---

const V4_BITS = 32n;
const V6_BITS = 128n;
const MAPPED_PREFIX = 0xffffn << 32n;

function v4Text(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

function v6Groups(value: bigint): number[] {
  const groups: number[] = [];
  for (let k = 7; k >= 0; k--) groups.push(Number((value >> BigInt(k * 16)) & 0xffffn));
  return groups;
}

/** Full, uncompressed, zero-padded form: "0000:0000:...". */
function v6Full(value: bigint): string {
  return v6Groups(value)
    .map((g) => g.toString(16).padStart(4, '0'))
    .join(':');
}

function samePrefix(a: bigint, b: bigint, prefix: number, width: bigint): boolean {
  const shift = width - BigInt(prefix);
  return a >> shift === b >> shift;
}

function isMappedBig(value: bigint): boolean {
  return value >> 32n === 0xffffn;
}

/** Several ways people write the same IPv6 address, all valid per RFC 4291. */
function v6Variants(value: bigint): string[] {
  const groups = v6Groups(value);
  const hex = groups.map((g) => g.toString(16));
  const variants = [hex.join(':'), v6Full(value), hex.join(':').toUpperCase()];
  // "::" may replace any run of one or more zero groups.
  for (let start = 0; start < 8; start++) {
    if (groups[start] !== 0) continue;
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    variants.push(`${hex.slice(0, start).join(':')}::${hex.slice(end).join(':')}`);
  }
  const low = Number(value & 0xffffffffn);
  variants.push(`${hex.slice(0, 6).join(':')}:${v4Text(low)}`);
  return variants;
}

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const uint128 = fc.bigInt({ min: 0n, max: (1n << V6_BITS) - 1n });
// Zero-heavy groups so compressed forms and RFC 5952 tie-breaking get exercised.
const zeroHeavyV6 = fc
  .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  .map((groups) => groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n));
const mappedV6 = uint32.map((a) => MAPPED_PREFIX | BigInt(a));
const anyV6 = fc.oneof(uint128, zeroHeavyV6, mappedV6);

describe('validateIpRuleEntry', () => {
  const valid = [
    '1.2.3.4',
    '0.0.0.0',
    '255.255.255.255',
    '192.168.6.0/24',
    '10.0.0.1/8',
    '0.0.0.0/0',
    '1.2.3.4/32',
    '128.0.0.0/1',
    '::',
    '::1',
    '::/0',
    '2001:db8::/32',
    '2001:DB8::ABCD',
    '2001:db8::1/128',
    '2001:0db8:0000:0000:0000:0000:0000:0001',
    'fe80::1',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '1::8',
    '::ffff:1.2.3.4',
    '::ffff:0:0/96',
    '::ffff:1.2.3.4/128',
    '64:ff9b::1.2.3.4',
    '64:ff9b::/96',
    '1:2:3:4:5:6:1.2.3.4',
  ];
  for (const entry of valid) {
    it(`accepts ${JSON.stringify(entry)}`, () => {
      assert.equal(validateIpRuleEntry(entry), null);
    });
  }

  const invalid: ReadonlyArray<readonly [string, string]> = [
    ['777.888.99.001', "'777.888.99.001' is not a valid IP address or CIDR block"],
    ['1.2.3.4-1.2.3.9', "'1.2.3.4-1.2.3.9': IP ranges are not supported, use CIDR blocks"],
    ['1.2.3.4 - 1.2.3.9', "'1.2.3.4 - 1.2.3.9': IP ranges are not supported, use CIDR blocks"],
    ['2001:db8::1-2001:db8::9', "'2001:db8::1-2001:db8::9': IP ranges are not supported, use CIDR blocks"],
    ['1.2.3.*', "'1.2.3.*': wildcards are not supported, use CIDR blocks"],
    ['1.2.*.*', "'1.2.*.*': wildcards are not supported, use CIDR blocks"],
    ['2001:db8::*', "'2001:db8::*': wildcards are not supported, use CIDR blocks"],
    ['1.2.3.0/33', "'1.2.3.0/33': CIDR prefix must be 0-32 for IPv4"],
    ['1.2.3.0/999', "'1.2.3.0/999': CIDR prefix must be 0-32 for IPv4"],
    ['2001:db8::/129', "'2001:db8::/129': CIDR prefix must be 0-128 for IPv6"],
    ['::ffff:1.2.3.4/129', "'::ffff:1.2.3.4/129': CIDR prefix must be 0-128 for IPv6"],
    ['', generic('')],
    [' ', generic(' ')],
    [' 1.2.3.4', generic(' 1.2.3.4')],
    ['1.2.3.4 ', generic('1.2.3.4 ')],
    ['1.2.3.4 /24', generic('1.2.3.4 /24')],
    ['1.2.3', generic('1.2.3')],
    ['1.2.3.4.5', generic('1.2.3.4.5')],
    ['256.0.0.1', generic('256.0.0.1')],
    ['01.2.3.4', generic('01.2.3.4')],
    ['1.2.3.4/', generic('1.2.3.4/')],
    ['/24', generic('/24')],
    ['1.2.3.4/ab', generic('1.2.3.4/ab')],
    ['1.2.3.4/024', generic('1.2.3.4/024')],
    ['1.2.3.4/+8', generic('1.2.3.4/+8')],
    ['1.2.3.4/-1', generic('1.2.3.4/-1')],
    ['1.2.3.4/8/8', generic('1.2.3.4/8/8')],
    [':::1', generic(':::1')],
    ['1::2::3', generic('1::2::3')],
    ['gggg::1', generic('gggg::1')],
    ['12345::1', generic('12345::1')],
    [':1', generic(':1')],
    ['1:', generic('1:')],
    ['1:2:3:4:5:6:7', generic('1:2:3:4:5:6:7')],
    ['1:2:3:4:5:6:7:8:9', generic('1:2:3:4:5:6:7:8:9')],
    ['1:2:3:4:5:6:7:8::', generic('1:2:3:4:5:6:7:8::')],
    ['1:2:3:4:5:6:7:1.2.3.4', generic('1:2:3:4:5:6:7:1.2.3.4')],
    ['::1.2.3', generic('::1.2.3')],
    ['::ffff:01.2.3.4', generic('::ffff:01.2.3.4')],
    ['fe80::1%eth0', generic('fe80::1%eth0')],
    ['[::1]', generic('[::1]')],
    ['example.com', generic('example.com')],
    ['my-host.example.com', generic('my-host.example.com')],
    ['localhost', generic('localhost')],
    ['*.example.com', generic('*.example.com')],
  ];
  for (const [entry, reason] of invalid) {
    it(`rejects ${JSON.stringify(entry)}`, () => {
      assert.equal(validateIpRuleEntry(entry), reason);
    });
  }
});

describe('parseIpAddress', () => {
  const cases: ReadonlyArray<readonly [string, 4 | 6, string, readonly number[]]> = [
    ['1.2.3.4', 4, '1.2.3.4', [1, 2, 3, 4]],
    ['0.0.0.0', 4, '0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', 4, '255.255.255.255', [255, 255, 255, 255]],
    ['::ffff:1.2.3.4', 4, '1.2.3.4', [1, 2, 3, 4]],
    ['::FFFF:1.2.3.4', 4, '1.2.3.4', [1, 2, 3, 4]],
    ['::ffff:0102:0304', 4, '1.2.3.4', [1, 2, 3, 4]],
    ['0:0:0:0:0:ffff:c0a8:1', 4, '192.168.0.1', [192, 168, 0, 1]],
    ['::ffff:0:0', 4, '0.0.0.0', [0, 0, 0, 0]],
    ['::', 6, '::', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', 6, '::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['0:0:0:0:0:0:0:1', 6, '::1', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:DB8::1', 6, '2001:db8::1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    [
      '2001:0db8:0000:0000:0000:0000:0000:0001',
      6,
      '2001:db8::1',
      [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ],
    // RFC 5952: longest run is compressed, the first one on a tie, never a single zero group.
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1', [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]],
    ['1:0:0:2:0:0:0:3', 6, '1:0:0:2::3', [0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]],
    ['2001:db8:0:1:1:1:1:1', 6, '2001:db8:0:1:1:1:1:1', [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]],
    ['1:2:3:4:5:6:7::', 6, '1:2:3:4:5:6:7:0', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0]],
    ['::2:3:4:5:6:7:8', 6, '0:2:3:4:5:6:7:8', [0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['1::', 6, '1::', [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
    ['fe80::1', 6, 'fe80::1', [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]],
    // Embedded IPv4 outside the mapped range stays IPv6 and is printed in hex.
    ['64:ff9b::1.2.3.4', 6, '64:ff9b::102:304', [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]],
    ['::1.2.3.4', 6, '::102:304', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]],
    ['1:2:3:4:5:6:1.2.3.4', 6, '1:2:3:4:5:6:102:304', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4]],
  ];
  for (const [text, family, canonical, bytes] of cases) {
    it(`parses ${JSON.stringify(text)}`, () => {
      const parsed = parseIpAddress(text);
      assert.ok(parsed);
      assert.deepEqual(
        { family: parsed.family, text: parsed.text, bytes: [...parsed.bytes] },
        { family, text: canonical, bytes },
      );
      assert.equal(parsed.bytes.length, family === 4 ? 4 : 16);
    });
  }

  const rejected = [
    '',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '01.2.3.4',
    '1.02.3.4',
    '1.2.3.00',
    '1.2.3.4/32',
    '::1/128',
    'fe80::1%eth0',
    '[::1]',
    '1.2.3.4:80',
    'localhost',
    '1.2.3',
    '256.1.1.1',
    ':::1',
    '1::2::3',
    'gggg::1',
    `${'1:'.repeat(30)}1`,
    '1.2.3.4'.padStart(60, '0'),
  ];
  for (const text of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.equal(parseIpAddress(text), null);
      assert.equal(canonicalIp(text), null);
    });
  }
});

describe('canonicalIp', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['1.2.3.4', '1.2.3.4'],
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['::ffff:102:304', '1.2.3.4'],
    ['2001:0DB8:0:0::0:1', '2001:db8::1'],
    ['0::0', '::'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(canonicalIp(input), expected);
    });
  }
});

describe('compileIpRules', () => {
  it('allows everything, even garbage, when the list is empty', () => {
    const matcher = compileIpRules([]);
    assert.equal(matcher.allowsAll, true);
    assert.equal(matcher.matches('1.2.3.4'), true);
    assert.equal(matcher.matches('::1'), true);
    assert.equal(matcher.matches('not an ip'), true);
  });

  it('allows nobody when every entry is invalid', () => {
    const matcher = compileIpRules(['bogus', '1.2.3.*']);
    assert.equal(matcher.allowsAll, false);
    assert.equal(matcher.matches('1.2.3.4'), false);
  });

  const table: ReadonlyArray<readonly [readonly string[], string, boolean]> = [
    // IPv4 CIDR edges
    [['192.168.6.0/24'], '192.168.6.0', true],
    [['192.168.6.0/24'], '192.168.6.255', true],
    [['192.168.6.0/24'], '192.168.5.255', false],
    [['192.168.6.0/24'], '192.168.7.0', false],
    [['10.0.0.1/8'], '10.0.0.0', true],
    [['10.0.0.1/8'], '10.255.255.255', true],
    [['10.0.0.1/8'], '9.255.255.255', false],
    [['10.0.0.1/8'], '11.0.0.0', false],
    [['0.0.0.0/0'], '0.0.0.0', true],
    [['0.0.0.0/0'], '255.255.255.255', true],
    [['0.0.0.0/0'], '::1', false],
    [['1.2.3.4/32'], '1.2.3.4', true],
    [['1.2.3.4/32'], '1.2.3.5', false],
    [['1.2.3.4/32'], '1.2.3.3', false],
    [['1.2.3.4'], '1.2.3.4', true],
    [['1.2.3.4'], '1.2.3.5', false],
    [['128.0.0.0/1'], '128.0.0.0', true],
    [['128.0.0.0/1'], '255.255.255.255', true],
    [['128.0.0.0/1'], '127.255.255.255', false],
    [['255.255.255.254/31'], '255.255.255.255', true],
    [['255.255.255.254/31'], '255.255.255.253', false],
    // IPv4 rule vs IPv4-mapped client and the other way round
    [['1.2.3.4'], '::ffff:1.2.3.4', true],
    [['1.2.3.4'], '::ffff:102:304', true],
    [['1.2.3.0/24'], '::FFFF:1.2.3.255', true],
    [['1.2.3.0/24'], '::ffff:1.2.4.0', false],
    [['::ffff:1.2.3.4'], '1.2.3.4', true],
    [['::ffff:1.2.3.4'], '1.2.3.5', false],
    [['::ffff:0102:0304/128'], '1.2.3.4', true],
    [['::ffff:0:0/96'], '8.8.8.8', true],
    [['::ffff:0:0/96'], '::ffff:8.8.8.8', true],
    [['::ffff:0:0/96'], '::1', false],
    [['::ffff:192.168.0.0/112'], '192.168.255.255', true],
    [['::ffff:192.168.0.0/112'], '192.169.0.0', false],
    // Wider than the mapped block: an IPv6 rule, which IPv4 clients do not meet.
    [['::ffff:1.2.3.4/80'], '1.2.3.4', false],
    [['::ffff:1.2.3.4/80'], '::1', true],
    // IPv4 and pure IPv6 never meet
    [['::/0'], '::', true],
    [['::/0'], 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    [['::/0'], '1.2.3.4', false],
    [['::/0'], '::ffff:1.2.3.4', false],
    [['64:ff9b::/96'], '64:ff9b::1.2.3.4', true],
    [['64:ff9b::/96'], '1.2.3.4', false],
    [['1.2.3.4'], '64:ff9b::1.2.3.4', false],
    [['1.2.3.4'], '::1.2.3.4', false],
    // IPv6 CIDR edges
    [['2001:db8::/32'], '2001:db8::', true],
    [['2001:db8::/32'], '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    [['2001:db8::/32'], '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
    [['2001:db8::/32'], '2001:db9::', false],
    [['2001:DB8::/32'], '2001:0DB8:0:0:0:0:0:1', true],
    [['::1/128'], '::1', true],
    [['::1/128'], '0:0:0:0:0:0:0:1', true],
    [['::1/128'], '::2', false],
    [['::1/128'], '::', false],
    [['::1'], '::1', true],
    [['8000::/1'], '8000::', true],
    [['8000::/1'], 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    [['8000::/1'], '7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    [['2001:db8::1/127'], '2001:db8::', true],
    [['2001:db8::1/127'], '2001:db8::1', true],
    [['2001:db8::1/127'], '2001:db8::2', false],
    // prefix crossing a 32-bit word boundary
    [['2001:db8:0:0:8000::/65'], '2001:db8::8000:0:0:0', true],
    [['2001:db8:0:0:8000::/65'], '2001:db8::ffff:ffff:ffff:ffff', true],
    [['2001:db8:0:0:8000::/65'], '2001:db8::7fff:ffff:ffff:ffff', false],
    [['2001:db8:1:2::/64'], '2001:db8:1:2:ffff::1', true],
    [['2001:db8:1:2::/64'], '2001:db8:1:3::', false],
    // several rules, invalid ones skipped
    [['10.0.0.0/8', '2001:db8::/32'], '10.1.2.3', true],
    [['10.0.0.0/8', '2001:db8::/32'], '2001:db8::5', true],
    [['10.0.0.0/8', '2001:db8::/32'], '11.0.0.0', false],
    [['10.0.0.0/8', '2001:db8::/32'], 'fe80::1', false],
    [['bogus', '1.2.3.4'], '1.2.3.4', true],
    // unparsable clients never match a non-empty list
    [['0.0.0.0/0', '::/0'], 'garbage', false],
    [['0.0.0.0/0', '::/0'], '', false],
    [['0.0.0.0/0', '::/0'], '1.2.3.4/32', false],
    [['fe80::/10'], 'fe80::1%eth0', false],
    [['fe80::/10'], 'fe80::1', true],
    [['0.0.0.0/0'], '01.2.3.4', false],
  ];
  for (const [rules, client, expected] of table) {
    it(`${JSON.stringify(rules)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(client)}`, () => {
      const matcher = compileIpRules(rules);
      assert.equal(matcher.allowsAll, false);
      assert.equal(matcher.matches(client), expected);
    });
  }
});

describe('ip-rule properties', () => {
  it('IPv4 a/p matches b iff the first p bits are equal', () => {
    const nearby = fc
      .tuple(uint32, fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 32 }))
      .map(([a, bit, p]) => [a, (a ^ (1 << bit)) >>> 0, p] as const);
    const random = fc.tuple(uint32, uint32, fc.integer({ min: 0, max: 32 }));
    fc.assert(
      fc.property(fc.oneof(nearby, random), ([a, b, p]) => {
        const matcher = compileIpRules([`${v4Text(a)}/${p}`]);
        const expected = samePrefix(BigInt(a), BigInt(b), p, V4_BITS);
        assert.equal(matcher.matches(v4Text(b)), expected);
        assert.equal(matcher.matches(`::ffff:${v4Text(b)}`), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv6 a/p matches b iff the first p bits are equal (mapped clients only meet mapped rules)', () => {
    const nearby = fc
      .tuple(anyV6, fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 128 }))
      .map(([a, bit, p]) => [a, a ^ (1n << BigInt(bit)), p] as const);
    const random = fc.tuple(anyV6, anyV6, fc.integer({ min: 0, max: 128 }));
    fc.assert(
      fc.property(fc.oneof(nearby, random), ([a, b, p]) => {
        const matcher = compileIpRules([`${v6Full(a)}/${p}`]);
        // A mapped client is an IPv4 client, and IPv4 never matches a rule wider than the mapped block.
        const ruleIsV4 = p >= 96 && isMappedBig(a);
        const expected = samePrefix(a, b, p, V6_BITS) && (ruleIsV4 || !isMappedBig(b));
        assert.equal(matcher.matches(v6Full(b)), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('mapped IPv6 rules behave like the IPv4 rule with prefix - 96', () => {
    fc.assert(
      fc.property(uint32, uint32, fc.integer({ min: 0, max: 32 }), (a, b, p) => {
        const mapped = compileIpRules([`::ffff:${v4Text(a)}/${p + 96}`]);
        const expected = samePrefix(BigInt(a), BigInt(b), p, V4_BITS);
        assert.equal(mapped.matches(v4Text(b)), expected);
        assert.equal(mapped.matches(v6Full(MAPPED_PREFIX | BigInt(b))), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('every address matches itself, its host block and the /0 of its family', () => {
    fc.assert(
      fc.property(uint32, (a) => {
        const text = v4Text(a);
        assert.equal(compileIpRules([text]).matches(text), true);
        assert.equal(compileIpRules([`${text}/32`]).matches(text), true);
        assert.equal(compileIpRules(['0.0.0.0/0']).matches(text), true);
      }),
    );
    fc.assert(
      fc.property(anyV6, (a) => {
        for (const text of v6Variants(a)) {
          const zero = isMappedBig(a) ? '0.0.0.0/0' : '::/0';
          assert.equal(compileIpRules([text]).matches(text), true, text);
          assert.equal(compileIpRules([`${text}/128`]).matches(v6Full(a)), true, text);
          assert.equal(compileIpRules([zero]).matches(text), true, text);
        }
      }),
    );
  });

  it('the mapped form of an IPv4 address matches the same rules as the address', () => {
    const v4Rule = fc.tuple(uint32, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${v4Text(a)}/${p}`);
    const mappedRule = fc.tuple(uint32, fc.integer({ min: 96, max: 128 })).map(([a, p]) => `::ffff:${v4Text(a)}/${p}`);
    const v6Rule = fc.tuple(uint128, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${v6Full(a)}/${p}`);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(v4Rule, mappedRule, v6Rule), { minLength: 1, maxLength: 5 }),
        uint32,
        (rules, a) => {
          const matcher = compileIpRules(rules);
          const plain = matcher.matches(v4Text(a));
          assert.equal(matcher.matches(`::ffff:${v4Text(a)}`), plain);
          assert.equal(matcher.matches(v6Full(MAPPED_PREFIX | BigInt(a))), plain);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('canonicalIp is idempotent and agrees with the WHATWG URL serializer for IPv6', () => {
    fc.assert(
      fc.property(anyV6, (a) => {
        for (const text of v6Variants(a)) {
          const canonical = canonicalIp(text);
          assert.ok(canonical !== null, text);
          assert.equal(canonicalIp(canonical), canonical);
          assert.equal(isIP(canonical), isMappedBig(a) ? 4 : 6);
          if (!isMappedBig(a)) {
            // The URL serializer follows the same RFC 5952 compression rules.
            assert.equal(canonical, new URL(`http://[${text}]/`).hostname.slice(1, -1));
          } else {
            assert.equal(canonical, v4Text(Number(a & 0xffffffffn)));
          }
        }
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(uint32, (a) => {
        assert.equal(canonicalIp(v4Text(a)), v4Text(a));
      }),
    );
  });

  it('agrees with net.isIP on mutated addresses (no zone ids, no CIDR)', () => {
    const address = fc.oneof(
      uint32.map(v4Text),
      anyV6.chain((a) => fc.constantFrom(...v6Variants(a))),
    );
    const edit = fc.tuple(
      fc.nat(),
      fc.constantFrom('delete', 'insert', 'replace'),
      fc.constantFrom(...'0123456789abcdefABCDEFg:.'),
    );
    fc.assert(
      fc.property(address, fc.array(edit, { maxLength: 3 }), (start, edits) => {
        let text = start;
        for (const [at, kind, ch] of edits) {
          const i = text.length === 0 ? 0 : at % text.length;
          if (kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
          else if (kind === 'insert') text = text.slice(0, i) + ch + text.slice(i);
          else text = text.slice(0, i) + ch + text.slice(i + 1);
        }
        const parsed = parseIpAddress(text);
        const nodeFamily = isIP(text);
        assert.equal(parsed !== null, nodeFamily !== 0, text);
        assert.equal(validateIpRuleEntry(text) === null, nodeFamily !== 0, text);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws and stays unmatched on arbitrary strings', () => {
    const matcher = compileIpRules(['0.0.0.0/0', '::/0']);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const canonical = canonicalIp(text);
        assert.equal(matcher.matches(text), canonical !== null);
        if (canonical !== null) assert.equal(canonicalIp(canonical), canonical);
      }),
    );
  });
});

describe('compileIpRules with many rules', () => {
  it('matches mixed IPv4, IPv6 and mapped clients against 100 rules', () => {
    const rules = [
      ...Array.from({ length: 50 }, (_, k) => `10.${k}.0.0/16`),
      ...Array.from({ length: 50 }, (_, k) => `2001:db8:${k.toString(16)}::/48`),
    ];
    const matcher = compileIpRules(rules);
    const clients = ['10.49.1.1', '11.0.0.1', '2001:db8:31::1', '2001:db9::1', '::ffff:10.20.0.1'];
    let hits = 0;
    for (let k = 0; k < 40_000; k++) {
      for (const client of clients) if (matcher.matches(client)) hits++;
    }
    assert.equal(hits, 3 * 40_000);
  });
});
