import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/cli/main.ts');

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Runs the CLI (from source, through tsx) to completion. */
export function runCli(args: readonly string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly databaseUrl: string;
  readonly child: ChildProcess;
  /** Creates an account through the CLI, as an operator would. */
  createAccount(name: string): { id: number; streamAccountId: string; apiSecret: string };
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the server and deletes its temporary database (unless one was given). */
  dispose(): Promise<void>;
}

/** Starts `streamgate serve` as a real process on a free loopback port and waits for /readyz. */
export async function startServer(options: { databaseUrl?: string; env?: Record<string, string> } = {}) {
  const dir = options.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'streamgate-proc-'));
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(dir as string, 'db.sqlite')}`;
  const port = await freePort();
  const env = {
    ...process.env,
    STREAMGATE_PORT: String(port),
    STREAMGATE_HOST: '127.0.0.1',
    STREAMGATE_DATABASE_URL: databaseUrl,
    STREAMGATE_LOG_LEVEL: 'warn',
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], { cwd: ROOT, env, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${output}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<number | null>((res) => {
      if (child.exitCode !== null) return res(child.exitCode);
      child.once('exit', (code) => res(code));
      child.kill(signal);
    });
  const server: ServerProcess = {
    url,
    port,
    databaseUrl,
    child,
    createAccount(name) {
      const r = runCli(['account', 'create', '--name', name, '--json'], { STREAMGATE_DATABASE_URL: databaseUrl });
      if (r.status !== 0) throw new Error(`account create failed: ${r.stderr}`);
      return JSON.parse(r.stdout);
    },
    stop,
    async dispose() {
      await stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
