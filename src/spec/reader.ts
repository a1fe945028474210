import { Composer, isAlias, isMap, isScalar, isSeq, Parser, type Document, type Node, type YAMLError, type CST } from 'yaml';
type Token = CST.Token;

import type { Finding } from './findings.js';
import { formatPath, safeText } from './findings.js';
import { plainYamlLocator, readPlainYaml } from './plain-yaml.js';
import { mappingKeyProblems } from './yaml-keys.js';

/**
 * The one reader of spec text (YAML or JSON). Every problem with the text becomes an RF001
 * finding with file:line:column, the offending snippet and the fix; nothing escapes as an
 * exception. Limits are checked before the YAML library sees the text, because the library
 * recurses once per nesting level (a deep file overflows the stack) and its own duplicate-key
 * check is quadratic in the size of a mapping: duplicates are found here, in linear time.
 */
export const SPEC_LIMITS = {
  /** Bytes of spec text. A fleet of 1,000 runners written out is about 0.6 MB. */
  maxBytes: 1024 * 1024,
  /** Nesting of mappings and sequences (a full spec needs about 10). */
  maxDepth: 64,
  /** How far aliases may expand (the YAML library's count: nodes reached through aliases). */
  maxAliasCount: 100,
  /** Syntax errors read before the reader stops (a damaged file can yield one per token). */
  maxErrors: 100,
  /** Findings of one kind listed one by one; the rest are counted in one more finding. */
  maxFindingsPerKind: 20,
} as const;

type Problem = { offset: number; message: string };

const RF001 = (message: string, fix: string, received?: string): Finding => ({
  code: 'RF001',
  severity: 'error',
  path: '',
  message,
  ...(received !== undefined ? { received } : {}),
  fix,
});

/** The line of `text` around `offset`, cut to a readable width and made safe to print. */
export function snippetAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  let end = text.indexOf('\n', offset);
  if (end < 0) end = text.length;
  const from = Math.max(start, offset - 30);
  const to = Math.min(end, Math.max(offset, from) + 50);
  const s = text.slice(from, to).replace(/\r$/, '');
  if (s.trim() === '') {
    // Nothing to show on this line: at the end of the file (something left open), show the last
    // line that has content; else say the line is empty.
    const content = text.trimEnd();
    if (offset < content.length) return '(an empty line)';
    const last = content.slice(content.lastIndexOf('\n') + 1);
    return last === '' ? '(the end of an empty file)' : `(the end of the file, after: ${snippetAt(content, content.length - last.length)})`;
  }
  return `${from > start ? '...' : ''}${safeText(s, 90)}${to < end ? '...' : ''}`;
}

class Positions {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  at(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.starts[lo]! + 1 };
  }
}

/**
 * The deepest nesting of the text, estimated in one pass without parsing: indentation levels
 * and `- ` entries of block style, brackets of flow style (outside quoted strings and comments).
 * Returns the offset where `limit` is first exceeded, if it is.
 */
export function nestingBeyond(text: string, limit: number): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let flowBase = 0;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    let i = pos;
    if (flow === 0) {
      while (i < end && text[i] === ' ') i++;
      const indent = i - pos;
      if (i < end && text[i] !== '#' && text[i] !== '\r') {
        while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        let depth = indents.length;
        while (i + 1 < end && text[i] === '-' && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
          depth++;
          i += 2;
          while (i < end && text[i] === ' ') i++;
        }
        if (depth > limit) return i;
        // A flow collection starts where a value starts: at the entry or after `key: `.
        let valueAt = i;
        if (text[i] !== '[' && text[i] !== '{') {
          let j = i;
          if (text[j] === '"' || text[j] === "'") {
            const q = text[j]!;
            j++;
            while (j < end && text[j] !== q) j += text[j] === '\\' && q === '"' ? 2 : 1;
          }
          const colon = text.indexOf(': ', j);
          valueAt = colon >= 0 && colon < end ? colon + 2 : end;
          while (valueAt < end && text[valueAt] === ' ') valueAt++;
          if (valueAt < end && text[valueAt] !== '[' && text[valueAt] !== '{') valueAt = end;
        }
        if (valueAt < end) {
          flowBase = depth;
          i = valueAt;
        } else i = end;
      } else i = end;
    }
    // Inside a flow collection: count brackets, skip strings and comments.
    while (i < end) {
      const c = text[i]!;
      if (c === '[' || c === '{') {
        flow++;
        if (flowBase + flow > limit) return i;
      } else if (c === ']' || c === '}') {
        if (flow > 0) flow--;
        if (flow === 0) break;
      } else if (c === '"' || c === "'") {
        i++;
        while (i < end && text[i] !== c) i += text[i] === '\\' && c === '"' ? 2 : 1;
      } else if (c === '#' && (i === pos || text[i - 1] === ' ')) {
        break;
      }
      i++;
    }
    pos = end + 1;
  }
  return undefined;
}

/** Runs the YAML library's parser and composer, stopping after `maxErrors` errors. */
function compose(text: string): { doc?: Document.Parsed; errors: Problem[]; stopped: boolean } {
  const STOP = new Error('stop reading');
  const composer = new Composer({ version: '1.2', uniqueKeys: false, prettyErrors: false });
  // Errors go to the composer's own list (stream level) or through this private hook (inside a
  // document); both are watched so that a damaged file stops being read after maxErrors.
  type OnError = (source: unknown, code: string, message: string, warning?: boolean) => void;
  const state = composer as unknown as { onError: OnError; errors: YAMLError[]; doc: { errors: YAMLError[] } | null };
  const count = () => state.errors.length + (state.doc?.errors.length ?? 0);
  const original = state.onError;
  state.onError = (source, code, message, warning) => {
    original(source, code, message, warning);
    if (!warning && count() >= SPEC_LIMITS.maxErrors) throw STOP;
  };
  let stopped = false;
  function* limited(tokens: Iterable<Token>): Generator<Token> {
    for (const t of tokens) {
      yield t;
      if (count() >= SPEC_LIMITS.maxErrors) {
        stopped = true;
        return;
      }
    }
  }
  const toProblems = (list: readonly YAMLError[]): Problem[] => list.map((e) => ({ offset: e.pos[0], message: e.message.split('\n')[0] ?? e.message }));
  let doc: Document.Parsed | undefined;
  const extra: Problem[] = [];
  try {
    for (const d of composer.compose(limited(new Parser().parse(text)), true, text.length)) {
      if (!doc) doc = d;
      else {
        extra.push({ offset: d.range[0], message: 'the file holds more than one YAML document' });
        break;
      }
    }
  } catch (e) {
    if (e !== STOP) throw e;
    return { errors: toProblems([...(state.doc?.errors ?? []), ...state.errors]), stopped: true };
  }
  const errors = [...toProblems(doc?.errors ?? []), ...extra];
  return { ...(doc ? { doc } : {}), errors, stopped };
}

/** Duplicate keys of every mapping, in linear time (the library's own check is quadratic). */
function duplicateKeys(doc: Document.Parsed): Problem[] {
  return keyProblems(doc).filter((p) => p.kind === 'duplicate');
}

/** The mapping key problems of the document, worded for a spec (the fix is the caller's). */
function keyProblems(doc: Document.Parsed): (Problem & { kind: 'duplicate' | 'collection' })[] {
  return mappingKeyProblems(doc).map((p) =>
    p.kind === 'duplicate'
      ? { kind: p.kind, offset: p.offset, message: `the key "${safeText(p.key, 60)}" appears twice in one mapping` }
      : { kind: p.kind, offset: p.offset, message: `a mapping key is a ${p.shape}, not a name: ${safeText(p.key, 60)}` },
  );
}

/** Aliases whose anchor is not defined before them. */
function danglingAliases(doc: Document.Parsed): Problem[] {
  const anchors = new Map<string, number>();
  const aliases: { name: string; offset: number }[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop() as (Node & { anchor?: string }) | null | undefined;
    if (!node || typeof node !== 'object') continue;
    if (isAlias(node)) {
      aliases.push({ name: node.source, offset: node.range?.[0] ?? 0 });
      continue;
    }
    if (node.anchor !== undefined) {
      const at = node.range?.[0] ?? 0;
      const prev = anchors.get(node.anchor);
      if (prev === undefined || at < prev) anchors.set(node.anchor, at);
    }
    if (isMap(node)) for (const pair of node.items) stack.push(pair.key, pair.value);
    else if (isSeq(node)) for (const item of node.items) stack.push(item);
  }
  return aliases
    .filter((a) => !(anchors.get(a.name)! < a.offset))
    .sort((a, b) => a.offset - b.offset)
    .map((a) => ({ offset: a.offset, message: `the alias *${safeText(a.name, 60)} names no anchor defined before it` }));
}

/** Lists problems of one kind, at most `maxFindingsPerKind` of them, then one finding that counts the rest. */
function collapse(problems: Problem[], fileName: string, text: string, fix: string, truncated = false): Finding[] {
  const pos = new Positions(text);
  const byMessage = new Map<string, Problem[]>();
  for (const p of problems) {
    const list = byMessage.get(p.message);
    // The parser can report one error twice at one place (`runners: {{` at the end of the file: each
    // unclosed flow map ends there): one finding, since the place and the words are the same.
    if (list?.some((q) => q.offset === p.offset)) continue;
    if (list) list.push(p);
    else byMessage.set(p.message, [p]);
  }
  const out: Finding[] = [];
  let left = 0;
  for (const [message, list] of byMessage) {
    // The same error over and over (one per token of a damaged line) is one finding with a count.
    const shown = list.slice(0, 3);
    for (const p of shown) {
      if (out.length >= SPEC_LIMITS.maxFindingsPerKind) {
        left++;
        continue;
      }
      const { line, col } = pos.at(p.offset);
      const snippet = snippetAt(text, p.offset);
      out.push(RF001(`${fileName}:${line}:${col}: ${message}`, `${fix}, at line ${line}: ${snippet}`, snippet));
    }
    if (list.length > shown.length) {
      if (out.length < SPEC_LIMITS.maxFindingsPerKind) out.push(RF001(`${fileName}: ${list.length - shown.length} more of: ${message}`, fix));
      else left += list.length - shown.length;
    }
  }
  if (left > 0 || truncated) {
    out.push(RF001(`${fileName}: ${left > 0 ? `${left} more YAML problem(s) not listed` : ''}${truncated ? `${left > 0 ? '; ' : ''}reading stopped after ${SPEC_LIMITS.maxErrors} errors` : ''}`, 'fix the problems listed above and run again'));
  }
  return out;
}

/** Reads spec text (YAML or JSON). Returns the plain value or RF001 findings with line, column and snippet. */
/**
 * RF001 for a spec over SPEC_LIMITS.maxBytes: `bytes` as measured, or undefined when the file was
 * read only up to the limit (a device or a pipe that never ends).
 */
export function specTooLarge(file: string, bytes: number | undefined): Finding {
  const size = bytes === undefined ? `more than ${SPEC_LIMITS.maxBytes.toLocaleString('en-US')}` : bytes.toLocaleString('en-US');
  return RF001(`${file} is ${size} bytes; a spec may have at most ${SPEC_LIMITS.maxBytes.toLocaleString('en-US')} bytes`, 'split the fleet into several specs, or remove what is not a fleet spec', `${bytes === undefined ? `more than ${SPEC_LIMITS.maxBytes}` : bytes} bytes`);
}

/** A number no reader holds as written: NaN, ±Infinity, an integer beyond 2^53 - 1. */
function inexactNumber(v: unknown): boolean {
  return typeof v === 'number' && (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v)));
}

function holdsInexactNumber(value: unknown): boolean {
  const stack: unknown[] = [value];
  // An alias can make the value a graph, even a cycle (`a: &x { b: *x }`): each node once.
  const seen = new Set<object>();
  while (stack.length > 0) {
    const v = stack.pop();
    if (inexactNumber(v)) return true;
    if (v !== null && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  return false;
}

/**
 * The text written for each number the reader could not hold as written (`1e400` read as
 * Infinity, `.nan` as NaN, 9007199254740993 as 9007199254740992), by spec path, so a finding
 * shows what the user wrote. Rare: the text is composed again only when the value holds one.
 */
function writtenNumbers(text: string, value: unknown): Map<string, string> | undefined {
  if (!holdsInexactNumber(value)) return undefined;
  const doc = compose(text).doc;
  if (!doc) return undefined;
  const out = new Map<string, string>();
  const stack: { node: unknown; path: (string | number)[] }[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (isMap(node)) {
      for (const pair of node.items) if (isScalar(pair.key)) stack.push({ node: pair.value, path: [...path, String(pair.key.value)] });
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    } else if (isScalar(node) && inexactNumber(node.value) && typeof node.source === 'string') {
      out.set(formatPath(path), node.source);
    }
  }
  return out.size > 0 ? out : undefined;
}

/** A place in the spec file, 1-based, as YAML errors print it (`file:line:column`). */
export interface SpecPlace {
  line: number;
  column: number;
}

/**
 * The place of a spec path in the text read: `at: 'key'` the key's place (an unknown key), `'value'`
 * the value's (a wrong value; an empty value: its key). A path that goes further than the file: the
 * nearest part that exists (its key, or the item). Undefined only for a path the text has nothing of.
 */
export type SpecLocator = (path: readonly (string | number)[], at: 'key' | 'value') => SpecPlace | undefined;

/**
 * Places from the parse the reader already made: the library's nodes where it composed the text, else
 * the plain reader's locator (a walk over the lines along the path, made on the first question). Nothing
 * is parsed again; a path into a one-line flow collection is placed at the collection.
 */
function specLocator(text: string, doc?: Document.Parsed): SpecLocator {
  let lines: Positions | undefined;
  const place = (offset: number): SpecPlace => {
    const { line, col } = (lines ??= new Positions(text)).at(offset);
    return { line, column: col };
  };
  if (doc) {
    return (path, at) => {
      let node: unknown = doc.contents;
      let key: Node | null = null;
      let consumed = 0;
      for (const part of path) {
        let next: unknown;
        let nextKey: Node | null = null;
        if (isMap(node)) {
          const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
          if (!pair) break;
          next = pair.value;
          nextKey = pair.key as Node;
        } else if (isSeq(node) && typeof part === 'number') {
          next = node.items[part];
          if (next === undefined) break;
        } else break;
        node = next;
        key = nextKey;
        consumed++;
      }
      const value = (node as Node | null)?.range?.[0];
      const keyAt = key?.range?.[0];
      const wantKey = at === 'key' || consumed < path.length || value === undefined || (node as Node | null) === null;
      const offset = wantKey ? (keyAt ?? value) : (value ?? keyAt);
      return offset === undefined ? undefined : place(offset);
    };
  }
  let plain: ReturnType<typeof plainYamlLocator> | undefined;
  return (path, at) => {
    plain ??= plainYamlLocator(text);
    // The locator gives up on a path into a flow sequence or onto an empty value: ask for less of it.
    for (let n = path.length; n >= 0; n--) {
      const found = plain.locateDeep(0, path.slice(0, n));
      if (found === undefined) continue;
      // One key further, inside a one-line flow mapping (`cache: { name: shared }`): found on its line.
      const inner = found.consumed === path.length - 1 && n === path.length ? flowEntry(text, found.offset, path[path.length - 1]!) : undefined;
      if (inner) return place(at === 'key' ? inner.key : inner.value);
      const wantKey = at === 'key' || found.consumed < path.length;
      return place(wantKey ? (found.key ?? found.offset) : found.offset);
    }
    return undefined;
  };
}

/**
 * The key and value offsets of entry `key` of the one-line flow mapping that starts at `offset` (`{`),
 * at its own level (not inside a nested collection or a quoted string); undefined when it has none.
 */
function flowEntry(text: string, offset: number, key: string | number): { key: number; value: number } | undefined {
  if (typeof key !== 'string' || text[offset] !== '{') return undefined;
  let end = text.indexOf('\n', offset);
  if (end < 0) end = text.length;
  let depth = 0;
  let entryStart = true;
  for (let i = offset; i < end; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const k = i;
      i++;
      while (i < end && text[i] !== c) i += text[i] === '\\' && c === '"' ? 2 : 1;
      if (depth === 1 && entryStart && text.slice(k + 1, i) === key) {
        const m = /^\s*:\s*/.exec(text.slice(i + 1, end));
        if (m) return { key: k, value: i + 1 + m[0].length };
      }
      entryStart = false;
    } else if (c === '{' || c === '[') {
      depth++;
      entryStart = true;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return undefined;
    } else if (c === ',') entryStart = true;
    else if (c !== ' ') {
      if (depth === 1 && entryStart && text.startsWith(key, i)) {
        const m = /^\s*:(?:\s+|(?=[,}]))/.exec(text.slice(i + key.length, end));
        if (m) return { key: i, value: i + key.length + m[0].length };
      }
      entryStart = false;
    }
  }
  return undefined;
}

export function readSpecText(input: string, fileName = 'spec'): { value?: unknown; findings: Finding[]; written?: ReadonlyMap<string, string>; locate?: SpecLocator } {
  const file = safeText(fileName, 200);
  const bytes = Buffer.byteLength(input, 'utf8');
  if (bytes > SPEC_LIMITS.maxBytes) return { findings: [specTooLarge(file, bytes)] };
  // A byte order mark is not content (editors on Windows write one).
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const deep = nestingBeyond(text, SPEC_LIMITS.maxDepth);
  if (deep !== undefined) {
    const { line, col } = new Positions(text).at(deep);
    const snippet = snippetAt(text, deep);
    return { findings: [RF001(`${file}:${line}:${col}: the spec nests deeper than ${SPEC_LIMITS.maxDepth} levels of mappings and lists`, `a fleet spec needs about 10 levels; remove the nesting at line ${line}: ${snippet}`, snippet)] };
  }
  // Most specs are plain block YAML with one-line flow collections: the plain reader gives the
  // library's value for them without its syntax tree (20x faster on a 1,000-runner spec). It
  // answers only for text without aliases, duplicate keys, tags or anything else it does not
  // know; the library reads the rest, and reports every problem with its position.
  const plain = readPlainYaml(text, { flowMappings: true });
  if (plain !== undefined && plain.length === 1) return { ...withWritten(text, plain[0]), locate: specLocator(text) };
  let composed: ReturnType<typeof compose>;
  try {
    composed = compose(text);
  } catch (e) {
    // The library should report every problem as an error; if it throws instead, say so as RF001.
    return { findings: [RF001(`${file}: the YAML reader gave up: ${safeText(e instanceof Error ? e.message : String(e))}`, 'check the file is a YAML or JSON fleet spec')] };
  }
  const fix = 'correct the YAML syntax';
  if (composed.errors.length > 0 || !composed.doc) return { findings: collapse(composed.errors, file, text, fix, composed.stopped) };
  const doc = composed.doc;
  const keys = keyProblems(doc);
  const dupes = keys.filter((p) => p.kind === 'duplicate');
  if (dupes.length > 0) return { findings: collapse(dupes, file, text, 'keep one of the keys (each key may appear once per mapping)') };
  if (keys.length > 0) return { findings: collapse(keys, file, text, 'write the key as a plain name (a spec key is a string; remove the `?` or the brackets)') };
  const dangling = danglingAliases(doc);
  if (dangling.length > 0) return { findings: collapse(dangling, file, text, 'define the anchor (&name) before the alias (*name), or write the value out') };
  try {
    return { ...withWritten(text, doc.toJS({ maxAliasCount: SPEC_LIMITS.maxAliasCount }) as unknown), locate: specLocator(text, doc) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/alias/i.test(message)) {
      const stack: unknown[] = [doc.contents];
      // The first alias in the file, to point at.
      let first = Number.MAX_SAFE_INTEGER;
      while (stack.length > 0) {
        const node = stack.pop() as Node | null | undefined;
        if (isAlias(node)) first = Math.min(first, node.range?.[0] ?? first);
        else if (isMap(node)) for (const pair of node.items) stack.push(pair.key, pair.value);
        else if (isSeq(node)) for (const item of node.items) stack.push(item);
      }
      if (first === Number.MAX_SAFE_INTEGER) first = 0;
      const { line, col } = new Positions(text).at(first);
      const snippet = snippetAt(text, first);
      return { findings: [RF001(`${file}:${line}:${col}: aliases expand to more than ${SPEC_LIMITS.maxAliasCount} nodes (a YAML alias bomb, or aliases nested too far)`, `write the repeated values out, or use fewer aliases; the first alias is at line ${line}: ${snippet}`, snippet)] };
    }
    return { findings: [RF001(`${file}: the YAML could not be read: ${safeText(message)}`, fix)] };
  }
}

/**
 * Reads text that must be JSON (a tool's output, such as `terraform output -json`) as strictly as
 * a spec: `JSON.parse` keeps the last of two equal keys without a word, so the text is also read
 * by the spec reader's composer and refused for each duplicate key, with its line and column.
 * Findings are RF001 with the file's name (made safe to print); the caller may give them its own code.
 */
export function readJsonText(input: string, fileName: string): { value?: unknown; findings: Finding[] } {
  const file = safeText(fileName, 200);
  // A UTF-8 byte order mark is not content (PowerShell 7 and editors on Windows write one).
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The engine's message quotes the text around the error: escaped, as anything from the file.
    return { findings: [RF001(`${file} is not JSON: ${safeText(e instanceof Error ? e.message : String(e), 200)}`, 'pass the file the tool wrote, unchanged')] };
  }
  // Valid JSON is YAML 1.2; nesting is measured first, as for a spec (the composer recurses per level).
  const deep = nestingBeyond(text, SPEC_LIMITS.maxDepth);
  if (deep !== undefined) {
    const { line, col } = new Positions(text).at(deep);
    return { findings: [RF001(`${file}:${line}:${col}: the JSON nests deeper than ${SPEC_LIMITS.maxDepth} levels`, 'pass the file the tool wrote, unchanged', snippetAt(text, deep))] };
  }
  const { doc } = compose(text);
  const dupes = doc ? duplicateKeys(doc) : [];
  if (dupes.length > 0) return { findings: collapse(dupes, file, text, 'keep one of the keys (JSON readers disagree on which one counts)') };
  return { value, findings: [] };
}

function withWritten(text: string, value: unknown): { value: unknown; findings: Finding[]; written?: ReadonlyMap<string, string> } {
  const written = writtenNumbers(text, value);
  return written ? { value, findings: [], written } : { value, findings: [] };
}
