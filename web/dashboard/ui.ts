/** Confirmation dialog, clipboard copy and the transient toast of the dashboard. */
import { h } from './dom.js';

/**
 * Asks before a destructive action with a modal <dialog> (focus is trapped and Escape cancels,
 * natively). Resolves true only when the user pressed the confirming button.
 */
export function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'submit', value: 'ok', class: 'danger' }, confirmLabel);
    const cancel = h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel');
    const titleId = `dlg-title-${Date.now()}`;
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': titleId },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: titleId }, title),
        h('p', {}, text),
        h('div', { class: 'actions' }, cancel, ok),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/**
 * Copies text: the async clipboard API where the page may use it, else a selected off-screen
 * textarea and execCommand('copy') (older browsers, or a denied clipboard permission).
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the legacy path
  }
  const area = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
  area.value = text;
  document.body.append(area);
  area.select();
  let done = false;
  try {
    done = document.execCommand('copy');
  } catch {
    done = false;
  }
  area.remove();
  return done;
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;

/** A short message in the page's live region (announced by screen readers). */
export function toast(text: string): void {
  const el = document.getElementById('toast');
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 4000);
}

/** A copy button for a value; reports the outcome in the toast. */
export function copyButton(value: () => string, what: string, label = 'Copy'): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'small',
      'aria-label': `${label} ${what}`,
      onclick: async () => {
        toast((await copyText(value())) ? `Copied ${what}` : `Could not copy ${what}: select it and copy by hand`);
      },
    },
    label,
  );
}
