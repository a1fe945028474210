import { shellCommentScanner } from '../platforms/aws-vm/shell-comment.js';
import { LineIndex } from './hcl/ast.js';
import { assignedOnce, expandWord, inForce, makeVarsAt, makefileForms, recipeWord, scriptWord, type VarSource } from './shell-vars.js';

/**
 * ServiceAccounts a script or Makefile makes with `kubectl create serviceaccount NAME [-n NS]` (and
 * annotates with `kubectl annotate serviceaccount NAME …`). The doctor reads objects, not commands:
 * such a command runs only when its script or make target runs, in the cluster its kubeconfig
 * context names, so the ServiceAccount is not taken as given. RF904 says where the command is, so a
 * reader is not told the object exists nowhere.
 *
 * kubectl's syntax (kubernetes/kubectl pkg/cmd/create/create_serviceaccount.go: `serviceaccount NAME`,
 * alias `sa`; the namespace is the global `-n`/`--namespace` flag, else the context's namespace).
 * A name or namespace written as a variable is read where the same file sets it once to a literal
 * (shell-vars.ts assignedOnce: make's `X := v`, `X ?= v`, `X = v` in a Makefile, the shell's `X=v`),
 * chains followed (`SA=$NAME` over `NAME=runner`); anything else is left unread.
 */
export interface MadeByCommand {
  /** `path:line` of the `kubectl create serviceaccount`. */
  at: string;
  /** Its namespace where `-n`/`--namespace` gives one the file shows; undefined for the context's. */
  namespace?: string;
  /** `path:line` of a `kubectl annotate serviceaccount` of the same name, where there is one. */
  annotatedAt?: string;
}

const CREATE = /\bkubectl[ \t]+create[ \t]+(?:serviceaccounts?|sa)(?=[ \t])/g;
const ANNOTATE = /\bkubectl[ \t]+annotate[ \t]+(?:serviceaccounts?|sa)[ \t]+([^\s;&|#\\]+)/g;
const LITERAL = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
/** A shell script by its name (helm-command.ts reads the same): its commands run in order. */
const SCRIPT = /\.(?:sh|bash|zsh|ksh)$/i;

/** A name or namespace as written, or with its variables put in (shell-vars.ts expandWord, chains followed); undefined unless it is then a name. */
function valueOf(word: string, vars: VarSource, forms: { makefile: boolean }): string | undefined {
  // make expands `$(X)` before the shell reads the recipe's quotes; in a script a `$` inside `'…'` is a literal character.
  // make's `'$$X'` reaches the shell as `'$X'`, the characters as written (shell-vars.ts recipeWord).
  const w = forms.makefile ? recipeWord(scriptWord(word), word.includes("'") ? scriptWord(word) : undefined) : scriptWord(word);
  const value = LITERAL.test(w) ? w : w.includes('$') ? expandWord(w, vars, forms) : undefined;
  return value !== undefined && LITERAL.test(value) ? value : undefined;
}

/** Every ServiceAccount a command of the files makes, by its name. */
export function serviceAccountsMadeByCommands(texts: ReadonlyMap<string, string> | undefined): Map<string, MadeByCommand[]> {
  const out = new Map<string, MadeByCommand[]>();
  for (const [path, text] of texts ?? []) {
    if (!text.includes('kubectl')) continue;
    let once: Map<string, string | null> | undefined;
    let order: ReturnType<typeof inForce> | undefined;
    const forms = makefileForms(path);
    let recipes: ReturnType<typeof makeVarsAt> | undefined;
    // A script runs top to bottom once: a command reads the names in force at it (shell-vars.ts inForce); a Makefile's recipe its target's and the file's (makeVarsAt).
    const varsAt = (at: number): VarSource => (SCRIPT.test(path) ? (order ??= inForce(text)).at(at) : forms.makefile ? (recipes ??= makeVarsAt(text)).at(at) : (once ??= assignedOnce(text, forms)));
    // A script's array `A=(` that no `)` closes: bash runs nothing from its line on (shell-vars.ts scriptStop), so no command there makes anything.
    const stop = SCRIPT.test(path) ? (text.includes('=(') ? (order ??= inForce(text)).unclosed?.from : undefined) : undefined;
    const runs = (at: number): boolean => stop === undefined || at < stop;
    const annotated = new Map<string, string>();
    // The line of a place by one index of the text's lines (a slice and split per command was quadratic in commands).
    let lines: LineIndex | undefined;
    const lineOf = (at: number) => (lines ??= new LineIndex(text)).pos(at).line;
    const annotateCommented = shellCommentScanner(text);
    for (const m of text.matchAll(ANNOTATE)) {
      if (annotateCommented(m.index) || !runs(m.index)) continue;
      const name = valueOf(m[1]!, varsAt(m.index), forms);
      if (name !== undefined && !annotated.has(name)) annotated.set(name, `${path}:${lineOf(m.index)}`);
    }
    const createCommented = shellCommentScanner(text);
    for (const m of text.matchAll(CREATE)) {
      if (createCommented(m.index) || !runs(m.index)) continue;
      // The rest of the command: its logical line (a `\` at a line's end continues it), up to `;`, `&`, `|` or `#`.
      const from = m.index + m[0].length;
      let end = from;
      while (end < text.length) {
        const nl = text.indexOf('\n', end);
        end = nl < 0 ? text.length : nl;
        if (!/\\[ \t]*$/.test(text.slice(from, end))) break;
        end++;
      }
      const words = text.slice(from, end).replace(/\\[ \t]*(?:\n|$)/g, ' ').split(/[;&|#]/)[0]!.trim().split(/[ \t]+/).filter((w) => w !== '');
      let name: string | undefined;
      let namespace: string | undefined;
      let unread = false;
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        const ns = /^(?:-n|--namespace)(?:=(.+))?$/.exec(w) ?? /^-n(.+)$/.exec(w);
        if (ns) {
          const given = ns[1] ?? words[++i];
          namespace = given !== undefined ? valueOf(given, varsAt(m.index), forms) : undefined;
          if (namespace === undefined) unread = true;
        } else if (w.startsWith('-')) {
          if (!w.includes('=') && /^--(?:output|dry-run|field-manager|template)$/.test(w)) i++;
        } else if (name === undefined) name = valueOf(w, varsAt(m.index), forms) ?? '';
      }
      if (name === undefined || name === '' || unread) continue;
      const made: MadeByCommand = { at: `${path}:${lineOf(m.index)}`, ...(namespace !== undefined ? { namespace } : {}), ...(annotated.has(name) ? { annotatedAt: annotated.get(name)! } : {}) };
      out.set(name, [...(out.get(name) ?? []), made]);
    }
  }
  return out;
}

/**
 * The words RF904 adds for a ServiceAccount not among the objects given that a command makes: where,
 * and that the doctor does not run it. Empty where no command of the files makes one of that name in
 * that namespace (or in the context's namespace, which the files do not show).
 */
export function madeByCommandClause(made: ReadonlyMap<string, readonly MadeByCommand[]>, namespace: string, name: string): string {
  const c = made.get(name)?.find((m) => m.namespace === undefined || m.namespace === namespace);
  if (c === undefined) return '';
  const where = c.namespace === undefined ? ' (in the namespace of kubectl\'s context, which the files do not show)' : '';
  const annotations = c.annotatedAt !== undefined ? `, nor the annotations \`kubectl annotate serviceaccount\` gives it (${c.annotatedAt})` : '';
  return `; \`kubectl create serviceaccount\` at ${c.at} makes it${where}, a command the doctor does not run: it reads the objects given, so the ServiceAccount is not read${annotations}`;
}
