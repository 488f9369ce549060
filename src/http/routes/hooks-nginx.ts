/**
 * nginx-rtmp `notify` callbacks. nginx posts form-urlencoded fields of its own (`app, flashver,
 * swfurl, tcurl, pageurl, addr, clientid, call, name, ...`) followed by the client's query args
 * (`token=...`). Any 2xx lets the client go on; any other status drops it.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { deny } from '../../domain/denials.js';
import {
  type Fields,
  type HookDeps,
  mediaClient,
  optional,
  type PublishSessions,
  peerOf,
  required,
  sendHookDenied,
  textFields,
  urlQueryFields,
} from './hooks-shared.js';

export const NGINX_RTMP_PREFIX = '/hooks/nginx-rtmp';

/**
 * nginx's fields: from the form body (POST, the default `notify_method`) or from the URL query
 * (`notify_method get`). With POST, `streamAccountId` may also be set by the operator in the
 * configured callback URL (`on_play http://.../on_play?streamAccountId=...`) for tokenless viewers.
 */
function nginxFields(req: FastifyRequest): Fields {
  if (req.method === 'GET') return urlQueryFields(req.url);
  const body = textFields(req.body);
  if (body.streamAccountId !== undefined) return body;
  const fromUrl = urlQueryFields(req.url).streamAccountId;
  return fromUrl === undefined ? body : { ...body, streamAccountId: fromUrl };
}

/** One nginx client connection's hold on a stream: the nginx host plus its connection number. */
function holderOf(req: FastifyRequest, fields: Fields): string {
  return `nginx:${peerOf(req.socket.remoteAddress)}:${required(fields, 'clientid')}`;
}

const allow = (reply: FastifyReply): FastifyReply => reply.code(200).type('text/plain').send('');

export function nginxRtmpHooks(app: FastifyInstance, deps: HookDeps, sessions: PublishSessions): void {
  const route = (
    name: string,
    summary: string,
    handler: (req: FastifyRequest, reply: FastifyReply, fields: Fields) => Promise<FastifyReply>,
  ): void => {
    for (const method of ['POST', 'GET'] as const) {
      app.route({
        method,
        url: `${NGINX_RTMP_PREFIX}/${name}`,
        schema: {
          tags: ['Media server hooks'],
          summary: `nginx-rtmp ${name}: ${summary}`,
          description:
            'Called by nginx-rtmp (form-urlencoded body, or query with `notify_method get`). ' +
            'Answers 2xx to allow, the denial status (401/404/409) to refuse. See docs/media-servers.md.',
          hide: method === 'GET',
        },
        handler: (req, reply) => handler(req, reply, nginxFields(req)),
      });
    }
  };

  route('on_publish', 'may this client publish?', async (req, reply, fields) => {
    const streamName = required(fields, 'name');
    const outcome = await sessions.publish({
      credential: optional(fields, 'token'),
      streamName,
      holderId: holderOf(req, fields),
      who: mediaClient(optional(fields, 'addr')),
    });
    return outcome.allowed ? allow(reply) : sendHookDenied(reply, outcome);
  });

  route('on_play', 'may this client play?', async (_req, reply, fields) => {
    const decision = await deps.access.authorizeSubscribe({
      streamAccountId: optional(fields, 'streamAccountId'),
      streamName: required(fields, 'name'),
      credential: optional(fields, 'token'),
      who: mediaClient(optional(fields, 'addr')),
    });
    return decision.allowed ? allow(reply) : sendHookDenied(reply, decision);
  });

  route('on_update', 'periodic update of a publisher or player', async (req, reply, fields) => {
    // update_play (a viewer) needs nothing; only a publisher's lease is kept alive here.
    if (fields.call !== 'update_publish') return allow(reply);
    const streamName = required(fields, 'name');
    const holderId = holderOf(req, fields);
    const credential = optional(fields, 'token');
    const renewed = await sessions.renew({ holderId, streamName, credential });
    if (renewed === 'renewed') return allow(reply);
    if (renewed === 'taken') return sendHookDenied(reply, deny('STREAM_ALREADY_PUBLISHED'));
    // The lease lapsed with nobody else on the stream (e.g. updates were late): publish again, fully checked.
    const outcome = await sessions.publish({
      credential,
      streamName,
      holderId,
      who: mediaClient(optional(fields, 'addr')),
    });
    return outcome.allowed ? allow(reply) : sendHookDenied(reply, outcome);
  });

  route('on_publish_done', 'a publisher stopped', async (req, reply, fields) => {
    const streamName = required(fields, 'name');
    await sessions.end({
      holderId: holderOf(req, fields),
      streamName,
      credential: optional(fields, 'token'),
    });
    return allow(reply);
  });

  route('on_play_done', 'a player stopped', async (_req, reply) => allow(reply));
}
