import { configTomlTemplateSources } from './ansible.js';
import { yamlFileOf } from './yaml-documents.js';

/**
 * The templates an Ansible task renders onto a host's config.toml: a `template:` task (the short name,
 * `ansible.builtin.template:` or `ansible.legacy.template:`) whose `dest` ends in `config.toml` writes
 * the Jinja template its `src` names there (docs.ansible.com, ansible.builtin.template: `src`, the
 * template's path, relative to the role's `templates/` folder or the playbook's; `dest`, where the
 * rendered file is written). Its parameters are a mapping (`src:`, `dest:`) or the module's
 * one-line `key=value` form (`template: src=config.j2 dest=/etc/gitlab-runner/config.toml`). Such a
 * template is a config.toml whatever its name (`config.j2`, `runner.j2`, even
 * `config.toml`): it is read as a config.toml.j2 is (jinja-toml.ts). Its path is looked for among the
 * files given: in a role's task file (`<role>/tasks/…`) in `<role>/templates/`, then beside the task
 * file and in its `templates/` (a playbook's); a `src` with markup, or not found, is not guessed.
 * A template lookup (`lookup('template', 'x.j2')`, `lookup('ansible.builtin.template', …)`: the
 * template rendered to a string, docs.ansible.com ansible.builtin.template lookup) written onto
 * config.toml is such a template too: the `content` of a `copy:` task whose `dest` ends in
 * config.toml, or echoed by a `shell:`/`command:` line into it (`echo '{{ lookup(…) }}' >>
 * /etc/gitlab-runner/config.toml`); its path is looked for the same way, and in the role's own folder
 * (a lookup's `templates/x.j2` relative to the role, as Ansible's search path has it). The tasks are
 * read by ansible.ts's one task walker (configTomlTemplateSources: plays, blocks, handlers, task files),
 * the one the register reader reads commands with.
 */

/** The folder of a path, with its trailing `/` ('' for none). */
const folderOf = (path: string) => path.slice(0, path.lastIndexOf('/') + 1);

/**
 * The files given (`paths`, normalised with `/`) that a template task of the YAML files (`yaml`)
 * renders onto a config.toml.
 */
export function configTomlTemplates(yaml: readonly { path: string; text: string }[], paths: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const f of yaml) {
    if (!/\.ya?ml$/i.test(f.path) || !f.text.includes('config.toml') || !/template\s*:|lookup\(/.test(f.text)) continue;
    // Before the files are read: parsed as read.ts parses them (yaml-documents.ts), the same repairs and limits.
    for (const src of configTomlTemplateSources(f.path, yamlFileOf(f.text))) {
      const found = templateFile(f.path, src, paths);
      if (found !== undefined) out.add(found);
    }
  }
  return out;
}

/**
 * The file given (one of `paths`) that a template `src` of the task file at `taskPath` names, as
 * Ansible looks for it: in a role's task file in `<role>/templates/` and the role's folder, then beside
 * the task file and in its `templates/`; an absolute `src` as written. Undefined where none is given.
 */
export function templateFile(taskPath: string, src: string, paths: { has(path: string): boolean }): string | undefined {
  const here = folderOf(taskPath);
  const role = /(?:^|\/)tasks\/(?:.*\/)?$/.test(here) ? here.slice(0, here.lastIndexOf('tasks/', here.length)) : undefined;
  const relative = src.replace(/^\.\//, '');
  const candidates = src.startsWith('/') ? [src] : [...(role !== undefined ? [`${role}templates/${relative}`, `${role}${relative}`] : []), `${here}${relative}`, `${here}templates/${relative}`];
  return candidates.find((c) => paths.has(c));
}
