import { LineCounter, parseAllDocuments, isMap, isSeq, isPair, isScalar, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { LineIndex } from './hcl/ast.js';
import { plainYamlLocator, type PlainLocator } from '../spec/plain-yaml.js';
import { tomlPlace } from './toml-locate.js';
import { yamlLibraryDocuments } from './yaml-documents.js';

/** A position in a file the user gave, printed as `file:line:column`. */
export interface Position {
  file: string;
  line: number;
  column: number;
}

export const formatPosition = (p: Position): string => `${p.file}:${p.line}:${p.column}`;

/**
 * One parsed file. Values are parsed fast (JSON.parse, yaml) and positions are computed only
 * when a finding asks for one: the file is then re-read with a line counter, once.
 */
export class SourceFile {
  readonly path: string;
  readonly text: string;
  readonly syntax: 'yaml' | 'json' | 'toml' | 'hcl';
  #yaml: { docs: Document[]; lines: LineCounter } | undefined;
  /** HCL: offsets of blocks, attributes and object keys by path, recorded by the parser. */
  #marks: Map<string, number> | undefined;
  #lines: LineIndex | undefined;
  /** The text split at line feeds, made on the first locate that reads lines (TOML keys, literal blocks, HCL). */
  #textLines: string[] | undefined;
  /** YAML the plain reader read: its locator, made on the first locate (null: not read by the plain reader). */
  #plain: PlainLocator | null | undefined = null;

  constructor(path: string, text: string, syntax: SourceFile['syntax']) {
    this.path = path;
    this.text = text;
    this.syntax = syntax;
  }

  /** The YAML documents the reader already parsed with a line counter: locating then needs no second parse. */
  adoptYaml(docs: ReturnType<typeof parseAllDocuments> | Document[], lines: LineCounter): void {
    this.#yaml = { docs: Array.isArray(docs) ? (docs as Document[]) : [], lines };
  }

  /**
   * The YAML library's documents of this file (nodes with their offsets in `text`): those the reader
   * parsed, or, for a file the plain reader read, parsed once now with the reader's options
   * (yaml-documents.ts). The Ansible readers walk these.
   */
  documents(): readonly Document[] {
    if (this.#yaml) return this.#yaml.docs;
    return (this.#nodes ??= this.syntax === 'yaml' ? yamlLibraryDocuments(this.text) : []);
  }
  #nodes: Document[] | undefined;

  /** The values were read by the plain YAML reader: locating then walks the text along the path (plainYamlLocator), not the library. */
  adoptPlainYaml(): void {
    this.#plain = undefined;
  }

  /** Whether the plain YAML reader read the values (src/spec/plain-yaml.ts). */
  get plainYaml(): boolean {
    return this.#plain !== null;
  }

  /**
   * What the user wrote for the setting at `path` of document `doc`, where that is not the file's own
   * key (a config.toml entry register builds from a container's env or a chart's values): undefined
   * for a file that is what it says.
   */
  writtenAs(_doc: number, _path: readonly (string | number)[]): string | undefined {
    return undefined;
  }

  /** Position of the value at `path` inside document `doc` (the nearest existing ancestor when the path is missing). */
  locate(doc: number, path: readonly (string | number)[]): Position {
    if (this.syntax === 'hcl' && this.#marks) {
      for (let n = path.length; n > 0; n--) {
        const at = this.#marks.get(path.slice(0, n).join('\u0001'));
        if (at !== undefined) return (n < path.length ? this.#inHeredoc(at, path.slice(n)) : undefined) ?? this.offsetPosition(at);
      }
      return { file: this.path, line: 1, column: 1 };
    }
    if (this.syntax === 'toml') {
      const at = tomlPlace(this.#split(), path);
      if (at) return { file: this.path, line: at.line + 1, column: at.column };
    }
    if (this.syntax === 'toml' || this.syntax === 'hcl') return this.#locateByKey(path);
    if (this.#plain !== null && !this.#yaml) {
      this.#plain ??= plainYamlLocator(this.text);
      const at = this.#plain.locateDeep(doc, path);
      if (at !== undefined) return this.#inBlock(at.offset, path.slice(at.consumed)) ?? this.offsetPosition(at.offset);
    }
    try {
      if (!this.#yaml) {
        const lines = new LineCounter();
        // JSON is read by the YAML parser too: it gives positions for both.
        const docs = parseAllDocuments(this.text, { lineCounter: lines, uniqueKeys: false });
        this.#yaml = { docs: Array.isArray(docs) ? (docs as Document[]) : [], lines };
      }
      const d = this.#yaml.docs[doc];
      if (!d) return this.#at(0);
      let node: unknown = d.contents;
      let offset = (node as Node | null)?.range?.[0] ?? 0;
      let consumed = 0;
      for (const key of path) {
        if (isMap(node)) {
          const pair = pairOf(node, key);
          if (!pair) break;
          const k = pair.key as Node | null;
          node = pair.value;
          offset = (node as Node | null)?.range?.[0] ?? k?.range?.[0] ?? offset;
        } else if (isSeq(node) && typeof key === 'number') {
          const item = node.items[key] as Node | undefined;
          if (!item) break;
          node = item;
          offset = item.range?.[0] ?? offset;
        } else break;
        consumed++;
      }
      return (isScalar(node) && node.type === 'BLOCK_LITERAL' ? this.#inBlock(offset, path.slice(consumed)) : undefined) ?? this.#at(offset);
    } catch {
      return { file: this.path, line: 1, column: 1 };
    }
  }

  /**
   * The path's rest inside a YAML literal block (`key: |`) that starts at `offset` and holds TOML,
   * as the gitlab-runner chart's `runners.config` does: the block's lines are the TOML's lines, so a
   * key in it has a line and column in this file. Undefined when nothing is left of the path, the
   * value is not a literal block, or the path names nothing in it.
   */
  #inBlock(offset: number, rest: readonly (string | number)[]): Position | undefined {
    if (rest.length === 0 || this.text[offset] !== '|') return undefined;
    this.#lines ??= new LineIndex(this.text);
    const header = this.#lines.pos(offset).line; // 1-based: the index of the block's first line
    const all = this.#split();
    const indentOf = (l: string) => l.length - l.trimStart().length;
    let first = header;
    while (first < all.length && all[first]!.trim() === '') first++;
    if (first >= all.length) return undefined;
    const indent = indentOf(all[first]!);
    if (indent === 0) return undefined;
    let end = first;
    while (end < all.length && (all[end]!.trim() === '' || indentOf(all[end]!) >= indent)) end++;
    const at = tomlPlace(all.slice(header, end), rest);
    return at ? { file: this.path, line: header + at.line + 1, column: at.column } : undefined;
  }

  /**
   * HCL: the path's rest inside a heredoc (`<<-TOML` … `TOML`) that starts at `offset` and holds
   * TOML, as a ConfigMap's `data = { "config.toml" = <<-TOML … }` does: the heredoc's lines are the
   * TOML's lines (interpolations stay on their line), so a key in it has a line and column here.
   * Undefined when the value is not a heredoc or the path names nothing in it.
   */
  #inHeredoc(offset: number, rest: readonly (string | number)[]): Position | undefined {
    const m = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?$/m.exec(this.text.slice(offset, this.text.indexOf('\n', offset) >>> 0));
    if (!m || m.index !== 0) return undefined;
    this.#lines ??= new LineIndex(this.text);
    const header = this.#lines.pos(offset).line; // 1-based: the index of the heredoc's first line
    const all = this.#split();
    let end = header;
    while (end < all.length && all[end]!.trim() !== m[1]) end++;
    const at = tomlPlace(all.slice(header, end), rest);
    return at ? { file: this.path, line: header + at.line + 1, column: at.column } : undefined;
  }

  /**
   * HCL: the places of a document written in the heredoc that starts at `offset` (`<<EOT`,
   * `<<-EOT`), whose text as Terraform renders it is `rendered` (a values document, a config): a
   * line and column of that text → the same character in this file. A line an interpolation made
   * longer or shorter before that column keeps its line, at its first written character. Undefined
   * when no heredoc starts there, or the rendered text does not have the heredoc's lines (an
   * interpolation that spans lines, or makes several).
   */
  heredocPlaces(offset: number, rendered: string): ((p: { line: number; column: number }) => Position) | undefined {
    const m = /^<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?$/.exec(this.text.slice(offset, this.text.indexOf('\n', offset) >>> 0));
    if (!m) return undefined;
    this.#lines ??= new LineIndex(this.text);
    const header = this.#lines.pos(offset).line; // 1-based: the index of the heredoc's first line
    const all = this.#split();
    let end = header;
    while (end < all.length && all[end]!.trim() !== m[2]) end++;
    const written = all.slice(header, end);
    const shown = rendered.split('\n');
    if (shown.length !== written.length + 1 || shown[written.length] !== '') return undefined;
    const lead = (l: string) => /^[ \t]*/.exec(l)![0].length;
    // `<<-`: Terraform removes the indentation the non-blank lines share (as the parser does).
    const widths = m[1] === '-' ? written.filter((l) => l.trim() !== '').map(lead) : [];
    const strip = widths.length > 0 ? Math.min(...widths) : 0;
    return ({ line, column }) => {
      const i = Math.min(Math.max(line, 1), written.length) - 1;
      const own = written[i] ?? '';
      const cut = Math.min(strip, lead(own));
      const same = shown[i]!.slice(0, column - 1) === own.slice(cut, cut + column - 1);
      return { file: this.path, line: header + i + 1, column: same ? cut + column : lead(own) + 1 };
    };
  }

  /**
   * JSON: the place of character `offset` of the string value whose opening quote is at `at` (the
   * string as decoded: an escape is one character); `at` itself when no string starts there.
   */
  inJsonString(at: Position, offset: number): Position {
    return this.inJsonStringAll(at, [offset])[0]!;
  }

  /**
   * inJsonString for several characters of one string, `offsets` in ascending order: one pass over
   * the string's text however many there are (the lines of a script in a JSON string).
   */
  inJsonStringAll(at: Position, offsets: readonly number[]): Position[] {
    const open = this.offsetOf(at);
    if (this.text[open] !== '"') return offsets.map(() => at);
    let i = open + 1;
    let n = 0;
    return offsets.map((offset) => {
      for (; n < offset && i < this.text.length && this.text[i] !== '"'; n++) {
        // An escape is one character of the string (\uXXXX six of the file's, any other two).
        i += this.text[i] !== '\\' ? 1 : this.text[i + 1] === 'u' ? 6 : 2;
      }
      return this.offsetPosition(i);
    });
  }

  /** HCL: records where the value at `path` starts (the first record of a path wins). */
  mark(path: readonly (string | number)[], offset: number): void {
    this.#marks ??= new Map();
    const key = path.join('\u0001');
    if (!this.#marks.has(key)) this.#marks.set(key, offset);
  }

  /** The offset of a position in this file (the line starts are found once per file). */
  offsetOf(p: { line: number; column: number }): number {
    this.#lines ??= new LineIndex(this.text);
    return this.#lines.offset(p.line, p.column);
  }

  offsetPosition(offset: number): Position {
    this.#lines ??= new LineIndex(this.text);
    return { file: this.path, ...this.#lines.pos(offset) };
  }

  #at(offset: number): Position {
    const p = this.#yaml?.lines.linePos(offset) ?? { line: 1, col: 1 };
    return { file: this.path, line: p.line, column: p.col };
  }

  #split(): readonly string[] {
    return (this.#textLines ??= this.text.split('\n'));
  }

  /** TOML and HCL: the line where the last key of the path is assigned (`key =` or `key {`). */
  #locateByKey(path: readonly (string | number)[]): Position {
    const keys = path.filter((k): k is string => typeof k === 'string');
    const lines = this.#split();
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      for (let at = 0; at < lines.length; at++) {
        const indent = keyAssignedAt(lines[at]!, k);
        if (indent >= 0) return { file: this.path, line: at + 1, column: indent + 1 };
      }
    }
    return { file: this.path, line: 1, column: 1 };
  }
}

/**
 * The pairs of a YAML mapping by key, made once per mapping on the first lookup: a finding per key
 * of a mapping of N keys then costs N, not N² (a ConfigMap of many credentials). The first pair of
 * a key wins, as a lookup in written order would find it (duplicate keys are read, not refused).
 */
const pairsByKey = new WeakMap<YAMLMap, Map<unknown, Pair>>();

function pairOf(node: YAMLMap, key: string | number): Pair | undefined {
  let index = pairsByKey.get(node);
  if (!index) {
    index = new Map();
    for (const p of node.items) {
      if (!isPair(p)) continue;
      const k = isScalar(p.key) ? p.key.value : p.key;
      if (!index.has(k)) index.set(k, p);
    }
    pairsByKey.set(node, index);
  }
  return index.get(key);
}

/** Where an imported value came from: a file, a document in it, the path inside that document. */
export interface Origin {
  source: SourceFile;
  doc: number;
  path: (string | number)[];
}

export function originAt(origin: Origin, ...more: (string | number)[]): Position {
  return origin.source.locate(origin.doc, [...origin.path, ...more]);
}

/**
 * A config.toml setting named in a finding's words: `config.toml [runners.kubernetes] privileged = true`
 * for a config.toml written as such; where the entry was built from something else the user wrote
 * (SourceFile.writtenAs: an env variable, a values key), that, and the setting it gives:
 * `env KUBERNETES_PRIVILEGED of Deployment ci/runner sets [runners.kubernetes] privileged = true`.
 */
export function tomlSettingSaid(origin: Origin, path: readonly (string | number)[], setting: string): string {
  const written = origin.source.writtenAs(origin.doc, [...origin.path, ...path]);
  return written !== undefined ? `${written} sets ${setting}` : `config.toml ${setting}`;
}

/** Who names a config.toml setting in a finding: `config.toml`, or what the user wrote for it (SourceFile.writtenAs). */
export function tomlWriter(origin: Origin, path: readonly (string | number)[]): string {
  return origin.source.writtenAs(origin.doc, [...origin.path, ...path]) ?? 'config.toml';
}

/** The script line (0-based) of line `line` (0-based) of a heredoc span's body. */
export function spanLine(span: { from: number; lines?: readonly number[] }, line: number): number {
  return span.lines?.[line] ?? span.from + line;
}

/**
 * Where a TOML or HCL line assigns `key` (`key =`, `"key" =`, `key {`, after any white space): the
 * length of its indentation, or -1. By string tests, not a RegExp built from the key: a key is as
 * long as the file makes it, and V8 refuses a pattern of some tens of thousands of characters.
 */
function keyAssignedAt(line: string, key: string): number {
  const indent = /^\s*/.exec(line)![0].length;
  let at = indent;
  if (line[at] === '"') at++;
  if (!line.startsWith(key, at)) return -1;
  at += key.length;
  if (line[at] === '"') at++;
  while (at < line.length && /\s/.test(line[at]!)) at++;
  return line[at] === '=' || line[at] === '{' ? indent : -1;
}
