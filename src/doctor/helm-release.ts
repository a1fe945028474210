import { RefusedGroups, addTerraformRefused, namespaceRefused } from './namespace-names.js';
import { yamlData } from './yaml-data.js';
import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { setOwn } from '../emit/artifacts.js';
import type { Expr } from './hcl/ast.js';
import { jsonStringLoc, type ConfigBlock } from './hcl/config.js';
import { Unknown, firstUnknown, instanceEnv, normalPath, toModel, type Env, type Instance, type ModuleEvaluator, type Value } from './hcl/eval.js';
import { SourceFile, formatPosition, type Origin, type Position } from './source.js';
import { tomlPlace } from './toml-locate.js';
import { templatePositions } from './template-map.js';
import { templateFileOf } from './user-data-place.js';
import type { Evidence } from './evidence.js';
import { isObject } from '../model/is-object.js';
import { RUNNER_TOKEN_SHAPES, placeholderValue } from '../verify/credentials.js';
import { SENSITIVE_SHOWN, addSensitivePlace, addSensitiveValue, anyMarkedUnder } from './sensitive.js';
import { REGISTRATION_TOKEN_FLOW, RUNNERS_TOKEN_REF } from './register-command.js';
import { chartYamlOf } from './chart-yaml.js';
import { trimEnd } from '../model/trim.js';

/**
 * The gitlab-runner chart deployed by Terraform's helm provider (`helm_release`): the release's
 * values read as a values file is read. `values` (YAML documents, merged in order: maps deep,
 * everything else replaced, as Helm merges them), then `set`, `set_list` and `set_sensitive`
 * (v2 blocks, or v3 attributes holding lists of objects). References inside the values stay the
 * `${…}` symbols the evaluator renders, so an annotation naming an identity's client id or a
 * role's ARN is that identity, as in a kubernetes provider service account. Every value keeps the
 * place it was written: a key of `yamlencode({…})`, a line of a values file read by `file()`, a
 * `set` block, a key of the config.toml heredoc in `runners.config`.
 */

type Path = (string | number)[];
type Locate = (path: Path) => Position;

/** The folder (normal path, ending in `/`) of a chart given as a path relative to the folder of `file` (or from the root, for an absolute path). */
export function localChartFolder(file: string, chart: string): string {
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  const path = trimEnd(normalPath(chart.startsWith('/') ? chart.slice(1) : `${dir}${chart}`), '/');
  return path === '' || path === '.' ? '' : `${path}/`;
}

/** Whether a release installs the gitlab-runner chart: by name, repository/name, or an OCI or archive URL ending in it. */
export function isRunnerChart(chart: unknown, repository: unknown): boolean {
  if (typeof chart !== 'string' || chart.includes('${')) return false;
  const c = trimEnd(chart, '/');
  if (c === 'gitlab-runner' && (repository === undefined || repository === null || typeof repository === 'string')) return true;
  return /(^|\/)gitlab-runner(-\d+\.\d+\.\d+[^/]*\.tgz)?$/.test(c);
}

/**
 * A `set` name as Helm reads it: dots separate keys, `\.` is a dot inside a key
 * (`serviceAccount.annotations.eks\.amazonaws\.com/role-arn`), `[n]` is a list index.
 */
export function helmSetPath(name: string): Path | undefined {
  const out: Path = [];
  let cur = '';
  let started = false;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '\\' && i + 1 < name.length) {
      cur += name[++i]!;
      started = true;
    } else if (ch === '.') {
      if (started) out.push(cur);
      else if (out.length === 0 || typeof out[out.length - 1] !== 'number') return undefined;
      cur = '';
      started = false;
    } else if (ch === '[') {
      const end = name.indexOf(']', i);
      const n = end > i ? name.slice(i + 1, end) : '';
      if (!/^\d{1,4}$/.test(n)) return undefined;
      if (started) out.push(cur);
      out.push(Number(n));
      cur = '';
      started = false;
      i = end;
    } else {
      cur += ch;
      started = true;
    }
  }
  if (started) out.push(cur);
  else if (out.length === 0 || typeof out[out.length - 1] !== 'number') return undefined;
  return out;
}

/** A `set` value of type auto as Helm types it: true/false, null, whole numbers; anything else a string. */
export function autoTyped(v: string): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'null') return null;
  if (/^-?(0|[1-9]\d{0,14})$/.test(v)) return Number(v);
  return v;
}

/** Chart values merged layer by layer, each key remembering the layer that wrote it last. */
export class MergedValues {
  readonly value: Record<string, unknown> = {};
  readonly #by = new Map<string, Locate>();
  /** The place of the values as a whole (under(): the parent's section, where one layer wrote it whole). */
  #root: Locate | undefined;

  #mark(path: Path, locate: Locate, replace: boolean): void {
    const k = path.join('\u0001');
    if (replace) for (const x of [...this.#by.keys()]) if (x.startsWith(`${k}\u0001`)) this.#by.delete(x);
    if (replace || !this.#by.has(k)) this.#by.set(k, locate);
  }

  /**
   * A values document over what is there: maps merge, anything else replaces. A key keeps the place
   * of the layer that wrote it: a map an earlier layer wrote (itself or a map around it marked) stays
   * that layer's where this one only adds keys inside it, and is marked with this layer only where no
   * layer marked it or a map around it (maps `set` made on the way to a key).
   */
  merge(doc: Record<string, unknown>, locate: Locate): void {
    const walk = (target: Record<string, unknown>, src: Record<string, unknown>, path: Path, covered: boolean): void => {
      for (const [k, v] of Object.entries(src)) {
        const at = [...path, k];
        const there = Object.hasOwn(target, k) ? target[k] : undefined;
        if (isObject(v) && isObject(there)) {
          const marked = covered || this.#by.has(at.join('\u0001'));
          if (!marked) this.#mark(at, locate, false);
          walk(there, v, at, true);
        } else {
          setOwn(target, k, structuredClone(v));
          this.#mark(at, locate, true);
        }
      }
    };
    walk(this.value, doc, [], this.#root !== undefined);
  }

  /** One `set`: the path made as needed (maps, or lists for indexes). */
  set(path: Path, v: unknown, locate: Locate): void {
    let cur: Record<string, unknown> | unknown[] = this.value;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i]!;
      const nextIsIndex = typeof path[i + 1] === 'number';
      if (Array.isArray(cur)) {
        if (typeof k !== 'number') return;
        const there: unknown = cur[k];
        if (!(nextIsIndex ? Array.isArray(there) : isObject(there))) cur[k] = nextIsIndex ? [] : {};
        cur = cur[k] as Record<string, unknown> | unknown[];
      } else {
        if (typeof k === 'number') return;
        const there = Object.hasOwn(cur, k) ? cur[k] : undefined;
        if (!(nextIsIndex ? Array.isArray(there) : isObject(there))) setOwn(cur, k, nextIsIndex ? [] : {});
        cur = cur[k] as Record<string, unknown> | unknown[];
      }
    }
    const last = path[path.length - 1]!;
    if (Array.isArray(cur)) {
      if (typeof last !== 'number') return;
      while (cur.length < last) cur.push(null);
      cur[last] = v;
    } else if (typeof last === 'string') setOwn(cur, last, v);
    else return;
    this.#mark(path, locate, true);
  }

  /**
   * The values under `key` (a parent chart's section for a dependency: Helm gives a subchart the
   * parent's values under its name or alias), each key keeping the place of the layer that wrote it.
   */
  under(key: string): MergedValues {
    const out = new MergedValues();
    const v = Object.hasOwn(this.value, key) ? this.value[key] : undefined;
    if (isObject(v)) for (const [k, x] of Object.entries(v)) setOwn(out.value, k, x);
    const prefix = `${key}\u0001`;
    for (const [k, l] of this.#by) if (k.startsWith(prefix)) out.#by.set(k.slice(prefix.length), (p) => l([key, ...p]));
    // The section itself marked (a layer wrote it whole): a key inside it no layer marked is that layer's.
    const whole = this.#by.get(key) ?? this.#root;
    if (whole) out.#root = (p) => whole([key, ...p]);
    return out;
  }

  locate(path: Path, fallback: Locate): Position {
    for (let n = path.length; n > 0; n--) {
      const l = this.#by.get(path.slice(0, n).join('\u0001'));
      if (l) return l(path);
    }
    return (this.#root ?? fallback)(path);
  }
}

/** The release's values as a file the doctor reads: the Terraform file, positions through the values' layers. */
export class ReleaseSource extends SourceFile {
  readonly #merged: MergedValues;
  readonly #fallback: Locate;
  constructor(of: SourceFile, merged: MergedValues, fallback: Locate) {
    super(of.path, of.text, of.syntax);
    this.#merged = merged;
    this.#fallback = fallback;
  }
  override locate(_doc: number, path: readonly (string | number)[]): Position {
    return this.#merged.locate([...path], this.#fallback);
  }
}

/** The expression inside `.tf.json` strings and single interpolations, with the text its offsets index. */
function unwrap(e: Expr, env: Env, evaluator?: ModuleEvaluator): { e: Expr; env: Env } {
  for (let hops = 0; ; ) {
    // `local.x`: the expression the local is written as, read where it is written (a local sees no
    // `each`/`count`), so `values = [local.values]` over a templatefile() is read as that call.
    if (evaluator && hops < MAX_LOCAL_HOPS && e.k === 'attr' && e.obj.k === 'var' && e.obj.name === 'local' && !env.vars.has('local')) {
      const l = evaluator.mod.locals.get(e.name);
      if (!l) return { e, env };
      hops++;
      e = l.expr;
      env = { loc: l.loc, vars: new Map() };
    } else if (evaluator && hops < MAX_LOCAL_HOPS && localFileContent(evaluator, e, env) !== undefined) {
      // `local_file.x.content`: the content the file is written with (its own argument, which the
      // provider does not change), so `values = [local_file.values.content]` over yamlencode() is read as that call.
      const content = localFileContent(evaluator, e, env)!;
      hops++;
      e = content.expr;
      env = content.env;
    } else if (e.k === 'json') {
      env = { ...env, loc: jsonStringLoc(env.loc, e) };
      e = e.x;
    } else if (e.k === 'paren') e = e.x;
    else if (e.k === 'tpl' && e.parts.length === 1 && typeof e.parts[0] !== 'string') e = e.parts[0]!;
    else return { e, env };
  }
}

/**
 * `local_file.<name>.content` (or `local_sensitive_file`) of this module's one file of that name, with
 * neither count nor for_each, or `local_file.<name>[0].content` / `local_file.<name>["k"].content` of
 * the instance of a file with count or for_each that the index or key names (the instances as the
 * files give them: a count or for_each only apply knows names none): the `content` it is written with,
 * where, and the `count.index` or `each` it is evaluated with. hashicorp/local writes the file with
 * that content and its `content` attribute is the argument as given.
 */
function localFileContent(evaluator: ModuleEvaluator, e: Expr, env: Env): { expr: Expr; env: Env } | undefined {
  if (e.k !== 'attr' || e.name !== 'content') return undefined;
  const indexed = e.obj.k === 'index' ? e.obj : undefined;
  const named = indexed ? indexed.obj : e.obj;
  if (named.k !== 'attr' || named.obj.k !== 'var') return undefined;
  const type = named.obj.name;
  const name = named.name;
  if ((type !== 'local_file' && type !== 'local_sensitive_file') || env.vars.has(type)) return undefined;
  const file = evaluator.mod.blocks.find((b) => b.mode === 'resource' && b.type === type && b.name === name);
  const content = file?.body.attrs.find((a) => a.name === 'content');
  if (!file || !content) return undefined;
  const repeated = file.body.attrs.some((a) => a.name === 'count' || a.name === 'for_each');
  if (!indexed) return repeated ? undefined : { expr: content.expr, env: { loc: content.loc, vars: new Map() } };
  if (!repeated) return undefined;
  const key = evaluator.value(indexed.key, env);
  const instances = evaluator.instances(file);
  if (!Array.isArray(instances) || (typeof key !== 'number' && typeof key !== 'string')) return undefined;
  const inst = instances.find((i) => (i.index !== undefined ? i.index === key : i.each?.key === key));
  return inst ? { expr: content.expr, env: instanceEnv(content.loc, inst) } : undefined;
}

/**
 * The file a values item reads (`file()`, `templatefile()`, or the `template = file(…)` of the
 * `data "template_file"` whose `rendered` it is), and whether Terraform renders it as a template.
 */
function templateOf(evaluator: ModuleEvaluator, e: Expr, env: Env): { path: string | Unknown | undefined; rendered: boolean } | undefined {
  if (e.k === 'call' && (e.name === 'file' || e.name === 'templatefile')) return { path: evaluator.filePath(e.args[0], env), rendered: e.name === 'templatefile' };
  const data = e.k === 'attr' && e.name === 'rendered' ? templateFileOf(evaluator, e.obj) : undefined;
  const written = data?.body.attrs.find((a) => a.name === 'template');
  if (!written || written.expr.k !== 'call' || written.expr.name !== 'file') return undefined;
  return { path: evaluator.filePath(written.expr.args[0], { loc: written.loc, vars: new Map() }), rendered: true };
}

/**
 * A template's text with what apply fills in as symbols (an Unknown's render: known text escaped as
 * `.tf.json` writes it, `$${` for `${`, each unknown part a `${…}`), made parseable: the escapes undone
 * and each symbol replaced by a plain word; `restore` puts the symbols back into the parsed data.
 */
function symbolStandIns(render: string): { text: string; restore: (doc: unknown) => unknown } {
  const symbols: string[] = [];
  let out = '';
  for (let i = 0; i < render.length; ) {
    const c = render[i]!;
    if ((c === '$' || c === '%') && render[i + 1] === c && render[i + 2] === '{') {
      out += `${c}{`;
      i += 3;
    } else if (c === '$' && render[i + 1] === '{') {
      const end = symbolEnd(render, i + 2);
      if (end < 0) {
        out += render.slice(i);
        break;
      }
      out += `rf_symbol_${symbols.length}_`;
      symbols.push(render.slice(i, end + 1));
      i = end + 1;
    } else {
      out += c;
      i++;
    }
  }
  const STAND_IN = /rf_symbol_(\d+)_/g;
  const back = (t: string): string => (t.includes('rf_symbol_') ? t.replace(STAND_IN, (m, n: string) => symbols[Number(n)] ?? m) : t);
  const restore = (d: unknown): unknown => {
    if (typeof d === 'string') return back(d);
    if (Array.isArray(d)) return d.map(restore);
    if (!isObject(d)) return d;
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(d)) setOwn(o, back(k), restore(x));
    return o;
  };
  return { text: out, restore };
}

/** The `}` that closes the interpolation whose text starts at `from` (braces counted, quoted strings skipped); -1 if none. */
function symbolEnd(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Locals followed in a row by unwrap (`local.a` = `local.b` = …); a cycle stops there and is read as the value it is. */
const MAX_LOCAL_HOPS = 16;

const normal = normalPath;

/** The files' texts by normal path (the first of two spellings of one path), kept while no file is added. */
const byNormalPath = new WeakMap<Map<string, string>, { size: number; texts: Map<string, string> }>();

/** The text of a file given, by a path `file()` resolved (spelled as given or not). Indexed once: every templatefile() of 400 folders asks. */
export function evidenceFile(ev: Evidence, path: string): string | undefined {
  const all = ev.texts;
  if (!all) return undefined;
  let index = byNormalPath.get(all);
  if (!index || index.size !== all.size) {
    const texts = new Map<string, string>();
    for (const [p, text] of all) {
      const k = normal(p);
      if (!texts.has(k)) texts.set(k, text);
    }
    byNormalPath.set(all, (index = { size: all.size, texts }));
  }
  return index.texts.get(normal(path));
}

const TOKEN_KEYS = ['runnerToken', 'runnerRegistrationToken'];
const WHOLE_REFERENCE = /^\$\{[^{}]*\}$/;

/** What a file shows of a runner token: one in clear, never kept (a stand-in instead), or none (empty, cloaked by the provider, a reference). */
const TOKEN_SHOWN = '(a token, not shown)';
/**
 * The stand-in of a token in clear whose shape the credential scan knows (a `glrt-` runner
 * authentication token, a `GR1348941` registration token): it keeps the shape, never the value, so
 * the chart values can say what was written in the token's key (`runnerTokenShape`).
 */
const SHAPED_SHOWN = new Map(RUNNER_TOKEN_SHAPES.map((s) => [s.name, `(${s.name}, not shown)`]));
/** The stand-in of a placeholder no issued token can be (`<your-token>`, `changeme`): no token is written. */
const PLACEHOLDER_SHOWN = '(a placeholder, not shown)';
const STAND_INS: ReadonlySet<unknown> = new Set([TOKEN_SHOWN, PLACEHOLDER_SHOWN, ...SHAPED_SHOWN.values()]);
const CLOAKED = '(sensitive value)';
const inClear = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '' && v !== CLOAKED && v !== SENSITIVE_SHOWN && !STAND_INS.has(v) && !WHOLE_REFERENCE.test(v);
/** The stand-in of a token written in clear: of its shape where the scan knows it. */
const standIn = (v: string): string => (placeholderValue(v) ? PLACEHOLDER_SHOWN : (SHAPED_SHOWN.get(RUNNER_TOKEN_SHAPES.find((s) => s.re.test(v))?.name ?? '') ?? TOKEN_SHOWN));

/**
 * What a chart value given to a runner token key holds: `shape` (the credential scan's name of
 * it, `a GitLab runner authentication token` or `… registration token`) where it is a token of a
 * known shape written in clear, raw or as its stand-in; `inClear` where it is any value written in
 * the file (not empty, not a reference, not a placeholder no issued token can be).
 */
export function runnerTokenShape(v: unknown): { inClear: boolean; shape?: string } {
  if (typeof v !== 'string') return { inClear: false };
  // A placeholder with a token's prefix (`glrt-my-auth-token`: credentials.ts placeholderWord) is no token.
  const shaped = [...SHAPED_SHOWN].find(([, shown]) => shown === v)?.[0] ?? (placeholderValue(v) ? undefined : RUNNER_TOKEN_SHAPES.find((s) => s.re.test(v))?.name);
  if (shaped !== undefined) return { inClear: true, shape: shaped };
  return { inClear: v === TOKEN_SHOWN || (v !== PLACEHOLDER_SHOWN && inClear(v) && !placeholderValue(v)) };
}

/**
 * A runner token written in clear is replaced by a stand-in as soon as it is read, in a values
 * document (before it is merged) or a `set` item, so the chart values never hold it: the stand-in
 * keeps its place, so RF940 is said there (chart-values.ts runnerTokenFinding, registrationTokenFinding), and nothing later can
 * show the token. Both readers (the Terraform configuration, `terraform show -json`) use this.
 */
export function withTokenStandIns(doc: Record<string, unknown>): void {
  for (const k of TOKEN_KEYS) if (Object.hasOwn(doc, k) && inClear(doc[k])) doc[k] = standIn(doc[k] as string);
}

/** A `set`-like item (`{ name, value }`) whose name is a runner token key: the same item with the stand-in, where its value is in clear. */
export function setWithTokenStandIn(m: Record<string, unknown>): Record<string, unknown> {
  return typeof m.name === 'string' && TOKEN_KEYS.includes(m.name) && inClear(m.value) ? { ...m, value: standIn(m.value as string), type: 'string' } : m;
}

const SET_KINDS = ['set', 'set_list', 'set_sensitive'] as const;
type SetKind = (typeof SET_KINDS)[number];
type Say = (code: 'RF901' | 'RF903' | 'RF906', where: Position, message: string, fix: string, received?: string) => void;

/** One `set`, `set_list` or `set_sensitive` item (`{ name, value, type }`) over the merged values; `sensitive` is what a set_sensitive stands for. */
function applySet(merged: MergedValues, kind: SetKind, m: Record<string, unknown>, n: number, at: (...rest: Path) => Position, say: Say, sensitive?: unknown): void {
  const name = m.name;
  if (typeof name !== 'string' || name.includes('${')) {
    say('RF906', at(kind, n, 'name'), `a ${kind} name is not statically known, so the value it sets is not read`, 'write the name literally');
    return;
  }
  const path = helmSetPath(name);
  if (!path) {
    say('RF901', at(kind, n, 'name'), `${kind} name ${JSON.stringify(name.slice(0, 80))} is not a Helm value path`, 'write keys separated by dots, `\\.` for a dot inside a key, [n] for a list index');
    return;
  }
  let value: unknown;
  if (kind === 'set_list') value = Array.isArray(m.value) ? m.value.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [];
  else if (kind === 'set_sensitive') value = sensitive;
  else {
    const s = m.value === null || m.value === undefined ? '' : typeof m.value === 'string' ? m.value : JSON.stringify(m.value);
    value = m.type === 'string' || s.includes('${') ? s : autoTyped(s);
  }
  merged.set(path, value, () => at(kind, n, 'value'));
}

/**
 * The folder of the chart a `helm_release` installs from a path (no `repository`; not a URL or an
 * archive), as a normal path ending in `/` (empty: the root given): Helm installs that folder (a path
 * is looked up on disk before any repository; the provider's `chart`: "a local path, a URL, or the
 * name of the chart if repository is specified"). The path is read as the path of a `file()` call
 * (ModuleEvaluator.filePath): `${path.module}/charts/x` is the module's own folder, `${path.root}`
 * the root module's, and a relative path is read from where terraform runs (the root module's
 * folder), whichever module the release is in. Undefined when the path is not statically known.
 */
function localReleaseChart(ev: Evidence, evaluator: ModuleEvaluator, block: ConfigBlock, base: Env, model: Record<string, unknown>): string | undefined {
  if (typeof model.chart !== 'string' || (model.repository !== undefined && model.repository !== null && model.repository !== '')) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(model.chart) || model.chart.endsWith('.tgz')) return undefined;
  const attr = block.body.attrs.find((a) => a.name === 'chart');
  // A release read from `terraform show -json` (no expression): the path as the plan wrote it.
  if (!attr) return model.chart.includes('${') ? undefined : localChartFolder(block.origin.source.path, model.chart);
  const path = evaluator.filePath(attr.expr, { ...base, loc: attr.loc });
  if (typeof path !== 'string') return undefined;
  const folder = trimEnd(path, '/');
  return folder === '' || folder === '.' ? '' : `${folder}/`;
}

/**
 * Reads one `helm_release` instance of the gitlab-runner chart into `ev.helmValues`. Problems are
 * findings at their place; values only apply knows are left out with RF906, never guessed.
 */
export function readHelmRelease(ev: Evidence, evaluator: ModuleEvaluator, block: ConfigBlock, inst: Instance, key: string, body: Record<string, Value>, findings: Finding[]): void {
  const model = toModel(body) as Record<string, unknown>;
  const base: Env = { loc: block.loc, vars: new Map(), ...(inst.each ? { each: inst.each } : {}), ...(inst.index !== undefined ? { index: inst.index } : {}) };
  const local = localReleaseChart(ev, evaluator, block, base, model);
  if (!isRunnerChart(model.chart, model.repository) && !(local !== undefined && (chartYamlOf(ev, local)?.name === 'gitlab-runner' || /(^|\/)gitlab-runner\/$/.test(local)))) return;
  const origin = block.origin;
  const at = (...rest: Path): Position => origin.source.locate(origin.doc, [...origin.path, ...rest]);
  const hcl = origin.source.syntax === 'hcl';
  const merged = new MergedValues();
  const say: Say = (code, where, message, fix, received) => findings.push({ code, severity: CODES[code].severity, path: formatPosition(where), message: `${key}: ${message}`, fix, ...(received !== undefined ? { received: received.slice(0, 120) } : {}) });

  // 1. values: YAML documents in order. One that is not read (said where it is) leaves the release's values known in part.
  let valuesUnread = false;
  const valuesAttr = block.body.attrs.find((a) => a.name === 'values');
  if (valuesAttr) {
    const whole = unwrap(valuesAttr.expr, { ...base, loc: valuesAttr.loc }, evaluator);
    const items: { e: Expr; env: Env; pre?: Value }[] = whole.e.k === 'tuple' ? whole.e.items.map((x) => unwrap(x, whole.env, evaluator)) : [];
    if (whole.e.k !== 'tuple') {
      const v = evaluator.value(whole.e, whole.env);
      if (!Array.isArray(v)) {
        const u = v instanceof Unknown ? v : undefined;
        if (!u || u.reason.code === 'RF906') say('RF906', at('values'), `values is not a static list${u ? `: ${u.reason.message}` : ''}, so the chart values it sets are not read`, 'write values = [yamlencode({ … })] or [file("…")] over blocks and files given');
        valuesUnread = true;
      } else for (const x of v) items.push({ e: whole.e, env: whole.env, pre: x });
    }
    items.forEach(({ e, env, pre }, i) => {
      const itemAt = (): Position => at('values', i);
      let doc: unknown;
      let locate: Locate = () => itemAt();
      if (pre === undefined && e.k === 'call' && (e.name === 'yamlencode' || e.name === 'jsonencode') && e.args.length === 1) {
        // The data itself: references stay symbols (yamlencode of a value only apply knows is unknown as a whole).
        const v = evaluator.value(e.args[0]!, env);
        if (v instanceof Unknown) {
          if (v.reason.code === 'RF906') say('RF906', itemAt(), `values[${i}] is not statically known: ${v.reason.message}; the chart values it sets are not read`, 'write the values with yamlencode({ … }) over blocks, locals and files given');
          valuesUnread = true;
          return;
        }
        doc = toModel(v);
        if (hcl) locate = (p) => hclValueAt(origin.source, at, ['values', i], p);
      } else {
        const v = pre !== undefined ? pre : evaluator.value(e, env);
        const u = v instanceof Unknown ? v : firstUnknown(v);
        let text: string | undefined = typeof v === 'string' ? v : undefined;
        let symbolic: ReturnType<typeof symbolStandIns> | undefined;
        // The file a file() or templatefile() reads is part of this release, read or not: not a second set
        // of chart values. So is the template of a `data "template_file"` whose `rendered` is the item.
        const template = pre === undefined ? templateOf(evaluator, e, env) : undefined;
        const path = template?.path;
        const fileText = typeof path === 'string' ? evidenceFile(ev, path) : undefined;
        if (typeof path === 'string' && fileText !== undefined) {
          const want = normal(path);
          for (let j = ev.helmValues.length - 1; j >= 0; j--) if (normal(ev.helmValues[j]!.origin.source.path) === want && ev.helmValues[j]!.release === undefined) ev.helmValues.splice(j, 1);
        }
        if (u) {
          // A template given whose only unknowns are references (what apply computes, RF906; a module or
          // data source not given, RF903): its text with them as symbols, which the chain then names as
          // it names them in yamlencode() values. A directive over one leaves the text's shape unknown.
          const directive = u.reason.directive === true;
          if (v instanceof Unknown && (u.reason.code === 'RF906' || u.reason.code === 'RF903') && !directive && template?.rendered === true && fileText !== undefined) {
            // Each symbol stands in the text as a plain word while the YAML is parsed: a symbol with
            // quotes of its own (`${data.x.plaintext["gitlab"]}`) inside a quoted YAML string is no YAML error.
            symbolic = symbolStandIns(v.render);
            text = symbolic.text;
          } else {
            if (u.reason.code === 'RF906') say('RF906', directive ? u.reason.at : itemAt(), `values[${i}] is not statically known: ${u.reason.message}; the chart values it sets are not read`, 'write the values with yamlencode({ … }) over blocks, locals and files given');
            valuesUnread = true;
            return;
          }
        }
        if (text === undefined) {
          say('RF901', itemAt(), `values[${i}] is not a YAML document (a string); the helm provider refuses it too`, 'write values = [yamlencode({ … })]');
          valuesUnread = true;
          return;
        }
        if (typeof path === 'string' && fileText !== undefined) {
          const file = new SourceFile(path, fileText, 'yaml');
          locate = (p) => file.locate(0, p);
          // A template is located in the text it rendered (what was parsed), mapped back to the template.
          const back = template?.rendered === true ? templatePositions(path, fileText, text) : undefined;
          if (back) {
            const out = new SourceFile(path, text, 'yaml');
            locate = (p) => back(out.locate(0, p));
          }
        }
        if (pre === undefined && (e.k === 'tpl' || e.k === 'lit')) {
          // The document written in place: a heredoc in HCL, a string in `.tf.json`. Its findings
          // point at their own line in it, not at where it opens (located on demand only).
          const rendered = text;
          let inPlace: Locate | undefined;
          locate = (p) => {
            if (!inPlace) {
              const places = hcl && env.loc.text === origin.source.text ? origin.source.heredocPlaces(e.at, rendered) : undefined;
              const yaml = new SourceFile(origin.source.path, rendered, 'yaml');
              inPlace = places ? (q) => places(yaml.locate(0, q)) : (!hcl ? yamlInJsonString(origin.source, itemAt(), rendered) : undefined) ?? (() => itemAt());
            }
            return inPlace(p);
          };
        }
        try {
          doc = yamlData(text, '1.2', 100);
          if (symbolic) doc = symbolic.restore(doc);
        } catch (err) {
          if (symbolic) {
            // Not YAML only once apply fills it in (a symbol where a key or a block goes): unread, as before.
            if (u?.reason.code === 'RF906') say('RF906', itemAt(), `values[${i}] is not statically known: ${u.reason.message}; the chart values it sets are not read`, 'write the values with yamlencode({ … }) over blocks, locals and files given');
            valuesUnread = true;
            return;
          }
          say('RF901', itemAt(), `values[${i}] is not valid YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]!}`, 'fix the YAML of the values');
          valuesUnread = true;
          return;
        }
      }
      if (doc === null || doc === undefined) return;
      if (!isObject(doc)) {
        say('RF901', itemAt(), `values[${i}] is not a map of chart values`, 'write the chart values as a map (yamlencode({ … }))');
        valuesUnread = true;
        return;
      }
      withTokenStandIns(doc);
      merged.merge(doc, locate);
    });
  }

  // 2. set, set_list, set_sensitive: v2 nested blocks or v3 attributes (lists of objects), in that order.
  // A token key set_sensitive gives a reference (kept out of the values): the reference, and where it is written.
  const sensitiveRefs = new Map<string, { ref: string; at: Position }>();
  for (const kind of SET_KINDS) {
    const raw = body[kind];
    const list = Array.isArray(raw) ? raw : isObject(raw) ? [raw] : [];
    list.forEach((item, n) => {
      const m = toModel(item);
      if (!isObject(m)) return;
      let value: unknown;
      const given = setWithTokenStandIn(m);
      if (kind === 'set_sensitive') {
        if (typeof m.name === 'string' && TOKEN_KEYS.includes(m.name) && typeof m.value === 'string' && WHOLE_REFERENCE.test(m.value)) sensitiveRefs.set(m.name, { ref: m.value, at: at(kind, n, 'value') });
        // Never kept: a token given when Terraform runs is not written in a file; one written here is (RF940, value not shown).
        if (typeof m.value !== 'string' || WHOLE_REFERENCE.test(m.value) || m.value === '') return;
        value = given !== m ? given.value : SENSITIVE_SHOWN;
      }
      applySet(merged, kind, given, n, at, say, value);
    });
  }

  // A token passed in from a variable or secret store is not written in these files. A GitLab
  // group's or project's registration token (runners_token) is said where it is given (RF912).
  for (const k of TOKEN_KEYS) {
    const v = merged.value[k];
    const whole = typeof v === 'string' && WHOLE_REFERENCE.test(v);
    const given = sensitiveRefs.get(k) ?? (whole ? { ref: v, at: merged.locate([k], () => at()) } : undefined);
    const of = given ? RUNNERS_TOKEN_REF.exec(given.ref)?.[1] : undefined;
    if (given && of !== undefined) findings.push(registrationTokenGiven(key, k, of, given.at));
    else if (given && k === 'runnerRegistrationToken') {
      const variable = VARIABLE_REF.exec(given.ref)?.[1];
      if (variable !== undefined) findings.push(registrationTokenFromVariable(key, variable, given.at, evaluator.mod.variables.get(variable)?.sensitive === true || sensitiveRefs.has(k) || wrappedInSensitive(block.body, variable), registrationSettings(merged.value)));
    }
    if (whole) delete merged.value[k];
  }
  // The helm provider installs a release without `namespace` into "default"; one it is given but
  // that is not statically known is never taken to be "default" (RF906; a reference to a block not
  // given is RF903, said by the evaluator): the manager's namespace is then not known.
  const written = body.namespace;
  const literal = written === undefined || written === null || written === '' ? 'default' : typeof written === 'string' && !written.includes('${') ? written : undefined;
  // A literal namespace Kubernetes refuses: RF948, and the release's namespace (so its manager's) is not carried on.
  // Said with the kubernetes resources' (kubernetes-terraform.ts): one finding per .tf file and value, or per place the value is read from (ValuePlace).
  const refused = literal !== undefined && literal !== 'default' && namespaceRefused(literal) !== undefined;
  if (refused) {
    const l = evaluator.argumentPlace(block, inst, ['namespace'], key);
    addTerraformRefused((ev.terraform.refused ??= new RefusedGroups()), { value: literal, kind: 'namespace', address: key, at: () => at('namespace'), file: origin.source.path, consequence: 'the helm provider fails to install the release (the API server refuses the namespace), so no manager runs from it; its chain is not read with that namespace', consequenceOfAll: 'the kubernetes and helm providers fail to create each of them (the API server refuses the namespace), so `terraform apply` stops at the first and what depends on them is not deployed; no manager runs from a release among them, and its chain is not read with that namespace', ...(l ? { from: l } : {}) });
  }
  const known = refused ? undefined : literal;
  if (known === undefined && !refused) {
    const u = written instanceof Unknown ? written : firstUnknown(written ?? null);
    if (!u || u.reason.code === 'RF906') say('RF906', at('namespace'), `namespace ${typeof model.namespace === 'string' ? model.namespace : JSON.stringify(model.namespace)} is not statically known${u ? ` (${u.reason.message})` : ''}, so the namespace the manager runs in is not known and its identity chain is not proven`, 'write the namespace literally, or reference the literal name of a namespace resource of these files (kubernetes_namespace_v1.<name>.metadata[0].name)', typeof model.namespace === 'string' ? model.namespace : undefined);
  }
  const release = typeof model.name === 'string' && model.name !== '' && !model.name.includes('${') ? model.name : undefined;
  const source = new ReleaseSource(origin.source, merged, () => at());
  // The same release read from `terraform show -json` (added first): the configuration's reading stands.
  for (let j = ev.helmValues.length - 1; j >= 0; j--) if (ev.helmValues[j]!.address === key) ev.helmValues.splice(j, 1);
  ev.helmValues.push({ value: merged.value, origin: { source, doc: 0, path: [] }, ...(local !== undefined ? { chartFolder: local, installedBy: key } : {}), ...(known !== undefined ? { namespace: known } : { namespaceUnknown: true as const }), ...(release !== undefined ? { release } : {}), ...(valuesUnread ? { valuesUnread: true as const } : {}), ...(typeof model.version === 'string' && model.version !== '' && !model.version.includes('${') ? { chartVersion: model.version } : {}) });
}

/**
 * RF912 of a release whose token key (`runnerToken`, `runnerRegistrationToken`) Terraform gives a
 * GitLab group's or project's `runners_token` (RUNNERS_TOKEN_REF), a registration token. The chart
 * (0.86.0 templates/secrets.yaml, configmap.yaml) writes runnerRegistrationToken into its Secret as
 * `runner-registration-token` and runnerToken as `runner-token`; its entrypoint exports them as
 * REGISTRATION_TOKEN and CI_SERVER_TOKEN, the environment of `gitlab-runner register`'s
 * --registration-token and --token. Given as --token, a token without the glrt- prefix is taken for
 * an existing runner's token: register only verifies it (POST /runners/verify, "Token specified
 * trying to verify runner...", gitlab-runner commands/register.go askRunner) and panics when GitLab
 * answers 403, as it does for a token that is no runner's (network/gitlab.go VerifyRunner). The
 * chart's register-the-runner script tries 30 times, 5 s apart, then the entrypoint exits 1.
 */
/** `${var.name}` (or `${sensitive(var.name)}`, as a reference inside yamlencode stays written): a whole value that is one root variable's. */
const VARIABLE_REF = /^\$\{(?:sensitive\()?var\.([A-Za-z_][A-Za-z0-9_-]*)\)?\}$/;

/** Whether `var.<name>` is written inside a `sensitive(…)` call anywhere in the release's block (its values or a set). */
function wrappedInSensitive(body: ConfigBlock['body'], name: string): boolean {
  const names = (e: unknown): boolean => isObject(e) && e.k === 'attr' && isObject(e.obj) && e.obj.k === 'var' && e.obj.name === 'var' && e.name === name;
  const walk = (e: unknown, inside: boolean): boolean => {
    if (Array.isArray(e)) return e.some((x) => walk(x, inside));
    if (!isObject(e)) return false;
    if (inside && names(e)) return true;
    const wraps = inside || (e.k === 'call' && e.name === 'sensitive');
    return Object.entries(e).some(([k, v]) => k !== 'k' && typeof v === 'object' && v !== null && walk(v, wraps));
  };
  const inBody = (b: ConfigBlock['body']): boolean => b.attrs.some((a) => walk(a.expr, false)) || b.blocks.some((x) => inBody(x.body));
  return inBody(body);
}

/**
 * runnerRegistrationToken given a root variable's value (`value = var.x` in a set, `var.x` in
 * yamlencode values): the registration-token flow, RF912 as for `register --registration-token
 * ${var.x}` in user data. Where nothing marks the value sensitive (the variable is not declared
 * sensitive = true, the value is not written in sensitive() nor given by set_sensitive), Terraform
 * shows it in the plan of the helm_release (its set and values) and prints it with plan and apply:
 * said in the same finding.
 */
/** The chart values that set a runner's GitLab settings at registration (reference/gitlab-runner.md): they apply with a registration token only. */
const REGISTRATION_SETTINGS = ['tags', 'locked', 'runUntagged', 'protected', 'maximumTimeout'] as const;

/** Which of those the release's values set (`runners.tags`, …), as written. */
function registrationSettings(values: Record<string, unknown>): string[] {
  const runners = values.runners;
  return isObject(runners) ? REGISTRATION_SETTINGS.filter((k) => runners[k] !== undefined && runners[k] !== null).map((k) => `runners.${k}`) : [];
}

function registrationTokenFromVariable(release: string, variable: string, where: Position, sensitive: boolean, settings: readonly string[]): Finding {
  const shown = sensitive ? '' : `. Nothing marks it sensitive (var.${variable} is not declared sensitive = true, and the value is not given by set_sensitive or through sensitive()), so terraform plan and apply print the token in clear in their output (a CI job's log) with the release's values`;
  // Said only where the values set such a setting: a glrt- token (which the variable may hold) takes the settings from GitLab and ignores them.
  const ignored = settings.length === 0 ? '' : `; a glrt- token given so uses the legacy-compatible flow, which ignores the runner settings the values set (${settings.join(', ')})`;
  return {
    code: 'RF912',
    severity: CODES.RF912.severity,
    path: formatPosition(where),
    message: `${release}: runnerRegistrationToken is given var.${variable}: the runner registers itself by the registration-token flow, ${REGISTRATION_TOKEN_FLOW}${ignored}${shown}`,
    fix: `create the runner with gitlab_user_runner (or POST /user/runners), give runnerToken its token through set_sensitive and remove runnerRegistrationToken${sensitive ? '' : `; until then declare var.${variable} sensitive = true`}`,
    received: `var.${variable}`,
  };
}

function registrationTokenGiven(release: string, key: string, of: string, where: Position): Finding {
  const kind = of.includes('gitlab_group.') ? 'group' : 'project';
  const reads = `whoever reads the Terraform state can register runners that take the jobs of that ${kind}`;
  const message = key === 'runnerToken'
    ? `runnerToken is given the ${kind}'s registration token (${of}.runners_token), where the chart expects a runner authentication token (glrt-): the chart hands runnerToken to gitlab-runner register as CI_SERVER_TOKEN (its --token), which takes a token without the glrt- prefix for an existing runner's token and only verifies it (POST /runners/verify); GitLab refuses a registration token there (403), so register fails on every attempt, the manager exits and restarts, and no runner is registered. The registration-token flow is also ${REGISTRATION_TOKEN_FLOW}, and ${reads}`
    : `runnerRegistrationToken is given the ${kind}'s registration token (${of}.runners_token): the runner registers itself by the registration-token flow, ${REGISTRATION_TOKEN_FLOW}, and ${reads}`;
  const fix = key === 'runnerToken'
    ? `create the runner with gitlab_user_runner and give runnerToken its token (gitlab_user_runner.<name>.token), or put that token into a Secret under key runner-token and name it in runners.secret`
    : `create the runner with gitlab_user_runner, give runnerToken its token (gitlab_user_runner.<name>.token) and remove runnerRegistrationToken`;
  return { code: 'RF912', severity: CODES.RF912.severity, path: formatPosition(where), message: `${release}: ${message}`, fix, received: '(a token, not shown)' };
}

/**
 * A value inside `yamlencode({…})` of an HCL file: the key's position the parser recorded; inside
 * a heredoc under `runners.config`, the key of the config.toml it holds.
 */
function hclValueAt(source: SourceFile, at: (...rest: Path) => Position, prefix: Path, path: Path): Position {
  const c = path.indexOf('config');
  if (path[0] === 'runners' && c === 1 && path.length > 2) {
    const start = at(...prefix, 'runners', 'config');
    const lines = source.text.split('\n');
    const head = lines[start.line - 1]?.slice(start.column - 1) ?? '';
    const m = /^<<-?\s*([A-Za-z_][A-Za-z0-9_-]*)\s*$/.exec(head);
    if (m) {
      let end = start.line;
      while (end < lines.length && lines[end]!.trim() !== m[1]) end++;
      const place = tomlPlace(lines.slice(start.line, end), path.slice(2));
      if (place) return { file: source.path, line: start.line + place.line + 1, column: place.column };
    }
    return start;
  }
  return at(...prefix, ...path);
}

/**
 * A YAML document written in a JSON string (a `values` item of `terraform show -json`): its places
 * in the JSON file, on the string's line. Undefined when the string is not where `at` says.
 */
export function yamlInJsonString(file: SourceFile, at: Position, yaml: string): Locate | undefined {
  const raw = file.text;
  let start = 0;
  for (let line = 1; line < at.line; line++) {
    start = raw.indexOf('\n', start) + 1;
    if (start === 0) return undefined;
  }
  const open = start + at.column - 1;
  if (raw[open] !== '"') return undefined;
  // Offset in the decoded text → offset in the JSON text.
  const rawAt: number[] = [];
  let decoded = '';
  const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
  for (let i = open + 1; i < raw.length && raw[i] !== '"'; i++) {
    rawAt.push(i);
    if (raw[i] !== '\\') decoded += raw[i];
    else if (raw[i + 1] === 'u') {
      decoded += String.fromCharCode(parseInt(raw.slice(i + 2, i + 6), 16));
      i += 5;
    } else decoded += ESC[raw[++i]!] ?? '';
  }
  if (decoded !== yaml) return undefined;
  const doc = new SourceFile(file.path, yaml, 'yaml');
  const lineStarts = [0];
  for (let i = 0; i < yaml.length; i++) if (yaml[i] === '\n') lineStarts.push(i + 1);
  return (p) => {
    const q = doc.locate(0, p);
    const off = (lineStarts[q.line - 1] ?? 0) + q.column - 1;
    return { file: file.path, line: at.line, column: at.column + ((rawAt[Math.min(off, rawAt.length - 1)] ?? open) - open) };
  };
}

/** Whether `after_unknown` of a plan marks the value at `path` (or a value holding it) as known only after apply. */
function unknownAt(afterUnknown: unknown, ...path: (string | number)[]): boolean {
  let cur = afterUnknown;
  for (const k of path) {
    if (cur === true) return true;
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (isObject(cur) && typeof k === 'string' && Object.hasOwn(cur, k)) cur = cur[k];
    else return false;
  }
  return cur === true;
}


/**
 * One `helm_release` of the gitlab-runner chart in `terraform show -json` (plan or state): its
 * values as `readHelmRelease` reads the configuration's, from what the document shows. `values`
 * items are YAML Terraform already rendered, located in the JSON file; `set`/`set_list` items are
 * literal. What only apply knows (`after_unknown` of the resource's change: planned values leave
 * it out, or null in a list) is RF903 at the resource, never guessed. A state whose release shows
 * no `values` is read from the provider's `metadata` (`values`: the merged chart values as JSON,
 * `set_sensitive` ones cloaked). What `sensitive` marks (`sensitive_values`, a plan's
 * `after_sensitive`) is read but never shown (sensitive.ts). The document shows a runner token in
 * clear whatever it was given from: such a token is a stand-in, so the chart values give RF940
 * (a GitLab token written in a file: the user's plan or state, not runner-fleet's output) at its place, and the token itself is kept nowhere. A
 * `set_sensitive` value of another key stands as a value that is not shown.
 */
export function readShowHelmRelease(ev: Evidence, values: Record<string, unknown>, origin: Origin, key: string, afterUnknown: unknown, findings: Finding[], sensitive: readonly unknown[] = []): void {
  if (!isRunnerChart(values.chart, values.repository)) return;
  const at = (...rest: Path): Position => origin.source.locate(origin.doc, [...origin.path, ...rest]);
  const resourceAt = (): Position => origin.source.locate(origin.doc, origin.path.slice(0, -1));
  const say: Say = (code, where, message, fix, received) => findings.push({ code, severity: CODES[code].severity, path: formatPosition(where), message: `${key}: ${message}`, fix, ...(received !== undefined ? { received: received.slice(0, 120) } : {}) });
  const isSensitive = (...path: Path): boolean => sensitive.some((m) => anyMarkedUnder(m, ...path));
  // A sensitive value: its strings and its place are remembered, so nothing the doctor says shows them.
  const hide = (value: unknown, ...path: Path): void => {
    const marks = (ev.sensitive ??= { texts: new Set(), places: [] });
    addSensitiveValue(marks, value, TOKEN_KEYS);
    addSensitivePlace(marks, origin.source.text, at(...path));
  };
  // What only apply knows, said once at the release (one finding per place).
  const later: string[] = [];
  const notShown = (what: string): void => void later.push(what);
  const merged = new MergedValues();

  /** One YAML (or JSON) document in a string at `path`, merged over the values. */
  const readDocument = (item: string, label: string, path: Path): void => {
    let doc: unknown;
    try {
      doc = yamlData(item, '1.2', 100);
    } catch (err) {
      say('RF901', at(...path), `${label} is not valid YAML: ${isSensitive(...path) ? SENSITIVE_SHOWN : (err instanceof Error ? err.message : String(err)).split('\n')[0]!}`, 'fix the YAML of the values');
      return;
    }
    if (doc === null || doc === undefined) return;
    if (!isObject(doc)) {
      say('RF901', at(...path), `${label} is not a map of chart values`, 'write the chart values as a map (yamlencode({ … }))');
      return;
    }
    withTokenStandIns(doc);
    if (isSensitive(...path)) hide(doc, ...path);
    // Located on demand only: finding the string's place parses the whole document again.
    let locate: Locate | undefined;
    merged.merge(doc, (p) => {
      if (!locate) {
        const itemAt = at(...path);
        locate = yamlInJsonString(origin.source, itemAt, item) ?? (() => itemAt);
      }
      return locate(p);
    });
  };

  // 1. values: YAML documents in order.
  const list = values.values;
  if (list === undefined || list === null) {
    if (unknownAt(afterUnknown, 'values')) notShown('values');
  } else if (!Array.isArray(list)) say('RF901', at('values'), 'values is not a list of YAML documents', 'give the document as `terraform show -json` prints it');
  else {
    list.forEach((item, i) => {
      if (item === null || item === undefined) {
        if (unknownAt(afterUnknown, 'values', i)) notShown(`values[${i}]`);
        return;
      }
      if (typeof item !== 'string') {
        say('RF901', at('values', i), `values[${i}] is not a YAML document (a string); the helm provider refuses it too`, 'give the document as `terraform show -json` prints it');
        return;
      }
      readDocument(item, `values[${i}]`, ['values', i]);
    });
  }
  // A state whose release shows no values (imported, or values the state does not keep): the
  // provider's metadata holds the chart values it installed, as JSON (v2: a list of one object; v3: an object).
  const state = origin.path[0] === 'values';
  if (state && (!Array.isArray(list) || list.every((x) => x === null || x === undefined))) {
    const md = values.metadata;
    const meta: unknown = Array.isArray(md) ? (md as unknown[])[0] : md;
    const mdPath: Path = Array.isArray(md) ? ['metadata', 0] : ['metadata'];
    if (isObject(meta) && typeof meta.values === 'string' && meta.values.trim() !== '') readDocument(meta.values, 'metadata values', [...mdPath, 'values']);
  }

  // 2. set, set_list, set_sensitive: lists of objects.
  for (const kind of SET_KINDS) {
    const raw = values[kind];
    if ((raw === undefined || raw === null) && unknownAt(afterUnknown, kind)) notShown(kind);
    if (!Array.isArray(raw)) continue;
    raw.forEach((m, n) => {
      if (!isObject(m)) return;
      if (unknownAt(afterUnknown, kind, n, 'name') || unknownAt(afterUnknown, kind, n, 'value') || typeof m.name !== 'string') {
        if (unknownAt(afterUnknown, kind, n) || unknownAt(afterUnknown, kind, n, 'name') || unknownAt(afterUnknown, kind, n, 'value')) notShown(`${kind}[${n}]`);
        return;
      }
      if (TOKEN_KEYS.includes(m.name)) {
        // A token the document shows in clear, whichever block set it: a stand-in at its place.
        if (inClear(m.value)) applySet(merged, kind, setWithTokenStandIn(m), n, at, say, standIn(m.value as string));
        return;
      }
      if (kind !== 'set_sensitive' && isSensitive(kind, n)) hide(m.value, kind, n, 'value');
      applySet(merged, kind, m, n, at, say, SENSITIVE_SHOWN);
    });
  }

  // A token the values show in clear is a stand-in (its place kept); any other is no token in a file.
  for (const k of TOKEN_KEYS) {
    if (inClear(merged.value[k])) merged.value[k] = standIn(merged.value[k] as string);
    else if (!STAND_INS.has(merged.value[k])) delete merged.value[k];
  }
  // The provider's default namespace ("default") is in the planned values; one only apply knows is not guessed.
  const ns = values.namespace;
  const known = typeof ns === 'string' && ns !== '' ? ns : ns === undefined || ns === null ? (unknownAt(afterUnknown, 'namespace') ? undefined : 'default') : undefined;
  if (known === undefined) notShown('namespace');
  for (const k of ['namespace', 'name']) if (typeof values[k] === 'string' && isSensitive(k)) hide(values[k], k);
  if (later.length > 0) {
    const values = later.filter((w) => w !== 'namespace');
    const so = [...(values.length > 0 ? ['the chart values set there are not read'] : []), ...(known === undefined ? ['the namespace the manager runs in is not known, so its identity chain is not proven'] : [])];
    say('RF903', resourceAt(), `${later.join(', ')} ${later.length > 1 ? 'are' : 'is'} known only after apply, so the plan does not show ${later.length > 1 ? 'them' : 'it'}: ${so.join('; ')}`, 'give `terraform show -json` of the state after apply, or the Helm values as a file');
  }
  const release = typeof values.name === 'string' && values.name !== '' ? values.name : undefined;
  const source = new ReleaseSource(origin.source, merged, () => resourceAt());
  ev.helmValues.push({ value: merged.value, origin: { source, doc: 0, path: [] }, address: key, ...(known !== undefined ? { namespace: known } : { namespaceUnknown: true as const }), ...(release !== undefined ? { release } : {}) });
}
