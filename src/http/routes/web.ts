/**
 * The browser pages: the dashboard at `/` and the hosted viewer at `/viewer`, built into dist/web
 * by scripts/build-web.mjs. Everything is read into memory once (a few hundred kB at most), with
 * the gzipped copy the build wrote beside each text file, so serving a page costs no disk access
 * and starting the server compresses nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../domain/errors.js';
import { sendError } from '../envelope.js';

interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer | null;
  readonly type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Where `npm run build` puts the pages: <package root>/dist/web, from src/ (tsx) or dist/ alike. */
export function defaultWebDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dir, 'dist', 'web');
}

/** The suffix of the gzipped copy `npm run build` writes beside a text file. */
const GZIP_SUFFIX = '.gz';

function load(path: string): Asset {
  const body = readFileSync(path);
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  let gzip: Buffer | null = null;
  if (existsSync(path + GZIP_SUFFIX)) {
    gzip = readFileSync(path + GZIP_SUFFIX);
  } else if (type.startsWith('text/') || type.startsWith('application/json')) {
    // Pages not built by the build script (a hand-made folder): compressed here, once.
    // Compressing only pays off for text of some size; images are compressed already.
    gzip = gzipSync(body, { level: 9 });
  }
  return { body, gzip: gzip && gzip.length < body.length ? gzip : null, type };
}

/** The files of a built folder, without the gzipped copies (served in place of their originals). */
const servedFiles = (dir: string) => readdirSync(dir).filter((name) => !name.endsWith(GZIP_SUFFIX));

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, cacheControl: string) {
  reply.header('content-type', asset.type).header('cache-control', cacheControl).header('vary', 'accept-encoding');
  reply.header('x-content-type-options', 'nosniff');
  const accepts = String(req.headers['accept-encoding'] ?? '');
  if (asset.gzip && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}

/** Page security: scripts and styles only from this origin; media and API calls to anywhere. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob: https: http:; " +
  "connect-src 'self' https: http: wss: ws:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'";

export function webRoutes(app: FastifyInstance, webDir: string = defaultWebDir()): void {
  const pages = new Map<string, Asset>();
  const assets = new Map<string, Asset>();
  if (existsSync(webDir)) {
    for (const name of servedFiles(webDir)) {
      if (name.endsWith('.html')) pages.set(name.slice(0, -'.html'.length), load(join(webDir, name)));
    }
    const assetDir = join(webDir, 'assets');
    if (existsSync(assetDir)) for (const name of servedFiles(assetDir)) assets.set(name, load(join(assetDir, name)));
  }

  const page = (name: string) => (req: FastifyRequest, reply: FastifyReply) => {
    const asset = pages.get(name);
    if (!asset) {
      return sendError(
        reply,
        new AppError('NOT_FOUND', `The ${name} page is not built: run \`npm run build\` (it runs on npm install)`),
      );
    }
    reply.header('content-security-policy', PAGE_CSP).header('referrer-policy', 'no-referrer');
    // The token in a viewer link must not leak to other sites through the Referer header.
    return send(req, reply, asset, 'no-cache');
  };

  app.get('/', { schema: { hide: true } }, page('dashboard'));
  app.get('/viewer', { schema: { hide: true } }, page('viewer'));
  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, (req, reply) => {
    const asset = assets.get(req.params.name);
    if (!asset) return sendError(reply, new AppError('NOT_FOUND', `Asset ${req.params.name} not found`));
    // Names carry a content hash: a changed file is a new name, so an old one may be kept forever.
    return send(req, reply, asset, 'public, max-age=31536000, immutable');
  });
}
