import type { IncomingHttpHeaders } from 'node:http';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../../config.js';
import type { AccessService, PublishDecision, Requester, SubscribeDecision } from '../../domain/access.js';
import { type Denied, deny } from '../../domain/denials.js';
import { andThen, type MaybePromise } from '../../domain/maybe-promise.js';
import type { Account } from '../../domain/model.js';
import type { JwtSigner } from '../../domain/signer.js';
import { bearerOf } from '../auth.js';
import type { ClientIpResolver } from '../client-ip.js';
import { type FailBody, ok } from '../envelope.js';
import { replayPreread } from '../preread.js';
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

/** A refusal in the fail envelope with its exact message and machine code. */
export function deniedBody(d: Denied): FailBody {
  return { status: 'fail', data: { message: d.message, code: d.code } };
}

/** A refusal as a director answer. */
const refused = (d: Denied): DirectorAnswer => ({ status: d.status, body: deniedBody(d) });

/** Renders a refusal in the fail envelope with its exact message and machine code. */
export function sendDenied(reply: FastifyReply, d: Denied): FastifyReply {
  return reply.code(d.status).send(deniedBody(d));
}

/** A director answer, rendered alike by the Fastify routes and the node:http fast path. */
export interface DirectorAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** What a director request carries, from whichever server read it. */
export interface DirectorRequest {
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

export type PublishBody = Static<typeof DirectorPublishBody>;
export type SubscribeBody = Static<typeof DirectorSubscribeBody>;

export interface DirectorDeps {
  readonly access: AccessService;
  readonly signer: JwtSigner;
  readonly config: Config;
  readonly clientIp: ClientIpResolver;
  readonly now: () => number;
}

/** Who is asking, from the socket (or trusted proxies) and the Origin header. */
export function requester(req: DirectorRequest, clientIp: ClientIpResolver): Requester {
  const origin = req.headers.origin;
  return {
    ip: clientIp.resolve(req.socket.remoteAddress, req.headers),
    origin: typeof origin === 'string' ? origin : undefined,
    checkOrigin: true,
  };
}

/** A URL template split at its placeholders: literal text, then placeholder, alternately. */
type CompiledTemplate = readonly string[];
const compiledTemplates = new WeakMap<readonly string[], readonly CompiledTemplate[]>();
const PLACEHOLDER = /(\{streamAccountId\}|\{streamName\})/;

/** The URLs of `templates` for one stream, placeholders filled in (URL-encoded). */
export function fill(templates: readonly string[], account: Account, streamName: string): string[] {
  let compiled = compiledTemplates.get(templates);
  if (!compiled) {
    compiled = templates.map((t) => t.split(PLACEHOLDER));
    compiledTemplates.set(templates, compiled);
  }
  const accountId = encodeURIComponent(account.streamAccountId);
  const name = encodeURIComponent(streamName);
  return compiled.map((parts) => {
    let url = parts[0] as string;
    for (let i = 1; i < parts.length; i += 2) {
      url += (parts[i] === '{streamName}' ? name : accountId) + (parts[i + 1] as string);
    }
    return url;
  });
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
  // Optional members are added to a literal rather than spread in: objects of one fixed shape
  // keep JSON.stringify (run on every signature) on its fast path.
  const streaming: Record<string, unknown> = {
    role: input.role,
    streamAccountId: input.account.streamAccountId,
    streamName: input.streamName,
    streamId,
    tokenId: input.tokenId,
    clientIp: input.clientIp,
  };
  if (input.trackingId) streaming.trackingId = input.trackingId;
  if (input.customViewerData) streaming.customViewerData = input.customViewerData;
  return {
    iss: deps.config.publicUrl,
    sub: streamId,
    iat,
    exp: iat + deps.config.jwtTtlSeconds,
    streaming,
    // MediaMTX `authMethod: jwt` reads its permissions from this claim.
    mediamtx_permissions: [{ action: input.role === 'publish' ? 'publish' : 'read', path: input.streamName }],
  };
}

/**
 * POST /api/director/publish on a body that passed DirectorPublishBody. Answers without a
 * promise when the decision was made without one (see AccessService.authorizePublish).
 */
export function directorPublish(
  deps: DirectorDeps,
  req: DirectorRequest,
  body: PublishBody,
): MaybePromise<DirectorAnswer> {
  const who = requester(req, deps.clientIp);
  const decision = deps.access.authorizePublish({
    credential: bearerOf(req.headers),
    streamName: body.streamName,
    sourceId: body.sourceId ?? null,
    who,
  });
  return andThen(decision, (d) => publishAnswer(deps, body, who, d));
}

function publishAnswer(
  deps: DirectorDeps,
  body: PublishBody,
  who: Requester,
  decision: PublishDecision,
): DirectorAnswer {
  if (!decision.allowed) return refused(decision);
  const { account, token } = decision;
  if (body.streamAccountId && body.streamAccountId !== account.streamAccountId) {
    return refused(deny('STREAM_NAME_NOT_ALLOWED'));
  }
  const jwt = deps.signer.sign(
    directorClaims(deps, {
      role: 'publish',
      account,
      streamName: body.streamName,
      tokenId: token.id,
      clientIp: who.ip,
    }),
  );
  return {
    status: 200,
    body: ok({
      urls: fill(deps.config.publishUrls, account, body.streamName),
      jwt,
      streamAccountId: account.streamAccountId,
      subscribeRequiresAuth: token.subscribeRequiresAuth,
    }),
  };
}

/** POST /api/director/subscribe on a body that passed DirectorSubscribeBody (without a promise when it can). */
export function directorSubscribe(
  deps: DirectorDeps,
  req: DirectorRequest,
  body: SubscribeBody,
): MaybePromise<DirectorAnswer> {
  const who = requester(req, deps.clientIp);
  const decision = deps.access.authorizeSubscribe({
    streamAccountId: body.streamAccountId ?? null,
    streamName: body.streamName,
    credential: bearerOf(req.headers),
    who,
  });
  return andThen(decision, (d) => subscribeAnswer(deps, body, who, d));
}

function subscribeAnswer(
  deps: DirectorDeps,
  body: SubscribeBody,
  who: Requester,
  decision: SubscribeDecision,
): DirectorAnswer {
  if (!decision.allowed) return refused(decision);
  const jwt = deps.signer.sign(
    directorClaims(deps, {
      role: 'subscribe',
      account: decision.account,
      streamName: body.streamName,
      tokenId: decision.tokenId,
      clientIp: who.ip,
      trackingId: decision.trackingId,
      customViewerData: decision.customViewerData,
    }),
  );
  return {
    status: 200,
    body: ok({
      urls: fill(deps.config.subscribeUrls, decision.account, body.streamName),
      jwt,
      streamAccountId: decision.account.streamAccountId,
    }),
  };
}

export function directorRoutes(app: FastifyInstance, deps: DirectorDeps): void {
  const tags = ['Director'];

  app.post<{ Body: PublishBody }>('/api/director/publish', {
    preParsing: replayPreread,
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
      const answer = await directorPublish(deps, req, req.body);
      return reply.code(answer.status).send(answer.body);
    },
  });

  app.post<{ Body: SubscribeBody }>('/api/director/subscribe', {
    preParsing: replayPreread,
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
      const answer = await directorSubscribe(deps, req, req.body);
      return reply.code(answer.status).send(answer.body);
    },
  });

  app.get('/.well-known/jwks.json', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return deps.signer.jwks();
  });
}
