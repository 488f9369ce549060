/**
 * Real media tools for end-to-end tests: nginx with the RTMP module (Debian's nginx +
 * libnginx-mod-rtmp, installed by .ci/run) pointed at a Streamgate server, and ffmpeg as a
 * publisher or a player. Everything listens on loopback ports picked at run time.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server-process.js';

const NGINX = '/usr/sbin/nginx';
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

/** Why the media tools cannot run here, or null when they can. */
export function mediaToolsMissing(): string | null {
  if (!existsSync(NGINX)) return `${NGINX} not installed (apt-get install nginx)`;
  if (!existsSync(RTMP_MODULE)) return `${RTMP_MODULE} not installed (apt-get install libnginx-mod-rtmp)`;
  if (spawnSync('ffmpeg', ['-version']).status !== 0) return 'ffmpeg not installed (apt-get install ffmpeg)';
  return null;
}

export interface Nginx {
  readonly rtmpPort: number;
  readonly httpPort: number;
  readonly dir: string;
  /** nginx's error log so far (hook refusals are logged there). */
  log(): string;
  stop(): Promise<void>;
  /** SIGKILLs the master and its workers: no hook (publish_done, ...) is sent. */
  crash(): Promise<void>;
}

export interface NginxOptions {
  /** Base URL of the Streamgate server the hooks call, e.g. http://127.0.0.1:1234 */
  readonly streamgate: string;
  /** Seconds between on_update calls (nginx-rtmp's notify_update_timeout). */
  readonly updateSeconds?: number;
  /** Extra directives inside `application live { }`. */
  readonly extraApplication?: string;
  /** Extra directives inside the `http { server { } }` block. */
  readonly extraHttpServer?: string;
  /**
   * Serve the application's HLS output over http at `/hls/<streamName>/index.m3u8` (nginx-rtmp
   * `hls_nested on`), every playlist and segment request checked first by Streamgate through
   * `auth_request` to /hooks/hls/auth (the director jwt as `Authorization: Bearer` or `?token=`).
   * CORS is open (`*`, Authorization allowed) so a page on Streamgate's origin can fetch it.
   */
  readonly hls?: HlsOptions | true;
  /** The http port to listen on (default: a free one), e.g. to name it in Streamgate's config first. */
  readonly httpPort?: number;
  /** Streamgate's STREAMGATE_HOOKS_SECRET, put in every callback URL as `?hooks_secret=`. */
  readonly hooksSecret?: string;
}

export interface HlsOptions {
  /** nginx-rtmp `hls_fragment`, seconds (default 1). */
  readonly fragmentSeconds?: number;
  /** nginx-rtmp `hls_playlist_length`, seconds (default 6). */
  readonly playlistSeconds?: number;
}

/** The `rtmp` application directives and the http locations of the `hls` option. */
function hlsConfig(dir: string, streamgate: string, options: HlsOptions): { application: string; http: string } {
  const application = `
      hls on;
      hls_path ${dir}/hls;
      hls_nested on;
      hls_fragment ${options.fragmentSeconds ?? 1}s;
      hls_playlist_length ${options.playlistSeconds ?? 6}s;
      hls_cleanup on;`;
  const cors = `
      add_header Access-Control-Allow-Origin * always;
      add_header Access-Control-Allow-Headers Authorization always;
      add_header Access-Control-Max-Age 600 always;`;
  const http = `
    location = /_streamgate_hls_auth {
      internal;
      proxy_pass ${streamgate}/hooks/hls/auth;
      proxy_method GET;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URI $request_uri;
    }
    location /hls/ {
      # CORS preflights carry no credential: answered before the access phase (auth_request).
      if ($request_method = OPTIONS) {${cors}
        return 204;
      }
      auth_request /_streamgate_hls_auth;
      alias ${dir}/hls/;
      types {
        application/vnd.apple.mpegurl m3u8;
        video/mp2t ts;
      }
      ${cors}
      add_header Cache-Control no-cache always;
      # A player that sends ?token= (no headers: the browser's own HLS) gets it on every segment too.
      sub_filter_types application/vnd.apple.mpegurl;
      sub_filter_once off;
      sub_filter '.ts' '.ts$is_args$args';
    }`;
  return { application, http };
}

async function waitForPort(port: number, child: ChildProcess, describe: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}): ${describe()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts nginx in the foreground with an RTMP application `live` whose hooks call Streamgate. */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'streamgate-nginx-'));
  mkdirSync(join(dir, 'hls'));
  mkdirSync(join(dir, 'logs'));
  const rtmpPort = await freePort();
  const httpPort = options.httpPort ?? (await freePort());
  const hls = options.hls ? hlsConfig(dir, options.streamgate, options.hls === true ? {} : options.hls) : null;
  const secretQuery = options.hooksSecret ? `?hooks_secret=${options.hooksSecret}` : '';
  const hook = (name: string) => `${options.streamgate}/hooks/nginx-rtmp/${name}${secretQuery}`;
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  const conf = `
load_module ${RTMP_MODULE};
${user}
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log info;
events { worker_connections 256; }
rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    chunk_size 4096;
    application live {
      live on;
      record off;
      on_publish ${hook('on_publish')};
      on_play ${hook('on_play')};
      on_publish_done ${hook('on_publish_done')};
      on_play_done ${hook('on_play_done')};
      on_update ${hook('on_update')};
      notify_update_timeout ${options.updateSeconds ?? 2}s;
      ${hls?.application ?? ''}
      ${options.extraApplication ?? ''}
    }
  }
}
http {
  access_log ${dir}/logs/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${httpPort};
    ${hls?.http ?? ''}
    ${options.extraHttpServer ?? ''}
  }
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs/error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const log = () => {
    try {
      return readFileSync(join(dir, 'logs/error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  await waitForPort(rtmpPort, child, () => output + log());
  await waitForPort(httpPort, child, () => output + log());
  return {
    rtmpPort,
    httpPort,
    dir,
    log,
    async crash() {
      if (child.exitCode === null && child.pid) {
        // Master first: a master that outlives its workers respawns them at once (they would be
        // orphaned, keeping the ports). Its workers, listed beforehand, then go the same way.
        const workers = childPids(child.pid);
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        for (const pid of workers) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Direct children of `pid`, read from /proc (procps may not be installed). */
function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The command name in field 2 may hold spaces; the parent pid follows its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {}
  }
  return out;
}

export interface Ffmpeg {
  readonly child: ChildProcess;
  /** stderr so far */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

function runFfmpeg(args: string[]): Ffmpeg {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'warning', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return exited;
    },
  };
}

/** Publishes a live test pattern (H.264 + AAC, 2 s GOP) to `url` until stopped. */
export function publish(url: string): Ffmpeg {
  return runFfmpeg([
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x180:rate=25',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=44100',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-g',
    '25',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-f',
    'flv',
    url,
  ]);
}

/** Plays `url` for `seconds` of media into the null muxer; exit 0 means frames were received. */
export function play(url: string, seconds = 2): Ffmpeg {
  return runFfmpeg(['-rw_timeout', '10000000', '-i', url, '-t', String(seconds), '-f', 'null', '-']);
}

/** Resolves when `check` returns true, or rejects after `ms` with `what` in the message. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
