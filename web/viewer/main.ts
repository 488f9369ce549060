/**
 * The hosted viewer: /viewer?streamId=<streamAccountId>/<streamName>&token=<subscribe token>.
 *
 * It asks the Director like any client (POST /api/director/subscribe), listens to the stream's
 * events on /ws/events?token=<jwt> and plays the HLS URL the Director hands out, presenting the
 * director jwt to nginx (Authorization header through hls.js, or `?token=` for the browser's own
 * HLS player). hls.js is loaded only when a stream goes live, as a separate chunk.
 */
import './style.css';
import type HlsType from 'hls.js';

type State = 'connecting' | 'waiting' | 'live' | 'refused';

interface Target {
  readonly streamAccountId: string;
  readonly streamName: string;
}

interface Session {
  readonly jwt: string;
  readonly urls: readonly string[];
  /** Local clock time when the jwt expires (its lifetime measured from now, immune to clock skew). */
  readonly expiresAt: number;
  readonly lifetimeMs: number;
}

/** The Director said no: `message` is its exact text. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Player {
  destroy(): void;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  title: $<HTMLHeadingElement>('title'),
  liveBadge: $<HTMLSpanElement>('live-badge'),
  viewers: $<HTMLSpanElement>('viewers'),
  video: $<HTMLVideoElement>('video'),
  placeholder: $<HTMLDivElement>('placeholder'),
  status: $<HTMLParagraphElement>('status'),
  detail: $<HTMLParagraphElement>('detail'),
  message: $<HTMLParagraphElement>('message'),
};

const WAITING = 'Waiting for the stream';
const POLL_MS = 5_000;

export function parseTarget(streamId: string | null): Target | null {
  if (!streamId) return null;
  const slash = streamId.indexOf('/');
  if (slash <= 0 || slash === streamId.length - 1) return null;
  return { streamAccountId: streamId.slice(0, slash), streamName: streamId.slice(slash + 1) };
}

/** Lifetime of a jwt from its own iat/exp claims, in ms (60 s when unreadable). */
function jwtLifetimeMs(jwt: string): number {
  try {
    const payload = jwt.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { iat?: unknown; exp?: unknown };
    if (typeof claims.exp === 'number' && typeof claims.iat === 'number' && claims.exp > claims.iat) {
      return (claims.exp - claims.iat) * 1000;
    }
  } catch {
    // fall through
  }
  return 60_000;
}

/** The first HLS playlist among the Director's URLs. */
export function hlsUrlOf(urls: readonly string[]): string | null {
  return urls.find((u) => /\.m3u8(\?|$)/.test(u)) ?? null;
}

async function directorSubscribe(target: Target, token: string | null): Promise<Session> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch('/api/director/subscribe', {
    method: 'POST',
    headers,
    body: JSON.stringify(target),
    cache: 'no-store',
  });
  let body: { data?: Record<string, unknown>; message?: unknown } | null = null;
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy's error page)
  }
  if (!res.ok) {
    const data = body?.data ?? {};
    const message =
      typeof data.message === 'string'
        ? data.message
        : typeof body?.message === 'string'
          ? body.message
          : `The server answered ${res.status}`;
    throw new Refusal(res.status, typeof data.code === 'string' ? data.code : '', message);
  }
  const data = (body?.data ?? {}) as { jwt?: unknown; urls?: unknown };
  if (typeof data.jwt !== 'string' || !Array.isArray(data.urls)) throw new Error('Unexpected Director answer');
  const lifetimeMs = jwtLifetimeMs(data.jwt);
  return { jwt: data.jwt, urls: data.urls.map(String), expiresAt: Date.now() + lifetimeMs, lifetimeMs };
}

class Viewer {
  #state: State = 'connecting';
  #session: Session | null = null;
  #socket: WebSocket | null = null;
  #player: Player | null = null;
  /** The stream is live, as the events socket last said. */
  #live = false;
  #reconnectDelay = 1_000;
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #authorizing: Promise<boolean> | null = null;

  constructor(
    private readonly target: Target,
    private readonly token: string | null,
  ) {}

  start(): void {
    ui.title.textContent = this.target.streamName;
    document.title = `${this.target.streamName} · Streamgate viewer`;
    ui.video.addEventListener('playing', () => {
      if (this.#state === 'live') ui.placeholder.hidden = true;
    });
    void this.#authorize();
  }

  #later(name: string, ms: number, fn: () => void): void {
    this.#cancel(name);
    this.#timers.set(
      name,
      setTimeout(() => {
        this.#timers.delete(name);
        fn();
      }, ms),
    );
  }

  #cancel(name: string): void {
    const t = this.#timers.get(name);
    if (t !== undefined) clearTimeout(t);
    this.#timers.delete(name);
  }

  /** Asks the Director for a (new) jwt; one request at a time. Resolves true on success. */
  #authorize(): Promise<boolean> {
    if (!this.#authorizing) {
      this.#authorizing = this.#doAuthorize().finally(() => {
        this.#authorizing = null;
      });
    }
    return this.#authorizing;
  }

  async #doAuthorize(): Promise<boolean> {
    if (this.#state === 'refused') return false;
    let session: Session;
    try {
      session = await directorSubscribe(this.target, this.token);
    } catch (err) {
      if (err instanceof Refusal) {
        // A viewer without a token is refused until the stream is live: wait and ask again.
        if (err.code === 'STREAM_NOT_FOUND' && !this.token) {
          this.#session = null;
          if (!this.#socket) {
            this.#live = false;
            this.#stopPlayback();
            this.#setWaiting(`${err.message}: it is not live yet. Checking again every ${POLL_MS / 1000} s.`);
            this.#later('poll', POLL_MS, () => void this.#authorize());
          }
          return false;
        }
        this.#refuse(err.message);
        return false;
      }
      // The server is unreachable: keep what we have and try again shortly.
      ui.detail.textContent = 'Cannot reach the server; retrying…';
      this.#later('poll', POLL_MS, () => void this.#authorize());
      return false;
    }
    this.#session = session;
    this.#cancel('poll');
    // A new jwt well before this one expires: a quarter of its lifetime ahead (at least 5 s).
    const ahead = Math.max(5_000, session.lifetimeMs / 4);
    this.#later('refresh', Math.max(1_000, session.expiresAt - Date.now() - ahead), () => void this.#authorize());
    if (this.#state === 'connecting') this.#setWaiting('');
    this.#ensureSocket();
    return true;
  }

  /** A jwt valid for at least `marginMs` more, asking the Director when needed. */
  async #freshJwt(marginMs = 5_000): Promise<string | null> {
    if (!this.#session || this.#session.expiresAt - Date.now() < marginMs) await this.#authorize();
    return this.#session?.jwt ?? null;
  }

  #ensureSocket(): void {
    if (this.#socket || !this.#session || this.#state === 'refused') return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws/events?token=${encodeURIComponent(this.#session.jwt)}`);
    this.#socket = ws;
    ws.addEventListener('open', () => {
      this.#reconnectDelay = 1_000;
    });
    ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
    ws.addEventListener('close', () => {
      if (this.#socket !== ws) return;
      this.#socket = null;
      if (this.#state === 'refused') return;
      // Reconnect with a fresh jwt (the old one may have expired), backing off up to 15 s.
      const delay = this.#reconnectDelay;
      this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, 15_000);
      this.#later('reconnect', delay, () => {
        void this.#authorize().then((ok) => {
          if (ok) this.#ensureSocket();
        });
      });
    });
  }

  #onMessage(raw: unknown): void {
    let msg: { type?: unknown; name?: unknown; data?: { viewercount?: unknown } };
    try {
      msg = JSON.parse(String(raw));
    } catch {
      return;
    }
    if (msg.type !== 'event') return;
    if (msg.name === 'active') {
      this.#live = true;
      this.#setLive();
      void this.#startPlayback();
    } else if (msg.name === 'inactive') {
      this.#live = false;
      this.#stopPlayback();
      this.#setWaiting('');
    } else if (msg.name === 'viewercount' && typeof msg.data?.viewercount === 'number') {
      const n = msg.data.viewercount;
      ui.viewers.textContent = `${n} watching`;
      ui.viewers.hidden = false;
    }
  }

  async #startPlayback(): Promise<void> {
    if (this.#player || !this.#live) return;
    const jwt = await this.#freshJwt(Math.min(10_000, (this.#session?.lifetimeMs ?? 60_000) / 2));
    if (!jwt || !this.#live || this.#player) return;
    const url = hlsUrlOf(this.#session?.urls ?? []);
    if (!url) {
      ui.detail.textContent =
        'The stream is live, but this server hands out no HLS playlist URL (STREAMGATE_SUBSCRIBE_URLS).';
      return;
    }
    const video = ui.video;
    const mse = 'MediaSource' in window || 'ManagedMediaSource' in window;
    if (mse) {
      const { default: Hls } = await import('hls.js/light');
      if (!this.#live || this.#player) return;
      if (Hls.isSupported()) {
        this.#player = this.#hlsPlayer(Hls, url, video);
        return;
      }
    }
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      this.#player = this.#nativePlayer(url, jwt, video);
      return;
    }
    ui.detail.textContent = 'This browser cannot play HLS.';
  }

  #hlsPlayer(Hls: typeof HlsType, url: string, video: HTMLVideoElement): Player {
    const hls = new Hls({
      // Every playlist and segment request carries the current jwt (renewed before it expires).
      xhrSetup: (xhr, requestUrl) => {
        if (!xhr.readyState) xhr.open('GET', requestUrl, true);
        const jwt = this.#session?.jwt;
        if (jwt) xhr.setRequestHeader('Authorization', `Bearer ${jwt}`);
      },
      liveSyncDurationCount: 2,
      backBufferLength: 30,
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      const status = data.response?.code;
      this.#restartPlayback(status === 401 || status === 403);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    void video.play().catch(() => {});
    return {
      destroy: () => {
        hls.destroy();
        video.removeAttribute('src');
        video.load();
      },
    };
  }

  /** The browser's own HLS: no headers, so the jwt goes as `?token=` (nginx forwards it). */
  #nativePlayer(url: string, jwt: string, video: HTMLVideoElement): Player {
    const onError = () => this.#restartPlayback(true);
    video.addEventListener('error', onError);
    video.src = `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(jwt)}`;
    void video.play().catch(() => {});
    return {
      destroy: () => {
        video.removeEventListener('error', onError);
        video.removeAttribute('src');
        video.load();
      },
    };
  }

  /**
   * A fatal player error: the playlist not written yet (nginx-rtmp writes it after the first
   * fragment), a network failure, or a refused jwt. Start over in a second while still live.
   */
  #restartPlayback(renewJwt: boolean): void {
    this.#stopPlayback();
    if (!this.#live) return;
    ui.placeholder.hidden = false;
    ui.status.textContent = 'Starting the picture…';
    this.#later('replay', 1_000, () => {
      const ready = renewJwt ? this.#authorize() : Promise.resolve(true);
      void ready.then(() => this.#startPlayback());
    });
  }

  #stopPlayback(): void {
    this.#cancel('replay');
    if (this.#player) {
      const p = this.#player;
      this.#player = null;
      p.destroy();
    }
  }

  #setState(state: State): void {
    this.#state = state;
    document.body.dataset.state = state;
  }

  #setWaiting(detail: string): void {
    this.#setState('waiting');
    ui.video.hidden = true;
    ui.liveBadge.hidden = true;
    ui.placeholder.hidden = false;
    ui.status.textContent = WAITING;
    ui.detail.textContent = detail;
  }

  #setLive(): void {
    this.#setState('live');
    ui.liveBadge.hidden = false;
    ui.video.hidden = false;
    ui.detail.textContent = '';
    if (ui.video.paused || ui.video.readyState < 3) {
      ui.placeholder.hidden = false;
      ui.status.textContent = 'Starting the picture…';
    }
  }

  #refuse(message: string): void {
    this.#setState('refused');
    this.#live = false;
    this.#stopPlayback();
    for (const name of [...this.#timers.keys()]) this.#cancel(name);
    const ws = this.#socket;
    this.#socket = null;
    ws?.close();
    ui.video.hidden = true;
    ui.liveBadge.hidden = true;
    ui.viewers.hidden = true;
    ui.placeholder.hidden = false;
    ui.status.textContent = 'Cannot watch this stream';
    ui.detail.textContent = '';
    ui.message.textContent = message;
    ui.message.hidden = false;
  }

  /** Shown when the link itself is wrong. */
  static badLink(message: string): void {
    document.body.dataset.state = 'refused';
    ui.status.textContent = 'Cannot watch this stream';
    ui.message.textContent = message;
    ui.message.hidden = false;
  }
}

const params = new URLSearchParams(location.search);
const target = parseTarget(params.get('streamId'));
if (target) {
  new Viewer(target, params.get('token') || null).start();
} else {
  Viewer.badLink('Missing or malformed streamId: open /viewer?streamId=<streamAccountId>/<streamName>&token=<token>');
}
