/**
 * The dashboard's link to the REST API: the signed-in secret (sessionStorage only, so it dies
 * with the tab and never reaches disk-backed storage), the typed SDK built on it, and the few
 * calls the SDK does not have.
 */
import { StreamgateApiError, StreamgateClient, StreamgateConnectionError } from '../../src/client/index.js';

const SECRET_KEY = 'streamgate.apiSecret';
const ACCOUNT_KEY = 'streamgate.streamAccountId';

export function storedSecret(): string | null {
  return sessionStorage.getItem(SECRET_KEY);
}

export function storeSecret(secret: string | null): void {
  if (secret === null) {
    sessionStorage.removeItem(SECRET_KEY);
    sessionStorage.removeItem(ACCOUNT_KEY);
  } else sessionStorage.setItem(SECRET_KEY, secret);
}

/** The API is served by the same server as the page. */
export function clientFor(secret: string): StreamgateClient {
  return new StreamgateClient({ baseUrl: location.origin, apiSecret: secret, timeoutMs: 20_000 });
}

/** Human text of any failure: the API's own message when it answered. */
export function messageOf(err: unknown): string {
  if (err instanceof StreamgateApiError) return err.message;
  if (err instanceof StreamgateConnectionError) return `Cannot reach the server: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof StreamgateApiError && err.status === 401;
}

async function getData<T>(path: string, secret: string): Promise<T> {
  const res = await fetch(`${location.origin}${path}`, {
    headers: { accept: 'application/json', authorization: `Bearer ${secret}` },
  });
  const body = (await res.json().catch(() => null)) as { status?: string; data?: any; message?: string } | null;
  if (res.ok && body?.status === 'success') return body.data as T;
  const data = body && typeof body.data === 'object' && body.data !== null ? body.data : {};
  const message = typeof data.message === 'string' ? data.message : (body?.message ?? `HTTP ${res.status}`);
  throw new StreamgateApiError(res.status, typeof data.code === 'string' ? data.code : 'INTERNAL', message, data);
}

/** Ids of the account's publish tokens that are publishing right now. */
export async function activePublishTokenIds(secret: string): Promise<Set<number>> {
  const data = await getData<{ tokenIds: number[] }>('/api/publish_token/active/all', secret);
  return new Set(data.tokenIds);
}

/**
 * What the dashboard knows of the account and the server's media URLs. It asks
 * `GET /api/account` (expected answer: `{streamAccountId, publishUrls: [templates with
 * {streamName} / {streamAccountId}]}` in the success envelope); when the server answers it, its
 * values are used; otherwise the stream account id is whatever the user typed (kept in this session
 * only) and the RTMP URL is derived from this page's host name, nginx-rtmp's default port and
 * the `live` application, the layout Streamgate's own default STREAMGATE_PUBLISH_URLS uses.
 */
export interface AccountInfo {
  streamAccountId: string | null;
  /** Publish URL templates with {streamName} / {streamAccountId}, from the server when it says. */
  publishUrls: string[];
  /** true when the values above came from the server rather than being derived here. */
  fromServer: boolean;
}

export async function accountInfo(secret: string): Promise<AccountInfo> {
  try {
    const data = await getData<{ streamAccountId?: unknown; publishUrls?: unknown }>('/api/account', secret);
    if (typeof data.streamAccountId === 'string') {
      const urls = Array.isArray(data.publishUrls) ? data.publishUrls.filter((u) => typeof u === 'string') : [];
      return {
        streamAccountId: data.streamAccountId,
        publishUrls: urls.length > 0 ? urls : derivedPublishUrls(),
        fromServer: true,
      };
    }
  } catch {
    // Not served by this version: fall back below.
  }
  return { streamAccountId: sessionStorage.getItem(ACCOUNT_KEY), publishUrls: derivedPublishUrls(), fromServer: false };
}

export function rememberStreamAccountId(id: string): void {
  if (id) sessionStorage.setItem(ACCOUNT_KEY, id);
  else sessionStorage.removeItem(ACCOUNT_KEY);
}

export function derivedPublishUrls(): string[] {
  return [`rtmp://${location.hostname}/live/{streamName}`];
}

/** Fills a URL template; the token goes in the query as media servers read it (`?token=`). */
export function publishUrl(template: string, streamAccountId: string | null, streamName: string, token: string) {
  const url = template
    .replaceAll('{streamAccountId}', encodeURIComponent(streamAccountId ?? '{streamAccountId}'))
    .replaceAll('{streamName}', encodeURIComponent(streamName));
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

export function directorUrl(): string {
  return `${location.origin}/api/director/publish`;
}

/** The hosted viewer link; without a subscribe token the stream must not require one. */
export function viewerLink(streamAccountId: string, streamName: string, subscribeToken: string | null): string {
  const q = `streamId=${encodeURIComponent(`${streamAccountId}/${streamName}`).replace('%2F', '/')}`;
  return `${location.origin}/viewer?${q}${subscribeToken ? `&token=${encodeURIComponent(subscribeToken)}` : ''}`;
}
