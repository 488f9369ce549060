/**
 * Puts an API failure where it belongs: each field the error envelope names goes next to the
 * input it maps to, anything else (unknown fields, the general message) goes in the form-level
 * alert.
 */
import { StreamgateApiError } from '../../src/client/index.js';
import { messageOf } from './api.js';
import { type Field, say, setFieldError } from './dom.js';

/** Resolves an envelope field name (`allowedIpAddresses[0]`, `streams[1].streamName`) to a field. */
export type FieldResolver = (name: string) => Field | null;

/** `allowedIpAddresses[0]` -> `allowedIpAddresses`; `tracking.trackingId` -> `tracking`. */
export function rootName(name: string): string {
  const m = /^[^.[]+/.exec(name);
  return m ? m[0] : name;
}

/** The index of the first `[n]` in a field name, or null. */
export function indexOf(name: string): number | null {
  const m = /\[(\d+)\]/.exec(name);
  return m ? Number(m[1]) : null;
}

export class FormErrors {
  private shown: Field[] = [];

  constructor(
    private readonly alert: HTMLElement,
    private readonly resolve: FieldResolver,
  ) {}

  clear(): void {
    for (const f of this.shown) setFieldError(f, []);
    this.shown = [];
    say(this.alert, null);
  }

  /**
   * Shows `err`. A list entry's problem is prefixed with the entry's position (the API names
   * `allowedIpAddresses[2]`), which is what a user editing a textarea needs.
   */
  show(err: unknown): void {
    this.clear();
    if (!(err instanceof StreamgateApiError)) {
      say(this.alert, messageOf(err));
      return;
    }
    const perField = new Map<Field, string[]>();
    const unplaced: string[] = [];
    for (const [name, problems] of Object.entries(err.fieldErrors)) {
      const f = this.resolve(name);
      if (!f) {
        unplaced.push(`${name}: ${problems.join(' ')}`);
        continue;
      }
      const list = perField.get(f) ?? [];
      const where = indexOf(name);
      const prefix = where !== null && f.control instanceof HTMLTextAreaElement ? `Entry ${where + 1}: ` : '';
      for (const p of problems) list.push(`${prefix}${p}`);
      perField.set(f, list);
    }
    for (const [f, list] of perField) {
      setFieldError(f, list);
      this.shown.push(f);
    }
    const first = this.shown[0];
    if (first) first.control.focus();
    const general = perField.size > 0 && unplaced.length === 0 ? err.message : [err.message, ...unplaced].join(' — ');
    say(this.alert, general);
  }
}
