/**
 * The Jinja `{% if … %}` branches of a text (an Ansible task's command, a role's template): what is
 * written between `{% if x %}` and its `{% elif … %}`, `{% else %}` or `{% endif %}` is rendered only
 * where the condition holds (Jinja's Template Designer Documentation, "If" under List of Control
 * Structures; Ansible renders a task's values with Jinja before the module runs). A finding about
 * such a text is said as conditional: the branch names its condition and where it is written.
 */

/** A Jinja statement tag, `{% … %}` or `{%- … -%}`, its keyword and the rest. */
const TAG = /\{%[-+]?\s*(if|elif|else|endif)\b([\s\S]*?)[-+]?%\}/g;
/**
 * A Terraform template directive, `%{ if … }`, `%{~ else ~}`, `%{ endif ~}` (Terraform's "Strings and
 * Templates", Directives): the same branches, without elif; `%%{` is a literal `%{`.
 */
const TERRAFORM_TAG = /(?<!%)%\{~?\s*(if|else|endif)\b([^}]*?)~?\}/g;

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

interface Open {
  from: number;
  branch: JinjaBranch;
  /** The conditions of the branches before this one in the same if, for an `else`. */
  before: string[];
}

const cut = (s: string) => (s.length > 80 ? `${s.slice(0, 79)}…` : s);
const shown = (condition: string) => `\`${cut(condition)}\``;
const falseAll = (conditions: readonly string[]) => `${conditions.map(shown).join(' and ')} ${conditions.length > 1 ? 'are' : 'is'} false`;

/**
 * The branches of the text's `{% if %}` blocks, each with the range of text it holds (from the end of
 * its tag to the next tag of the same block), innermost last where they nest; empty where the text
 * has no Jinja statement. A block not closed holds to the end of the text.
 */
export function jinjaBranches(text: string, engine: TemplateEngine = 'jinja'): { from: number; to: number; branch: JinjaBranch }[] {
  if (!text.includes(engine === 'jinja' ? '{%' : '%{')) return [];
  const out: { from: number; to: number; branch: JinjaBranch }[] = [];
  const stack: Open[] = [];
  const own = engine === 'terraform' ? { engine } : {};
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
    const open = stack.pop();
    if (open === undefined) continue;
    out.push({ from: open.from, to: at, branch: open.branch });
    if (word === 'elif') stack.push({ from: end, branch: { tag, condition: `${falseAll(open.before)} and ${shown(rest)} is true`, at, ...own }, before: [...open.before, rest] });
    else if (word === 'else') stack.push({ from: end, branch: { tag, condition: falseAll(open.before), at, ...own }, before: open.before });
  }
  for (const open of stack) out.push({ from: open.from, to: text.length, branch: open.branch });
  return out;
}

/** The innermost branch that holds offset `at`, or undefined. */
export function jinjaBranchAt(branches: readonly { from: number; to: number; branch: JinjaBranch }[], at: number): JinjaBranch | undefined {
  let best: { from: number; to: number; branch: JinjaBranch } | undefined;
  for (const b of branches) if (b.from <= at && at < b.to && (best === undefined || b.from >= best.from)) best = b;
  return best?.branch;
}

/** What a finding about text inside `b` adds, where the branch's tag is at `where` (`file:line:column`). */
export function conditionalClause(b: JinjaBranch, where: string): string {
  if (b.engine === 'terraform') return `; only where ${b.condition}: it is written inside the Terraform template directive ${b.tag} (${where}), which templatefile() renders only then`;
  return `; only where ${b.condition}: it is written inside Jinja's ${b.tag} (${where}), which renders it only then`;
}
