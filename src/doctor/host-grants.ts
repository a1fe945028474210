import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { Evidence } from './evidence.js';
import { ansibleScripts, freeFormArgs, moduleTasks, type ModuleTask, type TaskScript } from './ansible.js';
import { registerCommands } from './register-command.js';
import { templateFile } from './ansible-template.js';
import { offsetInOriginal, yamlFileOf, type YamlFile } from './yaml-documents.js';
import { LineIndex } from './hcl/ast.js';
import { isObject } from '../model/is-object.js';
import { isMap, isScalar, isSeq } from 'yaml';
import { RUN_AS_ROOT, RUN_AS_ROOT_FIX, SHELL_ROOT_FIX, SUDOERS_NOPASSWD, groupJoin } from './vm.js';

/**
 * What makes the jobs of a shell runner root on its host, read where a host is set up outside
 * Terraform's user data (vm.ts reads that: shellRootFindings): Ansible tasks, a standalone script, a
 * systemd unit. The shell executor runs each job as a process of the user `gitlab-runner run` is told
 * with `--user` (docs.gitlab.com/runner/executors/shell, "Run scripts as a privileged user": scripts
 * run unprivileged only where `--user` is added to `gitlab-runner run`), which `gitlab-runner install
 * --user X` writes into the service it installs (commands/service.go passes `--user` on to `run`; the
 * packages install it with `--user gitlab-runner`). So:
 * - the gitlab-runner user made root-equivalent by an Ansible task: `user:` (ansible.builtin.user,
 *   `name: gitlab-runner` with `groups: docker`, or `group: docker`; its one-line `key=value` form too),
 *   a sudoers line with NOPASSWD naming it or a group it joins, written by `copy:` (`content`),
 *   `lineinfile:` (`line`), `blockinfile:` (`block`) to /etc/sudoers or /etc/sudoers.d/* (or with
 *   `validate: visudo …`), or `community.general.sudoers` (`user`/`group`; `nopassword` defaults to
 *   true, community.general docs), and the same lines in a command or shell task's script;
 * - jobs run as root outright: `gitlab-runner install --user root` (`--user=root`, `-u root`) or
 *   `gitlab-runner run --user root`, in a script or a task, and a systemd unit whose `User=root`
 *   service runs `gitlab-runner run` without a `--user` of another user.
 * Each is RF309 only where the files register a runner with the shell executor (a register command's
 * `--executor shell`, a config.toml or template with `executor = "shell"`): a Docker or Kubernetes
 * executor's jobs run in containers, whoever runs the manager. And on the host the grant is made on,
 * where the files say which host that is (hostsOf): a grant in a play, a role or a script that itself
 * registers runners, none of them shell, sets up a Docker or Kubernetes runner's host, and is RF309
 * only where a shell runner is registered there too (or somewhere the files do not tie to a host:
 * a config.toml, a task file outside a role, a play for `all`). A grant whose place registers no
 * runner is read as today: on whichever host the shell runner is.
 */

const USER_MODULE = /^(?:ansible\.(?:builtin|legacy)\.)?user$/;
const FILE_MODULES = /^(?:ansible\.(?:builtin|legacy)\.)?(?:copy|lineinfile|blockinfile)$/;
const SUDOERS_MODULE = /^(?:community\.general\.)?sudoers$/;
const TEMPLATE_MODULE = /^(?:ansible\.(?:builtin|legacy)\.)?template$/;
const SUDOERS_PATH = /^\/etc\/sudoers(?:\.d\/\S*)?$/;
const TRUE = /^(?:true|yes|on|1|y)$/i;
const UNIT_USER_FIX = 'add `--user gitlab-runner` to the unit\'s `gitlab-runner run` (as the unit `gitlab-runner install --user gitlab-runner` writes), or `User=gitlab-runner` under [Service] (as `install --init-user gitlab-runner` writes), so shell jobs run unprivileged; jobs that need root belong in the docker executor';

interface Grant {
  /** Where the grant is: `file:line:col`. */
  at: string;
  /** What makes it: `the Ansible task at …`, `line 3 of setup.sh`. */
  who: string;
  what: string;
  /** Jobs run as root outright (not through a grant to gitlab-runner). */
  root?: true;
  /** A systemd unit with no User= (its fix names User= too). */
  unitUser?: true;
}

/** One host setup's grants and passwordless sudoers entries, over all its files. */
interface Reading {
  passwordless: Map<string, { at: string; who: string }>;
  joins: { at: string; who: string; groups: string[] }[];
  root: Grant[];
  /** Templates a task renders onto sudoers, read with the task (not again as a script). */
  templated: Set<string>;
}

const paramsOf = (p: Record<string, unknown> | string): Record<string, unknown> => (typeof p === 'string' ? Object.fromEntries(freeFormArgs(p)) : p);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'boolean' || typeof v === 'number' ? String(v) : undefined);
const groupsOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []).map((g) => g.trim()).filter((g) => g !== '');

/** The lines of a script: each line's text and the offset its first non-blank character is read from. */
function scriptLines(s: TaskScript): { line: string; at: number }[] {
  const out: { line: string; at: number }[] = [];
  let from = 0;
  for (const line of s.value.split('\n')) {
    const lead = line.length - line.trimStart().length;
    out.push({ line, at: s.rawAt[from + lead] ?? s.end });
    from += line.length + 1;
  }
  return out;
}

/** A sudoers, group-join or run-as-root line of a script. */
function readLine(line: string, at: string, who: string, r: Reading): void {
  const sudo = SUDOERS_NOPASSWD.exec(line.replace(/^\s*["']/, ''));
  if (sudo) r.passwordless.set(sudo[1]!, { at, who });
  const groups = groupJoin(line);
  if (groups) r.joins.push({ at, who, groups });
  const root = RUN_AS_ROOT.exec(line);
  if (root) r.root.push({ at, who, root: true, what: `runs \`gitlab-runner ${root[1]!} --user root\`: the service runs \`gitlab-runner run --user root\` and hands every shell job to root` });
}

/**
 * The `template:` tasks that render a template onto sudoers (`dest` /etc/sudoers or /etc/sudoers.d/*,
 * or `validate: visudo …`), with the template's `src` as written (docs.ansible.com,
 * ansible.builtin.template: `src` relative to the role's or playbook's `templates/`); a `src` with
 * markup is not guessed.
 */
function sudoersTemplateTasks(path: string, yaml: YamlFile): { t: ModuleTask; dest: string; src: string }[] {
  if (!/sudoers|visudo/.test(yaml.text) || !/template/.test(yaml.text)) return [];
  const out: { t: ModuleTask; dest: string; src: string }[] = [];
  for (const t of moduleTasks(path, yaml, TEMPLATE_MODULE)) {
    const p = paramsOf(t.params);
    const dest = (text(p.dest) ?? text(p.path) ?? '').trim();
    const src = (text(p.src) ?? '').trim();
    if (text(p.state) === 'absent' || (!SUDOERS_PATH.test(dest) && !/\bvisudo\b/.test(text(p.validate) ?? ''))) continue;
    if (src !== '' && !/\{\{|\{%/.test(src)) out.push({ t, dest, src });
  }
  return out;
}

/** The files given (`paths`) that a template task of the YAML files renders onto sudoers: read as text whatever their name (`sudoers.j2`), for the NOPASSWD lines readAnsible reads. */
export function sudoersTemplateFiles(yaml: readonly { path: string; text: string }[], paths: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const f of yaml) {
    if (!/\.ya?ml$/i.test(f.path) || !/sudoers|visudo/.test(f.text) || !/template/.test(f.text)) continue;
    for (const { src } of sudoersTemplateTasks(f.path, yamlFileOf(f.text))) {
      const found = templateFile(f.path, src, paths);
      if (found !== undefined) out.add(found);
    }
  }
  return out;
}

/** The grants an Ansible playbook's or task file's tasks make. */
function readAnsible(path: string, yaml: YamlFile, original: string, r: Reading, texts: ReadonlyMap<string, string>): void {
  const lines = new LineIndex(original);
  const place = (at: number) => {
    const p = lines.pos(offsetInOriginal(yaml.text, original, at));
    return `${path}:${p.line}:${p.column}`;
  };
  for (const t of moduleTasks(path, yaml, USER_MODULE)) {
    const p = paramsOf(t.params);
    if ((text(p.name) ?? text(p.user)) !== 'gitlab-runner' || text(p.state) === 'absent') continue;
    const groups = [...groupsOf(p.groups), ...groupsOf(p.group)];
    if (groups.length > 0) r.joins.push({ at: place(t.at), who: `the Ansible task at ${place(t.at)} (${t.key})`, groups });
  }
  for (const t of moduleTasks(path, yaml, FILE_MODULES)) {
    const p = paramsOf(t.params);
    const dest = text(p.path) ?? text(p.dest) ?? text(p.destfile) ?? text(p.name) ?? '';
    if (!SUDOERS_PATH.test(dest.trim()) && !/\bvisudo\b/.test(text(p.validate) ?? '')) continue;
    if (text(p.state) === 'absent') continue;
    const content = text(p.content) ?? text(p.line) ?? text(p.block) ?? '';
    for (const l of content.split('\n')) {
      const sudo = SUDOERS_NOPASSWD.exec(l);
      if (sudo) r.passwordless.set(sudo[1]!, { at: place(t.at), who: `the Ansible task at ${place(t.at)} (${t.key} to ${dest.trim() || 'a file visudo validates'})` });
    }
  }
  // A template rendered to sudoers: the NOPASSWD lines of its source, where the file is given (read as text: sudoersTemplateFiles).
  for (const { t, dest, src } of sudoersTemplateTasks(path, yaml)) {
    const file = templateFile(path, src, texts);
    if (file === undefined) continue;
    r.templated.add(file);
    texts.get(file)!.split('\n').forEach((l, i) => {
      const sudo = SUDOERS_NOPASSWD.exec(l);
      if (sudo) r.passwordless.set(sudo[1]!, { at: place(t.at), who: `the Ansible task at ${place(t.at)} (${t.key} of ${file}, whose line ${i + 1} is a NOPASSWD entry, to ${dest || 'a file visudo validates'})` });
    });
  }
  for (const t of moduleTasks(path, yaml, SUDOERS_MODULE)) {
    const p = paramsOf(t.params);
    if (text(p.state) === 'absent' || (p.nopassword !== undefined && !TRUE.test(text(p.nopassword) ?? ''))) continue;
    const user = text(p.user);
    const group = text(p.group);
    const who = { at: place(t.at), who: `the Ansible task at ${place(t.at)} (${t.key})` };
    if (user !== undefined) r.passwordless.set(user, who);
    if (group !== undefined) r.passwordless.set(`%${group}`, who);
  }
  if (!/\b(?:command|shell|raw)\s*:/.test(yaml.text)) return;
  for (const s of ansibleScripts(path, yaml) ?? []) for (const l of scriptLines(s)) readLine(l.line, place(l.at), `the Ansible task's command at ${place(l.at)}`, r);
}

/**
 * A systemd unit whose service runs `gitlab-runner run` as root without a `--user` of another user:
 * `User=root`, or no `User=` at all — systemd runs a system service's processes as root unless `User=`
 * names another user (systemd.exec(5), "User=, Group=": for system services it defaults to root). The
 * unit `gitlab-runner install --user X` writes passes `"--user" "X"` to `run` (kardianos/service's
 * systemd template quotes each argument; commands/service_linux.go), and `--init-user X` writes
 * `User=X`: neither is said. Without `User=`, nothing is said where the unit is a user unit (a path
 * under `systemd/user/`, `WantedBy=default.target`), runs with `DynamicUser=`, or where a drop-in
 * given (`<name>.service.d/*.conf`) or the text elsewhere (`echo "User=…"`) may set `User=`.
 * `gitlab-runner install` without `--user` is not said: run as root it stops with "Please specify user
 * that will run gitlab-runner service" (commands/service.go, runServiceInstall, since 2015), so it
 * installs no service.
 */
function readUnit(path: string, unit: string, r: Reading, dropIns: ReadonlySet<string>): void {
  // Blanks only ([ \t]), not \s, before a key: \s takes newlines, and each line's start would scan
  // every blank line after it (quadratic in a file of blank lines).
  const exec = /^[ \t]*ExecStart[ \t]*=[ \t]*([^\n]*\bgitlab-runner["']?[ \t]+["']?run\b[^\n]*)$/m.exec(unit);
  if (!exec) return;
  const user = /^[ \t]*User[ \t]*=[ \t]*(\S*)[ \t]*\r?$/m.exec(unit);
  // `--user X`, `-u X`, `--user=X`, each word quoted or not; X may be a variable (another user, as far as is known).
  const runAs = /(?:^|[\s"'])(?:--user|-u)["']?(?:[ \t]+|=)["']?([^\s"']+)/.exec(exec[1]!)?.[1];
  if (runAs !== undefined && runAs !== 'root') return;
  const lines = new LineIndex(unit);
  if (user) {
    if (user[1] !== 'root' && user[1] !== '') return;
    const p = lines.pos(user.index + user[0].length - user[0].trimStart().length);
    r.root.push({ at: `${path}:${p.line}:${p.column}`, who: `the systemd unit ${path}`, root: true, what: `runs \`gitlab-runner run\`${runAs === undefined ? ' without --user' : ' --user root'} as User=${user[1]}: shell jobs run as the user \`run\` is given with --user, else as the service's own user, root` });
    return;
  }
  // A drop-in's ExecStart= with no User=: the unit it belongs to may set one.
  if (/\.service\.d\//i.test(path)) return;
  const name = /([^/]+\.service)$/.exec(path)?.[1];
  if (/(?:^|\/)systemd\/user\//.test(path) || /^[ \t]*WantedBy[ \t]*=[^\n]*\bdefault\.target\b/m.test(unit) || /^[ \t]*DynamicUser[ \t]*=/m.test(unit)) return;
  if (/\bUser[ \t]*=/.test(unit) || (name !== undefined && dropIns.has(name))) return;
  const p = lines.pos(exec.index + exec[0].length - exec[0].trimStart().length);
  r.root.push({ at: `${path}:${p.line}:${p.column}`, who: `the systemd unit ${path}`, root: true, unitUser: true, what: `runs \`gitlab-runner run\`${runAs === undefined ? ' without --user' : ' --user root'} and sets no User=: systemd runs a system service as root unless User= names another user, and shell jobs run as the user \`run\` is given with --user, else as the service's own user, root` });
}

/** The units a drop-in given sets `User=` for: `<name>.service.d/*.conf` files with a `User=` line. */
function dropInUsers(ev: Evidence): Set<string> {
  const out = new Set<string>();
  for (const [path, t] of ev.texts ?? []) {
    const m = /(?:^|\/)([^/]*)\.service\.d\/[^/]+\.conf$/i.exec(path);
    if (m && /^[ \t]*User[ \t]*=/m.test(t)) out.add(`${m[1]!}.service`);
  }
  return out;
}

/**
 * The hosts a line of a file is run on, as the files say: in a playbook, the play's `hosts:` pattern
 * (`hosts:web`) and, for a role's task file (`roles/<role>/tasks/…`), the role (`role:<role>`) with the
 * patterns of the plays given that list it; a script (not YAML) is one host's setup (`file:<path>`).
 * Undefined where the files do not say: a task file outside a role, a play for `all` or a pattern
 * with markup, a unit file, a config.toml.
 */
type HostsOf = (at: string) => readonly string[] | undefined;

/** A play's `hosts:` as a key (a list's patterns sorted), or undefined for every host or one with markup. */
function hostsKey(v: unknown): string | undefined {
  const patterns = (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/[,:]/) : []).map((h) => h.trim()).filter((h) => h !== '');
  if (patterns.length === 0 || patterns.some((h) => h === 'all' || h === '*' || /\{\{|\{%/.test(h))) return undefined;
  return `hosts:${[...new Set(patterns)].sort().join(',')}`;
}

const ROLE_TASKS = /(?:^|\/)roles\/([^/]+)\/tasks\//;

function hostsOfFiles(ev: Evidence): HostsOf {
  /** Per playbook: each play's lines (first, last) and hosts key. */
  const plays = new Map<string, { from: number; to: number; key: string | undefined }[]>();
  const roleHosts = new Map<string, Set<string>>();
  for (const [path, yaml] of ev.yamlSources ?? []) {
    if (!/\.ya?ml$/i.test(path) || ROLE_TASKS.test(path) || !/^[ \t-]*hosts[ \t]*:/m.test(yaml.text)) continue;
    const lines = new LineIndex(yaml.text);
    const list: { from: number; to: number; key: string | undefined }[] = [];
    for (const doc of yaml.documents()) {
      if (!isSeq(doc.contents)) continue;
      for (const item of doc.contents.items) {
        if (!isMap(item) || !item.has('hosts') || item.range === undefined || item.range === null) continue;
        const raw: unknown = item.get('hosts');
        const key = hostsKey(isSeq(raw) ? raw.toJSON() : raw);
        list.push({ from: lines.pos(item.range[0]).line, to: lines.pos(item.range[1]).line, key });
        const roles = item.get('roles');
        if (key === undefined || !isSeq(roles)) continue;
        for (const r of roles.items) {
          const name = isScalar(r) ? r.value : isMap(r) ? (r.get('role') ?? r.get('name')) : undefined;
          if (typeof name !== 'string') continue;
          const role = name.split('/').pop()!.split('.').pop()!;
          if (!roleHosts.has(role)) roleHosts.set(role, new Set());
          roleHosts.get(role)!.add(key);
        }
      }
    }
    if (list.length > 0) plays.set(path, list);
  }
  return (at) => {
    const m = /^(.*):(\d+):\d+$/.exec(at);
    if (!m) return undefined;
    const path = m[1]!;
    const role = ROLE_TASKS.exec(path)?.[1];
    if (role !== undefined) return [`role:${role}`, ...(roleHosts.get(role) ?? [])];
    const list = plays.get(path);
    if (list !== undefined) {
      const line = Number(m[2]);
      const key = list.find((p) => p.from <= line && line <= p.to)?.key;
      return key === undefined ? undefined : [key];
    }
    if (ev.yamlSources?.has(path) || /\.service$/.test(path)) return undefined;
    return [`file:${path}`];
  };
}

/** A runner the files register: where, its executor, and the hosts it is registered on (undefined: not known). */
interface Registration {
  where: string;
  shell: boolean;
  hosts: readonly string[] | undefined;
}

/** The runners the files register: register commands with an executor, and the shell runners of config.toml files and templates (on hosts not known). */
function registrations(ev: Evidence, hostsOf: HostsOf): Registration[] {
  const out: Registration[] = [];
  for (const [path, t] of ev.texts ?? []) {
    if (!/--executor/.test(t)) continue;
    let lines: LineIndex | undefined;
    for (const c of registerCommands(path, t, undefined, ev.yamlSources?.get(path))) {
      const f = c.flags.find((x) => x.name === 'executor');
      if (f?.value === undefined) continue;
      lines ??= new LineIndex(t);
      const p = lines.pos(c.at);
      out.push({ where: `${path} (gitlab-runner register --executor ${f.value})`, shell: f.value === 'shell', hosts: hostsOf(`${path}:${p.line}:${p.column}`) });
    }
  }
  for (const toml of [...ev.configTomls, ...(ev.jinjaTomls ?? [])]) {
    const runners = toml.value.runners;
    if (Array.isArray(runners) && runners.some((x) => isObject(x) && x.executor === 'shell')) out.push({ where: `${toml.origin.source.path} (executor = "shell")`, shell: true, hosts: undefined });
  }
  return out;
}

const meets = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => a !== undefined && b !== undefined && a.some((x) => b.includes(x));

/**
 * The shell runner a grant at `hosts` reaches, or undefined: one registered on those hosts, or on
 * hosts not known; where the grant's hosts register no runner (or are not known), any shell runner.
 */
function shellRunnerFor(regs: readonly Registration[], hosts: readonly string[] | undefined): Registration | undefined {
  const here = regs.filter((r) => meets(r.hosts, hosts));
  if (here.length === 0) return regs.find((r) => r.shell);
  return here.find((r) => r.shell) ?? regs.find((r) => r.shell && r.hosts === undefined);
}

/** RF309 for each grant that makes the shell jobs of the files' runners root (see above); places another reader already said RF309 at are left to it. */
export function hostGrantFindings(ev: Evidence, said: readonly Finding[]): Finding[] {
  const r: Reading = { passwordless: new Map(), joins: [], root: [], templated: new Set() };
  for (const [path, yaml] of ev.yamlSources ?? []) {
    if (!yaml.text.includes('gitlab-runner') && !/sudoers/.test(yaml.text)) continue;
    readAnsible(path, yaml, ev.texts?.get(path) ?? yaml.text, r, ev.texts ?? new Map<string, string>());
  }
  const dropIns = dropInUsers(ev);
  for (const [path, t] of ev.texts ?? []) {
    if (ev.yamlSources?.has(path) || r.templated.has(path) || !t.includes('gitlab-runner') && !/NOPASSWD/.test(t)) continue;
    // A unit file, or a script that writes one (a heredoc): its service's user and command; the script's own lines are read too.
    if (/\.service$/.test(path) || !/\.(?:md|markdown|rst|adoc|txt|html?)$/i.test(path) && /^[ \t]*\[Service\]/m.test(t)) readUnit(path, t, r, dropIns);
    if (/\.service$/.test(path)) continue;
    if (/\.(?:tf|tf\.json|tofu|json|toml|hcl|tpl|tftpl)$/i.test(path)) continue;
    t.split('\n').forEach((l, i) => readLine(l, `${path}:${i + 1}:${l.length - l.trimStart().length + 1}`, `line ${i + 1} of ${path}`, r));
  }
  const grants: Grant[] = [...r.root];
  const user = r.passwordless.get('gitlab-runner');
  if (user !== undefined) grants.push({ ...user, what: 'gives the gitlab-runner user passwordless sudo (a sudoers entry with NOPASSWD)' });
  for (const j of r.joins) {
    if (j.groups.includes('docker')) grants.push({ at: j.at, who: j.who, what: "gives the gitlab-runner user the docker group (the Docker socket's: a member starts a privileged container with the host's disk mounted)" });
    for (const g of j.groups.filter((g) => r.passwordless.has(`%${g}`))) grants.push({ at: j.at, who: j.who, what: `gives the gitlab-runner user the ${g} group, which ${r.passwordless.get(`%${g}`)!.who} makes passwordless in sudoers` });
  }
  if (grants.length === 0) return [];
  const hostsOf = hostsOfFiles(ev);
  const regs = registrations(ev, hostsOf);
  if (!regs.some((x) => x.shell)) return [];
  const lineOf = (at: string) => at.replace(/:\d+$/, '');
  const taken = new Set(said.filter((f) => f.code === 'RF309').map((f) => lineOf(f.path)));
  const out: Finding[] = [];
  for (const g of grants) {
    if (taken.has(lineOf(g.at))) continue;
    const shell = shellRunnerFor(regs, hostsOf(g.at))?.where;
    if (shell === undefined) continue;
    taken.add(lineOf(g.at));
    out.push({
      code: 'RF309',
      severity: CODES.RF309.severity,
      path: g.at,
      message: `${g.who} ${g.what}, and the runner these files register runs its jobs with the shell executor (${shell}): every job is root on the host, reads config.toml with the runner's token, changes gitlab-runner and what the next jobs run, and holds the host's credentials`,
      fix: g.unitUser === true ? UNIT_USER_FIX : g.root === true ? RUN_AS_ROOT_FIX : SHELL_ROOT_FIX,
    });
  }
  return out;
}
