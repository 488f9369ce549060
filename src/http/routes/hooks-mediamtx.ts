/**
 * MediaMTX `authMethod: http`: MediaMTX posts JSON
 * `{user, password, token, ip, action, path, protocol, id, query}` before every publish, read,
 * playback, api, metrics or pprof access; 2xx allows, anything else denies (401 also makes RTSP
 * clients send the credentials they hold).
 *
 * MediaMTX has no publish-done callback, so liveness comes from its `runOnReady` /
 * `runOnNotReady` commands calling `/hooks/mediamtx/ready` and `/hooks/mediamtx/not_ready`.
 */

import type { FastifyInstance, FastifyReply } from 'fastify';
import { deny } from '../../domain/denials.js';
import { errors } from '../../domain/errors.js';
import { ok } from '../envelope.js';
import {
  type Fields,
  firstValues,
  type HookDeps,
  mediaClient,
  optional,
  type PublishSessions,
  required,
  requireObjectBody,
  sendHookDenied,
  textFields,
} from './hooks-shared.js';

export const MEDIAMTX_PREFIX = '/hooks/mediamtx';

/** MediaMTX denies on any non-2xx; 401 is what it documents (and what makes RTSP clients retry with credentials). */
const MEDIAMTX_DENY_STATUS = 401;

const tags = ['Media server hooks'];

/**
 * The credential, in the order MediaMTX carries it: `token` (an `Authorization: Bearer` header),
 * then `token=` in the query (RTMP/RTSP/SRT URLs), then the password (`user:pass@` credentials).
 */
function credentialOf(fields: Fields, query: Fields): string | null {
  return optional(fields, 'token') ?? optional(query, 'token') ?? optional(fields, 'password');
}

const holderOf = (id: string): string => `mediamtx:${id}`;

export function mediamtxHooks(app: FastifyInstance, deps: HookDeps, sessions: PublishSessions): void {
  app.post(`${MEDIAMTX_PREFIX}/auth`, {
    schema: {
      tags,
      summary: 'MediaMTX authMethod http: may this client publish, read or play back?',
      description:
        'Called by MediaMTX with a JSON body. Answers 200 to allow, 401 to refuse; api, metrics and pprof ' +
        'are always refused. See docs/media-servers.md.',
    },
    handler: async (req, reply) => {
      requireObjectBody(req.body);
      const fields = textFields(req.body);
      const action = required(fields, 'action');
      const query = firstValues(fields.query ?? '');
      const who = mediaClient(optional(fields, 'ip'));
      switch (action) {
        case 'publish': {
          const streamName = required(fields, 'path');
          const id = required(fields, 'id');
          const outcome = await sessions.publish({
            credential: credentialOf(fields, query),
            streamName,
            holderId: holderOf(id),
            who,
          });
          return outcome.allowed
            ? reply.code(200).send(ok(true))
            : sendHookDenied(reply, outcome, MEDIAMTX_DENY_STATUS);
        }
        case 'read':
        case 'playback': {
          const decision = await deps.access.authorizeSubscribe({
            streamAccountId: optional(query, 'streamAccountId'),
            streamName: required(fields, 'path'),
            credential: credentialOf(fields, query),
            who,
          });
          return decision.allowed
            ? reply.code(200).send(ok(true))
            : sendHookDenied(reply, decision, MEDIAMTX_DENY_STATUS);
        }
        default:
          // api, metrics, pprof (and any action added later): media-server control is never granted by a stream token.
          throw errors.unauthorized();
      }
    },
  });

  /** `path` and `id` (MTX_PATH, MTX_SOURCE_ID), and the publisher's `query` (MTX_QUERY) if it carried the token. */
  const readyFields = (body: unknown): { streamName: string; holderId: string; credential: string | null } => {
    const fields = textFields(body);
    const streamName = required(fields, 'path');
    const holderId = holderOf(required(fields, 'id'));
    return { streamName, holderId, credential: optional(firstValues(fields.query ?? ''), 'token') };
  };

  app.post(`${MEDIAMTX_PREFIX}/ready`, {
    schema: {
      tags,
      summary: 'MediaMTX runOnReady: the stream of this publisher is ready; renews its live lease',
      description:
        'JSON or form body `{path, id, query?}` from MTX_PATH, MTX_SOURCE_ID and MTX_QUERY. Call it again ' +
        'periodically (well within the live lease) while the stream runs. 200 renewed; 409 another publisher ' +
        'holds the stream; 404 this publisher holds no lease.',
    },
    handler: async (req, reply): Promise<FastifyReply> => {
      const input = readyFields(req.body);
      const renewed = await sessions.renew(input);
      if (renewed === 'renewed') return reply.code(200).send(ok({ live: true }));
      return sendHookDenied(reply, deny(renewed === 'taken' ? 'STREAM_ALREADY_PUBLISHED' : 'STREAM_NOT_FOUND'));
    },
  });

  app.post(`${MEDIAMTX_PREFIX}/not_ready`, {
    schema: {
      tags,
      summary: 'MediaMTX runOnNotReady: the stream of this publisher ended; releases its live lease',
      description: 'JSON or form body `{path, id, query?}`. Always 200 (releasing twice is harmless).',
    },
    handler: async (req, reply): Promise<FastifyReply> => {
      const released = await sessions.end(readyFields(req.body));
      return reply.code(200).send(ok({ released }));
    },
  });
}
