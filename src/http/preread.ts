import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import type { preParsingHookHandler, RequestPayload } from 'fastify';

/** The body a request had already had read (by the director fast path) when Fastify got it. */
export const PREREAD = Symbol('streamgate.preread');
export type Preread = IncomingMessage & { [PREREAD]?: Buffer };

/**
 * preParsing hook of the routes the fast path may hand on: a request whose body was read
 * before Fastify saw it gets that body back as the payload Fastify parses and checks.
 */
export const replayPreread: preParsingHookHandler = (req, _reply, payload, done) => {
  const raw = (req.raw as Preread)[PREREAD];
  if (raw === undefined) {
    done(null, payload);
    return;
  }
  const replay = new PassThrough();
  replay.end(raw);
  done(null, Object.assign(replay, { receivedEncodedLength: raw.length }) satisfies RequestPayload);
};
