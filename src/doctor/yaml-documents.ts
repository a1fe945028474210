import { parseAllDocuments, type Document, type LineCounter } from 'yaml';
import { nestingBeyond } from '../spec/reader.js';
import { withQuotedLinesIndented } from './quoted-indent.js';

/**
 * How the doctor reads a YAML file, in one place: the YAML library's options, the nesting limit and
 * the repair of quoted scalars libyaml's readers take (quoted-indent.ts). read.ts reads every file
 * with them; the Ansible readers (ansible.ts: the tasks' commands, the templates rendered onto
 * config.toml, gitlab_runner tasks) walk the documents read.ts parsed (SourceFile.documents), so a
 * file is read the same way by both, or by neither.
 */

/** Deployment documents nest a few dozen levels at most; deeper input is refused before any recursive reader sees it. */
export const MAX_DEPTH = 200;

/** The documents of a YAML text as the doctor reads it (YAML 1.2, repeated keys kept, no process warnings). */
export function yamlLibraryDocuments(text: string, lineCounter?: LineCounter): Document[] {
  const docs = parseAllDocuments(text, { uniqueKeys: false, version: '1.2', logLevel: 'error', ...(lineCounter ? { lineCounter } : {}) });
  return Array.isArray(docs) ? (docs as Document[]) : [];
}

/** The first error the doctor's YAML reading meets in `text`, or undefined. */
export function firstYamlError(text: string): { message: string; pos: readonly [number, number] } | undefined {
  return yamlLibraryDocuments(text).find((d) => d.errors.length > 0)?.errors[0];
}

/** A YAML file as read: its text (quoted lines indented where they were repaired) and its documents, parsed once, when first asked for. */
export interface YamlFile {
  readonly text: string;
  documents(): readonly Document[];
}

/**
 * How a YAML text is read, in one sequence read.ts and yamlFileOf both take: nested beyond
 * MAX_DEPTH, it is not parsed (`deep`, the offset where it goes too deep: deep block YAML overflows
 * the YAML library's recursion); else `parse` reads it, and where that throws, the text with the
 * quoted lines libyaml's readers take indented (quoted-indent.ts) is read instead, on the same lines
 * (`text` is what was read); where no repair reads, `error` is what `parse` threw on the text as written.
 */
export type YamlRead<R> = { deep: number } | { text: string; read: R } | { error: unknown };
export function readYamlText<R>(text: string, parse: (text: string) => R): YamlRead<R> {
  const deep = nestingBeyond(text, MAX_DEPTH);
  if (deep !== undefined) return { deep };
  try {
    return { text, read: parse(text) };
  } catch (error) {
    const indented = withQuotedLinesIndented(text, firstYamlError);
    return indented === undefined ? { error } : { text: indented, read: parse(indented) };
  }
}

/** The documents of a text, or the first error of any of them thrown. */
function documentsOrThrow(text: string): Document[] {
  const docs = yamlLibraryDocuments(text);
  const failed = docs.find((d) => d.errors.length > 0);
  if (failed) throw failed.errors[0]!;
  return docs;
}

/**
 * A YAML text read as read.ts reads it (readYamlText), for a reader given a text alone (a file named
 * on its own to the register reader, the template pass before the files are read): nested beyond the
 * limit or not YAML even after the repair, it has no documents, as read.ts reads none (RF901).
 */
export function yamlFileOf(text: string): YamlFile {
  let read: { text: string; docs: readonly Document[] } | undefined;
  const once = () => {
    if (read) return read;
    const r = readYamlText(text, documentsOrThrow);
    return (read = 'read' in r ? { text: r.text, docs: r.read } : { text, docs: [] });
  };
  return {
    get text() {
      return once().text;
    },
    documents: () => once().docs,
  };
}

/**
 * The offset in `original` of the character at `at` in `read`, the same text with blanks put before
 * some lines (quoted-indent.ts adds them, and only them): the same line, its column less the blanks
 * added there. Positions the Ansible readers find in the read text are printed where the user wrote them.
 */
export function offsetInOriginal(read: string, original: string, at: number): number {
  if (read === original) return at;
  const lineStart = read.lastIndexOf('\n', at - 1) + 1;
  let line = 0;
  for (let i = read.indexOf('\n'); i >= 0 && i < lineStart; i = read.indexOf('\n', i + 1)) line++;
  let start = 0;
  for (let n = 0; n < line; n++) start = original.indexOf('\n', start) + 1;
  const readEnd = read.indexOf('\n', lineStart);
  const originalEnd = original.indexOf('\n', start);
  const added = (readEnd < 0 ? read.length : readEnd) - lineStart - ((originalEnd < 0 ? original.length : originalEnd) - start);
  return start + Math.max(0, at - lineStart - added);
}
