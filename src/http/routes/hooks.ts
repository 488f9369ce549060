/**
 * Authorization callbacks of media servers (nginx-rtmp, SRS, MediaMTX). Each adapter only
 * translates its server's wire format; AccessService decides, LiveRegistry keeps liveness.
 *
 * These endpoints carry no credential of their own: expose them only to the media servers'
 * network (see docs/media-servers.md).
 */

import type { FastifyInstance } from 'fastify';
import { mediamtxHooks } from './hooks-mediamtx.js';
import { nginxRtmpHooks } from './hooks-nginx.js';
import { firstValues, type HookDeps, PublishSessions } from './hooks-shared.js';
import { srsHooks } from './hooks-srs.js';

export type { HookDeps } from './hooks-shared.js';

/** Registers every hook route in its own scope, so the form parser nginx needs applies to hooks only. */
export async function hookRoutes(app: FastifyInstance, deps: HookDeps): Promise<void> {
  await app.register(async (hooks) => {
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
