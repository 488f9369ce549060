import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { webRoutes } from '../src/http/routes/web.js';

describe('built pages and assets', () => {
  let dir: string;
  let app: FastifyInstance;
  const js = `console.log(${JSON.stringify('x'.repeat(4000))});`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sg-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'dashboard.html'), '<!doctype html><title>Dashboard</title>');
    writeFileSync(join(dir, 'assets', 'dashboard-ABC123.js'), js);
    writeFileSync(join(dir, 'assets', 'dashboard-ABC123.css'), 'body{margin:0}');
    app = Fastify();
    webRoutes(app, dir);
    await app.ready();
  });

  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the dashboard at / uncached, with a same-origin-only script policy', async () => {
    const r = await app.inject({ url: '/' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.body, '<!doctype html><title>Dashboard</title>');
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.match(String(r.headers['content-security-policy']), /script-src 'self';/);
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
  });

  it('serves hashed assets as immutable, gzipped when the browser accepts it', async () => {
    const plain = await app.inject({ url: '/assets/dashboard-ABC123.js' });
    assert.equal(plain.statusCode, 200);
    assert.equal(plain.body, js);
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['content-encoding'], undefined);

    const zipped = await app.inject({ url: '/assets/dashboard-ABC123.js', headers: { 'accept-encoding': 'br, gzip' } });
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.equal(zipped.headers.vary, 'accept-encoding');
    assert.ok(
      zipped.rawPayload.length < js.length / 10,
      `gzip shrinks a repetitive file (${zipped.rawPayload.length})`,
    );
    assert.equal(gunzipSync(zipped.rawPayload).toString('utf8'), js);

    const css = await app.inject({ url: '/assets/dashboard-ABC123.css' });
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  });

  it('sends the gzipped copy the build wrote beside a file, which is not an asset of its own', async () => {
    const built = mkdtempSync(join(tmpdir(), 'sg-web-built-'));
    try {
      mkdirSync(join(built, 'assets'));
      const body = `export const v = ${JSON.stringify('y'.repeat(3000))};`;
      // A fast level, unlike the server's own level 9: the bytes sent show which copy was used.
      const prebuilt = gzipSync(body, { level: 1 });
      assert.notDeepEqual(prebuilt, gzipSync(body, { level: 9 }));
      writeFileSync(join(built, 'assets', 'viewer-XYZ.js'), body);
      writeFileSync(join(built, 'assets', 'viewer-XYZ.js.gz'), prebuilt);
      const web = Fastify();
      webRoutes(web, built);
      try {
        const zipped = await web.inject({ url: '/assets/viewer-XYZ.js', headers: { 'accept-encoding': 'gzip' } });
        assert.equal(zipped.headers['content-encoding'], 'gzip');
        assert.deepEqual(zipped.rawPayload, prebuilt);
        assert.equal(gunzipSync(zipped.rawPayload).toString('utf8'), body);
        const plain = await web.inject({ url: '/assets/viewer-XYZ.js' });
        assert.equal(plain.body, body);
        const copy = await web.inject({ url: '/assets/viewer-XYZ.js.gz' });
        assert.equal(copy.statusCode, 404);
      } finally {
        await web.close();
      }
    } finally {
      rmSync(built, { recursive: true, force: true });
    }
  });

  it('answers 404 with the envelope for an unknown asset, and never reads outside the assets folder', async () => {
    const missing = await app.inject({ url: '/assets/nope.js' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().data.code, 'NOT_FOUND');
    const outside = await app.inject({ url: '/assets/..%2Fdashboard.html' });
    assert.equal(outside.statusCode, 404);
  });

  it('says how to build a page that is not built', async () => {
    const r = await app.inject({ url: '/viewer' });
    assert.equal(r.statusCode, 404);
    assert.match(r.json().data.message, /The viewer page is not built: run `npm run build`/);
  });
});
