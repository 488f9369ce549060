import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { MaybePromise } from '../domain/maybe-promise.js';
import { renderThrown } from './envelope.js';
import { parseJsonBody } from './json-body.js';
import { PREREAD, type Preread } from './preread.js';
import {
  type DirectorAnswer,
  type DirectorDeps,
  DirectorPublishBody,
  type DirectorRequest,
  DirectorSubscribeBody,
  directorPublish,
  directorSubscribe,
  type PublishBody,
  type SubscribeBody,
} from './routes/director.js';
import { validatorCompiler } from './validation.js';

/** Bodies larger than this (or of unknown length) go through Fastify, which enforces the real limit. */
const FAST_BODY_LIMIT = 16 * 1024;

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

type Route<B> = {
  readonly validate: (data: unknown) => boolean;
  readonly answer: (deps: DirectorDeps, req: DirectorRequest, body: B) => MaybePromise<DirectorAnswer>;
};

function route<B>(
  schema: object,
  answer: (deps: DirectorDeps, req: DirectorRequest, body: B) => MaybePromise<DirectorAnswer>,
): Route<B> {
  // The very validator Fastify compiles for the route, so both paths accept the same bodies.
  return { validate: validatorCompiler({ schema, httpPart: 'body' }), answer };
}

const PUBLISH = route<PublishBody>(DirectorPublishBody, directorPublish);
const SUBSCRIBE = route<SubscribeBody>(DirectorSubscribeBody, directorSubscribe);

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The director endpoints on `node:http`, ahead of Fastify's request pipeline: the two most
 * frequent calls of a streaming platform skip routing, hooks and schema serialization, and run
 * the same answer functions as the Fastify routes (`directorPublish`, `directorSubscribe`).
 *
 * Only a well-formed request is answered here: POST to the exact path, a JSON body of known
 * length up to 16 kB that parses and passes the route's own validator. Anything else (a bad
 * body, another content type, chunked or compressed bodies, a server that is closing) is handed
 * to Fastify untouched or, once its body has been read, with that body replayed, so every
 * error answer comes from the one place that renders them. Answers carry the same headers as
 * Fastify's (x-request-id, taken from the request when it sends one) and are logged alike.
 */
export class DirectorFastPath {
  #closing = false;

  constructor(
    private readonly deps: DirectorDeps,
    private readonly log: FastifyBaseLogger,
    private readonly newRequestId: () => string,
  ) {}

  /** Whether Fastify would log this request's lines (a disabled logger has no levels at all). */
  #logsRequests(): boolean {
    const pino = this.log as { isLevelEnabled?: (level: string) => boolean };
    return pino.isLevelEnabled?.('info') === true;
  }

  /** From now on every request goes to Fastify (which answers 503 while it closes). */
  close(): void {
    this.#closing = true;
  }

  /** A request handler that takes director calls and passes the rest to `next` (Fastify's). */
  handler(next: NodeHandler): NodeHandler {
    return (req, res) => {
      if (!this.#take(req, res, next)) next(req, res);
    };
  }

  #take(req: IncomingMessage, res: ServerResponse, next: NodeHandler): boolean {
    if (req.method !== 'POST' || this.#closing) return false;
    const target =
      req.url === '/api/director/publish' ? PUBLISH : req.url === '/api/director/subscribe' ? SUBSCRIBE : null;
    if (!target) return false;
    const h = req.headers;
    const length = h['content-length'];
    if (
      length === undefined ||
      !(Number(length) <= FAST_BODY_LIMIT) ||
      h['transfer-encoding'] !== undefined ||
      h['content-encoding'] !== undefined ||
      !JSON_TYPE.test(h['content-type'] ?? '')
    ) {
      return false;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => {
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      this.#serve(req, res, next, target as Route<unknown>, raw);
    });
    // An aborted upload: nobody is left to answer.
    req.once('error', () => {});
    return true;
  }

  #serve(req: IncomingMessage, res: ServerResponse, next: NodeHandler, target: Route<unknown>, raw: Buffer): void {
    let body: unknown;
    try {
      body = parseJsonBody(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (body === undefined || !target.validate(body)) {
      (req as Preread)[PREREAD] = raw;
      next(req, res);
      return;
    }
    const header = req.headers['x-request-id'];
    const id = typeof header === 'string' && header !== '' ? header : this.newRequestId();
    const log = this.#logsRequests() ? this.log.child({ reqId: id }) : null;
    const started = log ? performance.now() : 0;
    log?.info({ req: { method: req.method, url: req.url, ip: req.socket.remoteAddress } }, 'incoming request');
    let answer: MaybePromise<DirectorAnswer>;
    try {
      answer = target.answer(this.deps, req, body);
    } catch (err) {
      // A store that reads synchronously fails synchronously.
      answer = renderThrown(err, log ?? this.log);
    }
    if (answer instanceof Promise) {
      answer.then(
        (a) => this.#send(res, id, a, log, started),
        (err: unknown) => this.#send(res, id, renderThrown(err, log ?? this.log), log, started),
      );
    } else {
      this.#send(res, id, answer, log, started);
    }
  }

  #send(
    res: ServerResponse,
    id: string,
    answer: { status: number; body: unknown },
    log: FastifyBaseLogger | null,
    started: number,
  ): void {
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'x-request-id': id,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    log?.info({ res: { statusCode: answer.status }, responseTime: performance.now() - started }, 'request completed');
  }
}
