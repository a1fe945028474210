/**
 * Where a value of a TOML text is written: the line of `key = …` for a key, of the `[table]` or
 * `[[array]]` header for a table, and for a path that is not there, of its deepest part that is.
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
    consider([...table, ...key.keys], i, column);
    // A multi-line string that does not close on this line: its lines are not keys.
    const value = text.slice(key.end + 1).trimStart();
    const quote = value.startsWith('"""') ? '"""' : value.startsWith("'''") ? "'''" : undefined;
    if (quote && !value.slice(3).includes(quote)) closing = quote;
  }
  return best;
}
