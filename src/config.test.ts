import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactUrl } from './app.js';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults', () => {
    assert.deepEqual(loadConfig({}), {
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: 'sqlite:./data/streamgate.db',
      trustedProxies: [],
      clientIpHeader: 'x-forwarded-for',
      publicUrl: 'http://localhost:8080',
      logLevel: 'info',
      publishUrls: ['rtmp://localhost:1935/live/{streamName}'],
      subscribeUrls: ['http://localhost:8080/hls/{streamName}/index.m3u8'],
      jwtTtlSeconds: 60,
      liveLeaseSeconds: 60,
      hooksSecret: null,
    });
  });
  it('environment, then flags over environment', () => {
    const env = {
      STREAMGATE_PORT: '9000',
      STREAMGATE_HOST: '127.0.0.1',
      STREAMGATE_DATABASE_URL: 'sqlite:/tmp/x.db',
      STREAMGATE_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      STREAMGATE_PUBLIC_URL: 'https://sg.example.com/',
    };
    const c = loadConfig(env);
    assert.deepEqual(
      [c.port, c.host, c.databaseUrl, c.trustedProxies, c.publicUrl],
      [9000, '127.0.0.1', 'sqlite:/tmp/x.db', ['10.0.0.0/8', '::1'], 'https://sg.example.com'],
    );
    assert.equal(loadConfig(env, { port: '9100' }).port, 9100);
    assert.ok(Object.isFrozen(c));
    assert.deepEqual(
      loadConfig({ STREAMGATE_PUBLISH_URLS: 'rtmp://m1/live/{streamName}, srt://m2:9000?streamid={streamName}' })
        .publishUrls,
      ['rtmp://m1/live/{streamName}', 'srt://m2:9000?streamid={streamName}'],
    );
  });
  it('rejects bad values with the variable named', () => {
    assert.throws(
      () => loadConfig({ STREAMGATE_PORT: 'eighty' }),
      (e: Error) => e instanceof ConfigError && /STREAMGATE_PORT/.test(e.message),
    );
    assert.throws(() => loadConfig({ STREAMGATE_DATABASE_URL: 'mysql://x' }), /STREAMGATE_DATABASE_URL/);
    assert.throws(() => loadConfig({ STREAMGATE_TRUSTED_PROXIES: '10.0.0.*' }), /STREAMGATE_TRUSTED_PROXIES/);
    assert.throws(() => loadConfig({ STREAMGATE_PUBLIC_URL: 'not a url' }), /STREAMGATE_PUBLIC_URL/);
    assert.throws(() => loadConfig({ STREAMGATE_JWT_TTL: '0' }), /STREAMGATE_JWT_TTL must be an integer 1-86400/);
    assert.throws(() => loadConfig({ STREAMGATE_LIVE_LEASE: 'x' }), /STREAMGATE_LIVE_LEASE/);
    assert.throws(() => loadConfig({ STREAMGATE_PUBLISH_URLS: 'nope' }), /STREAMGATE_PUBLISH_URLS: 'nope'/);
  });
  it('client IP header: x-forwarded-for by default, one of three, case-insensitive, flag over env', () => {
    assert.equal(loadConfig({ STREAMGATE_CLIENT_IP_HEADER: '' }).clientIpHeader, 'x-forwarded-for');
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip'] as const) {
      assert.equal(loadConfig({ STREAMGATE_CLIENT_IP_HEADER: header }).clientIpHeader, header);
    }
    assert.equal(loadConfig({ STREAMGATE_CLIENT_IP_HEADER: ' X-Real-IP ' }).clientIpHeader, 'x-real-ip');
    assert.equal(
      loadConfig({ STREAMGATE_CLIENT_IP_HEADER: 'x-real-ip' }, { clientIpHeader: 'Forwarded' }).clientIpHeader,
      'forwarded',
    );
    for (const bad of ['x-forwarded-host', 'cf-connecting-ip', 'forwarded,x-real-ip']) {
      assert.throws(
        () => loadConfig({ STREAMGATE_CLIENT_IP_HEADER: bad }),
        (e: Error) =>
          e instanceof ConfigError &&
          e.message ===
            `STREAMGATE_CLIENT_IP_HEADER must be one of x-forwarded-for, forwarded, x-real-ip, got '${bad}'`,
      );
    }
    assert.throws(() => loadConfig({}, { clientIpHeader: 'via' }), /STREAMGATE_CLIENT_IP_HEADER .*got 'via'/);
  });
});

describe('redactUrl', () => {
  it('masks credentials in query strings', () => {
    assert.equal(redactUrl('/hooks/x?name=a&token=abc123&b=1'), '/hooks/x?name=a&token=[redacted]&b=1');
    assert.equal(redactUrl('/ws/events?jwt=e.y.j'), '/ws/events?jwt=[redacted]');
    assert.equal(redactUrl('/api/publish_token/1'), '/api/publish_token/1');
  });
});
