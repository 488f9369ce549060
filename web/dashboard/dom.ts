/**
 * Tiny DOM helpers for the dashboard: element building without a framework, and the one way
 * every form shows an error next to the input it concerns. No inline styles anywhere (the page's
 * CSP forbids them): visibility is the `hidden` attribute, looks are classes in style.css.
 */

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

/** `h('button', {type: 'button', onclick: fn}, 'Save')`: attributes, `on*` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = String(value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let nextId = 0;
/** A page-unique id for label/input pairs. */
export function uid(prefix: string): string {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * A labelled control with its hint and its error slot. The error paragraph is tied to the
 * control through aria-describedby, so a screen reader reads the problem with the field.
 */
export interface Field<E extends HTMLElement = HTMLElement> {
  readonly wrap: HTMLDivElement;
  readonly control: E;
  readonly error: HTMLParagraphElement;
}

export function field<E extends HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
  label: string,
  control: E,
  hint?: string,
): Field<E> {
  const id = control.id || uid('f');
  control.id = id;
  const error = h('p', { class: 'error', id: `${id}-error`, hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  control.setAttribute('aria-describedby', [hintEl?.id, error.id].filter(Boolean).join(' '));
  const isCheck = control instanceof HTMLInputElement && control.type === 'checkbox';
  const labelEl = h('label', { for: id }, label);
  const wrap = isCheck
    ? h('div', { class: 'field check' }, control, labelEl, hintEl, error)
    : h('div', { class: 'field' }, labelEl, control, hintEl, error);
  return { wrap, control, error };
}

/** Shows `messages` in a field's error slot (empty list: clears it). */
export function setFieldError(f: Pick<Field, 'control' | 'error'>, messages: readonly string[]): void {
  if (messages.length === 0) {
    f.error.hidden = true;
    f.error.textContent = '';
    f.control.removeAttribute('aria-invalid');
    return;
  }
  f.error.textContent = messages.join(' ');
  f.error.hidden = false;
  f.control.setAttribute('aria-invalid', 'true');
}

/** A status line (role=status or alert) whose text can be set or cleared. */
export function statusLine(kind: 'status' | 'alert'): HTMLParagraphElement {
  return h('p', { class: kind === 'alert' ? 'form-error' : 'notice', role: kind, hidden: true });
}

export function say(line: HTMLElement, text: string | null): void {
  line.textContent = text ?? '';
  line.hidden = !text;
}

/** Lines of a textarea, trimmed, blanks dropped. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n|,/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function formatDate(iso: string | null): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
