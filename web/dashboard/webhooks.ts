/**
 * Webhooks of the account (src/http/routes/webhooks.ts): list (paged by id), create, edit
 * (url and event types), refresh the signing secret, delete.
 */
import type { StreamgateClient, Webhook } from '../../src/client/index.js';
import { isUnauthorized, messageOf } from './api.js';
import { type Field, field, h, replace, say, statusLine, uid } from './dom.js';
import { FormErrors, rootName } from './form-errors.js';
import { confirmAction, copyButton, toast } from './ui.js';

const PAGE = 10;

const FLAGS = [
  ['isFeedHooks', 'Stream started / ended (feeds)'],
  ['isRecordingHooks', 'Recording'],
  ['isThumbnailHooks', 'Thumbnail'],
  ['isTranscoderHooks', 'Transcoder'],
  ['isMediaHooks', 'Media assets'],
  ['isViewerConnectionHooks', 'Viewer connections'],
] as const;
type Flag = (typeof FLAGS)[number][0];

export interface WebhooksContext {
  readonly client: StreamgateClient;
  readonly onUnauthorized: (message: string) => void;
}

export function webhooksView(root: HTMLElement, ctx: WebhooksContext): () => void {
  const alert = statusLine('alert');
  const editor = h('div', { class: 'editor' });
  const list = h('ul', { class: 'token-list', 'aria-label': 'Webhooks' });
  /** startingId of each page shown so far: [undefined, lastIdOfPage1, ...]. */
  const starts: (number | undefined)[] = [undefined];
  let pageIndex = 0;
  const prev = h('button', { type: 'button', onclick: () => go(pageIndex - 1) }, 'Previous page');
  const next = h('button', { type: 'button', onclick: () => go(pageIndex + 1) }, 'Next page');
  const pageInfo = h('span', { class: 'page-info' });

  replace(
    root,
    h(
      'section',
      { 'aria-labelledby': 'webhooks-heading' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'webhooks-heading' }, 'Webhooks'),
        h('button', { type: 'button', class: 'primary', onclick: () => openForm(null) }, 'New webhook'),
      ),
      h(
        'p',
        { class: 'hint' },
        'Events are POSTed as JSON with X-Millicast-Signature: sha1=<HMAC-SHA1 of the body, keyed with the base64-decoded secret>.',
      ),
      editor,
      alert,
      list,
      h('nav', { class: 'pager', 'aria-label': 'Webhook pages' }, prev, pageInfo, next),
    ),
  );

  const fail = (err: unknown) => {
    if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
    else say(alert, messageOf(err));
  };

  async function go(index: number): Promise<void> {
    if (index < 0 || index >= starts.length) return;
    pageIndex = index;
    await load();
  }

  async function load(): Promise<void> {
    say(alert, null);
    try {
      const hooks = await ctx.client.webhooks.list({ startingId: starts[pageIndex], itemCount: PAGE });
      const last = hooks[hooks.length - 1];
      starts.length = pageIndex + 1;
      if (hooks.length === PAGE && last) starts.push(last.id);
      replace(list, ...(hooks.length === 0 ? [h('li', { class: 'empty' }, 'No webhook yet.')] : hooks.map(item)));
      pageInfo.textContent = `Page ${pageIndex + 1}`;
      prev.disabled = pageIndex === 0;
      next.disabled = starts.length <= pageIndex + 1;
    } catch (err) {
      fail(err);
    }
  }

  function item(w: Webhook): HTMLLIElement {
    const headingId = uid('hook');
    const events = FLAGS.filter(([f]) => w[f]).map(([, l]) => l);
    return h(
      'li',
      { class: 'token card', 'data-id': w.id, 'aria-labelledby': headingId },
      h('div', { class: 'token-head' }, h('h3', { id: headingId, class: 'url' }, w.url)),
      h(
        'dl',
        { class: 'meta' },
        h('dt', {}, 'Events'),
        h('dd', {}, events.length > 0 ? events.join(', ') : 'none'),
        h('dt', {}, 'Secret'),
        h(
          'dd',
          {},
          h('code', { class: 'token-value' }, w.secret),
          ' ',
          copyButton(() => w.secret, `secret of webhook ${w.id}`),
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'small', onclick: () => openForm(w) }, 'Edit'),
        h('button', { type: 'button', class: 'small', onclick: () => refreshSecret(w) }, 'Refresh secret'),
        h('button', { type: 'button', class: 'small danger', onclick: () => remove(w) }, 'Delete'),
      ),
    );
  }

  function openForm(existing: Webhook | null): void {
    const titleId = uid('hook-form');
    const url = field(
      'URL',
      h('input', { type: 'url', name: 'url', required: true, inputmode: 'url' }),
      'Absolute http:// or https:// address that receives the events.',
    );
    url.control.value = existing?.url ?? '';
    const flags = new Map<Flag, Field<HTMLInputElement>>();
    for (const [f, l] of FLAGS) {
      const box = h('input', { type: 'checkbox', name: f });
      box.checked = existing ? existing[f] : f === 'isFeedHooks';
      flags.set(f, field(l, box));
    }
    const formAlert = statusLine('alert');
    const errors = new FormErrors(formAlert, (name) => {
      const root = rootName(name);
      if (root === 'url') return url;
      return flags.get(root as Flag) ?? null;
    });
    const form = h(
      'form',
      { class: 'card', 'aria-labelledby': titleId, novalidate: true },
      h('h2', { id: titleId }, existing ? `Edit webhook ${existing.id}` : 'New webhook'),
      formAlert,
      url.wrap,
      h('fieldset', {}, h('legend', {}, 'Events'), ...[...flags.values()].map((f) => f.wrap)),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', onclick: () => replace(editor) }, 'Cancel'),
        h('button', { type: 'submit', class: 'primary' }, existing ? 'Save webhook' : 'Create webhook'),
      ),
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      errors.clear();
      const body = { url: url.control.value.trim() } as Record<string, unknown>;
      for (const [f, box] of flags) body[f] = box.control.checked;
      try {
        if (existing) await ctx.client.webhooks.update(existing.id, body);
        else await ctx.client.webhooks.create(body as never);
        replace(editor);
        toast(existing ? 'Webhook saved' : 'Webhook created');
        await load();
      } catch (err) {
        if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
        else errors.show(err);
      }
    });
    replace(editor, form);
    url.control.focus();
  }

  async function refreshSecret(w: Webhook): Promise<void> {
    const yes = await confirmAction(
      'Refresh the signing secret?',
      `Deliveries to ${w.url} are signed with a new secret from now on; signatures made with the old one stop matching at once.`,
      'Refresh secret',
    );
    if (!yes) return;
    try {
      await ctx.client.webhooks.refreshSecret(w.id);
      toast('Webhook secret refreshed');
      await load();
    } catch (err) {
      fail(err);
    }
  }

  async function remove(w: Webhook): Promise<void> {
    const yes = await confirmAction(
      `Delete webhook ${w.url}?`,
      'It receives nothing more, retries included.',
      'Delete webhook',
    );
    if (!yes) return;
    try {
      await ctx.client.webhooks.delete(w.id);
      toast('Webhook deleted');
      await load();
    } catch (err) {
      fail(err);
    }
  }

  void load();
  return () => undefined;
}
