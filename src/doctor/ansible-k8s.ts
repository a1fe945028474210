import { isMap, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
import type { Evidence } from './evidence.js';
import { ansibleSearchPath, freeFormArgs, moduleTasks, type ModuleTask } from './ansible.js';
import { CODES, type Code } from '../spec/codes.js';
import { safeText, type Finding } from '../spec/findings.js';
import { isObject } from '../model/is-object.js';
import type { K8sObject } from '../emit/artifacts.js';
import { LineIndex } from './hcl/ast.js';
import { normalPath } from './hcl/eval.js';
import { SourceFile, formatPosition, type Position } from './source.js';
import { offsetInOriginal, type YamlFile } from './yaml-documents.js';
import { MergedValues, ReleaseSource, helmSetPath, isRunnerChart, localChartFolder, withTokenStandIns } from './helm-release.js';
import { mergeGivenFile } from './gitops.js';
import { setKindValue, setPairs } from './helm-command.js';
import { chartYamlOf } from './chart-yaml.js';
import { refusedNameFinding } from './namespace-names.js';
import { CLUSTER_SCOPED } from './kustomize-patch.js';
import { classify } from './read.js';
import { playVariables, type HiddenVariable, type KnownVariable } from './ansible-vars.js';

/**
 * The Kubernetes tasks of Ansible playbooks and roles: `kubernetes.core.helm` (also
 * `community.kubernetes.helm`, short `helm`) installing the gitlab-runner chart, read as the release
 * it makes, as the other release readers read theirs (helm-release.ts, gitops.ts, helm-command.ts);
 * and `kubernetes.core.k8s` (also `community.kubernetes.k8s`, short `k8s`) applying objects, read
 * as the objects of a manifest are (read.ts classify). Tasks are found as the other Ansible readers
 * find them (ansible.ts moduleTasks: plays, roles' task files, blocks, handlers).
 *
 * The modules' parameters, as the collection's documentation gives them (docs.ansible.com,
 * kubernetes.core.helm and kubernetes.core.k8s module pages):
 * - helm: `name` (alias `release_name`), `release_namespace` (alias `namespace`), `chart_ref` (a
 *   chart of a repository, `repo/name`; a path to a packaged or unpacked chart; a URL),
 *   `chart_repo_url`, `chart_version`, `values` (a mapping), `values_files` (a list of paths),
 *   `set_values` (items `{value: "key=value", value_type: raw|string|json|file|literal}`, as helm's
 *   --set, --set-string, --set-json, --set-file and --set-literal), `release_state` (alias
 *   `state`): `absent` uninstalls the release. The module passes values_files to helm first, then
 *   `values`, then set_values, so they are layered in that order (the last wins).
 * - k8s: `definition` (alias `resource_definition`: an object, a list of them, or YAML text of
 *   one or more documents), `src` (a file of such YAML), `namespace` (the namespace of an object
 *   whose definition names none), `template` (a Jinja template the task renders into the
 *   definition), `state` (`absent` deletes the objects).
 *
 * A value with Jinja in it (`{{ x }}`, `{% … %}`) is filled in when the play runs: it is not known
 * here, and is said (RF903, as helm-command.ts says a shell variable's value), never guessed. A
 * relative path (values_files, src, a local chart) is looked for among the files given where Ansible
 * looks for a local file (ansible.ts ansibleSearchPath, with `files/`: the role's, the task file's
 * folder's, then the play's).
 */

const HELM_MODULE = /^(?:(?:kubernetes\.core|community\.kubernetes)\.)?helm$/;
const K8S_MODULE = /^(?:(?:kubernetes\.core|community\.kubernetes)\.)?k8s$/;
const JINJA = /\{\{|\{%/;
const NOT_KNOWN = 'Ansible fills it in when the play runs';

function finding(code: Code, at: Position, message: string, fix: string): Finding {
  return { code, severity: CODES[code].severity, path: formatPosition(at), message, fix };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** One task file given, with what its tasks need: where an offset of its read text is, and the given files its relative paths name. */
interface TaskFile {
  ev: Evidence;
  path: string;
  source: SourceFile;
  pos: (offset: number) => Position;
  /** The position of a node of the task, or `fallback` where it has none. */
  nodeAt: (node: unknown, fallback: Position) => Position;
  /** The given file a relative path names, searched as Ansible searches (ansibleSearchPath); undefined where none is given. */
  find: (rel: string) => string | undefined;
  /** The folders a relative path is read from, in Ansible's order. */
  dirs: string[];
  /** The literal the files give a one-variable Jinja value at an offset of the file, or the definition that makes it unknown (ansible-vars.ts). */
  known: (value: string, at: number) => KnownVariable | HiddenVariable | undefined;
}

function taskFile(ev: Evidence, path: string, yaml: YamlFile, given: ReadonlyMap<string, string>): TaskFile {
  const text = ev.texts?.get(path) ?? yaml.text;
  let lines: LineIndex | undefined;
  const pos = (offset: number): Position => ({ file: path, ...(lines ??= new LineIndex(text)).pos(offsetInOriginal(yaml.text, text, offset)) });
  const dirs = ansibleSearchPath(path, 'files');
  return {
    ev,
    path,
    source: new SourceFile(path, text, 'yaml'),
    pos,
    nodeAt: (node, fallback) => {
      const range = (node as Node | null | undefined)?.range;
      return range ? pos(range[0]) : fallback;
    },
    find: (rel) => {
      for (const d of rel.startsWith('/') ? [''] : dirs) {
        const hit = given.get(normalPath(rel.startsWith('/') ? rel.slice(1) : `${d}${rel}`));
        if (hit !== undefined) return hit;
      }
      return undefined;
    },
    dirs,
    known: playVariables(path, yaml, given, ev.texts, ev.yamlSources, (offset) => pos(offset).line),
  };
}

/** A task's parameters as plain values (the one-line `key=value` form too), and its parameter nodes where written as a mapping. */
function paramsOf(t: ModuleTask): { p: Record<string, unknown>; node: (key: string) => unknown } {
  const p = typeof t.params === 'string' ? Object.fromEntries(freeFormArgs(t.params)) : t.params;
  return { p, node: (key) => (isMap(t.node) ? t.node.get(key, true) : undefined) };
}

/**
 * The parameters `keys` (a string, or a list of them) of a task whose value is one Jinja variable the
 * files give one literal (ansible-vars.ts), replaced by that literal in a copy of `p`; `read` says
 * each, to be named with the task: what the files say, which an extra var (`-e`) may override.
 */
function knownParams(c: TaskFile, t: ModuleTask, p: Record<string, unknown>, keys: readonly string[]): { p: Record<string, unknown>; read: string; notes: Map<string, string> } {
  const out = { ...p };
  const said: string[] = [];
  const hidden: string[] = [];
  const notes = new Map<string, string>();
  const one = (k: string, v: unknown): unknown => {
    if (typeof v !== 'string' || !JINJA.test(v)) return v;
    const known = c.known(v, t.at);
    if (known === undefined) return v;
    if (known.value === undefined) {
      // A definition above the others the doctor cannot read (a set_fact, an include_vars of a folder, Jinja): the value stays unknown, said with it.
      hidden.push(`${known.name} is not known here: ${safeText(known.why, 200)} decides it, above the other definitions the files give`);
      return v;
    }
    const text = `${known.name} is read as ${JSON.stringify(safeText(known.value, 63))} from ${known.from}`;
    said.push(text);
    notes.set(k, `its ${k} ${safeText(v.trim(), 63)}: ${text}, what the files say; an extra var given with -e when the play runs would override it`);
    return known.value;
  };
  for (const k of keys) if (Object.hasOwn(out, k)) out[k] = Array.isArray(out[k]) ? (out[k] as unknown[]).map((v) => one(k, v)) : one(k, out[k]);
  const clauses = [...(said.length > 0 ? [`${[...new Set(said)].join(', ')}: what the files say; an extra var given with -e when the play runs would override it`] : []), ...new Set(hidden)];
  const read = clauses.length > 0 ? ` (${clauses.join('; ')})` : '';
  return { p: out, read, notes };
}

/** The first of `keys` (a parameter and its aliases) the task writes. */
const written = (p: Record<string, unknown>, ...keys: string[]): string | undefined => keys.find((k) => Object.hasOwn(p, k) && p[k] !== null && p[k] !== undefined);

/** Every task file given with a task of `module`, once. */
function* tasksOf(ev: Evidence, module: RegExp, word: string): Generator<{ file: TaskFile; tasks: ModuleTask[] }> {
  let given: Map<string, string> | undefined;
  for (const [path, yaml] of ev.yamlSources ?? []) {
    if (!yaml.text.includes(word)) continue;
    const tasks = moduleTasks(path, yaml, module);
    if (tasks.length === 0) continue;
    given ??= new Map([...(ev.texts?.keys() ?? [])].map((k) => [normalPath(k), k]));
    yield { file: taskFile(ev, path, yaml, given), tasks };
  }
}

/** Jinja in a value: the paths under `value` whose strings hold some, each taken out of `value` (not known here). */
function takeJinja(value: Record<string, unknown> | unknown[], path: (string | number)[] = []): string[] {
  const out: string[] = [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [k, v] of entries) {
    if (typeof v === 'string' && JINJA.test(v)) {
      out.push([...path, k].join('.'));
      if (Array.isArray(value)) value[k as number] = null;
      else delete value[k as string];
    } else if (isObject(v) || Array.isArray(v)) out.push(...takeJinja(v, [...path, k]));
  }
  return out;
}

/** Top-level values only the gitlab-runner chart reads (its values.yaml): values carrying one are the runner's. */
const RUNNER_VALUE_KEYS = ['gitlabUrl', 'runnerToken', 'runnerRegistrationToken', 'runners'];
const RUNNER_VALUE_LINE = /^(?:gitlabUrl|runnerToken|runnerRegistrationToken|runners)[ \t]*:/m;

/**
 * Why a helm task whose chart is not known here may install the gitlab-runner chart: its chart
 * reference, release name or chart_repo_url names gitlab-runner, or its values (inline, set_values,
 * a values file given or its name) carry keys of the runner chart's values. Undefined where nothing
 * says so.
 */
function runnerHint(c: TaskFile, p: Record<string, unknown>, chart: string, name: string | undefined, repo: string | undefined): string | undefined {
  if (/gitlab-runner/.test(chart)) return 'its chart_ref names gitlab-runner';
  if (name !== undefined && /gitlab-runner/.test(name)) return 'its release name names gitlab-runner';
  if (repo !== undefined && /gitlab-runner/.test(repo)) return 'its chart_repo_url names gitlab-runner';
  const values = p.values;
  const key = isObject(values) ? RUNNER_VALUE_KEYS.find((k) => Object.hasOwn(values, k)) : undefined;
  if (key !== undefined) return `its values set ${key}, a value of the runner chart`;
  const set = (Array.isArray(p.set_values) ? p.set_values : []).map((i: unknown) => (isObject(i) && typeof i.value === 'string' ? i.value.split(/[.=[]/)[0]! : '')).find((k) => RUNNER_VALUE_KEYS.includes(k));
  if (set !== undefined) return `its set_values set ${set}, a value of the runner chart`;
  const files = Array.isArray(p.values_files) ? (p.values_files as unknown[]) : [p.values_files];
  for (const f of files) {
    if (typeof f !== 'string') continue;
    if (/gitlab-runner/.test(f)) return `its values file ${safeText(f, 100)} names gitlab-runner`;
    const given = JINJA.test(f) ? undefined : c.find(f);
    const text = given !== undefined ? c.ev.texts?.get(given) : undefined;
    if (text !== undefined && RUNNER_VALUE_LINE.test(text)) return `its values file ${safeText(f, 100)} sets ${RUNNER_VALUE_LINE.exec(text)![0].replace(/[ \t]*:$/, '')}, a value of the runner chart`;
  }
  return undefined;
}

/** Keys of the chart a reference to the runner's token sets: a Jinja value there is a reference, not a value left unknown. */
const TOKEN_KEYS = new Set(['runnerToken', 'runnerRegistrationToken']);

/** A `key=value` of set_values as helm-command.ts reads --set and its kinds. */
const SET_KIND: Readonly<Record<string, string>> = { raw: 'set', string: 'set-string', json: 'set-json', file: 'set-file', literal: 'set-literal' };

/**
 * Reads every helm task of the Ansible files given that installs the gitlab-runner chart into
 * `ev.helmValues`, with its release name, namespace, chart version and values, and says what of it
 * is known only when the play runs.
 */
export function readAnsibleHelmTasks(ev: Evidence): void {
  for (const { file, tasks } of tasksOf(ev, HELM_MODULE, 'helm')) for (const t of tasks) readHelmTask(file, t);
}

function readHelmTask(c: TaskFile, t: ModuleTask): void {
  const { ev, path } = c;
  const written0 = paramsOf(t);
  const node = written0.node;
  const { p, read: varsRead, notes: varNotes } = knownParams(c, t, written0.p, ['name', 'release_name', 'chart_ref', 'chart_repo_url', 'chart_version', 'release_namespace', 'namespace', 'values_files', 'release_state', 'state']);
  const start = c.pos(t.at);
  const at = (key: string | undefined): Position => (key !== undefined ? c.nodeAt(node(key), start) : start);
  // Uninstalled: no release, nothing deployed.
  const stateKey = written(p, 'release_state', 'state');
  if (stateKey !== undefined && str(p[stateKey]) === 'absent') return;
  const chart = str(p.chart_ref);
  if (chart === undefined) return;
  const nameKey = written(p, 'name', 'release_name');
  const name = nameKey !== undefined ? str(p[nameKey]) : undefined;
  const repo = str(p.chart_repo_url);
  const task = `the ${t.key} task${name !== undefined ? ` ${safeText(name, 63)}` : ''} at ${path}:${start.line}${varsRead}`;
  if (JINJA.test(chart)) {
    // The chart is known only when the play runs: said where something names the runner chart.
    const why = runnerHint(c, p, chart, name, repo);
    if (why === undefined) return;
    ev.findings.push(finding('RF903', at('chart_ref'), `${task}: its chart_ref ${safeText(chart, 100)} is a Jinja expression (${NOT_KNOWN}), and the task may install the gitlab-runner chart (${why}); the doctor cannot tell which chart it is, so it reads nothing of the release (values, namespace, service account) and its runner's chain is not proven`, 'write chart_ref literally (gitlab/gitlab-runner, or the chart folder)'));
    ev.chartsUnread = (ev.chartsUnread ?? 0) + 1;
    return;
  }
  // A chart folder given (its Chart.yaml among the files): helm installs a path that exists before looking in a repository.
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(chart) || chart.endsWith('.tgz');
  let folder: string | undefined;
  let chartYaml: Record<string, unknown> | undefined;
  if (!url && repo === undefined) {
    for (const d of chart.startsWith('/') ? [''] : c.dirs) {
      const f = localChartFolder(`${d}-`, chart);
      chartYaml = chartYamlOf(ev, f);
      if (chartYaml !== undefined) {
        folder = f;
        break;
      }
    }
  }
  const runner = chartYaml !== undefined ? chartYaml.name === 'gitlab-runner' : isRunnerChart(chart.replace(/^oci:\/\//, ''), repo);
  if (!runner) return;

  const merged = new MergedValues();
  const findings = ev.findings;
  const unknown: string[] = [];
  let read = true;
  let valuesUnread = false;

  // 1. values_files, in order.
  const files = p.values_files;
  (Array.isArray(files) ? files : files === undefined || files === null ? [] : [files]).forEach((rel, i) => {
    const listed = node('values_files');
    const where = c.nodeAt(isSeq(listed) ? listed.items[i] : listed, at('values_files'));
    if (typeof rel !== 'string' || JINJA.test(rel)) {
      findings.push(finding('RF903', where, `${task}: the values file ${safeText(String(rel), 100)} is named by a Jinja expression (${NOT_KNOWN}), so which file it is, and what it sets, is not read and not proven`, 'name the values file literally'));
      valuesUnread = true;
      return;
    }
    const given = c.find(rel);
    if (given === undefined) {
      findings.push(finding('RF903', where, `${task}: the values file ${safeText(rel, 100)} is not among the files given, so what it sets is not proven`, `give ${safeText(rel, 100)} with ${path}`));
      valuesUnread = true;
      return;
    }
    read = mergeGivenFile(ev, merged, given, where, `${task}: values_files ${safeText(rel, 100)}`, findings) && read;
  });

  // 2. values: a mapping written in the task; Jinja as a whole (a lookup, a variable) is not read.
  const values = p.values;
  if (typeof values === 'string' && JINJA.test(values)) {
    unknown.push('values (a Jinja expression as a whole)');
    valuesUnread = true;
  } else if (isObject(values)) {
    const copy = structuredClone(values);
    const taken = takeJinja(copy).filter((k) => !TOKEN_KEYS.has(k));
    if (taken.length > 0) {
      unknown.push(`values ${taken.slice(0, 3).map((k) => safeText(k, 60)).join(', ')}${taken.length > 3 ? ` and ${taken.length - 3} more` : ''}`);
      valuesUnread = true;
    }
    withTokenStandIns(copy);
    const valuesNode = node('values');
    merged.merge(copy, (keys) => {
      let n: unknown = valuesNode;
      for (const k of keys) {
        const next = isMap(n) ? n.get(k, true) : isSeq(n) && typeof k === 'number' ? n.items[k] : undefined;
        if (next === undefined || next === null) break;
        n = next;
      }
      return c.nodeAt(n, at('values'));
    });
  }

  // 3. set_values, in order.
  const sets = node('set_values');
  (Array.isArray(p.set_values) ? p.set_values : []).forEach((item: unknown, i) => {
    const entry = isSeq(sets) ? sets.items[i] : undefined;
    const where = c.nodeAt(isMap(entry) ? (entry.get('value', true) ?? entry) : entry, at('set_values'));
    if (!isObject(item) || typeof item.value !== 'string') return;
    const kind = SET_KIND[str(item.value_type) ?? 'raw'] ?? 'set';
    const arg = item.value;
    const key = arg.split('=')[0]!;
    if (JINJA.test(arg)) {
      if (!TOKEN_KEYS.has(key)) unknown.push(`set_values ${safeText(key, 80)}`);
      if (!TOKEN_KEYS.has(key)) valuesUnread = true;
      return;
    }
    if (kind === 'set-file') {
      findings.push(finding('RF903', where, `${task}: set_values ${safeText(key, 100)} (value_type file) sets a value to the content of a file when the task runs, which the doctor does not read, so what it sets is not proven`, 'set the value in values or in a file of values_files'));
      valuesUnread = true;
      return;
    }
    const eq = arg.indexOf('=');
    const pairs = kind === 'set-literal' || kind === 'set-json' ? [{ key: eq < 0 ? arg : arg.slice(0, eq), value: eq < 0 ? undefined : arg.slice(eq + 1) }] : setPairs(arg);
    for (const pair of pairs) {
      const setPath = helmSetPath(pair.key);
      if (!setPath || pair.value === undefined) {
        findings.push(finding('RF901', where, `${task}: set_values ${JSON.stringify(safeText(pair.key, 80))} is not key=value over a Helm value path; helm refuses it`, 'write key=value, keys separated by dots, `\\.` for a dot inside a key, [n] for a list index'));
        continue;
      }
      const value = setKindValue(kind, pair.key, pair.value);
      if (value === undefined) {
        findings.push(finding('RF901', where, `${task}: set_values ${safeText(pair.key, 80)} (value_type json) is not given JSON; helm refuses it`, 'write the value as JSON'));
        continue;
      }
      merged.set(setPath, value.value, () => where);
    }
  });

  // 4. The namespace (the module requires one): a literal Kubernetes takes, else not known.
  const nsKey = written(p, 'release_namespace', 'namespace');
  const nsWritten = nsKey !== undefined ? str(p[nsKey]) : undefined;
  const clauses: string[] = [];
  const fixes: string[] = [];
  let namespace: string | undefined;
  if (nsWritten === undefined) {
    clauses.push('no release_namespace is given (the module requires one), so the namespace the manager runs in is not known and its identity chain is not proven');
    fixes.push('give the namespace with release_namespace');
  } else if (JINJA.test(nsWritten)) {
    findings.push(finding('RF903', at(nsKey), `${task}: its release_namespace ${safeText(nsWritten, 100)} is a Jinja expression (${NOT_KNOWN}), so the namespace the manager runs in is known only then and its identity chain is not proven`, 'write release_namespace literally'));
  } else {
    // A namespace Kubernetes refuses: helm stops, and the release is in no namespace (RF948 at the parameter).
    const refused = refusedNameFinding(nsWritten, at(nsKey), task, 'helm stops before it installs anything (the API server refuses the namespace), so no manager runs from this task; its chain is not read with that namespace');
    if (refused) findings.push(refused);
    else namespace = nsWritten;
  }
  const version = str(p.chart_version);
  const names: string[] = [];
  if (version !== undefined && JINJA.test(version)) names.push(`the chart version ${safeText(version, 60)} (the checks of one chart version take none)`);
  if (name !== undefined && JINJA.test(name)) names.push(`the release name ${safeText(name, 60)}`);
  if (unknown.length > 0) clauses.push(`${unknown.join(', ')} ${unknown.length > 1 ? 'give values' : 'gives a value'} of Jinja (${NOT_KNOWN}), so what ${unknown.length > 1 ? 'they set' : 'it sets'} is not read and not proven`);
  if (names.length > 0) clauses.push(`${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} a Jinja expression known only when the play runs`);
  if (unknown.length > 0 || names.length > 0) fixes.push('write the values in the task (or a file of values_files) as literals, or give the rendered values');
  if (clauses.length > 0) findings.push(finding('RF903', start, `${task}: ${clauses.join('; ')}`, fixes.join('; ')));
  if (!read) {
    ev.chartsUnread = (ev.chartsUnread ?? 0) + 1;
    return;
  }
  ev.helmValues.push({
    value: merged.value,
    origin: { source: new ReleaseSource(c.source, merged, () => start), doc: 0, path: [] },
    ...(namespace !== undefined ? { namespace } : { namespaceUnknown: true as const }),
    ...(namespace !== undefined && nsKey !== undefined && varNotes.has(nsKey) ? { namespaceNote: `${t.key} task at ${path}:${start.line}: ${varNotes.get(nsKey)!}` } : {}),
    ...(name !== undefined && !JINJA.test(name) ? { release: name } : {}),
    ...(version !== undefined && version !== '' && !JINJA.test(version) ? { chartVersion: version.replace(/^v(?=\d)/, '') } : chartYaml !== undefined && typeof chartYaml.version === 'string' ? { chartVersion: chartYaml.version } : {}),
    ...(valuesUnread ? { valuesUnread: true as const } : {}),
    ...(folder !== undefined ? { chartFolder: folder } : {}),
    installedBy: task,
  });
}

/**
 * A task file whose places are those of nodes of its tasks: document `n` is the n-th definition
 * read, its paths walked from that node (a definition written as YAML text is placed at the text).
 */
class TaskNodes extends SourceFile {
  readonly roots: { node: Node; pos: (offset: number) => Position }[] = [];
  override locate(doc: number, path: readonly (string | number)[]): Position {
    const root = this.roots[doc];
    if (!root) return { file: this.path, line: 1, column: 1 };
    let n: Node = root.node;
    for (const k of path) {
      const next = isMap(n) ? n.get(k, true) : isSeq(n) && typeof k === 'number' ? n.items[k] : undefined;
      if (next === undefined || next === null || !(isMap(next) || isSeq(next) || isScalar(next))) break;
      n = next;
    }
    return root.pos(n.range?.[0] ?? root.node.range?.[0] ?? 0);
  }
}

/** The namespace a k8s task gives the objects it applies that name none. */
export interface AnsibleNamespaceFill {
  namespace: string;
  /** Where the task writes it, and what the task is. */
  at: Position;
  task: string;
  /** The objects: those the task's definition adds, or those of its src file. */
  objects: Evidence['kubernetes'][number][] | { file: string };
}

/**
 * Reads every k8s task of the Ansible files given: the objects its `definition` writes are added to
 * the evidence as a manifest's are (read.ts classify), placed at the task; a `src` file among the
 * files given is read as a manifest already; a `template` is Jinja the task renders, not read (RF902).
 * Returns the namespaces the tasks give their objects, set by applyAnsibleNamespaces once the
 * namespaces written in files are checked (RF948 of a task's own `namespace` is said there).
 */
export function readAnsibleK8sTasks(ev: Evidence): AnsibleNamespaceFill[] {
  const fills: AnsibleNamespaceFill[] = [];
  for (const { file, tasks } of tasksOf(ev, K8S_MODULE, 'k8s')) {
    const nodes = new TaskNodes(file.path, file.source.text, 'yaml');
    for (const t of tasks) readK8sTask(file, nodes, t, fills);
  }
  return fills;
}

function readK8sTask(c: TaskFile, nodes: TaskNodes, t: ModuleTask, fills: AnsibleNamespaceFill[]): void {
  const { ev, path } = c;
  const written0 = paramsOf(t);
  const node = written0.node;
  const { p, read: varsRead } = knownParams(c, t, written0.p, ['namespace', 'src', 'state']);
  const start = c.pos(t.at);
  const at = (key: string | undefined): Position => (key !== undefined ? c.nodeAt(node(key), start) : start);
  if (str(p.state) === 'absent') return;
  const task = `the ${t.key} task at ${path}:${start.line}${varsRead}`;
  const nsWritten = str(p.namespace);
  const fill = (objects: AnsibleNamespaceFill['objects']): void => {
    if (nsWritten !== undefined && nsWritten !== '') fills.push({ namespace: nsWritten, at: at('namespace'), task, objects });
  };
  // template: a Jinja template the task renders into its definition when the play runs.
  const template = p.template;
  if (template !== undefined && template !== null) {
    const shown = isObject(template) ? str(template.path) : str(template);
    ev.findings.push(finding('RF902', at('template'), `${task}: its template ${safeText(shown ?? 'given', 100)} is a Jinja template Ansible renders into the objects when the play runs; the doctor does not render Jinja, so the objects it makes are not read and nothing of them is checked`, 'give the objects as YAML (definition, or a src file), or give the rendered manifest'));
    (ev.templatesUnread ??= []).push(`the objects of ${task}, rendered from its template (RF902)`);
    return;
  }
  const defKey = written(p, 'definition', 'resource_definition');
  if (defKey !== undefined) {
    const def = p[defKey];
    const defNode = node(defKey);
    if (typeof def === 'string') {
      if (JINJA.test(def)) {
        ev.findings.push(finding('RF903', at(defKey), `${task}: its ${defKey} is Jinja (${NOT_KNOWN}: a lookup of a template or file, a variable), so the objects it applies are not read and not checked`, 'write the objects in the task, or give them as a src file among the files given'));
        (ev.templatesUnread ??= []).push(`the objects of ${task}, filled in by Jinja (RF903)`);
        return;
      }
      // YAML text of one or more documents: each document placed at the text.
      const scalarAt = c.nodeAt(defNode, start);
      const docs = parseAllDocuments(def);
      const list = Array.isArray(docs) ? docs : [];
      if (list.some((d) => d.errors.length > 0)) {
        ev.findings.push(finding('RF901', scalarAt, `${task}: its ${defKey} is not valid YAML, so the objects it applies are not read`, `write ${defKey} as YAML (a mapping, or a list of them)`));
        return;
      }
      const objects: unknown[] = list.map((d): unknown => d.toJS() as unknown).flatMap((o): unknown[] => (Array.isArray(o) ? (o as unknown[]) : [o]));
      fill(addObjects(ev, nodes, objects.map((o) => ({ value: o, node: defNode as Node, pos: () => scalarAt }))));
    } else {
      const items = Array.isArray(def) ? (def as unknown[]).map((v, i) => ({ value: v, node: (isSeq(defNode) ? defNode.items[i] : defNode) as Node })) : [{ value: def, node: defNode as Node }];
      fill(addObjects(ev, nodes, items.map((i) => ({ ...i, pos: c.pos }))));
    }
  }
  const src = str(p.src);
  if (src !== undefined) {
    if (JINJA.test(src)) {
      ev.findings.push(finding('RF903', at('src'), `${task}: its src ${safeText(src, 100)} is named by a Jinja expression (${NOT_KNOWN}), so which file it applies is not known and its objects are not read`, 'name the file literally'));
      return;
    }
    const given = c.find(src);
    if (given === undefined) {
      ev.findings.push(finding('RF903', at('src'), `${task}: its src ${safeText(src, 100)} is not among the files given, so the objects it applies are not read`, `give ${safeText(src, 100)} with ${path}`));
      return;
    }
    // Read as a manifest when it was read: its objects take the task's namespace below.
    fill({ file: normalPath(given) });
  }
}

/** Adds the objects of a definition to the evidence as a manifest's (read.ts classify), each placed at its node; returns those added. */
function addObjects(ev: Evidence, nodes: TaskNodes, items: { value: unknown; node: Node | undefined; pos: (offset: number) => Position }[]): Evidence['kubernetes'][number][] {
  const before = ev.kubernetes.length;
  for (const item of items) {
    if (!isObject(item.value) || typeof item.value.kind !== 'string' || typeof item.value.apiVersion !== 'string' || !item.node) continue;
    const doc = nodes.roots.length;
    const pos = item.pos;
    nodes.roots.push({ node: item.node, pos });
    classify(ev, nodes, structuredClone(item.value), { source: nodes, doc, path: [] }, false);
  }
  return ev.kubernetes.slice(before);
}

/**
 * The namespaces k8s tasks give the objects they apply that name none (the module's `namespace`
 * parameter), once the namespaces written in files are checked: RF948 at the task's `namespace`
 * where Kubernetes refuses it (a Jinja one is not judged), then the objects take it (a refused one
 * too: markRefusedNamespaces then counts them as not deployed). A src file applied by several tasks
 * is applied by each into its own namespace: the first task's namespace is given to the file's
 * objects, each other namespace to copies of them (placed in the file as they are).
 */
export function applyAnsibleNamespaces(ev: Evidence, fills: readonly AnsibleNamespaceFill[]): void {
  const said = new Set<string>();
  const bare = new Map<string, { objects: Evidence['kubernetes']; namespaces: Set<string> }>();
  for (const f of fills) {
    const key = formatPosition(f.at);
    if (!JINJA.test(f.namespace) && !said.has(key)) {
      said.add(key);
      const refused = refusedNameFinding(f.namespace, f.at, f.task, 'the API server refuses every object the task applies into it, so the task fails and none of them is deployed; the doctor reads them as written, so what it proves of them does not run');
      if (refused) ev.findings.push(refused);
    }
    if (Array.isArray(f.objects)) {
      for (const o of f.objects) if (takesNamespace(o)) o.value.metadata.namespace = f.namespace;
      continue;
    }
    // A src file: its objects that name no namespace, as the file has them (once, before any task fills them).
    const file = f.objects.file;
    let unnamed = bare.get(file);
    if (unnamed === undefined) bare.set(file, (unnamed = { objects: ev.kubernetes.filter((o) => normalPath(o.origin.source.path) === file && takesNamespace(o)), namespaces: new Set() }));
    if (unnamed.namespaces.has(f.namespace)) continue;
    // The first task to apply the file fills its objects; each other task applies them again into its own namespace: copies of them there.
    const first = unnamed.namespaces.size === 0;
    unnamed.namespaces.add(f.namespace);
    for (const o of unnamed.objects) {
      const target = first ? o : { ...o, value: structuredClone(o.value) };
      target.value.metadata.namespace = f.namespace;
      if (!first) ev.kubernetes.push(target);
    }
  }
}

/** Whether an object takes a k8s task's namespace: a namespaced one that names none. */
function takesNamespace(o: Evidence['kubernetes'][number]): boolean {
  const meta = o.value.metadata as K8sObject['metadata'] | undefined;
  return meta !== undefined && meta.namespace === undefined && !CLUSTER_SCOPED.has(o.value.kind);
}
