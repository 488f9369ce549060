import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { AccessService, Requester } from '../../domain/access.js';
import type { Denied } from '../../domain/denials.js';
import type { Account } from '../../domain/model.js';
import type { JwtSigner } from '../../domain/signer.js';
import { bearer } from '../auth.js';
import type { ClientIpResolver } from '../client-ip.js';
import { ok } from '../envelope.js';
import { FailOut, Nullable, success } from '../schemas.js';

const StreamName = Type.String({ minLength: 1, maxLength: 128 });

export const DirectorPublishBody = Type.Object(
  {
    streamName: StreamName,
    streamType: Nullable(
      Type.Unsafe<'WebRtc' | 'Rtmp' | 'Srt' | 'Whip'>({ type: 'string', enum: ['WebRtc', 'Rtmp', 'Srt', 'Whip'] }),
    ),
    streamAccountId: Nullable(Type.String({ maxLength: 64 })),
    sourceId: Nullable(Type.String({ minLength: 1, maxLength: 128, description: 'Source of a multisource stream' })),
  },
  { additionalProperties: false },
);

export const DirectorSubscribeBody = Type.Object(
  {
    streamName: StreamName,
    streamAccountId: Nullable(
      Type.String({ maxLength: 64, description: 'Required without a token (the stream must then be live)' }),
    ),
  },
  { additionalProperties: false },
);

/** Renders a refusal in the fail envelope with its exact message and machine code. */
export function sendDenied(reply: FastifyReply, d: Denied): FastifyReply {
  return reply.code(d.status).send({ status: 'fail', data: { message: d.message, code: d.code } });
}

export interface DirectorDeps {
  readonly access: AccessService;
  readonly signer: JwtSigner;
  readonly config: Config;
  readonly clientIp: ClientIpResolver;
  readonly now: () => number;
}

/** Who is asking, from the socket (or trusted proxies) and the Origin header. */
export function requester(req: FastifyRequest, clientIp: ClientIpResolver): Requester {
  const origin = req.headers.origin;
  return {
    ip: clientIp.resolve(req.socket.remoteAddress, req.headers),
    origin: typeof origin === 'string' ? origin : undefined,
    checkOrigin: true,
  };
}

function fill(templates: readonly string[], account: Account, streamName: string): string[] {
  return templates.map((t) =>
    t
      .replaceAll('{streamAccountId}', encodeURIComponent(account.streamAccountId))
      .replaceAll('{streamName}', encodeURIComponent(streamName)),
  );
}

/** Claims of a director jwt: who may do what on which stream, for media servers to check. */
export function directorClaims(
  deps: Pick<DirectorDeps, 'config' | 'now'>,
  input: {
    role: 'publish' | 'subscribe';
    account: Account;
    streamName: string;
    tokenId: number | null;
    clientIp: string | null;
    trackingId?: string | null;
    customViewerData?: string | null;
  },
): Record<string, unknown> {
  const iat = Math.floor(deps.now() / 1000);
  const streamId = `${input.account.streamAccountId}/${input.streamName}`;
  return {
    iss: deps.config.publicUrl,
    sub: streamId,
    iat,
    exp: iat + deps.config.jwtTtlSeconds,
    streaming: {
      role: input.role,
      streamAccountId: input.account.streamAccountId,
      streamName: input.streamName,
      streamId,
      tokenId: input.tokenId,
      clientIp: input.clientIp,
      ...(input.trackingId ? { trackingId: input.trackingId } : {}),
      ...(input.customViewerData ? { customViewerData: input.customViewerData } : {}),
    },
    // MediaMTX `authMethod: jwt` reads its permissions from this claim.
    mediamtx_permissions: [{ action: input.role === 'publish' ? 'publish' : 'read', path: input.streamName }],
  };
}

export function directorRoutes(app: FastifyInstance, deps: DirectorDeps): void {
  const tags = ['Director'];

  app.post<{ Body: Static<typeof DirectorPublishBody> }>('/api/director/publish', {
    schema: {
      tags,
      summary: 'Authorize a publisher: URLs and a short-lived jwt for the media server',
      description: 'Authorization: Bearer <publish token>.',
      security: [{ PublishToken: [] }],
      body: DirectorPublishBody,
      response: {
        200: success(
          Type.Object({
            urls: Type.Array(Type.String()),
            jwt: Type.String(),
            streamAccountId: Type.String(),
            subscribeRequiresAuth: Type.Boolean(),
          }),
        ),
        400: FailOut,
        401: FailOut,
        409: FailOut,
      },
    },
    handler: async (req, reply) => {
      const who = requester(req, deps.clientIp);
      const decision = await deps.access.authorizePublish({
        credential: bearer(req),
        streamName: req.body.streamName,
        sourceId: req.body.sourceId ?? null,
        who,
      });
      if (!decision.allowed) return sendDenied(reply, decision);
      const { account, token } = decision;
      if (req.body.streamAccountId && req.body.streamAccountId !== account.streamAccountId) {
        return sendDenied(reply, {
          allowed: false,
          code: 'STREAM_NAME_NOT_ALLOWED',
          message: 'StreamName is not valid for token',
          status: 401,
        });
      }
      const jwt = deps.signer.sign(
        directorClaims(deps, {
          role: 'publish',
          account,
          streamName: req.body.streamName,
          tokenId: token.id,
          clientIp: who.ip,
        }),
      );
      return ok({
        urls: fill(deps.config.publishUrls, account, req.body.streamName),
        jwt,
        streamAccountId: account.streamAccountId,
        subscribeRequiresAuth: token.subscribeRequiresAuth,
      });
    },
  });

  app.post<{ Body: Static<typeof DirectorSubscribeBody> }>('/api/director/subscribe', {
    schema: {
      tags,
      summary: 'Authorize a viewer: URLs and a short-lived jwt for the media server',
      description: 'Optional Authorization: Bearer <subscribe token or self-signed subscribe token>.',
      security: [{}, { SubscribeToken: [] }],
      body: DirectorSubscribeBody,
      response: {
        200: success(
          Type.Object({ urls: Type.Array(Type.String()), jwt: Type.String(), streamAccountId: Type.String() }),
        ),
        400: FailOut,
        401: FailOut,
        404: FailOut,
      },
    },
    handler: async (req, reply) => {
      const who = requester(req, deps.clientIp);
      const decision = await deps.access.authorizeSubscribe({
        streamAccountId: req.body.streamAccountId ?? null,
        streamName: req.body.streamName,
        credential: bearer(req),
        who,
      });
      if (!decision.allowed) return sendDenied(reply, decision);
      const jwt = deps.signer.sign(
        directorClaims(deps, {
          role: 'subscribe',
          account: decision.account,
          streamName: req.body.streamName,
          tokenId: decision.tokenId,
          clientIp: who.ip,
          trackingId: decision.trackingId,
          customViewerData: decision.customViewerData,
        }),
      );
      return ok({
        urls: fill(deps.config.subscribeUrls, decision.account, req.body.streamName),
        jwt,
        streamAccountId: decision.account.streamAccountId,
      });
    },
  });

  app.get('/.well-known/jwks.json', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return deps.signer.jwks();
  });
}
