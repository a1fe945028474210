import { isKustomization } from './kustomize-namespace.js';
import { LineCounter, parseAllDocuments } from 'yaml';
import { parse as parseToml, TomlError } from 'smol-toml';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { PolicyDocument } from '../verify/iam/types.js';
import { shownText } from '../verify/credentials.js';
import { SourceFile, formatPosition, type Origin, type Position } from './source.js';
import type { Evidence, RoleEvidence } from './evidence.js';
import { readHclInto, readManifestInto, readTfJsonInto, readTfvarsInto, readTfvarsJsonInto, readTfvarsTemplateInto, unreadableVarFile } from './hcl/read.js';
import { MANIFEST_PATH } from './hcl/installed-modules.js';
import { ANSIBLE_TOKEN_KEY, ansibleFileKind, ansibleTokenAt } from './ansible.js';
import { fileSecretFindings, hclSecretFindings, mayHoldSecrets, scrubSecret, textSecretFindings } from './secrets.js';
import { parseHcl } from './hcl/parse.js';
import { HclSyntaxError } from './hcl/ast.js';
import { readPlainYaml } from '../spec/plain-yaml.js';
import { kubernetesShapeProblem } from './kube-shape.js';
import { readEksctlIdentities } from './eksctl.js';
import { readAzCliInto } from './az-cli.js';
import { utf16Of, utf16Problem } from '../io/utf16.js';
import { terraformFileKind } from './terraform-files.js';
import { isConfigTomlExampleName, isEnvFileName, isJinjaTomlName, isMakefileName, isTerraformStateName, isVarsTemplateName } from '../io/file-names.js';
import { readJinjaToml } from './jinja-toml.js';
import { readFilledToml } from './sed-toml.js';
import { normalPath } from './hcl/eval.js';
import { showSecretFindings, stateFindings } from './terraform-state.js';
import { isComposeFileName } from './env-managers.js';
import { isObject } from '../model/is-object.js';
import { gitOpsKind } from './gitops.js';
import { runnerSuite } from './helm-unittest.js';
import { isOpenShiftTemplate, processTemplate } from './openshift-template.js';
import { depthOver } from './depth.js';
import { unreadTemplate } from './deployment-templates.js';
import { MAX_DEPTH, readYamlText, yamlLibraryDocuments, type YamlRead } from './yaml-documents.js';
import { CLOUDFORMATION_TAGS, CLOUDFORMATION_TAG_USE, cloudFormationKeyFindings, cloudFormationTypes } from './cloudformation.js';

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/** Larger files are skipped with a finding: no deployment document is this big, and reading one must not hang. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

function finding(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

/** What a file name says about its syntax; undefined: not a file the doctor reads. */
export function syntaxOf(path: string): SourceFile['syntax'] | 'text' | undefined {
  const terraform = terraformFileKind(path);
  if (terraform === 'config' || terraform === 'vars') return 'hcl';
  if (terraform !== undefined || /\.json$/i.test(path)) return 'json';
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  if (/\.toml$/i.test(path) || isConfigTomlExampleName(path)) return 'toml';
  // Shell scripts, and Terraform templates (templatefile()): `.tftpl` as Terraform names them, and
  // the `.tpl` many modules still use (`values.yaml.tpl`).
  // And systemd units (`gitlab-runner.service`): the user a service runs as and its command (host-grants.ts).
  if (/\.(sh|tftpl|tpl|service)$/i.test(path)) return 'text';
  // A unit's drop-ins (`gitlab-runner.service.d/override.conf`): the User= they may set (host-grants.ts).
  if (/\.service\.d\/[^/]+\.conf$/i.test(path)) return 'text';
  // Makefiles: their recipes are shell commands (io/file-names.ts isMakefileName).
  if (isMakefileName(path)) return 'text';
  return undefined;
}

/**
 * The syntax of a file whose name has no extension at all, from its first character: such a
 * file named on the command line (`--kube-dump /dev/stdin`, a dump saved as `dump`), or a shell
 * script a folder walk found by its `#!` line (walk.ts isShellScript). A file that starts with `#!`
 * is a script, read as text as a `.sh` is (named on the command line, a `register` script was
 * RF901 "not valid YAML" before); else `{` or `[`: JSON; anything else: YAML.
 */
function sniffedSyntax(path: string, bytes: Uint8Array): 'json' | 'yaml' | 'text' | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (base.includes('.') || bytes.byteLength === 0) return undefined;
  if (bytes[0] === 0x23 && bytes[1] === 0x21) return 'text';
  for (const b of bytes.subarray(0, 4096)) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b ? 'json' : 'yaml';
  }
  return undefined;
}

/**
 * The syntax of a file a kustomization lists as a resource: kustomize reads any file it is given
 * there as YAML, whatever its name (api/internal/target/kusttarget.go accumulateResources tries
 * accumulateFile first; api/resmap/factory.go FromFile decodes the bytes with
 * resource.Factory.SliceFromBytes, a YAML reader, JSON being YAML); the doctor reads one that starts
 * with `{` or `[` as JSON, as it does an extensionless file. undefined for an empty file.
 */
function resourceSyntax(path: string, bytes: Uint8Array): 'json' | 'yaml' | undefined {
  if (/\.json$/i.test(path)) return 'json';
  for (const b of bytes.subarray(0, 4096)) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b ? 'json' : 'yaml';
  }
  return bytes.byteLength === 0 ? undefined : 'yaml';
}

/**
 * Reads one file's bytes into the evidence (`asText`: a file the Terraform given reads, kept as
 * text whatever its extension; `asResource`: a file a kustomization lists, read as YAML or JSON
 * whatever its extension). Never throws for anything in the file: every problem
 * becomes a finding for that file, and the doctor goes on with the others.
 */
export function readFileInto(ev: Evidence, path: string, bytes: Uint8Array, size = bytes.byteLength, cut = false, asText = false, asResource = false): void {
  ev.files++;
  // A state file: a leak of its own (RF926) and its credentials (RF940), by its name, whatever its size; never evidence.
  if (isTerraformStateName(path)) {
    const binary = bytes.subarray(0, 8192).includes(0);
    ev.findings.push(...stateFindings(path, size > MAX_FILE_BYTES ? undefined : binary ? '\u0000' : UTF8.decode(bytes), MAX_FILE_BYTES / 1024 / 1024));
    return;
  }
  // By size first: a stream named on the command line (/dev/zero) is read only up to the limit.
  if (size > MAX_FILE_BYTES) {
    ev.findings.push(finding('RF902', `${path}:1:1`, `${path} is ${cut ? `a stream of more than ${MAX_FILE_BYTES / 1024 / 1024} MiB (read up to the limit)` : `${(size / 1024 / 1024).toFixed(1)} MiB`}; files over ${MAX_FILE_BYTES / 1024 / 1024} MiB are skipped`, { received: cut ? `more than ${MAX_FILE_BYTES} bytes` : `${size} bytes`, fix: 'split the file, or give only the deployment documents' }));
    return;
  }
  // What `terraform init` installed: read for the module calls it resolves, never evidence of its own.
  if (MANIFEST_PATH.test(path)) {
    readManifestInto(ev, path, UTF8.decode(bytes));
    return;
  }
  // A file Terraform reads with file() or templatefile() (a certificate, a key list) is text whatever its name.
  const jinjaToml = isJinjaTomlName(path) || ev.configTomlTemplates?.has(normalPath(path)) === true;
  const syntax = (asResource ? resourceSyntax(path, bytes) : undefined) ?? (jinjaToml ? 'text' : syntaxOf(path) ?? (asText || isEnvFileName(path) || isVarsTemplateName(path) ? 'text' : sniffedSyntax(path, bytes)));
  if (!syntax) {
    ev.findings.push(finding('RF902', `${path}:1:1`, `${path} is not a YAML, JSON, TOML or Terraform file; skipped`, { fix: 'give Kubernetes YAML/JSON, Helm values, config.toml, IAM policy JSON or Terraform or OpenTofu (.tf, .tf.json, .tofu, .tofu.json, terraform show -json)' }));
    return;
  }
  // UTF-16 text has NULs too, but it is a document in the wrong encoding, not a binary file.
  const utf16 = utf16Of(bytes);
  if (utf16) {
    const { message, fix } = utf16Problem(path, utf16);
    ev.findings.push(finding('RF902', `${path}:1:1`, `${message}; skipped`, { fix }));
    return;
  }
  if (bytes.subarray(0, 8192).includes(0)) {
    ev.findings.push(finding('RF902', `${path}:1:1`, `${path} is binary; skipped`));
    return;
  }
  const text = UTF8.decode(bytes);
  (ev.texts ??= new Map()).set(path, text);
  if (isEnvFileName(path) && syntaxOf(path) === undefined) {
    // An env file: its credentials (a `CI_SERVER_TOKEN=glrt-…` a compose service's env_file hands the runner), and the names it sets.
    ev.findings.push(...textSecretFindings(path, text));
    (ev.envFiles ??= new Map()).set(normalPath(path), [...text.matchAll(/^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]!));
    return;
  }
  if (jinjaToml) {
    readJinjaTomlInto(ev, path, text);
    return;
  }
  if (isVarsTemplateName(path) && syntaxOf(path) === undefined) {
    // A template of a variable definitions file: Terraform never loads it, so only its credentials count.
    readTfvarsTemplateInto(ev, new SourceFile(path, text, 'hcl'));
    return;
  }
  if (syntax === 'text') {
    // Shell scripts (a launch template's user data file): kept as text for the chain proof and the secret scan.
    ev.findings.push(...textSecretFindings(path, text));
    ev.artifacts.push({ path, format: 'text', content: text });
    return;
  }
  let source = new SourceFile(path, text, syntax);
  if (syntax === 'hcl') {
    if (terraformFileKind(path) === 'vars') readTfvarsInto(ev, source);
    else readHclInto(ev, source);
    return;
  }
  // An example copy of a config.toml no file of the deployment copies into place: no runner reads it, so only its credentials count.
  if (syntax === 'toml' && isConfigTomlExampleName(path) && ev.copiedExamples?.has(normalPath(path)) !== true) {
    let value: Record<string, unknown> | undefined;
    try {
      value = parseToml(text);
    } catch {
      // Placeholders an example leaves for the reader (`token = <your token>`): its text is scanned instead, never an RF901.
    }
    if (mayHoldSecrets(text)) ev.findings.push(...(value ? fileSecretFindings(source, [value]) : textSecretFindings(path, text)));
    return;
  }
  if (syntax === 'toml') {
    let value: Record<string, unknown>;
    try {
      value = parseToml(text);
    } catch (e) {
      const line = e instanceof TomlError ? e.line : 1;
      const column = e instanceof TomlError ? e.column : 1;
      if (otherEngineTemplate(ev, path, text, line, column, 'TOML')) return;
      // Placeholders a script of the files given fills before the runner reads the file: values to come (sed-toml.ts).
      const filled = ev.tomlFillers ? readFilledToml(path, text, ev.tomlFillers) : undefined;
      if (filled) {
        ev.findings.push(...filled.findings);
        if (mayHoldSecrets(text)) ev.findings.push(...fileSecretFindings(filled.source, [filled.value]));
        ev.artifacts.push({ path, format: 'toml', content: filled.value });
        if (Array.isArray(filled.value.runners)) ev.configTomls.push({ value: filled.value, origin: { source: filled.source, doc: 0, path: [] } });
        return;
      }
      ev.findings.push(finding('RF901', `${path}:${line}:${column}`, `${path} is not valid TOML: ${firstLine(e)}`, { fix: 'fix the TOML syntax at that position' }));
      return;
    }
    if (mayHoldSecrets(text)) ev.findings.push(...fileSecretFindings(source, [value]));
    ev.artifacts.push({ path, format: 'toml', content: value });
    if (Array.isArray(value.runners)) ev.configTomls.push({ value, origin: { source, doc: 0, path: [] } });
    return;
  }
  if (syntax === 'yaml' && yttTemplate(ev, path, text)) return;
  // YAML is read as yamlFileOf reads it (readYamlText): deep block YAML is refused on the text first,
  // as the spec reader does; quoted scalars whose continuation lines are not indented enough for YAML
  // 1.2 but are for libyaml (Ansible's PyYAML) are read as those readers read them, on the same lines.
  const parse = (t: string): unknown[] => {
    if (t !== text) source = new SourceFile(path, t, syntax);
    return parseDocs(t, syntax, source);
  };
  let read: YamlRead<unknown[]>;
  if (syntax === 'yaml') read = readYamlText(text, parse);
  else {
    try {
      read = { text, read: parse(text) };
    } catch (error) {
      read = { error };
    }
  }
  if ('deep' in read) {
    const before = text.slice(0, read.deep);
    const line = before.split('\n').length;
    ev.findings.push(finding('RF901', `${path}:${line}:${read.deep - before.lastIndexOf('\n')}`, `${path} nests values more than ${MAX_DEPTH} levels deep; no deployment document does, so it is not read`, { fix: 'give the deployment documents only' }));
    return;
  }
  if ('error' in read) {
    const e = read.error;
    const at = errorPosition(e, path);
    if (otherEngineTemplate(ev, path, text, at.line, at.column, syntax === 'json' ? 'JSON' : 'YAML')) return;
    if (markdownFence(ev, path, text, at.line, syntax === 'json' ? 'JSON' : 'YAML')) return;
    ev.findings.push(finding('RF901', formatPosition(at), `${path} is not valid ${syntax === 'json' ? 'JSON' : 'YAML'}: ${firstLine(e)}`, { fix: 'fix the syntax at that position' }));
    if (terraformFileKind(path) === 'vars-json') unreadableVarFile(ev, path, at);
    return;
  }
  const docs = read.read;
  // The plain YAML reader refuses more than 100 levels itself (it leaves such files to the library).
  if (!source.plainYaml && docs.some((d) => depthOver(d, MAX_DEPTH))) {
    ev.findings.push(finding('RF901', `${path}:1:1`, `${path} nests values more than ${MAX_DEPTH} levels deep; no deployment document does, so it is not read`, { fix: 'give the deployment documents only' }));
    return;
  }
  // Secrets first: their values are checked for static cloud keys and dropped before anything else holds them.
  docs.forEach((doc, i) => scrubSecrets(ev, source, doc, i, []));
  // `terraform show -json`: its runner tokens are found by the names the document gives them too.
  const show = docs.length === 1 && isShowJson(docs[0]) ? (docs[0] as Record<string, unknown>) : undefined;
  if (show) ev.findings.push(...showSecretFindings(source, text, show));
  // A CloudFormation parameter declared NoEcho holds a secret by that declaration, whatever its text (secrets.ts noEchoDefault).
  else {
    // An Ansible vars file or playbook: a literal under a runner token variable's name, or a gitlab_runner task's token parameter, whatever its shape (ansible.ts).
    const tokenAt = syntax === 'yaml' && ANSIBLE_TOKEN_KEY.test(text) ? ansibleTokenAt(path, docs) : undefined;
    // A token in an Ansible file is fixed the Ansible way (Ansible Vault, a lookup): secrets.ts ANSIBLE_TOKEN_FIX.
    if (mayHoldSecrets(text) || text.includes('NoEcho') || tokenAt) ev.findings.push(...fileSecretFindings(source, docs, terraformFileKind(path) === 'config-json', undefined, tokenAt, syntax === 'yaml' && ansibleFileKind(path, docs) !== undefined));
  }
  ev.artifacts.push({ path, format: 'yaml', content: docs });
  // Its documents, as read here, for the Ansible readers (the commands of its tasks, the templates they render).
  if (syntax === 'yaml') (ev.yamlSources ??= new Map()).set(path, source);
  // A variable definitions file in JSON: its values are the root's variables' (hcl/read.ts VarFiles).
  if (terraformFileKind(path) === 'vars-json' && docs.length === 1) readTfvarsJsonInto(ev, path, docs[0], (p) => source.locate(0, [...p]));
  docs.forEach((doc, i) => classify(ev, source, doc, { source, doc: i, path: [] }, terraformFileKind(path) === 'config-json'));
}

/**
 * The credentials of a configuration file OpenTofu does not read (a `.tf` beside its `.tofu` twin):
 * the file is still in the repository, so a token or key written in it has leaked all the same
 * (RF940, value not shown). Nothing else of it is evidence. Parsed as its kind says; one that does
 * not parse is not an RF901 (OpenTofu never parses it): its lines are scanned as text instead.
 */
export function unreadConfigSecretFindings(path: string, bytes: Uint8Array): Finding[] {
  const text = UTF8.decode(bytes);
  if (!mayHoldSecrets(text)) return [];
  const kind = terraformFileKind(path);
  const source = new SourceFile(path, text, kind === 'config' ? 'hcl' : 'json');
  try {
    if (kind === 'config') return hclSecretFindings(source, parseHcl(text));
    return fileSecretFindings(source, [JSON.parse(text) as unknown], true);
  } catch (e) {
    if (!(e instanceof HclSyntaxError) && !(e instanceof SyntaxError)) throw e;
    return textSecretFindings(path, text);
  }
}

/** Kubernetes Secrets (alone or in a List): values checked, then removed from the object. */
function scrubSecrets(ev: Evidence, source: SourceFile, doc: unknown, i: number, path: (string | number)[]): void {
  if (!isObject(doc)) return;
  if (doc.kind === 'Secret') ev.findings.push(...scrubSecret(doc, (p) => formatPosition(source.locate(i, [...path, ...p]))));
  else if (Array.isArray(doc.items) && typeof doc.kind === 'string') doc.items.forEach((item, j) => scrubSecrets(ev, source, item, i, [...path, 'items', j]));
  // An OpenShift Template's Secrets, as written (their values are never evidence, substituted or not).
  else if (isOpenShiftTemplate(doc) && Array.isArray(doc.objects)) doc.objects.forEach((o, j) => scrubSecrets(ev, source, o, i, [...path, 'objects', j]));
}

export { MAX_DEPTH };

/**
 * A ytt (Carvel) template: YAML whose `#@` comments are ytt's annotations and code (`#@ load(…)`,
 * `#@ if …:` / `#@ end`, `#@overlay/match …`, `#@data/values`, a value written `key: #@ expr`; ytt's
 * own comments are `#!`: carvel.dev/ytt/docs, "Language" and "Overlays"). A YAML parser reads them
 * as comments, so a document ytt fills in (`name: #@ data.values.namespace`) or drops (`#@ if`) reads
 * wrong: a Namespace with no name, an overlay of data values as chart values (public
 * voor/gitlab-runner-helm-imgpkg). Not read, as the other engines' templates are (RF902 at the first
 * annotation); its credentials still count.
 */
const YTT = /^[ \t]*#@(?:[ \t]|load\(|overlay\/|data\/values|schema\/|template\/|yaml\/|library\/|assert\/|def\b|if\b|for\b|end\b)|:[ \t]+#@[ \t]/m;
function yttTemplate(ev: Evidence, path: string, text: string): boolean {
  if (!text.includes('#@')) return false;
  // A data values file whose only annotation marks it so (`#@data/values` above plain data) is that
  // data as written: ytt reads it as it stands, and so does Helm when it is a chart's values.yaml.
  const annotations = new RegExp(YTT.source, 'gm');
  let code: RegExpExecArray | null = null;
  for (let x = annotations.exec(text); x !== null && code === null; x = annotations.exec(text)) {
    const end = text.indexOf('\n', x.index);
    if (!DATA_VALUES_MARK.test(text.slice(x.index, end < 0 ? text.length : end))) code = x;
  }
  if (code === null) return false;
  const before = text.slice(0, code.index + code[0].indexOf('#@'));
  const line = before.split('\n').length;
  const lineText = text.split('\n', line)[line - 1] ?? '';
  ev.findings.push(finding('RF902', `${path}:${line}:${before.length - before.lastIndexOf('\n')}`, `${path} is a ytt (Carvel) template, not YAML as written: its \`#@\` annotations (${safeText(shownText(lineText.trim(), 60))}, line ${line}) are code ytt runs first, which a YAML reader takes for comments; not read, so what it renders is not proven`, { fix: 'give the YAML ytt renders (`ytt -f <files>`), as applied to the cluster' }));
  ev.findings.push(...textSecretFindings(path, text));
  return true;
}
const DATA_VALUES_MARK = /^[ \t]*#@data\/values(?:-schema)?[ \t]*$/;

/**
 * A file of a TOML, YAML or JSON name that another tool's template engine fills before it is that
 * format (a Juju charm's or Ansible role's `templates/config.toml` with Jinja's `{{concurrent}}`, an
 * ERB `<%= … %>`, a Go template's `{{ .Values.x }}`): when the line the parser stopped on holds such
 * markup, the file is a template, named once (RF902) rather than an RF901 "fix the syntax", and its
 * lines are scanned for credentials as text. What it renders is not shown; markup elsewhere in a file
 * that breaks for another reason stays RF901.
 */

function otherEngineTemplate(ev: Evidence, path: string, text: string, line: number, column: number, format: string): boolean {
  const lineText = text.split('\n', line)[line - 1] ?? '';
  const markup = /\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)|<%.*?(?:%>|$)/.exec(lineText)?.[0];
  if (markup === undefined) return false;
  const shown = shownText(markup, 60);
  ev.findings.push(finding('RF902', `${path}:${line}:${column}`, `${path} is a template of another tool, not ${format} as written: ${safeText(shown)} (line ${line}) is markup a template engine fills first; not read, so what it renders is not proven`, { fix: 'give the file the template renders (as written on the host or in the cluster), or the values the engine fills it with' }));
  ev.findings.push(...textSecretFindings(path, text));
  return true;
}

/**
 * A config.toml written as a Jinja template (jinja-toml.ts): with `[[runners]]`, a config.toml given
 * alone; its lines scanned for credentials as text, as another engine's template is. TOML in neither
 * reading: a template not read (RF902 at the line the parser stopped on), as before.
 */
function readJinjaTomlInto(ev: Evidence, path: string, text: string): void {
  const read = readJinjaToml(path, text);
  if ('error' in read) {
    const e = read.error;
    const line = e instanceof TomlError ? e.line : 1;
    const column = e instanceof TomlError ? e.column : 1;
    if (otherEngineTemplate(ev, path, text, line, column, 'TOML')) return;
    ev.findings.push(finding('RF902', `${path}:${line}:${column}`, `${path} is a Jinja template that is not TOML outside its markup (${firstLine(e)}); not read, so what it renders is not proven`, { fix: 'give the file the template renders (as written on the host), or the values the engine fills it with' }));
    ev.findings.push(...textSecretFindings(path, text));
    return;
  }
  ev.findings.push(...textSecretFindings(path, text));
  // Each reading of its if/else branches (the else's where both set one key), its findings said as conditional.
  for (const r of [read, ...read.alternatives]) if (Array.isArray(r.value.runners)) (ev.jinjaTomls ??= []).push({ value: r.value, origin: { source: r.source, doc: 0, path: [] } });
}

/** A `terraform show -json` document: of a plan (`planned_values`) or a state (`values`). */
function isShowJson(doc: unknown): boolean {
  return isObject(doc) && typeof doc.format_version === 'string' && (isObject(doc.values) || isObject(doc.planned_values));
}

/**
 * What the parser said, on one line. The YAML library ends its first line with the position and a
 * colon (`… at line 1, column 1:`) and shows the line below it; the finding gives the position in its
 * path, so the clause is dropped rather than leaving the message cut off after the colon.
 */
function firstLine(e: unknown): string {
  const line = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  const said = line.replace(/\s*at line \d+, column \d+:?\s*$/, '').replace(/:\s*$/, '');
  return (said === '' ? line : said).slice(0, 300);
}

/**
 * A file of a YAML or JSON name whose text is a Markdown code block (a line of three backticks or
 * tildes, as a snippet copied from a README or a wiki page keeps: "```yml"), where the parser stopped:
 * not YAML as written, so named once (RF902) rather than an RF901 "fix the syntax", and its lines
 * scanned for credentials as text. A fence elsewhere in a file that breaks for another reason stays RF901.
 */
function markdownFence(ev: Evidence, path: string, text: string, line: number, format: string): boolean {
  const lineText = text.split('\n', line)[line - 1] ?? '';
  const fence = /^[ \t]*(?:```|~~~)[\w+-]*[ \t]*\r?$/.exec(lineText)?.[0];
  if (fence === undefined) return false;
  ev.findings.push(finding('RF902', `${path}:${line}:1`, `${path} skipped: a Markdown code block, not ${format} (line ${line} is the fence ${safeText(shownText(fence.trim(), 20))} that opens one); not read, so what it sets is not proven`, { fix: `remove the Markdown fence lines (${fence.trim().slice(0, 3)}) so the file is ${format}, or give the file the deployment applies` }));
  ev.findings.push(...textSecretFindings(path, text));
  return true;
}

function errorPosition(e: unknown, path: string): Position {
  const linePos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
  if (linePos) return { file: path, line: linePos.line, column: linePos.col };
  const m = /line (\d+) column (\d+)/.exec(firstLine(e));
  if (m) return { file: path, line: Number(m[1]!), column: Number(m[2]!) };
  return { file: path, line: 1, column: 1 };
}

function parseDocs(text: string, syntax: 'yaml' | 'json', source: SourceFile): unknown[] {
  if (syntax === 'json') {
    try {
      return [JSON.parse(text) as unknown];
    } catch {
      // Fall through to the YAML parser: it reads JSON too and reports a position.
    }
  }
  if (syntax === 'yaml') {
    // Generated and kubectl-style YAML: read directly; positions, if a finding asks, come from the library then.
    const plain = readPlainYaml(text);
    if (plain) {
      source.adoptPlainYaml();
      return plain;
    }
  }
  const out = parseYamlDocs(text, source, false);
  // A CloudFormation template: read again with its short-form tags (`!Ref x`) as the functions they stand
  // for (`{ Ref: x }`), not as plain strings; any other YAML keeps the library's reading of a tag it does not know.
  return out.some((d) => cloudFormationTypes(d) !== undefined) && CLOUDFORMATION_TAG_USE.test(text) ? parseYamlDocs(text, source, true) : out;
}

function parseYamlDocs(text: string, source: SourceFile, cloudFormation: boolean): unknown[] {
  const lines = new LineCounter();
  // logLevel 'error': a mapping key that is itself a mapping or list (YAML allows it; Kubernetes,
  // Helm and JSON do not) becomes its text as a key, without the library printing a process warning.
  const docs = cloudFormation ? parseAllDocuments(text, { uniqueKeys: false, version: '1.2', lineCounter: lines, logLevel: 'error', customTags: [...CLOUDFORMATION_TAGS] }) : yamlLibraryDocuments(text, lines);
  if (!Array.isArray(docs)) return [];
  // Positions for findings come from these same documents (no second parse).
  source.adoptYaml(docs, lines);
  const out: unknown[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw d.errors[0]!;
    out.push(d.toJS({ maxAliasCount: 100 }));
  }
  return out;
}

const ASSUME_ACTIONS = /^sts:(AssumeRole|AssumeRoleWithWebIdentity|AssumeRoleWithSAML|TagSession|\*)$|^\*$/;

function isPolicy(v: unknown): v is PolicyDocument {
  return isObject(v) && (Array.isArray(v.Statement) || isObject(v.Statement));
}

function isTrustPolicy(doc: PolicyDocument): boolean {
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return list.some((s) => s.Principal !== undefined && [s.Action ?? []].flat().some((a) => ASSUME_ACTIONS.test(String(a))));
}

/** `aws iam get-role` prints the trust document URL-encoded in some versions. */
function policyValue(v: unknown): PolicyDocument | undefined {
  if (isPolicy(v)) return v;
  if (typeof v === 'string') {
    try {
      const parsed = JSON.parse(v.trim().startsWith('%7B') || v.includes('%22') ? decodeURIComponent(v) : v) as unknown;
      return isPolicy(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function roleOf(ev: Evidence, name: string): RoleEvidence {
  let r = ev.roles.get(name);
  if (!r) {
    r = { name, path: '/', policies: [] };
    ev.roles.set(name, r);
  }
  return r;
}

/** A bare policy file names its role in the file name: `<role>.trust.json`, `<role>.policy.json`. */
function roleFromFileName(path: string): string | undefined {
  const base = path.split(/[\\/]/).pop()!;
  const m = /^(.+?)\.(trust|policy|permissions|inline)(\.[^.]+)?\.json$/i.exec(base);
  return m?.[1];
}

/**
 * Whether `apiVersion`/`kind` name an object the Kubernetes API serves (core v1 but a kubeconfig's
 * `Config`, apps, batch, policy, autoscaling, and the `*.k8s.io` groups but the configuration files
 * of components, `*.config.k8s.io`, kubeadm's and controller-runtime's), not a tool's configuration file that borrows the
 * form (kind.x-k8s.io, kustomize.config.k8s.io, skaffold, k3d.io).
 */
function clusterApi(apiVersion: string, kind: string): boolean {
  if (!apiVersion.includes('/')) return apiVersion === 'v1' && kind !== 'Config';
  const group = apiVersion.slice(0, apiVersion.indexOf('/'));
  if (CORE_GROUPS.has(group)) return true;
  return group.endsWith('.k8s.io') && !group.endsWith('.config.k8s.io') && !CONFIG_GROUPS.has(group);
}
/** Groups of configuration files that borrow the object form: kubeadm's, and controller-runtime's ControllerManagerConfig (operators' config/manager). */
const CONFIG_GROUPS = new Set(['kubeadm.k8s.io', 'controller-runtime.sigs.k8s.io']);
const CORE_GROUPS = new Set(['apps', 'batch', 'policy', 'autoscaling', 'extensions']);

export function classify(ev: Evidence, source: SourceFile, doc: unknown, origin: Origin, tfJson: boolean): void {
  // Azure CLI output (az identity, az role assignment, az aks show): one object or a list of them.
  if (!tfJson && readAzCliInto(ev, doc, origin)) return;
  if (!isObject(doc)) return;
  // Positions are computed only for a finding: locating re-reads the file with a line counter.
  const at = () => formatPosition(source.locate(origin.doc, origin.path));
  // A docker-compose file: the runner managers among its services are named (env-managers.ts), nothing else of it is evidence.
  if (!tfJson && isComposeFileName(source.path) && isObject(doc.services) && doc.apiVersion === undefined) {
    (ev.composeFiles ??= []).push({ value: doc, origin });
    return;
  }
  // A kustomization: its namespace is applied to the objects of the files it lists once every file is read (kustomize-namespace.ts).
  if (!tfJson && isKustomization(doc, source.path)) (ev.kustomizations ??= []).push({ value: doc, origin });
  // An Argo CD Application or ApplicationSet, a Flux HelmRelease (and the sources its chartRef names), a kustomization's helmCharts or a k3s HelmChart (and its HelmChartConfig): the chart values it installs, read once every file is (gitops.ts).
  const gitOps = tfJson ? undefined : gitOpsKind(doc, source.path);
  if (gitOps) {
    (ev.gitOps ??= []).push({ kind: gitOps, value: doc, origin });
    return;
  }
  // A runner operator's Runner: the operator makes the manager from it, which the doctor does not model; said once for all (readEvidence).
  const operatorKind = tfJson ? undefined : runnerOperatorKind(doc);
  if (operatorKind) {
    (ev.runnerOperators ??= []).push({ path: source.path, at: at(), kind: operatorKind, name: isObject(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : '' });
    return;
  }
  // An OpenShift Template: the objects `oc process` makes of it, read as documents of this file (openshift-template.ts).
  if (!tfJson && isOpenShiftTemplate(doc)) {
    readTemplate(ev, source, doc, origin);
    return;
  }
  // Kubernetes: single objects, List / kubectl output.
  if (typeof doc.kind === 'string' && typeof doc.apiVersion === 'string') {
    if (Array.isArray(doc.items)) {
      doc.items.forEach((item, i) => {
        const itemOrigin = { ...origin, path: [...origin.path, 'items', i] };
        // kubectl prints every item of a List with its apiVersion and kind; anything else in one is not
        // an object the cluster holds, and is not read as another kind of file either.
        if (isObject(item) && typeof item.kind === 'string' && typeof item.apiVersion === 'string') classify(ev, source, item, itemOrigin, false);
        else ev.findings.push(finding('RF901', formatPosition(source.locate(origin.doc, itemOrigin.path)), `item ${i} of a ${safeText(String(doc.kind), 40)} is ${isObject(item) ? 'a mapping without apiVersion and kind' : item === null ? 'null' : `a ${Array.isArray(item) ? 'list' : typeof item}`}, not a Kubernetes object; the doctor leaves it out`, { fix: 'give the objects as kubectl prints them (kubectl get ... -o json)' }));
      });
      return;
    }
    if (!isObject(doc.metadata) || typeof doc.metadata.name !== 'string') {
      // A tool's configuration file written like an object (kind's Cluster, a Kustomization, a
      // kubeconfig) has no name and is not read; an object of the cluster's API without one is refused by it.
      // One named only by generateName is valid to `kubectl create` (the API server makes the name;
      // `kubectl apply` refuses it): nothing in the files can name it, so it is not read, and it is no error.
      const generated = isObject(doc.metadata) && typeof doc.metadata.generateName === 'string' && doc.metadata.generateName !== '' ? doc.metadata.generateName : undefined;
      if (generated !== undefined && clusterApi(doc.apiVersion, doc.kind)) ev.findings.push(finding('RF902', at(), `a ${doc.kind} named only by metadata.generateName (${safeText(generated, 60)}…): the API server makes its name when \`kubectl create\` creates it, so nothing in the files can name it; not read`, { fix: 'give the object as the cluster holds it (kubectl get -o yaml), or give it a metadata.name' }));
      else if (clusterApi(doc.apiVersion, doc.kind)) ev.findings.push(finding('RF901', at(), `a ${doc.kind} without metadata.name`, { fix: 'give the object as kubectl prints it' }));
      return;
    }
    const shape = kubernetesShapeProblem(doc);
    if (shape) {
      const where = formatPosition(source.locate(origin.doc, [...origin.path, ...shape.path]));
      ev.findings.push(finding('RF901', where, `${doc.kind} ${safeText(doc.metadata.name, 80)}: ${shape.message}; the Kubernetes API refuses such an object, so the doctor leaves it out`, { fix: 'give the object as kubectl prints it (kubectl get -o yaml)' }));
      return;
    }
    ev.kubernetes.push({ value: doc as unknown as K8sObject, origin });
    // An eksctl ClusterConfig also stands for the roles, service accounts and associations it creates.
    if (doc.kind === 'ClusterConfig' && /^eksctl\.io\//.test(doc.apiVersion)) readEksctlIdentities(ev, doc, origin);
    return;
  }
  // terraform show -json (plan or state).
  if (typeof doc.format_version === 'string' && (isObject(doc.values) || isObject(doc.planned_values))) {
    const values = (isObject(doc.planned_values) ? doc.planned_values : doc.values) as Record<string, unknown>;
    const base = isObject(doc.planned_values) ? 'planned_values' : 'values';
    // Added to the evidence with the configurations (hcl/read.ts evaluateConfigs): two deployments' documents may share addresses.
    (ev.terraform.shows ??= []).push({ module: values.root_module, origin: { ...origin, path: [base, 'root_module'] }, ...(doc.resource_changes !== undefined ? { changes: doc.resource_changes } : {}), ...(isObject(doc.configuration) ? { configuration: doc.configuration } : {}) });
    return;
  }
  // Terraform JSON syntax.
  if (tfJson || ((isObject(doc.resource) || isObject(doc.data)) && doc.apiVersion === undefined)) {
    if (typeof doc['//'] === 'string' && doc['//'].includes('runner-fleet')) ev.terraform.generatedByRunnerFleet = true;
    // Providers too: the aws provider is evaluated with the rest of the module (hcl/read.ts evaluateConfigs).
    readTfJsonInto(ev, source, doc, origin);
    return;
  }
  // aws iam get-role
  if (isObject(doc.Role) && typeof doc.Role.RoleName === 'string') {
    const role = roleOf(ev, doc.Role.RoleName);
    if (typeof doc.Role.Path === 'string') role.path = doc.Role.Path;
    const account = typeof doc.Role.Arn === 'string' ? /^arn:[^:]+:iam::(\d{12}):/.exec(doc.Role.Arn)?.[1] : undefined;
    if (account) role.account = account;
    const trust = policyValue(doc.Role.AssumeRolePolicyDocument);
    if (trust) {
      role.trust = trust;
      role.trustOrigin = { ...origin, path: [...origin.path, 'Role', 'AssumeRolePolicyDocument'] };
    }
    return;
  }
  // aws iam get-role-policy
  if (typeof doc.RoleName === 'string' && doc.PolicyDocument !== undefined) {
    const p = policyValue(doc.PolicyDocument);
    if (p) roleOf(ev, doc.RoleName).policies.push({ document: p, origin: { ...origin, path: [...origin.path, 'PolicyDocument'] } });
    return;
  }
  // aws iam get-policy-version: the document of a managed policy; which role it is attached to is not in it.
  if (isObject(doc.PolicyVersion)) {
    const p = policyValue(doc.PolicyVersion.Document);
    const role = roleFromFileName(source.path);
    if (p && role) roleOf(ev, role).policies.push({ document: p, origin: { ...origin, path: [...origin.path, 'PolicyVersion', 'Document'] } });
    else ev.findings.push(finding('RF903', at(), `a managed policy version, but not which role it is attached to`, { fix: 'name the file <role>.policy.json, or give the role\'s inline policies (aws iam get-role-policy)' }));
    return;
  }
  // A bare IAM policy document.
  if (isPolicy(doc)) {
    const name = roleFromFileName(source.path);
    if (!name) {
      ev.findings.push(finding('RF903', at(), `an IAM policy document, but not which role it belongs to`, { fix: 'name the file <role>.trust.json or <role>.policy.json, or give `aws iam get-role --role-name <role>` output' }));
      return;
    }
    const role = roleOf(ev, name);
    if (isTrustPolicy(doc)) {
      role.trust = doc;
      role.trustOrigin = origin;
    } else role.policies.push({ document: doc, origin });
    return;
  }
  // A helm-unittest suite (a chart's tests/*_test.yaml): a chart's test inputs, not a deployment.
  // Said once per chart when every file is read (helm-unittest.ts).
  if (helmUnittestSuite(doc)) {
    (ev.helmUnittestSuites ??= []).push({ path: source.path, at: at(), runner: runnerSuite(doc) });
    return;
  }
  // An AWS CloudFormation template (YAML, or JSON as `cdk synth` writes it): not read; said once for all of them (readEvidence).
  const resourceTypes = cloudFormationTypes(doc);
  if (resourceTypes) {
    (ev.cloudFormation ??= []).push({ path: source.path, at: at(), types: resourceTypes });
    // Its long-lived keys are a fact without reading the stack (RF936).
    ev.findings.push(...cloudFormationKeyFindings(doc, (p) => formatPosition(source.locate(origin.doc, [...origin.path, ...p]))));
    return;
  }
  // An Azure Resource Manager or Packer JSON template: not read; said once per engine (readEvidence).
  const template = unreadTemplate(doc);
  if (template) {
    (ev.unreadTemplates ??= []).push({ path: source.path, at: at(), ...template });
    return;
  }
  // Values of the gitlab-runner chart.
  if (isHelmValues(doc)) {
    // A chart vendored in a charts/ folder (`<parent>/charts/<name>/values.yaml`): its defaults, not a
    // deployment's values. Said, and layered under the parent's values, once every file is read (vendored-chart.ts).
    const dependency = CHART_DEPENDENCY_VALUES.exec(source.path);
    if (dependency) {
      (ev.dependencyChartValues ??= []).push({ name: dependency[1]!, value: doc, origin, at: at() });
      return;
    }
    ev.helmValues.push({ value: doc, origin });
    return;
  }
  // A parent ("umbrella") chart's values: a dependency's values sit under its name (or alias), `gitlab-runner:`.
  // A section with fewer of the runner chart's keys is a dependency's values too where the folder's Chart.yaml names it (umbrella-chart.ts): kept aside.
  const valuesFile = origin.path.length === 0 && /(?:^|\/)values\.ya?ml$/.test(source.path);
  for (const [key, sub] of Object.entries(doc)) {
    if (isObject(sub) && isHelmValues(sub)) ev.helmValues.push({ value: sub, origin: { ...origin, path: [...origin.path, key] } });
    else if (isObject(sub) && valuesFile) (ev.valuesSections ??= []).push({ value: sub, origin: { ...origin, path: [key] } });
  }
}

/** Kinds that may run a runner manager (RF910 names those of a template that were not read); DeploymentConfig is OpenShift's own. */
const WORKLOADS = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'DeploymentConfig']);
const WHY_NO_VALUE = { required: 'required: given when the template is processed', generated: 'generated: `generate` makes a new value each time the template is processed' } as const;

/**
 * The objects of an OpenShift Template, each classified as a document of the file at its place in
 * `objects`: with the parameters that have a value substituted; one that uses a parameter without a
 * value (required, generated), or whose name only creation makes (`generateName`), is said (RF903)
 * and not read; a template that cannot be processed is said (RF902) and none of its objects is read.
 */
function readTemplate(ev: Evidence, source: SourceFile, doc: Record<string, unknown>, origin: Origin): void {
  const name = isObject(doc.metadata) && typeof doc.metadata.name === 'string' ? safeText(doc.metadata.name, 80) : undefined;
  const label = name !== undefined ? `Template ${name}` : 'the Template without metadata.name';
  const Label = label.charAt(0).toUpperCase() + label.slice(1);
  const place = (path: readonly (string | number)[]) => formatPosition(source.locate(origin.doc, [...origin.path, ...path]));
  ev.openShiftTemplate ??= `${label} at ${place([])}`;
  const read = processTemplate(doc);
  if ('problem' in read) {
    (ev.templatesUnread ??= []).push(`${label} at ${place([])} (RF902)`);
    ev.findings.push(finding('RF902', place(read.problem.path), `${Label} is not read: ${safeText(read.problem.message, 200)}; none of the objects it creates is read, so nothing in it is proven`, { fix: 'fix the template, or give the objects it creates (oc process -f <template> -p NAME=value -o yaml)' }));
    return;
  }
  const objects = doc.objects as Record<string, unknown>[];
  for (const o of read.objects) {
    const raw = objects[o.index]!;
    const meta = isObject(raw.metadata) ? raw.metadata : {};
    const named = typeof meta.name === 'string' ? ` ${safeText(meta.name, 80)}` : typeof meta.generateName === 'string' ? ` ${safeText(meta.generateName, 80)}…` : '';
    const what = `${safeText(String(raw.kind), 40)}${named} (objects[${o.index}])`;
    if (o.unknown) {
      if (WORKLOADS.has(String(raw.kind))) (ev.templatesUnread ??= []).push(`the ${what} of ${label} at ${place(o.unknown.path)} (RF903)`);
      const names = o.unknown.names;
      const listed = names.map((n) => `${safeText(n.name, 60)} (${WHY_NO_VALUE[n.why]})`).join(', ');
      ev.findings.push(finding('RF903', place(o.unknown.path), `${Label}: the ${what} uses parameter${names.length > 1 ? 's' : ''} ${listed}, which ${names.length > 1 ? 'have' : 'has'} no value in the template; the doctor does not invent one, so the ${safeText(String(raw.kind), 40)} is not read and nothing is proven from it`, { received: names.map((n) => n.name).join(', '), fix: `give ${names.length > 1 ? 'the parameters values' : 'the parameter a value'} in the template (\`value:\`), or give the objects as processed (oc process -f <template> ${names.map((n) => `-p ${safeText(n.name, 60)}=…`).join(' ')} -o yaml)` }));
      continue;
    }
    const value = o.value!;
    const vmeta = isObject(value.metadata) ? value.metadata : {};
    if (typeof vmeta.name !== 'string' && typeof vmeta.generateName === 'string') {
      // The API server names it at creation (generateName + a random suffix): no name to prove anything by.
      if (WORKLOADS.has(String(raw.kind))) (ev.templatesUnread ??= []).push(`the ${what} of ${label} at ${place(['objects', o.index, 'metadata', 'generateName'])} (RF903)`);
      ev.findings.push(finding('RF903', place(['objects', o.index, 'metadata', 'generateName']), `${Label}: the ${what} has no metadata.name, only generateName, so its name is made when it is created; the doctor does not invent one, so it is not read and nothing is proven from it`, { fix: 'give the object a metadata.name in the template, or give the objects as created (oc get -o yaml)' }));
      continue;
    }
    // A Secret that parameters filled (`data: ${{DATA}}`): its values go before anything holds them.
    if (value.kind === 'Secret') ev.findings.push(...scrubSecret(value, (p) => place(['objects', o.index, ...p])));
    classify(ev, source, value, { ...origin, path: [...origin.path, 'objects', o.index] }, false);
  }
}

/** `<…>/charts/<name>/values.yaml`: a chart Helm keeps as a dependency of the chart above it. */
const CHART_DEPENDENCY_VALUES = /(?:^|\/)charts\/([^/]+)\/values\.ya?ml$/;

/**
 * RF902 for the CloudFormation templates given, one finding for all (at the first): each with the
 * resource types it declares, up to eight templates and a count.
 */
export function cloudFormationFinding(templates: readonly { path: string; at: string; types: readonly string[] }[]): Finding | undefined {
  if (templates.length === 0) return undefined;
  const described = (t: (typeof templates)[number]) => {
    if (t.types.length === 0) return t.path;
    const count = new Map<string, number>();
    for (const type of t.types) count.set(type, (count.get(type) ?? 0) + 1);
    const shown = [...count].slice(0, 6).map(([type, n]) => `${safeText(type, 60)}${n > 1 ? ` ×${n}` : ''}`).join(', ') + (count.size > 6 ? `, and ${count.size - 6} more types` : '');
    return `${t.path} (${t.types.length} resource${t.types.length > 1 ? 's' : ''}: ${shown})`;
  };
  const one = templates.length === 1;
  const listed = templates.slice(0, 8).map(described).join('; ') + (templates.length > 8 ? `; and ${templates.length - 8} more` : '');
  return finding('RF902', templates[0]!.at, `${one ? `${listed} is an AWS CloudFormation template` : `${templates.length} AWS CloudFormation templates: ${listed}`}; the doctor reads CloudFormation only for the access keys and credentials written in it (RF936, RF940), so the runner managers, roles, caches and user data ${one ? 'it declares' : 'they declare'} are not proven`, { fix: 'give what the stack deploys in a form the doctor reads: its roles as `aws iam get-role` and `aws iam get-role-policy` output, and the config.toml its managers write (or write the stack in Terraform or OpenTofu)' });
}

/**
 * The kind of a runner operator's object that declares runners, or undefined: GitLab Runner Operator's
 * `Runner` (apiVersion `apps.gitlab.com/v1beta2`; the operator's README and its api/v1beta2), and
 * alekc/gitlab-runner-operator's `Runner` and `MultiRunner` (`gitlab.k8s.alekc.dev/…`).
 */
function runnerOperatorKind(doc: Record<string, unknown>): string | undefined {
  if (typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') return undefined;
  const group = doc.apiVersion.split('/')[0];
  if (group === 'apps.gitlab.com' && doc.kind === 'Runner') return 'GitLab Runner Operator Runner';
  if (group === 'gitlab.k8s.alekc.dev' && (doc.kind === 'Runner' || doc.kind === 'MultiRunner')) return `gitlab.k8s.alekc.dev ${doc.kind}`;
  return undefined;
}

/**
 * RF902 for the runner operators' Runner objects given, one finding for all (at the first): the
 * operator, not the files, makes the manager Deployment, its service account, RBAC and config.toml.
 */
export function runnerOperatorFinding(objects: readonly { path: string; at: string; kind: string; name: string }[]): Finding | undefined {
  if (objects.length === 0) return undefined;
  const listed = objects
    .slice(0, 6)
    .map((o) => `${o.kind} ${o.name === '' ? '(no name)' : safeText(o.name, 60)} in ${o.path}`)
    .join('; ') + (objects.length > 6 ? `; and ${objects.length - 6} more` : '');
  const one = objects.length === 1;
  return finding('RF902', objects[0]!.at, `${one ? `a runner operator's object is given: ${listed}` : `${objects.length} runner operator objects are given: ${listed}`}; the operator makes the runner manager from ${one ? 'it' : 'them'} (its Deployment, service account, RBAC and config.toml), which the doctor does not model, so none of that is proven`, { fix: 'give what the operator made as the cluster holds it: kubectl get deployment,serviceaccount,role,rolebinding,configmap -n <namespace> -o yaml (or --kube-dump)' });
}

const HELM_KEYS = ['gitlabUrl', 'runnerToken', 'runnerRegistrationToken', 'runners', 'rbac', 'serviceAccount', 'concurrent', 'checkInterval', 'unregisterRunners'];

function isHelmValues(doc: Record<string, unknown>): boolean {
  const keys = HELM_KEYS.filter((k) => k in doc);
  return keys.length >= 2 || (isObject(doc.runners) && ('config' in doc.runners || 'secret' in doc.runners));
}

/**
 * A helm-unittest test suite (github:helm-unittest/helm-unittest, DOCUMENT.md "Test Suite": a YAML
 * file of top-level `suite` (its name), `templates` (the chart's templates it renders), `tests`
 * (each job with `it`, `set`, `values`, `template` and `asserts`), and `release`, `capabilities`,
 * `chart`, `values`, `set` for every job): recognised by `tests` holding a job with `asserts`
 * beside `suite`, `templates` or a job's `it`. No Kubernetes object, values or config has those keys together.
 */
function helmUnittestSuite(doc: Record<string, unknown>): boolean {
  if (!Array.isArray(doc.tests) || !doc.tests.some((t) => isObject(t) && Array.isArray(t.asserts))) return false;
  // `suite` is optional and `templates` recommended (DOCUMENT.md): a job's `it` names a suite without them.
  return typeof doc.suite === 'string' || Array.isArray(doc.templates) || doc.tests.some((t) => isObject(t) && typeof t.it === 'string');
}

