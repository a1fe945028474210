/**
 * Whether `at` is inside a shell comment: after a `#` that begins a word on the same line (at the
 * line's start or after a blank or an operator, outside quotes), not `$#`, `${#x}`, `a#b` or `\#`.
 * A YAML comment (`  # - gitlab-runner register …` in a cloud-init list) and an HCL `#` comment
 * begin the same way. Scans the line up to `at` only.
 */
export function inShellComment(text: string, at: number): boolean {
  let quote: '"' | "'" | undefined;
  for (let i = text.lastIndexOf('\n', at - 1) + 1; i < at; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') i++;
    else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /[ \t\r\n;&|()<>]/.test(text[i - 1]!))) return true;
  }
  return false;
}

/**
 * `inShellComment` for many places of one text, in one pass: the answer for each place is the
 * function's, but the scan goes on from the place asked before when the next is further on (as
 * the places a regex's matches give are), instead of from the line's start each time. Asked of
 * the places of thousands of commands on one line, the function alone scans that line once per
 * place (quadratic: 8,000 `gitlab-runner register` on one line took 21 s); this scans it once.
 * A place before the one asked last starts again from its line's start.
 */
export function shellCommentScanner(text: string): (at: number) => boolean {
  let i = -1; // where the scan stands: the state below holds for text[lineStart, i)
  let quote: '"' | "'" | undefined;
  let comment = false;
  return (at: number): boolean => {
    if (at < i || i < 0) {
      i = text.lastIndexOf('\n', at - 1) + 1;
      quote = undefined;
      comment = false;
    }
    for (; i < at; i++) {
      const c = text[i]!;
      // A new line: the function scans each line on its own, so its state starts again here.
      if (c === '\n') {
        quote = undefined;
        comment = false;
      } else if (comment) continue;
      else if (quote === "'") {
        if (c === "'") quote = undefined;
      } else if (c === '\\') {
        // The escaped character is passed over, unless it ends the line (the next line starts afresh).
        if (text[i + 1] !== '\n') i++;
      } else if (quote === '"') {
        if (c === '"') quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#' && (i === 0 || /[ \t\r\n;&|()<>]/.test(text[i - 1]!))) comment = true;
    }
    return comment;
  };
}
