import { isMap, isScalar, isSeq, parse as parseYaml } from 'yaml';
import { ansibleRole } from './ansible.js';
import { normalPath } from './hcl/eval.js';
import { isObject } from '../model/is-object.js';
import type { YamlFile } from './yaml-documents.js';

/**
 * A Jinja value of an Ansible task that is exactly one variable (`"{{ runner_ns }}"`), read as the
 * literal the files give it where they give it one and only one. Ansible's variable precedence
 * (docs.ansible.com, "Using variables", Understanding variable precedence), lowest first: role
 * defaults (`defaults/main.yml`), inventory and group/host vars, play `vars:`, play `vars_files`,
 * role vars (`vars/main.yml`), block and task vars, set_fact and registered vars, role and include
 * params, and last extra vars (`-e`), which always win. The definitions looked at: the task's play's
 * `vars:` and its `vars_files` (relative to the playbook's folder), the role's `defaults/main.yml`
 * and `vars/main.yml`, and any `group_vars/` or `host_vars/` file given. Where they give the same
 * literal the value is read; where two disagree, one is not a literal (a filter, an expression,
 * another variable), a `vars_files` entry is not given or named by Jinja, or the task file belongs to
 * no play or role the files show, nothing is read (the caller says RF903 as before). What is read so is
 * what the files say: an extra var given with `-e` when the play runs overrides it, and is not known here.
 */

/** The one variable of a Jinja value written as `{{ name }}` alone (blanks allowed), else undefined. */
const ONE_VARIABLE = /^\s*\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}\s*$/;
const JINJA = /\{\{|\{%/;

/** A variable's value the files give, and where (a file, with `vars` for a play's). */
export interface KnownVariable {
  name: string;
  value: string;
  from: string;
}

const literal = (v: unknown): string | undefined => (typeof v === 'string' && !JINJA.test(v) ? v : typeof v === 'number' ? String(v) : undefined);

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return parseYaml(text, { version: '1.1', logLevel: 'silent' }) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The variables of the files given: `resolve(value, at)` is the literal a one-variable Jinja value at
 * offset `at` of the task file takes (see above), undefined where the files do not say one.
 */
export function playVariables(taskPath: string, yaml: YamlFile, given: ReadonlyMap<string, string>, texts: ReadonlyMap<string, string> | undefined): (value: string, at: number) => KnownVariable | undefined {
  const text = (normal: string): string | undefined => {
    const key = given.get(normal);
    return key !== undefined ? texts?.get(key) : undefined;
  };
  const { role, here } = ansibleRole(normalPath(taskPath));
  // group_vars/ and host_vars/ files given: definitions too (inventory variables, below a play's).
  const inventory = [...given.keys()].filter((k) => /(?:^|\/)(?:group|host)_vars\/.+\.ya?ml$|(?:^|\/)(?:group|host)_vars\/[^/.]+$/.test(k));
  return (value, at) => {
    const name = ONE_VARIABLE.exec(value)?.[1];
    if (name === undefined) return undefined;
    const defs: { value: string | undefined; from: string }[] = [];
    let unsure = false;
    const look = (vars: unknown, from: string): void => {
      if (isObject(vars) && Object.hasOwn(vars, name)) defs.push({ value: literal(vars[name]), from });
    };
    // The play holding the task, in a playbook: its vars and vars_files.
    let play = false;
    for (const doc of yaml.documents()) {
      const list = doc.contents;
      if (!isSeq(list)) continue;
      for (const item of list.items) {
        if (!isMap(item) || !item.has('hosts') || !item.range || at < item.range[0] || at >= item.range[2]) continue;
        play = true;
        const vars = item.get('vars', true);
        look(isMap(vars) ? (vars.toJSON() as unknown) : undefined, `the play's vars in ${taskPath}`);
        const files = item.get('vars_files', true);
        const entries = isSeq(files) ? files.items : files !== undefined && files !== null ? [files] : [];
        for (const e of entries) {
          const rel = isScalar(e) && typeof e.value === 'string' ? e.value : undefined;
          const file = rel !== undefined && !JINJA.test(rel) ? normalPath(rel.startsWith('/') ? rel.slice(1) : `${here}${rel}`) : undefined;
          const t = file !== undefined ? text(file) : undefined;
          if (t === undefined) unsure = true;
          else look(parsed(t), file!);
        }
      }
    }
    if (role !== undefined) {
      for (const f of ['defaults/main.yml', 'defaults/main.yaml', 'vars/main.yml', 'vars/main.yaml']) {
        const file = normalPath(`${role}${f}`);
        look(parsed(text(file)), file);
      }
    }
    if (!play && role === undefined) return undefined;
    for (const f of inventory) look(parsed(text(f)), f);
    if (unsure || defs.length === 0 || defs.some((d) => d.value === undefined)) return undefined;
    if (new Set(defs.map((d) => d.value)).size > 1) return undefined;
    return { name, value: defs[0]!.value!, from: defs[0]!.from };
  };
}
