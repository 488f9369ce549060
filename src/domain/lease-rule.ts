import type { LiveLease } from './model.js';

/**
 * Whether a publisher may take a stream given its current (unexpired) leases. One rule for
 * every store, so SQLite and PostgreSQL grant exactly the same.
 */
export function leaseGrantable(
  leases: readonly LiveLease[],
  want: { readonly holderId: string; readonly sourceId: string | null; readonly multisource: boolean },
): boolean {
  if (leases.length === 0) return true;
  if (leases.some((l) => l.holderId === want.holderId)) return true;
  // Several publishers share a name only as distinct, named sources of a multisource token.
  if (!want.multisource || want.sourceId === null) return false;
  return leases.every((l) => l.sourceId !== null && l.sourceId !== want.sourceId);
}

/** The lease that lapsed last among `lapsed` (its publisher held the stream at its end), if any. */
export function lastLapsed(lapsed: readonly LiveLease[]): LiveLease | undefined {
  let last: LiveLease | undefined;
  for (const lease of lapsed) if (!last || lease.expiresOn > last.expiresOn) last = lease;
  return last;
}
