import { registerCommandFindings } from './register-command.js';
import { throughLinks } from './kustomize-build.js';
import { atUserDataLine } from './user-data-finding.js';
import { userDataFileNotGiven, userDataWhy } from './vm.js';
import { sortFindings, type Finding, type SecretPlace } from '../spec/findings.js';
import { alsoAt } from './secrets.js';
import { CODES } from '../spec/codes.js';
import { chainClaimOf, verifyFleet, type Proof } from '../verify/index.js';
import { CONFIG_TOML_MARK } from '../verify/docker-escape.js';
import { privilegedFlagFix, privilegedSettingFix } from '../verify/runner-toml.js';
import { CHAIN_KEYS } from '../verify/kubernetes-chain.js';
import { jobsNamespaceObject } from '../verify/pod-security.js';
import { emptyEvidence, type Evidence } from './evidence.js';
import { cloudFormationFinding, readFileInto, runnerOperatorFinding, unreadConfigSecretFindings } from './read.js';
import { unreadTemplateFindings } from './deployment-templates.js';
import { readGitOpsReleases } from './gitops.js';
import { readUmbrellaValues } from './umbrella-chart.js';
import { readHelmCommands } from './helm-command.js';
import { applyAnsibleNamespaces, readAnsibleHelmTasks, readAnsibleK8sTasks } from './ansible-k8s.js';
import { markRefusedNamespaces, refusedNamespaceFindings } from './namespace-names.js';
import { generateKustomizeObjects } from './kustomize-generate.js';
import { applyKustomizeNamespaces, oneInComponents } from './kustomize-namespace.js';
import { kustomizeGeneratorFiles } from '../io/kustomize-resources.js';
import { applyArgoDestinations } from './argo-destination.js';
import { inferDeployment } from './infer.js';
import { doctorRules } from './rules.js';
import { azureRules, azureWhere } from './azure-rules.js';
import { formatPosition, originAt, type Origin } from './source.js';
import { runnerModuleTasks } from './ansible.js';
import { configTomlTemplates } from './ansible-template.js';
import { sudoersTemplateFiles } from './host-grants.js';
import { tomlFillers } from './sed-toml.js';
import { offsetInOriginal, type YamlFile } from './yaml-documents.js';
import { LineIndex } from './hcl/ast.js';
import { shownText } from '../verify/credentials.js';
import type { Inferred } from './infer.js';
import { awsRules, readAwsInto, rolesOfOneName, screenPolicies, type AwsReadSummary } from './aws.js';
import { evaluateTerraform } from './terraform.js';
import { MARKED_ADDRESS, SCOPED_SYMBOL, normalPath, rootMark } from './hcl/eval.js';
import { chartDefaultKept, vendoredChartDefaults } from './vendored-chart.js';
import { GitIgnores, isGitIgnoreName } from './git-ignore.js';
import { oneAcrossRoots, rootsOfFinding, type RootLabel } from './across-roots.js';
import { moduleFileReferences, terraformFolderOf, workingDirFileReferences } from './hcl/read.js';
import type { AwsReadPort } from './aws-port.js';
import { AUDIENCE_ANNOTATION } from '../platforms/eks/names.js';
import { platformFor } from '../platforms/registry.js';
import { platformReadersOf } from './platform-readers.js';
import { atEditSite } from './edit-site.js';
import { getText } from '../verify/get.js';
import { withoutSensitive } from './sensitive.js';
import { clearStringsOf } from './clear-strings.js';
import { hiddenByTofu, isTerraformConfig } from './terraform-files.js';
import { envRegisteredManagers, type EnvManager } from './env-managers.js';
import { envRegistrationTokenFindings } from './register-env.js';
import { isConfigTomlExampleName } from '../io/file-names.js';
import { helmUnittestFindings, withHelmUnittestSuites } from './helm-unittest.js';
import { VM_MANAGER_RESOURCES } from './aws-instance.js';
import { trimEnd } from '../model/trim.js';

/** Files larger than this are not searched for the name of an example config.toml (a step that copies it is a short script). */
const MAX_NAMING_BYTES = 1024 * 1024;

/** One file the user gave, as bytes (the CLI reads them; the doctor itself does no I/O). */
export interface InputFile {
  path: string;
  bytes: Uint8Array;
  /** Size on disk when `bytes` was not read (a file over the limit). */
  size?: number;
  /** Set when `size` is only a lower bound (a stream cut at the limit: /dev/zero, a pipe). */
  cut?: true;
  /** Why an entry found while walking a folder could not be read (a dangling link): it is skipped. */
  unreadable?: string;
  /** With `unreadable`: what to do when it is not to mend a dangling link (a link out of the folders given, a name not in UTF-8). */
  unreadableFix?: string;
  /** A file found while walking a folder that looks like part of a deployment but is of a kind the doctor does not read (terragrunt.hcl, a Dockerfile): named once, not read. */
  notRead?: true;
  /** A file found by walking a folder (not named itself): every file of its folder the doctor reads was given with it. */
  inFolder?: true;
  /** A folder found by walking a folder that is, through a symbolic link, the folder of this path (walked already): not read. */
  sameFolderAs?: string;
  /** A file a kustomization lists in `resources` or `bases`: read as YAML (or JSON) whatever its name, as kustomize reads it (given once more with this set, it replaces the walk's copy). */
  kustomizeResource?: true;
}

export interface DoctorResult {
  /** 0: no error findings; 1: error findings (as `plan`). */
  exitCode: 0 | 1;
  findings: Finding[];
  proofs: Proof[];
  /** Per runner chain: what was found (manager, jobs, cache) with positions. */
  chains: Map<string, string[]>;
  files: number;
}

const baseName = (path: string) => path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);

/**
 * The folders whose Terraform configuration was given whole: a walk of the folder found its files
 * (`inFolder`) and read every one of them (none over the size limit, cut or unreadable). A name no
 * file of such a folder declares is declared nowhere (RF913), where in files named one by one it may
 * be in a file not given (RF903).
 */
function wholeTerraformFolders(files: readonly InputFile[]): Set<string> {
  const whole = new Set<string>();
  const partial = new Set<string>();
  for (const f of files) {
    if (f.notRead === true || !isTerraformConfig(f.path)) continue;
    const dir = terraformFolderOf(f.path);
    if (f.inFolder === true && f.unreadable === undefined && f.cut !== true && !(f.bytes.byteLength === 0 && (f.size ?? 0) > 0)) whole.add(dir);
    else partial.add(dir);
  }
  for (const dir of partial) whole.delete(dir);
  return whole;
}

/** Reads the files into evidence: every problem with a file is a finding for that file. */
export function readEvidence(given: readonly InputFile[]): Evidence {
  const ev = emptyEvidence();
  // `.gitignore` files: their patterns (git-ignore.ts), not deployment files; not counted as read.
  let files = given;
  if (given.some((f) => isGitIgnoreName(f.path))) {
    const ignores = new GitIgnores();
    for (const f of given) if (isGitIgnoreName(f.path) && f.notRead !== true && f.unreadable === undefined) ignores.add(f.path, new TextDecoder().decode(f.bytes));
    if (ignores.size > 0) ev.gitIgnores = ignores;
    files = given.filter((f) => !isGitIgnoreName(f.path));
  }
  // The files the Terraform given reads from its folders (file("${path.module}/ca.crt")): read as text
  // whatever their extension, so the evaluator has them (before: RF902 skipped, then RF903 at the call).
  // OpenTofu's extension precedence, once for every folder given: foo.tofu hides foo.tf (terraform-files.ts).
  const hidden = hiddenByTofu(files.filter((f) => f.unreadable === undefined && f.notRead !== true).map((f) => f.path));
  const terraform = files.filter((f) => f.unreadable === undefined && f.notRead !== true && !hidden.has(f.path) && isTerraformConfig(f.path)).map((f) => ({ path: f.path, text: new TextDecoder().decode(f.bytes) }));
  // And the files kustomize generators read (a role ARN in a .txt a replacement copies), as text too.
  const referenced = new Set([...moduleFileReferences(terraform), ...workingDirFileReferences(terraform), ...files.filter((f) => f.notRead !== true).flatMap((f) => kustomizeGeneratorFiles(f.path, f.bytes))].map(normalPath));
  ev.terraform.wholeFolders = wholeTerraformFolders(files);
  // What exists: every file given, and the folders walked whole (kustomize-build.ts: a resource not among them does not exist).
  ev.givenPaths = new Set(files.filter((f) => f.sameFolderAs === undefined).map((f) => normalPath(f.path)));
  ev.walkedFolders = new Set(files.filter((f) => f.inFolder === true).map((f) => normalPath(f.path).replace(/[^/]*$/, '')));
  // Folders a walk reached again through a symbolic link: the folder each is (kustomize follows the link to it).
  const links = files.filter((f) => f.sameFolderAs !== undefined).map((f) => [`${trimEnd(normalPath(f.path), '/')}/`, `${trimEnd(normalPath(f.sameFolderAs!), '/')}/`] as const);
  if (links.length > 0) ev.folderLinks = new Map(links);
  // A generator's file named through such a link is the file in the folder it is: read as text there too.
  if (ev.folderLinks) for (const p of [...referenced]) referenced.add(throughLinks(ev, p));
  files = files.filter((f) => f.sameFolderAs === undefined);
  // A file given by a path through such a link (io/kustomize-resources.ts reads a generator's file by
  // the path its kustomization writes) is the file in the folder it is: given by that path, and once
  // (a kustomization's resource stays, read once as that below).
  if (ev.folderLinks) {
    const given = new Set(files.map((f) => normalPath(f.path)));
    files = files.flatMap((f) => {
      const p = normalPath(f.path);
      const real = throughLinks(ev, p);
      if (real === p) return [f];
      if (given.has(real) && f.kustomizeResource !== true) return [];
      given.add(real);
      ev.givenPaths!.add(real);
      return [{ ...f, path: real }];
    });
  }
  // A file given again as a kustomization's resource (io/kustomize-resources.ts) is read once, as that.
  const asResource = new Set(files.filter((f) => f.kustomizeResource === true).map((f) => f.path));
  if (asResource.size > 0) files = files.filter((f) => f.kustomizeResource === true || !asResource.has(f.path));
  const read = new Set(files.filter((f) => f.notRead !== true).map((f) => f.path));
  // Templates an Ansible template: task renders onto a config.toml (ansible-template.ts): read as config.toml.j2 is.
  const yamlTexts = files.filter((f) => f.notRead !== true && f.unreadable === undefined && /\.ya?ml$/i.test(f.path)).map((f) => ({ path: normalPath(f.path), text: new TextDecoder().decode(f.bytes) }));
  const givenNames = new Set(files.map((f) => normalPath(f.path)));
  const rendered = configTomlTemplates(yamlTexts, givenNames);
  if (rendered.size > 0) ev.configTomlTemplates = rendered;
  // Templates an Ansible template: task renders onto sudoers (host-grants.ts): read as text whatever their name, for their NOPASSWD lines.
  for (const p of sudoersTemplateFiles(yamlTexts, givenNames)) referenced.add(p);
  // Placeholders of a config.toml template a script fills with sed or envsubst before the runner reads it (sed-toml.ts).
  const fillers = tomlFillers(files.filter((f) => f.notRead !== true && f.unreadable === undefined && f.bytes.byteLength <= MAX_NAMING_BYTES && !/\.(?:toml|tf|json)$/i.test(f.path)).map((f) => ({ path: f.path, text: new TextDecoder().decode(f.bytes) })));
  if (fillers.length > 0) ev.tomlFillers = fillers;
  // An example copy of a config.toml that another file names (`cp config.toml.example /etc/gitlab-runner/config.toml`, a Dockerfile's COPY): deployed, so read as a config.toml.
  const examples = files.filter((f) => f.notRead !== true && isConfigTomlExampleName(f.path));
  if (examples.length > 0) {
    const names = new Map(examples.map((f) => [f.path.split(/[\\/]/).pop()!, normalPath(f.path)]));
    const copied = new Set<string>();
    for (const f of files) {
      if (isConfigTomlExampleName(f.path) || f.bytes.byteLength > MAX_NAMING_BYTES) continue;
      const text = new TextDecoder().decode(f.bytes);
      for (const [name, path] of names) if (text.includes(name)) copied.add(path);
    }
    if (copied.size > 0) ev.copiedExamples = copied;
  }
  const notRead: string[] = [];
  for (const f of files) {
    if (f.notRead === true) {
      // Read after all when the Terraform reads it (the CLI then gives it again, with its bytes).
      if (!read.has(f.path)) notRead.push(f.path);
      continue;
    }
    const instead = hidden.get(f.path);
    if (instead !== undefined) {
      ev.files++;
      ev.findings.push({ code: 'RF902', severity: CODES.RF902.severity, path: `${f.path}:1:1`, message: `${f.path} is not read: ${baseName(instead)} is in the same folder, and OpenTofu reads a .tofu file instead of the .tf file of the same name (Terraform would read ${baseName(f.path)} and not ${baseName(instead)}); the deployment is checked as OpenTofu applies it, and only the credentials written in ${baseName(f.path)} are looked for (RF940)`, fix: `if Terraform, not OpenTofu, applies this folder, give ${baseName(f.path)} without ${baseName(instead)}` });
      // Still a file of the repository: a credential written in it has leaked whichever tool runs.
      ev.findings.push(...unreadConfigSecretFindings(f.path, f.bytes));
      continue;
    }
    if (f.unreadable !== undefined) {
      ev.files++;
      ev.findings.push({ code: 'RF902', severity: CODES.RF902.severity, path: `${f.path}:1:1`, message: `${f.path} cannot be read (${f.unreadable}); skipped`, fix: f.unreadableFix ?? 'remove the dangling link, or name the files to read' });
      continue;
    }
    try {
      readFileInto(ev, f.path, f.bytes, f.size ?? f.bytes.byteLength, f.cut === true, referenced.has(normalPath(f.path)), f.kustomizeResource === true);
    } catch (e) {
      // A parser bug must not stop the others; say which file.
      ev.findings.push({ code: 'RF901', severity: 'error', path: `${f.path}:1:1`, message: `${f.path} could not be read: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!}` });
    }
  }
  // A vendored gitlab-runner chart's own values.yaml, as shipped: its defaults, not a deployment's values (vendored-chart.ts).
  vendoredChartDefaults(ev);
  // The objects Ansible k8s tasks apply, as a manifest's (ansible-k8s.ts).
  const ansibleNamespaces = readAnsibleK8sTasks(ev);
  // Namespaces (and service account names) written that Kubernetes refuses, as written (namespace-names.ts).
  refusedNamespaceFindings(ev);
  // The namespace a k8s task gives its objects that name none (RF948 at the task where refused).
  applyAnsibleNamespaces(ev, ansibleNamespaces);
  // The ConfigMaps and Secrets kustomize generators make, as objects of their kustomization's build (kustomize-generate.ts).
  generateKustomizeObjects(ev);
  applyKustomizeNamespaces(ev);
  applyArgoDestinations(ev);
  readGitOpsReleases(ev);
  // `helm install|upgrade|template` of the runner chart in scripts, Makefiles and CI files (helm-command.ts).
  readHelmCommands(ev);
  // Ansible helm tasks of the runner chart (ansible-k8s.ts).
  readAnsibleHelmTasks(ev);
  // Objects and releases in a namespace Kubernetes refuses are not deployed: their namespace is not matched (namespace-names.ts).
  markRefusedNamespaces(ev);
  // A parent chart's values.yaml no release installs: its gitlab-runner dependencies' sections as Helm renders them (umbrella-chart.ts).
  readUmbrellaValues(ev);
  ev.findings.push(...helmUnittestFindings(ev.helmUnittestSuites ?? [], ev.texts?.keys() ?? []));
  const cloudFormation = cloudFormationFinding(ev.cloudFormation ?? []);
  if (cloudFormation) ev.findings.push(cloudFormation);
  ev.findings.push(...unreadTemplateFindings(ev.unreadTemplates ?? []));
  const operators = runnerOperatorFinding(ev.runnerOperators ?? []);
  if (operators) ev.findings.push(operators);
  if (notRead.length > 0) {
    const shown = notRead.slice(0, 8).join(', ');
    ev.findings.push({ code: 'RF902', severity: CODES.RF902.severity, path: `${notRead[0]!}:1:1`, message: `${notRead.length} file(s) in the folders given look like part of the deployment but are of a kind the doctor does not read (Terragrunt or other HCL, .tofuvars, env files, image builds, other templates, Jsonnet, Bicep), so nothing in them is checked: ${shown}${notRead.length > 8 ? `, and ${notRead.length - 8} more` : ''}`, fix: 'give what they make in a form the doctor reads: `terraform show -json` of a plan, the rendered config.toml, YAML or user data' });
  }
  return ev;
}

/**
 * The doctor: documents and intent inferred from an existing deployment's files, then the same
 * `verifyFleet` that proves generated fleets. Findings about a runner, cache or cluster point at
 * the file position of the evidence that declared it.
 */
export function doctor(files: readonly InputFile[]): DoctorResult {
  return doctorEvidence(readEvidence(files));
}

/**
 * `doctor --aws`: the files, then read-only AWS reads of what they name (through `port`), then
 * the same inference, proofs and rules over both.
 */
export async function doctorWithAws(files: readonly InputFile[], port: AwsReadPort, opts: { clusters?: readonly string[]; region?: string } = {}): Promise<DoctorResult & AwsReadSummary> {
  const ev = readEvidence(files);
  // The Terraform first: the roles, clusters and chart values only it states (helm_release values,
  // HCL resources) are names the live reads look up, and roles it documents are not read again.
  evaluateTerraform(ev);
  const summary = await readAwsInto(ev, port, opts);
  return { ...doctorEvidence(ev), ...summary };
}

/** The doctor over evidence already read (files, live reads). */
export function doctorEvidence(ev: Evidence): DoctorResult {
  screenPolicies(ev);
  const inferred = inferDeployment(ev);
  // The doctor's own scan (RF940, with positions) covers the files: verify's scan of the same data would be dropped.
  const verification = verifyFleet(inferred.intent, inferred.docs, { selfCheck: false, credentialScan: false, deployment: true });
  // Of several Azure deployments given together, a runner's findings are placed in its own deployment's files.
  const azureOfFinding = (f: Finding) => {
    const m = /^runners\[(\d+)\]/.exec(f.path);
    return (m ? inferred.azureOfRunner.get(Number(m[1])) : undefined) ?? inferred.azure;
  };
  const relocate = (f: Finding): Finding => {
    // User data only Terraform knows (RF906): why, in the evaluator's words (the variable, resource or function), where it says.
    const unknown = f.subject?.kind === 'resource' ? f.subject.userDataUnknown : undefined;
    if (unknown !== undefined && f.subject?.kind === 'resource') {
      const why = userDataWhy(ev, f.subject.address);
      if (why !== undefined) f = { ...f, message: f.message.replace(unknown.said, `${unknown.said}: ${why}`) };
    }
    // User data that is a file not among the files given (RF106): said in the deployment's terms.
    const file = f.subject?.kind === 'resource' ? f.subject.userDataFile : undefined;
    if (file !== undefined && f.subject?.kind === 'resource') f = userDataFileNotGiven(f, ev, f.subject.address, file.written);
    // A line of a launch template's user data (RF720): where the user wrote that line.
    if (f.subject?.kind === 'resource' && f.subject.userDataLine !== undefined) {
      const placed = atUserDataLine(f, ev, inferred.docs);
      if (placed !== f) return placed;
    }
    if (f.subject?.kind === 'resource') {
      // Rules over the documents say which Terraform resource they are about (their subject): point at it in the file given.
      // A resource of a module is keyed by its dotted address (aws_iam_role.module.<call>.<name>): the longest key known.
      const parts = f.subject.address.split('.');
      let origin: Origin | undefined;
      for (let n = parts.length; !origin && n >= 2; n--) origin = ev.terraform.origins.get(parts.slice(0, n).join('.')) ?? inferred.azure.origins.get(parts.slice(0, n).join('.'));
      if (origin) return { ...f, path: formatPosition(originAt(origin)) };
    }
    if (f.path === '') return f;
    const m = /^(runners|caches|clusters)\[(\d+)\]/.exec(f.path);
    if (!m) return f;
    // A setting of the config.toml a VM runner boots with: its line (in the user data, or the file).
    const mark = f.path.indexOf(CONFIG_TOML_MARK);
    const locate = m[1] === 'runners' && mark > 0 ? inferred.tomlAt.get(Number(m[2])) : undefined;
    if (locate) {
      // formatPath's parts: bare keys, [index], and ["quoted key"] (a services_devices image glob).
      const at = [...f.path.slice(mark + CONFIG_TOML_MARK.length).matchAll(/\[("(?:[^"\\]|\\.)*")\]|([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g)].map((x) => (x[1] !== undefined ? (JSON.parse(x[1]) as string) : x[3] !== undefined ? Number(x[3]) : x[2]!));
      const place = locate(at);
      const about = inferred.intent.runners[Number(m[2])]?.name;
      const where = [about !== undefined ? `runner ${about}` : '', place.where].filter((x) => x !== '').join(', ');
      return { ...f, path: place.path, message: where !== '' ? `${where}: ${f.message}` : f.message };
    }
    // A reference of the chain proof: the key of the user's file it is about.
    const chainKey = m[1] === 'runners' ? (Object.keys(CHAIN_KEYS) as (keyof typeof CHAIN_KEYS)[]).find((k) => f.path.slice(m[0].length) === CHAIN_KEYS[k]) : undefined;
    const keyOrigin = chainKey !== undefined ? inferred.chainKeys.get(Number(m[2]))?.[chainKey] : undefined;
    if (keyOrigin) {
      const about = inferred.intent.runners[Number(m[2])]?.name;
      return { ...f, path: formatPosition(originAt(keyOrigin)), message: about !== undefined && !f.message.includes(about) ? `runner ${about}: ${f.message}` : f.message };
    }
    // The runner's namespace (its Pod Security labels, RF307): the Namespace object of the files, where one is given.
    if (m[1] === 'runners' && f.path.slice(m[0].length) === '.placement.namespace') {
      const about = inferred.intent.runners[Number(m[2])]?.name;
      const runner = inferred.intent.runners[Number(m[2])];
      const ns = runner ? jobsNamespaceObject(inferred.docs, runner)?.metadata.name : undefined;
      const given = ns !== undefined ? ev.kubernetes.find((k) => k.value.kind === 'Namespace' && k.value.metadata.name === ns) : undefined;
      if (given) return { ...f, path: formatPosition(originAt(given.origin)), message: about !== undefined && !f.message.includes(about) ? `runner ${about}: ${f.message}` : f.message };
    }
    // A job setting of a VM runner's config.toml (privileged): its line in the user data, as for the settings above.
    const vmTomlKey = m[1] === 'runners' && !inferred.runnerTomls.has(Number(m[2])) && (f.path.slice(m[0].length).startsWith('.jobs.') || f.path.slice(m[0].length) === '.cache') ? VM_TOML_KEYS.find(([suffix]) => f.path.slice(m[0].length) === suffix) : undefined;
    const vmLocate = vmTomlKey ? inferred.tomlAt.get(Number(m[2])) : undefined;
    if (vmTomlKey && vmLocate) {
      const about = inferred.intent.runners[Number(m[2])]?.name;
      const executor = getText(inferred.docs.runners.get(about ?? '')?.configToml, 'runners', 0, 'executor');
      const place = vmLocate(vmTomlKey[1](executor.startsWith('docker') ? 'docker' : executor));
      const where = [about !== undefined && !f.message.includes(about) ? `runner ${about}` : '', place.where].filter((x) => x !== '').join(', ');
      // A config.toml rebuilt from register flags: the fix names the flag the user wrote, not the key it sets.
      const fix = f.code === 'RF301' && place.flag !== undefined ? { fix: privilegedFlagFix(place.flag) } : {};
      return { ...f, path: place.path, message: where !== '' ? `${where}: ${f.message}` : f.message, ...fix };
    }
    const table = m[1] === 'runners' ? inferred.runnerOrigins : m[1] === 'caches' ? inferred.cacheOrigins : inferred.clusterOrigins;
    // A finding about a setting of the runner configuration points at its key there (inside the values' runners.config block too).
    const toml = m[1] === 'runners' ? inferred.runnerTomls.get(Number(m[2])) : undefined;
    const key = toml ? TOML_KEYS.find(([suffix]) => f.path.slice(m[0].length) === suffix)?.[1](toml.executor) : undefined;
    const origin: Origin | undefined = toml && key ? { ...toml.origin, path: [...toml.origin.path, ...key] } : table.get(Number(m[2]));
    if (!origin) return f;
    const about = m[1] === 'runners' ? inferred.intent.runners[Number(m[2])]?.name : undefined;
    // Privileged set where the user wrote it (an env variable register reads): the fix names that, not config.toml's key.
    const written = f.code === 'RF301' && toml && key ? origin.source.writtenAs(origin.doc, origin.path) : undefined;
    return { ...f, path: formatPosition(originAt(origin)), message: about !== undefined && !f.message.includes(about) ? `runner ${about}: ${f.message}` : f.message, ...(written !== undefined ? { fix: privilegedSettingFix(written) } : {}) };
  };
  // A resource the proofs looked up under runner-fleet's key is named as the user wrote it.
  const renamed = ev.terraform.renamed;
  // A resource read as another type (an aws_instance as the launch template the proofs look up) is
  // named as written, and so is its kind: "launch template aws_instance.x" reads "instance aws_instance.x".
  // A symbol the evaluator made up for an issuer's host path is shown as the expression the user wrote.
  const shownAs = ev.terraform.shownAs;
  const symbolsShown = (text: string): string => (shownAs ? text.replace(/\$\{local\.oidc_issuer_host_path(?:_\d+)?(?:__rfroot\d+)?\}/g, (k) => shownAs.get(k) ?? k) : text);
  // A resource of a root given beside another that declares the same address is named with its root's folder.
  const marks = ev.terraform.rootMarks;
  // A variable or local of one of several roots is shown as written (`var.namespace`), without its root's scope.
  const scoped = ev.terraform.rootsScoped === true;
  const rootsShown = (text: string): string => {
    const own = scoped ? text.replace(SCOPED_SYMBOL, '$1') : text;
    return marks ? own.replace(MARKED_ADDRESS, (_, head: string | undefined, name: string, i: string) => `${marks.get(rootMark(Number(i))) ?? '.'}/${head ?? ''}${name}`) : own;
  };
  // A fix is pasted: a reference in its Terraform (`value = aws_iam_role.manager.arn`) is written as
  // the root's own files write it, and the fix says in words which folder it is for.
  const fixShown = (text: string): string => (marks ? referencesOfRoots(text, marks, rootsShown) : rootsShown(text));
  const written = (text: string): string => moduleAddresses(symbolsShown(renamed ? text.replace(/\b(aws_[a-z0-9_]+\.(?:module\.[A-Za-z0-9_-]+(?:\[[^\]\n]*\])?\.)*[A-Za-z0-9_-]+)/g, (k: string) => renamed.get(k) ?? k).replace(/\blaunch template (aws_instance\.)/g, 'instance $1').replace(/\blaunch template (aws_spot_instance_request\.)/g, 'spot instance request $1').replace(/\blaunch template (aws_launch_configuration\.)/g, 'launch configuration $1') : text));
  const asWritten = (text: string): string => rootsShown(written(text));
  // What the doctor shows of a finding that named the marked roots' resources (a module call's fix, as written, in deploymentFix …).
  const marked = (f: Finding): Partial<Finding> => Object.fromEntries((['deploymentFix', 'deploymentReceived', 'deploymentAllowed', 'acceptedBecause'] as const).filter((k) => f[k] !== undefined).map((k) => [k, k === 'deploymentFix' ? fixShown(f[k]!) : rootsShown(f[k]!)]));
  // A finding is named in two steps: as the user's files write it (renamed, module addresses, issuer symbols),
  // then with its roots' folders, so that what several roots say alike of one module file is said once between them.
  const namedAsWritten = (f: Finding): Finding => ({ ...f, message: written(f.message), ...(f.fix !== undefined ? { fix: written(f.fix) } : {}), ...(f.received !== undefined ? { received: symbolsShown(f.received) } : {}), ...(f.allowed !== undefined ? { allowed: symbolsShown(f.allowed) } : {}) });
  const namedInRoots = (f: Finding): Finding => ({ ...f, message: rootsShown(f.message), ...(f.fix !== undefined ? { fix: fixShown(f.fix) } : {}), ...(f.received !== undefined ? { received: rootsShown(f.received) } : {}), ...(f.allowed !== undefined ? { allowed: rootsShown(f.allowed) } : {}), ...(marks || scoped ? marked(f) : {}) });
  const oneName = rolesOfOneName(ev, inferred);
  // A template Terraform reads (templatefile("${path.module}/policies/x.json", …)) is not a document of
  // its own: what the readers said of it alone (RF903 a policy of no role, RF901 a template that is not
  // JSON before it is rendered) is not said. Its credentials (RF940) still are.
  // Also those a call that Terraform never makes here would read (a resource of count 0).
  const read = new Set([...(ev.terraform.filesRead ?? []), ...moduleFileReferences([...(ev.texts ?? [])].map(([path, text]) => ({ path, text }))).map(normalPath)]);
  const ofTemplate = (f: Finding): boolean => (f.code === 'RF903' || f.code === 'RF901') && read.has(normalPath(f.path.replace(/:\d+:\d+$/, '')));
  // Their identity and cache proofs read one copy of the role for all (RF903 says so): what they find
  // about such a runner (RF1xx, RF2xx at runners[i]) is not shown either way, neither error nor pass.
  const oneNameAt = new Set(inferred.intent.runners.filter((r) => oneName.runners.has(r.name)).map((r) => r.index));
  const ofOneName = (f: Finding): boolean => {
    const i = oneNameAt.size > 0 && /^RF[12]\d\d$/.test(f.code) ? /^runners\[(\d+)\](?:\.|$)/.exec(f.path) : null;
    return i !== null && oneNameAt.has(Number(i[1]));
  };
  // Managers that register at boot (`gitlab-runner register` flags): their risky flags where they are written.
  const registering = registerCommandFindings(ev.texts ?? new Map(), ev.terraform.templateVars, ev.yamlSources);
  // Containers configured by register's environment (an ECS task definition, a Kubernetes workload of a custom image): RF910 names them.
  // Where another manager was found, each of them is still named: an RF903 of its own at its definition.
  const envManagers = envRegisteredManagers(ev);
  const noManager = inferred.findings.some((f) => f.code === 'RF910');
  // Ansible tasks that register a runner through GitLab's API (community.general.gitlab_runner): RF910 names them too.
  const apiRegistered = noManager ? runnerModuleTasksIn(ev.texts ?? new Map(), ev.yamlSources) : [];
  const inferredFindings = [...(registering.commands.length > 0 || apiRegistered.length > 0 || (noManager && envManagers.length > 0) ? inferred.findings.map((f) => (f.code === 'RF910' ? withEnvManagers(withApiRegistered(registering.commands.length > 0 ? withRegisterCommands(f, registering.commands) : f, apiRegistered), envManagers) : f)) : inferred.findings), ...(noManager ? [] : envManagers.map(envManagerNotProven))];
  // helm-unittest suites of the gitlab-runner chart (test inputs, not read): RF910 says so (helm-unittest.ts).
  const unittestOnly = registering.commands.length === 0 && apiRegistered.length === 0 && envManagers.length === 0;
  const suites = ev.helmUnittestSuites ?? [];
  for (const [i, f] of inferredFindings.entries()) if (f.code === 'RF910' && suites.length > 0) inferredFindings[i] = withHelmUnittestSuites(f, suites, unittestOnly);
  const proven = verification.findings.filter((f) => forDeployments(f) && !ofOneName(f)).map((f) => notShownByName(f, ev)).map((f) => ({ f, az: azureOfFinding(f) })).map(({ f, az }) => ({ f: atEditSite(relocate(f), ev, inferred), az })).map(({ f, az }) => azureWhere(bothEnds(f, ev, inferred), inferred, az)).map((f) => (ev.terraform.generatedByRunnerFleet ? f : withoutRegenerate(f)));
  // A manager rebuilt from its register flags: what its proofs say of a flag (RF301 at --docker-privileged) is not said a second time by the flag reader.
  // So is the RF912 a rebuilt manager says of its token parameter at --registration-token.
  const provenAt = new Set([...proven, ...inferred.findings.filter((f) => f.code === 'RF912')].map((f) => `${f.code} ${f.path}`));
  const flagFindings = registering.findings.filter((f) => !provenAt.has(`${f.code} ${f.path}`));
  // Kubernetes workloads that register by the registration-token flow from their environment (REGISTRATION_TOKEN).
  flagFindings.push(...envRegistrationTokenFindings(ev.kubernetes));
  // Several roots: a token's root (a marked name's, a scoped symbol's), and the runners whose names carry their root's folder.
  const tokenFolder = (token: string): string | undefined => (token.startsWith('__rfroot') ? marks?.get(token) : ev.terraform.rootScopes?.get(token));
  const labels = runnerLabels(inferred.intent.runners.map((r) => r.name), [...(marks?.values() ?? []), ...(ev.terraform.rootScopes?.values() ?? [])]);
  const rootsOf = rootsOfFinding(tokenFolder, labels);
  // A finding at a default of a vendored chart's values.yaml that a release keeps says so (vendored-chart.ts).
  const findings = oneInComponents(oneAcrossRoots(sortFindings(oneMissingServiceAccount(withoutSecretDuplicates(ev.terraform.renamed, awsRules(ev, inferred, onePerPlace([...ev.findings.filter((f) => !inferred.secretsRestated.has(f) && !(read.size > 0 && ofTemplate(f))), ...inferredFindings, ...flagFindings, ...oneName.findings, ...doctorRules(ev, inferred), ...azureRules(ev, inferred), ...proven], rootsOf)))).map(withoutSubject).map(namedAsWritten)), tokenFolder, labels).map(namedInRoots), ev.componentCopies).map(chartDefaultKept(ev));
  // The chart's token Secret is a reference of the Helm values: where no document creates it, the chain does not resolve.
  // So does a chain whose config.toml is not shown: its references end there.
  const chainClaims = new Map(inferred.intent.runners.map((r) => [r.name, chainClaimOf(platformFor(r.platform), inferred.docs, r.name)]));
  const proofs = verification.proofs.map((p) => (p.holds && (((inferred.missingSecrets.has(p.runner) || inferred.configNotShown.has(p.runner)) && p.claim === chainClaims.get(p.runner)) || oneName.runners.has(p.runner)) ? { ...p, holds: false } : p)).map((p) => (renamed || shownAs || marks || scoped ? { ...p, ...(marks || scoped ? { runner: rootsShown(p.runner) } : {}), claim: asWritten(p.claim) } : p));
  // A runner or role named after a resource of a marked root (an ECS service's key) is shown with its folder too.
  const chains = marks || scoped ? new Map([...inferred.chains].map(([name, lines]) => [rootsShown(name), lines.map(asWritten)])) : inferred.chains;
  // Values a `terraform show -json` document marks sensitive are read, never shown (unless the files show them in clear too).
  const sensitive = ev.sensitive !== undefined && ev.sensitive.texts.size > 0 ? ev.sensitive : undefined;
  return withoutSensitive({ exitCode: findings.some((f) => f.severity === 'error') ? 1 : 0, findings, proofs, chains, files: ev.files }, ev.sensitive, sensitive && clearStringsOf(ev));
}

/**
 * A role Terraform names at apply (name_prefix, or no name) is proven under a stand-in name no
 * document can write (doctor/terraform.ts). A "cannot" about it (RF106: the manager cannot
 * iam:PassRole on its ARN) compares that stand-in with a name or ARN written out in a policy, which
 * may well be the name the role gets: not shown (RF903), never a mismatch. The proof stays failed.
 * Which requests the role lacks, and what that is in words, come from the finding's subject.
 */
function notShownByName(f: Finding, ev: Evidence): Finding {
  const s = f.code === 'RF106' && f.subject?.kind === 'lacks' ? f.subject : undefined;
  const named = ev.terraform.namedAtApply;
  if (!s || !named) return f;
  // A request on the ARN of such a role: the stand-in is the last segment of the ARN's role path.
  const key = s.requests.map((r) => named.get(r.resource.slice(r.resource.lastIndexOf('/') + 1))).find((k) => k !== undefined);
  if (key === undefined) return f;
  const fix = `set name = "<role name>" on ${key}, or give \`terraform show -json\` of the applied state, which carries the name it was given`;
  return { ...f, code: 'RF903', severity: CODES.RF903.severity, message: `whether the manager role can ${s.can} is not shown: the name of ${key} is picked only at apply, so a name or ARN written out in a policy may or may not be it`, fix, deploymentFix: fix };
}

/**
 * A resource of a module call, which the evaluator keeps under its type with the call in its key
 * (`aws_iam_role.module.irsa.this`), named by its Terraform address (`module.irsa.aws_iam_role.this`,
 * `module.irsa.data.aws_iam_policy_document.this`), as `terraform state list` and plan output show it.
 * The type starts the key: a name after a dot is part of an address already written that way (a
 * nested call's output, `${module.ci_runner.module.label.id}`, whose call name has an underscore as
 * types do), never a type.
 */
const MODULE_RESOURCE = /(?<![\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.((?:module\.[A-Za-z0-9_-]+(?:\["[^"\]]*"\]|\[\d+\])?\.)+)([A-Za-z0-9_-]+)/g;
/**
 * A fix's text with the names of marked roots (ModuleScope.rootMark) shown: a name used as a
 * Terraform reference (followed by an attribute, `aws_iam_role.manager.arn`, or inside `${…}`) is
 * written as the root's files write it, and the fix starts with the folder it is for ("in prod/: …");
 * a name in the prose keeps its folder (`prod/aws_iam_role.manager`), as in messages.
 */
export function referencesOfRoots(text: string, marks: ReadonlyMap<string, string>, rootsShown: (text: string) => string): string {
  const folders = new Map<string, Set<string>>();
  const plain = text.replace(MARKED_ADDRESS, (m: string, head: string | undefined, name: string, i: string, at: number) => {
    const rest = text.slice(at + m.length);
    const inside = /\$\{[^}]*$/.test(text.slice(0, at));
    if (!inside && !/^\.[A-Za-z_][A-Za-z0-9_-]*(?![\w[-]|\.\w)/.test(rest)) return m;
    const folder = marks.get(rootMark(Number(i))) ?? '.';
    const ref = `${head ?? ''}${name}`;
    const refs = folders.get(folder) ?? new Set<string>();
    folders.set(folder, refs.add(ref));
    return ref;
  });
  if (folders.size === 0) return rootsShown(text);
  const where = folders.size === 1 ? `${[...folders.keys()][0]!}/` : [...folders].map(([folder, refs]) => `${folder}/ (${[...refs].join(', ')})`).join(', ');
  return `in ${where}: ${rootsShown(plain)}`;
}

function moduleAddresses(text: string): string {
  return text.includes('.module.') ? text.replace(MODULE_RESOURCE, (_, data: string | undefined, type: string, calls: string, name: string) => `${calls}${data ?? ''}${type}.${name}`) : text;
}

/** What the proofs said about a finding as data (its `subject`) is not part of the report. */
function withoutSubject(f: Finding): Finding {
  if (f.subject === undefined) return f;
  const out = { ...f };
  delete out.subject;
  return out;
}

/** The runner settings whose findings point at their key in the runner configuration (by the rest of the spec path). */
const TOML_KEYS: [string, (executor: string) => (string | number)[]][] = [
  ['.jobs.privileged', (executor) => ['runners', 0, executor, 'privileged']],
  ['.jobs.serviceAccountOverwriteAllowed', (executor) => ['runners', 0, executor, 'service_account_overwrite_allowed']],
  // The cache proofs (RF201, RF202, …) test the prefix `Path` names.
  ['.cache', () => ['runners', 0, 'cache', 'Path']],
];
/** A VM runner's: its cache is the S3 bucket its config.toml names (`--cache-s3-bucket-name` of a register command). */
const VM_TOML_KEYS: [string, (executor: string) => (string | number)[]][] = [...TOML_KEYS.filter(([suffix]) => suffix !== '.cache'), ['.cache', () => ['runners', 0, 'cache', 's3', 'BucketName']]];

/**
 * Missing evidence is said once per place and thing (the chain and the Azure rules may both notice
 * a client id that names no identity, in other words): RF903s at one place with the same `received`
 * (or none) are one. A finding about something else not shown at that place says so by its
 * `received` (the security group of a VM runner's workers beside its unreadable policies).
 */
function onePerPlace(findings: Finding[], rootsOf: (f: Finding) => Set<string> | undefined): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    if (f.code !== 'RF903' || f.path === '') return true;
    // Once per root: several roots' RF903 at one place of a module they share are said once later,
    // with their roots (across-roots.ts); kept here, the first root's alone would name only that root.
    // Those about several roots at once (a role name several roots write) stay one between them.
    const roots = rootsOf(f);
    const k = `${f.code}|${f.path}|${f.received ?? ''}|${roots?.size === 1 ? [...roots][0]! : ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Runners named with their root's folder (infer-vm.ts: managers of several roots that keep one
 * runner name are `<folder>/<name>`): each label with its root (the longest root folder that
 * starts it) and the name its root's files give it. None where fewer than two roots were read.
 */
export function runnerLabels(names: readonly string[], rootFolders: readonly string[]): RootLabel[] {
  const folders = new Set(rootFolders);
  if (folders.size < 2) return [];
  // The longest folder is the one before the last `/` of the label (with something after it) that is a root's:
  // a lookup per `/` of the label, not a try of every folder for every runner.
  return names.flatMap((label) => {
    for (let slash = label.lastIndexOf('/', label.length - 2); slash >= 0 && slash < label.length - 1; slash = slash > 0 ? label.lastIndexOf('/', slash - 1) : -1) {
      const folder = label.slice(0, slash);
      if (folders.has(folder)) return [{ label, folder, name: label.slice(slash + 1) }];
    }
    return [];
  });
}

/**
 * Findings of `plan` that speak about the files runner-fleet writes, not about a deployment:
 * RF609/RF610 (plain manifests need an outputs file of applied client ids) are not about the
 * user's files (the client ids a state states are used), and RF608's
 * downgrade cites a spec that grants the access, which a deployment does not have.
 */
function forDeployments(f: Finding): boolean {
  if (f.code === 'RF609' || f.code === 'RF610') return false;
  if (f.code === 'RF608' && f.acceptedBecause !== undefined) {
    f.severity = CODES.RF608.severity;
    delete f.acceptedBecause;
  }
  return true;
}

/**
 * plan's fixes end with what runner-fleet does when it writes its files again ("…; regenerate",
 * "…; runner-fleet always does, regenerate"): for files it did not write, the rest is the fix.
 */
function withoutRegenerate(f: Finding): Finding {
  if (f.fix === undefined) return f;
  const rest = f.fix.replace(/[;,]\s*(?:runner-fleet [^;]*?,\s*)?regenerate\b[^;]*$/, '').trim();
  return rest !== f.fix && rest !== '' ? { ...f, fix: rest } : f;
}

/**
 * RF910 where containers are given gitlab-runner register's settings as environment: each is named
 * (what, where, which settings, which image), and why it is not proven: its config.toml is made
 * inside the container when it starts, which no file given shows.
 */
const ENV_MANAGER_FIX = 'run the manager from a launch template or instance whose user data the doctor reads (gitlab-runner register with its flags written out, or a config.toml written there), or give the config.toml the container makes (beside these files), so the whole runner can be proven';
const COMPOSE_FIX = 'give the config.toml the service mounts beside the compose file (its settings are then checked on their own); the identity chain of a Docker host (its instance profile or keys, the cache it signs for) is not in a compose file: run the manager from a launch template or instance whose user data the doctor reads to have it proven';

/** One manager the doctor cannot read, in words: what, where, which settings, the image, why it is not proven. */
function envManagerText(m: EnvManager): string {
  const where = `${m.what}${m.at !== '' ? ` (${m.at})` : ''}`;
  const settings = `gitlab-runner's register settings as environment (${m.names.slice(0, 8).join(', ')}${m.names.length > 8 ? ', …' : ''})`;
  if (!m.compose) return `${where} passes ${settings} to image ${m.image}, whose start-up the doctor cannot read: its config.toml is made inside the container, so this runner is not proven`;
  const config = m.compose.given !== undefined ? `its config.toml (${m.compose.given}, mounted from ${m.compose.config!}) is checked on its own` : m.compose.config !== undefined ? `its config.toml is in ${m.compose.config} (mounted as gitlab-runner's configuration folder), which is not among the files given` : m.names.length > 0 ? 'its config.toml is made inside the container' : 'no config.toml is mounted (the container keeps its own)';
  return `${where} runs image ${m.image}${m.names.length > 0 ? ` with ${settings}` : ''}; ${config}; a compose service is no platform the doctor proves, so this runner's identity chain is not proven`;
}

function withEnvManagers(f: Finding, managers: readonly EnvManager[]): Finding {
  if (managers.length === 0) return f;
  const shown = managers.slice(0, 3).map(envManagerText).join('; ') + (managers.length > 3 ? `; and ${managers.length - 3} more` : '');
  const compose = managers.some((m) => m.compose);
  const other = managers.some((m) => !m.compose);
  return { ...f, message: `${f.message}; ${shown}`, fix: [other ? ENV_MANAGER_FIX : '', compose ? COMPOSE_FIX : ''].filter((x) => x !== '').join('; for a compose service: ') };
}

/** A manager the doctor cannot read, beside one it found: RF903 (info) at its definition. */
function envManagerNotProven(m: EnvManager): Finding {
  return { code: 'RF903', severity: CODES.RF903.severity, path: m.at, message: `not in the evidence given: ${envManagerText(m)}`, fix: m.compose ? COMPOSE_FIX : ENV_MANAGER_FIX };
}

/** The gitlab_runner tasks of the Ansible files given (ansible.ts runnerModuleTasks), as RF910 names them: `file:line:col (description)`. */
function runnerModuleTasksIn(texts: ReadonlyMap<string, string>, yamlSources: ReadonlyMap<string, YamlFile> | undefined): string[] {
  const out: string[] = [];
  for (const [path, text] of texts) {
    // The documents read.ts parsed; a file it did not read as YAML has no tasks.
    const yaml = yamlSources?.get(path);
    const tasks = yaml ? runnerModuleTasks(path, yaml) : [];
    if (tasks.length === 0) continue;
    const lines = new LineIndex(text);
    for (const t of tasks) out.push(`${formatPosition({ file: path, ...lines.pos(offsetInOriginal(yaml!.text, text, t.at)) })}${t.description !== undefined ? ` (${shownText(t.description, 60)})` : ''}`);
  }
  return out;
}

/**
 * RF910 where an Ansible task registers a runner through GitLab's API (community.general.gitlab_runner):
 * the module creates the runner in GitLab and writes no config.toml; the config.toml its hosts run is
 * written by another task, which the doctor reads only as the commands it runs.
 */
function withApiRegistered(f: Finding, tasks: readonly string[]): Finding {
  if (tasks.length === 0) return f;
  const shown = tasks.slice(0, 3).join(', ') + (tasks.length > 3 ? ` and ${tasks.length - 3} more` : '');
  return { ...f, message: `${f.message}; an Ansible gitlab_runner task (${shown}) registers a runner through GitLab's API (community.general.gitlab_runner): it creates the runner in GitLab and writes no config.toml, which another task writes on the hosts its inventory picks, so no manager is proven from it` };
}

/** RF910 where the files register a manager with `gitlab-runner register`: says where, and what the doctor reads of it. */
function withRegisterCommands(f: Finding, commands: readonly string[]): Finding {
  const shown = commands.slice(0, 3).join(', ') + (commands.length > 3 ? ` and ${commands.length - 3} more` : '');
  return { ...f, message: `${f.message}; \`gitlab-runner register\` (${shown}) makes a config.toml at boot from its flags, and none of them is a manager the doctor could prove (no ${VM_MANAGER_RESOURCES} whose user data runs it, an executor no platform reads, values known only at boot, a --template-config not given, flags register refuses, or an Ansible task, run on the hosts its inventory picks): its privileged, volume (host folders, the Docker socket, cloud credentials), capability, device and registration-token flags are checked where they are written, the identity chain is not proven`, fix: `${f.fix ?? ''}${f.fix ? '; or ' : ''}run it from the user data of the manager's launch template or instance with its values written out and its template given (or write the config.toml there in a heredoc), so the whole runner can be proven` };
}

/**
 * The doctor's own credential scan (RF940, with file positions) replaces the generated-output scan
 * (RF304 without a position, which verify runs without here). One finding per leaked credential per
 * file: where a more specific finding (RF912 registration token, RF940 of a token in clear in the chart
 * values' runnerRegistrationToken, its runnerToken) points into
 * any copy of the value an RF940 is about (at its place, or at a key inside a values string that
 * holds it), RF940 is not repeated, and the specific finding names the other copies' places (each
 * copy has to go). An RF940 without its places is matched by its position.
 */
function withoutSecretDuplicates(renamed: ReadonlyMap<string, string> | undefined, all: Finding[]): Finding[] {
  all = userDataStandsForItsCredentials(renamed, all);
  // An RF940 that is no scan's (no secret subject: the chart values' runnerRegistrationToken in clear) is specific too.
  const specific = all.filter((f) => (f.code === 'RF912' || f.code === 'RF304' || (f.code === 'RF940' && f.subject?.kind !== 'secret')) && f.path !== '');
  const at = new Map(specific.map((f) => [f, /^(.*):(\d+):(\d+)$/.exec(f.path)]));
  const inside = (f: Finding, p: SecretPlace): boolean => {
    const m = at.get(f);
    if (!m || m[1] !== p.file) return false;
    const line = Number(m[2]);
    const column = Number(m[3]);
    const within = (r: Omit<SecretPlace, 'file' | 'within'>) => (line > r.line || (line === r.line && column >= r.column)) && (line < r.endLine || (line === r.endLine && column <= r.endColumn));
    // A place that is one line of a larger value (a heredoc): a finding at that value stands for it too.
    return within(p) || (p.within !== undefined && within(p.within));
  };
  const others = new Map<Finding, SecretPlace[]>();
  const said = new Set<Finding>();
  for (const f of all) {
    if (f.code !== 'RF940') continue;
    const places = f.subject?.kind === 'secret' ? f.subject.places : undefined;
    if (specific.includes(f)) continue;
    const by = places ? specific.find((g) => places.some((p) => inside(g, p))) : specific.find((g) => g.path === f.path);
    if (!by) continue;
    said.add(f);
    if (places) others.set(by, [...(others.get(by) ?? []), ...places.filter((p) => !inside(by, p))]);
  }
  return all
    .filter((f) => !(f.code === 'RF304' && f.path === '') && !said.has(f))
    .map((f) => {
      const more = others.get(f);
      return more && more.length > 0 ? { ...f, message: `${f.message}${alsoAt(more)}` } : f;
    });
}

/**
 * A credential in the user data of a launch template or instance is one fact: RF712 (the user data
 * check, as plan says it of generated user data), not RF940 beside it. The RF712 stands for the
 * RF940s of the credentials written in that resource's user data (`of`, in the same file): it moves to
 * the first one's place, says what each is and where its copies are, and for a cloud key takes the
 * RF940's fix (revoke it, a keyless identity). User data the credential scan does not read (base64, a
 * file it is read from) keeps RF712 at the resource, and a file's RF940 stays.
 */
function userDataStandsForItsCredentials(renamed: ReadonlyMap<string, string> | undefined, all: Finding[]): Finding[] {
  const scans = new Map<string, Finding[]>();
  for (const f of all) {
    if (f.code !== 'RF940' || f.subject?.kind !== 'secret') continue;
    for (const p of f.subject.places) {
      if (p.of === undefined) continue;
      const k = `${p.file}\u0000${p.of}`;
      const list = scans.get(k) ?? [];
      if (!list.includes(f)) list.push(f);
      scans.set(k, list);
    }
  }
  if (scans.size === 0) return all;
  const said = new Set<Finding>();
  const out = all.map((f) => {
    if (f.code !== 'RF712' || f.subject?.kind !== 'resource' || !/^aws_(launch_template|instance)\./.test(f.subject.address)) return f;
    const written = renamed?.get(f.subject.address) ?? f.subject.address;
    const file = /^(.*):\d+:\d+$/.exec(f.path)?.[1];
    const credentials = file === undefined ? [] : [...new Set(['user_data', 'user_data_base64'].flatMap((a) => scans.get(`${file}\u0000${written}.${a}`) ?? []))].filter((x) => !said.has(x));
    if (credentials.length === 0) return f;
    for (const x of credentials) said.add(x);
    const cloud = credentials.find((x) => x.subject?.kind === 'secret' && x.subject.cloud === true);
    return { ...f, path: credentials[0]!.path, message: `${f.message}: ${credentials.map((x) => x.message).join('; ')}`, ...(cloud?.fix !== undefined ? { fix: `${cloud.fix}; never put it in user data` } : {}) };
  });
  return out.filter((f) => !said.has(f));
}

/**
 * A service account that does not exist is said once: the doctor's own finding (RF904, or RF903
 * where the namespace's objects were not given) names it at the key with the value received, so
 * the chain proof's RF106 about the same account at the same key is not repeated (the proof that
 * needs the account still fails). Which account each is about is their subject.
 */
function oneMissingServiceAccount(all: Finding[]): Finding[] {
  const missing = (f: Finding): string | undefined => (f.subject?.kind === 'service-account' && f.path !== '' ? `${f.path}|${f.subject.namespace}/${f.subject.name}` : undefined);
  const said = new Set(all.filter((f) => f.code === 'RF904' || f.code === 'RF903').map(missing).filter((k) => k !== undefined));
  return all.filter((f) => {
    const k = f.code === 'RF106' ? missing(f) : undefined;
    return k === undefined || !said.has(k);
  });
}

/**
 * A broken trust reference shows both ends: the service account (where its binding is written)
 * and the role whose trust does not admit it (where that trust is written, and whom it admits).
 */
function bothEnds(f: Finding, ev: Evidence, inferred: Inferred): Finding {
  // Which identity the proof could not obtain is its subject.
  if (f.code === 'RF106' && f.subject?.kind === 'audience') return audienceEnds(f, ev, inferred, f.subject.identity);
  if (f.code !== 'RF104' || f.subject?.kind !== 'assume') return f;
  const key = f.subject.identity;
  const id = inferred.intent.identities.find((i) => i.key === key);
  if (!id || id.cloud !== 'aws' || id.binding.subject.kind !== 'kubernetes') return f;
  const saAt = inferred.bindingOrigins.get(id.key);
  // Whether the subject gets its role rests on a value the files do not show: not shown, not "cannot".
  const clusterOf = inferred.intent.clusters.find((c) => c.name === id.binding.subject.cluster)?.type;
  const unshown = clusterOf !== undefined ? platformReadersOf(clusterOf).doctor?.trustNotShown?.(inferred.docs, inferred.intent, id) : undefined;
  if (unshown) {
    const at = ev.terraform.origins.get(unshown.address);
    return { ...f, code: 'RF903', severity: CODES.RF903.severity, path: at ? formatPosition(originAt(at, 'disable_session_tags')) : saAt ? formatPosition(originAt(saAt)) : f.path, message: unshown.message, fix: unshown.fix, deploymentFix: unshown.fix };
  }
  const roleKey = Object.entries(inferred.docs.terraformAws?.resource.aws_iam_role ?? {}).find(([, b]) => b.name === id.roleName)?.[0];
  const trustOrigin = roleKey ? (ev.terraform.origins.get(`aws_iam_role.${roleKey}.assume_role_policy`) ?? ev.terraform.origins.get(`aws_iam_role.${roleKey}`)) : undefined;
  const admits: string[] = [];
  let subPath: (string | number)[] = [];
  let trustDocument: unknown;
  try {
    const trust = JSON.parse(String(inferred.docs.terraformAws?.resource.aws_iam_role?.[roleKey ?? '']?.assume_role_policy)) as { Statement?: unknown };
    trustDocument = trust;
    const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
    list(trust.Statement).forEach((st, i) => {
      for (const [op, block] of Object.entries((st as { Condition?: Record<string, Record<string, unknown>> }).Condition ?? {})) {
        for (const [k, v] of Object.entries(block)) {
          if (!/:sub$|kubernetes-service-account$/.test(k)) continue;
          if (admits.length === 0) subPath = [...(Array.isArray(trust.Statement) ? ['Statement', i] : ['Statement']), 'Condition', op, k];
          admits.push(...list(v).map(String));
        }
      }
    });
  } catch {
    // Not JSON: the trust is reported as it is.
  }
  const s = id.binding.subject;
  // Why the trust refuses, where its platform can say (a condition, an action it leaves out).
  const writtenAt = (address: string, attribute?: string): string | undefined => {
    const exact = attribute !== undefined ? ev.terraform.origins.get(`${address}.${attribute}`) : undefined;
    const o = exact ?? ev.terraform.origins.get(address);
    return o ? formatPosition(exact || attribute === undefined ? originAt(o) : originAt(o, attribute)) : undefined;
  };
  const clusterType = inferred.intent.clusters.find((c) => c.name === s.cluster)?.type;
  const refusal = () => (clusterType !== undefined ? platformReadersOf(clusterType).doctor?.trustRefusal?.(trustDocument, inferred.docs, inferred.intent, id, writtenAt) : undefined);
  // The trust names this very service account: what refuses it is elsewhere (its token's audience,
  // a missing association), said by its own finding; the trust is not to be renamed.
  if (admits.some((a) => a === `system:serviceaccount:${s.namespace}:${s.serviceAccount}` || (id.binding.mechanism === 'pod-identity' && a === s.serviceAccount))) {
    // A condition of the trust that refuses (the platform says which): no other finding says it.
    const guard = refusal();
    return { ...f, ...(saAt ? { path: formatPosition(originAt(saAt)) } : {}), message: `ServiceAccount ${s.namespace}/${s.serviceAccount}${saAt ? ` (${formatPosition(originAt(saAt))})` : ''} cannot assume ${id.purpose} role ${id.roleName}, although its trust${trustOrigin ? ` (${formatPosition(originAt(trustOrigin, ...subPath))})` : ''} names it${guard?.text ?? ''}`, fix: guard?.fix ?? 'see the other findings about this service account and role' };
  }
  // A trust that names no service account may refuse for a reason of its platform's (EKS Pod Identity: no sts:TagSession).
  const guard = admits.length === 0 ? refusal() : undefined;
  if (guard) return { ...f, ...(saAt ? { path: formatPosition(originAt(saAt)) } : {}), message: `ServiceAccount ${s.namespace}/${s.serviceAccount}${saAt ? ` (${formatPosition(originAt(saAt))})` : ''} cannot assume ${id.purpose} role ${id.roleName}, whose trust${trustOrigin ? ` (${formatPosition(originAt(trustOrigin))})` : ''} refuses it${guard.text}`, fix: guard.fix };
  const via = roleKey !== undefined ? moduleArguments(ev, `aws_iam_role.${roleKey}`, admits, s) : undefined;
  const message = `ServiceAccount ${s.namespace}/${s.serviceAccount}${saAt ? ` (${formatPosition(originAt(saAt))})` : ''} → ${id.purpose} role ${id.roleName}, whose trust${trustOrigin ? ` (${formatPosition(originAt(trustOrigin, ...subPath))})` : ''} ${admits.length > 0 ? `admits only ${admits.join(', ')}` : 'admits no service account of this cluster'}${via?.text ?? ''}`;
  // A registry module's trust has no line of its own: the finding points at the call's argument that writes the subject.
  return { ...f, ...(via?.at !== undefined ? { path: via.at } : saAt ? { path: formatPosition(originAt(saAt)) } : {}), message, fix: via?.fix ?? (admits.length > 0 ? `make the trust policy name system:serviceaccount:${s.namespace}:${s.serviceAccount}, or run the ${id.purpose === 'manager' ? 'manager' : 'jobs'} as ${admits[0]!.split(':').slice(2).join('/')}` : (f.fix ?? '')) };
}

/**
 * A service account whose token audience the trust of its role refuses: the annotation and the
 * trust, each at its position in the files given.
 */
function audienceEnds(f: Finding, ev: Evidence, inferred: Inferred, key: string): Finding {
  const id = inferred.intent.identities.find((i) => i.key === key);
  if (!id) return f;
  const annotationAt = inferred.bindingOrigins.get(id.key);
  const audienceAt = annotationAt ? { ...annotationAt, path: [...annotationAt.path.slice(0, -1), AUDIENCE_ANNOTATION] } : undefined;
  const roleKey = Object.entries(inferred.docs.terraformAws?.resource.aws_iam_role ?? {}).find(([, b]) => b.name === id.roleName)?.[0];
  const trustOrigin = roleKey ? (ev.terraform.origins.get(`aws_iam_role.${roleKey}.assume_role_policy`) ?? ev.terraform.origins.get(`aws_iam_role.${roleKey}`)) : undefined;
  let message = f.message;
  if (audienceAt) message = message.replace(/ \(kubernetes\/[^)]*\/service-accounts\.yaml\)/, ` (${formatPosition(originAt(audienceAt))})`);
  if (trustOrigin) message = message.replace(' (terraform/aws/main.tf.json)', ` (${formatPosition(originAt(trustOrigin))})`);
  return { ...f, ...(audienceAt ? { path: formatPosition(originAt(audienceAt)) } : {}), message };
}

/**
 * A role made by a module: the call that made it, and the call's arguments whose values the
 * admitted subjects carry (the caller's end of the drift), each at its position: a string argument
 * (`namespace = "gitlab"`), or a string inside one (`oidc_providers.main.namespace_service_accounts[0]
 * = "gitlab:gitlab-runner"`). `at`: where the argument to change is written, when one is.
 */
function moduleArguments(ev: Evidence, key: string, admits: string[], s: { namespace: string; serviceAccount: string }): { text: string; fix?: string; at?: string } | undefined {
  const call = ev.terraform.moduleCalls?.get(key);
  if (!call) return undefined;
  const parts = admits.map((a) => a.split(':')).filter((p) => p.length === 4 && p[0] === 'system' && p[1] === 'serviceaccount');
  const used: { name: string; value: string; at: string }[] = [];
  const leaves = (v: unknown, path: (string | number)[], out: { path: (string | number)[]; value: string }[]): void => {
    if (typeof v === 'string') out.push({ path, value: v });
    else if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...path, i], out));
    else if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) for (const [k, x] of Object.entries(v)) leaves(x, [...path, k], out);
  };
  for (const [name, arg] of call.args) {
    const found: { path: (string | number)[]; value: string }[] = [];
    leaves(arg.value(), [], found);
    for (const leaf of found) {
      // A segment of the subject (namespace, service account), or both as `<namespace>:<service account>`.
      if (!parts.some((p) => p[2] === leaf.value || p[3] === leaf.value || `${p[2]}:${p[3]}` === leaf.value)) continue;
      const shown = `${name}${leaf.path.map((k) => (typeof k === 'number' ? `[${k}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`)).join('')}`;
      const at = leaf.path.length > 0 ? arg.partAt(leaf.path) : arg.at;
      used.push({ name: shown, value: leaf.value, at: `${at.file}:${at.line}:${at.column}` });
    }
  }
  const text = `, made by ${call.address} (${call.at.file}:${call.at.line}:${call.at.column})${used.length > 0 ? ` with ${used.map((u) => `${u.name} = ${JSON.stringify(u.value)} (${u.at})`).join(', ')}` : ''}`;
  // The argument that carries the segment that differs: namespace first (a name can equal a namespace by chance).
  const p = parts[0];
  const wrong = p ? (p[2] !== s.namespace ? { seg: p[2]!, want: s.namespace, hint: /namespace/i } : p[3] !== s.serviceAccount ? { seg: p[3]!, want: s.serviceAccount, hint: /service.?account|sa$/i } : undefined) : undefined;
  // Both segments in one value: that value, written with the service account's.
  const pair = p && wrong ? used.filter((u) => u.value === `${p[2]}:${p[3]}`) : [];
  if (pair.length === 1) {
    const want = `${s.namespace}:${s.serviceAccount}`;
    return { text, fix: `set ${pair[0]!.name} = ${JSON.stringify(want)} in ${call.address} (${pair[0]!.at}), or run the runner where the trust says`, ...(call.standIn ? { at: pair[0]!.at } : {}) };
  }
  const candidates = wrong ? used.filter((u) => u.value === wrong.seg) : [];
  const culprit = candidates.find((u) => wrong!.hint.test(u.name)) ?? (candidates.length === 1 ? candidates[0] : undefined);
  return { text, ...(culprit && wrong ? { fix: `set ${culprit.name} = ${JSON.stringify(wrong.want)} in ${call.address} (${culprit.at}), or run the runner where the trust says`, ...(call.standIn ? { at: culprit.at } : {}) } : {}) };
}
