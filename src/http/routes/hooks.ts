/**
 * Authorization callbacks of media servers (nginx-rtmp, SRS, MediaMTX). Each adapter only
 * translates its server's wire format; AccessService decides, LiveRegistry keeps liveness.
 *
 * Media servers cannot present a user's credential for themselves, so these endpoints are
 * protected by where they listen (the media servers' network, see docs/media-servers.md) and,
 * when STREAMGATE_HOOKS_SECRET is set, by that shared secret in every callback.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashSecret, sameDigest } from '../../domain/credentials.js';
import { AppError } from '../../domain/errors.js';
import { sendError } from '../envelope.js';
import { mediamtxHooks } from './hooks-mediamtx.js';
import { nginxRtmpHooks } from './hooks-nginx.js';
import { firstValues, type HookDeps, PublishSessions } from './hooks-shared.js';
import { srsHooks } from './hooks-srs.js';

export type { HookDeps } from './hooks-shared.js';

export const HOOKS_SECRET_HEADER = 'x-streamgate-hooks-secret';
export const HOOKS_SECRET_PARAM = 'hooks_secret';

/**
 * An onRequest check of the shared hooks secret: from the callback URL's query (`hooks_secret`,
 * the first value if repeated, since media servers put the configured URL's query first) or the
 * header. Digests are compared in constant time, so the answer time says nothing of the secret.
 */
function requireHooksSecret(secret: string) {
  const expected = hashSecret(secret);
  return (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const query = req.query as Record<string, string | string[] | undefined>;
    const fromQuery = query[HOOKS_SECRET_PARAM];
    const header = req.headers[HOOKS_SECRET_HEADER];
    const given = (Array.isArray(fromQuery) ? fromQuery[0] : fromQuery) ?? (Array.isArray(header) ? header[0] : header);
    if (given !== undefined && sameDigest(hashSecret(given), expected)) return done();
    sendError(reply, new AppError('UNAUTHORIZED', 'Unauthorized: hooks secret required'));
  };
}

/** Registers every hook route in its own scope, so the form parser nginx needs applies to hooks only. */
export async function hookRoutes(
  app: FastifyInstance,
  deps: HookDeps & { readonly config: { readonly hooksSecret: string | null } },
): Promise<void> {
  await app.register(async (hooks) => {
    if (deps.config.hooksSecret !== null) hooks.addHook('onRequest', requireHooksSecret(deps.config.hooksSecret));
    hooks.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, firstValues(body as string));
    });
    const sessions = new PublishSessions(deps);
    hooks.addHook('onClose', async () => sessions.detach());
    nginxRtmpHooks(hooks, deps, sessions);
    srsHooks(hooks, deps, sessions);
    mediamtxHooks(hooks, deps, sessions);
  });
}
