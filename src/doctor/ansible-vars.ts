import { isMap, isScalar, isSeq, parse as parseYaml, type Node, type YAMLMap } from 'yaml';
import { ansibleRole, ansibleSearchPath } from './ansible.js';
import { normalPath } from './hcl/eval.js';
import { isObject } from '../model/is-object.js';
import type { YamlFile } from './yaml-documents.js';

/**
 * A Jinja value of an Ansible task that is exactly one variable (`"{{ runner_ns }}"`), read as the
 * literal the files give it, by Ansible's variable precedence (docs.ansible.com, "Using variables",
 * Understanding variable precedence), lowest first: role defaults (`defaults/main.yml`); inventory
 * group vars and host vars (`group_vars/`, `host_vars/`); play `vars:`; play `vars_files`; role vars
 * (`vars/main.yml`); block vars (only for the tasks of the block); task vars (only for the task);
 * `include_vars`; `set_fact` and registered vars; role (and include_role) params; include params;
 * and last extra vars (`-e`), which always win and are not in the files.
 *
 * The definitions looked at, for a task at an offset of a task file: the role's defaults; every
 * group_vars/host_vars file given (one layer: where two give different values, which a host gets
 * depends on its groups, and the value is not known); the play holding the task (a playbook) or every
 * play and task that calls the task's role (`roles:` entries, `include_role`/`import_role` tasks of
 * the files given): its `vars:` and `vars_files` (relative to the playbook's folder); the role's vars;
 * the `vars:` of each block around the task and of the task itself; earlier in the task's file,
 * `include_vars` tasks (a file given is read as vars_files are; a folder, a file named by Jinja or one
 * not given may define any name) and `set_fact`/`register` of the name (a fact set when the play runs:
 * its value where it is a literal, and where the task is conditional (`when:`, a loop) only where it is
 * the value the lower layers give too); role params (`- { role: x, ns: y }`, a role entry's `vars:`,
 * an include_role/import_role task's `vars:`). The highest layer that defines the name decides: a
 * literal there is read; anything else there (a filter, an expression, another variable, a file not
 * given) makes the value unknown, said with the definition that hides the others (never a lower
 * layer's value). A role called from two places that give different values is not known either.
 * Where a task file belongs to no play or role the files show, nothing is read. What is read so is
 * what the files say: an extra var given with `-e` when the play runs overrides it, and is not known here.
 *
 * Not followed: `include_tasks`/`import_tasks` params and set_fact in other task files (a role's
 * other task files run in an order the files given do not show).
 */

/** The one variable of a Jinja value written as `{{ name }}` alone (blanks allowed), else undefined. */
const ONE_VARIABLE = /^\s*\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}\s*$/;
const JINJA = /\{\{|\{%/;
const TASK_LISTS = ['tasks', 'pre_tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always'];
/** The task lists that run in file order (handlers run at the end, when notified). */
const RUN_LISTS = ['pre_tasks', 'tasks', 'post_tasks', 'block', 'rescue', 'always'];
const SET_FACT = /^(?:ansible\.(?:builtin|legacy)\.)?set_fact$/;
const INCLUDE_VARS = /^(?:ansible\.(?:builtin|legacy)\.)?include_vars$/;
const INCLUDE_ROLE = /^(?:ansible\.(?:builtin|legacy)\.)?(?:include|import)_role$/;
/** Keys of a role entry (`roles:`) that are keywords, not role params. */
const ROLE_KEYWORDS = new Set(['role', 'name', 'vars', 'when', 'tags', 'become', 'become_user', 'become_method', 'environment', 'delegate_to', 'ignore_errors', 'no_log', 'any_errors_fatal', 'connection', 'collections', 'module_defaults', 'run_once', 'debugger', 'check_mode', 'diff', 'throttle', 'timeout', 'remote_user', 'port', 'gather_facts']);

/** A variable's value the files give, and where (a file, with `vars` for a play's). */
export interface KnownVariable {
  name: string;
  value: string;
  from: string;
}

/** A one-variable value the files make unknown: `why` names the definition that hides the others. */
export interface HiddenVariable {
  name: string;
  value: undefined;
  why: string;
}

/** A value as Jinja prints it (`True` for a YAML 1.1 boolean), undefined where it is not a literal. */
const literal = (v: unknown): string | undefined => (typeof v === 'string' && !JINJA.test(v) ? v : typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'True' : 'False') : undefined);

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return parseYaml(text, { version: '1.1', logLevel: 'silent' }) as unknown;
  } catch {
    return undefined;
  }
}

/** One definition: a literal, or unknown (`value` undefined) where `from` says why. `maybe`: a task that may not run (when, loop). */
interface Def {
  value: string | undefined;
  from: string;
  maybe?: boolean;
}
/** One layer of definitions, lowest precedence first: what it says of a name (undefined: nothing). */
type Layer = (name: string) => Def | undefined;

const fromVars = (vars: unknown, from: string): Layer => (name) => (isObject(vars) && Object.hasOwn(vars, name) ? { value: literal(vars[name]), from } : undefined);

/** The value the layers give a name, the highest that defines it deciding (see above); undefined where none does. */
function decide(name: string, layers: readonly Layer[]): Def | undefined {
  let cur: Def | undefined;
  for (const layer of layers) {
    const d = layer(name);
    if (d === undefined) continue;
    if (d.maybe && cur !== undefined && cur.value !== undefined && cur.value === d.value) continue;
    cur = d.maybe ? { value: undefined, from: `${d.from}, which may or may not run` } : d;
  }
  return cur;
}

const str = (n: unknown): string | undefined => (isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : undefined);

/** The maps (plays, blocks, tasks) holding offset `at`, outermost first, through the task lists. */
function around(list: Node | null | undefined, at: number, keys: readonly string[], out: YAMLMap[] = []): YAMLMap[] {
  if (!isSeq(list)) return out;
  for (const item of list.items) {
    if (!isMap(item) || !item.range || at < item.range[0] || at >= item.range[2]) continue;
    out.push(item);
    for (const k of keys) around(item.get(k, true), at, TASK_LISTS, out);
    break;
  }
  return out;
}

/** Every task of a list, depth first in file order, with whether it or a block around it is conditional. */
function* tasksIn(list: Node | null | undefined, keys: readonly string[], conditional = false): Generator<{ task: YAMLMap; conditional: boolean }> {
  if (!isSeq(list)) return;
  for (const item of list.items) {
    if (!isMap(item)) continue;
    const cond = conditional || ['when', 'loop', 'with_items', 'with_list', 'with_dict', 'until'].some((k) => item.has(k));
    yield { task: item, conditional: cond };
    for (const k of keys) yield* tasksIn(item.get(k, true), TASK_LISTS, cond);
  }
}

/** The module key of a task matching `module`, and its value. */
function moduleOf(task: YAMLMap, module: RegExp): { key: string; value: unknown } | undefined {
  for (const p of task.items) if (isScalar(p.key) && module.test(String(p.key.value))) return { key: String(p.key.value), value: p.value };
  return undefined;
}

/** The `vars:` of a map (play, block, task, role entry) as a layer. */
const varsOf = (m: YAMLMap, from: string): Layer => {
  const v = m.get('vars', true);
  return fromVars(isMap(v) ? (v.toJSON() as unknown) : undefined, from);
};

/**
 * The variables of the files given: `resolve(value, at)` is the literal a one-variable Jinja value at
 * offset `at` of the task file takes (see above), a HiddenVariable where a definition makes it
 * unknown, undefined where it is not one variable or the files define it nowhere. `sources` are the
 * YAML files given (for the plays calling a role); `line` the line of an offset of the task file.
 */
export function playVariables(taskPath: string, yaml: YamlFile, given: ReadonlyMap<string, string>, texts: ReadonlyMap<string, string> | undefined, sources?: ReadonlyMap<string, YamlFile>, line?: (offset: number) => number): (value: string, at: number) => KnownVariable | HiddenVariable | undefined {
  const text = (normal: string): string | undefined => {
    const key = given.get(normal);
    return key !== undefined ? texts?.get(key) : undefined;
  };
  const lineOf = (file: YamlFile, offset: number): number => (file === yaml && line ? line(offset) : file.text.slice(0, offset).split('\n').length);
  const { role } = ansibleRole(normalPath(taskPath));
  // group_vars/ and host_vars/ files given: one layer (inventory variables, below a play's).
  const inventory = [...given.keys()].filter((k) => /(?:^|\/)(?:group|host)_vars\/.+\.ya?ml$|(?:^|\/)(?:group|host)_vars\/[^/.]+$/.test(k)).map((f) => fromVars(parsed(text(f)), f));
  const inventoryLayer: Layer = (name) => {
    const defs = inventory.map((l) => l(name)).filter((d): d is Def => d !== undefined);
    if (defs.length === 0) return undefined;
    if (defs.some((d) => d.value === undefined)) return defs.find((d) => d.value === undefined);
    if (new Set(defs.map((d) => d.value)).size > 1) return { value: undefined, from: `${defs.map((d) => d.from).join(' and ')}, which give it different values (which one a host gets depends on its groups)` };
    return defs[0];
  };
  const roleFile = (dir: string): Layer => {
    const layers = role === undefined ? [] : [`${dir}/main.yml`, `${dir}/main.yaml`].map((f) => normalPath(`${role}${f}`)).map((f) => fromVars(parsed(text(f)), f));
    return (name) => layers.map((l) => l(name)).find((d) => d !== undefined);
  };
  /** A play's vars and vars_files, its playbook at `path`. */
  const playLayers = (play: YAMLMap, path: string): Layer[] => {
    const dir = normalPath(path).slice(0, normalPath(path).lastIndexOf('/') + 1);
    const out: Layer[] = [varsOf(play, `the play's vars in ${path}`)];
    const files = play.get('vars_files', true);
    const entries = isSeq(files) ? files.items : files !== undefined && files !== null ? [files] : [];
    for (const e of entries) {
      const rel = str(e);
      const file = rel !== undefined && !JINJA.test(rel) ? normalPath(rel.startsWith('/') ? rel.slice(1) : `${dir}${rel}`) : undefined;
      const t = file !== undefined ? text(file) : undefined;
      if (t === undefined) out.push(() => ({ value: undefined, from: `the vars_files entry ${rel ?? '(not a name)'} of the play in ${path}, ${file === undefined ? 'named by Jinja' : 'not among the files given'}` }));
      else out.push(fromVars(parsed(t), file!));
    }
    return out;
  };
  /** The blocks' and the task's vars, then include_vars, set_fact and register before it in its file. */
  const taskLayers = (file: YamlFile, path: string, chain: readonly YAMLMap[], lists: readonly Node[], at: number): { scoped: Layer[]; run: Layer[] } => {
    const scoped = chain.map((m) => varsOf(m, `the ${m === chain.at(-1) ? 'task' : 'block'}'s vars at ${path}:${lineOf(file, m.range![0])}`));
    const includes: Layer[] = [];
    const facts: Layer[] = [];
    const searched = ansibleSearchPath(path, 'vars' as 'files');
    for (const list of lists) {
      for (const { task, conditional } of tasksIn(list, RUN_LISTS)) {
        if (!task.range || task.range[2] > at || chain.includes(task)) continue;
        const where = `${path}:${lineOf(file, task.range[0])}`;
        const inc = moduleOf(task, INCLUDE_VARS);
        if (inc !== undefined) {
          const v = inc.value;
          const opts = isMap(v) ? (v.toJSON() as Record<string, unknown>) : undefined;
          const rel = opts !== undefined ? (typeof opts.file === 'string' ? opts.file : typeof opts._raw_params === 'string' ? opts._raw_params : undefined) : str(v)?.replace(/^file=/, '');
          const under = typeof opts?.name === 'string' ? opts.name : undefined;
          const found = rel !== undefined && !JINJA.test(rel) && !/\s/.test(rel.trim()) ? searched.map((d) => normalPath(rel.startsWith('/') ? rel.slice(1) : `${d}${rel}`)).find((f) => text(f) !== undefined) : undefined;
          const unknown = `the include_vars at ${where}, ${opts?.dir !== undefined ? 'a folder' : rel === undefined || JINJA.test(rel) ? 'a file named by Jinja' : 'a file not among the files given'}`;
          const vars = found !== undefined ? parsed(text(found)) : undefined;
          includes.push((name) => {
            if (under !== undefined) return under === name ? { value: undefined, from: `the include_vars at ${where} (its variables under ${name})`, maybe: conditional } : undefined;
            if (found === undefined) return { value: undefined, from: unknown };
            const d = fromVars(vars, `${found} (include_vars at ${where})`)(name);
            return d && conditional ? { ...d, maybe: true } : d;
          });
          continue;
        }
        const fact = moduleOf(task, SET_FACT);
        if (fact !== undefined && isMap(fact.value)) {
          const vars = fact.value.toJSON() as unknown;
          facts.push((name) => {
            const d = fromVars(vars, `the set_fact at ${where}`)(name);
            return d && conditional ? { ...d, maybe: true } : d;
          });
        } else if (fact !== undefined && str(fact.value) !== undefined) {
          const one = str(fact.value)!;
          facts.push((name) => {
            const m = new RegExp(`(?:^|\\s)${name}=(?:"([^"]*)"|'([^']*)'|(\\S*))`).exec(one);
            if (m === null) return undefined;
            const value = m[1] ?? m[2] ?? m[3]!;
            return { value: JINJA.test(value) ? undefined : value, from: `the set_fact at ${where}`, ...(conditional ? { maybe: true } : {}) };
          });
        }
        const reg = str(task.get('register', true));
        if (reg !== undefined) facts.push((name) => (name === reg ? { value: undefined, from: `the register at ${where} (a task's result)` } : undefined));
      }
    }
    return { scoped, run: [...includes, ...facts] };
  };

  /** The plays and include_role tasks of the files given that call the task's role: each one's layers above the role's vars. */
  let callers: { play: Layer[]; params: Layer[]; where: string }[] | undefined;
  const roleCallers = (): typeof callers => {
    if (callers !== undefined || role === undefined || sources === undefined) return callers;
    callers = [];
    const roleName = /([^/]+)\/$/.exec(role)?.[1];
    if (roleName === undefined) return callers;
    const names = (v: unknown): boolean => typeof v === 'string' && (v === roleName || v.endsWith(`/${roleName}`) || v.endsWith(`.${roleName}`));
    for (const [path, file] of sources) {
      if (!file.text.includes(roleName) || file === yaml) continue;
      for (const doc of file.documents()) {
        const list = doc.contents;
        if (!isSeq(list)) continue;
        const includeRoles = (tasks: Node | null | undefined, pl: Layer[]): void => {
          for (const { task } of tasksIn(tasks, TASK_LISTS)) {
            const inc = moduleOf(task, INCLUDE_ROLE);
            if (inc === undefined) continue;
            const target = isMap(inc.value) ? str(inc.value.get('name', true)) : str(inc.value);
            if (!names(target)) continue;
            const where = `${path}:${lineOf(file, task.range?.[0] ?? 0)}`;
            const blocks = around(list, task.range?.[0] ?? 0, TASK_LISTS).filter((m) => m !== task && !m.has('hosts'));
            callers!.push({ play: pl, params: [...blocks.map((b) => varsOf(b, `the block's vars at ${path}:${lineOf(file, b.range![0])}`)), varsOf(task, `the ${inc.key} vars at ${where}`)], where });
          }
        };
        if (!list.items.some((i) => isMap(i) && i.has('hosts'))) {
          includeRoles(list, []);
          continue;
        }
        for (const play of list.items) {
          if (!isMap(play) || !play.has('hosts')) continue;
          const pl = playLayers(play, path);
          const roles = play.get('roles', true);
          if (isSeq(roles)) {
            for (const entry of roles.items) {
              const where = `${path}:${lineOf(file, (entry as Node | null)?.range?.[0] ?? 0)}`;
              if (names(str(entry))) callers.push({ play: pl, params: [], where });
              else if (isMap(entry) && (names(str(entry.get('role', true))) || names(str(entry.get('name', true))))) {
                const params = Object.fromEntries(Object.entries(entry.toJSON() as Record<string, unknown>).filter(([k]) => !ROLE_KEYWORDS.has(k)));
                callers.push({ play: pl, params: [fromVars(params, `the role params at ${where}`), varsOf(entry, `the role entry's vars at ${where}`)], where });
              }
            }
          }
          for (const k of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) includeRoles(play.get(k, true), pl);
        }
      }
    }
    return callers;
  };

  return (value, at) => {
    const name = ONE_VARIABLE.exec(value)?.[1];
    if (name === undefined) return undefined;
    // The play holding the task, in a playbook; the blocks and task around the offset.
    let play: YAMLMap | undefined;
    let chain: YAMLMap[] = [];
    const lists: Node[] = [];
    for (const doc of yaml.documents()) {
      const list = doc.contents;
      if (!isSeq(list)) continue;
      lists.push(list);
      const held = around(list, at, TASK_LISTS);
      if (held.length === 0) continue;
      if (held[0]!.has('hosts')) {
        play = held[0];
        chain = held.slice(1);
      } else chain = held;
    }
    const own = taskLayers(yaml, taskPath, chain, lists, at);
    const base: Layer[] = [roleFile('defaults'), inventoryLayer];
    const outcomes: Def[] = [];
    if (play !== undefined) {
      const d = decide(name, [...base, ...playLayers(play, taskPath), roleFile('vars'), ...own.scoped, ...own.run]);
      if (d !== undefined) outcomes.push(d);
    } else if (role !== undefined) {
      const calls = roleCallers() ?? [];
      for (const c of calls.length > 0 ? calls : [undefined]) {
        const d = decide(name, [...base, ...(c?.play ?? []), roleFile('vars'), ...own.scoped, ...own.run, ...(c?.params ?? [])]);
        if (d !== undefined) outcomes.push(d);
        else if (c !== undefined && outcomes.length > 0) return { name, value: undefined, why: `the role is called at ${c.where} where the files do not define it` };
      }
      if (outcomes.length > 0 && outcomes.length < calls.length) return { name, value: undefined, why: `the role is called from ${calls.length} places and not all of them define it` };
    } else return undefined;
    if (outcomes.length === 0) return undefined;
    const hidden = outcomes.find((d) => d.value === undefined);
    if (hidden !== undefined) return { name, value: undefined, why: hidden.from };
    if (new Set(outcomes.map((d) => d.value)).size > 1) return { name, value: undefined, why: `the role is called from ${outcomes.length} places that give it different values (${outcomes.map((d) => d.from).join(', ')})` };
    return { name, value: outcomes[0]!.value!, from: outcomes[0]!.from };
  };
}
