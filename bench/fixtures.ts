/**
 * The seeded token population, derived from the row index alone, so the load generator can
 * rebuild any token's value and a request it authorizes without reading the database.
 */
import { createHash } from 'node:crypto';

export type BenchKind = 'publish' | 'subscribe';

export interface SeedToken {
  readonly kind: BenchKind;
  readonly label: string;
  readonly token: string;
  readonly streams: readonly { streamName: string; isRegex: boolean }[];
  readonly allowedOrigins: readonly string[];
  readonly allowedIpAddresses: readonly string[];
  /** A stream name the token's rules allow. */
  readonly requestStream: string;
}

/** Every request carries this Origin; half the tokens restrict origins to a list it matches. */
export const BENCH_ORIGIN = 'https://app.example.com';

/** Token i: even rows publish, odd rows subscribe; rules vary with the row so every mix occurs. */
export function seedToken(i: number): SeedToken {
  const kind: BenchKind = i % 2 === 0 ? 'publish' : 'subscribe';
  const j = i >> 1;
  const token = createHash('sha256').update(`streamgate-bench-${i}`).digest('hex');
  let streams: SeedToken['streams'];
  let requestStream: string;
  switch (j % 3) {
    case 0:
      streams = [
        { streamName: `cam-${j}`, isRegex: false },
        { streamName: `cam-${j}-backup`, isRegex: false },
      ];
      requestStream = `cam-${j}`;
      break;
    case 1:
      streams = [{ streamName: `(?:feed|live)-${j}-[0-9]+`, isRegex: true }];
      requestStream = `feed-${j}-${j % 97}`;
      break;
    default:
      streams = [{ streamName: '.*', isRegex: true }];
      requestStream = `any-${j}`;
  }
  const allowedOrigins = Math.floor(j / 3) % 2 === 0 ? ['*.example.com', 'example.org', `site-${j % 1000}.test`] : [];
  const allowedIpAddresses =
    Math.floor(j / 6) % 2 === 0
      ? ['10.0.0.0/8', `192.168.${j % 256}.0/24`, '2001:db8::/32', 'fd00::/8', '127.0.0.0/8', '::1']
      : [];
  return { kind, label: `bench-${i}`, token, streams, allowedOrigins, allowedIpAddresses, requestStream };
}

/** The column values of token i as both seeders insert them (JSON columns as text). */
export function seedRow(
  i: number,
): [kind: BenchKind, label: string, token: string, streams: string, origins: string, ips: string] {
  const t = seedToken(i);
  return [
    t.kind,
    t.label,
    t.token,
    JSON.stringify(t.streams),
    JSON.stringify(t.allowedOrigins),
    JSON.stringify(t.allowedIpAddresses),
  ];
}
