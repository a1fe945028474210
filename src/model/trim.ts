/**
 * `s` without the run of `char` at its end: what `s.replace(/<char>+$/, '')` gives, in one pass from
 * the end. The regex is quadratic on a long run of `char` not at the end (V8 tries the run from each
 * of its characters, finds no end of text after it, and starts again at the next), and these texts
 * come from specs and from deployments the doctor reads.
 */
export function trimEnd(s: string, char: string): string {
  const code = char.charCodeAt(0);
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === code) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** `s` without the characters of `chars` at its end, in one pass: `s.replace(/[<chars>]+$/, '')` without its quadratic case. */
export function trimEndAny(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}
