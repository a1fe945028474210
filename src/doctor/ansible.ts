import { isMap, isScalar, isSeq, parseAllDocuments, Scalar, type Node, type YAMLMap } from 'yaml';
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
export function ansibleScripts(path: string, text: string): TaskScript[] | undefined {
  // A playbook or task file is a list at its top: its items start at column 0 (`- hosts: …`,
  // `- name: …`). A Kubernetes manifest or chart values (a mapping at the top) is never parsed here.
  if (!YAML_FILE.test(path) || !TOP_LEVEL_ITEM.test(text)) return undefined;
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(docs)) return undefined;
  const lists = docs.map((d) => d.contents).filter((c) => isSeq(c) && c.items.some((i) => isMap(i) && i.items.some((p) => isScalar(p.key) && PLAY_OR_TASK.test(String(p.key.value)))));
  if (lists.length === 0) return undefined;
  const out: TaskScript[] = [];
  const walk = (list: Node): void => {
    if (!isSeq(list)) return;
    for (const item of list.items) {
      if (!isMap(item)) continue;
      for (const pair of item.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (TASK_LISTS.includes(key)) walk(pair.value as Node);
        const module = MODULE.exec(key)?.[1];
        if (module !== undefined) out.push(...taskScripts(text, module, pair.value as Node | null, item));
      }
    }
  };
  for (const list of lists) walk(list as Node);
  return out;
}

/** The command of one task: its module's free-form value, its `cmd`, or its `argv` words; also where the task gives them in `args`. */
function taskScripts(text: string, module: string, value: Node | null, task: YAMLMap): TaskScript[] {
  const shell = module !== 'command';
  if (isScalar(value) && typeof value.value === 'string' && value.value.trim() !== '') return [scalarScript(text, value, shell)];
  const params = isMap(value) ? value : task.get('args', true);
  if (!isMap(params)) return [];
  const cmd = params.get('cmd', true);
  if (isScalar(cmd) && typeof cmd.value === 'string') return [scalarScript(text, cmd, shell)];
  const argv = params.get('argv', true);
  if (module === 'command' && isSeq(argv)) return [argvScript(text, argv.items)];
  return [];
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
 * Where an Ansible file holds a credential by the name it is given to, whatever its shape (the
 * credential scan's `tokenAt`): a variable named as a runner token (`runnerTokenVariable`:
 * `gitlab_runner_registration_token`, `runner_token`, `registration_token`) in a vars file
 * (group_vars, host_vars, a role's defaults or vars) at any depth, or in a play's or task's `vars:`;
 * and a credential parameter of a gitlab_runner task (`RUNNER_MODULE_TOKENS`). A value with Jinja in
 * it or an Ansible Vault payload is filled in when the play runs: no credential written. Undefined
 * for a file that is no Ansible file.
 */
export function ansibleTokenAt(path: string, docs: readonly unknown[]): ((at: readonly (string | number)[], value: string) => string | undefined) | undefined {
  if (!YAML_FILE.test(path)) return undefined;
  const varsFile = VARS_FILE.test(path) && docs.some(isObj);
  const playbook = docs.some(playsOrTasks);
  if (!varsFile && !playbook) return undefined;
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
