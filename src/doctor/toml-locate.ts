/**
 * Where a value of a TOML text is written: the line of `key = …` for a key, of the `[table]` or
 * `[[array]]` header for a table, an array's entry where it starts (a string at its quote, on its own
 * line in an array written over several), a key of an inline table at the key, and for a path that is
 * not there, of its deepest part that is.
 * It reads only what a position needs (headers, the count of each array of tables, keys: bare,
 * quoted, dotted) and skips multi-line strings, so it works on any text a TOML parser accepted,
 * also on TOML embedded in a YAML block (the chart's `runners.config`), whose lines it is given.
 */

/** `line` is an index into `lines`, `column` 1-based; `depth` is how much of the path was found. */
export interface TomlPlace {
  line: number;
  column: number;
  depth: number;
}

const KEY_PART = /^\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*/;

/** The keys of a (possibly dotted) key at the start of `s`, and where the key ends; undefined: not a key. */
function readKey(s: string): { keys: string[]; end: number } | undefined {
  const keys: string[] = [];
  let at = 0;
  for (;;) {
    const m = KEY_PART.exec(s.slice(at));
    if (!m) return undefined;
    keys.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]!));
    at += m[0].length;
    if (s[at] !== '.') return { keys, end: at };
    at++;
  }
}

export function tomlPlace(lines: readonly string[], path: readonly (string | number)[]): TomlPlace | undefined {
  const id = (p: readonly (string | number)[]) => JSON.stringify(p);
  // How many elements each array of tables has so far, by its path (parents' indexes resolved).
  const arrays = new Map<string, number>();
  /** The header's keys as a path: a parent that is an array of tables means its last element. */
  const resolve = (keys: string[]): (string | number)[] => {
    const out: (string | number)[] = [];
    for (const k of keys) {
      out.push(k);
      const n = arrays.get(id(out));
      if (n !== undefined) out.push(n - 1);
    }
    return out;
  };
  let table: (string | number)[] = [];
  let best: TomlPlace | undefined;
  const consider = (at: readonly (string | number)[], line: number, column: number) => {
    if (at.length > path.length || !at.every((k, i) => k === path[i])) return;
    if (!best || at.length > best.depth) best = { line, column, depth: at.length };
  };
  let closing: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (closing !== undefined) {
      if (line.includes(closing)) closing = undefined;
      continue;
    }
    const text = line.trimStart();
    const column = line.length - text.length + 1;
    if (text === '' || text.startsWith('#')) continue;
    if (text.startsWith('[[')) {
      const key = readKey(text.slice(2));
      if (!key) continue;
      const parent = resolve(key.keys.slice(0, -1));
      const arrayPath = [...parent, key.keys[key.keys.length - 1]!];
      const n = arrays.get(id(arrayPath)) ?? 0;
      arrays.set(id(arrayPath), n + 1);
      table = [...arrayPath, n];
      consider(table, i, column);
      continue;
    }
    if (text.startsWith('[')) {
      const key = readKey(text.slice(1));
      if (!key) continue;
      table = resolve(key.keys);
      consider(table, i, column);
      continue;
    }
    const key = readKey(text);
    if (!key || text[key.end] !== '=') continue;
    const at = [...table, ...key.keys];
    consider(at, i, column);
    const value = text.slice(key.end + 1).trimStart();
    // An array or inline table: its entries and keys are placed, and its lines (to where it closes) are not keys.
    if (value.startsWith('[') || value.startsWith('{')) {
      i = scanValue(lines, i, line.length - value.length, at, consider);
      continue;
    }
    // A multi-line string that does not close on this line: its lines are not keys.
    const quote = value.startsWith('"""') ? '"""' : value.startsWith("'''") ? "'''" : undefined;
    if (quote && !value.slice(3).includes(quote)) closing = quote;
  }
  return best;
}

/**
 * An array or inline table that starts at `lines[line][start]` (its `[` or `{`), over as many lines
 * as it takes: each entry of an array is given to `consider` at its first character (a string at its
 * quote), each key of an inline table at the key, with its path under `at`. Strings (multi-line too)
 * and comments are skipped whole. Returns the line the value closes on (the last line when it does not).
 */
function scanValue(lines: readonly string[], line: number, start: number, at: readonly (string | number)[], consider: (at: readonly (string | number)[], line: number, column: number) => void): number {
  type Frame = { path: readonly (string | number)[]; array: true; index: number } | { path: readonly (string | number)[]; array: false };
  const stack: Frame[] = [];
  let li = line;
  let ci = start;
  /** Past the end of a string whose quotes `q` open at `ci`; across lines for `"""` and `'''`. */
  const skipString = (q: string) => {
    const multi = lines[li]!.startsWith(q.repeat(3), ci);
    const close = multi ? q.repeat(3) : q;
    ci += close.length;
    for (;;) {
      const text = lines[li]!;
      let k = ci;
      for (; k < text.length; k++) {
        if (q === '"' && text[k] === '\\') k++;
        else if (text.startsWith(close, k)) break;
      }
      if (k < text.length) {
        ci = k + close.length;
        // A multi-line string may end in one or two quotes of its own before its closing three.
        if (multi) while (text[ci] === q && ci < k + close.length + 2) ci++;
        return;
      }
      if (!multi || li + 1 >= lines.length) {
        ci = text.length;
        return;
      }
      li++;
      ci = 0;
    }
  };
  /** A value at `ci` whose path is `path`: an array or table is entered, anything else skipped. */
  const value = (path: readonly (string | number)[]) => {
    const c = lines[li]![ci];
    if (c === '[') {
      stack.push({ path, array: true, index: 0 });
      ci++;
    } else if (c === '{') {
      stack.push({ path, array: false });
      ci++;
    } else if (c === '"' || c === "'") skipString(c);
    else {
      const m = /^[^\s,\]}#]+/.exec(lines[li]!.slice(ci));
      ci += m ? m[0].length : 1;
    }
  };
  value(at);
  while (stack.length > 0 && li < lines.length) {
    const text = lines[li]!;
    while (ci < text.length && (text[ci] === ' ' || text[ci] === '\t' || text[ci] === '\r')) ci++;
    if (ci >= text.length || text[ci] === '#') {
      if (li + 1 >= lines.length) break;
      li++;
      ci = 0;
      continue;
    }
    const frame = stack[stack.length - 1]!;
    const c = text[ci]!;
    if (c === (frame.array ? ']' : '}')) {
      stack.pop();
      ci++;
    } else if (c === ',') {
      if (frame.array) frame.index++;
      ci++;
    } else if (frame.array) {
      const path = [...frame.path, frame.index];
      consider(path, li, ci + 1);
      value(path);
    } else {
      const key = readKey(text.slice(ci));
      if (!key || text[ci + key.end] !== '=') return li;
      const path = [...frame.path, ...key.keys];
      consider(path, li, ci + 1);
      ci += key.end + 1;
      while (text[ci] === ' ' || text[ci] === '\t') ci++;
      value(path);
    }
  }
  return li;
}
