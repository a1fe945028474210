/**
 * The Jinja `{% if … %}` branches of a text (an Ansible task's command, a role's template): what is
 * written between `{% if x %}` and its `{% elif … %}`, `{% else %}` or `{% endif %}` is rendered only
 * where the condition holds (Jinja's Template Designer Documentation, "If" under List of Control
 * Structures; Ansible renders a task's values with Jinja before the module runs). A finding about
 * such a text is said as conditional: the branch names its condition and where it is written.
 */

/** A Jinja statement tag, `{% … %}` or `{%- … -%}`, its keyword and the rest. */
const TAG = /\{%[-+]?\s*(if|elif|else|endif|for|endfor)\b([\s\S]*?)[-+]?%\}/g;
/**
 * A Terraform template directive, `%{ if … }`, `%{~ else ~}`, `%{ endif ~}` (Terraform's "Strings and
 * Templates", Directives): the same branches, without elif; `%%{` is a literal `%{`.
 */
const TERRAFORM_TAG = /(?<!%)%\{~?\s*(if|else|endif|for|endfor)\b([^}]*?)~?\}/g;

/** Whose template the text is: Jinja's (Ansible) or Terraform's (templatefile()). */
export type TemplateEngine = 'jinja' | 'terraform';

export interface JinjaBranch {
  /** The tag that opens the branch, as written (`{% if gitlab_runner_privileged %}`), cut to 80 characters. */
  tag: string;
  /** When the branch is rendered, as a message says it: `` `x` is true `` for `{% if x %}`; for `{% elif y %}` and `{% else %}`, the conditions before it false too. */
  condition: string;
  /** The offset of the tag in the text. */
  at: number;
  /** Whose directive the tag is (Jinja's when not said). */
  engine?: TemplateEngine;
}

/**
 * A `{% for x in xs %}` loop (Jinja's Template Designer Documentation, "For"; Terraform's `%{ for x in
 * xs }`): its body is rendered once per item, with the loop's variables set to that item; read here
 * once, with what names the variables unknown (jinja-toml.ts).
 */
export interface JinjaLoop {
  /** The tag that opens the loop, as written, cut to 80 characters. */
  tag: string;
  /** What the loop walks (`gitlab_runners`). */
  iterable: string;
  /** The loop's variables (`item`; `k, v` for `{% for k, v in m.items() %}`). */
  variables: string[];
  /** The offset of the tag in the text. */
  at: number;
  engine?: TemplateEngine;
}

interface Open {
  from: number;
  /** The branch open (undefined for a loop's body, which is a loop, not a branch). */
  branch?: JinjaBranch;
  /** The loop whose body or else this frame is. */
  loop?: JinjaLoop;
  /** The conditions of the branches before this one in the same if, for an `else`. */
  before: string[];
}

const cut = (s: string) => (s.length > 80 ? `${s.slice(0, 79)}…` : s);
const shown = (condition: string) => `\`${cut(condition)}\``;
const falseAll = (conditions: readonly string[]) => `${conditions.map(shown).join(' and ')} ${conditions.length > 1 ? 'are' : 'is'} false`;

type Ranged<T> = { from: number; to: number } & T;

/**
 * The text's `{% if %}` branches and `{% for %}` loop bodies, each with the range of text it holds
 * (from the end of its tag to the next tag of the same block). A for loop's `{% else %}` (rendered
 * where the loop has no item) is a branch of its own; a block not closed holds to the end of the text.
 */
export function jinjaBlocks(text: string, engine: TemplateEngine = 'jinja'): { branches: Ranged<{ branch: JinjaBranch }>[]; loops: Ranged<{ loop: JinjaLoop }>[] } {
  const branches: Ranged<{ branch: JinjaBranch }>[] = [];
  const loops: Ranged<{ loop: JinjaLoop }>[] = [];
  if (!text.includes(engine === 'jinja' ? '{%' : '%{')) return { branches, loops };
  const stack: Open[] = [];
  const own = engine === 'terraform' ? { engine } : {};
  const close = (open: Open, at: number) => {
    if (open.branch !== undefined) branches.push({ from: open.from, to: at, branch: open.branch });
    else if (open.loop !== undefined) loops.push({ from: open.from, to: at, loop: open.loop });
  };
  for (const m of text.matchAll(engine === 'jinja' ? TAG : TERRAFORM_TAG)) {
    const word = m[1]!;
    const rest = m[2]!.trim();
    const at = m.index;
    const end = at + m[0].length;
    const tag = cut(m[0].replace(/\s+/g, ' '));
    if (word === 'if') {
      stack.push({ from: end, branch: { tag, condition: `${shown(rest)} is true`, at, ...own }, before: [rest] });
      continue;
    }
    if (word === 'for') {
      const parts = /^([\s\S]+?)\s+in\s+([\s\S]+)$/.exec(rest);
      const variables = (parts?.[1] ?? '').split(',').map((v) => v.trim()).filter((v) => /^[A-Za-z_]\w*$/.test(v));
      stack.push({ from: end, loop: { tag, iterable: (parts?.[2] ?? rest).replace(/\s+(?:if|recursive)\b[\s\S]*$/, '').trim(), variables, at, ...own }, before: [] });
      continue;
    }
    const open = stack.pop();
    if (open === undefined) continue;
    close(open, at);
    // A loop's else: rendered only where the loop walks no item.
    if (word === 'else' && open.loop !== undefined && open.branch === undefined) {
      stack.push({ from: end, branch: { tag, condition: `${shown(open.loop.iterable)} has no item`, at, ...own }, before: [] });
      continue;
    }
    if (word === 'elif') stack.push({ from: end, branch: { tag, condition: `${falseAll(open.before)} and ${shown(rest)} is true`, at, ...own }, before: [...open.before, rest] });
    else if (word === 'else') stack.push({ from: end, branch: { tag, condition: falseAll(open.before), at, ...own }, before: open.before });
  }
  for (const open of stack) close(open, text.length);
  return { branches, loops };
}

/**
 * The branches of the text's `{% if %}` blocks (and a for loop's `{% else %}`), each with the range of
 * text it holds, innermost last where they nest; empty where the text has no Jinja statement.
 */
export function jinjaBranches(text: string, engine: TemplateEngine = 'jinja'): { from: number; to: number; branch: JinjaBranch }[] {
  return jinjaBlocks(text, engine).branches;
}

/** The loops whose body holds offset `at`, outermost first. */
export function jinjaLoopsAt(loops: readonly Ranged<{ loop: JinjaLoop }>[], at: number): JinjaLoop[] {
  return loops.filter((l) => l.from <= at && at < l.to).sort((a, b) => a.from - b.from).map((l) => l.loop);
}

/** What a finding about text inside loop `l` adds, where its tag is at `where` (`file:line:column`). */
export function loopClause(l: JinjaLoop, where: string): string {
  const names = l.variables.length > 0 ? `; what names ${l.variables.map((v) => `\`${v}\``).join(' or ')} is not known here` : '';
  if (l.engine === 'terraform') return `; once for each element of ${shown(l.iterable)}: it is written inside the Terraform template directive ${l.tag} (${where}), which templatefile() renders once per element${names}`;
  return `; once for each item of ${shown(l.iterable)}: it is written inside Jinja's ${l.tag} (${where}), which renders it once per item${names}`;
}

/** The branches that hold offset `at`, outermost first (an `{% if %}` inside another's branch after it); empty where none does. */
export function jinjaBranchesAt(branches: readonly { from: number; to: number; branch: JinjaBranch }[], at: number): JinjaBranch[] {
  return branches.filter((b) => b.from <= at && at < b.to).sort((a, b) => a.from - b.from).map((b) => b.branch);
}

/** The innermost branch that holds offset `at`, or undefined. */
export function jinjaBranchAt(branches: readonly { from: number; to: number; branch: JinjaBranch }[], at: number): JinjaBranch | undefined {
  return jinjaBranchesAt(branches, at).at(-1);
}

/**
 * What a finding about text inside the branches `chain` (outermost first, jinjaBranchesAt) adds: every
 * condition of the chain, since the text is rendered only where all of them hold, and each tag with its
 * place (`where`: an offset as `file:line:column`), innermost first. Empty for no branch.
 */
export function conditionalClause(chain: readonly JinjaBranch[], where: (at: number) => string): string {
  if (chain.length === 0) return '';
  const inner = chain[chain.length - 1]!;
  const conditions = chain.map((b) => b.condition).join(' and ');
  const outer = chain.slice(0, -1).reverse().map((b) => `, itself inside ${b.tag} (${where(b.at)})`).join('');
  if (inner.engine === 'terraform') return `; only where ${conditions}: it is written inside the Terraform template directive ${inner.tag} (${where(inner.at)})${outer}, which templatefile() renders only then`;
  return `; only where ${conditions}: it is written inside Jinja's ${inner.tag} (${where(inner.at)})${outer}, which renders it only then`;
}
