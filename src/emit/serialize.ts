import { Document, Scalar, parse as yamlParse, visit } from 'yaml';
import { stringify as tomlStringify } from 'smol-toml';
import { DO_NOT_EDIT, type Artifact } from './artifacts.js';
import { renderSvg } from './diagram/graph.js';
import { collapseChains } from './diagram/collapse.js';
import { fitMermaidLimits, fittedMermaid } from './diagram/fit.js';
import { writeYaml } from './yaml-writer.js';
import { writeToml } from './toml/writer.js';

export interface OutputFile {
  path: string;
  content: string;
}

/**
 * YAML as both YAML 1.1 readers (GitLab's Ruby parser, go-yaml in Helm and kubectl) and
 * YAML 1.2 readers read it: 1.1 output quotes `on`, `yes`, `no`, sexagesimals and dates.
 */
export function toYaml(doc: unknown): string {
  // The direct writer covers every document runner-fleet emits; the library stays the
  // reference for anything else (and for the writer's tests).
  return writeYaml(doc, ambiguous) ?? toYamlWithLibrary(doc);
}

/** The same bytes through the `yaml` library's Document model (slower: builds a node tree). */
export function toYamlWithLibrary(doc: unknown): string {
  const d = new Document(doc, { version: '1.1', aliasDuplicateObjects: false });
  visit(d, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && ambiguous(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return d.toString({ lineWidth: 0 });
}

const ambiguity = new Map<string, boolean>();

/** A string that some YAML version would read as something else when written plain (`0o17`, `on`, `1:30`). */
function ambiguous(s: string): boolean {
  // A plain scalar that starts with a letter is a string in both versions unless it is one of
  // the YAML 1.1 booleans or nulls (numbers, dates and sexagesimals start with a digit, a sign
  // or a dot); only the rest needs the slower check by parsing.
  if (/^[A-Za-z]/.test(s) && !/^(y|n|yes|no|on|off|true|false|null)$/i.test(s)) return false;
  let hit = ambiguity.get(s);
  if (hit === undefined) {
    hit = plainReadsAs(s, '1.1') !== s || plainReadsAs(s, '1.2') !== s;
    ambiguity.set(s, hit);
  }
  return hit;
}

function plainReadsAs(s: string, version: '1.1' | '1.2'): unknown {
  try {
    const parsed = yamlParse(`k: ${s}`, { version, logLevel: 'error' }) as { k?: unknown } | null;
    return parsed?.k;
  } catch {
    // Not valid as a plain scalar at all: the stringifier quotes such strings by itself.
    return s;
  }
}

const comment = (prefix: string) => (DO_NOT_EDIT.match(/.{1,96}(\s|$)/g) ?? [DO_NOT_EDIT]).map((l) => `${prefix}${l.trim()}`).join('\n');
/** The do-not-edit marker as `#` comment lines (the same for every file: computed once). */
export const HASH_COMMENT = comment('# ');

const tomlTexts = new WeakMap<object, string>();

/**
 * The TOML text of a document, stringified once per document object: VM platforms embed
 * `config.toml` in the user data during emit, and synth writes the same document again.
 * Emitted documents are not changed after emit, so the text stays the document's.
 */
export function tomlDocumentText(doc: Record<string, unknown>): string {
  let text = tomlTexts.get(doc);
  if (text === undefined) {
    // The direct writer covers every document runner-fleet emits; smol-toml for anything else.
    text = writeToml(doc) ?? tomlStringify(doc);
    tomlTexts.set(doc, text);
  }
  return text;
}

export function serializeArtifact(a: Artifact): OutputFile {
  switch (a.format) {
    case 'json':
      return { path: a.path, content: `${JSON.stringify(a.content, null, 2)}\n` };
    case 'yaml':
      return { path: a.path, content: `${HASH_COMMENT}\n${a.comment ? `${a.comment.split('\n').map((l) => `# ${l}`).join('\n')}\n` : ''}${a.content.map((d) => `---\n${toYaml(d)}`).join('')}` };
    case 'toml':
      return { path: a.path, content: `${HASH_COMMENT}\n\n${tomlDocumentText(a.content)}\n` };
    case 'text': {
      switch (a.mode) {
        case 'markdown':
          return { path: a.path, content: `<!-- ${DO_NOT_EDIT} -->\n\n${a.content}` };
        case 'mermaid':
          // Front matter must come first in Mermaid, so the marker goes last.
          return { path: a.path, content: `${a.content}${a.content.endsWith('\n') ? '' : '\n'}%% ${DO_NOT_EDIT}\n` };
        case 'svg':
          return { path: a.path, content: `<!-- ${DO_NOT_EDIT} -->\n${a.content}${a.content.endsWith('\n') ? '' : '\n'}` };
        case 'shell': {
          // The marker goes after a shebang line. (No split and join: user data can be large.)
          if (!a.content.startsWith('#!')) return { path: a.path, content: `${HASH_COMMENT}\n${a.content}` };
          const eol = a.content.indexOf('\n');
          if (eol === -1) return { path: a.path, content: `${a.content}\n${HASH_COMMENT}` };
          // A script that already carries the marker there is written as it is: user data is
          // emitted marked, so the launch template, the file and the proofs share one string.
          if (a.content.startsWith(HASH_COMMENT, eol + 1) && (a.content.length === eol + 1 + HASH_COMMENT.length || a.content.charCodeAt(eol + 1 + HASH_COMMENT.length) === 10)) return { path: a.path, content: a.content };
          return { path: a.path, content: `${a.content.slice(0, eol)}\n${HASH_COMMENT}${a.content.slice(eol)}` };
        }
        case undefined:
          return { path: a.path, content: a.content };
        default: {
          const never: never = a.mode;
          throw new Error(`internal: unknown text mode ${String(never)}`);
        }
      }
    }
    case 'diagram':
      return serializeArtifact(
        a.render === 'svg'
          ? { path: a.path, format: 'text', content: renderSvg(fitMermaidLimits(collapseChains(a.content))), mode: 'svg' }
          : { path: a.path, format: 'text', content: fittedMermaid(collapseChains(a.content)), mode: 'mermaid' },
      );
    default: {
      const never: never = a;
      throw new Error(`internal: unknown artifact ${JSON.stringify(never)}`);
    }
  }
}
