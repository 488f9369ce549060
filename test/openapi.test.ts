import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestApp, testApp } from './helpers/app.js';

describe('OpenAPI document and docs', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('/openapi.json is generated from the route schemas', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.0.3');
    for (const path of [
      '/api/publish_token',
      '/api/publish_token/{tokenId}',
      '/api/v2/publish_token/{tokenId}',
      '/api/publish_token/list',
      '/api/publish_token/list_by_name',
      '/api/publish_token/disable',
      '/api/subscribe_token',
      '/api/subscribe_token/{tokenId}',
      '/api/v2/subscribe_token/{tokenId}',
      '/api/api_secret',
      '/api/api_secret/{secretId}/refresh',
    ]) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    const create = doc.paths['/api/publish_token'].post;
    const schema = create.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required, ['label', 'streams']);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.properties.expires.maximum, 2147483647);
    assert.equal(schema.properties.expires.nullable, true);
    const v1 = doc.paths['/api/publish_token/{tokenId}'].put.requestBody.content['application/json'].schema;
    assert.ok(v1.properties.updateAllowedOrigins && v1.properties.allowedOrigins);
    const v2 = doc.paths['/api/v2/publish_token/{tokenId}'].put.requestBody.content['application/json'].schema;
    assert.equal(v2.properties.updateAllowedOrigins, undefined);
    assert.deepEqual(doc.components.securitySchemes.ApiSecret, {
      type: 'http',
      scheme: 'bearer',
      description: 'An API secret of the account',
    });
  });

  it('/docs serves the interactive documentation', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /text\/html/);
    assert.match(res.body, /swagger/i);
  });

  it('/healthz and /readyz', async () => {
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    assert.deepEqual((await t.app.inject({ method: 'GET', url: '/readyz' })).json(), {
      status: 'ok',
      database: 'sqlite',
    });
    await t.store.close();
    const down = await t.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(down.statusCode, 503);
    assert.deepEqual(down.json(), { status: 'error', message: 'Database unavailable', code: 503, data: null });
  });
});
