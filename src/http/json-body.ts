/**
 * Request-body JSON parsing. Strict JSON first; failing that, one forgiveness: trailing commas
 * before `]` or `}`. Millicast's own documentation shows
 * `{"streams": [{"streamName": ".*", "isRegex": true}, ]}` and its users paste that.
 */
export function parseJsonBody(text: string): unknown {
  if (!NOT_BLANK.test(text)) return undefined;
  try {
    // The reviver costs a call per key, so it only runs when a forbidden key could be present
    // (spelled out, or hidden behind a \u escape).
    return MAYBE_FORBIDDEN.test(text) ? JSON.parse(text, rejectProtoKeys) : JSON.parse(text);
  } catch (strictError) {
    const relaxed = stripTrailingCommas(text);
    if (relaxed === text) throw strictError;
    return JSON.parse(relaxed, rejectProtoKeys);
  }
}

const MAYBE_FORBIDDEN = /__proto__|constructor|prototype|\\u/;
const NOT_BLANK = /\S/;

/** Keys that could reach Object.prototype through a careless merge are refused outright. */
function rejectProtoKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
    throw new SyntaxError(`forbidden key "${key}"`);
  }
  return value;
}

/** Removes commas that are followed (after whitespace) by `]` or `}`, leaving strings untouched. */
export function stripTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    if (c === ',') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      // Only a comma that follows a value can be trailing: `[,]` stays invalid.
      const prev = out.trimEnd().at(-1) ?? '';
      if ((text[j] === ']' || text[j] === '}') && /["\]}0-9a-z]/.test(prev)) continue;
    }
    out += c;
  }
  return out;
}
