/**
 * Stream rules of tokens: exact stream names or regular expressions over the whole name.
 *
 * Patterns come from API users and run on every authorization, so they go through RE2, whose
 * matching time is linear in the input: a pattern like `(a+)+$` cannot stall the server.
 */
import RE2 from 're2';
import { keepLastVerdict } from './last-verdict.js';

export const MAX_STREAM_NAME_LENGTH = 128;

export interface StreamRule {
  readonly streamName: string;
  readonly isRegex: boolean;
}

export interface StreamMatcher {
  matches(streamName: string): boolean;
}

// C0, DEL and C1: they would corrupt logs and media-server paths.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
// With the u flag a surrogate class only matches unpaired halves.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** Checks shared by names and patterns. Length is in code points, as JSON Schema's maxLength counts. */
function validateText(text: string): string | null {
  const length = codePointLength(text);
  if (length < 1 || length > MAX_STREAM_NAME_LENGTH) {
    return `streamName must be 1-${MAX_STREAM_NAME_LENGTH} characters`;
  }
  if (CONTROL_CHARACTER.test(text)) return 'streamName must not contain control characters';
  // A lone surrogate has no UTF-8 form, so RE2 and the media servers would see a different name.
  if (LONE_SURROGATE.test(text)) return 'streamName must be well-formed Unicode';
  return null;
}

/** Compiles a pattern to match whole names; throws the engine's error for patterns RE2 refuses. */
function compileWhole(pattern: string): RE2 {
  // Compiling the bare pattern first rejects unbalanced input such as "a)|(b", which inside
  // "^(?:...)$" would turn into a valid regex that is no longer anchored at both ends.
  new RE2(pattern, 'u');
  return new RE2(`^(?:${pattern})$`, 'u');
}

/** Compiled whole-name patterns by pattern text, shared by every token that uses the pattern. */
const compiledPatterns = new Map<string, RE2>();
/** Distinct patterns kept before the map is emptied (matchers keep the patterns they hold). */
const COMPILED_PATTERN_LIMIT = 10_000;

/**
 * One RE2 program per distinct pattern: many tokens share a pattern (`.*` above all), and each
 * program is native memory, so compiling it per token multiplied that memory by the token count.
 * Sharing is safe: a pattern without the g or y flag keeps no state between calls.
 */
function compiledPattern(pattern: string): RE2 {
  let re = compiledPatterns.get(pattern);
  if (re === undefined) {
    re = compileWhole(pattern);
    if (compiledPatterns.size >= COMPILED_PATTERN_LIMIT) compiledPatterns.clear();
    compiledPatterns.set(pattern, re);
  }
  return re;
}

export function validateStreamRule(rule: StreamRule): string | null {
  const textProblem = validateText(rule.streamName);
  if (textProblem !== null || !rule.isRegex) return textProblem;
  try {
    // Kept in the shared map: the token's first decision then finds its pattern compiled.
    compiledPattern(rule.streamName);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return `'${rule.streamName}' is not a valid regular expression for a linear-time engine (backreferences and lookaround are not supported): ${detail}`;
  }
  return null;
}

export function validateStreamName(name: string): string | null {
  return validateText(name);
}

export function compileStreamRules(rules: readonly StreamRule[]): StreamMatcher {
  const exact = new Set<string>();
  const patterns: RE2[] = [];
  for (const rule of rules) {
    if (!rule.isRegex) {
      exact.add(rule.streamName);
      continue;
    }
    try {
      patterns.push(compiledPattern(rule.streamName));
    } catch {
      // Validation should have refused it; a rule we cannot run must grant nothing.
    }
  }
  if (patterns.length === 0) return { matches: (streamName) => exact.has(streamName) };
  // A token is used over and over for the same stream (a publisher reconnecting, the viewers of
  // one stream sharing a subscribe token), and a pattern call crosses into RE2's native code.
  const patternsMatch = keepLastVerdict((streamName) => patterns.some((pattern) => pattern.test(streamName)));
  return { matches: (streamName) => exact.has(streamName) || patternsMatch(streamName) };
}
