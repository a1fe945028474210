import { shellCommentScanner } from './shell-comment.js';
import { LineIndex } from './hcl/ast.js';

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
 * (make's `X := v`, `X ?= v`, `X = v`, the shell's `X=v`); anything else is left unread.
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
/** A variable set once to a literal: make's `X := v`/`X ?= v`/`X = v`, the shell's `X=v`. */
const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::=|\?=|::=|=)[ \t]*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?[ \t]*$/gm;
/** `$(X)`, `${X}`, `$X`: one variable and nothing else. */
const VARIABLE = /^\$(?:\(([A-Za-z_][A-Za-z0-9_]*)\)|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/;
const LITERAL = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

/**
 * The same assignment with a value that may be a path or a chart reference (`VALUES=./values.yaml`,
 * `CHART := gitlab/gitlab-runner`, `ver=0.81.0 # why`): a comment after a blank ends it, in make and the shell alike.
 */
const PATH_ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::=|\?=|::=|=)[ \t]*["']?([A-Za-z0-9./_${(][A-Za-z0-9._/:@+${}()-]*)["']?(?:[ \t]+(?:#[^\n]*)?)?$/gm;

function literals(text: string, assignment: RegExp = ASSIGNMENT): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const m of text.matchAll(assignment)) out.set(m[1]!, out.has(m[1]!) && out.get(m[1]!) !== m[2]! ? null : m[2]!);
  return out;
}

/**
 * The variables a script or Makefile sets once to a literal (a name, a path, a chart reference, a
 * version), by name; null for one set to two different literals (which one holds is not known).
 */
export const assignedLiterals = (text: string): Map<string, string | null> => literals(text, PATH_ASSIGNMENT);

/**
 * A word with its variables (`$(X)`, `${X}`, `$X`) replaced by what the same file assigns them
 * (assignedLiterals), itself expanded so (`ns=$GLR_MANAGER` over `export GLR_MANAGER='glr-manager'`;
 * at most 8 assignments deep); undefined where any is not so assigned, or the word holds another
 * expansion (`$(cmd …)`, `${X:-d}`, `` ` ``): known only when the script runs.
 */
export function expandWord(word: string, vars: ReadonlyMap<string, string | null>, depth = 0, done = new Map<string, string | undefined>()): string | undefined {
  if (word.includes('`') || depth > 8) return undefined;
  let unknown = false;
  const out = word.replace(/\$(?:\(([^()]*)\)|\{([^{}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|(.?))/g, (_m, p?: string, b?: string, bare?: string) => {
    const name = p ?? b ?? bare;
    const raw = name !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? vars.get(name) : undefined;
    // Each variable expanded once per word (a value naming another many times stays linear).
    if (typeof raw === 'string' && raw.includes('$') && !done.has(name!)) done.set(name!, expandWord(raw, vars, depth + 1, done));
    const value = typeof raw === 'string' && raw.includes('$') ? done.get(name!) : raw;
    if (typeof value !== 'string') unknown = true;
    return value ?? '';
  });
  return unknown || out.length > 4096 ? undefined : out;
}

function valueOf(word: string, vars: ReadonlyMap<string, string | null>): string | undefined {
  const w = word.replace(/^["']|["']$/g, '');
  if (LITERAL.test(w)) return w;
  const v = VARIABLE.exec(w);
  const name = v ? (v[1] ?? v[2] ?? v[3])! : undefined;
  const value = name !== undefined ? vars.get(name) : undefined;
  return typeof value === 'string' && LITERAL.test(value) ? value : undefined;
}

/** Every ServiceAccount a command of the files makes, by its name. */
export function serviceAccountsMadeByCommands(texts: ReadonlyMap<string, string> | undefined): Map<string, MadeByCommand[]> {
  const out = new Map<string, MadeByCommand[]>();
  for (const [path, text] of texts ?? []) {
    if (!text.includes('kubectl')) continue;
    let vars: Map<string, string | null> | undefined;
    const annotated = new Map<string, string>();
    // The line of a place by one index of the text's lines (a slice and split per command was quadratic in commands).
    let lines: LineIndex | undefined;
    const lineOf = (at: number) => (lines ??= new LineIndex(text)).pos(at).line;
    const annotateCommented = shellCommentScanner(text);
    for (const m of text.matchAll(ANNOTATE)) {
      if (annotateCommented(m.index)) continue;
      const name = valueOf(m[1]!, (vars ??= literals(text)));
      if (name !== undefined && !annotated.has(name)) annotated.set(name, `${path}:${lineOf(m.index)}`);
    }
    const createCommented = shellCommentScanner(text);
    for (const m of text.matchAll(CREATE)) {
      if (createCommented(m.index)) continue;
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
          namespace = given !== undefined ? valueOf(given, (vars ??= literals(text))) : undefined;
          if (namespace === undefined) unread = true;
        } else if (w.startsWith('-')) {
          if (!w.includes('=') && /^--(?:output|dry-run|field-manager|template)$/.test(w)) i++;
        } else if (name === undefined) name = valueOf(w, (vars ??= literals(text))) ?? '';
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
