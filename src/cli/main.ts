import { Command, Option } from 'commander';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { type Config, ConfigError, type ConfigOverrides, loadConfig } from '../config.js';
import { AccountService, apiSecretView } from '../domain/accounts.js';
import { AppError } from '../domain/errors.js';
import { openStore } from '../store/open.js';
import { PgEventBus } from '../store/postgres/pg-event-bus.js';
import { PgStore } from '../store/postgres/pg-store.js';
import type { Store } from '../store/store.js';
import { registerRemoteCommands } from './remote-commands.js';
import { registerSignCommand } from './sign-command.js';

/** Prints a result as JSON (--json) or as `key: value` lines for people. */
export function print(value: unknown, json: boolean): void {
  if (json || typeof value !== 'object' || value === null) {
    process.stdout.write(`${JSON.stringify(value, null, json ? 0 : 2)}\n`);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    process.stdout.write(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
  }
}

function fail(message: string): never {
  process.stderr.write(`streamgate: ${message}\n`);
  process.exit(1);
}

const dbOption = () =>
  new Option('--database-url <url>', "'sqlite:<path>' or 'postgres://...' (env STREAMGATE_DATABASE_URL)");

async function withStore<T>(flags: ConfigOverrides, fn: (s: Awaited<ReturnType<typeof openStore>>) => Promise<T>) {
  const config = loadConfig(process.env, flags);
  const store = await openStore(config.databaseUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Listens, and shuts down gracefully on SIGTERM/SIGINT (the app's onClose closes the event bus). */
async function serve(app: FastifyInstance, store: Store, config: Config): Promise<void> {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // close() stops accepting and waits for in-flight requests before resolving.
    await app.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
}

export function buildProgram(): Command {
  const program = new Command('streamgate')
    .description('Self-hosted access control for live streaming (Millicast-compatible token API)')
    .showHelpAfterError();

  program
    .command('serve')
    .description('run the HTTP server')
    .option('-p, --port <port>', 'HTTP port (env STREAMGATE_PORT, default 8080)')
    .option('--host <host>', 'listen address (env STREAMGATE_HOST, default 0.0.0.0)')
    .addOption(dbOption())
    .option('--trusted-proxies <cidrs>', 'comma-separated CIDRs whose X-Forwarded-For is believed')
    .option('--client-ip-header <name>', 'x-forwarded-for|forwarded|x-real-ip (env STREAMGATE_CLIENT_IP_HEADER)')
    .option('--public-url <url>', 'base of URLs handed to clients (env STREAMGATE_PUBLIC_URL)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace (env STREAMGATE_LOG_LEVEL)')
    .action(async (flags: ConfigOverrides) => {
      const config = loadConfig(process.env, flags);
      const store = await openStore(config.databaseUrl, { server: true });
      // Several nodes on one PostgreSQL: stream events reach the viewers of every node.
      if (store instanceof PgStore) {
        const pool = store.pool;
        let log: Pick<FastifyBaseLogger, 'warn' | 'info' | 'error'> | null = null;
        const bus = new PgEventBus(config.databaseUrl, {
          notify: (sql, values) => pool.query(sql, values),
          onConnectionError: (err) => log?.warn({ err }, 'stream event bus: connection to PostgreSQL lost, retrying'),
          onListening: ({ reconnected }) => {
            if (reconnected) log?.info('stream event bus: listening again');
          },
          onInvalidMessage: () => log?.warn('stream event bus: dropped a malformed notification'),
          onListenerError: (err) => log?.error({ err }, 'stream event listener failed'),
        });
        try {
          await bus.start();
        } catch (err) {
          await store.close().catch(() => {});
          throw new Error(
            `cannot listen for stream events on PostgreSQL at ${store.target}: ${(err as Error).message}`,
          );
        }
        const app = await buildApp({ store, config, bus });
        log = app.log;
        return serve(app, store, config);
      }
      const app = await buildApp({ store, config });
      return serve(app, store, config);
    });

  const account = program.command('account').description('manage accounts (directly on the database)');
  account
    .command('create')
    .description('create an account and print its id, streamAccountId and first API secret')
    .requiredOption('--name <name>', 'account name')
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { name: string; databaseUrl?: string; json?: boolean }) => {
      await withStore(opts, async (store) => {
        const { account: acct, secret } = await new AccountService(store).createAccount(opts.name);
        print(
          { id: acct.id, streamAccountId: acct.streamAccountId, name: acct.name, apiSecret: secret.value },
          opts.json === true,
        );
      });
    });
  account
    .command('list')
    .description('list accounts')
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { databaseUrl?: string; json?: boolean }) => {
      await withStore(opts, async (store) => {
        const rows = (await store.listAccounts()).map((a) => ({
          id: a.id,
          streamAccountId: a.streamAccountId,
          name: a.name,
          createdOn: new Date(a.createdOn).toISOString(),
        }));
        if (opts.json) print(rows, true);
        else for (const r of rows) process.stdout.write(`${r.id}\t${r.streamAccountId}\t${r.name}\n`);
      });
    });
  account
    .command('secret')
    .description('issue a new API secret for an account (recovery when its last secret was deleted)')
    .requiredOption('--stream-account-id <id>', "the account's streamAccountId")
    .option('--label <label>', 'label of the new secret', 'recovery')
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { streamAccountId: string; label: string; databaseUrl?: string; json?: boolean }) => {
      await withStore(opts, async (store) => {
        const acct = await store.getAccountByStreamAccountId(opts.streamAccountId);
        if (!acct) fail(`no account with streamAccountId '${opts.streamAccountId}'`);
        const issued = await new AccountService(store).createSecret(acct.id, opts.label);
        print({ ...apiSecretView(issued.record), secret: issued.value }, opts.json === true);
      });
    });

  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending schema migrations')
    .addOption(dbOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { databaseUrl?: string; json?: boolean }) => {
      await withStore(opts, async (store) => print({ migrated: true, database: store.kind }, opts.json === true));
    });

  registerRemoteCommands(program);
  registerSignCommand(program);
  return program;
}

export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof AppError) fail(err.message);
    fail(err instanceof Error ? err.message : String(err));
  }
}

await runCli(process.argv);
