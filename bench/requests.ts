/** The director requests the load generators send, built from the seeded token population. */
import { BENCH_ORIGIN, type BenchKind, seedToken } from './fixtures.js';
import { buildRequest } from './load.js';
import type { SeededDb } from './seed.js';

/**
 * `count` distinct tokens of one kind picked at random (all of them when there are fewer), each
 * as the raw bytes of a director request for a stream its rules allow, with its Bearer token and
 * the Origin the origin-restricted tokens accept.
 */
export function requestSample(
  db: Pick<SeededDb, 'tokens' | 'streamAccountId'>,
  kind: BenchKind,
  count: number,
): Buffer[] {
  const perKind = Math.floor(db.tokens / 2);
  const picked = new Set<number>();
  while (picked.size < Math.min(count, perKind)) picked.add(Math.floor(Math.random() * perKind));
  return [...picked].map((j) => {
    const t = seedToken(kind === 'publish' ? 2 * j : 2 * j + 1);
    const headers = { Authorization: `Bearer ${t.token}`, Origin: BENCH_ORIGIN };
    return kind === 'publish'
      ? buildRequest('/api/director/publish', headers, { streamName: t.requestStream })
      : buildRequest('/api/director/subscribe', headers, {
          streamAccountId: db.streamAccountId,
          streamName: t.requestStream,
        });
  });
}
