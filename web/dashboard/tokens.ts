/**
 * The publish and subscribe token lists: paging, search by label or stream name, the "live"
 * badge (publish tokens holding a stream now, polled), the per-token actions (edit, disable /
 * enable, refresh, delete, copy) and the details panel with publish URLs and the viewer link.
 */
import type { PublishToken, StreamgateClient, SubscribeToken, TokenKind } from '../../src/client/index.js';
import {
  type AccountInfo,
  activePublishTokenIds,
  directorUrl,
  isUnauthorized,
  messageOf,
  publishUrl,
  rememberStreamAccountId,
  viewerLink,
} from './api.js';
import { field, formatDate, h, replace, say, statusLine, uid } from './dom.js';
import { type AnyToken, tokenForm } from './token-form.js';
import { confirmAction, copyButton, toast } from './ui.js';

const LIVE_POLL_MS = 10_000;

export interface TokensContext {
  readonly client: StreamgateClient;
  readonly secret: string;
  readonly account: AccountInfo;
  readonly onUnauthorized: (message: string) => void;
}

interface ListState {
  page: number;
  itemsOnPage: number;
  search: string;
  filterBy: 'TokenOrStreamName' | 'TokenName' | 'StreamName';
  sortBy: 'Name' | 'AddedOn';
  isDescending: boolean;
}

const isExpired = (t: AnyToken) => t.expiresOn !== null && new Date(t.expiresOn).getTime() <= Date.now();

/** Renders the token section for one kind into `root`; returns a function that stops its timers. */
export function tokensView(root: HTMLElement, ctx: TokensContext, kind: TokenKind): () => void {
  const state: ListState = {
    page: 1,
    itemsOnPage: 10,
    search: '',
    filterBy: 'TokenOrStreamName',
    sortBy: 'Name',
    isDescending: false,
  };
  let live = new Set<number>();
  let tokens: AnyToken[] = [];
  let stopped = false;
  const api = ctx.client.tokens(kind);
  const title = kind === 'publish' ? 'Publish tokens' : 'Subscribe tokens';

  const alert = statusLine('alert');
  const list = h('ul', { class: 'token-list', 'aria-label': title });
  const pageInfo = h('span', { class: 'page-info', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', onclick: () => go(state.page - 1) }, 'Previous page');
  const next = h('button', { type: 'button', onclick: () => go(state.page + 1) }, 'Next page');
  const editor = h('div', { class: 'editor' });

  // --- toolbar: search, sort, page size, new --------------------------------------------
  const search = field('Search', h('input', { type: 'search', name: 'q', maxlength: 128, autocomplete: 'off' }));
  const filterBy = field(
    'Search in',
    h(
      'select',
      { name: 'filterBy' },
      h('option', { value: 'TokenOrStreamName' }, 'Label or stream name'),
      h('option', { value: 'TokenName' }, 'Label'),
      h('option', { value: 'StreamName' }, 'Stream name'),
    ),
  );
  const sortBy = field(
    'Sort by',
    h(
      'select',
      { name: 'sortBy' },
      h('option', { value: 'Name:asc' }, 'Label (A-Z)'),
      h('option', { value: 'Name:desc' }, 'Label (Z-A)'),
      h('option', { value: 'AddedOn:desc' }, 'Newest first'),
      h('option', { value: 'AddedOn:asc' }, 'Oldest first'),
    ),
  );
  const perPage = field(
    'Per page',
    h('select', { name: 'itemsOnPage' }, ...[10, 25, 50, 100].map((n) => h('option', { value: n }, String(n)))),
  );
  const searchForm = h(
    'form',
    { role: 'search', class: 'toolbar', 'aria-label': `Search ${title.toLowerCase()}` },
    search.wrap,
    filterBy.wrap,
    h('button', { type: 'submit' }, 'Search'),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          search.control.value = '';
          applySearch();
        },
      },
      'Clear',
    ),
  );
  const applySearch = () => {
    state.search = search.control.value.trim();
    state.filterBy = filterBy.control.value as ListState['filterBy'];
    state.page = 1;
    void load();
  };
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    applySearch();
  });
  sortBy.control.addEventListener('change', () => {
    const [by, dir] = sortBy.control.value.split(':');
    state.sortBy = by as ListState['sortBy'];
    state.isDescending = dir === 'desc';
    state.page = 1;
    void load();
  });
  perPage.control.addEventListener('change', () => {
    state.itemsOnPage = Number(perPage.control.value);
    state.page = 1;
    void load();
  });

  const newButton = h(
    'button',
    { type: 'button', class: 'primary', onclick: () => openForm(null) },
    `New ${kind} token`,
  );

  replace(
    root,
    h(
      'section',
      { 'aria-labelledby': `${kind}-heading` },
      h('div', { class: 'section-head' }, h('h2', { id: `${kind}-heading` }, title), newButton),
      editor,
      searchForm,
      h('div', { class: 'toolbar' }, sortBy.wrap, perPage.wrap),
      alert,
      list,
      h('nav', { class: 'pager', 'aria-label': `${title} pages` }, prev, pageInfo, next),
    ),
  );

  function fail(err: unknown): void {
    if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
    else say(alert, messageOf(err));
  }

  function openForm(existing: AnyToken | null): void {
    const form = tokenForm(
      ctx.client,
      kind,
      existing,
      (saved) => {
        replace(editor);
        toast(existing ? `Saved ${saved.label}` : `Created ${saved.label}`);
        void load().then(() => {
          if (!existing) showCreated(saved);
        });
      },
      () => replace(editor),
    );
    replace(editor, form);
    form.querySelector('input')?.focus();
  }

  /** A just-created token opens its details, so its value and URLs are at hand. */
  function showCreated(t: AnyToken): void {
    const item = list.querySelector<HTMLElement>(`li[data-id="${t.id}"]`);
    item?.querySelector<HTMLButtonElement>('button.details-toggle')?.click();
  }

  async function go(page: number): Promise<void> {
    if (page < 1) return;
    state.page = page;
    await load();
  }

  async function load(): Promise<void> {
    say(alert, null);
    list.setAttribute('aria-busy', 'true');
    try {
      const q = {
        page: state.page,
        itemsOnPage: state.itemsOnPage,
        sortBy: state.sortBy,
        isDescending: state.isDescending,
      };
      tokens = state.search
        ? await api.listByName({ ...q, name: state.search, filterBy: state.filterBy })
        : await api.list(q);
      if (kind === 'publish') await refreshLive(false);
      render();
    } catch (err) {
      fail(err);
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  async function refreshLive(rerender: boolean): Promise<void> {
    try {
      const ids = await activePublishTokenIds(ctx.secret);
      const changed = ids.size !== live.size || [...ids].some((id) => !live.has(id));
      live = ids;
      if (rerender && changed) updateBadges();
    } catch (err) {
      if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
    }
  }

  function updateBadges(): void {
    for (const item of Array.from(list.querySelectorAll<HTMLElement>('li[data-id]'))) {
      const badge = item.querySelector<HTMLElement>('.badge.live');
      if (badge) badge.hidden = !live.has(Number(item.dataset.id));
    }
  }

  function render(): void {
    const empty = tokens.length === 0;
    replace(
      list,
      ...(empty
        ? [
            h(
              'li',
              { class: 'empty' },
              state.search
                ? `No ${kind} token matches “${state.search}”.`
                : state.page > 1
                  ? 'No more tokens.'
                  : `No ${kind} token yet.`,
            ),
          ]
        : tokens.map(item)),
    );
    pageInfo.textContent = `Page ${state.page}`;
    prev.disabled = state.page <= 1;
    next.disabled = tokens.length < state.itemsOnPage;
    updateBadges();
  }

  function item(t: AnyToken): HTMLLIElement {
    const headingId = uid('token');
    const details = h('div', { class: 'details', id: uid('details'), hidden: true });
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'small details-toggle',
        'aria-expanded': 'false',
        'aria-controls': details.id,
        onclick: () => {
          const open = details.hidden;
          details.hidden = !open;
          toggle.setAttribute('aria-expanded', String(open));
          if (open) renderDetails(details, t);
        },
      },
      'Details',
    );
    const streams = t.streams.map((s) => (s.isRegex ? `/${s.streamName}/` : s.streamName)).join(', ');
    return h(
      'li',
      { class: 'token card', 'data-id': t.id, 'aria-labelledby': headingId },
      h(
        'div',
        { class: 'token-head' },
        h('h3', { id: headingId }, t.label),
        h('span', { class: 'badge live', hidden: true }, 'Live'),
        t.isActive ? null : h('span', { class: 'badge off' }, 'Disabled'),
        isExpired(t) ? h('span', { class: 'badge off' }, 'Expired') : null,
      ),
      h(
        'dl',
        { class: 'meta' },
        h('dt', {}, 'Streams'),
        h('dd', { class: 'streams-text' }, streams),
        h('dt', {}, 'Expires'),
        h('dd', {}, formatDate(t.expiresOn)),
        h('dt', {}, 'Token'),
        h(
          'dd',
          {},
          h('code', { class: 'token-value' }, t.token),
          ' ',
          copyButton(() => t.token, `token ${t.label}`),
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        toggle,
        h('button', { type: 'button', class: 'small', onclick: () => openForm(t) }, 'Edit'),
        h(
          'button',
          { type: 'button', class: 'small', onclick: () => setActive(t, !t.isActive) },
          t.isActive ? 'Disable' : 'Enable',
        ),
        h('button', { type: 'button', class: 'small', onclick: () => refresh(t) }, 'Refresh'),
        h('button', { type: 'button', class: 'small danger', onclick: () => remove(t) }, 'Delete'),
      ),
      details,
    );
  }

  async function setActive(t: AnyToken, isActive: boolean): Promise<void> {
    try {
      await api.update(t.id, { isActive });
      toast(`${isActive ? 'Enabled' : 'Disabled'} ${t.label}`);
      await load();
    } catch (err) {
      fail(err);
    }
  }

  async function refresh(t: AnyToken): Promise<void> {
    const yes = await confirmAction(
      `Refresh ${t.label}?`,
      'A new value replaces this token. The old value stops working at once: every publisher or viewer still using it is refused from the next request on.',
      'Refresh token',
    );
    if (!yes) return;
    try {
      await api.update(t.id, { refreshToken: true });
      toast(`Refreshed ${t.label}: copy its new value`);
      await load();
    } catch (err) {
      fail(err);
    }
  }

  async function remove(t: AnyToken): Promise<void> {
    const yes = await confirmAction(
      `Delete ${t.label}?`,
      'The token is removed and its value stops working at once. This cannot be undone.',
      'Delete token',
    );
    if (!yes) return;
    try {
      await api.delete(t.id);
      toast(`Deleted ${t.label}`);
      if (tokens.length === 1 && state.page > 1) state.page -= 1;
      await load();
    } catch (err) {
      fail(err);
    }
  }

  function renderDetails(box: HTMLElement, t: AnyToken): void {
    const concrete = t.streams.filter((s) => !s.isRegex).map((s) => s.streamName);
    const streamName = field(
      'Stream name for the links',
      h('input', { type: 'text', maxlength: 128, list: uid('names') }),
      concrete.length === t.streams.length ? undefined : 'The token has pattern rules: type a stream name they match.',
    );
    const names = h('datalist', { id: streamName.control.getAttribute('list') ?? '' });
    for (const n of concrete) names.append(h('option', { value: n }));
    streamName.control.value = concrete[0] ?? '';

    const accountId = field(
      'Stream account ID',
      h('input', { type: 'text', maxlength: 64, autocomplete: 'off' }),
      ctx.account.fromServer
        ? undefined
        : 'This server does not tell the dashboard its stream account ID: it is printed by `streamgate account create`.',
    );
    accountId.control.value = ctx.account.streamAccountId ?? '';
    accountId.control.readOnly = ctx.account.fromServer;

    let viewerToken: HTMLSelectElement | null = null;
    const links = h('div', { class: 'links' });
    const renderLinks = () => {
      const name = streamName.control.value.trim();
      const account = accountId.control.value.trim() || null;
      const rows: HTMLElement[] = [];
      if (kind === 'publish') {
        for (const template of ctx.account.publishUrls) {
          const proto = template.split(':')[0]?.toUpperCase() ?? 'URL';
          const url = name ? publishUrl(template, account, name, t.token) : '';
          rows.push(linkRow(`${proto} publish URL`, url));
        }
        rows.push(
          linkRow(
            'Director URL',
            directorUrl(),
            `POST with Authorization: Bearer <token>, body {"streamName": "${name}"}`,
          ),
        );
      }
      const sub = kind === 'subscribe' ? t.token : viewerToken?.value || null;
      const viewer = account && name ? viewerLink(account, name, sub) : '';
      rows.push(
        linkRow(
          'Viewer link',
          viewer,
          account ? undefined : 'Enter the stream account ID to build the viewer link.',
          viewer ? h('a', { href: viewer, target: '_blank', rel: 'noopener' }, 'Open viewer') : null,
        ),
      );
      replace(links, ...rows);
    };
    streamName.control.addEventListener('input', renderLinks);
    accountId.control.addEventListener('input', () => {
      ctx.account.streamAccountId = accountId.control.value.trim() || null;
      rememberStreamAccountId(accountId.control.value.trim());
      renderLinks();
    });

    const parts: (HTMLElement | null)[] = [streamName.wrap, names, accountId.wrap];
    if (kind === 'publish') {
      const pt = t as PublishToken;
      const select = h('select', { name: 'viewerToken' }, h('option', { value: '' }, 'No subscribe token'));
      viewerToken = select;
      const sel = field(
        'Subscribe token in the viewer link',
        select,
        pt.subscribeRequiresAuth
          ? 'This token requires viewers to hold a subscribe token.'
          : 'Viewers need none for this token; add one to restrict the link.',
      );
      select.addEventListener('change', renderLinks);
      parts.push(sel.wrap);
      void ctx.client.subscribeTokens
        .list({ page: 1, itemsOnPage: 100 })
        .then((subs: SubscribeToken[]) => {
          for (const s of subs) select.append(h('option', { value: s.token }, s.label));
        })
        .catch(() => undefined);
    }
    replace(box, ...parts, links);
    renderLinks();
  }

  function linkRow(label: string, value: string, hint?: string, extra?: HTMLElement | null): HTMLElement {
    const id = uid('link');
    const out = h('output', { id, class: 'url' }, value || '—');
    return h(
      'div',
      { class: 'link-row' },
      h('span', { class: 'link-label', id: `${id}-label` }, label),
      out,
      value ? copyButton(() => value, label.toLowerCase()) : null,
      extra ?? null,
      hint ? h('p', { class: 'hint' }, hint) : null,
    );
  }

  void load();
  let timer: ReturnType<typeof setInterval> | undefined;
  if (kind === 'publish') {
    timer = setInterval(() => {
      if (!stopped && document.visibilityState === 'visible') void refreshLive(true);
    }, LIVE_POLL_MS);
  }
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
