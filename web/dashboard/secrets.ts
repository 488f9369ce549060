/**
 * API secrets of the account: list (no values), create and refresh (the value is shown once),
 * delete. Refreshing or deleting the secret this session signed in with is handled: a refresh
 * switches the session to the new value, a delete signs out.
 */
import type { IssuedApiSecret, StreamgateClient } from '../../src/client/index.js';
import { isUnauthorized, messageOf } from './api.js';
import { field, formatDate, h, replace, say, statusLine, uid } from './dom.js';
import { FormErrors, rootName } from './form-errors.js';
import { confirmAction, copyButton, toast } from './ui.js';

export interface SecretsContext {
  /** The session's client; a getter, since refreshing the session's own secret replaces it. */
  readonly client: () => StreamgateClient;
  /** Whether the session's own secret still works (after a refresh or delete of some secret). */
  readonly sessionStillValid: () => Promise<boolean>;
  /** Switches the session to another secret value (after refreshing the one in use). */
  readonly switchSecret: (secret: string) => void;
  readonly onUnauthorized: (message: string) => void;
}

export function secretsView(root: HTMLElement, ctx: SecretsContext): () => void {
  const alert = statusLine('alert');
  const issued = h('div', { class: 'issued', 'aria-live': 'polite' });
  const tbody = h('tbody');

  const label = field('Label', h('input', { type: 'text', name: 'label', maxlength: 128, required: true }));
  const formAlert = statusLine('alert');
  const errors = new FormErrors(formAlert, (name) => (rootName(name) === 'label' ? label : null));
  const create = h(
    'form',
    { class: 'toolbar', 'aria-label': 'Create an API secret' },
    label.wrap,
    h('button', { type: 'submit', class: 'primary' }, 'Create secret'),
  );
  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    try {
      const s = await ctx.client().apiSecrets.create(label.control.value.trim());
      label.control.value = '';
      showIssued(s, 'Created');
      await load();
    } catch (err) {
      if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
      else errors.show(err);
    }
  });

  replace(
    root,
    h(
      'section',
      { 'aria-labelledby': 'secrets-heading' },
      h('h2', { id: 'secrets-heading' }, 'API secrets'),
      h('p', { class: 'hint' }, 'Each secret manages the whole account. A value is shown only when it is issued.'),
      create,
      formAlert,
      issued,
      alert,
      h(
        'table',
        { class: 'grid' },
        h('caption', { class: 'offscreen' }, 'API secrets'),
        h(
          'thead',
          {},
          h('tr', {}, h('th', {}, 'Label'), h('th', {}, 'Added'), h('th', {}, 'Refreshed'), h('th', {}, 'Actions')),
        ),
        tbody,
      ),
    ),
  );

  function showIssued(s: IssuedApiSecret, what: string): void {
    const id = uid('secret');
    replace(
      issued,
      h(
        'div',
        { class: 'card once' },
        h('p', {}, `${what} “${s.label}”. Copy the value now: it will not be shown again.`),
        h('code', { id, class: 'token-value secret-value' }, s.secret),
        ' ',
        copyButton(() => s.secret, `secret ${s.label}`),
      ),
    );
  }

  async function load(): Promise<void> {
    say(alert, null);
    try {
      const list = await ctx.client().apiSecrets.list();
      replace(
        tbody,
        ...list.map((s) =>
          h(
            'tr',
            { 'data-id': s.id },
            h('td', { 'data-label': 'Label' }, s.label),
            h('td', { 'data-label': 'Added' }, formatDate(s.addedOn)),
            h('td', { 'data-label': 'Refreshed' }, s.refreshedOn ? formatDate(s.refreshedOn) : '—'),
            h(
              'td',
              { class: 'actions' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'small',
                  'aria-label': `Refresh secret ${s.label}`,
                  onclick: () => refresh(s.id, s.label),
                },
                'Refresh',
              ),
              h(
                'button',
                {
                  type: 'button',
                  class: 'small danger',
                  'aria-label': `Delete secret ${s.label}`,
                  onclick: () => remove(s.id, s.label),
                },
                'Delete',
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
      else say(alert, messageOf(err));
    }
  }

  async function refresh(id: number, name: string): Promise<void> {
    const yes = await confirmAction(
      `Refresh secret ${name}?`,
      'A new value replaces this secret. The old value stops working at once, for every script using it.',
      'Refresh secret',
    );
    if (!yes) return;
    try {
      const s = await ctx.client().apiSecrets.refresh(id);
      if (!(await ctx.sessionStillValid())) {
        ctx.switchSecret(s.secret);
        toast('This session used that secret: it now uses the new value');
      }
      showIssued(s, 'Refreshed');
      await load();
    } catch (err) {
      if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
      else say(alert, messageOf(err));
    }
  }

  async function remove(id: number, name: string): Promise<void> {
    const yes = await confirmAction(
      `Delete secret ${name}?`,
      'Scripts using this secret are refused at once. With no secret left, the account’s API is locked until an operator issues one.',
      'Delete secret',
    );
    if (!yes) return;
    try {
      await ctx.client().apiSecrets.delete(id);
      if (!(await ctx.sessionStillValid())) {
        ctx.onUnauthorized('The secret this session used was deleted: sign in with another one.');
        return;
      }
      toast(`Deleted secret ${name}`);
      await load();
    } catch (err) {
      if (isUnauthorized(err)) ctx.onUnauthorized(messageOf(err));
      else say(alert, messageOf(err));
    }
  }

  void load();
  return () => undefined;
}
