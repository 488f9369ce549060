/**
 * Create / edit form of a publish or subscribe token, with every field of SPEC.md §2: label,
 * stream rules (name, regex flag, `.*` for any), expiry (create only: the API sets it once),
 * publish options or subscribe tracking, and the Security fieldset (allowed origins, IP filter
 * type). On edit, only the API's update vocabulary is sent: stream rules become
 * removeTokenStreams / addTokenStreams, the expiry is shown but cannot change.
 */
import type {
  PublishToken,
  StreamgateClient,
  SubscribeToken,
  TokenKind,
  TokenStreamInput,
} from '../../src/client/index.js';
import { type Field, field, formatDate, h, lines, say, statusLine, uid } from './dom.js';
import { FormErrors, indexOf, rootName } from './form-errors.js';

export type AnyToken = PublishToken | SubscribeToken;
export type IpFilterType = 'none' | 'allowed' | 'bind';

interface StreamRow {
  readonly row: HTMLElement;
  readonly name: Field<HTMLInputElement>;
  readonly regex: HTMLInputElement;
}

const isPublish = (t: AnyToken): t is PublishToken => 'subscribeRequiresAuth' in t;

function checkbox(checked: boolean): HTMLInputElement {
  const c = h('input', { type: 'checkbox' });
  c.checked = checked;
  return c;
}

/** The IP filter type a stored token is shown with. */
export function ipFilterTypeOf(t: Pick<AnyToken, 'bindIpsOnUsage' | 'allowedIpAddresses'>): IpFilterType {
  if (t.bindIpsOnUsage > 0) return 'bind';
  return t.allowedIpAddresses.length > 0 ? 'allowed' : 'none';
}

export function tokenForm(
  client: StreamgateClient,
  kind: TokenKind,
  existing: AnyToken | null,
  done: (saved: AnyToken) => void,
  cancel: () => void,
): HTMLFormElement {
  const title = `${existing ? 'Edit' : 'New'} ${kind} token`;
  const titleId = uid('form-title');
  const alert = statusLine('alert');

  // --- general -------------------------------------------------------------------------
  const label = field('Label', h('input', { type: 'text', name: 'label', required: true, maxlength: 128 }));
  label.control.value = existing?.label ?? '';

  const streamsList = h('ul', { class: 'streams' });
  const streamsField: Field = {
    wrap: h('div'),
    control: streamsList,
    error: h('p', { class: 'error', hidden: true, id: uid('streams-error') }),
  };
  const rows: StreamRow[] = [];
  const addRow = (s: TokenStreamInput) => {
    const name = field('Stream name', h('input', { type: 'text', name: 'streamName', maxlength: 128 }));
    name.control.value = s.streamName;
    const regex = h('input', { type: 'checkbox', name: 'isRegex', id: uid('regex') });
    regex.checked = s.isRegex === true;
    const row = h(
      'li',
      { class: 'stream-row' },
      name.wrap,
      h('div', { class: 'field check' }, regex, h('label', { for: regex.id }, 'Regex (whole name)')),
      h(
        'button',
        {
          type: 'button',
          class: 'small',
          onclick: () => {
            const i = rows.findIndex((r) => r.row === row);
            if (i >= 0) rows.splice(i, 1);
            row.remove();
          },
        },
        'Remove stream',
      ),
    );
    rows.push({ row, name, regex });
    streamsList.append(row);
    return name;
  };
  for (const s of existing?.streams ?? [{ streamName: '', isRegex: false }]) addRow(s);
  const streamsSet = h(
    'fieldset',
    { class: 'streams-set' },
    h('legend', {}, 'Streams'),
    h('p', { class: 'hint' }, 'A stream name matches exactly; with Regex the pattern must match the whole name.'),
    streamsList,
    streamsField.error,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        { type: 'button', class: 'small', onclick: () => addRow({ streamName: '' }).control.focus() },
        'Add stream',
      ),
      h(
        'button',
        { type: 'button', class: 'small', onclick: () => addRow({ streamName: '.*', isRegex: true }).control.focus() },
        'Any stream (.*)',
      ),
    ),
  );

  let expires: Field<HTMLInputElement> | null = null;
  let expiresInfo: HTMLElement | null = null;
  if (existing) {
    expiresInfo = h(
      'p',
      { class: 'hint' },
      `Expires: ${formatDate(existing.expiresOn)} (set when the token is created)`,
    );
  } else {
    expires = field(
      'Expires at',
      h('input', { type: 'datetime-local', name: 'expires' }),
      'Optional, your local time. Empty: never expires.',
    );
  }

  // --- kind-specific -------------------------------------------------------------------
  const pub = existing && isPublish(existing) ? existing : null;
  const sub = existing && !isPublish(existing) ? (existing as SubscribeToken) : null;
  const requiresAuth = field(
    'Viewers need a subscribe token (subscribeRequiresAuth)',
    checkbox(pub?.subscribeRequiresAuth ?? false),
  );
  const record = field('Record streams (record)', checkbox(pub?.record ?? false));
  const multisource = field('Allow several sources per stream (multisource)', checkbox(pub?.multisource ?? true));
  const tracking = field(
    'Tracking ID',
    h('input', { type: 'text', name: 'trackingId', maxlength: 128 }),
    'Optional; reported with viewer events.',
  );
  tracking.control.value = sub?.tracking?.trackingId ?? '';
  const options =
    kind === 'publish'
      ? h('fieldset', {}, h('legend', {}, 'Options'), requiresAuth.wrap, record.wrap, multisource.wrap)
      : h('fieldset', {}, h('legend', {}, 'Tracking'), tracking.wrap);

  // --- security ------------------------------------------------------------------------
  const origins = field(
    'Allowed origins',
    h('textarea', { name: 'allowedOrigins', rows: 3, spellcheck: 'false' }),
    'One domain per line (example.com, or *.example.com for its subdomains). Empty: any origin.',
  );
  origins.control.value = (existing?.allowedOrigins ?? []).join('\n');

  const ipType = field(
    'IP filter type',
    h(
      'select',
      { name: 'ipFilterType' },
      h('option', { value: 'none' }, 'None'),
      h('option', { value: 'allowed' }, 'Allowed IP addresses'),
      h('option', { value: 'bind' }, 'Bind IP on usage'),
    ),
  );
  const initialType = existing ? ipFilterTypeOf(existing) : 'none';
  ipType.control.value = initialType;
  const ips = field(
    'Allowed IP addresses',
    h('textarea', { name: 'allowedIpAddresses', rows: 3, spellcheck: 'false' }),
    'One IPv4/IPv6 address or CIDR block per line (192.168.6.0/24, 2001:db8::/32).',
  );
  ips.control.value = initialType === 'allowed' ? (existing?.allowedIpAddresses ?? []).join('\n') : '';
  const bind = field(
    'Number of IP addresses to bind',
    h('input', { type: 'number', name: 'bindIpsOnUsage', min: 1, step: 1, inputmode: 'numeric' }),
    'The first N distinct client addresses that use the token are recorded; any other is then refused.',
  );
  bind.control.value = String(existing && existing.bindIpsOnUsage > 0 ? existing.bindIpsOnUsage : 1);
  const bound =
    existing && initialType === 'bind'
      ? h(
          'p',
          { class: 'hint' },
          existing.allowedIpAddresses.length > 0
            ? `Bound so far: ${existing.allowedIpAddresses.join(', ')}. Choose None to reset the binding.`
            : 'No address bound yet.',
        )
      : null;
  const showIpInputs = () => {
    const t = ipType.control.value as IpFilterType;
    ips.wrap.hidden = t !== 'allowed';
    bind.wrap.hidden = t !== 'bind';
    if (bound) bound.hidden = t !== 'bind';
  };
  ipType.control.addEventListener('change', showIpInputs);
  showIpInputs();
  const security = h(
    'fieldset',
    { class: 'security' },
    h('legend', {}, 'Security'),
    origins.wrap,
    ipType.wrap,
    ips.wrap,
    bind.wrap,
    bound,
  );

  // --- errors --------------------------------------------------------------------------
  /** Index of each stream row sent in `streams` (create) or `addTokenStreams` (edit). */
  let sentRows: StreamRow[] = [];
  const byName: Record<string, Field> = {
    label: label,
    expires: expires ?? label,
    allowedOrigins: origins,
    updateAllowedOrigins: origins,
    allowedIpAddresses: ips,
    updateAllowedIpAddresses: ips,
    bindIpsOnUsage: bind,
    updateBindIpsOnUsage: bind,
    subscribeRequiresAuth: requiresAuth,
    record,
    multisource,
    tracking,
    streams: streamsField,
    removeTokenStreams: streamsField,
  };
  if (!expires) delete byName.expires;
  const errors = new FormErrors(alert, (name) => {
    const root = rootName(name);
    if (root === 'streams' || root === 'addTokenStreams') {
      const i = indexOf(name);
      const row = i === null ? undefined : sentRows[i];
      return row ? row.name : streamsField;
    }
    return byName[root] ?? null;
  });

  // --- submit --------------------------------------------------------------------------
  const submit = h('button', { type: 'submit', class: 'primary' }, existing ? 'Save changes' : `Create ${kind} token`);
  const form = h(
    'form',
    { class: 'token-form card', 'aria-labelledby': titleId, novalidate: true },
    h('h2', { id: titleId }, title),
    alert,
    h('fieldset', {}, h('legend', {}, 'General'), label.wrap, expires?.wrap, expiresInfo),
    streamsSet,
    options,
    security,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: cancel }, 'Cancel'), submit),
  );

  const ipFields = (): Record<string, unknown> => {
    const t = ipType.control.value as IpFilterType;
    if (t === 'allowed') return { allowedIpAddresses: lines(ips.control.value), bindIpsOnUsage: 0 };
    const n = bind.control.value.trim() === '' ? Number.NaN : Number(bind.control.value);
    // A non-number goes to the API as text so that its own message lands next to this input.
    const count = Number.isFinite(n) ? n : bind.control.value;
    if (t === 'bind') {
      // Keep the addresses bound so far, unless they were a fixed list switched to binding.
      return existing && initialType !== 'bind'
        ? { allowedIpAddresses: [], bindIpsOnUsage: count }
        : { bindIpsOnUsage: count };
    }
    return { allowedIpAddresses: [], bindIpsOnUsage: 0 };
  };

  const streamInputs = (list: StreamRow[]): TokenStreamInput[] =>
    list.map((r) => ({ streamName: r.name.control.value.trim(), isRegex: r.regex.checked }));

  const buildCreate = (): Record<string, unknown> => {
    sentRows = [...rows];
    const body: Record<string, unknown> = {
      label: label.control.value.trim(),
      streams: streamInputs(sentRows),
      allowedOrigins: lines(origins.control.value),
      ...ipFields(),
    };
    if (expires?.control.value) {
      const at = new Date(expires.control.value).getTime();
      body.expires = Math.ceil((at - Date.now()) / 1000);
    }
    if (kind === 'publish') {
      body.subscribeRequiresAuth = requiresAuth.control.checked;
      body.record = record.control.checked;
      body.multisource = multisource.control.checked;
    } else if (tracking.control.value.trim()) {
      body.tracking = { trackingId: tracking.control.value.trim() };
    }
    return body;
  };

  const buildUpdate = (t: AnyToken): Record<string, unknown> => {
    const wanted = streamInputs(rows);
    const key = (s: TokenStreamInput) => `${s.isRegex ? 'r' : 'e'}:${s.streamName}`;
    const wantedKeys = new Set(wanted.map(key));
    // removeTokenStreams removes by name, so a rule whose regex flag changed is removed and re-added.
    const remove = [...new Set(t.streams.filter((s) => !wantedKeys.has(key(s))).map((s) => s.streamName))];
    const keptAfterRemove = new Set(t.streams.filter((s) => !remove.includes(s.streamName)).map(key));
    sentRows = rows.filter((_, i) => {
      const w = wanted[i];
      return w !== undefined && !keptAfterRemove.has(key(w));
    });
    const add = streamInputs(sentRows);
    const body: Record<string, unknown> = {
      label: label.control.value.trim(),
      allowedOrigins: lines(origins.control.value),
      ...ipFields(),
    };
    if (remove.length > 0) body.removeTokenStreams = remove;
    if (add.length > 0) body.addTokenStreams = add;
    if (kind === 'publish') {
      body.subscribeRequiresAuth = requiresAuth.control.checked;
      body.record = record.control.checked;
      body.multisource = multisource.control.checked;
    } else {
      body.tracking = { trackingId: tracking.control.value.trim() || null };
    }
    return body;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    submit.disabled = true;
    try {
      const api = client.tokens(kind);
      const saved = existing
        ? await api.update(existing.id, buildUpdate(existing) as never)
        : await api.create(buildCreate() as never);
      done(saved);
    } catch (err) {
      errors.show(err);
    } finally {
      submit.disabled = false;
    }
  });
  say(alert, null);
  return form;
}
