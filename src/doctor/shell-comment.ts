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
