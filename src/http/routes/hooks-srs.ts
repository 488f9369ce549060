/**
 * SRS `http_hooks`: one URL for every action. SRS posts JSON
 * `{action, client_id, ip, vhost, app, stream, param, server_id, stream_id, stream_url, tcUrl, ...}`
 * and allows the client only on HTTP 200 with a body of `0` (or `{"code":0}`); any other status,
 * or a non-zero code, refuses it.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Denied } from '../../domain/denials.js';
import {
  type Fields,
  firstValues,
  type HookDeps,
  mediaClient,
  optional,
  type PublishSessions,
  peerOf,
  required,
  requireObjectBody,
  textFields,
} from './hooks-shared.js';

export const SRS_PATH = '/hooks/srs';

const allow = (reply: FastifyReply): FastifyReply => reply.code(200).type('text/plain').send('0');

/** Non-200 is a refusal to SRS; the body says why for its logs, with the exact denial text. */
const refuse = (reply: FastifyReply, d: Denied): FastifyReply =>
  reply.code(d.status).send({ code: d.code, message: d.message });

/**
 * The client's query args: SRS hands the stream URL's query over as `param` (`?token=...`); a
 * token put on the application URL instead only shows in `tcUrl`. First value wins in each.
 */
function clientArgs(fields: Fields): { token: string | null; streamAccountId: string | null } {
  const param = firstValues((fields.param ?? '').replace(/^\?/, ''));
  const tcUrl = fields.tcUrl ?? '';
  const q = tcUrl.indexOf('?');
  const connect = q < 0 ? param : firstValues(tcUrl.slice(q + 1));
  return {
    token: optional(param, 'token') ?? optional(connect, 'token'),
    streamAccountId: optional(param, 'streamAccountId') ?? optional(connect, 'streamAccountId'),
  };
}

/** One SRS client connection: the SRS server (its `server_id`, else its address) plus its client id. */
function holderOf(req: FastifyRequest, fields: Fields): string {
  const server = optional(fields, 'server_id') ?? peerOf(req.socket.remoteAddress);
  return `srs:${server}:${required(fields, 'client_id')}`;
}

export function srsHooks(app: FastifyInstance, deps: HookDeps, sessions: PublishSessions): void {
  app.post(SRS_PATH, {
    schema: {
      tags: ['Media server hooks'],
      summary: 'SRS http_hooks: on_publish, on_unpublish, on_play, on_stop (and the rest, acknowledged)',
      description:
        'Called by SRS with a JSON body. Answers 200 with body `0` to allow; the denial status (401/404/409) ' +
        'with `{code, message}` to refuse. See docs/media-servers.md.',
    },
    handler: async (req, reply) => {
      requireObjectBody(req.body);
      const fields = textFields(req.body);
      const action = required(fields, 'action');
      switch (action) {
        case 'on_publish': {
          const streamName = required(fields, 'stream');
          const outcome = await sessions.publish({
            credential: clientArgs(fields).token,
            streamName,
            holderId: holderOf(req, fields),
            who: mediaClient(optional(fields, 'ip')),
          });
          return outcome.allowed ? allow(reply) : refuse(reply, outcome);
        }
        case 'on_unpublish': {
          const streamName = required(fields, 'stream');
          await sessions.end({ holderId: holderOf(req, fields), streamName, credential: clientArgs(fields).token });
          return allow(reply);
        }
        case 'on_play': {
          const streamName = required(fields, 'stream');
          const args = clientArgs(fields);
          const decision = await deps.access.authorizeSubscribe({
            streamAccountId: args.streamAccountId,
            streamName,
            credential: args.token,
            who: mediaClient(optional(fields, 'ip')),
          });
          return decision.allowed ? allow(reply) : refuse(reply, decision);
        }
        case 'on_hls':
        case 'on_dvr': {
          // SRS has no per-stream heartbeat; each HLS segment or DVR file of a publisher keeps its lease alive.
          const streamName = optional(fields, 'stream');
          if (streamName !== null && optional(fields, 'client_id') !== null) {
            await sessions.renew({ holderId: holderOf(req, fields), streamName, credential: clientArgs(fields).token });
          }
          return allow(reply);
        }
        default:
          // on_connect, on_close, on_stop, on_forward...: nothing to decide.
          return allow(reply);
      }
    },
  });
}
