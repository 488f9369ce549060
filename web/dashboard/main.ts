/**
 * Streamgate dashboard, served at `/`. Sign in with an API secret (checked with one cheap
 * authenticated call, kept in sessionStorage only), then four sections chosen by the URL hash:
 * publish tokens, subscribe tokens, API secrets, webhooks. The token lists are in the main
 * bundle; the API-secret and webhook sections load on first use (their own chunks).
 */
import './style.css';
import type { StreamgateClient } from '../../src/client/index.js';
import { accountInfo, clientFor, isUnauthorized, messageOf, storedSecret, storeSecret } from './api.js';
import { tokensView } from './tokens.js';

type Tab = 'publish' | 'subscribe' | 'secrets' | 'webhooks';
const TABS: readonly Tab[] = ['publish', 'subscribe', 'secrets', 'webhooks'];

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;
const signInSection = $<HTMLElement>('sign-in');
const signInForm = $<HTMLFormElement>('sign-in-form');
const secretInput = $<HTMLInputElement>('api-secret');
const secretError = $<HTMLParagraphElement>('api-secret-error');
const appEl = $<HTMLElement>('app');
const view = $<HTMLElement>('view');
const session = $<HTMLElement>('session');
const accountLabel = $<HTMLElement>('account-label');

let secret: string | null = null;
let client: StreamgateClient | null = null;
let stopView: (() => void) | null = null;
let accountPromise: ReturnType<typeof accountInfo> | null = null;

function showSignIn(message: string | null): void {
  stopView?.();
  stopView = null;
  secret = null;
  client = null;
  accountPromise = null;
  storeSecret(null);
  view.replaceChildren();
  appEl.hidden = true;
  session.hidden = true;
  signInSection.hidden = false;
  secretError.textContent = message ?? '';
  secretError.hidden = !message;
  if (message) secretInput.setAttribute('aria-invalid', 'true');
  else secretInput.removeAttribute('aria-invalid');
  secretInput.value = '';
  secretInput.focus();
}

/** Checks a secret with the cheapest authenticated call; the API's message on failure. */
async function signIn(value: string): Promise<string | null> {
  const c = clientFor(value);
  try {
    const secrets = await c.apiSecrets.list();
    secret = value;
    client = c;
    storeSecret(value);
    accountPromise = accountInfo(value);
    const info = await accountPromise;
    accountLabel.textContent = info.streamAccountId
      ? `Account ${info.streamAccountId}`
      : `Signed in (${secrets.length} API secret${secrets.length === 1 ? '' : 's'})`;
    return null;
  } catch (err) {
    return messageOf(err);
  }
}

function currentTab(): Tab {
  const tab = location.hash.replace(/^#/, '') as Tab;
  return TABS.includes(tab) ? tab : 'publish';
}

const onUnauthorized = (message: string) => showSignIn(message);

async function render(): Promise<void> {
  if (!client || !secret) return;
  const tab = currentTab();
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('nav.tabs a'))) {
    if (a.dataset.tab === tab) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  stopView?.();
  stopView = null;
  view.replaceChildren();
  const c = client;
  const s = secret;
  if (tab === 'publish' || tab === 'subscribe') {
    const account = await (accountPromise ?? accountInfo(s));
    stopView = tokensView(view, { client: c, secret: s, account, onUnauthorized }, tab);
  } else if (tab === 'secrets') {
    const { secretsView } = await import('./secrets.js');
    stopView = secretsView(view, {
      client: () => client ?? c,
      onUnauthorized,
      sessionStillValid: async () => {
        try {
          await (client ?? c).apiSecrets.list();
          return true;
        } catch (err) {
          if (isUnauthorized(err)) return false;
          throw err;
        }
      },
      switchSecret: (value) => {
        secret = value;
        client = clientFor(value);
        storeSecret(value);
        accountPromise = accountInfo(value);
      },
    });
  } else {
    const { webhooksView } = await import('./webhooks.js');
    stopView = webhooksView(view, { client: c, onUnauthorized });
  }
}

function showApp(): void {
  signInSection.hidden = true;
  appEl.hidden = false;
  session.hidden = false;
  void render();
}

signInForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const value = secretInput.value.trim();
  if (!value) {
    secretError.textContent = 'Enter an API secret.';
    secretError.hidden = false;
    secretInput.setAttribute('aria-invalid', 'true');
    return;
  }
  const button = signInForm.querySelector('button');
  if (button) button.disabled = true;
  const problem = await signIn(value);
  if (button) button.disabled = false;
  if (problem) {
    secretError.textContent = problem;
    secretError.hidden = false;
    secretInput.setAttribute('aria-invalid', 'true');
    return;
  }
  secretInput.value = '';
  secretError.hidden = true;
  showApp();
});

$<HTMLButtonElement>('sign-out').addEventListener('click', () => showSignIn(null));
window.addEventListener('hashchange', () => void render());

const saved = storedSecret();
if (saved) {
  void signIn(saved).then((problem) => (problem ? showSignIn(problem) : showApp()));
} else {
  secretInput.focus();
}
