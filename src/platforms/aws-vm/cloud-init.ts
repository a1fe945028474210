import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';

/**
 * Whether `path` is the file named `name` (`/etc/gitlab-runner/config.toml` is `config.toml`): the
 * whole path, or its part after a `/`. A string test: a name with regular-expression characters in it
 * (`c++.toml`, `config(1).toml`) is only that name.
 */
export function isFileNamed(path: string, name: string): boolean {
  return path === name || (path.endsWith(name) && path[path.length - name.length - 1] === '/');
}

/** Whether user data is a cloud-init cloud-config document (its first line `#cloud-config`). */
export function isCloudConfig(text: string): boolean {
  return /^#cloud-config[ \t]*\r?\n/.test(text);
}

/**
 * The shell commands of a cloud-config user data (`bootcmd`, `runcmd`; cloud-init's docs, modules
 * "Bootcmd" and "Runcmd"), as a script whose lines are the user data's lines: each command at the
 * line where its item is written (a block scalar's text from the line after its indicator), every
 * other line empty, so what a check says of "line N" is line N of the user data. An item written as
 * a list is the command its words make, and `[sh, -c, "…"]` (or bash, with -c) the script it runs.
 * Undefined for text that is not valid YAML or has no such list.
 */
export function cloudConfigCommands(text: string): string | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  const out: string[] = text.split('\n').map(() => '');
  let any = false;
  for (const key of ['bootcmd', 'runcmd']) {
    const list = doc.get(key, true);
    if (!isSeq(list)) continue;
    for (const item of list.items) {
      let command: string | undefined;
      let at: number | undefined;
      if (isScalar(item) && typeof item.value === 'string' && item.range) {
        command = item.value;
        // A block scalar's text starts on the line after its `|` or `>`.
        at = lines.linePos(item.range[0]).line - (item.type === 'BLOCK_LITERAL' || item.type === 'BLOCK_FOLDED' ? 0 : 1);
      } else if (isSeq(item) && item.range) {
        const words = item.items.map((w) => (isScalar(w) ? String(w.value) : ''));
        const c = words.indexOf('-c');
        command = c > 0 && /(^|\/)(ba|da|z)?sh$/.test(words[0] ?? '') && words[c + 1] !== undefined ? words[c + 1]! : words.join(' ');
        at = lines.linePos(item.range[0]).line - 1;
      }
      if (command === undefined || at === undefined) continue;
      command.replace(/\n$/, '').split('\n').forEach((l, i) => {
        const n = at + i;
        if (n >= 0 && n < out.length) out[n] = out[n] === '' ? l : `${out[n]}; ${l}`;
      });
      any = true;
    }
  }
  return any ? out.join('\n') : undefined;
}

/**
 * A file of a cloud-init `write_files` list (cloud-init's docs, module "Write Files": `path`,
 * `content`, `encoding`, …): the first entry whose path is a file named `name` (isFileNamed), read with the YAML parser, its text
 * and the user data lines it spans (0-based, end exclusive) with their indentation. Only content
 * written as a block scalar (`content: |`) in plain text is read: its lines are the user data's.
 * Encoded content (`encoding: b64`, `gzip`), a quoted or folded value, or user data that is not valid
 * YAML (a part only apply knows where YAML needs a value) is not read.
 */
export function cloudConfigFileSpan(script: string, name: string): { body: string; from: number; to: number; indent: string } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(script, { lineCounter: lines, uniqueKeys: false });
  if (doc.errors.length > 0) return undefined;
  const entries = doc.get('write_files');
  if (!isSeq(entries)) return undefined;
  for (const entry of entries.items) {
    if (!isMap(entry)) continue;
    const path = entry.get('path');
    if (typeof path !== 'string' || !isFileNamed(path, name)) continue;
    const encoding = entry.get('encoding');
    const content = entry.get('content', true);
    if ((encoding !== undefined && encoding !== null && !(typeof encoding === 'string' && /^text\/plain$/i.test(encoding))) || !isScalar(content) || content.type !== 'BLOCK_LITERAL' || typeof content.value !== 'string' || !content.range) return undefined;
    // The block's text starts on the line after its `|` indicator; its lines are the value's.
    const from = lines.linePos(content.range[0]).line;
    const body = content.value.endsWith('\n') ? content.value : `${content.value}\n`;
    const first = script.split('\n', from + 1)[from] ?? '';
    return { body, from, to: from + body.split('\n').length - 1, indent: /^[ \t]*/.exec(first)![0] };
  }
  return undefined;
}
