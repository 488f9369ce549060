import type { TokenRecord } from '../domain/model.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The Millicast token object for one record. */
export function tokenView(t: TokenRecord) {
  const common = {
    id: t.id,
    label: t.label,
    token: t.token,
    addedOn: iso(t.addedOn),
    expiresOn: t.expiresOn === null ? null : iso(t.expiresOn),
    isActive: t.isActive,
    streams: t.streams.map((s) => ({ streamName: s.streamName, isRegex: s.isRegex })),
    allowedOrigins: [...t.allowedOrigins],
    allowedIpAddresses: [...t.allowedIpAddresses],
    bindIpsOnUsage: t.bindIpsOnUsage,
  };
  if (t.kind === 'publish') {
    return { ...common, subscribeRequiresAuth: t.subscribeRequiresAuth, record: t.record, multisource: t.multisource };
  }
  return { ...common, tracking: t.tracking ? { trackingId: t.tracking.trackingId } : null };
}
