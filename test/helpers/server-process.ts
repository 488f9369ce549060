import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
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

/**
 * The TCP port a process listens on, read from Linux's /proc: the process's socket inodes, then
 * the listening (state 0A) entry among them. undefined while it listens on nothing yet.
 */
export function listeningPort(pid: number): number | undefined {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined; // gone, or not started yet
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed while we looked
    }
  }
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && inodes.has(cols[9] as string)) {
        return Number.parseInt((cols[1] as string).split(':')[1] as string, 16);
      }
    }
  }
  return undefined;
}

/**
 * Starts `streamgate serve` as a real process on loopback and waits for /readyz.
 *
 * Unless the caller names a port, the server binds port 0 and the port is read from the
 * process's own listening socket. A port picked beforehand and bound later could be taken in
 * between (by another test file's server, or as the local port of an outgoing connection),
 * failing the start or, worse, pointing the test at somebody else's server.
 */
export async function startServer(options: { databaseUrl?: string; env?: Record<string, string> } = {}) {
  const dir = options.databaseUrl ? null : mkdtempSync(join(tmpdir(), 'streamgate-proc-'));
  const databaseUrl = options.databaseUrl ?? `sqlite:${join(dir as string, 'db.sqlite')}`;
  const env = {
    ...process.env,
    STREAMGATE_PORT: '0',
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
  const fixedPort = env.STREAMGATE_PORT === '0' ? undefined : Number(env.STREAMGATE_PORT);
  let port = fixedPort;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}): ${output}`);
    port ??= listeningPort(child.pid as number);
    if (port !== undefined) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `http://127.0.0.1:${port}`;
  const stop = (signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<number | null>((res) => {
      if (child.exitCode !== null) return res(child.exitCode);
      child.once('exit', (code) => res(code));
      child.kill(signal);
    });
  const server: ServerProcess = {
    url,
    port: port as number,
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
