import { ansibleSearchPath, configTomlTemplateSources } from './ansible.js';
import { normalPath } from './hcl/eval.js';
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
 * files given where Ansible looks for a template (ansible.ts ansibleSearchPath, with `templates/`: the
 * role's, the task file's folder's, then the play's); a `src` with markup, or not found, is not guessed.
 * A template lookup (`lookup('template', 'x.j2')`, `lookup('ansible.builtin.template', …)`: the
 * template rendered to a string, docs.ansible.com ansible.builtin.template lookup) written onto
 * config.toml is such a template too: the `content` of a `copy:` task whose `dest` ends in
 * config.toml, or echoed by a `shell:`/`command:` line into it (`echo '{{ lookup(…) }}' >>
 * /etc/gitlab-runner/config.toml`); its path is looked for the same way (a lookup's `templates/x.j2`
 * is found relative to the role's own folder, as Ansible's search path has it). The tasks are
 * read by ansible.ts's one task walker (configTomlTemplateSources: plays, blocks, handlers, task files),
 * the one the register reader reads commands with.
 */

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
 * Ansible looks for it (ansibleSearchPath); an absolute `src` as written. Undefined where none is given.
 */
export function templateFile(taskPath: string, src: string, paths: { has(path: string): boolean }): string | undefined {
  const candidates = src.startsWith('/') ? [src] : ansibleSearchPath(taskPath, 'templates').map((d) => normalPath(`${d}${src}`));
  return candidates.find((c) => paths.has(c));
}
