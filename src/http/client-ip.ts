import { canonicalIp, compileIpRules } from '../domain/ip-rule.js';

export interface ClientIpResolver {
  /** The client address: canonical text (IPv4-mapped -> IPv4), or null when the socket has none. */
  resolve(
    socketAddress: string | undefined,
    headers: { 'x-forwarded-for'?: string | string[]; forwarded?: string | string[] },
  ): string | null;
}

const MAX_HEADER = 4096;
const MAX_HOPS = 20;

function headerText(v: string | string[] | undefined): string | null {
  const text = Array.isArray(v) ? v.join(',') : v;
  if (text === undefined || text.trim() === '' || text.length > MAX_HEADER) return null;
  return text;
}

/** One hop of X-Forwarded-For or a Forwarded `for=` value, without port or brackets. */
function hopAddress(raw: string): string | null {
  let v = raw.trim().replace(/^"|"$/g, '');
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return null;
    v = v.slice(1, end);
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(v)) {
    v = v.slice(0, v.lastIndexOf(':'));
  }
  return canonicalIp(v);
}

function forwardedHops(text: string): (string | null)[] {
  return text.split(',').map((element) => {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === 'for') return hopAddress(pair.slice(eq + 1));
    }
    return null;
  });
}

/**
 * Believes forwarding headers only from trusted proxies: walking the hops from the nearest,
 * skipping trusted proxies, the first untrusted address is the client. An empty list trusts
 * nobody, so a spoofed header from a direct client changes nothing.
 */
export function createClientIpResolver(trustedProxies: readonly string[]): ClientIpResolver {
  const trusted = trustedProxies.length > 0 ? compileIpRules(trustedProxies) : null;
  return {
    resolve(socketAddress, headers) {
      const peer = socketAddress ? canonicalIp(socketAddress) : null;
      if (peer === null || trusted === null || !trusted.matches(peer)) return peer;
      const fwd = headerText(headers.forwarded);
      const xff = fwd === null ? headerText(headers['x-forwarded-for']) : null;
      const hops = fwd !== null ? forwardedHops(fwd) : xff !== null ? xff.split(',').map(hopAddress) : [];
      let last = peer;
      for (const hop of hops.slice(-MAX_HOPS).reverse()) {
        // Nothing left of an unparsable hop can be believed.
        if (hop === null) return last;
        if (!trusted.matches(hop)) return hop;
        last = hop;
      }
      return last;
    },
  };
}
