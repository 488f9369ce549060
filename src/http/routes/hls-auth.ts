/**
 * HLS access check for nginx `auth_request`: before nginx serves any playlist or segment of the
 * HLS output of nginx-rtmp, it asks this endpoint whether the request carries a director jwt
 * (from /api/director/subscribe or /publish) for that very stream.
 *
 * What nginx sends (see docs/viewer.md for the config):
 * - `X-Original-URI: $request_uri`: the path asked for, `<prefix>/<streamName>/<file>` (nginx-rtmp
 *   with `hls_nested on`: `<streamName>/index.m3u8`, `<streamName>/<n>.ts`).
 * - the jwt, either as the client's own `Authorization: Bearer <jwt>` header (nginx passes the
 *   client's headers to the subrequest; hls.js sets it) or as a `token=<jwt>` query parameter of
 *   the original URI (players that cannot set headers, e.g. the browser's native HLS).
 * - optionally `X-Streamgate-Account: <streamAccountId>` set in the nginx location, when that
 *   location serves one account's streams only: the jwt must then belong to that account.
 *
 * Answers 204 (serve it), 401 (no valid unexpired jwt) or 403 (a valid jwt for another stream, or
 * a path that names no stream). 400 only for a missing X-Original-URI: a configuration mistake,
 * which nginx reports as a 500 and logs.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JwtSigner } from '../../domain/signer.js';
import { bearer } from '../auth.js';

export const HLS_AUTH_PATH = '/hooks/hls/auth';

/** What the players fetch: playlists, MPEG-TS / fMP4 segments, audio-only segments, subtitles. */
const HLS_FILE = /\.(m3u8|ts|m4s|mp4|m4a|aac|vtt)$/;

export interface HlsAuthDeps {
  readonly signer: JwtSigner;
  readonly now: () => number;
}

type Outcome = { readonly ok: true } | { readonly ok: false; status: number; code: string; message: string };

const refused = (status: number, code: string, message: string): Outcome => ({ ok: false, status, code, message });

/**
 * The stream a requested HLS path belongs to, from the raw request URI: the folder the file is in.
 * Anything a path normaliser could read differently from nginx (encoded slashes, dot segments,
 * empty segments, control characters) names no stream.
 */
export function hlsStreamOf(requestUri: string): { streamName: string; token: string | null } | null {
  const q = requestUri.indexOf('?');
  const rawPath = q < 0 ? requestUri : requestUri.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : requestUri.slice(q + 1));
  if (!rawPath.startsWith('/')) return null;
  const raw = rawPath.split('/').slice(1);
  if (raw.length < 2) return null;
  const segments: string[] = [];
  for (const part of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (decoded === '' || decoded === '.' || decoded === '..') return null;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (/[/\\\u0000-\u001f\u007f]/.test(decoded)) return null;
    segments.push(decoded);
  }
  const file = segments[segments.length - 1] as string;
  if (!HLS_FILE.test(file)) return null;
  return { streamName: segments[segments.length - 2] as string, token: query.get('token') };
}

export function checkHlsRequest(
  deps: HlsAuthDeps,
  input: { requestUri: string | undefined; authorization: string | null; account: string | undefined },
): Outcome {
  if (!input.requestUri) {
    return refused(
      400,
      'MISSING_ORIGINAL_URI',
      'X-Original-URI header required (proxy_set_header X-Original-URI $request_uri)',
    );
  }
  const target = hlsStreamOf(input.requestUri);
  if (!target) return refused(403, 'NOT_AN_HLS_PATH', 'Not an HLS path of a stream: <prefix>/<streamName>/<file>');
  const jwt = input.authorization ?? target.token;
  if (!jwt) return refused(401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
  const claims = deps.signer.verify(jwt, deps.now());
  if (!claims) {
    // Signed by us but past its `exp` (verify at time 0 skips the expiry check only).
    const expired = deps.signer.verify(jwt, 0) !== null;
    return expired
      ? refused(401, 'TOKEN_EXPIRED', 'Unauthorized: Token expired')
      : refused(401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
  }
  const streaming = claims.streaming as Record<string, unknown> | undefined;
  const role = streaming?.role;
  if (!streaming || (role !== 'subscribe' && role !== 'publish') || typeof streaming.streamName !== 'string') {
    return refused(401, 'INVALID_TOKEN', 'Unauthorized: Invalid token');
  }
  if (streaming.streamName !== target.streamName) {
    return refused(403, 'STREAM_NAME_NOT_ALLOWED', 'StreamName is not valid for token');
  }
  if (input.account !== undefined && input.account !== streaming.streamAccountId) {
    return refused(403, 'STREAM_NAME_NOT_ALLOWED', 'StreamName is not valid for token');
  }
  return { ok: true };
}

export function hlsAuthRoutes(app: FastifyInstance, deps: HlsAuthDeps): void {
  const schema = {
    tags: ['Media server hooks'],
    // The credential is the director jwt, checked here: no API secret.
    security: [],
    summary: 'HLS (nginx auth_request): may this request read this playlist or segment?',
    description:
      'Called by nginx `auth_request` before serving HLS files. Headers: `X-Original-URI` ($request_uri, ' +
      '`<prefix>/<streamName>/<file>`), the director jwt as `Authorization: Bearer` or `token=` in the URI, ' +
      'optionally `X-Streamgate-Account`. Answers 204 to allow, 401 (no valid unexpired jwt) or 403 ' +
      '(another stream) to refuse. See docs/viewer.md.',
  };
  app.get(HLS_AUTH_PATH, { schema }, (req: FastifyRequest, reply: FastifyReply) => {
    const uri = req.headers['x-original-uri'];
    const account = req.headers['x-streamgate-account'];
    const outcome = checkHlsRequest(deps, {
      requestUri: typeof uri === 'string' ? uri : undefined,
      authorization: bearer(req),
      account: typeof account === 'string' && account !== '' ? account : undefined,
    });
    reply.header('cache-control', 'no-store');
    if (outcome.ok) return reply.code(204).send();
    return reply.code(outcome.status).send({ status: 'fail', data: { message: outcome.message, code: outcome.code } });
  });
}
