import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { testApp } from '../../test/helpers/app.js';
import { type ClientIpHeader, createClientIpResolver, type ForwardingHeaders } from './client-ip.js';

const PROXIES = ['10.0.0.0/8', '2001:db8:ffff::/48'];

interface Case {
  readonly name: string;
  readonly trusted?: readonly string[];
  /** The configured header; the resolver's default (x-forwarded-for) when absent. */
  readonly header?: ClientIpHeader;
  readonly socket: string | undefined;
  readonly headers?: ForwardingHeaders;
  readonly expected: string | null;
}

function check(cases: readonly Case[], header?: ClientIpHeader): void {
  for (const c of cases) {
    it(c.name, () => {
      const chosen = c.header ?? header;
      const resolver =
        chosen === undefined
          ? createClientIpResolver(c.trusted ?? PROXIES)
          : createClientIpResolver(c.trusted ?? PROXIES, chosen);
      assert.equal(resolver.resolve(c.socket, c.headers ?? {}), c.expected);
    });
  }
}

const hops = (count: number, first: number): string[] => Array.from({ length: count }, (_, k) => `10.0.0.${first + k}`);

describe('createClientIpResolver: untrusted peers', () => {
  check([
    {
      name: 'no trusted proxies: a spoofed X-Forwarded-For changes nothing',
      trusted: [],
      socket: '203.0.113.9',
      headers: { 'x-forwarded-for': '1.2.3.4', forwarded: 'for=5.6.7.8' },
      expected: '203.0.113.9',
    },
    {
      name: 'no trusted proxies: even a private peer is just the peer',
      trusted: [],
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '1.2.3.4' },
      expected: '10.0.0.1',
    },
    {
      name: 'peer outside the trusted CIDRs: headers ignored',
      socket: '203.0.113.9',
      headers: { 'x-forwarded-for': '10.0.0.5', forwarded: 'for=10.0.0.6' },
      expected: '203.0.113.9',
    },
    {
      name: 'IPv4-mapped untrusted peer comes back as IPv4',
      socket: '::ffff:203.0.113.9',
      headers: { 'x-forwarded-for': '1.2.3.4' },
      expected: '203.0.113.9',
    },
    { name: 'socket address undefined', socket: undefined, headers: { 'x-forwarded-for': '1.2.3.4' }, expected: null },
    { name: 'socket address undefined, nobody trusted', trusted: [], socket: undefined, expected: null },
    { name: 'socket address with a zone id is no usable address', socket: 'fe80::1%eth0', expected: null },
    { name: 'untrusted IPv6 peer is canonicalised', socket: '2001:DB8:0:0:0:0:0:1', expected: '2001:db8::1' },
  ]);
});

describe('createClientIpResolver: X-Forwarded-For from trusted proxies', () => {
  check([
    { name: 'trusted peer, no headers: the peer', socket: '10.0.0.1', expected: '10.0.0.1' },
    {
      name: 'trusted peer with a single entry',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'several trusted proxies are skipped, the client sits in the middle',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '192.0.2.1, 198.51.100.7, 10.1.2.3, 10.0.0.2' },
      expected: '198.51.100.7',
    },
    {
      name: 'spoofed leftmost entries beyond the first untrusted hop are ignored',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'a spoofed trusted-looking address left of the client is still ignored',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '10.9.9.9, 198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'every hop trusted: the leftmost',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '10.0.0.3, 10.0.0.2' },
      expected: '10.0.0.3',
    },
    {
      name: 'ports are stripped from IPv4 and bracketed IPv6',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7:5678, 10.0.0.2:443' },
      expected: '198.51.100.7',
    },
    {
      name: 'bracketed IPv6 with port',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '[2001:DB8::1]:4711' },
      expected: '2001:db8::1',
    },
    {
      name: 'bare IPv6 keeps every group (no port guessing)',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '2001:db8::1:80' },
      expected: '2001:db8::1:80',
    },
    {
      name: 'IPv4-mapped client entry becomes IPv4',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '::ffff:198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'garbage hop: the last trusted address seen, nothing left of it believed',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7, garbage, 10.0.0.2' },
      expected: '10.0.0.2',
    },
    {
      name: 'garbage as the nearest hop: the peer',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7, not-an-ip' },
      expected: '10.0.0.1',
    },
    {
      name: '"unknown" is unusable',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7, unknown' },
      expected: '10.0.0.1',
    },
    {
      name: 'octal-looking entries are garbage',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7, 010.0.0.1' },
      expected: '10.0.0.1',
    },
    {
      name: 'a non-numeric port is garbage',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7:http' },
      expected: '10.0.0.1',
    },
    {
      name: 'empty header: the peer',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '' },
      expected: '10.0.0.1',
    },
    {
      name: 'whitespace-only header: the peer',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': ' \t ' },
      expected: '10.0.0.1',
    },
    {
      name: 'empty list elements are ignored',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7, , 10.0.0.2,' },
      expected: '198.51.100.7',
    },
    {
      name: 'array header lines join in order',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': ['6.6.6.6, 198.51.100.7', '10.0.0.3', '10.0.0.2'] },
      expected: '198.51.100.7',
    },
    {
      name: 'array header: the last line is nearest',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': ['198.51.100.7', '192.0.2.1'] },
      expected: '192.0.2.1',
    },
    {
      name: 'oversize header is ignored',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': `${'1.1.1.1, '.repeat(500)}198.51.100.7` },
      expected: '10.0.0.1',
    },
    {
      name: 'oversize array header is ignored',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': ['x'.repeat(4000), '198.51.100.7'.repeat(10)] },
      expected: '10.0.0.1',
    },
    {
      name: 'a header of exactly 4 KiB is still read',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': `${' '.repeat(4096 - '198.51.100.7'.length)}198.51.100.7` },
      expected: '198.51.100.7',
    },
    {
      name: 'at most 20 hops: a client further left is not reached',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': ['198.51.100.7', ...hops(20, 10)].join(', ') },
      expected: '10.0.0.10',
    },
    {
      name: 'a client exactly 20 hops away is reached',
      socket: '10.0.0.1',
      headers: { 'x-forwarded-for': ['198.51.100.7', ...hops(19, 10)].join(', ') },
      expected: '198.51.100.7',
    },
  ]);
});

describe('createClientIpResolver: IPv6 and mapped peers', () => {
  check([
    {
      name: 'trusted IPv6 peer',
      socket: '2001:db8:ffff::10',
      headers: { 'x-forwarded-for': '198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'IPv6 peer outside the trusted /48 is untrusted',
      socket: '2001:db8:fffe::10',
      headers: { 'x-forwarded-for': '198.51.100.7' },
      expected: '2001:db8:fffe::10',
    },
    {
      name: 'mapped peer trusted through an IPv4 CIDR',
      socket: '::ffff:10.0.0.1',
      headers: { 'x-forwarded-for': '198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'mapped peer with no headers comes back as IPv4',
      socket: '::ffff:10.0.0.1',
      expected: '10.0.0.1',
    },
    {
      name: 'IPv6 proxy hops are skipped',
      socket: '2001:db8:ffff::1',
      headers: { 'x-forwarded-for': '2001:db8::42, [2001:db8:ffff::2]:8080' },
      expected: '2001:db8::42',
    },
  ]);
});

describe('createClientIpResolver: Forwarded (RFC 7239)', () => {
  check(
    [
      {
        name: 'quoted IPv6 with port',
        socket: '10.0.0.1',
        headers: { forwarded: 'for="[2001:db8:cafe::17]:4711"' },
        expected: '2001:db8:cafe::17',
      },
      {
        name: 'multiple elements with other parameters',
        socket: '10.0.0.1',
        headers: { forwarded: 'for=192.0.2.43;proto=https, for=198.51.100.7;by=10.0.0.2, for=10.0.0.2;host=a.example' },
        expected: '198.51.100.7',
      },
      {
        name: 'mixed-case parameter names',
        socket: '10.0.0.1',
        headers: { forwarded: 'Proto=https;For=198.51.100.7' },
        expected: '198.51.100.7',
      },
      {
        name: 'X-Forwarded-For and X-Real-IP are not read',
        socket: '10.0.0.1',
        headers: { forwarded: 'for=198.51.100.7', 'x-forwarded-for': '192.0.2.1', 'x-real-ip': '192.0.2.2' },
        expected: '198.51.100.7',
      },
      {
        name: 'no Forwarded: the peer, whatever X-Forwarded-For says',
        socket: '10.0.0.1',
        headers: { 'x-forwarded-for': '192.0.2.1', 'x-real-ip': '192.0.2.2' },
        expected: '10.0.0.1',
      },
      {
        name: 'a whitespace-only Forwarded does not fall back to X-Forwarded-For',
        socket: '10.0.0.1',
        headers: { forwarded: '  ', 'x-forwarded-for': '192.0.2.1' },
        expected: '10.0.0.1',
      },
      {
        name: 'an oversize Forwarded does not fall back to X-Forwarded-For',
        socket: '10.0.0.1',
        headers: { forwarded: `for=6.6.6.6;x="${'a'.repeat(4100)}", for=198.51.100.7`, 'x-forwarded-for': '6.6.6.6' },
        expected: '10.0.0.1',
      },
      {
        name: 'quoted IPv4 with port and OWS around separators',
        socket: '10.0.0.1',
        headers: { forwarded: ' for="198.51.100.7:8080" ; proto=http ,for=10.0.0.2 ' },
        expected: '198.51.100.7',
      },
      {
        name: 'unquoted bracketed IPv6 is tolerated',
        socket: '10.0.0.1',
        headers: { forwarded: 'for=[2001:db8::1]:80' },
        expected: '2001:db8::1',
      },
      {
        name: 'quoted-pair escapes are unescaped',
        socket: '10.0.0.1',
        headers: { forwarded: 'for="198.51.100\\.7"' },
        expected: '198.51.100.7',
      },
      {
        name: 'obfuscated port is stripped',
        socket: '10.0.0.1',
        headers: { forwarded: 'for="[2001:db8::1]:_p0rt"' },
        expected: '2001:db8::1',
      },
      {
        name: 'obfuscated identifier stops the walk',
        socket: '10.0.0.1',
        headers: { forwarded: 'for=198.51.100.7, for=_hidden, for=10.0.0.2' },
        expected: '10.0.0.2',
      },
      {
        name: '"unknown" stops the walk',
        socket: '10.0.0.1',
        headers: { forwarded: 'for=198.51.100.7, for=unknown' },
        expected: '10.0.0.1',
      },
      {
        name: 'an element without for= stops the walk',
        socket: '10.0.0.1',
        headers: { forwarded: 'for=198.51.100.7, proto=https' },
        expected: '10.0.0.1',
      },
      {
        name: 'an element with two for= stops the walk',
        socket: '10.0.0.1',
        headers: { forwarded: 'for=198.51.100.7;for=192.0.2.1' },
        expected: '10.0.0.1',
      },
      {
        name: 'an unterminated quote makes the whole header untrustworthy',
        socket: '10.0.0.1',
        headers: { forwarded: 'for="6.6.6.6, for=198.51.100.7' },
        expected: '10.0.0.1',
      },
      {
        name: 'text after a quoted value is malformed',
        socket: '10.0.0.1',
        headers: { forwarded: 'for="6.6.6.6, for="[2001:db8::1]"' },
        expected: '10.0.0.1',
      },
      {
        name: 'whitespace around = is malformed',
        socket: '10.0.0.1',
        headers: { forwarded: 'for = 198.51.100.7' },
        expected: '10.0.0.1',
      },
      {
        name: 'array lines join in order',
        socket: '10.0.0.1',
        headers: { forwarded: ['for=6.6.6.6', 'for=198.51.100.7', 'for=10.0.0.2'] },
        expected: '198.51.100.7',
      },
      {
        name: 'at most 20 elements',
        socket: '10.0.0.1',
        headers: { forwarded: ['198.51.100.7', ...hops(20, 10)].map((ip) => `for=${ip}`).join(',') },
        expected: '10.0.0.10',
      },
      {
        name: 'ignored entirely from an untrusted peer',
        socket: '203.0.113.9',
        headers: { forwarded: 'for=198.51.100.7' },
        expected: '203.0.113.9',
      },
    ],
    'forwarded',
  );
});

describe('createClientIpResolver: the configured header is the only one read', () => {
  // The hole this setting closes: a proxy that rewrites X-Forwarded-For but forwards the client's
  // own Forwarded (or X-Real-IP) header untouched.
  check([
    {
      name: 'default (x-forwarded-for): a client-sent Forwarded is ignored',
      socket: '10.0.0.1',
      headers: { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'default (x-forwarded-for): a client-sent X-Real-IP is ignored',
      socket: '10.0.0.1',
      headers: { 'x-real-ip': '6.6.6.6', 'x-forwarded-for': '198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'default (x-forwarded-for): Forwarded alone is not a fallback',
      socket: '10.0.0.1',
      headers: { forwarded: 'for=6.6.6.6' },
      expected: '10.0.0.1',
    },
    {
      name: 'x-forwarded-for chosen explicitly behaves as the default',
      header: 'x-forwarded-for',
      socket: '10.0.0.1',
      headers: { forwarded: 'for=6.6.6.6', 'x-forwarded-for': '6.6.6.6, 198.51.100.7' },
      expected: '198.51.100.7',
    },
  ]);
});

describe('createClientIpResolver: X-Real-IP', () => {
  check(
    [
      {
        name: 'the address the proxy set',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': '198.51.100.7' },
        expected: '198.51.100.7',
      },
      {
        name: 'X-Forwarded-For and Forwarded are not read',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': '198.51.100.7', 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.7' },
        expected: '198.51.100.7',
      },
      {
        name: 'absent: the peer, whatever the other headers say',
        socket: '10.0.0.1',
        headers: { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.7' },
        expected: '10.0.0.1',
      },
      {
        name: 'surrounding whitespace is trimmed',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': ' 198.51.100.7 ' },
        expected: '198.51.100.7',
      },
      {
        name: 'IPv6, bracketed with a port',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': '[2001:DB8::7]:443' },
        expected: '2001:db8::7',
      },
      {
        name: 'IPv4-mapped becomes IPv4',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': '::ffff:198.51.100.7' },
        expected: '198.51.100.7',
      },
      {
        name: 'an address inside the trusted proxies is still what the proxy said',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': '10.0.0.9' },
        expected: '10.0.0.9',
      },
      {
        name: 'a list is not one address: the peer',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': '6.6.6.6, 198.51.100.7' },
        expected: '10.0.0.1',
      },
      {
        name: 'repeated header lines: the peer',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': ['6.6.6.6', '198.51.100.7'] },
        expected: '10.0.0.1',
      },
      {
        name: 'a single header line in an array is read',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': ['198.51.100.7'] },
        expected: '198.51.100.7',
      },
      { name: 'garbage: the peer', socket: '10.0.0.1', headers: { 'x-real-ip': 'unknown' }, expected: '10.0.0.1' },
      { name: 'empty: the peer', socket: '10.0.0.1', headers: { 'x-real-ip': '' }, expected: '10.0.0.1' },
      {
        name: 'oversize: the peer',
        socket: '10.0.0.1',
        headers: { 'x-real-ip': `${' '.repeat(5000)}198.51.100.7` },
        expected: '10.0.0.1',
      },
      {
        name: 'ignored from an untrusted peer',
        socket: '203.0.113.9',
        headers: { 'x-real-ip': '198.51.100.7' },
        expected: '203.0.113.9',
      },
    ],
    'x-real-ip',
  );
});

describe('createClientIpResolver: configuration', () => {
  it('refuses an invalid trusted-proxy entry instead of silently dropping it', () => {
    assert.throws(() => createClientIpResolver(['10.0.0.0/33']), /trusted proxy/);
    assert.throws(() => createClientIpResolver(['proxy.example']), /trusted proxy/);
  });
  it('refuses a header it does not know instead of reading none', () => {
    assert.throws(
      () => createClientIpResolver(PROXIES, 'X-Forwarded-For' as ClientIpHeader),
      /client IP header must be one of x-forwarded-for, forwarded, x-real-ip/,
    );
  });
});

describe('STREAMGATE_CLIENT_IP_HEADER through the app', () => {
  /** Director publish statuses for a token allowed from 198.51.100.10 only, asked via a trusted proxy. */
  async function statuses(env: Record<string, string>, asks: readonly Record<string, string>[]): Promise<number[]> {
    const t = await testApp({ env: { STREAMGATE_TRUSTED_PROXIES: '10.255.0.0/16', ...env } });
    try {
      const acct = await t.account();
      const created = await t.call(acct.secret, 'POST', '/api/publish_token', {
        label: 'p',
        streams: [{ streamName: 'x' }],
        allowedIpAddresses: ['198.51.100.10'],
      });
      const out: number[] = [];
      for (const headers of asks) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/director/publish',
          headers: {
            authorization: `Bearer ${created.body.data.token}`,
            'content-type': 'application/json',
            ...headers,
          },
          payload: '{"streamName":"x"}',
          remoteAddress: '10.255.0.1',
        });
        out.push(res.statusCode);
      }
      return out;
    } finally {
      await t.close();
    }
  }

  it('default: a client-sent Forwarded cannot pick the address the proxy put in X-Forwarded-For', async () => {
    assert.deepEqual(
      await statuses({}, [
        { forwarded: 'for=198.51.100.10', 'x-forwarded-for': '203.0.113.9' },
        { 'x-forwarded-for': '198.51.100.10' },
      ]),
      [401, 200],
    );
  });

  it('x-real-ip: only X-Real-IP is read', async () => {
    assert.deepEqual(
      await statuses({ STREAMGATE_CLIENT_IP_HEADER: 'x-real-ip' }, [
        { 'x-forwarded-for': '198.51.100.10', forwarded: 'for=198.51.100.10', 'x-real-ip': '203.0.113.9' },
        { 'x-real-ip': '198.51.100.10', 'x-forwarded-for': '203.0.113.9' },
      ]),
      [401, 200],
    );
  });
});

describe('createClientIpResolver: properties', () => {
  // Public IPv4 outside 10.0.0.0/8, written plainly or IPv4-mapped as Node reports dual-stack peers.
  const untrustedPeer = fc
    .tuple(fc.integer({ min: 11, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255), fc.boolean())
    .map(([a, b, c, d, mapped]) => ({
      text: `${mapped ? '::ffff:' : ''}${a}.${b}.${c}.${d}`,
      ip: `${a}.${b}.${c}.${d}`,
    }));
  const headerValue = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc
      .array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('unknown'), fc.string({ maxLength: 10 })), { maxLength: 30 })
      .map((a) => a.join(', ')),
  );

  it('an untrusted peer is the client whatever any forwarding header says, for every setting', () => {
    const resolvers = (['x-forwarded-for', 'forwarded', 'x-real-ip'] as const).flatMap((header) => [
      createClientIpResolver([], header),
      createClientIpResolver(PROXIES, header),
    ]);
    fc.assert(
      fc.property(untrustedPeer, headerValue, headerValue, headerValue, (peer, xff, forwarded, realIp) => {
        for (const resolver of resolvers) {
          assert.equal(resolver.resolve(peer.text, { 'x-forwarded-for': xff }), peer.ip);
          assert.equal(
            resolver.resolve(peer.text, { 'x-forwarded-for': xff, forwarded, 'x-real-ip': realIp }),
            peer.ip,
          );
        }
      }),
    );
  });

  it('behind a trusted proxy, headers other than the configured one never change the answer', () => {
    const settings = ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const;
    const proxyWrote: Record<ClientIpHeader, ForwardingHeaders> = {
      'x-forwarded-for': { 'x-forwarded-for': '198.51.100.7' },
      forwarded: { forwarded: 'for=198.51.100.7' },
      'x-real-ip': { 'x-real-ip': '198.51.100.7' },
    };
    fc.assert(
      fc.property(headerValue, headerValue, headerValue, (xff, forwarded, realIp) => {
        const clientSent: Record<ClientIpHeader, ForwardingHeaders> = {
          'x-forwarded-for': { 'x-forwarded-for': xff },
          forwarded: { forwarded },
          'x-real-ip': { 'x-real-ip': realIp },
        };
        for (const header of settings) {
          const resolver = createClientIpResolver(PROXIES, header);
          const others = settings.filter((h) => h !== header).map((h) => clientSent[h]);
          const headers: ForwardingHeaders = Object.assign({}, ...others, proxyWrote[header]);
          assert.equal(resolver.resolve('10.0.0.1', headers), '198.51.100.7');
        }
      }),
    );
  });

  it('behind a trusted proxy, nothing the client prepends displaces the address the proxy appended', () => {
    const resolver = createClientIpResolver(PROXIES);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (spoofed) => {
        assert.equal(resolver.resolve('10.0.0.1', { 'x-forwarded-for': [spoofed, '198.51.100.7'] }), '198.51.100.7');
      }),
    );
  });

  it('a client-written Forwarded prefix yields the appended address or the proxy, never its own claim', () => {
    const resolver = createClientIpResolver(PROXIES, 'forwarded');
    const forwardedish = fc.stringMatching(/^[ "\\,;=a-zA-Z0-9.:[\]_-]{0,60}$/);
    fc.assert(
      fc.property(fc.oneof(forwardedish, fc.string({ maxLength: 60 })), (spoofed) => {
        const result = resolver.resolve('10.0.0.1', { forwarded: [spoofed, 'for=198.51.100.7'] });
        assert.ok(result === '198.51.100.7' || result === '10.0.0.1', `got ${result} for ${JSON.stringify(spoofed)}`);
        const quoted = resolver.resolve('10.0.0.1', { forwarded: [spoofed, 'for="[2001:db8::7]:443"'] });
        assert.ok(quoted === '2001:db8::7' || quoted === '10.0.0.1', `got ${quoted} for ${JSON.stringify(spoofed)}`);
      }),
    );
  });
});
