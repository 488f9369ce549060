/**
 * `verdict` with its last answer kept: a token's users mostly send the same stream name, Origin
 * and address again and again, so the repeated question costs one string comparison instead of
 * parsing, set lookups or a call into RE2's native code. `verdict` must be a pure function of
 * its argument (a compiled matcher's rules never change; a changed token is compiled anew).
 */
export function keepLastVerdict(verdict: (value: string) => boolean): (value: string) => boolean {
  let lastValue: string | null = null;
  let lastVerdict = false;
  return (value) => {
    if (value === lastValue) return lastVerdict;
    const answer = verdict(value);
    lastValue = value;
    lastVerdict = answer;
    return answer;
  };
}
