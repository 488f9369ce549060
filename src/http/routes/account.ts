import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.js';
import { ok } from '../envelope.js';
import { FailOut, success } from '../schemas.js';

export const AccountOut = Type.Object({
  streamAccountId: Type.String({ description: 'The public account id viewers name in a streamId' }),
  name: Type.String(),
  publishUrls: Type.Array(Type.String(), {
    description: 'URL templates handed to publishers; {streamName} and {streamAccountId} are filled in per stream',
  }),
  subscribeUrls: Type.Array(Type.String(), { description: 'URL templates handed to viewers, filled in the same way' }),
});

/**
 * Who the calling API secret belongs to, and the URLs this server hands out: what a dashboard
 * needs to show publish URLs and viewer links without guessing from its own address.
 */
export function accountRoutes(app: FastifyInstance, config: Config): void {
  app.get('/api/account', {
    schema: {
      tags: ['Account'],
      summary: "The calling account's public id and the server's publish and subscribe URL templates",
      response: { 200: success(AccountOut), 401: FailOut },
    },
    handler: async (req) =>
      ok({
        streamAccountId: req.account.streamAccountId,
        name: req.account.name,
        publishUrls: [...config.publishUrls],
        subscribeUrls: [...config.subscribeUrls],
      }),
  });
}
