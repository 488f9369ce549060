import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errors } from '../../domain/errors.js';
import type { LiveRegistry } from '../../domain/live-registry.js';
import { ok } from '../envelope.js';
import { FailOut, success } from '../schemas.js';

const TokenIds = success(Type.Object({ tokenIds: Type.Array(Type.Integer()) }));

/** Which publish tokens are publishing now (Millicast's "active" endpoints). */
export function liveRoutes(app: FastifyInstance, live: LiveRegistry): void {
  const tags = ['Publish tokens'];

  app.get<{ Querystring: { streamId: string } }>('/api/publish_token/active', {
    schema: {
      tags,
      summary: 'Ids of the publish tokens currently publishing a stream',
      querystring: Type.Object({
        streamId: Type.String({ minLength: 3, maxLength: 200, description: '<streamAccountId>/<streamName>' }),
      }),
      response: { 200: TokenIds, 400: FailOut, 401: FailOut },
    },
    handler: async (req) => {
      const { streamId } = req.query;
      const slash = streamId.indexOf('/');
      if (slash < 1 || slash === streamId.length - 1) {
        throw errors.field('streamId', `must be '<streamAccountId>/<streamName>' (got ${JSON.stringify(streamId)})`);
      }
      // Another account's stream reads as not live: nothing about it is revealed.
      if (streamId.slice(0, slash) !== req.account.streamAccountId) return ok({ tokenIds: [] });
      const leases = await live.leases(req.account.id, streamId.slice(slash + 1));
      return ok({ tokenIds: [...new Set(leases.map((l) => l.tokenId))] });
    },
  });

  app.get('/api/publish_token/active/all', {
    schema: { tags, summary: 'Ids of all publish tokens publishing now', response: { 200: TokenIds, 401: FailOut } },
    handler: async (req) => {
      const leases = await live.accountLeases(req.account.id);
      return ok({ tokenIds: [...new Set(leases.map((l) => l.tokenId))] });
    },
  });
}
