import { parseAllDocuments } from 'yaml';

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
 * (a lookup's `templates/x.j2` relative to the role, as Ansible's search path has it).
 */

const MODULE = /^(?:ansible\.(?:builtin|legacy)\.)?template$/;
const COPY = /^(?:ansible\.(?:builtin|legacy)\.)?copy$/;
const SHELL = /^(?:ansible\.(?:builtin|legacy)\.)?(?:shell|command|raw)$/;
/** A template lookup with a literal path: `lookup('template', 'x.j2')`, `lookup("ansible.builtin.template", "x.j2")`. */
const LOOKUP = /lookup\(\s*(['"])(?:ansible\.builtin\.)?template\1\s*,\s*(['"])([^'"{}]+)\2/g;
/** A shell line that writes what it echoes onto config.toml (`> …/config.toml`, `>> …`, `| tee -a …/config.toml`). */
const INTO_CONFIG = /(?:>>?|\btee\b(?:\s+-a)?)\s*["']?[^\s;|&'"]*config\.toml(?=["'\s;|&]|$)/;
/** A dest that is a config.toml. */
const CONFIG_DEST = /(?:^|\/)config\.toml["']?\s*$/;

/** The template paths a text's template lookups name. */
const lookups = (text: string) => [...text.matchAll(LOOKUP)].map((m) => m[3]!.trim());

/** A module's parameters in the one-line `key=value` form (`src=a.j2 dest="/etc/x y"`). */
function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_]+)=(?:"([^"]*)"|'([^']*)'|(\S+))/g)) out[m[1]!] = m[2] ?? m[3] ?? m[4]!;
  return out;
}

/** The `src` of each template task in a YAML value (a playbook, a task file) whose `dest` ends in config.toml. */
function templateSources(value: unknown, out: string[], depth = 0): void {
  if (depth > 64 || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) templateSources(v, out, depth + 1);
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (MODULE.test(k)) {
      const params = typeof v === 'string' ? keyValues(v) : typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
      const { src, dest } = params;
      if (typeof src === 'string' && typeof dest === 'string' && CONFIG_DEST.test(dest) && !/\{\{|\{%/.test(src)) out.push(src.trim());
      continue;
    }
    // A copy task whose content is a template lookup: the template rendered, written to dest.
    if (COPY.test(k) && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const { content, dest } = v as Record<string, unknown>;
      if (typeof content === 'string' && typeof dest === 'string' && CONFIG_DEST.test(dest)) out.push(...lookups(content));
      continue;
    }
    // A shell line that echoes a template lookup onto config.toml (`echo '{{ lookup(…) }}' >> …/config.toml`).
    if (SHELL.test(k)) {
      const script = typeof v === 'string' ? v : typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).cmd === 'string' ? ((v as Record<string, unknown>).cmd as string) : '';
      for (const line of script.split('\n')) if (INTO_CONFIG.test(line)) out.push(...lookups(line));
      continue;
    }
    templateSources(v, out, depth + 1);
  }
}

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
    const sources: string[] = [];
    try {
      for (const doc of parseAllDocuments(f.text)) if (doc.errors.length === 0) templateSources(doc.toJS({ maxAliasCount: 100 }), sources);
    } catch {
      continue;
    }
    const here = folderOf(f.path);
    const role = /(?:^|\/)tasks\/(?:.*\/)?$/.test(here) ? here.slice(0, here.lastIndexOf('tasks/', here.length)) : undefined;
    for (const src of sources) {
      const relative = src.replace(/^\.\//, '');
      const candidates = src.startsWith('/') ? [src] : [...(role !== undefined ? [`${role}templates/${relative}`, `${role}${relative}`] : []), `${here}${relative}`, `${here}templates/${relative}`];
      const found = candidates.find((c) => paths.has(c));
      if (found !== undefined) out.add(found);
    }
  }
  return out;
}
