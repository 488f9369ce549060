import { Ajv, type ErrorObject } from 'ajv';
import type { FastifySchema } from 'fastify';
import type { FieldErrors } from '../domain/errors.js';

/**
 * Two validators: bodies are checked as sent (a "true" string is not a boolean, unknown fields
 * are errors, nothing is silently dropped); query strings and path params arrive as text, so
 * they are coerced to the declared types first.
 */
const common = { allErrors: true, verbose: true, strict: false, removeAdditional: false } as const;
const bodyAjv = new Ajv({ ...common, coerceTypes: false, useDefaults: false });
const textAjv = new Ajv({ ...common, coerceTypes: true, useDefaults: true });

/** C0 control characters (U+0000 to U+001F): no text field may hold one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose.
const CONTROL_CHARACTER = /[\u0000-\u001f]/;

/** The keyword of the error raised for a control character (it is no JSON Schema keyword). */
export const CONTROL_CHARACTER_KEYWORD = 'controlCharacter';

function escapeJsonPointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Every string in `data` holding a control character, as Ajv-shaped errors. PostgreSQL text
 * cannot hold U+0000 at all, and no label, stream name or filter has a use for the others, so
 * both stores refuse them alike, with a 400 naming the field, before they reach a query.
 * Runs on every validated request, so a clean body costs one walk and no allocation but `at`.
 */
export function controlCharacterErrors(data: unknown): ErrorObject[] {
  return collectControlCharacters(data, [], null) ?? NONE;
}

const NONE: ErrorObject[] = [];

/** Walks `data` (at the path `at`, keys and indexes), adding an error per control character. */
function collectControlCharacters(
  data: unknown,
  at: (string | number)[],
  found: ErrorObject[] | null,
): ErrorObject[] | null {
  if (typeof data === 'string') return CONTROL_CHARACTER.test(data) ? reported(found, at, data) : found;
  if (typeof data !== 'object' || data === null) return found;
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      at.push(i);
      found = collectControlCharacters(data[i], at, found);
      at.pop();
    }
    return found;
  }
  for (const k in data) {
    at.push(k);
    // A field NAME with a control character is reported too (it is no known field anyway).
    if (CONTROL_CHARACTER.test(k)) found = reported(found, at, k);
    found = collectControlCharacters((data as Record<string, unknown>)[k], at, found);
    at.pop();
  }
  return found;
}

function reported(found: ErrorObject[] | null, at: readonly (string | number)[], data: string): ErrorObject[] {
  const instancePath = at.map((k) => `/${typeof k === 'number' ? k : escapeJsonPointer(k)}`).join('');
  const error: ErrorObject = { keyword: CONTROL_CHARACTER_KEYWORD, instancePath, schemaPath: '', params: {}, data };
  if (!found) return [error];
  found.push(error);
  return found;
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export function validatorCompiler({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  const check = ajv.compile(schema as object);
  const validate: Validate = (data: unknown) => {
    const valid = check(data);
    const control = controlCharacterErrors(data);
    validate.errors = valid && control.length === 0 ? null : [...(valid ? [] : (check.errors ?? [])), ...control];
    return valid && control.length === 0;
  };
  return validate;
}

/** `/streams/0/streamName` -> `streams[0].streamName` */
function fieldPath(instancePath: string): string {
  let out = '';
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(key)) out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}

function join(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

function shown(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return ` (got ${String(value)})`;
  if (typeof value === 'string')
    return ` (got ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
  if (Array.isArray(value)) return ' (got an array)';
  return ' (got an object)';
}

/** Turns Ajv's errors into `{field: [problems]}` naming each offending field and value. */
export function fieldErrorsFromAjv(errs: readonly ErrorObject[], part: string | undefined): FieldErrors {
  const out: FieldErrors = {};
  const push = (field: string, problem: string) => {
    const key = field === '' ? (part ?? 'body') : field;
    const list = out[key] ?? [];
    if (!list.includes(problem)) list.push(problem);
    out[key] = list;
  };
  for (const e of errs) {
    const base = fieldPath(e.instancePath);
    switch (e.keyword) {
      case 'required':
        push(join(base, String((e.params as { missingProperty: string }).missingProperty)), 'is required');
        break;
      case 'additionalProperties':
        push(
          join(base, String((e.params as { additionalProperty: string }).additionalProperty)),
          'is not a known field',
        );
        break;
      case 'type':
        push(base, `must be ${String((e.params as { type: string }).type)}${shown(e.data)}`);
        break;
      case CONTROL_CHARACTER_KEYWORD:
        push(base, 'must not contain control characters (U+0000 to U+001F)');
        break;
      case 'enum':
        push(
          base,
          `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}${shown(e.data)}`,
        );
        break;
      default:
        push(base, `${e.message ?? 'is invalid'}${typeof e.data === 'object' ? '' : shown(e.data)}`);
    }
  }
  return out;
}
