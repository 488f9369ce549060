import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { AccountService } from '../../src/domain/accounts.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export interface TestAccount {
  readonly id: number;
  readonly streamAccountId: string;
  readonly secret: string;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly store: SqliteStore;
  readonly dbPath: string;
  readonly config: Config;
  /** Creates an account with one API secret, directly in the store. */
  account(name?: string): Promise<TestAccount>;
  /** app.inject with `Authorization: Bearer <secret>` and a JSON body, returning the parsed answer. */
  call(
    secret: string | null,
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A fresh app on its own temporary SQLite file; `now` lets a test move the clock. */
export async function testApp(
  options: { now?: () => number; dbPath?: string; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const dir = options.dbPath ? null : mkdtempSync(join(tmpdir(), 'streamgate-test-'));
  const dbPath = options.dbPath ?? join(dir as string, 'test.db');
  const config = loadConfig({ ...options.env, STREAMGATE_DATABASE_URL: `sqlite:${dbPath}` });
  const store = new SqliteStore(dbPath, { server: true });
  await store.migrate();
  const app = await buildApp({ store, config, logger: false, now: options.now });
  await app.ready();
  const accounts = new AccountService(store);
  return {
    app,
    store,
    dbPath,
    config,
    async account(name = 'acme') {
      const { account, secret } = await accounts.createAccount(name);
      return { id: account.id, streamAccountId: account.streamAccountId, secret: secret.value };
    },
    async call(secret, method, url, body) {
      const headers: Record<string, string> = {};
      if (secret !== null) headers.authorization = `Bearer ${secret}`;
      const res = await app.inject({
        method,
        url,
        headers,
        ...(body === undefined ? {} : { payload: body as InjectOptions['payload'] }),
      });
      let parsed: unknown = res.body;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        // not JSON: hand back the text
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async close() {
      await app.close();
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
