import { isMap, isScalar, isSeq, Scalar, type Node, type YAMLMap } from 'yaml';
import type { YamlFile } from './yaml-documents.js';
import { runnerTokenVariable } from '../verify/credentials.js';

/**
 * The commands an Ansible playbook or role's task file runs on its hosts, as scripts the register
 * reader reads (register-command.ts): `gitlab-runner register …` in an `ansible.builtin.command` or
 * `ansible.builtin.shell` task is the same command a user data script runs. The modules, as
 * Ansible's documentation gives them (docs.ansible.com, ansible.builtin.command, .shell and .raw
 * module pages): the command to run is the module's free-form value (`command: gitlab-runner
 * register …`), or its `cmd` parameter, or (command only) `argv`, a list of the words, each one
 * argument; `command` splits a string into words without a shell (newlines are blanks there, and
 * `;`, `|`, `&` are no operators: read as the shell reads it, that part of a command is lost, not
 * invented), `shell` and `raw` hand it to the host's shell. The short names and the
 * ansible.builtin./ansible.legacy. ones are the same modules. A task is found in a play's tasks,
 * pre_tasks, post_tasks and handlers, and in a block's block, rescue and always, at any depth.
 * Jinja's `{{ x }}` in a value is filled in when the task runs: the register reader takes it for a
 * value not known here, as it takes `$X`.
 */

/** One command as its module receives it: the text, and for each of its characters the offset in the file of the character it was read from. */
export interface TaskScript {
  value: string;
  rawAt: number[];
  end: number;
}

const MODULE = /^(?:ansible\.(?:builtin|legacy)\.)?(command|shell|raw)$/;
const TASK_LISTS = ['tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always'];
/** Keys only a play or a task has: a list of mappings with one of them at its top is a playbook or a task file. */
const PLAY_OR_TASK = /^(?:hosts|tasks|roles|block|import_playbook|include_tasks|import_tasks|include_role|import_role|(?:ansible|community)\.[a-z_]+\.[a-z_]+|command|shell|raw|gitlab_runner)$/;

/** A line that starts a top-level list item (`- x`, or `-` alone before a nested mapping). */
const TOP_LEVEL_ITEM = /^-(?:[ \t]|$)/m;

/** Whether a path names a YAML file, the only files Ansible reads tasks from. */
const YAML_FILE = /\.ya?ml$/i;

/**
 * The commands of a playbook's or task file's command, shell and raw tasks; undefined where the file is
 * not one (not YAML, no list of plays or tasks at its top), so the reader reads the text as written.
 */
export function ansibleScripts(path: string, file: YamlFile): TaskScript[] | undefined {
  const lists = playAndTaskLists(path, file);
  if (lists === undefined) return undefined;
  const text = file.text;
  const out: TaskScript[] = [];
  const facts = new Map<string, Fact | null>();
  // The facts the file's set_fact tasks set, first: a command built in one task and run by a later one.
  for (const list of lists) walkTasks(list, (key, value) => {
    if (SET_FACT.test(key)) factsOf(text, value, facts);
  });
  for (const list of lists) walkTasks(list, (key, value, task) => {
    const module = MODULE.exec(key)?.[1];
    if (module !== undefined) out.push(...taskScripts(text, module, value, task).map((t) => withFacts(t, facts, module !== 'command')));
  });
  return out;
}

/**
 * The top-level lists of a YAML text's documents that are a playbook or a task file (a list with a
 * play's or a task's key in one of its mappings); undefined where the text is no YAML file's or no
 * such list is at its top. A playbook or task file is a list at its top: its items start at column 0
 * (`- hosts: …`, `- name: …`), so a Kubernetes manifest or chart values (a mapping at the top) is
 * never parsed here.
 */
function playAndTaskLists(path: string, file: YamlFile, keys: RegExp = PLAY_OR_TASK, whole = false): Node[] | undefined {
  if (!YAML_FILE.test(path) || !TOP_LEVEL_ITEM.test(file.text)) return undefined;
  const docs = file.documents();
  // `whole`: a document the parser found errors in is passed over (its tasks may be cut short).
  const lists = docs.filter((d) => !whole || d.errors.length === 0).map((d) => d.contents).filter((c): c is Node => isSeq(c) && c.items.some((i) => isMap(i) && i.items.some((p) => isScalar(p.key) && keys.test(String(p.key.value)))));
  return lists.length === 0 ? undefined : lists;
}

/**
 * Every key of every play and task of a list, depth first: `visit` gets the key, its value, the
 * mapping (play or task) that holds it and the key's offset in the file. A key naming a task list (`TASK_LISTS`) is walked into before
 * it is visited.
 */
function walkTasks(list: Node | null, visit: (key: string, value: Node | null, task: YAMLMap, keyAt: number) => void): void {
  if (!isSeq(list)) return;
  for (const item of list.items) {
    if (!isMap(item)) continue;
    for (const pair of item.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (TASK_LISTS.includes(key)) walkTasks(pair.value as Node | null, visit);
      visit(key, pair.value as Node | null, item, pair.key.range?.[0] ?? 0);
    }
  }
}

/**
 * A fact a `set_fact` task of the same file sets, where its value is known as written: a string
 * with no Jinja statement (`{% … %}`, `{# … #}`: the task renders those when it runs), each character
 * at the file's character it was read from; or a list of such strings. A fact set twice to different
 * values is not known (`null`): which one a later task sees depends on the order the play runs them.
 */
type Fact = { kind: 'string'; value: string; rawAt: number[] } | { kind: 'list'; items: { value: string; rawAt: number[] }[] };

/** `set_fact` (ansible.builtin.set_fact): its key=value pairs, a mapping or the one-line form, set host facts a later task's `{{ name }}` reads (docs.ansible.com, ansible.builtin.set_fact). */
const SET_FACT = /^(?:ansible\.(?:builtin|legacy)\.)?set_fact$/;
/** Parameters of set_fact that are no fact. */
const SET_FACT_OPTIONS = new Set(['cacheable']);
/** Jinja statements and comments: a value holding one is rendered by the template engine, not read here. */
const JINJA_STATEMENT = /\{%|\{#/;

function factsOf(text: string, value: Node | null, facts: Map<string, Fact | null>): void {
  // The one-line form (`set_fact: a=b c="d e"`): each word's value, each character where it is written.
  if (isScalar(value) && typeof value.value === 'string') {
    const line = scalarScript(text, value, true);
    for (const p of freeFormPairs(line.value)) {
      if (SET_FACT_OPTIONS.has(p.name)) continue;
      const fact: Fact | null = JINJA_STATEMENT.test(p.value) ? null : { kind: 'string', value: p.value, rawAt: line.rawAt.slice(p.valueFrom, p.valueFrom + p.value.length) };
      setFact(facts, p.name, fact);
    }
    return;
  }
  if (!isMap(value)) return;
  for (const pair of value.items) {
    if (!isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    if (SET_FACT_OPTIONS.has(name)) continue;
    const v = pair.value as Node | null;
    let fact: Fact | null = null;
    if (isScalar(v) && typeof v.value === 'string' && !JINJA_STATEMENT.test(v.value)) fact = { kind: 'string', ...scalarScript(text, v, true) };
    else if (isSeq(v) && v.items.every((i) => isScalar(i) && typeof i.value === 'string' && !JINJA_STATEMENT.test(i.value))) fact = { kind: 'list', items: v.items.map((i) => scalarScript(text, i as Scalar, true)) };
    setFact(facts, name, fact);
  }
}

/** A fact set: known where every set_fact of it gives the same value, else not known (`null`). */
function setFact(facts: Map<string, Fact | null>, name: string, fact: Fact | null): void {
  const before = facts.get(name);
  facts.set(name, before === undefined ? fact : before !== null && fact !== null && JSON.stringify(factText(before)) === JSON.stringify(factText(fact)) ? before : null);
}

const factText = (f: Fact): string | string[] => (f.kind === 'string' ? f.value : f.items.map((i) => i.value));

/** A piece of text and where each of its characters is read from. */
interface Piece {
  value: string;
  rawAt: number[];
}

/**
 * A task's command with each `{{ … }}` that reads only known facts filled in: the expression is
 * literal strings (`'…'`, `"…"`), known string facts, and a known list fact joined
 * (`{{ parts | join(' ') }}`; Jinja's join puts nothing between the items when no separator is given),
 * put together with `~` or `+` (both concatenate strings in Jinja). Any other expression (a filter, a
 * test, a variable no set_fact of this file sets, a fact built with a Jinja statement) stays as written:
 * a value known only when the task runs, as before. No Jinja is evaluated beyond this.
 */
function withFacts(script: TaskScript, facts: ReadonlyMap<string, Fact | null>, shell: boolean, depth = 0): TaskScript {
  if (facts.size === 0 || depth > 3 || !script.value.includes('{{')) return script;
  let value = '';
  const rawAt: number[] = [];
  let last = 0;
  let changed = false;
  for (const m of script.value.matchAll(/\{\{-?([^}]*(?:\}(?!\})[^}]*)*)-?\}\}/g)) {
    const filled = evaluate(m[1]!, facts, script.rawAt[m.index] ?? script.end, shell, depth);
    if (filled === undefined) continue;
    value += script.value.slice(last, m.index) + filled.value;
    rawAt.push(...script.rawAt.slice(last, m.index), ...filled.rawAt);
    last = m.index + m[0].length;
    changed = true;
  }
  if (!changed) return script;
  value += script.value.slice(last);
  rawAt.push(...script.rawAt.slice(last));
  return { value, rawAt, end: script.end };
}

/** One `{{ … }}` expression, filled in where it reads only literals and known facts (`withFacts`); undefined otherwise. `at`: where a literal of it is placed. */
function evaluate(expr: string, facts: ReadonlyMap<string, Fact | null>, at: number, shell: boolean, depth: number): Piece | undefined {
  const TERM = /\s*(?:'([^'\\]*)'|"([^"\\]*)"|([A-Za-z_][A-Za-z0-9_]*)(?:\s*\|\s*join(?:\(\s*(?:'([^'\\]*)'|"([^"\\]*)")?\s*\))?)?)\s*/y;
  const OP = /([~+])/y;
  const out: Piece = { value: '', rawAt: [] };
  let i = 0;
  for (;;) {
    TERM.lastIndex = i;
    const t = TERM.exec(expr);
    if (!t) return undefined;
    i = TERM.lastIndex;
    const literal = t[1] ?? t[2];
    if (literal !== undefined) {
      out.value += literal;
      out.rawAt.push(...Array<number>(literal.length).fill(at));
    } else {
      const fact = facts.get(t[3]!);
      if (!fact) return undefined;
      const joined = /\|\s*join/.test(t[0]);
      let piece: Piece;
      if (fact.kind === 'list') {
        if (!joined) return undefined;
        const sep = t[4] ?? t[5] ?? '';
        piece = { value: '', rawAt: [] };
        fact.items.forEach((item, n) => {
          if (n > 0) {
            piece.value += sep;
            piece.rawAt.push(...Array<number>(sep.length).fill(item.rawAt[0] ?? at));
          }
          piece.value += item.value;
          piece.rawAt.push(...item.rawAt);
        });
      } else {
        if (joined) return undefined;
        piece = { value: fact.value, rawAt: fact.rawAt };
      }
      // A fact's own `{{ … }}` of known facts are filled in too; a command has no shell, so its newlines are blanks.
      const inner = withFacts({ ...piece, end: piece.rawAt[piece.rawAt.length - 1] ?? at }, facts, shell, depth + 1);
      out.value += shell ? inner.value : inner.value.replace(/\r?\n/g, ' ');
      out.rawAt.push(...inner.rawAt);
    }
    if (i >= expr.length) return out;
    OP.lastIndex = i;
    if (!OP.exec(expr)) return undefined;
    i = OP.lastIndex;
  }
}

/** The command of one task: its module's free-form value, its `cmd`, or its `argv` words; also where the task gives them in `args`. */
function taskScripts(text: string, module: string, value: Node | null, task: YAMLMap): TaskScript[] {
  const shell = module !== 'command';
  if (isScalar(value) && typeof value.value === 'string' && value.value.trim() !== '') return [withoutOptions(scalarScript(text, value, shell))];
  const params = isMap(value) ? value : task.get('args', true);
  if (!isMap(params)) return [];
  const cmd = params.get('cmd', true);
  if (isScalar(cmd) && typeof cmd.value === 'string') return [scalarScript(text, cmd, shell)];
  const argv = params.get('argv', true);
  if (module === 'command' && isSeq(argv)) return [argvScript(text, argv.items)];
  return [];
}

/**
 * The options the command, shell and raw modules take out of their free-form command, written
 * `key=value` among its words (`command: make creates=/x`): Ansible's parse_kv keeps any other word
 * as the command's (ansible/parsing/splitter.py, the check_raw list). Left in, such a word right after
 * a boolean flag (`--non-interactive creates=…`) is where gitlab-runner would stop reading flags.
 */
const COMMAND_OPTIONS = new Set(['creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends']);

/** A free-form command without the module's own `key=value` options (blanked, each character kept where it is written). */
function withoutOptions(script: TaskScript): TaskScript {
  const options = freeFormPairs(script.value).filter((p) => COMMAND_OPTIONS.has(p.name));
  if (options.length === 0) return script;
  let value = script.value;
  for (const p of options) value = value.slice(0, p.from) + ' '.repeat(p.to - p.from) + value.slice(p.to);
  return { ...script, value };
}

/**
 * A scalar's value, each character placed at the character of the file it was read from: the
 * decoded value is read along the raw text, a folded line break (a blank in the value) taken at
 * the newline, an escape (`\"`, `''`) at its last character. `command` has no shell: its newlines
 * are blanks.
 */
function scalarScript(text: string, node: Scalar, shell: boolean): TaskScript {
  const [start, end] = node.range ?? [0, 0];
  // A block scalar's text begins on the line after its `|` or `>` header.
  const from = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED ? Math.min(end, text.indexOf('\n', start) + 1 || end) : start;
  const value = shell ? String(node.value) : String(node.value).replace(/\r?\n/g, ' ');
  return { value, rawAt: align(text, from, end, value), end };
}

/** `argv`: each item one word, quoted where it holds a blank so that the shell reading finds it one word. */
function argvScript(text: string, items: readonly unknown[]): TaskScript {
  let value = '';
  const rawAt: number[] = [];
  let end = 0;
  for (const item of items) {
    if (!isScalar(item) || item.range === undefined || item.range === null) continue;
    const word = String(item.value);
    const [start, stop] = item.range;
    const at = align(text, item.type === Scalar.BLOCK_LITERAL || item.type === Scalar.BLOCK_FOLDED ? text.indexOf('\n', start) + 1 : start, stop, word);
    const quoted = /[\s;&|#'"$]/.test(word) && !word.includes("'");
    if (value !== '') {
      value += ' ';
      rawAt.push(start);
    }
    if (quoted) {
      value += "'";
      rawAt.push(start);
    }
    value += word;
    rawAt.push(...at);
    if (quoted) {
      value += "'";
      rawAt.push(Math.max(start, stop - 1));
    }
    end = stop;
  }
  return { value, rawAt, end };
}

/** The offset in `text[from, to)` of each character of `value`, read in order (a character not found keeps the last place). */
function align(text: string, from: number, to: number, value: string): number[] {
  const out: number[] = [];
  let j = from;
  for (let n = 0; n < value.length; n++) {
    const c = value[n]!;
    let k = j;
    while (k < to) {
      const r = text[k]!;
      if (r === c || (c === ' ' && (r === '\n' || r === '\r'))) break;
      if (r === '\\' && k + 1 < to && ((c === '\n' && text[k + 1] === 'n') || (c === '\t' && text[k + 1] === 't'))) break;
      k++;
    }
    if (k >= to) {
      out.push(Math.min(j, Math.max(from, to - 1)));
      continue;
    }
    out.push(k);
    j = text[k] === '\\' && c !== '\\' ? k + 2 : k + 1;
  }
  return out;
}

/**
 * The GitLab runner modules of the community.general collection that register a runner through
 * GitLab's API (`community.general.gitlab_runner`, its short name, and the old alias
 * `source_control.gitlab.gitlab_runner`): the module creates the runner in GitLab and nothing more. The
 * config.toml its hosts run is written by another task, so no chain is read from its parameters.
 */
const RUNNER_MODULE = /^(?:(?:community\.general|source_control\.gitlab)\.)?gitlab_runner$/;

/**
 * The module's parameters that hold a credential (community.general plugins/modules/gitlab_runner.py
 * and its gitlab auth options: `api_token`, alias `private_token`, `api_oauth_token`, `api_job_token`;
 * `registration_token`, the runner's registration token): a literal there is a credential whatever
 * its shape.
 */
const RUNNER_MODULE_TOKENS = new Set(['api_token', 'private_token', 'api_oauth_token', 'api_job_token', 'registration_token']);

/** The folders Ansible reads variables from by their place: an inventory's group_vars and host_vars, a role's defaults and vars. */
const VARS_FILE = /(?:^|\/)(?:group_vars|host_vars)\/|(?:^|\/)(?:defaults|vars)\/[^/]+\.ya?ml$/i;

/** A value Ansible fills in or decrypts when it runs: Jinja (`{{ x }}`, `{% … %}`) anywhere in it, or an Ansible Vault payload. */
const FILLED_IN = /\{\{|\{%|^\s*\$ANSIBLE_VAULT;/;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Whether a parsed document is a playbook or a task file: a list with a play's or a task's key in one of its mappings. */
function playsOrTasks(doc: unknown): doc is unknown[] {
  return Array.isArray(doc) && doc.some((i) => isObj(i) && Object.keys(i).some((k) => PLAY_OR_TASK.test(k)));
}

/**
 * Whether a parsed YAML file is an Ansible file: a vars file by its place (group_vars, host_vars, a
 * role's defaults or vars, holding a mapping) or a playbook or task file (a list of plays or tasks);
 * undefined for any other file.
 */
export function ansibleFileKind(path: string, docs: readonly unknown[]): 'vars' | 'plays' | undefined {
  if (!YAML_FILE.test(path)) return undefined;
  if (VARS_FILE.test(path) && docs.some(isObj)) return 'vars';
  return docs.some(playsOrTasks) ? 'plays' : undefined;
}

/**
 * Where an Ansible file holds a credential by the name it is given to, whatever its shape (the
 * credential scan's `tokenAt`): a variable named as a runner token (`runnerTokenVariable`:
 * `gitlab_runner_registration_token`, `runner_token`, `registration_token`) in a vars file
 * (group_vars, host_vars, a role's defaults or vars) at any depth, or in a play's or task's `vars:`;
 * and a credential parameter of a gitlab_runner task (`RUNNER_MODULE_TOKENS`). A value with Jinja in
 * it or an Ansible Vault payload is filled in when the play runs: no credential written. Undefined
 * for a file that is no Ansible file.
 */
export function ansibleTokenAt(path: string, docs: readonly unknown[]): ((at: readonly (string | number)[], value: string) => string | undefined) | undefined {
  const kind = ansibleFileKind(path, docs);
  if (kind === undefined) return undefined;
  const varsFile = kind === 'vars';
  return (at, value) => {
    if (FILLED_IN.test(value)) return undefined;
    const key = at[at.length - 1];
    if (typeof key !== 'string') return undefined;
    if (varsFile) return runnerTokenVariable(key) ? key : undefined;
    // In a playbook or task file: under a `vars:` mapping, or a gitlab_runner task's parameter.
    const parent = at[at.length - 2];
    if (typeof parent !== 'string') return undefined;
    if (RUNNER_MODULE.test(parent) && RUNNER_MODULE_TOKENS.has(key)) return `${parent}.${key}`;
    return at.includes('vars') && runnerTokenVariable(key) ? key : undefined;
  };
}

/** Whether a text may hold a credential `ansibleTokenAt` finds by its name (a token variable's or a gitlab_runner parameter's), which no needle of the scan's prefilter is. */
export const ANSIBLE_TOKEN_KEY = /(?:^|[\s_])(?:registration_token|runner_token|runnerToken|runnerRegistrationToken|authentication_token|runners_token|api_token|private_token|api_oauth_token|api_job_token)\s*:/m;

/**
 * Whether `word` may be inside a flow sequence: some occurrence of it follows a `[` that no `]` has
 * closed. The prefilter before `flowListScripts` parses the file a second time: chart values and
 * manifests that name `register` outside any `[…]` are not parsed (the doctor over a 150-runner
 * synth output parsed all its 150 values files again, ~60 ms). A `]` inside a quoted item before the
 * word hides the list from this test: such a list is read as raw text, as before flow lists were read.
 */
function wordInFlowList(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) if (text.lastIndexOf('[', i) > text.lastIndexOf(']', i)) return true;
  return false;
}

/**
 * The strings of a YAML file's flow sequences that name `word` (a container's `command: ["sh", "-c",
 * "gitlab-runner register …"]`, `args: […]`), each read as YAML reads it: the item's value, not its
 * quotes and the `]` or `,` after it (read as raw text, the last flag of such a list was
 * `--docker-privileged]`), a double-quoted item that wraps over lines folded into one. A list whose
 * items are words of one command (`["gitlab-runner", "register", "--executor", "docker"]`) is read
 * as that command too, its items one word each. `rest`: the text with those lists blanked (line
 * breaks kept), for the reader of the rest of the file. Undefined for a file that is no YAML or has
 * no such list.
 */
export function flowListScripts(path: string, file: YamlFile, word: string): { scripts: TaskScript[]; rest: string } | undefined {
  if (!YAML_FILE.test(path) || !wordInFlowList(file.text, word)) return undefined;
  const docs = file.documents();
  const text = file.text;
  const scripts: TaskScript[] = [];
  const spans: [number, number][] = [];
  const visit = (node: unknown): void => {
    if (isMap(node)) for (const p of node.items) visit(p.value);
    else if (isSeq(node)) {
      const strings = node.items.filter((i): i is Scalar => isScalar(i) && typeof i.value === 'string');
      if (node.flow && node.range && strings.some((s) => String(s.value).includes(word))) {
        spans.push([node.range[0], node.range[1]]);
        for (const s of strings) if (String(s.value).includes(word)) scripts.push(scalarScript(text, s, true));
        // One command's words, one item each: read as that command.
        if (strings.length === node.items.length && strings.some((s) => s.value === word)) scripts.push(argvScript(text, strings));
        return;
      }
      for (const i of node.items) visit(i);
    }
  };
  for (const d of docs) visit(d.contents);
  if (scripts.length === 0) return undefined;
  let rest = text;
  for (const [from, to] of spans) rest = rest.slice(0, from) + rest.slice(from, to).replace(/[^\n]/g, ' ') + rest.slice(to);
  return { scripts, rest };
}

/**
 * The gitlab_runner tasks (`RUNNER_MODULE`) of a playbook or task file: where each is (the offset of
 * its module key) and the runner's `description` where written. Such a task registers a runner with
 * GitLab's API and writes no config.toml: RF910 names it, so "no runner manager" does not read as if
 * nothing registered one.
 */
export function runnerModuleTasks(path: string, file: YamlFile): { at: number; description?: string }[] {
  if (!/gitlab_runner\s*:/.test(file.text)) return [];
  const out: { at: number; description?: string }[] = [];
  for (const list of playAndTaskLists(path, file) ?? []) walkTasks(list, (key, value, _task, keyAt) => {
    if (!RUNNER_MODULE.test(key) || !isMap(value)) return;
    const d = value.get('description', true) ?? value.get('name', true);
    out.push({ at: keyAt, ...(isScalar(d) && typeof d.value === 'string' ? { description: d.value } : {}) });
  });
  return out;
}

/** One `key=value` word of a module's one-line parameters: its name, its value (quotes dropped), and where the word and its value are in the text read. */
export interface FreeFormPair {
  name: string;
  value: string;
  from: number;
  to: number;
  valueFrom: number;
}

/**
 * A word `name=value` where the name starts the word (after a blank or at the start): a quoted value
 * (`"…"`, `'…'`) without its quotes, or a bare one up to the next blank, a Jinja `{{ … }}` in it kept
 * whole with its blanks (Ansible splits the one-line form at blanks outside quotes and Jinja,
 * ansible/parsing/splitter.py split_args, then each word at its first `=`, parse_kv).
 */
const FREE_FORM_PAIR = /(?<=^|\s)([A-Za-z_][A-Za-z0-9_]*)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|((?:\{\{(?:[^}]|\}(?!\}))*\}\}|\{%(?:[^%]|%(?!\}))*%\}|\S)+))/g;

/** The `key=value` words of a module's one-line parameters (FREE_FORM_PAIR), in order. */
export function freeFormPairs(text: string): FreeFormPair[] {
  return [...text.matchAll(FREE_FORM_PAIR)].map((m) => {
    const value = m[2] ?? m[3] ?? m[4]!;
    const quoted = m[4] === undefined;
    return { name: m[1]!, value, from: m.index, to: m.index + m[0].length, valueFrom: m.index + m[1]!.length + 1 + (quoted ? 1 : 0) };
  });
}

/**
 * A module's parameters in Ansible's one-line `key=value` form (`template: src=config.j2
 * dest="/etc/gitlab-runner/config.toml"`): each name with its value, a quoted value (`"…"`, `'…'`)
 * without its quotes.
 */
export function freeFormArgs(text: string): Map<string, string> {
  return new Map(freeFormPairs(text).map((p) => [p.name, p.value]));
}

const TEMPLATE_MODULE = /^(?:ansible\.(?:builtin|legacy)\.)?template$/;
const COPY_MODULE = /^(?:ansible\.(?:builtin|legacy)\.)?copy$/;
const SHELL_MODULE = /^(?:ansible\.(?:builtin|legacy)\.)?(?:shell|command|raw)$/;
/** A play's or task's key, or a template or copy task's (a task file may hold only those). */
const PLAY_TASK_OR_FILE = new RegExp(`${PLAY_OR_TASK.source}|^(?:template|copy)$`);
/** A template lookup with a literal path: `lookup('template', 'x.j2')`, `lookup("ansible.builtin.template", "x.j2")`. */
const TEMPLATE_LOOKUP = /lookup\(\s*(['"])(?:ansible\.builtin\.)?template\1\s*,\s*(['"])([^'"{}]+)\2/g;
/** A shell line that writes what it echoes onto config.toml (`> …/config.toml`, `>> …`, `| tee -a …/config.toml`). */
const INTO_CONFIG = /(?:>>?|\btee\b(?:\s+-a)?)\s*["']?[^\s;|&'"]*config\.toml(?=["'\s;|&]|$)/;
/** A dest that is a config.toml. */
const CONFIG_DEST = /(?:^|\/)config\.toml["']?\s*$/;

/** The template paths a text's template lookups name. */
const templateLookups = (text: string) => [...text.matchAll(TEMPLATE_LOOKUP)].map((m) => m[3]!.trim());

/** A scalar's string value, or undefined. */
const stringOf = (node: unknown): string | undefined => (isScalar(node) && typeof node.value === 'string' ? node.value : undefined);

/**
 * The templates a playbook's or task file's tasks render onto config.toml (ansible-template.ts says
 * which tasks those are), as their `src` or lookup path is written: a `template:` task whose `dest`
 * ends in config.toml (its parameters a mapping or the `key=value` form, freeFormArgs; a `src` with
 * markup is not guessed), a `copy:` task whose `content` is a template lookup written to config.toml,
 * and a `shell:`/`command:`/`raw:` line that echoes a template lookup into config.toml. Tasks are found
 * as ansibleScripts finds them (walkTasks: plays, blocks, handlers).
 */
export function configTomlTemplateSources(path: string, file: YamlFile): string[] {
  const out: string[] = [];
  for (const list of playAndTaskLists(path, file, PLAY_TASK_OR_FILE, true) ?? []) walkTasks(list, (key, value) => {
    if (TEMPLATE_MODULE.test(key)) {
      const inline = stringOf(value);
      const args = inline !== undefined ? freeFormArgs(inline) : undefined;
      const src = args ? args.get('src') : isMap(value) ? stringOf(value.get('src', true)) : undefined;
      const dest = args ? args.get('dest') : isMap(value) ? stringOf(value.get('dest', true)) : undefined;
      if (src !== undefined && dest !== undefined && CONFIG_DEST.test(dest) && !/\{\{|\{%/.test(src)) out.push(src.trim());
    } else if (COPY_MODULE.test(key) && isMap(value)) {
      // A copy task whose content is a template lookup: the template rendered, written to dest.
      const content = stringOf(value.get('content', true));
      const dest = stringOf(value.get('dest', true));
      if (content !== undefined && dest !== undefined && CONFIG_DEST.test(dest)) out.push(...templateLookups(content));
    } else if (SHELL_MODULE.test(key)) {
      // A shell line that echoes a template lookup onto config.toml (`echo '{{ lookup(…) }}' >> …/config.toml`).
      const script = stringOf(value) ?? (isMap(value) ? stringOf(value.get('cmd', true)) : undefined) ?? '';
      for (const line of script.split('\n')) if (INTO_CONFIG.test(line)) out.push(...templateLookups(line));
    }
  });
  return out;
}

/** The Azure modules the Azure VM reader reads (ansible-azure-vm.ts), short or collection-qualified. */
const AZURE_VM_MODULE = /^(?:azure\.azcollection\.)?(azure_rm_virtualmachine|azure_rm_virtualmachineextension|azure_rm_roleassignment)$/;
/** A play's or a task's keys that mark a list as a playbook or task file making Azure VMs. */
const AZURE_PLAY_OR_TASK = /^(?:hosts|tasks|block|(?:azure\.azcollection\.)?azure_rm_(?:virtualmachine(?:extension)?|roleassignment))$/;

/** One azure_rm_virtualmachine, azure_rm_virtualmachineextension or azure_rm_roleassignment task: the module's short name, its parameters as plain values, the offset of its module key, and the variable its result is registered in. */
export interface AzureVmTask {
  module: 'azure_rm_virtualmachine' | 'azure_rm_virtualmachineextension' | 'azure_rm_roleassignment';
  params: Record<string, unknown>;
  at: number;
  register?: string;
}

/**
 * The azure_rm_virtualmachine, azure_rm_virtualmachineextension and azure_rm_roleassignment tasks of a
 * playbook or task file, their parameters written as a mapping or in the one-line `key=value` form
 * (azure.azcollection module docs; freeFormArgs), with the task's `register:` where it has one.
 */
export function azureVmTasks(path: string, file: YamlFile): AzureVmTask[] {
  if (!file.text.includes('azure_rm_')) return [];
  const out: AzureVmTask[] = [];
  for (const list of playAndTaskLists(path, file, AZURE_PLAY_OR_TASK) ?? []) walkTasks(list, (key, value, task, keyAt) => {
    const module = AZURE_VM_MODULE.exec(key)?.[1] as AzureVmTask['module'] | undefined;
    if (module === undefined) return;
    const params: unknown = isMap(value) ? value.toJSON() : isScalar(value) && typeof value.value === 'string' ? Object.fromEntries(freeFormArgs(value.value)) : undefined;
    const register = stringOf(task.get('register', true));
    if (isObj(params)) out.push({ module, params, at: keyAt, ...(register !== undefined ? { register: register.trim() } : {}) });
  });
  return out;
}

/** One task of a playbook or task file whose module key a pattern matches: the key, its parameters (a mapping as plain values, or the one-line `key=value` form as a string), the offset of its module key, and the value's node. */
export interface ModuleTask {
  key: string;
  params: Record<string, unknown> | string;
  at: number;
  node: Node | null;
}

/** The tasks of a playbook or task file whose module key `module` matches (walked as ansibleScripts walks them: plays, blocks, handlers), in the mapping or the one-line form. */
export function moduleTasks(path: string, file: YamlFile, module: RegExp): ModuleTask[] {
  const out: ModuleTask[] = [];
  for (const list of playAndTaskLists(path, file, new RegExp(`${PLAY_OR_TASK.source}|${module.source}`)) ?? []) walkTasks(list, (key, value, _task, keyAt) => {
    if (!module.test(key)) return;
    if (isScalar(value) && typeof value.value === 'string') out.push({ key, params: value.value, at: keyAt, node: value });
    else if (isMap(value)) {
      const params: unknown = value.toJSON();
      if (isObj(params)) out.push({ key, params, at: keyAt, node: value });
    }
  });
  return out;
}

/**
 * The folders, in order, Ansible looks for a relative local file in (a `copy`/`template` `src`, a
 * lookup's file, a k8s task's `src`, a helm task's `values_files`), for a task of the task file at
 * `taskPath`; `kind` is the subfolder of the kind of file looked for (`files` for files, `templates`
 * for templates). Ansible's documentation ("Search paths in Ansible", Resolving local relative paths):
 * first the current role, in its `files`/`templates` subfolder then directly in its folder; then, in
 * the same two ways, the task file's own folder; then the play file's folder. So for a role's task
 * file `roles/x/tasks/sub/k8s.yml`: `roles/x/files/`, `roles/x/`, `roles/x/tasks/sub/files/`,
 * `roles/x/tasks/sub/`, then the play's `files/` and folder.
 *
 * What the files alone do not say is taken from the usual layout: a task file in a `tasks/` or
 * `handlers/` folder is a role's, the role being the folder above (a role whose repository is the
 * role itself too, `tasks/main.yml` at its top), else one under `roles/<name>/` is that role's; the
 * play of a role under `<p>roles/` is taken to be a playbook in `<p>` (where `ansible-playbook` finds
 * `roles/` beside the playbook); a task file of no role is a playbook, or one included by a playbook
 * in its own folder. The parent roles of step 2 (a role including this one) are not known from the
 * files and not searched. Folders end with `/` ('' is the top).
 */
export function ansibleSearchPath(taskPath: string, kind: 'files' | 'templates'): string[] {
  const { role, here, play } = ansibleRole(taskPath);
  const out: string[] = [];
  for (const base of [role, here, play]) if (base !== undefined) out.push(`${base}${kind}/`, base);
  return [...new Set(out)];
}

/** The role folder of a task file (undefined for none), its own folder, and its play's folder where the files say it (ansibleSearchPath). */
export function ansibleRole(taskPath: string): { role: string | undefined; here: string; play: string | undefined } {
  const path = taskPath.replace(/\\/g, '/');
  const here = path.slice(0, path.lastIndexOf('/') + 1);
  const inRole = /(?:^|\/)(?:tasks|handlers)\/(?:.*\/)?$/.exec(here) ?? undefined;
  let role: string | undefined;
  if (inRole) {
    // The nearest tasks/ or handlers/ folder above the file.
    const at = Math.max(here.lastIndexOf('/tasks/') + 1, here.lastIndexOf('/handlers/') + 1, here.startsWith('tasks/') || here.startsWith('handlers/') ? 0 : -1);
    role = here.slice(0, at);
  } else role = /^(?:.*\/)?roles\/[^/]+\//.exec(here)?.[0];
  // A role's play: beside its roles/ folder; a role elsewhere (a role's own repository, tasks/ of a playbook's folder) is searched as the role only.
  const underRoles = role !== undefined ? /^(.*\/)?roles\/[^/]+\/$/.exec(role) : null;
  const play = role === undefined ? here : underRoles ? (underRoles[1] ?? '') : undefined;
  return { role, here, play };
}
