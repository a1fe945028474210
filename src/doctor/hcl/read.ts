import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import { formatPosition, originAt, type Origin, type Position, type SourceFile } from '../source.js';
import type { Evidence } from '../evidence.js';
import { HclSyntaxError, type Body, type Expr } from './ast.js';
import { parseHcl, parseJsonTemplate } from './parse.js';
import { typeConstraint, type TypeConstraint } from './types.js';
import { addHclBody, addVarFileValue, varFileRank, emptyModule, hclLoc, jsonBody, jsonExpr, type ConfigBlock, type ConfigModule, type Loc, type VarFiles } from './config.js';
import { EvalError, ModuleEvaluator, Unknown, firstUnknown, instanceEnv, nearest, normalPath, providerAccount, rootMark, rootScope, toModel, type EvalHooks, type Value } from './eval.js';
import { userDataSourceOf } from '../user-data-place.js';
import { AZURE_VM_TYPES } from '../azure-vm.js';
import { connectedInstance, provisionerSteps } from '../provisioners.js';
import { evidenceFile } from '../helm-release.js';
import { ownChild, setOwn } from '../../emit/artifacts.js';
import { readHelmRelease } from '../helm-release.js';
import { addShowModule, afterSensitiveOf, afterUnknownOf, showAddresses, showAwsProviders } from '../show-json.js';
import { registryModule } from './registry-modules.js';
import { installedDirs, manifestRoot, parseManifest, sameSource, shownSource, type InstalledModule } from './installed-modules.js';
import { hclSecretFindings, mayHoldSecrets, textSecretFindings } from '../secrets.js';
import { isObject } from '../../model/is-object.js';
import { credentialIn } from '../../verify/credentials.js';
import { addSensitiveValue } from '../sensitive.js';
import { isTerraformConfig } from '../terraform-files.js';
import { saidInRoot } from '../across-roots.js';

/**
 * Terraform configuration into the evidence: `.tf` (HCL) and `.tf.json` files are read into one
 * configuration model per folder (Terraform's module), then evaluated by one evaluator into the
 * resource bodies the proofs read.
 */

/** The folder of a file's path; `.` for a bare file name (`main.tf`, as the CLI names a module's file in the working folder). */
export const terraformFolderOf = (path: string): string => (path.includes('/') || path.includes('\\') ? path.replace(/[\\/][^\\/]*$/, '') || '.' : '.');

function moduleOf(ev: Evidence, path: string): ConfigModule {
  const dir = terraformFolderOf(path);
  let m = ev.terraform.configs.get(dir);
  if (!m) {
    m = emptyModule(dir);
    if (ev.terraform.wholeFolders?.has(dir)) m.wholeFolder = true;
    ev.terraform.configs.set(dir, m);
  }
  return m;
}

/**
 * A variable definitions file (`.tfvars`): its credentials are RF940 at the value (a syntax error is
 * RF901), and its values are the root's variables' values as Terraform takes them (VarFiles:
 * `terraform.tfvars` and `*.auto.tfvars` on every run, any other only with `-var-file`).
 */
export function readTfvarsInto(ev: Evidence, source: SourceFile): void {
  const body = parsedHcl(ev, source, 'fix the syntax at that position (terraform fmt shows it too)', (at) => unreadableVarFile(ev, source.path, at));
  if (body === undefined) return;
  const files = varFilesOf(ev, source.path);
  const loc = hclLoc(source.path, source.text);
  for (const a of body.attrs) addVarFileValue(files, a.name, { file: source.path, expr: a.expr, loc });
  if (!mayHoldSecrets(source.text)) return;
  const fix = `remove it from ${source.path} and revoke it; give the variable its value at plan time from a secret store (TF_VAR_<name> from the CI's masked variables, declared sensitive = true), or for cloud access give Terraform a keyless identity (the CI job's OIDC role, an instance profile)`;
  ev.findings.push(...hclSecretFindings(source, body).map((f) => (f.code === 'RF940' ? { ...f, fix } : f)));
  // A credential the file holds is a value the evaluation now carries: whatever quotes it never shows it.
  for (const a of body.attrs) for (const text of literalStrings(a.expr)) if (credentialIn(text, a.name) !== undefined) addSensitiveValue((ev.sensitive ??= { texts: new Set(), places: [] }), text);
}

/**
 * A template of a variable definitions file (`terraform.tfvars.example`, `.tfvars.json.sample`…):
 * Terraform never loads it, so it gives no variable a value and a syntax error in it breaks no run
 * (no RF901). Its credentials are RF940 at the value: read as HCL where it parses, else line by line
 * as text (a JSON template, a half-edited one).
 */
export function readTfvarsTemplateInto(ev: Evidence, source: SourceFile): void {
  if (!mayHoldSecrets(source.text)) return;
  let body: Body | undefined;
  try {
    body = parseHcl(source.text);
  } catch (e) {
    if (!(e instanceof HclSyntaxError)) throw e;
  }
  const fix = `remove it from ${source.path} and revoke it: the file is a template others copy, so leave the value for them to fill in (a placeholder such as <runner token>), and give the real one at plan time from a secret store (TF_VAR_<name> from the CI's masked variables)`;
  const found = body ? hclSecretFindings(source, body) : textSecretFindings(source.path, source.text);
  ev.findings.push(...found.map((f) => (f.code === 'RF940' ? { ...f, fix } : f)));
}

/** A variable definitions file that is not valid HCL or JSON (RF901 said, at `at`): if Terraform loads it on every run, what it sets is not known. */
export function unreadableVarFile(ev: Evidence, path: string, at: Position): void {
  const rank = varFileRank(path);
  if (rank !== undefined) (varFilesOf(ev, path).unreadable ??= []).push({ file: path, rank, at });
}

/** A `.tfvars.json` file's values (its credentials are the JSON reader's RF940), each located by `locate` (its path in the document). */
export function readTfvarsJsonInto(ev: Evidence, path: string, doc: unknown, locate?: (path: readonly (string | number)[]) => Position): void {
  if (!isObject(doc)) return;
  const files = varFilesOf(ev, path);
  for (const [name, json] of Object.entries(doc)) {
    addVarFileValue(files, name, { file: path, json, ...(locate !== undefined ? { at: () => locate([name]) } : {}) });
    for (const text of jsonStrings(json)) if (credentialIn(text, name) !== undefined) addSensitiveValue((ev.sensitive ??= { texts: new Set(), places: [] }), text);
  }
}

/** The VarFiles of a file's folder (kept apart from the folder's module: a folder of variable files only is no root). */
function varFilesOf(ev: Evidence, path: string): VarFiles {
  const dir = terraformFolderOf(path);
  const all = (ev.terraform.varFiles ??= new Map<string, VarFiles>());
  let files = all.get(dir);
  if (!files) all.set(dir, (files = { loaded: new Map(), optional: new Map() }));
  return files;
}

/** The literal strings of an expression (a variable file's value). */
function literalStrings(x: Expr): string[] {
  if (x.k === 'lit') return typeof x.v === 'string' ? [x.v] : [];
  if (x.k === 'tpl') return x.parts.filter((p): p is string => typeof p === 'string');
  if (x.k === 'tuple') return x.items.flatMap(literalStrings);
  if (x.k === 'object') return x.items.flatMap((i) => literalStrings(i.value));
  return x.k === 'paren' ? literalStrings(x.x) : [];
}

function jsonStrings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(jsonStrings);
  return isObject(v) ? Object.values(v).flatMap(jsonStrings) : [];
}

/** A file parsed as HCL (`.tf`, `.tfvars`); a syntax error is RF901 at the parser's position, and undefined. */
function parsedHcl(ev: Evidence, source: SourceFile, fix = 'fix the syntax at that position (terraform fmt and terraform validate show it too)', failed?: (at: Position) => void): Body | undefined {
  try {
    return parseHcl(source.text);
  } catch (e) {
    if (!(e instanceof HclSyntaxError)) throw e;
    const p = source.offsetPosition(e.offset);
    failed?.(p);
    ev.findings.push({ code: 'RF901', severity: CODES.RF901.severity, path: formatPosition(p), message: `${source.path} is not valid HCL: ${e.message}`, fix });
    return undefined;
  }
}

/** Reads one `.tf` file; a syntax error is RF901 at the parser's position. */
export function readHclInto(ev: Evidence, source: SourceFile): void {
  const body = parsedHcl(ev, source);
  if (body === undefined) {
    (moduleOf(ev, source.path).unreadable ??= []).push(source.path);
    return;
  }
  // Credentials written literally (RF940), before anything reads the values.
  if (mayHoldSecrets(source.text)) ev.findings.push(...hclSecretFindings(source, body));
  if (source.text.includes('runner-fleet')) ev.terraform.generatedByRunnerFleet ||= /Generated by runner-fleet/i.test(source.text);
  const problems = addHclBody(moduleOf(ev, source.path), body, hclLoc(source.path, source.text), (path) => ({ source, doc: 0, path }), (path, offset) => source.mark(path, offset));
  for (const p of problems) ev.findings.push({ code: 'RF901', severity: CODES.RF901.severity, path: `${source.path}:1:1`, message: `${source.path}: a ${p}`, fix: 'resource and data blocks take two labels, variable and module blocks one' });
}

/** Reads one `.tf.json` document into the configuration model. */
export function readTfJsonInto(ev: Evidence, source: SourceFile, doc: Record<string, unknown>, origin: Origin): void {
  const mod = moduleOf(ev, source.path);
  // The values expressions are made from, numbered across the evidence's .tf.json files (jsonExpr):
  // a position is looked up only when a finding asks for it.
  const places = (ev.terraform.jsonPlaces ??= [{ origin, path: [] }]);
  const id = (path: readonly (string | number)[]): number => places.push({ origin, path }) - 1;
  const placeOf = (n: number): Position | undefined => {
    const v = n > 0 ? places[n] : undefined;
    return v ? originAt(v.origin, ...v.path) : undefined;
  };
  const locOf = (path: (string | number)[]): Loc => {
    let p: Position | undefined;
    const at = () => (p ??= originAt(origin, ...path));
    return {
      file: source.path,
      text: '',
      pos: (n) => placeOf(n) ?? at(),
      json: { path, id, inString: (n, offset) => (n > 0 ? places[n]!.origin : origin).source.inJsonString(placeOf(n) ?? at(), offset) },
    };
  };
  for (const mode of ['resource', 'data'] as const) {
    const byType = doc[mode];
    if (!isObject(byType)) continue;
    for (const [type, byName] of Object.entries(byType)) {
      if (!isObject(byName)) continue;
      for (const [name, raw] of Object.entries(byName)) {
        // A block may be written as a list of bodies; Terraform takes the one body.
        const body = Array.isArray(raw) && raw.length === 1 && isObject(raw[0]) ? raw[0] : raw;
        if (!isObject(body)) continue;
        const path = [mode, type, name];
        mod.blocks.push({ mode, type, name, body: jsonBody(body, (p) => locOf([...path, ...p])), loc: locOf(path), at: 0, origin: { ...origin, path: [...origin.path, ...path] } });
      }
    }
  }
  if (isObject(doc.locals)) {
    for (const [name, v] of Object.entries(doc.locals)) {
      const loc = locOf(['locals', name]);
      mod.locals.set(name, { expr: jsonExpr(v, loc), loc, at: 0 });
    }
  }
  if (isObject(doc.variable)) {
    for (const [name, v] of Object.entries(doc.variable)) {
      const loc = locOf(['variable', name]);
      mod.variables.set(name, { ...(isObject(v) && 'default' in v ? { default: jsonExpr(v.default, locOf(['variable', name, 'default'])) } : {}), ...(isObject(v) && typeof v.type === 'string' ? { type: jsonType(v.type) } : {}), loc, at: 0, ...(isObject(v) && v.sensitive === true ? { sensitive: true as const } : {}) });
    }
  }
  if (isObject(doc.provider)) {
    for (const [name, raw] of Object.entries(doc.provider)) {
      // One provider configuration, or a list of them (aliases).
      (Array.isArray(raw) ? raw : [raw]).forEach((body, i) => {
        if (!isObject(body)) return;
        const path = ['provider', name, ...(Array.isArray(raw) ? [i] : [])];
        mod.providers.push({ name, body: jsonBody(body, (p) => locOf([...path, ...p])), loc: locOf(path), at: 0, origin: { ...origin, path: [...origin.path, ...path] } });
      });
    }
  }
  if (isObject(doc.module)) {
    for (const [name, v] of Object.entries(doc.module)) {
      mod.modules.set(name, { loc: locOf(['module', name]), at: 0, origin: { ...origin, path: [...origin.path, 'module', name] }, ...(isObject(v) && typeof v.source === 'string' ? { source: v.source } : {}), ...(isObject(v) && typeof v.version === 'string' ? { version: v.version } : {}), ...(isObject(v) ? { body: jsonBody(v, (p) => locOf(['module', name, ...p]), { dynamic: false }) } : {}) });
    }
  }
  if (isObject(doc.output)) {
    for (const [name, v] of Object.entries(doc.output)) {
      if (isObject(v) && 'value' in v) mod.outputs.set(name, { expr: jsonExpr(v.value, locOf(['output', name, 'value'])), loc: locOf(['output', name, 'value']), at: 0 });
    }
  }
}

/** A folder path in one spelling: `/` separators, no `.` segments, `..` folded where it can be. */
function normalDir(path: string): string {
  const out: string[] = [];
  const abs = path.startsWith('/');
  for (const seg of path.split(/[\\/]+/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(seg);
  }
  return (abs ? '/' : '') + (out.join('/') || (abs ? '' : '.'));
}

/**
 * A root's `.terraform/modules/modules.json`: the modules `terraform init` installed for it, which
 * the evaluator then follows for registry and git sources (installed-modules.ts). One that is not a
 * manifest is said (RF902) and changes nothing.
 */
export function readManifestInto(ev: Evidence, path: string, text: string): void {
  const root = normalDir(manifestRoot(path));
  const entries = parseManifest(text, (dir) => moduleDir(root, dir));
  if (typeof entries === 'string') {
    ev.findings.push({ code: 'RF902', severity: CODES.RF902.severity, path: `${path}:1:1`, message: `${path} is not a module manifest as terraform init writes it (${entries}); skipped, so the modules it would name are not read`, fix: 'run terraform init again in that folder, or remove the folder .terraform' });
    return;
  }
  (ev.terraform.installedModules ??= new Map()).set(root, entries);
}

/** The folder a local module source names, from the folder of its caller. */
/** A `.tf.json` variable's `"type"`: the type expression written as a string (`"object({ a = string })"`); `any` when it does not parse. */
function jsonType(text: string): TypeConstraint {
  const wrapped = `\${${text}}`;
  try {
    return typeConstraint({ k: 'json', text: wrapped, x: parseJsonTemplate(wrapped), at: 0, end: 0 });
  } catch {
    return { k: 'any' };
  }
}

export function moduleDir(callerDir: string, source: string): string {
  return normalDir(`${callerDir === '.' ? '' : `${callerDir}/`}${source}`);
}

/**
 * Evaluates the configuration into `ev.terraform.resource` / `data` (the `.tf.json` shape, unknowns
 * as their `${…}` text), records why values are unknown, and returns the findings: references that
 * name nothing (RF913), resources, data sources and modules not in the files given (RF903), module
 * calls that do not match their module (RF914) or are not followed (RF915). Every folder is a
 * module; a folder that another folder calls (`source = "./…"`) is evaluated through its calls,
 * once per instance, its resources at `module.<name>.<type>.<name>`; the others are roots.
 */
export function evaluateConfigs(ev: Evidence, hooks: EvalHooks): Finding[] {
  const findings: Finding[] = [];
  const tf = ev.terraform;
  const byDir = new Map<string, ConfigModule>();
  for (const mod of tf.configs.values()) byDir.set(normalDir(mod.dir), mod);
  const callees = (mod: ConfigModule): ConfigModule[] =>
    [...mod.modules.values()].flatMap((call) => {
      const target = call.source !== undefined && /^\.\.?[\\/]/.test(call.source) ? byDir.get(moduleDir(normalDir(mod.dir), call.source)) : undefined;
      return target && target !== mod ? [target] : [];
    });
  const called = new Set<ConfigModule>();
  for (const mod of tf.configs.values()) for (const t of callees(mod)) called.add(t);
  // The folders `terraform init` installed modules into are read through the calls that name them (by key), never as roots.
  const manifests = tf.installedModules ?? new Map<string, Map<string, InstalledModule>>();
  const installed = installedDirs(manifests);
  for (const dir of installed) {
    const mod = byDir.get(dir);
    if (mod) called.add(mod);
  }
  const installedModule = (root: string, keys: readonly string[], source: string): ConfigModule | { why: string } | undefined => {
    const entries = manifests.get(normalDir(root));
    const entry = entries?.get(keys.join('.'));
    if (entry === undefined) return entries === undefined ? undefined : { why: `terraform init in ${root} installed no module of key ${keys.join('.')} (the manifest is older than this call: run terraform init again)` };
    if (!sameSource(source, entry.source)) return { why: `the copy terraform init installed in ${entry.dir} is of ${shownSource(entry.source)}, not of this source (run terraform init again)` };
    return byDir.get(entry.dir) ?? { why: `the copy terraform init installed (${entry.dir}) has no Terraform files the doctor could read` };
  };
  // A folder not given: undefined (the evaluator says "not in the evidence given").
  const withModules: EvalHooks = { ...hooks, module: (dir, source) => byDir.get(moduleDir(normalDir(dir), source)), registryModule, installedModule, ownModule: (dir, source) => ownModuleHint(byDir, dir, source) };
  const roots = [...tf.configs.values()].filter((m) => !called.has(m));
  // The variable definitions files of each folder; only a root reads them (ModuleEvaluator, var.*).
  for (const m of tf.configs.values()) {
    const files = tf.varFiles?.get(m.dir);
    if (files === undefined) continue;
    m.varFiles = files;
    // A variable declared sensitive: what a variable file gives it is never shown.
    for (const [name, decl] of m.variables) {
      if (decl.sensitive !== true) continue;
      for (const value of [files.loaded.get(name), ...(files.optional.get(name) ?? [])]) {
        if (value === undefined) continue;
        const marks = (ev.sensitive ??= { texts: new Set(), places: [] });
        for (const text of 'json' in value ? jsonStrings(value.json) : literalStrings(value.expr)) {
          addSensitiveValue(marks, text);
          (marks.hidden ??= new Set()).add(text);
        }
      }
    }
  }
  // Folders some root calls, directly or not: read through their calls only (even where a call makes no instance).
  const reached = new Set<ConfigModule>(roots);
  for (const mod of called) if (installed.has(normalDir(mod.dir))) reached.add(mod);
  for (let todo = [...roots]; todo.length > 0; ) for (const t of callees(todo.pop()!)) if (!reached.has(t) && reached.add(t)) todo.push(t);
  // Each root's own aws provider blocks and the aws resources it makes (in its modules too): a resource takes its own root's.
  const perRoot: RootProviders[] = [];
  const evaluate = (evaluator: ModuleEvaluator, own: RootProviders): void => {
    evaluateModule(ev, evaluator, findings, own);
    for (const name of evaluator.mod.modules.keys()) {
      const children = evaluator.moduleInstances(name);
      if (children instanceof Unknown) {
        if (children.reason.code === 'RF906') {
          findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: formatPosition(children.reason.at), message: children.reason.message, fix: children.reason.fix ?? 'give `terraform show -json` of a plan, which lists every module instance' });
          // What the module makes is not read: a runner manager may be among it (RF910 names the call).
          const call = evaluator.mod.modules.get(name)!;
          (ev.terraform.unexpanded ??= []).push({ address: `${evaluator.scope.address !== '' ? `${evaluator.scope.address}.` : ''}module.${evaluator.markedName(name)}`, at: formatPosition(call.loc.pos(call.at)), ...(call.source !== undefined ? { source: call.source } : {}) });
        }
        continue;
      }
      for (const child of children.values()) evaluate(child, own);
    }
  };
  // Roots given together that declare one address (prod/ and staging/ copied from each other) are
  // deployments of their own: each one's names are marked in the evidence, so neither overwrites the other.
  const marks = rootMarks(roots);
  // So are `terraform show -json` documents of two folders that hold one address (prod/plan.json,
  // staging/plan.json); a document shares the mark of the root in its own folder, its deployment.
  // They are added first, as read: a configuration's evaluated resources come after.
  const shows = tf.shows ?? [];
  const showMarks = showDeploymentMarks(shows, roots, marks);
  shows.forEach((s, i) => {
    const mark = showMarks[i];
    if (mark !== undefined) (tf.rootMarks ??= new Map()).set(mark.mark, mark.folder);
    addShowModule(ev, s.module, s.origin, mark?.mark, findings, afterUnknownOf(s.changes), afterSensitiveOf(s.changes), showAwsProviders(s.configuration));
  });
  const trees: ModuleEvaluator[] = [];
  // One symbol per issuer URL only apply knows, across the roots: roots that write it each their own way
  // (data.aws_eks_cluster.prod…, data.aws_eks_cluster.staging…) name two issuers, not one.
  const hostPaths = { hostPaths: new Map<string, string>(), hostPathsShown: new Map<string, { text: string; written: boolean }>() };
  // Several roots: each one's variables and locals are its own (its own tfvars), so their symbols are scoped to it.
  const several = roots.length + [...tf.configs.values()].filter((m) => !reached.has(m)).length > 1;
  if (several) tf.rootsScoped = true;
  // What each root of several finds is tagged as its own (across-roots.ts SAID_IN_ROOT): the same
  // finding from several roots, naming none of them, is one finding with its roots.
  const evaluateRoot = (root: ModuleEvaluator): void => {
    const before = findings.length;
    perRoot.push({ providers: [], keys: [] });
    evaluate(root, perRoot[perRoot.length - 1]!);
    if (several) for (const f of findings.slice(before)) saidInRoot(f, normalDir(root.mod.dir));
  };
  for (const mod of roots) {
    const mark = marks.get(mod);
    if (mark !== undefined) (tf.rootMarks ??= new Map()).set(mark, normalDir(mod.dir));
    const uncalled = uncalledModule(mod, roots.length);
    if (several) (tf.rootScopes ??= new Map()).set(rootScope(trees.length), normalDir(mod.dir));
    const root = new ModuleEvaluator(mod, withModules, undefined, { ...hostPaths, ...(mark !== undefined ? { mark } : {}), ...(several ? { rootScope: rootScope(trees.length) } : {}), ...(uncalled !== undefined ? { uncalledModule: uncalled } : {}) });
    trees.push(root);
    evaluateRoot(root);
  }
  // Folders only reached through a cycle of calls: read as roots, so nothing given is ignored.
  for (const mod of tf.configs.values()) {
    if (reached.has(mod)) continue;
    reached.add(mod);
    for (let todo = [mod]; todo.length > 0; ) for (const t of callees(todo.pop()!)) if (!reached.has(t) && reached.add(t)) todo.push(t);
    if (several) (tf.rootScopes ??= new Map()).set(rootScope(trees.length), normalDir(mod.dir));
    const root = new ModuleEvaluator(mod, withModules, undefined, several ? { rootScope: rootScope(trees.length) } : undefined);
    trees.push(root);
    evaluateRoot(root);
  }
  if (perRoot.length > 1) {
    const of = (tf.awsProvidersOf ??= new Map());
    for (const r of perRoot) for (const key of r.keys) of.set(key, r.providers);
  }
  if (trees.some((t) => t.scope.ownAccount?.read === true)) ev.terraform.ownAccountRead = true;
  for (const t of trees) for (const [symbol, shown] of t.scope.hostPathsShown ?? []) (ev.terraform.shownAs ??= new Map()).set(symbol, shown.text);
  for (const t of trees) {
    for (const r of t.broken.values()) {
      const f: Finding = { code: r.code, severity: CODES[r.code].severity, path: formatPosition(r.at), message: r.message, ...(r.fix !== undefined ? { fix: r.fix } : {}) };
      if (several) saidInRoot(f, normalDir(t.mod.dir));
      findings.push(f);
    }
  }
  return findings;
}

/** A registry address, `<namespace>/<name>/<provider>` with an optional `//<sub-module>` (no host, no version). */
const REGISTRY_ADDRESS = /^(?:registry\.terraform\.io\/)?([A-Za-z0-9][A-Za-z0-9_-]*)\/([A-Za-z0-9][A-Za-z0-9_-]*)\/([a-z0-9]+)(?:\/\/[^?]*)?$/;

/**
 * A registry address `<namespace>/<name>/<provider>` called from a folder under `examples/` of a
 * folder whose Terraform is given and whose name ends in `terraform-<provider>-<name>`: Terraform's
 * standard module structure has a repository's examples call its own module by the address others
 * use, not by a relative path (developer.hashicorp.com/terraform/language/modules/develop/structure,
 * "Examples"), and the registry publishes a repository `terraform-<provider>-<name>` as
 * `<namespace>/<name>/<provider>` (developer.hashicorp.com/terraform/registry/modules/publish,
 * requirements). The call may then be of the module given, but it installs a registry release,
 * which need not be the files given: the doctor does not read them for it. The hint says so, and
 * gives the local source that would read them (`../..`).
 */
function ownModuleHint(byDir: ReadonlyMap<string, ConfigModule>, dir: string, source: string): { why: string; local: string } | undefined {
  const m = REGISTRY_ADDRESS.exec(source);
  if (!m || source.includes('//')) return undefined;
  const parts = normalDir(dir).split('/');
  for (let i = parts.length - 2; i >= 0; i--) {
    if (parts[i] !== 'examples') continue;
    const owner = parts.slice(0, i).join('/') || (dir.startsWith('/') ? '/' : '.');
    const mod = byDir.get(owner);
    if (!mod || (mod.blocks.length === 0 && mod.modules.size === 0)) return undefined;
    // Examples call other public modules too (a VPC): only an address whose name and provider are the folder's is its own.
    const base = parts[i - 1] ?? '';
    if (!base.endsWith(`terraform-${m[3]!}-${m[2]!}`)) return undefined;
    return { why: `it may be the module of ${owner} itself (the call is in its examples/ folder, examples call their module by its registry address, and the registry publishes a repository terraform-${m[3]!}-${m[2]!} as <namespace>/${m[2]!}/${m[3]!})`, local: Array(parts.length - i).fill('..').join('/') };
  }
  return undefined;
}

/**
 * A root that is evidently a reusable module nobody given calls: what it says of itself, else
 * undefined. Terraform's standard module structure (developer.hashicorp.com/terraform/language/
 * modules/develop/structure, "Nested modules … should exist under the modules/ subdirectory")
 * puts a repository's nested modules right under `modules/`, and a module's caller sets its
 * variables. So a folder right under a folder named `modules`, given with another Terraform
 * folder (`roots`: how many roots were given) and with no variable definitions
 * file of its own (nobody gives it values to apply it alone), is a module whose caller is not in
 * the files given, not a deployment applied with its variables' defaults. A folder given alone is
 * read as the root it is asked to be.
 */
function uncalledModule(mod: ConfigModule, roots: number): string | undefined {
  const dir = normalDir(mod.dir);
  const parts = dir.split('/');
  if (roots < 2 || parts.length < 2 || parts[parts.length - 2] !== 'modules' || mod.varFiles !== undefined) return undefined;
  return `${dir} is a module (a folder under modules/) that no folder given calls`;
}

/**
 * The roots that declare a resource, data source or module call another root declares too, each
 * with its mark (ModuleScope.rootMark). A root no other root collides with is not marked, so a
 * single root (or roots split by concern: iam/, cluster/) reads as it always did.
 */
function rootMarks(roots: readonly ConfigModule[]): Map<ConfigModule, string> {
  const out = new Map<ConfigModule, string>();
  if (roots.length < 2) return out;
  const owners = new Map<string, ConfigModule[]>();
  for (const mod of roots) {
    const addresses = new Set([...mod.blocks.map((b) => `${b.mode}.${b.type}.${b.name}`), ...[...mod.modules.keys()].map((n) => `module.${n}`)]);
    for (const a of addresses) {
      const o = owners.get(a);
      if (o) o.push(mod);
      else owners.set(a, [mod]);
    }
  }
  const colliding = new Set([...owners.values()].filter((o) => o.length > 1).flat());
  roots.forEach((mod, i) => {
    if (colliding.has(mod)) out.set(mod, rootMark(i));
  });
  return out;
}

/**
 * The mark of each `terraform show -json` document (by its index) whose folder holds an address the
 * document of another folder holds too, or whose folder's Terraform root is marked (ModuleScope.rootMark).
 * Documents of one folder are one deployment (a plan and its state); a root in the folder of a marked
 * document is marked with it. Marks new to the call are numbered after the roots'.
 */
function showDeploymentMarks(shows: readonly { module: unknown; origin: Origin }[], roots: readonly ConfigModule[], marks: Map<ConfigModule, string>): ({ mark: string; folder: string } | undefined)[] {
  const folderOf = (path: string): string => normalDir(terraformFolderOf(path));
  const folders = new Map<string, Set<string>>();
  for (const s of shows) {
    const folder = folderOf(s.origin.source.path);
    const addresses = folders.get(folder) ?? new Set<string>();
    for (const a of showAddresses(s.module)) addresses.add(a);
    folders.set(folder, addresses);
  }
  const owners = new Map<string, number>();
  for (const addresses of folders.values()) for (const a of addresses) owners.set(a, (owners.get(a) ?? 0) + 1);
  const byFolder = new Map<string, string | undefined>();
  let next = roots.length;
  for (const [folder, addresses] of folders) {
    const root = roots.find((r) => normalDir(r.dir) === folder);
    let mark = root ? marks.get(root) : undefined;
    if (mark === undefined && [...addresses].some((a) => owners.get(a)! > 1)) {
      mark = rootMark(next++);
      if (root) marks.set(root, mark);
    }
    byFolder.set(folder, mark);
  }
  return shows.map((s) => {
    const folder = folderOf(s.origin.source.path);
    const mark = byFolder.get(folder);
    return mark !== undefined ? { mark, folder } : undefined;
  });
}

/**
 * Which aws provider configuration a resource uses (its `provider = aws.<alias>`, else the default
 * `aws`; in a module, the one its call hands it) and so which account it lives in. A name no
 * provider block declares is RF916; in a root whose aws provider blocks were not given at all, it is
 * missing evidence (RF903).
 */
/**
 * A resource of a called module uses the root's provider configuration its calls map
 * (`providers = { aws = aws.ci }`), not the one of its own `provider` argument's name: its stored
 * `provider` becomes that configuration's name in the root (none for the unaliased one), which is
 * what the readers of the root's providers (default_tags: providerDefaultTags) look up. A
 * configuration declared inside a module (a legacy form) is left as written.
 */
function rootProviderOf(evaluator: ModuleEvaluator, model: Record<string, unknown>, written: Value | undefined): void {
  const name = typeof written === 'string' ? written.replace(/^\$\{(.*)\}$/, '$1') : 'aws';
  const ref = name === 'aws' || name.startsWith('aws.') ? evaluator.providers().get(name) : undefined;
  if (ref?.name === 'aws') delete model.provider;
  else if (ref?.name.startsWith('aws.') === true) model.provider = ref.name;
}

function awsAccountOf(ev: Evidence, evaluator: ModuleEvaluator, block: ConfigBlock, key: string, written: Value | undefined): void {
  const name = typeof written === 'string' ? written.replace(/^\$\{(.*)\}$/, '$1') : 'aws';
  if (name !== 'aws' && !name.startsWith('aws.')) return;
  const providers = evaluator.providers();
  const ref = providers.get(name);
  if (ref) {
    (ev.terraform.accounts ??= new Map()).set(key, providerAccount(ref.body));
    return;
  }
  // The implied default configuration: no settings, so no account stated.
  if (name === 'aws') {
    (ev.terraform.accounts ??= new Map()).set(key, undefined);
    return;
  }
  const at = () => originAt(block.origin, 'provider');
  const declared = [...providers.keys()].filter((k) => k === 'aws' || k.startsWith('aws.'));
  if (evaluator.scope.address === '' && evaluator.mod.providers.every((p) => p.name !== 'aws')) {
    evaluator.report({ code: 'RF903', message: `not in the evidence given: ${key} uses the provider configuration ${name}, and no provider "aws" block of ${evaluator.mod.dir} was given, so its account is not known`, get at() { return at(); }, fix: 'give the file that declares the provider blocks (providers.tf) too' });
    return;
  }
  const near = nearest(name, declared);
  evaluator.report({
    code: 'RF916',
    message: `${key} uses the provider configuration ${name}, which ${evaluator.scope.address !== '' ? `${evaluator.scope.address} is not given (its call's providers = { … } does not map it) and no provider block declares` : 'no provider "aws" block declares (alias)'}; declared: ${declared.join(', ') || 'none'}`,
    get at() {
      return at();
    },
    fix: evaluator.scope.address === '' ? `${near !== undefined ? `write provider = ${near}, or ` : ''}declare provider "aws" with alias = "${name.slice(4)}"` : `map it in the module call: providers = { ${name} = aws.<alias> }`,
  });
}

/** The aws provider configurations of one Terraform root as read (Evidence.terraform.awsProviders), and the keys of the aws resources of its tree. */
interface RootProviders {
  providers: Record<string, unknown>[];
  keys: string[];
}

/** Resources whose `user_data` boots a runner manager (an instance or a spot request is read as a launch template). */
const USER_DATA_OWNERS: ReadonlySet<string> = new Set(['aws_launch_template', 'aws_launch_configuration', 'aws_instance', 'aws_spot_instance_request']);

/** A file given, by the path as given (a position names it so), for a path the evaluator resolved. */
function givenFile(ev: Evidence, path: string): { path: string; text: string } | undefined {
  const text = evidenceFile(ev, path);
  if (text === undefined || !ev.texts) return undefined;
  let index = givenPaths.get(ev.texts);
  if (!index || index.size !== ev.texts.size) {
    const paths = new Map<string, string>();
    for (const p of ev.texts.keys()) if (!paths.has(normalPath(p))) paths.set(normalPath(p), p);
    givenPaths.set(ev.texts, (index = { size: ev.texts.size, paths }));
  }
  return { path: index.paths.get(normalPath(path)) ?? path, text };
}

/** The paths of the files given by their normal form (the first of two spellings, as evidenceFile reads), kept while no file is added. */
const givenPaths = new WeakMap<ReadonlyMap<string, string>, { size: number; paths: Map<string, string> }>();

/**
 * The resource types a runner manager is read from (RF910 lists them): helm_release (the chart's
 * values), the kubernetes provider's workloads and kubernetes_manifest (kubernetes-terraform.ts), the
 * EC2 resources whose user data runs it (aws-instance.ts VM_MANAGER_RESOURCES) and an ECS task
 * definition (its container's register environment). One whose count or for_each is not statically
 * known is not read: RF910 names it as where a manager may be.
 */
const MANAGER_KINDS: ReadonlySet<string> = new Set([
  'helm_release',
  'kubernetes_manifest',
  'kubernetes_deployment',
  'kubernetes_deployment_v1',
  'kubernetes_stateful_set',
  'kubernetes_stateful_set_v1',
  'kubernetes_daemonset',
  'kubernetes_daemon_set_v1',
  'aws_launch_template',
  'aws_launch_configuration',
  'aws_instance',
  'aws_spot_instance_request',
  'aws_ecs_task_definition',
]);

/** One module instance's resources and data sources into the evidence, under its address; `own`: what its root's tree collects. */
function evaluateModule(ev: Evidence, evaluator: ModuleEvaluator, findings: Finding[], own: RootProviders): void {
  const tf = ev.terraform;
  const mod = evaluator.mod;
  const prefix = evaluator.scope.address !== '' ? `${evaluator.scope.address}.` : '';
  for (const block of mod.blocks) {
    const address = `${block.mode === 'data' ? 'data.' : ''}${block.type}.${prefix}${evaluator.markedName(block.name)}`;
    try {
      const instances = evaluator.instances(block);
      if (!Array.isArray(instances)) {
        tf.unknowns.set(address, instances.reason);
        if (instances.reason.code === 'RF906') {
          findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: formatPosition(instances.reason.at), message: instances.reason.message, fix: instances.reason.fix ?? 'give `terraform show -json` of a plan, which carries every instance' });
          if (block.mode === 'resource' && MANAGER_KINDS.has(block.type)) (tf.unexpanded ??= []).push({ address, at: formatPosition(block.loc.pos(block.at)) });
        }
        continue;
      }
      // A manager-kind resource with user data that the values given make none of: RF910 names it.
      if (instances.length === 0 && block.mode === 'resource' && MANAGER_KINDS.has(block.type) && block.body.attrs.some((a) => a.name === 'user_data' || a.name === 'user_data_base64')) (tf.noInstance ??= []).push({ address, at: formatPosition(block.loc.pos(block.at)) });
      for (const inst of instances) {
        const name = `${prefix}${evaluator.markedName(block.name)}${inst.name.slice(block.name.length)}`;
        const key = `${block.mode === 'data' ? 'data.' : ''}${block.type}.${name}`;
        const body = evaluator.body(block, inst);
        for (const [attr, v] of Object.entries(body)) {
          const u = firstUnknown(v);
          if (!u) continue;
          tf.unknowns.set(`${key}.${attr}`, u.reason);
          if (!tf.unknowns.has(key)) tf.unknowns.set(key, u.reason);
        }
        // Types and names are the user's: `resource "__proto__" "x"` must stay data.
        const model = toModel(body) as Record<string, unknown>;
        if (evaluator.scope.address !== '' && block.type.startsWith('aws_')) rootProviderOf(evaluator, model, body.provider);
        setOwn(ownChild(tf[block.mode], block.type), name, model);
        tf.origins.set(key, block.origin);
        // Where a manager's user data is written, to point at the line of a command in it (user-data-place.ts).
        if (block.mode === 'resource' && USER_DATA_OWNERS.has(block.type)) {
          const attr = block.body.attrs.find((a) => a.name === 'user_data');
          const source = attr ? (userDataSourceOf(evaluator, attr.expr, attr.loc, instanceEnv(attr.loc, inst), (path) => givenFile(ev, path)) ?? { kind: 'expression' as const }) : undefined;
          if (source) (tf.userDataSources ??= new Map()).set(key, source);
        }
        // Its creation-time provisioners: setup that runs after the user data (provisioners.ts).
        if (block.mode === 'resource' && (block.type === 'aws_instance' || block.type === 'aws_spot_instance_request' || AZURE_VM_TYPES.has(block.type))) {
          const steps = provisionerSteps(evaluator, block, inst, (path) => givenFile(ev, path));
          // Steps of a null_resource connected to it (read before or after it): after its own.
          if (steps.length > 0) (tf.provisioners ??= new Map()).set(key, [...steps, ...(tf.provisioners?.get(key)?.filter((s) => s.via !== undefined) ?? [])]);
        }
        // A null_resource or terraform_data whose provisioners connect to an instance: they set up that instance (provisioners.ts connectedInstance).
        if (block.mode === 'resource' && (block.type === 'null_resource' || block.type === 'terraform_data')) {
          const target = connectedInstance(block);
          if (target !== undefined) {
            const steps = provisionerSteps(evaluator, block, inst, (path) => givenFile(ev, path)).map((s) => ({ ...s, via: key }));
            if (steps.length > 0) (tf.provisioners ??= new Map()).set(`${prefix}${target}`, [...(tf.provisioners?.get(`${prefix}${target}`) ?? []), ...steps]);
          }
        }
        if (block.type.startsWith('aws_')) {
          awsAccountOf(ev, evaluator, block, key, body.provider);
          own.keys.push(key);
        }
        if (evaluator.scope.call) (tf.moduleCalls ??= new Map()).set(key, evaluator.scope.call);
        // Where its metadata's values are written, as the evaluator resolved them (RF948 is said there: kubernetes-terraform.ts).
        if (block.mode === 'resource' && block.type.startsWith('kubernetes_')) (tf.valuePlaces ??= new Map()).set(key, (path: readonly string[]) => evaluator.argumentPlace(block, inst, path, key));
        for (const [attr, v] of Object.entries(body)) {
          // A policy attribute set from a rendered data document points at that document.
          const from = typeof v === 'string' ? evaluator.rendered.get(v) : v instanceof Unknown ? evaluator.rendered.get(v.render) : undefined;
          if (from) tf.origins.set(`${key}.${attr}`, from.origin);
          else if (block.origin.source.syntax === 'hcl') tf.origins.set(`${key}.${attr}`, { ...block.origin, path: [...block.origin.path, attr] });
        }
        if (block.mode === 'data' && block.type === 'aws_iam_policy_document' && block.origin.source.syntax === 'hcl') markPolicyDocument(block, body);
        // The gitlab-runner chart installed by the helm provider: its values, as a values file's.
        if (block.mode === 'resource' && block.type === 'helm_release') readHelmRelease(ev, evaluator, block, inst, key, body, findings);
      }
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
      findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: formatPosition(block.loc.pos(block.at)), message: `${address}: ${e.message}`, fix: 'break the cycle' });
    }
  }
  if (evaluator.scope.address !== '') return;
  // The aws provider's settings, evaluated like any body (region = var.region …); a value only apply knows is left out,
  // but for default_tags, whose unknown values stay as their `${…}` text: a role's tag that is not shown is not an absent one.
  mod.providers.forEach((p, i) => {
    // An azurerm provider configuration names Azure as an aws one names AWS (cloud-in-files.ts): where it is written.
    if (p.name === 'azurerm') tf.azurermProvider ??= formatPosition(originAt(p.origin));
    if (p.name !== 'aws') return;
    const block: ConfigBlock = { mode: 'resource', type: 'provider', name: `aws[${i}]`, body: p.body, loc: p.loc, at: p.at, origin: p.origin };
    try {
      const body = evaluator.body(block, { name: block.name });
      const provider = Object.fromEntries(Object.entries(toModel(body) as Record<string, unknown>).filter(([k]) => k === 'default_tags' || !firstUnknown(body[k]!)));
      (tf.awsProviders ??= []).push(provider);
      own.providers.push(provider);
      const account = provider.alias === undefined ? providerAccount(provider) : undefined;
      if (account !== undefined) (tf.folderAccounts ??= new Map()).set(mod.dir === '.' ? '' : mod.dir.replace(/\\/g, '/'), account);
    } catch (e) {
      if (!(e instanceof EvalError)) throw e;
    }
  });
}

/**
 * Positions of the rendered document's parts in the HCL that wrote them: `Statement[i]` at the
 * i-th statement block, `Condition.<test>.<variable>` at that condition's values, `Principal.<type>`
 * at the identifiers. Findings about a trust rendered from a data source then point at the line.
 */
function markPolicyDocument(block: ConfigBlock, body: Record<string, Value>): void {
  const source = block.origin.source;
  const base = block.origin.path;
  const text = (v: Value | undefined) => (typeof v === 'string' ? v : JSON.stringify(v ?? null));
  const asList = (v: Value | undefined): Value[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  const statements = asList(body.statement);
  block.body.blocks.filter((b) => b.type === 'statement').forEach((st, i) => {
    source.mark([...base, 'Statement', i], st.at);
    const value = statements[i];
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Unknown) return;
    const conditions = asList(value.condition);
    st.body.blocks.filter((b) => b.type === 'condition').forEach((c, j) => {
      const cv = conditions[j];
      if (cv === null || typeof cv !== 'object' || Array.isArray(cv) || cv instanceof Unknown) return;
      const values = c.body.attrs.find((a) => a.name === 'values');
      source.mark([...base, 'Statement', i, 'Condition', text(cv.test), text(cv.variable)], values ? values.expr.at : c.at);
    });
    const principals = asList(value.principals);
    st.body.blocks.filter((b) => b.type === 'principals').forEach((p, j) => {
      const pv = principals[j];
      if (pv === null || typeof pv !== 'object' || Array.isArray(pv) || pv instanceof Unknown) return;
      const ids = p.body.attrs.find((a) => a.name === 'identifiers');
      source.mark([...base, 'Statement', i, 'Principal', text(pv.type)], ids ? ids.expr.at : p.at);
    });
  });
}

/**
 * Folders of local modules (`source = "./…"`, `"../…"`) that the Terraform files given call and
 * that none of them lives in: what the CLI reads next so a module is followed when only its
 * caller was named. Pure: parses the texts it is given (a file that does not parse names nothing).
 */
export function calledModuleFolders(files: readonly { path: string; text: string }[]): string[] {
  const have = new Set(files.map((f) => normalDir(terraformFolderOf(f.path))));
  const out = new Set<string>();
  for (const f of files) {
    if (!isTerraformConfig(f.path) || !f.text.includes('module')) continue;
    const sources: string[] = [];
    try {
      if (/\.json$/i.test(f.path)) {
        const doc: unknown = JSON.parse(f.text);
        for (const v of Object.values(isObject(doc) && isObject(doc.module) ? doc.module : {})) if (isObject(v) && typeof v.source === 'string') sources.push(v.source);
      } else {
        for (const b of parseHcl(f.text).blocks) {
          const s = b.type === 'module' ? b.body.attrs.find((a) => a.name === 'source')?.expr : undefined;
          if (s?.k === 'tpl' && s.parts.every((p) => typeof p === 'string')) sources.push(s.parts.join(''));
        }
      }
    } catch {
      continue;
    }
    for (const s of sources) {
      if (!/^\.\.?[\\/]/.test(s)) continue;
      const dir = moduleDir(normalDir(terraformFolderOf(f.path)), s);
      if (!have.has(dir)) out.add(dir);
    }
  }
  return [...out].sort();
}

/** `file("${path.module}/…")` and its kin over a static path: the files a module reads from its own folder. */
const MODULE_FILE = /\b(?:file|filebase64|templatefile)\(\s*\\?"\$\{path\.module\}\/([^"\\$%{}]+)\\?"/g;
/**
 * `file("templates/user_data.tmpl")`, `file("${path.root}/…")`, `file("${path.cwd}/…")` over a static
 * path: the files Terraform reads from its working directory, the root module's folder (a relative
 * path is joined with the current working directory: Terraform's abspath function reference; path.root
 * and path.cwd name that folder: "Filesystem and Workspace Info"). Public lean-delivery/autoscaled-gitlab-runner
 * renders its runner hosts' user data from `templatefile("templates/user_data.tmpl", …)`: a walk does
 * not read `.tmpl` (RF902), so the doctor said the file it had been given was not in the evidence (RF903).
 * Not an absolute path, a Windows drive, a URL-like `x://`, or a path that begins with an interpolation.
 */
const WORKING_DIR_FILE = /\b(?:file|filebase64|templatefile)\(\s*\\?"(?:\$\{path\.(?:root|cwd)\}\/)?((?![A-Za-z]:)[^"\\$%{}/~][^"\\$%{}:]*)\\?"/g;

/**
 * The files the Terraform files given read from their own module's folder with a static path
 * (`templatefile("${path.module}/template/user-data.tftpl", …)`), as paths the CLI can read: what a
 * followed module needs besides its `.tf` files. Pure: a pattern over the texts (the evaluator
 * decides later whether a call is ever made); a path leaving the module's folder is kept.
 */
export function moduleFileReferences(files: readonly { path: string; text: string }[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (!isTerraformConfig(f.path) || !f.text.includes('path.module')) continue;
    const dir = normalDir(terraformFolderOf(f.path));
    for (const m of f.text.matchAll(MODULE_FILE)) out.add(moduleDir(dir, m[1]!));
  }
  return [...out].sort();
}

/**
 * The files the Terraform files given read from the working directory with a static path
 * (`templatefile("templates/user_data.tmpl", …)`, WORKING_DIR_FILE), as paths the CLI can read:
 * every folder of the Terraform given may be the root Terraform runs in, so the path is taken from
 * each (the evaluator's filePath then reads the one of the root, and says where a module's own
 * folder holds it instead). Pure, as moduleFileReferences.
 */
export function workingDirFileReferences(files: readonly { path: string; text: string }[]): string[] {
  const terraform = files.filter((f) => isTerraformConfig(f.path));
  const folders = [...new Set(terraform.map((f) => normalDir(terraformFolderOf(f.path))))];
  const out = new Set<string>();
  for (const f of terraform) {
    if (!/\b(?:file|filebase64|templatefile)\(/.test(f.text)) continue;
    for (const m of f.text.matchAll(WORKING_DIR_FILE)) for (const dir of folders) out.add(moduleDir(dir, m[1]!));
  }
  return [...out].sort();
}
