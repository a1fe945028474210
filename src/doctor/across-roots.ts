import type { Finding } from '../spec/findings.js';
import { MARKED_ADDRESS, SCOPED_SYMBOL } from './hcl/eval.js';

/** How many roots a collapsed finding's message names before it counts the rest. */
export const ROOTS_SHOWN = 3;

/** A root's mark (`__rfroot<i>`, ModuleScope.rootMark) or scope (`__rfin<i>`, ModuleScope.rootScope) in a finding's text. */
const ROOT_TOKEN = /__rf(root|in)(\d+)\b/g;

const TEXTS = ['message', 'fix', 'received', 'allowed', 'deploymentFix', 'deploymentReceived', 'deploymentAllowed', 'acceptedBecause'] as const;

/**
 * Findings several Terraform roots give about one place of a module they share (nine examples
 * calling `../../`, each reading its user data template): the same code, severity and position, and
 * texts that differ only by which root's marked names and scoped symbols they carry. Each is true of
 * each root's deployment, but one place has one fault: said once, with the roots it holds for in
 * `roots` (their folders, sorted) and at the end of the message ("(in 9 roots: a, b, c (+6 more))").
 * Its texts name the module's addresses as its files write them, without a root's folder. A finding
 * whose text differs by more than the root (a value from the root's own tfvars) stays one per root,
 * and so do findings that name no root: nothing says whose they are.
 * `folderOf` gives a token's root folder (`__rfroot2` or `__rfin2`), undefined for one not known.
 */
export function oneAcrossRoots(findings: readonly Finding[], folderOf: (token: string) => string | undefined): Finding[] {
  const rootsOf = (f: Finding): Set<string> | undefined => {
    const out = new Set<string>();
    for (const k of TEXTS) {
      for (const m of (f[k] ?? '').matchAll(ROOT_TOKEN)) {
        const folder = folderOf(m[0]);
        if (folder === undefined) return undefined;
        out.add(folder);
      }
    }
    return out;
  };
  const keyOf = (f: Finding): string => [f.code, f.severity, f.path, ...TEXTS.map((k) => (f[k] === undefined ? '\u0001' : f[k].replace(ROOT_TOKEN, '__rf$1')))].join('\u0000');
  const groups = new Map<string, { f: Finding; root: string }[]>();
  const single = new Map<Finding, string>();
  for (const f of findings) {
    const roots = rootsOf(f);
    if (roots?.size !== 1) continue;
    const root = [...roots][0]!;
    single.set(f, root);
    const key = keyOf(f);
    const group = groups.get(key);
    if (group) group.push({ f, root });
    else groups.set(key, [{ f, root }]);
  }
  const out: Finding[] = [];
  const done = new Set<string>();
  for (const f of findings) {
    const root = single.get(f);
    const key = root !== undefined ? keyOf(f) : undefined;
    const group = key !== undefined ? groups.get(key)! : undefined;
    const folders = group ? [...new Set(group.map((g) => g.root))].sort() : [];
    if (!group || folders.length < 2) {
      out.push(f);
      continue;
    }
    if (done.has(key!)) continue;
    done.add(key!);
    const shared: Finding = { ...f };
    for (const k of TEXTS) if (f[k] !== undefined) shared[k] = withoutRoot(f[k]);
    shared.message = `${shared.message} (${rootsListed(folders)})`;
    shared.roots = folders;
    out.push(shared);
  }
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
