import type { Finding } from '../spec/findings.js';
import { MARKED_ADDRESS, SCOPED_SYMBOL } from './hcl/eval.js';

/** How many roots a collapsed finding's message names before it counts the rest. */
export const ROOTS_SHOWN = 3;

/** A root's mark (`__rfroot<i>`, ModuleScope.rootMark) or scope (`__rfin<i>`, ModuleScope.rootScope) in a finding's text. */
const ROOT_TOKEN = /__rf(root|in)(\d+)\b/g;

const TEXTS = ['message', 'fix', 'received', 'allowed', 'deploymentFix', 'deploymentReceived', 'deploymentAllowed', 'acceptedBecause'] as const;

/**
 * The root whose evaluation said a finding, where several roots were read (hcl/read.ts tags what
 * each root's evaluation finds): a finding that names no root (the count of a module's resource
 * only apply knows, read the same in each root) is still known to be that root's. A symbol key:
 * copies of the finding (`{ ...f }`) keep it, and no report shows it (JSON leaves symbol keys out;
 * oneAcrossRoots drops it).
 */
export const SAID_IN_ROOT: unique symbol = Symbol('said in root');
type Tagged = Finding & { [SAID_IN_ROOT]?: string };

/** Tags `f` as said by the root of folder `folder` (SAID_IN_ROOT). */
export function saidInRoot(f: Finding, folder: string): void {
  (f as Tagged)[SAID_IN_ROOT] ??= folder;
}

/** A runner whose name carries its root's folder (infer-vm.ts: `<folder>/<name>`, where roots' managers keep one name): that label, its root, its own name. */
export interface RootLabel {
  label: string;
  folder: string;
  name: string;
}

/**
 * The roots a finding is about: those whose marked names and scoped symbols its texts carry (`folderOf`
 * gives a token's root folder, undefined for one not known), the runners it names by a label with their
 * root's folder, and the root whose evaluation said it. Undefined where a token's root is not known.
 */
export function rootsOfFinding(folderOf: (token: string) => string | undefined, labels: readonly RootLabel[] = []): (f: Finding) => Set<string> | undefined {
  const labelled = labelScanner(labels);
  return (f) => {
    const out = new Set<string>();
    const tag = (f as Tagged)[SAID_IN_ROOT];
    if (tag !== undefined) out.add(tag);
    for (const k of TEXTS) {
      const text = f[k];
      if (text === undefined) continue;
      for (const m of text.matchAll(ROOT_TOKEN)) {
        const folder = folderOf(m[0]);
        if (folder === undefined) return undefined;
        out.add(folder);
      }
      if (labelled) for (const l of labelled.matches(text)) out.add(l.folder);
    }
    return out;
  };
}

/**
 * Findings several Terraform roots give about one place of a module they share (nine examples
 * calling `../../`, each reading its user data template): the same code, severity and position, and
 * texts that differ only by which root they are about: its marked names and scoped symbols, and the
 * label of its runner (`examples/ssh/docker-runner-instance-id`, where each root's manager keeps one
 * runner name), exactly that and nothing else. Each is true of each root's deployment, but one place
 * has one fault: said once, with the roots it holds for in `roots` (their folders, sorted) and at the
 * end of the message ("(in 9 roots: a, b, c (+6 more))"). Its texts name the module's addresses as
 * its files write them, without a root's folder, and the runner by its own name. A finding that
 * names no root at all is one root's where that root's evaluation said it (SAID_IN_ROOT): the same
 * finding from several roots is said once too. A finding whose text differs by more than the root
 * (a value from the root's own tfvars) stays one per root, and so does one whose root is not known.
 * `folderOf` gives a token's root folder (`__rfroot2` or `__rfin2`), undefined for one not known.
 */
export function oneAcrossRoots(findings: readonly Finding[], folderOf: (token: string) => string | undefined, labels: readonly RootLabel[] = []): Finding[] {
  const rootsOf = rootsOfFinding(folderOf, labels);
  const labelled = labelScanner(labels);
  // A text with its root's own runner labels as the runner's name (a label of another root stays: its substance differs).
  // In a key, the name keeps a mark: a runner named so in its own right is another text.
  const unlabelled = (text: string, root: string, mark = ''): string => (labelled ? labelled.replace(text, (l) => (l.folder === root ? `${mark}${l.name}` : l.label)) : text);
  const keyOf = (f: Finding, root: string): string => [f.code, f.severity, f.path, ...TEXTS.map((k) => (f[k] === undefined ? '\u0001' : unlabelled(f[k], root, '\u0002').replace(ROOT_TOKEN, '__rf$1')))].join('\u0000');
  const groups = new Map<string, { f: Finding; root: string }[]>();
  const single = new Map<Finding, { root: string; key: string }>();
  for (const f of findings) {
    const roots = rootsOf(f);
    if (roots?.size !== 1) continue;
    const root = [...roots][0]!;
    const key = keyOf(f, root);
    single.set(f, { root, key });
    const group = groups.get(key);
    if (group) group.push({ f, root });
    else groups.set(key, [{ f, root }]);
  }
  const out: Finding[] = [];
  const done = new Set<string>();
  for (const f of findings) {
    const own = single.get(f);
    const group = own !== undefined ? groups.get(own.key)! : undefined;
    const folders = group ? [...new Set(group.map((g) => g.root))].sort() : [];
    if (!group || folders.length < 2) {
      out.push(untagged(f));
      continue;
    }
    if (done.has(own!.key)) continue;
    done.add(own!.key);
    const shared: Finding = untagged(f);
    for (const k of TEXTS) if (f[k] !== undefined) shared[k] = withoutRoot(unlabelled(f[k], own!.root));
    shared.message = `${shared.message} (${rootsListed(folders)})`;
    shared.roots = folders;
    out.push(shared);
  }
  return out;
}

/** Code units a label may not follow (`[\w./-]`: it would be the tail of a longer name), 1, and may not precede (`[\w-]`: its head), 2. */
const LABEL_EDGE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[\w./-]/.test(ch)) LABEL_EDGE[c]! |= 1;
  if (/[\w-]/.test(ch)) LABEL_EDGE[c]! |= 2;
}
const edge = (text: string, at: number): number => {
  const c = text.charCodeAt(at);
  return c < 128 ? LABEL_EDGE[c]! : 0;
};

/**
 * The labels where a text names them: at a place no word character, `.`, `/` or `-` precedes, the
 * longest label written there that no word character or `-` follows; the next from its end. What
 * one regex alternating every label found, by a lookup per place and label length instead of a try
 * of each label at each place (that made the grouping quadratic in the runners of many roots).
 * Labels are never empty (runnerLabels). Undefined for no labels.
 */
export function labelScanner(labels: readonly RootLabel[]): { matches(text: string): RootLabel[]; replace(text: string, by: (l: RootLabel) => string): string } | undefined {
  if (labels.length === 0) return undefined;
  // Each label (the last given of one text, as a Map built from the list keeps); per first character, the label lengths, longest first.
  const byLabel = new Map(labels.map((l) => [l.label, l]));
  const lengths = new Map<string, number[]>();
  for (const label of byLabel.keys()) {
    const ns = lengths.get(label[0] ?? '');
    if (!ns) lengths.set(label[0] ?? '', [label.length]);
    else if (!ns.includes(label.length)) ns.push(label.length);
  }
  for (const ns of lengths.values()) ns.sort((a, b) => b - a);
  const begins = new Uint8Array(0x10000);
  for (const first of lengths.keys()) begins[first.charCodeAt(0)] = 1;
  const found = (text: string): { at: number; l: RootLabel }[] => {
    const out: { at: number; l: RootLabel }[] = [];
    for (let at = 0; at < text.length; ) {
      let l: RootLabel | undefined;
      if (begins[text.charCodeAt(at)] === 1 && (at === 0 || (edge(text, at - 1) & 1) === 0)) {
        for (const n of lengths.get(text[at]!)!) {
          if (at + n > text.length || (at + n < text.length && (edge(text, at + n) & 2) !== 0)) continue;
          l = byLabel.get(text.slice(at, at + n));
          if (l !== undefined) break;
        }
      }
      if (l === undefined) {
        at++;
        continue;
      }
      out.push({ at, l });
      at += l.label.length;
    }
    return out;
  };
  return {
    matches: (text) => found(text).map((m) => m.l),
    replace: (text, by) => {
      let out = '';
      let from = 0;
      for (const m of found(text)) {
        out += text.slice(from, m.at) + by(m.l);
        from = m.at + m.l.label.length;
      }
      return from === 0 ? text : out + text.slice(from);
    },
  };
}

/** The finding as a report shows it: a copy without its root tag. */
function untagged(f: Finding): Finding {
  const out: Tagged = { ...f };
  delete out[SAID_IN_ROOT];
  return out;
}

/**
 * "in 9 roots of a/examples/: x, y, z (+6 more)": folders below one common folder are named from it
 * (the list stays short where the paths given are long), at most ROOTS_SHOWN of them.
 */
export function rootsListed(folders: readonly string[]): string {
  const parts = folders.map((f) => f.split('/'));
  let common = 0;
  while (parts.every((p) => common < p.length - 1 && p[common] === parts[0]![common])) common++;
  const base = parts[0]!.slice(0, common).join('/');
  const shown = folders.map((f, i) => (common > 0 ? parts[i]!.slice(common).join('/') : f));
  const listed = shown.slice(0, ROOTS_SHOWN).join(', ') + (shown.length > ROOTS_SHOWN ? ` (+${shown.length - ROOTS_SHOWN} more)` : '');
  return `in ${folders.length} roots${common > 0 ? ` of ${base === '' ? '/' : `${base}/`}` : ''}: ${listed}`;
}

/** A text with its marked names and scoped symbols as the files write them. */
function withoutRoot(text: string): string {
  return text.replace(MARKED_ADDRESS, (_, head: string | undefined, name: string) => `${head ?? ''}${name}`).replace(SCOPED_SYMBOL, '$1');
}
