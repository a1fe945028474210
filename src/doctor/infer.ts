import { kustomizeGenerated } from './kustomize-generate.js';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { safeText, showValue, type Finding } from '../spec/findings.js';
import { tomlDifference, tomlPathText, type TomlPath } from '../verify/toml-read.js';
import { CODES, type Code } from '../spec/codes.js';
import type { K8sObject, TerraformRoot } from '../emit/artifacts.js';
import type { EmittedRunner, FleetDocuments, RunnerReadFrom } from '../emit/types.js';
import type { CHAIN_KEYS } from '../verify/kubernetes-chain.js';
import type { CloudIdentity, ResolvedCache, ResolvedCluster } from '../model/types.js';
import type { FleetIntent, IntentRunner } from '../verify/intent.js';
import { runnerSchema } from '../spec/schema.js';
import { cacheReaderOf, kubernetesReaders } from './platform-readers.js';
import { CACHE_BACKENDS, cacheBackendFor } from '../caches/registry.js';
import { get, getText } from '../verify/get.js';
import { chartDefaultsDecide, restrictedClears, restrictedViolations } from '../verify/pod-security.js';
import { formatPosition, originAt, tomlWriter, type Origin } from './source.js';
import { longLivedKeyFindings } from './static-keys.js';
import { cloudInFiles, type CloudInFiles } from './cloud-in-files.js';
import { unreadTemplateClause } from './deployment-templates.js';
import { AZURE_CLIENT_ID_ANNOTATION } from '../spec/azure.js';
import { originKey } from './kustomize-namespace.js';
import { refusedAsRead } from './namespace-names.js';
import { RUNNER_IMAGE } from './runner-image.js';
import { folders, kubernetesOwners, namespaceOf } from './kubernetes-owners.js';
import type { Evidence, Located } from './evidence.js';
import type { DoctorBinding, DoctorContext, DoctorReader, ServiceAccountEvidence } from './types.js';
import { normalizeTerraform, resolveKmsKeyReferences } from './terraform.js';
import { UNKNOWN_SUBSCRIPTION, UNKNOWN_TENANT, azureDeployments, normalizeAzure, type AzureEvidence } from './azure.js';
import { SECRET_TYPES, addTerraformKubernetesObjects } from './kubernetes-terraform.js';
import { ACCOUNT_NOT_SHOWN, awsOf, inferVmRunners, settleOwnAccount } from './infer-vm.js';
import { AZURE_VM_MANAGER_RESOURCES, azureVmRunners } from './azure-vm.js';
import { ansibleAzureVmRunners } from './ansible-azure-vm.js';
import { hostGrantFindings } from './host-grants.js';
import { inferIdTokens } from './infer-reach.js';
import { chartKeyFindings, chartNamespaceRead, exactChartVersion, jobNamespaceRoleRead, legacyNamespaceReach, legacyOverTemplate, legacyRegisterEntry, registrationTokenFinding, runnerTokenFinding } from './chart-values.js';
import { scriptConfigTomls } from './script-toml.js';
import { TemplateTomlSource } from './jinja-toml.js';
import { layerChartDefaults, vendoredChartVersions } from './vendored-chart.js';
import { patchFileReader } from './pod-spec-patch-path.js';
import { ALONE_CHECKS, unexpandedTokenFileFindings, configTomlAloneFindings, kubernetesEscapeFindings, laterEntriesFindings, secretFindingsByFile, type TomlPlace } from './config-toml-alone.js';
import { inferCrossAccount } from './infer-cross-account.js';
import { inferRotatorKubernetes } from './infer-rotator-kube.js';
import { isObject } from '../model/is-object.js';
import { findBy } from '../model/lookup.js';
import { awsProviderOf, parseRef, resourceBody, roleArn } from '../verify/aws-docs.js';
import { providerAccount } from './hcl/eval.js';
import { isTerraformConfig } from './terraform-files.js';
import { VM_MANAGER_RESOURCES } from './aws-instance.js';
import { REGISTRATION_TOKEN_FLOW, RUNNERS_TOKEN_REF } from './register-command.js';
import { envRegisteredEntry, envRegisteredInit, envRegisteredOrigin, initAppendsToConfig, legacyValuesOrigin, withAppends } from './register-env.js';
import { madeByCommandClause, serviceAccountsMadeByCommands } from './kubectl-create.js';
import { GROUP_PATH, PROJECT_PATH } from '../spec/primitives.js';

/** An init container's name (its index where it has none). */
function initName(pod: Record<string, unknown>, i: number): string {
  const c: unknown = Array.isArray(pod.initContainers) ? pod.initContainers[i] : undefined;
  return isObject(c) && typeof c.name === 'string' ? c.name : String(i);
}

function finding(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

/** `{{ .Release.Namespace }}` as a Helm template writes it (with or without spaces and trim markers). */
const RELEASE_NAMESPACE = /\{\{-?\s*\.Release\.Namespace\s*-?\}\}/;
/**
 * `{{ default .Release.Namespace .Values.runners.jobNamespace }}`: the namespace the chart's own
 * default runners.config writes (values.yaml of the gitlab-runner chart, 0.79 and later): the
 * value runners.jobNamespace where it is set, else the release's namespace.
 */
const JOB_NAMESPACE_DEFAULT = /\{\{-?\s*default\s+\.Release\.Namespace\s+\.Values\.runners\.jobNamespace\s*-?\}\}/;

/** A Go template action of the chart's tpl (`{{ … }}`, `{{- … -}}`), on one line. */
const TEMPLATE_ACTION = /\{\{.*?\}\}/g;
/** A line that is one template action and nothing else (`{{- if … }}`, `{{- end }}`). */
const ACTION_LINE = /^[ \t]*\{\{.*\}\}[ \t]*$/;

/**
 * The first template action of a runners.config that is not TOML as written but is once its
 * actions are set aside (the chart renders runners.config with tpl: `{{- if … }}` lines, `{{ .Values.x }}`
 * values), shown with its line; undefined when the text is not TOML for another reason too.
 * Lines that are actions alone go; an action inside a line stands for a value (0 is a key, a value
 * and a table name in TOML, inside quotes or not); a line the parser still stops at that holds an
 * action (`[{{ range … }}"{{ $v }}"{{ end }}]`) goes too, as often as there are such lines.
 */
function helmRenderedAction(text: string): string | undefined {
  TEMPLATE_ACTION.lastIndex = 0;
  const first = TEMPLATE_ACTION.exec(text);
  if (first === null) return undefined;
  const lines = text.split('\n');
  const withAction = new Set<number>();
  const stripped = lines.map((l, i) => {
    if (!l.includes('{{')) return l;
    withAction.add(i + 1);
    return ACTION_LINE.test(l) ? '' : l.replace(TEMPLATE_ACTION, '0');
  });
  // Each try is one parse: bounded, so a config of many such lines stays linear (past the bound, what it is once rendered is not told apart).
  for (let tries = 0; tries <= Math.min(withAction.size, 64); tries++) {
    try {
      parseToml(stripped.join('\n'));
      const line = text.slice(0, first.index).split('\n').length;
      const shown = first[0].length > 60 ? `${first[0].slice(0, 59)}…` : first[0];
      return `\`${shown}\` (its line ${line})`;
    } catch (e) {
      const at = (e as { line?: unknown }).line;
      if (typeof at !== 'number' || !withAction.has(at) || stripped[at - 1] === '') return undefined;
      stripped[at - 1] = '';
    }
  }
  return `\`${first[0].length > 60 ? `${first[0].slice(0, 59)}…` : first[0]}\``;
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const saKey = (ns: string, name: string) => `${ns}/${name}`;

/** One runner chain as found in the evidence: a manager, its config, its jobs. */
interface Chain {
  name: string;
  /** The manager's namespace: its release's, its service account's, its token Secret's. */
  namespace: string;
  /**
   * The namespace its job pods run in: `[runners.kubernetes] namespace` of the config it deploys,
   * else the manager's. GitLab advises running jobs apart from the manager; then the jobs' service
   * account, their identity's subject and the manager's Role for creating pods are there.
   */
  jobNamespace: string;
  /**
   * The chart value that decided the jobs' namespace, where one did rather than the config's
   * `[runners.kubernetes] namespace` line: `runners.namespace` (charts until 0.52) or
   * `runners.jobNamespace` (filled into the chart's default `namespace = "{{ default … }}"`).
   */
  jobNamespaceValue?: 'namespace' | 'jobNamespace';
  managerSa: string;
  /** Where the manager is declared (values file, Deployment). */
  origin: Origin;
  values?: Located<Record<string, unknown>> & { chartDefaultsReplaced?: { at: string; what: string }; renamedBy?: { prefix: string; suffix: string; by: string } };
  /** Which of two namespaces its GitOps object writes the manager runs in, and why (Evidence.helmValues namespaceNote): shown with the chain. */
  namespaceNote?: string;
  /** The manager's or its jobs' namespace, where Kubernetes refuses it (RF948): shown with the chain, whose accounts and bindings are not matched. */
  refusedNamespace?: string;
  /** The chart's embedded `runners.config`, parsed, and its text: what the chart deploys. */
  chartToml?: { value: Record<string, unknown>; text: string };
  /** chartToml is the entry a chart before 0.53.0 builds from legacy runners.* values: each setting's values key. */
  legacyPlaces?: ReadonlyMap<string, (string | number)[]>;
  /** legacyPlaces are settings of legacy runners.* values merged over the values' runners.config (legacyOverTemplate): anything else is in runners.config. */
  legacyOverConfig?: true;
  /** The values' `runners.config` is TOML only once Terraform or Helm renders it (RF906 says so): not read. */
  configUnrendered?: true;
  /** A `config.toml` file of this runner: what the proofs read when the values hold no `runners.config`. */
  configToml?: Located<Record<string, unknown>>;
  /** The chart creates the manager's service account (serviceAccount.create / older rbac.create). */
  chartCreatesSa: boolean;
  podLabels: Record<string, string>;
  /** A manager deployed without the chart: the workload running gitlab-runner, and the ConfigMap its config.toml is a key of. */
  workload?: { object: Located<K8sObject> & { address?: string }; configMap?: string };
}

/**
 * A chain's first line in the text report: its manager, where it is declared, and its notes (which
 * namespace its GitOps object gives, a namespace Kubernetes refuses) in the parentheses.
 */
export function managerLine(chain: Pick<Chain, 'namespace' | 'managerSa' | 'namespaceNote' | 'refusedNamespace'>, at: string): string {
  const notes = [at, ...(chain.namespaceNote !== undefined ? [chain.namespaceNote] : []), ...(chain.refusedNamespace !== undefined ? [`the namespace ${JSON.stringify(chain.refusedNamespace)} is one Kubernetes refuses (RF948): not deployed, its accounts and bindings not matched`] : [])];
  return `manager ${chain.namespace}/${chain.managerSa} (${notes.join('; ')})`;
}

export interface Inferred {
  intent: FleetIntent;
  docs: FleetDocuments;
  /** Where each runner chain is declared, by runner index: findings about `runners[i]` point there. */
  runnerOrigins: Map<number, Origin>;
  /** Credential scan findings (RF940) a finding about a config.toml alone says again, with its own fix (its MachineOptions): left out. */
  secretsRestated: ReadonlySet<Finding>;
  cacheOrigins: Map<number, Origin>;
  clusterOrigins: Map<number, Origin>;
  /** Where each identity's binding is written (the service account annotation or association), by identity key. */
  bindingOrigins: Map<string, Origin>;
  /**
   * The runner configuration each chain's proofs read, by runner index: its origin (the values'
   * `runners.config`, or a config.toml) and its executor, so findings about `jobs.privileged`
   * and the like point at the key.
   */
  runnerTomls: Map<number, { origin: Origin; executor: string }>;
  /** By runner index: where each reference the chain proof checks is written (its findings carry a CHAIN_KEYS suffix). */
  chainKeys: Map<number, ChainKeyOrigins>;
  /** By runner index: the position of a key of the config.toml the runner boots with (VM runners). */
  tomlAt: Map<number, TomlPlace>;
  /** Human summary of each chain (for the text report). */
  chains: Map<string, string[]>;
  findings: Finding[];
  /** The azurerm evidence, normalized (for the Azure rules). */
  azure: AzureEvidence;
  /**
   * Several Azure deployments given together: the azurerm evidence of the deployment a file is in
   * (a service account's, a runner's values), else `azure`; and by runner index, the deployment of
   * its proofs (their findings are placed in its own files).
   */
  azureAt(path: string): AzureEvidence;
  azureOfRunner: ReadonlyMap<number, AzureEvidence>;
  /** Runners whose chart mounts a token Secret that no document given creates. */
  missingSecrets: ReadonlySet<string>;
  /** Runners whose config.toml is not in the evidence: the chain's references end there, so its proof does not hold. */
  configNotShown: ReadonlySet<string>;
  /** `namespace/name` of every service account the gitlab-runner chart creates (serviceAccount.create): they exist for bindings too. */
  chartServiceAccounts: ReadonlySet<string>;
  /** Names of service accounts a chart creates in a namespace not statically known (its helm_release's): they may exist in any namespace. */
  unplacedServiceAccounts: ReadonlySet<string>;
  /**
   * `namespace/name` of the service account every Kubernetes manager found runs as, its chain proven
   * or not (RBAC that makes a manager cluster-admin is said whether or not its cloud identity is shown).
   */
  managerServiceAccounts: ReadonlySet<string>;
  /** Whether two Kubernetes objects of the files are of one deployment (two given together may reuse names: kubernetesOwners). */
  together(a: Located<K8sObject>, b: Located<K8sObject>): boolean;
  /** The objects of a list `o` is of one deployment with, in the list's order (`list.filter((x) => together(o, x))`, by an index of the list). */
  togetherIn<T extends Located<K8sObject>>(list: readonly T[], o: Located<K8sObject>): T[];
}

/** Where each reference the chain proof checks is written in the user's files. */
export type ChainKeyOrigins = Partial<Record<keyof typeof CHAIN_KEYS, Origin>>;

/**
 * The name Helm charts give what they create (the `fullname` helper of `helm create`, which the
 * gitlab-runner chart uses): `fullnameOverride`; else the release name when it contains the chart
 * name (`nameOverride`, default the chart's name: `gitlab-runner`, or the alias a parent chart gives
 * it), else `<release>-<chart name>`; at most 63
 * characters, without a trailing `-`.
 */
export function chartFullname(values: Record<string, unknown>, release: string, chartName = 'gitlab-runner'): string {
  const dns = (s: string) => s.slice(0, 63).replace(/-$/, '');
  const override = str(get(values, 'fullnameOverride'));
  if (override) return dns(override);
  const name = str(get(values, 'nameOverride')) ?? chartName;
  return dns(release.includes(name) ? release : `${release}-${name}`);
}

/**
 * The RBAC objects the gitlab-runner chart creates from its values (templates/role.yaml and
 * role-binding.yaml of the chart): with `rbac.create: true`, a Role (a ClusterRole with
 * `rbac.clusterWideAccess`) named after the release, whose rules are `rbac.rules` (each rule's
 * apiGroups default to the core group, resources and verbs to "*"), or, with no rules, every verb on
 * every resource of the core group; and a binding of it to the manager's service account.
 */
export function chartRbac(values: Record<string, unknown>, namespace: string, serviceAccount: string, release: string): K8sObject[] {
  if (get(values, 'rbac', 'create') !== true) return [];
  const clusterWide = get(values, 'rbac', 'clusterWideAccess') === true;
  const name = str(get(values, 'fullnameOverride')) ?? release;
  const listOr = (v: unknown, fallback: string[]): string[] => (Array.isArray(v) && v.length > 0 ? v.map(String) : fallback);
  const written = get(values, 'rbac', 'rules');
  const rules = Array.isArray(written) && written.length > 0
    ? written.map((r) => ({ apiGroups: listOr(get(r, 'apiGroups'), ['']), resources: listOr(get(r, 'resources'), ['*']), verbs: listOr(get(r, 'verbs'), ['*']) }))
    : [{ apiGroups: [''], resources: ['*'], verbs: ['*'] }];
  // templates/role.yaml and role-binding.yaml: `coalesce .Values.runners.jobNamespace .Values.namespace
  // .Release.Namespace` (0.84 and later, !522; 0.79 to 0.83 without runners.jobNamespace, whose values
  // of a chain hold none: jobNamespaceRoleRead), and
  // `default .Release.Namespace .Values.runners.namespace` 0.28 to 0.52 (the values of a chain whose chart places no Role by it, before 0.28 or from 0.53.0 on, hold none: legacyNamespaceReach).
  const roleNamespace = str(get(values, 'runners', 'jobNamespace')) ?? str(get(values, 'namespace')) ?? str(get(values, 'runners', 'namespace')) ?? namespace;
  const meta = clusterWide ? { name } : { name, namespace: roleNamespace };
  const rbac = 'rbac.authorization.k8s.io';
  return [
    { apiVersion: `${rbac}/v1`, kind: clusterWide ? 'ClusterRole' : 'Role', metadata: meta, rules },
    { apiVersion: `${rbac}/v1`, kind: clusterWide ? 'ClusterRoleBinding' : 'RoleBinding', metadata: meta, roleRef: { apiGroup: rbac, kind: clusterWide ? 'ClusterRole' : 'Role', name }, subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: str(get(values, 'namespace')) ?? namespace }] },
  ];
}

/** An image of gitlab-runner (runner-image.ts, where modules infer.ts reaches read it too). */
export { RUNNER_IMAGE };

function podSpecOf(o: K8sObject): Record<string, unknown> | undefined {
  const direct = get(o, 'spec', 'template', 'spec') ?? get(o, 'spec', 'jobTemplate', 'spec', 'template', 'spec') ?? (o.kind === 'Pod' ? get(o, 'spec') : undefined);
  return isObject(direct) ? direct : undefined;
}

/**
 * RF308 for a manager written as a workload (no chart, so no chart defaults): its pod and the
 * gitlab-runner container's security contexts as written, judged against Pod Security restricted
 * (kubernetes.io/docs/concepts/security/pod-security-standards, "Restricted") as the chart's are.
 * The finding points at the container's security context (or the container), in the file's terms.
 */
function managerPodSecurity(o: Located<K8sObject> & { address?: string }, pod: Record<string, unknown>, container: Record<string, unknown>, index: number): Finding | undefined {
  const violations = restrictedViolations(pod.securityContext, container.securityContext);
  if (violations.length === 0) return undefined;
  const tf = o.address !== undefined;
  const podPath = o.value.kind === 'Pod' ? ['spec'] : o.value.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
  // The provider's blocks are lists of one (HCL, terraform show -json): their positions carry index 0.
  const at = tf ? [...podPath.flatMap((k) => [k, 0]), 'container', index, 'security_context'] : [...podPath, 'containers', index, 'securityContext'];
  const containerName = typeof container.name === 'string' ? container.name : String(index);
  const what = o.address ?? `${o.value.kind} ${o.value.metadata.namespace ?? 'default'}/${o.value.metadata.name}`;
  const fix = tf
    ? `in the container block ${containerName} of ${what}, set security_context { ${restrictedClears(violations, 'provider').join(', ')} } (or the pod's security_context for run_as_non_root and seccomp_profile)`
    : `set securityContext ${restrictedClears(violations, 'api').join(', ')} on container ${containerName} of ${what} (or the pod's securityContext for runAsNonRoot and seccompProfile)`;
  return finding('RF308', formatPosition(originAt(o.origin, ...at)), `${what}: the manager pod does not meet Pod Security restricted: ${violations.join('; ')}`, { fix });
}

/**
 * The config.toml a manager workload runs with, from a ConfigMap the runner container mounts (a
 * `configMap` volume named in its `volumeMounts`): the ConfigMap's key `config.toml`, or the key an
 * `items` entry writes as `config.toml`. Its origin is that key of the ConfigMap's data, so findings
 * about a setting point at its line there (a YAML literal block, an HCL heredoc).
 */
function mountedConfigToml(pod: Record<string, unknown>, container: Record<string, unknown>, namespace: string, configMapOf: (name: string) => (Located<K8sObject> & { address?: string }) | undefined): { text: string; origin: Origin; key: string; name: string; written: string } | undefined {
  const mounts = new Set((Array.isArray(container.volumeMounts) ? container.volumeMounts : []).map((m) => get(m, 'name')).filter((n): n is string => typeof n === 'string'));
  for (const v of Array.isArray(pod.volumes) ? pod.volumes : []) {
    const cmName = str(get(v, 'configMap', 'name'));
    if (!cmName || !mounts.has(getText(v, 'name'))) continue;
    const cm = configMapOf(cmName);
    if (!cm) continue;
    const items = get(v, 'configMap', 'items');
    const key = Array.isArray(items) && items.length > 0 ? str(get(items.find((i) => get(i, 'path') === 'config.toml'), 'key')) : 'config.toml';
    const text = key !== undefined ? get(cm.value, 'data', key) : undefined;
    if (typeof text !== 'string') continue;
    // A kustomize generator's ConfigMap: named as its generator entry is, kustomize appends a hash of its content (kustomize-generate.ts).
    const hashed = kustomizeGenerated(cm.value)?.hashed === true ? ` (generated by kustomize's configMapGenerator, which appends a hash of its content to the name)` : '';
    return { text, origin: { ...cm.origin, path: [...cm.origin.path, 'data', key!] }, key: key!, name: `ConfigMap ${namespace}/${cmName}${hashed}`, written: cm.address ?? `ConfigMap ${cmName}${hashed}` };
  }
  return undefined;
}

/** A replica count as written: the kubernetes provider holds it as a string ("2"); a value only apply knows is undefined (not judged). */
function replicaCount(written: unknown): number | undefined {
  return typeof written === 'number' ? written : typeof written === 'string' && /^\d+$/.test(written) ? Number(written) : undefined;
}

/**
 * RF918 for chart values: `replicas` above 1 runs that many manager pods with the one config.toml
 * the chart renders (its global `concurrent` from the values, 10 by default) and the one token Secret.
 */
function chartReplicas(v: Located<Record<string, unknown>>): Finding | undefined {
  const replicas = replicaCount(get(v.value, 'replicas'));
  if (replicas === undefined || replicas <= 1) return undefined;
  const written = get(v.value, 'concurrent');
  const concurrent = typeof written === 'number' ? written : written === undefined ? 10 : undefined;
  const each = concurrent !== undefined ? `up to ${concurrent} jobs at once (concurrent = ${concurrent}${written === undefined ? ', the chart\'s default' : ''}), ${replicas * concurrent} in all` : 'up to concurrent jobs at once';
  return finding('RF918', formatPosition(originAt(v.origin, 'replicas')), `replicas is ${replicas}, so the chart runs ${replicas} gitlab-runner manager pods with one config.toml and runner token: GitLab lists each as another manager of the same runner, and each runs ${each}`, {
    received: String(replicas),
    allowed: '1',
    fix: `set replicas: 1 in ${v.origin.source.path}; to run more jobs at once, raise concurrent there instead`,
  });
}

/**
 * RF918: several manager pods run one runner's config.toml and token. A DaemonSet runs one on every
 * node it schedules to; a Deployment or StatefulSet runs `replicas` of them (1 when unset). One
 * runner authentication token may be used by many hosts, and GitLab lists each as a manager of that
 * runner (gitlab-runner docs/commands: the system ID in .runner_system_id; DELETE /runners/managers),
 * while `concurrent` limits the jobs of one gitlab-runner process: N pods run up to N × concurrent.
 */
function sharedRegistration(workload: NonNullable<Chain['workload']>, toml: unknown): Finding | undefined {
  const o = workload.object;
  const tf = o.address !== undefined;
  const what = o.address ?? `${o.value.kind} ${o.value.metadata.namespace ?? 'default'}/${o.value.metadata.name}`;
  const concurrent = get(toml, 'concurrent');
  const limit = typeof concurrent === 'number' ? `up to ${concurrent} jobs at once (concurrent = ${concurrent})` : 'up to concurrent jobs at once';
  const more = `to run more jobs at once, raise concurrent in its config.toml${workload.configMap !== undefined ? ` (${workload.configMap})` : ''} instead`;
  if (o.value.kind === 'DaemonSet') {
    return finding('RF918', formatPosition(tf ? originAt(o.origin) : originAt(o.origin, 'kind')), `${what}: a DaemonSet runs a gitlab-runner manager pod on every node it schedules to, all with one config.toml and runner token: GitLab lists each pod as another manager of the same runner, each runs ${limit}, and their number follows the nodes (nodes added for jobs add managers), not the config`, {
      received: 'DaemonSet',
      allowed: 'one manager pod: a Deployment or a StatefulSet with replicas 1',
      fix: tf ? `replace ${what} by a kubernetes_deployment_v1 (or a kubernetes_stateful_set_v1 with replicas = 1) with the same template; ${more}` : `run the manager as a Deployment (or a StatefulSet with replicas: 1) with the same pod template instead of ${what}; ${more}`,
    });
  }
  if (o.value.kind !== 'Deployment' && o.value.kind !== 'StatefulSet') return undefined;
  const replicas = replicaCount(get(o.value, 'spec', 'replicas'));
  if (replicas === undefined || replicas <= 1) return undefined;
  const total = typeof concurrent === 'number' ? `, ${replicas * concurrent} in all` : '';
  return finding('RF918', formatPosition(originAt(o.origin, ...(tf ? ['spec', 0, 'replicas'] : ['spec', 'replicas']))), `${what}: replicas is ${replicas}, so ${replicas} gitlab-runner manager pods run with one config.toml and runner token: GitLab lists each as another manager of the same runner, and each runs ${limit}${total}`, {
    received: String(replicas),
    allowed: '1',
    fix: tf ? `set replicas = 1 in the spec block of ${what}; ${more}` : `set spec.replicas: 1 on ${what}; ${more}`,
  });
}

/** Items by key, each group in the items' order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** How many folders the paths of two files share from the start (the nearer two files are, the more). */
function sharedFolders(a: string, b: string): number {
  const fa = folders(a);
  const fb = folders(b);
  let i = 0;
  while (i < fa.length && i < fb.length && fa[i] === fb[i]) i++;
  return i;
}

/**
 * RF903 of values that neither name the manager's service account nor have the chart create one: the
 * chart (0.86.0 templates/_helpers.tpl, `gitlab-runner.serviceAccountName`) then writes an empty
 * serviceAccountName (`rbac.serviceAccountName`, unset), and Kubernetes runs the pod as its
 * namespace's `default` service account.
 */
/** Where the jobs' service account is set: config.toml's key, or the env variable or chart value register reads it from (SourceFile.writtenAs). */
function jobsSaWritten(tomlOrigin: Origin): string | undefined {
  return tomlOrigin.source.writtenAs(tomlOrigin.doc, [...tomlOrigin.path, 'runners', 0, 'kubernetes', 'service_account']);
}
const jobsSaSetting = (tomlOrigin: Origin): string => jobsSaWritten(tomlOrigin) ?? '[runners.kubernetes] service_account';
/** A jobs' service account left unset, in the words of what the user wrote. */
function unsetSa(tomlOrigin: Origin): string {
  const written = jobsSaWritten(tomlOrigin);
  return written !== undefined ? `${written} is not set` : 'config.toml names no [runners.kubernetes] service_account';
}

const NO_SERVICE_ACCOUNT = "the values name no service account for the manager and have the chart create none (serviceAccount.name, serviceAccount.create, rbac.create): the chart then leaves the manager Deployment's serviceAccountName empty, so the manager runs as the default service account of its namespace, and the values do not say which namespace that is: its chain is not proven";
/**
 * The fix for a manager whose service account the values do not name, in the key the chart installed
 * reads: serviceAccount.name from 0.59 on (or no exact version: the newest chart); before it, the
 * chart names its service account after the release (rbac.create) or rbac.serviceAccountName.
 */
function serviceAccountFix(chartVersion: string | undefined): string {
  const exact = exactChartVersion(chartVersion);
  if (exact !== undefined && exact[0] === 0 && exact[1] < 59) return `give the release's name (the helm command or helm_release that installs it), or set rbac.create: false and rbac.serviceAccountName to a service account you create: the chart ${exact.join('.')} installed names its service account after the release while rbac.create is true, rbac.serviceAccountName otherwise (serviceAccount.name is read only from 0.59), so the identity chain can be proven`;
  return 'set serviceAccount.name (chart ≥ 0.59) so the identity chain can be proven';
}
/** The service account Kubernetes runs a pod as that names none: every namespace has one. */
const DEFAULT_SA = 'default';

/** The name of a runner chain, from the most specific evidence: runner-fleet's label, the chart release, the folder, the namespace. */
/**
 * RF903 where nothing in the files names the cloud the cluster runs in (cloud-in-files.ts): what a
 * manager with no identity of its own gets from its node is not known, so RF911 ("it gets the node
 * role") is not said. On OpenShift the message names what shows it. (The jobs' RF911 is said only
 * beside a manager's binding, which names its cloud.)
 */
function nodeRoleNotKnown(cloud: Extract<CloudInFiles, { kind: 'unknown' }>): string {
  const where = cloud.openShift !== undefined
    ? `The deployment is OpenShift's (${cloud.openShift}) and no cloud's resource or role is given: on OpenShift in a cloud (ROSA, ARO, OpenShift on AWS, Azure or GCP) it would run with its node's instance role`
    : "Nothing in the files names the cloud the cluster runs in (no cloud's Terraform resource or IAM role, no role annotation, cloud API object, node label, ARN or cloud storage host, no OpenShift Infrastructure object): in a cloud (EKS, AKS, GKE, OpenShift on a cloud) it would run with its node's instance role";
  return `${where}, on a cluster with no cloud behind it (bare metal, vSphere, kind) there is no node role to get; which one this is is not in the evidence`;
}
const NODE_ROLE_FIX = "if the cluster runs in a cloud, bind its own role and give the cloud's documents (the cluster's Terraform, the node role, the role and its binding); if it does not, there is nothing to bind";

function chainName(labels: Record<string, string>, origin: Origin, namespace: string): string {
  const explicit = labels['runner-fleet.dev/runner'] ?? labels.release ?? labels['app.kubernetes.io/instance'];
  if (explicit) return explicit;
  const parts = origin.source.path.split(/[\\/]/);
  const dir = parts.length > 1 ? parts[parts.length - 2]! : '';
  if (dir && !/^(\.|helm|values|charts?|k8s|kubernetes|manifests|deploy|config)$/i.test(dir)) return dir;
  return namespace;
}

export function inferDeployment(ev: Evidence): Inferred {
  const findings: Finding[] = [];
  // ServiceAccounts a script's `kubectl create serviceaccount` makes, read once where RF904/RF903 name a missing one.
  let made: ReturnType<typeof serviceAccountsMadeByCommands> | undefined;
  const madeByCommands = () => (made ??= serviceAccountsMadeByCommands(ev.texts));
  const { root, findings: tfFindings, leftOutRoles } = normalizeTerraform(ev);
  findings.push(...tfFindings);
  // Every release's values are read now (files, GitOps objects, helm_release): a vendored chart's defaults go under those of its releases.
  layerChartDefaults(ev);
  // A vendored gitlab-runner chart's version is the one its releases and the values beside it install (vendored-chart.ts).
  vendoredChartVersions(ev);
  // Static keys the Terraform creates itself (RF936).
  findings.push(...longLivedKeyFindings(ev, root));
  // Kubernetes objects written as kubernetes provider resources, and the azurerm evidence in the proofs' shapes.
  const k8sTerraform = addTerraformKubernetesObjects(ev);
  findings.push(...k8sTerraform.findings);
  const azure = normalizeAzure(ev);
  findings.push(...azure.findings);

  // Service accounts in the evidence.
  const serviceAccounts = ev.kubernetes.filter((o) => o.value.kind === 'ServiceAccount');
  const namespaceCluster = new Map<string, string>();
  for (const b of SECRET_TYPES.flatMap((type) => Object.values(root.resource[type] ?? {}))) {
    const ns = str(get(b, 'metadata', 'namespace'));
    const alias = str(b.provider)?.replace(/^kubernetes\./, '');
    if (ns && alias && alias !== 'kubernetes') namespaceCluster.set(ns, alias);
  }
  const ctx: DoctorContext = { root, namespaceCluster, azure, objects: ev.kubernetes };
  // Several Azure deployments given together: a chain reads its own deployment's azurerm evidence.
  const deployments = azureDeployments(ev);
  const contexts = new Map<AzureEvidence, DoctorContext>();
  const ctxOf = (chain: Chain): DoctorContext => {
    const own = deployments?.of(chain.origin.source.path);
    if (own === undefined) return ctx;
    let hit = contexts.get(own);
    if (!hit) contexts.set(own, (hit = { ...ctx, azure: own }));
    return hit;
  };

  // 1. Managers: values of the chart, and workloads running the gitlab-runner image.
  const chains: Chain[] = [];
  const unplacedServiceAccounts = new Set<string>(k8sTerraform.unplacedServiceAccounts);
  // Chart values found whose manager's namespace the files do not give (said as RF903): not "no manager".
  let chartsNotPlaced = false;
  // The namespace of the one ServiceAccount of this name the files give (none, or several: not known).
  const accountNamespaces = new Map<string, Set<string>>();
  for (const o of serviceAccounts) {
    const ns = o.value.metadata.namespace ?? 'default';
    const set = accountNamespaces.get(o.value.metadata.name);
    if (set) set.add(ns);
    else accountNamespaces.set(o.value.metadata.name, new Set([ns]));
  }
  const soleNamespaceOf = (name: string): string | undefined => {
    const namespaces = accountNamespaces.get(name);
    return namespaces?.size === 1 ? [...namespaces][0] : undefined;
  };
  // Values that make no chain (their manager's service account or namespace not known): their runners.config is checked alone below.
  const unchained: (typeof ev.helmValues)[number][] = [];
  for (const v of ev.helmValues) {
    const values = v.value;
    // What the values say with or without a chain: the registration token key, the legacy runners.privileged, runner settings at the top level.
    const token = registrationTokenFinding(v);
    if (token) findings.push(token);
    findings.push(...chartKeyFindings(v, v.chartVersion));
    const createsSa = get(values, 'serviceAccount', 'create') === true || (get(values, 'serviceAccount', 'create') === undefined && get(values, 'rbac', 'create') === true);
    // A service account the chart creates without a name is named after the release (the chart's
    // fullname), which a helm_release states; a values file alone does not.
    const named = str(get(values, 'serviceAccount', 'name')) ?? str(get(values, 'rbac', 'serviceAccountName')) ?? (createsSa && v.release !== undefined ? chartFullname(values, v.release, v.chartName) : undefined);
    // Values that neither name nor create one run the manager as its namespace's `default` service
    // account (NO_SERVICE_ACCOUNT): where the namespace is known, that is the chain's subject.
    // (A release whose values document is not read may name one there: not taken for `default`.)
    const runsAsDefault = named === undefined && !createsSa && !v.valuesUnread;
    let sa = named ?? (runsAsDefault ? DEFAULT_SA : undefined);
    // A kustomization's helmCharts under a namePrefix / nameSuffix: kustomize renames the ServiceAccount
    // the chart creates (or one of that name its build holds, renamed with it) and the manager's
    // serviceAccountName follows (its name references); an account from elsewhere keeps its name.
    let renamedNote: string | undefined;
    if (sa !== undefined && named !== undefined && v.renamedBy !== undefined) {
      const built = `${v.renamedBy.prefix}${sa}${v.renamedBy.suffix}`;
      if (built !== sa && (createsSa || serviceAccounts.some((o) => o.value.metadata.name === built))) {
        renamedNote = `service account ${built}: ${sa} as the chart's values name it, renamed by ${v.renamedBy.by}`;
        sa = built;
      }
    }
    // The chart's values that place its objects and its jobs (the gitlab-runner chart's templates,
    // read at 0.52.0, 0.77.2, 0.79.1 and 0.86.0): `namespace` (0.79 and later) places the manager's
    // Deployment, ServiceAccount, ConfigMap and Secrets (`default .Release.Namespace .Values.namespace`);
    // `runners.namespace` (0.42 until 0.52, removed in 0.53.0 by !397) placed them too, and set the
    // KUBERNETES_NAMESPACE the runner registers with, which the chart's NOTES.txt says wins over the
    // namespace runners.config writes; `runners.jobNamespace` (0.79 and later) is what the chart's
    // default runners.config writes as the jobs' namespace, and where its Role goes (0.84 and later).
    // The top-level namespace as the chart version installed reads it (chartNamespaceRead: 0.79.0 and later, or no exact version).
    const namespaceRead = chartNamespaceRead(v.chartVersion);
    const chartNamespace = namespaceRead ? str(get(values, 'namespace')) : undefined;
    // runners.namespace as the chart version installed reads it (legacyNamespaceReach): the jobs'
    // namespace until 0.52, the manager's too from 0.42, nothing from 0.53.0 on.
    const legacyWritten = str(get(values, 'runners', 'namespace'));
    const reach = legacyNamespaceReach(v.chartVersion);
    const legacyNamespace = reach.jobs ? legacyWritten : undefined;
    const legacyManagerNamespace = reach.manager ? legacyWritten : undefined;
    const jobNamespaceValue = str(get(values, 'runners', 'jobNamespace'));
    const written = get(values, 'runners', 'config');
    let configText = written;
    let jobNamespaceFilled = false;
    if (typeof configText === 'string' && jobNamespaceValue !== undefined && JOB_NAMESPACE_DEFAULT.test(configText)) {
      configText = configText.replace(new RegExp(JOB_NAMESPACE_DEFAULT.source, 'g'), jobNamespaceValue);
      jobNamespaceFilled = true;
    }
    // The chart renders runners.config with tpl: {{ .Release.Namespace }} (its own default config
    // writes the namespace so, or as the default of runners.jobNamespace) is the namespace the release
    // is installed in. A helm_release states it; a values file alone does not, and then the manager's
    // ServiceAccount, if given, does (not where `namespace` places the manager elsewhere).
    const releaseNamespaceWritten = typeof configText === 'string' && (RELEASE_NAMESPACE.test(configText) || JOB_NAMESPACE_DEFAULT.test(configText));
    if (releaseNamespaceWritten && sa !== undefined && !v.namespaceUnknown) {
      const releaseNs = v.namespace ?? (chartNamespace === undefined && legacyManagerNamespace === undefined && !runsAsDefault ? soleNamespaceOf(sa) : undefined);
      if (releaseNs === undefined) {
        chartsNotPlaced = true;
        unchained.push(v);
        // The manager as `default`, in a namespace not known: as where no namespace is written at all.
        if (runsAsDefault) findings.push(finding('RF903', formatPosition(originAt(v.origin, 'serviceAccount')), NO_SERVICE_ACCOUNT, { fix: serviceAccountFix(v.chartVersion) }));
        else findings.push(finding('RF903', formatPosition(originAt(v.origin, 'runners', 'config')), `runners.config names the namespace as {{ .Release.Namespace }}, the namespace the release is installed in (helm install --namespace), which the values do not give`, { fix: `give the ServiceAccount manifest of ${sa} (kubectl get serviceaccount -o yaml) or the helm_release, or write the namespace in [runners.kubernetes] namespace` }));
        continue;
      }
      configText = (configText as string).replace(new RegExp(RELEASE_NAMESPACE.source, 'g'), releaseNs).replace(new RegExp(JOB_NAMESPACE_DEFAULT.source, 'g'), releaseNs);
    }
    // What the chart renders is what runs: the proofs read the rendered config.
    const rendered: typeof v | undefined = configText !== written ? { ...v, value: { ...values, runners: { ...(values.runners as Record<string, unknown>), config: configText } } } : undefined;
    let chartToml: Chain['chartToml'];
    let configUnrendered = false;
    if (typeof configText === 'string') {
      try {
        chartToml = { value: parseToml(configText), text: configText };
      } catch (e) {
        // Terraform's template with parts only apply knows, or directives (`%{for}`) the doctor does not
        // evaluate, where keys or tables go: TOML only once Terraform renders it. Not proven, not an error.
        const at = isTerraformConfig(v.origin.source.path) ? configText.indexOf('${') : -1;
        const unknown = at >= 0 ? configText.slice(at, at + 60).replace(/\s+/g, ' ') : undefined;
        const action = unknown === undefined ? helmRenderedAction(configText) : undefined;
        configUnrendered = unknown !== undefined || action !== undefined;
        if (unknown !== undefined) findings.push(finding('RF906', formatPosition(originAt(v.origin, 'runners', 'config')), `runners.config is TOML only once Terraform renders it (${unknown}${configText.length > at + 60 ? '…' : ''} is known only when Terraform runs): this runner's configuration is not proven`, { fix: 'write the config.toml\'s keys and tables literally, or give `terraform show -json` of a plan, which carries the rendered values' }));
        else if (action !== undefined) findings.push(finding('RF906', formatPosition(originAt(v.origin, 'runners', 'config')), `runners.config is TOML only once Helm renders it: the chart passes it through tpl, and ${action} is a template action the doctor does not render; this runner's configuration is not proven`, { fix: 'give the rendered config.toml (the config.template.toml of the ConfigMap `helm template` writes), or write the keys and tables literally' }));
        else findings.push(finding('RF901', formatPosition(originAt(v.origin, 'runners', 'config')), `runners.config is not valid TOML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!}`, { fix: 'fix the embedded config.toml' }));
      }
    }
    // A chart before 0.53.0 with no runners.config: register builds the runner from the environment its
    // legacy runners.* values give (legacyRegisterEntry), and that is what the jobs run with.
    let legacyPlaces: Chain['legacyPlaces'];
    let legacyOverConfig = false;
    if (written === undefined && chartToml === undefined) {
      const legacy = legacyRegisterEntry(values, v.chartVersion);
      if (legacy) {
        chartToml = { value: { runners: [legacy.entry] }, text: stringifyToml({ runners: [legacy.entry] }) };
        legacyPlaces = legacy.places;
      }
    } else if (chartToml !== undefined) {
      // Both runners.config and legacy runners.* values (before 0.53.0): register keeps what the
      // environment gives over the template's (legacyOverTemplate): runners.serviceAccountName is
      // the jobs' account, not the template's service_account. The text stays runners.config's.
      const merged = legacyOverTemplate(values, v.chartVersion, chartToml.value);
      if (merged) {
        chartToml = { value: merged.value, text: chartToml.text };
        legacyPlaces = merged.places;
        legacyOverConfig = true;
      }
    }
    // A helm_release (or an Argo CD Application, a Flux HelmRelease) states the namespace the
    // manager runs in; values alone, the one ServiceAccount of the manager's name given does. Else
    // the namespace the jobs run in stands for it, as it did before jobs were read apart: values alone
    // with no manifest of the manager say nothing else, and its objects are then looked up there.
    // The chart's `namespace` (or the older runners.namespace, charts 0.42 to 0.52) places the manager wherever the release is.
    const tomlNamespace = str(get(chartToml?.value, 'runners', 0, 'kubernetes', 'namespace'));
    const jobsNamespace = legacyNamespace ?? tomlNamespace;
    // The manager as `default` is placed only where the namespace it runs in is written (the chart's
    // `namespace`, runners.namespace, the release's): every namespace has a `default`, and the jobs'
    // namespace is no proof that the manager's account is that one (a wrong guess would be an RF905).
    const namespace = runsAsDefault
      ? chartNamespace ?? legacyManagerNamespace ?? v.namespace
      : chartNamespace ?? legacyManagerNamespace ?? v.namespace ?? (sa !== undefined && !v.namespaceUnknown ? soleNamespaceOf(sa) : undefined) ?? jobsNamespace;
    const replicas = chartReplicas(v);
    if (replicas) findings.push(replicas);
    // A placeholder (`<token>`, `changeme`, `${TOKEN}`) is filled in at install: no token is written (the credential scan's rule).
    const runnerToken = str(get(values, 'runnerToken'));
    // Written in clear in a file, a terraform show -json document included (the user's, not runner-fleet's output): RF940 (runnerTokenFinding).
    if (runnerToken !== undefined) {
      const leak = runnerTokenFinding(v, runnerToken);
      if (leak) findings.push(leak);
    }
    if (!sa) {
      // Chart values were found, whether or not they name the manager's service account: not "no manager" (RF910).
      chartsNotPlaced = true;
      unchained.push(v);
      // A release with a values document not read (said there): its service account may be named in it.
      if (!v.valuesUnread) findings.push(finding('RF903', formatPosition(originAt(v.origin, 'serviceAccount')), 'the values name no service account for the manager; the chart then names it after the Helm release, which the values do not give', { fix: serviceAccountFix(v.chartVersion) }));
      continue;
    }
    // A helm_release whose namespace is not statically known (RF906 at it): no namespace is guessed.
    if (v.namespaceUnknown) {
      if (createsSa) unplacedServiceAccounts.add(sa);
      unchained.push(v);
      continue;
    }
    const ns = namespace ?? (runsAsDefault ? undefined : soleNamespaceOf(sa));
    if (!ns && runsAsDefault) {
      // The namespace not known: `default` of which namespace is not known, so no chain (as before).
      chartsNotPlaced = true;
      unchained.push(v);
      if (!v.valuesUnread) findings.push(finding('RF903', formatPosition(originAt(v.origin, 'serviceAccount')), NO_SERVICE_ACCOUNT, { fix: serviceAccountFix(v.chartVersion) }));
      continue;
    }
    if (!ns) {
      chartsNotPlaced = true;
      unchained.push(v);
      findings.push(finding('RF903', formatPosition(v.origin.source.locate(v.origin.doc, [])), `the values do not say which namespace the manager ${sa} runs in`, { fix: 'set runners.config [runners.kubernetes] namespace, or give the ServiceAccount manifest' }));
      continue;
    }
    const podLabels = (isObject(values.podLabels) ? values.podLabels : {}) as Record<string, string>;
    // A runners.config with no namespace line: the chart sets KUBERNETES_NAMESPACE to the release's
    // namespace (templates/_env_vars.tpl), not to the `namespace` the manager is placed in. With no
    // runners.config, the chart's default one writes runners.jobNamespace, else the release's.
    const jobNs = jobsNamespace ?? (chartToml === undefined && !configUnrendered ? jobNamespaceValue : undefined) ?? v.namespace ?? ns;
    const chain: Chain = { name: chainName(v.release !== undefined ? { release: v.release, ...podLabels } : podLabels, v.origin, ns), namespace: ns, jobNamespace: jobNs, managerSa: sa, origin: v.origin, values: rendered ?? v, chartCreatesSa: createsSa, podLabels };
    if (v.namespaceNote !== undefined && ns === v.namespace) chain.namespaceNote = v.namespaceNote;
    if (renamedNote !== undefined) chain.namespaceNote = chain.namespaceNote !== undefined ? `${chain.namespaceNote}; ${renamedNote}` : renamedNote;
    if (v.chartNote !== undefined) chain.namespaceNote = chain.namespaceNote !== undefined ? `${chain.namespaceNote}; ${v.chartNote}` : v.chartNote;
    if (legacyNamespace !== undefined) chain.jobNamespaceValue = 'namespace';
    else if (jobNamespaceValue !== undefined && jobNs === jobNamespaceValue && (jobNamespaceFilled || tomlNamespace === undefined)) chain.jobNamespaceValue = 'jobNamespace';
    if (chartToml) chain.chartToml = chartToml;
    if (legacyPlaces) chain.legacyPlaces = legacyPlaces;
    if (legacyOverConfig) chain.legacyOverConfig = true;
    if (!namespaceRead && get(chain.values!.value, 'namespace') !== undefined) {
      // A chart that reads no top-level namespace (before 0.79.0): its Role and RoleBinding are not placed by it either (chartRbac).
      const value = { ...chain.values!.value };
      delete value.namespace;
      chain.values = { ...chain.values!, value };
    }
    if (legacyWritten !== undefined && !reach.role) {
      // A chart that reads no runners.namespace (0.53.0 and later): its Role is not placed by it either (chartRbac).
      const runners = { ...(chain.values!.value.runners as Record<string, unknown>) };
      delete runners.namespace;
      chain.values = { ...chain.values!, value: { ...chain.values!.value, runners } };
    }
    if (jobNamespaceValue !== undefined && !jobNamespaceRoleRead(v.chartVersion)) {
      // A chart that places no Role by runners.jobNamespace (before 0.84.0): chartRbac does not either.
      const runners = { ...(chain.values!.value.runners as Record<string, unknown>) };
      delete runners.jobNamespace;
      chain.values = { ...chain.values!, value: { ...chain.values!.value, runners } };
    }
    if (configUnrendered) {
      // What the chart deploys is not known until it is rendered: the proofs read no runners.config (a config.toml given beside the values is read, as where none is written).
      chain.configUnrendered = true;
      const runners = { ...(chain.values!.value.runners as Record<string, unknown>) };
      delete runners.config;
      chain.values = { ...chain.values!, value: { ...chain.values!.value, runners } };
    }
    chains.push(chain);
  }
  // Manager workloads (no chart). One whose namespace and service account are a chain's already is
  // that chain (a chart's values and its rendered Deployment), unless the objects the files repeat
  // tell the two apart (kubernetesOwners: each in its own deployment's folder).
  const workloads: { chain: Chain; pod: Record<string, unknown>; container: Record<string, unknown>; index: number }[] = [];
  for (const o of ev.kubernetes) {
    const pod = podSpecOf(o.value);
    if (!pod) continue;
    const containers = Array.isArray(pod.containers) ? (pod.containers as Record<string, unknown>[]) : [];
    const runnerContainer = containers.find((c) => typeof c.image === 'string' && RUNNER_IMAGE.test(c.image));
    if (!runnerContainer) continue;
    const ns = o.value.metadata.namespace ?? 'default';
    const sa = str(pod.serviceAccountName) ?? str(pod.serviceAccount) ?? 'default';
    const labels = (o.value.metadata.labels ?? {});
    const chain: Chain = { name: chainName(labels, o.origin, ns), namespace: ns, jobNamespace: ns, managerSa: sa, origin: o.origin, chartCreatesSa: false, podLabels: labels, workload: { object: o } };
    // Its namespace set by an Argo CD kustomize.namespace that differs from the Application's destination.namespace (kustomize-namespace.ts).
    const namespaceNote = ev.namespaceNotes?.get(originKey(o.origin));
    if (namespaceNote !== undefined) chain.namespaceNote = namespaceNote;
    workloads.push({ chain, pod, container: runnerContainer, index: containers.indexOf(runnerContainer) });
  }
  // Token Secrets Terraform creates, as objects of their file, so they belong to a deployment as manifests do.
  const tfSecrets = terraformSecrets(ev, root);
  const k8sAndSecrets = [...ev.kubernetes, ...tfSecrets.values()];
  const tentative = workloads.length > 0 ? kubernetesOwners(k8sAndSecrets, [...chains, ...workloads.map((w) => w.chain)]) : undefined;
  const managerWorkloads: typeof workloads = [];
  // A workload is a chain of its own unless a chain of its namespace and service account is of its
  // deployment (not apart from it): the chains by namespace, service account and cells (cellKey), as
  // a question to each such chain grew with the square where every folder keeps those names.
  const sameKey = (c: Chain): string => `${c.namespace}\u0000${c.managerSa}\u0000${tentative!.cellKey(c)}`;
  const seen = new Set<string>(workloads.length > 0 ? chains.map(sameKey) : []);
  for (const w of workloads) {
    const { chain } = w;
    const k = sameKey(chain);
    if (seen.has(k)) continue;
    seen.add(k);
    const podSecurity = managerPodSecurity(chain.workload!.object, w.pod, w.container, w.index);
    if (podSecurity) findings.push(podSecurity);
    chains.push(chain);
    managerWorkloads.push(w);
  }
  // Two deployments given together may reuse names: each object belongs to the chains of its own (kubernetesOwners).
  // The owners are first told from the managers' namespaces: a manager workload's ConfigMap is of its own.
  let owners = kubernetesOwners(k8sAndSecrets, chains);
  const ofChain = (chain: Chain, o: Located<K8sObject>): boolean => owners.has(chain, o);
  // A manager workload's config.toml is a key of a ConfigMap of its namespace: its own deployment's
  // (the last of that namespace and name of its own, found through the owners' index: a filter of
  // every object per manager grew with the square of the folders).
  const configMapsByName = new Map<string, Located<K8sObject>[]>();
  if (managerWorkloads.length > 0) {
    for (const o of ev.kubernetes) {
      if (o.value.kind !== 'ConfigMap') continue;
      const key = `${o.value.metadata.namespace ?? 'default'}\u0001${o.value.metadata.name}`;
      const list = configMapsByName.get(key);
      if (list) list.push(o);
      else configMapsByName.set(key, [o]);
    }
  }
  for (const { chain, pod, container, index } of managerWorkloads) {
    const configMapOf = (name: string) => owners.of(configMapsByName.get(`${chain.namespace}\u0001${name}`) ?? [], chain).at(-1);
    const mounted = mountedConfigToml(pod, container, chain.namespace, configMapOf);
    let broken = false;
    if (mounted) {
      try {
        chain.configToml = { value: parseToml(mounted.text), origin: mounted.origin };
        chain.jobNamespace = str(get(chain.configToml.value, 'runners', 0, 'kubernetes', 'namespace')) ?? chain.namespace;
        chain.workload!.configMap = mounted.written;
      } catch (e) {
        broken = true;
        // Said here (RF906, RF901) at the file's own place: not also "not in the evidence" (RF903).
        chain.configUnrendered = true;
        const later = runTimePlaceholders(mounted.text);
        if (later) findings.push(finding('RF906', formatPosition(originAt(mounted.origin, ...later.path)), `${mounted.name}: ${mounted.key} writes \${${later.name}} where a value belongs (${later.count === 1 ? 'the one such value' : `the first of ${later.count}`}), not a TOML value: a script fills it in at run time (an entrypoint's sed or envsubst) before the runner reads the file, so the config.toml that runs is known only then; not read, so the jobs' settings and identity are not proven`, { fix: `give the config.toml as the runner reads it (kubectl exec … cat /home/gitlab-runner/.gitlab-runner/config.toml), or write the values in ${mounted.name}` }));
        else findings.push(finding('RF901', formatPosition(originAt(mounted.origin)), `${mounted.name}: ${mounted.key} is not valid TOML: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!}`, { fix: `fix the config.toml in ${mounted.name}` }));
      }
    }
    // Registered from the container's environment (register-env.ts): the entry register appends to
    // a config.toml that has none of its own is what the jobs run with (the chart before 0.53.0).
    // Or from the environment of an init container that runs gitlab-runner (`args: [register]`) and
    // writes the config.toml to a volume the runner container mounts: register runs once before the
    // manager starts, and the manager reads what it wrote.
    const fromInit = broken ? undefined : envRegisteredInit(pod, container);
    const fromEnv = broken ? undefined : envRegisteredEntry(container) ?? fromInit;
    const entries = get(chain.configToml?.value, 'runners');
    if (fromEnv && !(Array.isArray(entries) && entries.length > 0)) {
      const base = chain.configToml;
      const at = fromEnv === fromInit ? { index: fromInit.index, field: 'initContainers' as const } : { index, field: 'containers' as const };
      // Init containers run in order: one after the register that appends TOML to the config.toml it
      // wrote (`cat <<EOF >> /etc/gitlab-runner/config.toml`) adds to its entry (register-env.ts
      // initAppendsToConfig); one whose tables are not decided from the files is said (RF903), not guessed.
      const object = chain.workload!.object;
      const podPath = object.value.kind === 'Pod' ? ['spec'] : object.value.kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template', 'spec'] : ['spec', 'template', 'spec'];
      const appends = fromEnv === fromInit && object.address === undefined ? initAppendsToConfig(pod, container, fromInit.index, object.origin, podPath) : [];
      for (const a of appends) {
        if (!a.decided) findings.push(finding('RF903', formatPosition(a.at), `${object.value.kind} ${chain.namespace}/${object.value.metadata.name}: init container ${a.name} appends to the config.toml the init container ${initName(pod, fromInit!.index)} registered, but ${a.why}: what the file then holds is not decided from the files given, so what it appends is not checked`, { fix: `write what init container ${a.name} appends as [[runners.…]] tables (they continue the entry register wrote), or give the config.toml the manager runs with (kubectl exec … cat /etc/gitlab-runner/config.toml)` }));
      }
      const decided = appends.filter((a): a is Extract<typeof a, { decided: true }> => a.decided);
      const composed = withAppends(fromEnv.entry, decided);
      chain.configToml = { value: { ...(isObject(base?.value) ? base.value : {}), runners: composed.runners }, origin: envRegisteredOrigin(object, at.index, fromEnv.places, base?.origin, at.field, decided.length > 0 ? composed.locate : undefined) };
      chain.jobNamespace = str(get(fromEnv.entry, 'kubernetes', 'namespace')) ?? chain.namespace;
    }
  }
  // 2. Standalone config.toml files join the manager in their namespace; one whose namespace the
  // chart's runners.config does not share joins the chart runner named as its folder
  // (runners/<runner>/config.toml), so the difference is said (RF917), not read as a second runner.
  for (const t of ev.configTomls) {
    const ns = str(get(t.value, 'runners', 0, 'kubernetes', 'namespace'));
    const folder = t.origin.source.path.split(/[\\/]/).slice(-2, -1)[0];
    const chain = chains.find((c) => (c.namespace === ns || c.jobNamespace === ns) && !c.configToml) ?? chains.find((c) => c.chartToml !== undefined && !c.configToml && c.name === folder);
    if (chain) {
      chain.configToml = t;
      // Without runners.config the chain deploys this config.toml: its jobs run where it says.
      if (!chain.chartToml && ns !== undefined) chain.jobNamespace = ns;
    }
    else if (get(t.value, 'runners', 0, 'executor') === 'kubernetes') {
      findings.push(finding('RF903', formatPosition(originAt(t.origin, 'runners')), `config.toml runs jobs in namespace ${ns ?? 'default'}, but no manager for it (chart values, or a Deployment, StatefulSet or DaemonSet running gitlab-runner) is in the evidence`, { fix: 'give the Helm values or the manager workload (Deployment, StatefulSet) too' }));
    }
  }
  // A manager workload's jobs' namespace is known only once its ConfigMap (or a config.toml given
  // beside it) is read: the objects there (the manager's Role and RoleBinding for its job pods, the
  // jobs' ServiceAccount), given once per deployment, are then told apart as the manager's are.
  // Told before, they were no chain's candidates, so no chain's objects (a false RF106, RF903).
  if (chains.some((c) => c.jobNamespace !== c.namespace)) owners = kubernetesOwners(k8sAndSecrets, chains);
  // Unique names.
  const used = new Map<string, number>();
  for (const c of chains) {
    const n = used.get(c.name) ?? 0;
    used.set(c.name, n + 1);
    if (n > 0) c.name = `${c.name}-${n + 1}`;
  }

  /** A document creating a Secret belongs to the chains of its deployment (one not read as an object: every chain's). */
  const ofCreator = (chain: Chain, c: SecretCreator): boolean => c.object === undefined || ofChain(chain, c.object);
  const ownCopy = (a: Chain, b: Chain): Located<K8sObject> | undefined => owners.ownCopy(a, b);
  // The objects by namespace and the service accounts by namespace and name, in the files' order:
  // a chain reads its own, not every object of the files (many deployments given together).
  const byNamespace = groupBy(ev.kubernetes, (o) => namespaceOf(o.value) ?? '\u0000cluster');
  // Where each object is in the files' order (a chain's files are listed in it, found without a search of every object).
  const placesOf = new Map<K8sObject, number[]>();
  ev.kubernetes.forEach((o, i) => {
    const at = placesOf.get(o.value);
    if (at) at.push(i);
    else placesOf.set(o.value, [i]);
  });
  // As a reference reads them: a cluster-wide object other than a Namespace counts as given in `default`.
  const givenByNamespace = groupBy(ev.kubernetes, (o) => o.value.metadata.namespace ?? (o.value.kind === 'Namespace' ? o.value.metadata.name : 'default'));
  const accountsByName = groupBy(serviceAccounts, (o) => `${o.value.metadata.namespace ?? 'default'}\u0000${o.value.metadata.name}`);
  /** The chain's namespaces: the manager's, and the jobs' where they run apart. */
  const namespacesOf = (chain: Chain): string[] => (chain.jobNamespace === chain.namespace ? [chain.namespace] : [chain.namespace, chain.jobNamespace]);
  /** The chain's objects of its namespaces (their Namespace objects included). */
  const chainObjects = (chain: Chain): Located<K8sObject>[] => namespacesOf(chain).flatMap((ns) => owners.of(byNamespace.get(ns) ?? [], chain));
  /** The chain's ServiceAccounts of this name in a namespace (the manager's by default): one, none, or several equally near (not known which). */
  const serviceAccountsOf = (chain: Chain, name: string, ns = chain.namespace): Located<K8sObject>[] => owners.of(accountsByName.get(`${ns}\u0000${name}`) ?? [], chain);

  // 3. Identities, clusters, caches, runners.
  const readers = kubernetesReaders();
  // What the files say of the cloud the cluster runs in (cloud-in-files.ts): decided once, where a manager has no binding.
  let cloud: CloudInFiles | undefined;
  // A binding written in Terraform (a Pod Identity association) is the deployment's nearest to it:
  // of the runners of its namespace, those whose file shares the longest folder path with its file.
  const owns = (chain: Chain) => (address: string): boolean => {
    const at = ev.terraform.origins.get(address)?.source.path;
    if (at === undefined) return true;
    const candidates = chains.filter((c) => c.namespace === chain.namespace || c.jobNamespace === chain.jobNamespace);
    const depth = sharedFolders(at, chain.origin.source.path);
    return candidates.every((c) => sharedFolders(at, c.origin.source.path) <= depth);
  };
  const saEvidence = (chain: Chain, name: string, chartMade: boolean, namespace = chain.namespace): ServiceAccountEvidence => {
    const [object, ...others] = serviceAccountsOf(chain, name, namespace);
    const mine = chains.length > 1 ? { owns: owns(chain) } : {};
    // Several equally near: the chain stops before its proofs (RF903 below), so none is picked.
    if (object && others.length === 0) return { namespace, name, object, ...mine };
    if (chartMade && chain.values) {
      // The chart creates it from serviceAccount.annotations (older charts: rbac.serviceAccountAnnotations).
      const annotations = get(chain.values.value, 'serviceAccount', 'annotations') ?? get(chain.values.value, 'rbac', 'serviceAccountAnnotations') ?? {};
      const value: K8sObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: chain.namespace, annotations: annotations as Record<string, string> } };
      return { namespace: chain.namespace, name, object: { value, origin: { ...chain.values.origin, path: [...chain.values.origin.path, 'serviceAccount'] } }, ...mine };
    }
    return { namespace, name, ...mine };
  };
  const roles = new Set(Object.values(root.resource.aws_iam_role ?? {}).map((b) => String(b.name)));
  // Several roots given together (prod/ and staging/, each in its own AWS account): the account of a
  // chain's own root is that its manager role's aws provider states, else the one its binding's ARN
  // names. Its manager role: the role of that name in the chain's folder or the nearest folder above
  // it, else the only one of that name (looked up by folder, not tried against every root's copy).
  const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.');
  const roleKeysAt = root.awsProvidersOf !== undefined ? groupBy(Object.keys(root.resource.aws_iam_role ?? {}), (k) => `${String(root.resource.aws_iam_role![k]!.name)}\u0000${folderOf(ev.terraform.origins.get(`aws_iam_role.${k}`)?.source.path ?? '')}`) : undefined;
  const roleKeysByName = roleKeysAt !== undefined ? groupBy(Object.keys(root.resource.aws_iam_role ?? {}), (k) => String(root.resource.aws_iam_role![k]!.name)) : undefined;
  const ownRoleKeys = (chain: Chain, name: string): string[] => {
    for (let f = folderOf(chain.origin.source.path); ; f = f.includes('/') ? folderOf(f) : '.') {
      const at = roleKeysAt!.get(`${name}\u0000${f}`);
      if (at) return at;
      if (f === '.') break;
    }
    const all = roleKeysByName!.get(name) ?? [];
    return all.length === 1 ? all : [];
  };
  const ownAccountOf = (chain: Chain, binding: DoctorBinding): { account?: string; root?: unknown } => {
    let of: unknown;
    for (const k of ownRoleKeys(chain, binding.roleName)) {
      const address = `aws_iam_role.${k}`;
      of ??= root.awsProvidersOf!.get(address);
      const stated = providerAccount(awsProviderOf(root, root.resource.aws_iam_role![k]!, address));
      if (stated !== undefined) return { account: stated, root: of };
    }
    return { ...(binding.account !== undefined ? { account: binding.account } : {}), ...(of !== undefined ? { root: of } : {}) };
  };
  /** Runner index → the account of its own root, where several roots were given (set on the runner once the fleet's account is known). */
  const runnerAccounts = new Map<number, string>();
  /** A root (its aws providers, Evidence.terraform.awsProvidersOf) → the account of its runners; null: they name several. */
  const rootAccounts = new Map<unknown, string | null>();
  // Every binding asks for its role's trust (cluster keys, cluster settings): each is looked up and parsed once.
  const roleBodies = new Map<unknown, Record<string, unknown>>();
  for (const b of Object.values(root.resource.aws_iam_role ?? {})) if (!roleBodies.has(b.name)) roleBodies.set(b.name, b);
  const trusts = new Map<string, unknown>();
  const trustOf = (roleName: string): unknown => {
    if (trusts.has(roleName)) return trusts.get(roleName);
    const body = roleBodies.get(roleName);
    let trust: unknown;
    try {
      trust = body ? (JSON.parse(String(body.assume_role_policy)) as unknown) : undefined;
    } catch {
      trust = undefined;
    }
    trusts.set(roleName, trust);
    return trust;
  };

  interface Party {
    sa: ServiceAccountEvidence;
    binding?: DoctorBinding;
    reader?: (typeof readers)[number];
  }
  /** Whether a binding's identity has its documents in the evidence (default: an IAM role of that name). */
  const known = (b: DoctorBinding): boolean => b.inEvidence ?? roles.has(b.roleName);
  /**
   * A role of the Terraform given that the doctor left out because its trust or name cannot be read
   * (RF901, RF906 where that is written): in the evidence, so not "not in the evidence given"; its chain is not proven.
   */
  const leftOut = (b: DoctorBinding, whose: string, fallback: Origin): Finding | undefined => {
    const ref = parseRef(b.ref);
    const role = leftOutRoles.get(ref?.type === 'aws_iam_role' ? `aws_iam_role.${ref.name}` : b.roleName);
    if (!role) return undefined;
    const roleAt = ev.terraform.origins.get(role.address);
    return finding('RF903', formatPosition(originAt(b.origin ?? fallback)), `${whose} ${b.noun ?? 'role'} ${role.name !== undefined ? `${role.name} (${role.address})` : role.address}${roleAt ? ` at ${formatPosition(originAt(roleAt))}` : ''} is in the files given, but ${role.unread} is not read (${role.code} at ${role.path}), so its trust and permissions are not proven`, { received: b.ref, fix: `fix what ${role.code} at ${role.path} says` });
  };
  const missingFix = (b: DoctorBinding): string => b.evidenceFix ?? `give its documents: aws iam get-role --role-name ${b.roleName}, its inline policies, or its Terraform`;
  const bind = (sa: ServiceAccountEvidence, chain: Chain): Party => {
    for (const r of readers) {
      const b = r.doctor.bindingOf(sa, ctxOf(chain));
      if (b) return { sa, binding: b, reader: r };
    }
    return { sa };
  };
  // A binding written in Terraform (by address) of deployments given together is its folder's: two
  // folders that each bind the service account on a cluster of one name (prod/ and staging/, both
  // `ci`) are two clusters, whatever their names.
  const clusterKeyOf = (reader: DoctorReader, b: DoctorBinding): string => {
    const at = chains.length > 1 && b.address !== undefined ? ev.terraform.origins.get(b.address)?.source.path : undefined;
    const key = reader.clusterKey(b, trustOf);
    return at === undefined ? key : `${key}|${at.split(/[\\/]/).slice(0, -1).join('/')}`;
  };
  // The cluster a chain's manager role names (its platform's cluster key), asked only of chains of
  // two deployments given together, before or after their turn.
  const managerKeys = new Map<Chain, string | undefined>();
  const managerKeyOf = (c: Chain): string | undefined => {
    if (!managerKeys.has(c)) {
      const p = bind(saEvidence(c, c.managerSa, c.chartCreatesSa), c);
      managerKeys.set(c, p.binding && p.reader && known(p.binding) ? clusterKeyOf(p.reader.doctor, p.binding) : undefined);
    }
    return managerKeys.get(c);
  };

  const intentRunners: IntentRunner[] = [];
  const identities: CloudIdentity[] = [];
  const clusters: ResolvedCluster[] = [];
  // The names the clusters above have, kept as they are added: a search of them per new cluster grew with the square of the folders.
  const clusterNames = new Set<string>();
  const clusterKeys = new Map<string, ResolvedCluster>();
  const clusterBindings = new Map<ResolvedCluster, DoctorBinding[]>();
  const caches: ResolvedCache[] = [];
  const cacheIdentities = new Map<ResolvedCache, string>();
  // Cache backends look their storage up in the Terraform evidence of either cloud.
  const azureAndAws: TerraformRoot = { ...root, resource: { ...root.resource, ...azure.root.resource } };
  const docsRunners = new Map<string, EmittedRunner>();
  const runnerOrigins = new Map<number, Origin>();
  const runnerTomls = new Map<number, { origin: Origin; executor: string }>();
  const chainKeys = new Map<number, ChainKeyOrigins>();
  const clusterRbac = ev.kubernetes.filter((o) => o.value.kind === 'ClusterRole' || o.value.kind === 'ClusterRoleBinding');
  const tomlAt: Inferred['tomlAt'] = new Map();
  const cacheOrigins = new Map<number, Origin>();
  const clusterOrigins = new Map<number, Origin>();
  const summaries = new Map<string, string[]>();
  let secrets: ReturnType<typeof secretsByNamespace> | undefined;
  // Inferred runners differ in their cluster and GitLab settings only: the rest of the spec (its
  // defaults) is parsed once per cluster, the GitLab settings per runner (the schema checks no field against another).
  const specOfCluster = new Map<string, IntentRunner['spec']>();
  const runnerSpec = (clusterName: string, gitlab: Record<string, unknown>): IntentRunner['spec'] => {
    let base = specOfCluster.get(clusterName);
    if (!base) {
      const parsed = runnerSchema.safeParse({ name: 'doctor', placement: { cluster: clusterName }, gitlab });
      if (!parsed.success) throw new Error(`internal: doctor runner settings ${JSON.stringify(gitlab)}`);
      specOfCluster.set(clusterName, (base = parsed.data));
    }
    const settings = runnerSchema.shape.gitlab.safeParse(gitlab);
    if (!settings.success) throw new Error(`internal: doctor runner settings ${JSON.stringify(gitlab)}`);
    return { ...structuredClone(base), gitlab: settings.data };
  };
  const bindingOrigins = new Map<string, Origin>();
  // Runners whose chart mounts a token Secret that no document given creates (their chain does not resolve).
  const missingSecrets = new Set<string>();
  // Chains whose token Secret no document of their namespace creates, with the cluster each runs in.
  const secretToCheck: { chain: Chain; cluster: ResolvedCluster; secretName: string; runnerAt: number }[] = [];
  const chainClusters = new Map<Chain, ResolvedCluster>();
  let allCreators: ReturnType<typeof secretCreators> | undefined;
  const configNotShown = new Set<string>();
  const managerServiceAccounts = new Set<string>();
  let account: string | undefined;
  let partition: string | undefined;
  let region: string | undefined;

  /**
   * The cache of a config.toml, shared by every runner that names it: the bucket in
   * [runners.cache.s3], or another backend's own section ([runners.cache.azure], …).
   */
  const cacheRead = (toml: unknown, tomlOrigin: Origin): { ref: NonNullable<IntentRunner['cache']>; summary: string } | undefined => {
    const cacheToml = get(toml, 'runners', 0, 'cache');
    for (const backend of CACHE_BACKENDS) {
      const read = cacheReaderOf(backend.type)?.fromToml(cacheToml, azureAndAws, ev.terraform.generatedByRunnerFleet);
      if (!read) continue;
      if ('invalid' in read) {
        // A cache setting register built from an env variable or a chart value is said as the user wrote it.
        const written = tomlOrigin.source.writtenAs(tomlOrigin.doc, [...tomlOrigin.path, 'runners', 0, 'cache', ...read.invalid.at]);
        findings.push(finding('RF901', formatPosition(originAt(tomlOrigin, 'runners', 0, 'cache', ...read.invalid.at)), `${written !== undefined ? `${written}: ` : ''}${read.invalid.message}; the doctor proves nothing about this cache`, { fix: read.invalid.fix ?? 'name the storage as the cloud does' }));
        return undefined;
      }
      region ??= read.region;
      let cache = caches.find((c) => cacheIdentities.get(c) === read.identity);
      if (!cache) {
        // A runner finds its cache by name: two storages read under one name (two deployments side by
        // side, each with runner-fleet's cache "shared") are told apart by where they store.
        const name = caches.some((c) => c.name === read.name) ? `${read.name} (${read.summary})` : read.name;
        cache = { name, type: backend.type, spec: { ...read.spec, name } as ResolvedCache['spec'] };
        cacheIdentities.set(cache, read.identity);
        cacheOrigins.set(caches.length, { ...tomlOrigin, path: [...tomlOrigin.path, 'runners', 0, 'cache', ...read.at] });
        caches.push(cache);
      }
      const ref = { cache: cache.name, path: str(get(cacheToml, 'Path')) ?? '', shared: get(cacheToml, 'Shared') === true };
      return { ref, summary: `cache ${read.summary}/${ref.path}` };
    }
    return undefined;
  };
  const cacheOf = (toml: unknown, tomlOrigin: Origin): IntentRunner['cache'] => cacheRead(toml, tomlOrigin)?.ref;

  for (const chain of chains) {
    const at = formatPosition(originAt(chain.origin));
    // What the chart deploys is the values' runners.config: a config.toml next to them is read only
    // where the values hold none, and where both exist a difference the proofs would see is said.
    const chartOrigin: Origin | undefined = chain.values ? chartTomlOrigin(chain.values.origin, chain.legacyPlaces, chain.legacyOverConfig) : undefined;
    const toml = chain.chartToml ? chartDeployedToml(chain.chartToml.value, chain.values?.value) : chain.configToml?.value;
    const tomlOrigin = (chain.chartToml ? chartOrigin : undefined) ?? chain.configToml?.origin ?? chartOrigin ?? chain.origin;
    if (chain.chartToml && chain.configToml) {
      const drift = configDifference(chain.chartToml.value, chain.configToml.value);
      if (drift) {
        const copy = chain.configToml.origin;
        const key = keyPath(drift.path);
        findings.push(finding('RF917', formatPosition(originAt(chartOrigin!, ...drift.path)), `runner ${chain.name}: ${formatPosition(originAt(copy, ...drift.path))} differs from runners.config in these values at ${key}: ${shownToml(drift.path, drift.deployed)} here, ${shownToml(drift.path, drift.copy)} there. The chart deploys runners.config, so the proofs read it, not ${copy.source.path}`, { received: `${key}: in the values ${shownToml(drift.path, drift.deployed)}, in ${copy.source.path} ${shownToml(drift.path, drift.copy)}`, fix: `make ${copy.source.path} the same as runners.config, or remove it: the chart runs runners.config` }));
      }
    }
    const executor = get(toml, 'runners', 0, 'executor');
    const jobsSaName = str(get(toml, 'runners', 0, 'kubernetes', 'service_account')) ?? 'default';
    // A namespace Kubernetes refuses (RF948 where it is written), the manager's or its jobs': said on the chain's line, and the chain read no further (below).
    const refusedNs = [chain.namespace, chain.jobNamespace].find(refusedAsRead);
    if (refusedNs !== undefined) chain.refusedNamespace = refusedNs;
    const summary: string[] = [managerLine(chain, at)];
    managerServiceAccounts.add(`${chain.namespace}/${chain.managerSa}`);
    summaries.set(chain.name, summary);
    const shared = chain.workload ? sharedRegistration(chain.workload, toml) : undefined;
    if (shared) findings.push(shared);
    // The chain's references end in a config.toml: where none is shown, the chain is not proven.
    if (toml === undefined) configNotShown.add(chain.name);
    if (toml === undefined && !chain.configUnrendered) {
      findings.push(finding('RF903', at, `runner ${chain.name}: its config.toml (jobs' service account, cache) is not in the evidence given`, { fix: 'give the values with runners.config, or the config.toml' }));
    } else if (executor !== undefined && executor !== 'kubernetes') {
      findings.push(finding('RF902', at, `runner ${chain.name} uses the ${JSON.stringify(executor)} executor; the doctor reads Kubernetes runners`));
      continue;
    }
    const jobNs = chain.jobNamespace;
    // The jobs' service account is the manager's own only in the manager's namespace.
    const jobsAsManager = jobsSaName === chain.managerSa && jobNs === chain.namespace;
    summary.push(`jobs ${jobNs}/${jobsSaName} (${formatPosition(originAt(tomlOrigin, 'runners', 0, 'kubernetes', 'service_account'))})`);
    const entries = get(toml, 'runners');
    if (chain.chartToml && Array.isArray(entries) && entries.length > 1) {
      // The chart hands runners.config to `gitlab-runner register --template-config`, which takes exactly one [[runners]] entry.
      findings.push(finding('RF919', formatPosition(originAt(chartOrigin!, 'runners', 1)), `runner ${chain.name}: runners.config has ${entries.length} [[runners]] entries; the chart passes it to \`gitlab-runner register --template-config\`, which refuses a template without exactly one ("configuration template must contain exactly one [[runners]] entry"), so the manager registers no runner and runs no job. The proofs read entry 0`, { received: `${entries.length} [[runners]] entries`, allowed: 'one [[runners]] entry', fix: 'keep one [[runners]] entry in runners.config, and deploy each other runner as a release of its own' }));
    } else if (!chain.chartToml) findings.push(...laterEntriesFindings(toml, (p) => ({ path: formatPosition(originAt(tomlOrigin, ...p)), where: '' }), chain.name, patchFileReader(ev, tomlOrigin.source.path, undefined, chain.workload?.object)));
    // Entry 0's ways out of its job pods (RF309/RF301: node paths, capabilities, pod_spec patches): its proofs read the rest of entry 0's job settings.
    const release = chain.chartToml && chain.values ? { values: chain.values, namespace: chain.namespace } : undefined;
    for (const { finding: f, key } of kubernetesEscapeFindings(toml, 0, patchFileReader(ev, tomlOrigin.source.path, release, chain.workload?.object))) findings.push({ ...f, path: formatPosition(originAt(tomlOrigin, ...key)), message: `runner ${chain.name}: ${f.message}` });

    // A namespace Kubernetes refuses (RF948 where it is written): nothing of the chain is deployed, and
    // its accounts, bindings and trust are not matched in a namespace that cannot exist; what was read
    // above holds whatever the namespace, and its config.toml gets the checks of a chain not proven.
    if (chain.refusedNamespace !== undefined) continue;
    // A ServiceAccount given more than once, each copy as near to this chain's files as the others
    // (two clusters' manifests side by side in one folder): which one its pods run as is not shown.
    const parties: [string, string][] = [[chain.namespace, chain.managerSa], ...(toml !== undefined && !jobsAsManager ? [[jobNs, jobsSaName] as [string, string]] : [])];
    const repeated = parties.map(([ns, name]) => ({ ns, name, copies: serviceAccountsOf(chain, name, ns) })).filter((x) => x.copies.length > 1);
    if (repeated.length > 0) {
      const given = repeated.map(({ ns, name, copies }) => `ServiceAccount ${ns}/${name} is given ${copies.length} times (${copies.map((o) => formatPosition(originAt(o.origin))).join(', ')})`).join('; ');
      findings.push(finding('RF903', at, `runner ${chain.name}: ${given}, no copy nearer to the runner's files than the others (two deployments' manifests side by side), so which one its pods run as, and so the chain, is not shown`, { fix: "give each cluster's deployment in a folder of its own (a runner reads the copies in its own folder), or run the doctor on one deployment at a time" }));
      continue;
    }
    let manager = bind(saEvidence(chain, chain.managerSa, chain.chartCreatesSa), chain);
    // Jobs named as the manager's own service account run as the one the chart creates (with its annotations), when it does.
    let jobs = bind(saEvidence(chain, jobsSaName, jobsAsManager && chain.chartCreatesSa, jobNs), chain);
    // References that do not resolve, in both directions: each party's in its own namespace.
    const givenIn = (ns: string): boolean => owners.of(givenByNamespace.get(ns) ?? [], chain).length > 0;
    const k8sGiven = givenIn(chain.namespace);
    const jobsK8sGiven = jobNs === chain.namespace ? k8sGiven : givenIn(jobNs);
    // A party without a binding, where the namespace has a binding written for a service account that
    // does not exist (an association renamed): that is the party's binding, broken. The runner stays
    // in the proofs, and those that need the binding fail (rules.ts reports the binding itself).
    if ((k8sGiven || jobsK8sGiven) && (!manager.binding || !jobs.binding)) {
      const exists = (ns: string, name: string) => serviceAccountsOf(chain, name, ns).length > 0 || (ns === chain.namespace && name === chain.managerSa && manager.sa.object !== undefined);
      const strayIn = (ns: string) => readers.flatMap((r) => (r.doctor.bindingsIn?.(ns, ctx) ?? []).filter((x) => !exists(ns, x.serviceAccount)).map((x) => ({ ...x, reader: r })));
      const strays = new Map(namespacesOf(chain).map((ns) => [ns, strayIn(ns)]));
      const adopt = (p: Party, purpose: 'manager' | 'jobs'): Party => {
        const stray = strays.get(p.sa.namespace) ?? [];
        if (p.binding || !p.sa.object || stray.length === 0) return p;
        // The one stray binding, or the one whose address or role names this party.
        const named = stray.filter((x) => x.address.includes(p.sa.name) || x.binding.roleName.includes(p.sa.name) || x.address.endsWith(purpose) || x.binding.roleName.endsWith(purpose));
        const pick = stray.length === 1 ? stray[0]! : named.length === 1 ? named[0]! : undefined;
        if (!pick) return p;
        stray.splice(stray.indexOf(pick), 1);
        const origin = ev.terraform.origins.get(pick.address);
        return { sa: p.sa, binding: { ...pick.binding, ...(origin ? { origin: { ...origin, path: [...origin.path, 'service_account'] } } : {}) }, reader: pick.reader };
      };
      manager = adopt(manager, 'manager');
      jobs = adopt(jobs, 'jobs');
    }
    if (!manager.sa.object) {
      const v = chain.values?.value;
      // Current charts create it with serviceAccount.create; older ones with rbac.create (name in rbac.serviceAccountName).
      const chartWillNotCreate = v !== undefined && (get(v, 'serviceAccount', 'create') === false || (get(v, 'serviceAccount', 'create') === undefined && get(v, 'rbac', 'create') === false));
      if (chain.values && chartWillNotCreate && k8sGiven) {
        const key = get(v, 'serviceAccount', 'name') !== undefined ? ['serviceAccount', 'name'] : ['rbac', 'serviceAccountName'];
        findings.push(finding('RF904', formatPosition(originAt(chain.values.origin, ...key)), `the values name service account ${chain.namespace}/${chain.managerSa}, which the chart will not create (${key[0] === 'rbac' ? 'rbac.create' : 'serviceAccount.create'}: false) and which is not among the objects given${madeByCommandClause(madeByCommands(), chain.namespace, chain.managerSa)}`, { received: chain.managerSa, fix: `create ServiceAccount ${chain.namespace}/${chain.managerSa}, or set serviceAccount.create: true` , subject: { kind: 'service-account', namespace: chain.namespace, name: chain.managerSa } }));
      } else if (chain.managerSa !== 'default') {
        findings.push(finding(k8sGiven ? 'RF904' : 'RF903', at, `service account ${chain.namespace}/${chain.managerSa} of the manager ${k8sGiven ? 'does not exist among the objects given' : 'is not in the evidence given'}${madeByCommandClause(madeByCommands(), chain.namespace, chain.managerSa)}`, { fix: `give or create ServiceAccount ${chain.namespace}/${chain.managerSa}` , subject: { kind: 'service-account', namespace: chain.namespace, name: chain.managerSa } }));
      }
    }
    if (toml !== undefined && !jobs.sa.object && jobsSaName !== 'default') {
      findings.push(finding(jobsK8sGiven ? 'RF904' : 'RF903', formatPosition(originAt(tomlOrigin, 'runners', 0, 'kubernetes', 'service_account')), `${tomlWriter(tomlOrigin, ['runners', 0, 'kubernetes', 'service_account'])} runs jobs as ${jobNs}/${jobsSaName}, which ${jobsK8sGiven ? 'does not exist among the objects given' : 'is not in the evidence given'}${madeByCommandClause(madeByCommands(), jobNs, jobsSaName)}`, { received: jobsSaName, fix: `create ServiceAccount ${jobNs}/${jobsSaName}, or name an existing one in ${jobsSaSetting(tomlOrigin)}` , subject: { kind: 'service-account', namespace: jobNs, name: jobsSaName } }));
    }
    if (toml !== undefined && jobsAsManager) {
      findings.push(finding('RF905', formatPosition(originAt(tomlOrigin, 'runners', 0, 'kubernetes', 'service_account')), `the jobs run as the manager's own service account ${chain.namespace}/${jobsSaName}: every job gets the manager's identity, its cache signing rights and its RBAC`, { received: jobsSaName, fix: `give jobs their own service account (and role) in ${jobsSaSetting(tomlOrigin)}` }));
    }
    const near = (address: string): number | undefined => {
      const o = ev.terraform.origins.get(address);
      return o ? sharedFolders(o.source.path, chain.origin.source.path) : undefined;
    };
    const meant = manager.binding ? undefined : readers.map((r) => r.doctor.unboundIdentity?.({ namespace: chain.namespace, name: chain.managerSa, given: manager.sa.object !== undefined, near, ...(chains.length > 1 ? { owns: owns(chain) } : {}) }, ctx, trustOf)).find((x) => x !== undefined);
    if (meant) {
      // Its role says how the manager was meant to get credentials: without the binding it silently gets the node's.
      const roleAt = ev.terraform.origins.get(meant.address);
      const where = roleAt ? formatPosition(originAt(roleAt)) : at;
      const about = `the manager of runner ${chain.name} (${at}): ${meant.identity}, but ${meant.missing}`;
      const effect = `${meant.without}${get(toml, 'runners', 0, 'cache') !== undefined ? ', so the cache it signs for fails with only a warning in the job log' : ''}, and its chain is not proven`;
      if (meant.shown) findings.push(finding('RF904', where, `${about}: ${effect}`, { received: meant.roleName, fix: meant.fix }));
      else findings.push(finding('RF903', where, `${about}; it may be written in a file not given. Without it ${effect}`, { received: meant.roleName, fix: `give the Terraform that writes the cluster's Pod Identity associations, or ${meant.fix}` }));
      continue;
    }
    // The manager as its namespace's `default` (chart values that name and create none, a workload
    // whose pod names none): an account every pod of the namespace that names none runs as.
    const asDefault = chain.managerSa === DEFAULT_SA ? `, the namespace's default service account, which ${chain.values ? 'the chart runs the manager as (the values name no service account and have the chart create none)' : 'the manager pod runs as (it names no serviceAccountName)'} and which every pod of ${chain.namespace} that names no service account runs as too` : '';
    const ownAccountFix = chain.values ? 'give the manager a service account of its own (serviceAccount.create: true, serviceAccount.name)' : 'give the manager pod a service account of its own (serviceAccountName)';
    if (!manager.binding && (cloud ??= cloudInFiles(ev)).kind !== 'cloud') {
      const about = `the manager ${chain.namespace}/${chain.managerSa}${asDefault} has no cloud identity of its own (no role annotation or association in the evidence)`;
      if (cloud.kind === 'unknown') findings.push(finding('RF903', at, `${about}. ${nodeRoleNotKnown(cloud)}, so what cloud credentials the manager has is not known`, { received: `${chain.namespace}/${chain.managerSa}`, fix: asDefault ? `${ownAccountFix}; ${NODE_ROLE_FIX}` : NODE_ROLE_FIX }));
      // A cloud of another IAM (GCP, IBM Cloud, Alibaba Cloud): its node identity is not an AWS role or an Azure identity, which are the ones proven (DESIGN.md).
      else if (cloud.kind === 'elsewhere') findings.push(finding('RF903', at, `${about}. The files name a cloud whose instance identity is not AWS's or Azure's (${cloud.what}): there the manager may get what its node's identity of that cloud's IAM allows, which the doctor does not read or prove (it proves AWS and Azure identities only), so what cloud credentials the manager has is not known`, { received: `${chain.namespace}/${chain.managerSa}`, fix: asDefault ? `${ownAccountFix}; give it its own identity of that cloud and check what the node's identity may do` : "give the manager its own identity of that cloud and check what the node's identity may do" }));
      // The cluster's Infrastructure names a platform whose nodes have no cloud identity: no node role to get, nothing to say.
      continue;
    }
    if (!manager.binding) {
      // What names the cloud names Azure alone (an azurerm resource or provider block, an AKS label): on AKS a pod
      // with no Workload Identity gets, through the node's metadata endpoint, the managed identities of its VM
      // scale set (aksDoctor.podsWithoutIdentity), and the fix is Azure's binding, not IRSA.
      const azure = cloud?.kind === 'cloud' && cloud.azureOnly;
      const gets = azure ? "the node's managed identity (the kubelet identity of its VM scale set, through the instance metadata endpoint)" : "the node's role";
      const bind = azure ? `bind it to its own managed identity (Azure Workload Identity: the ${AZURE_CLIENT_ID_ANNOTATION} annotation on its service account and a federated credential for that account)` : 'bind it to its own role (IRSA annotation or Pod Identity association)';
      findings.push(finding('RF911', at, `the manager ${chain.namespace}/${chain.managerSa}${asDefault} has no cloud identity of its own (no role annotation or association in the evidence), so it runs with ${gets}`, { fix: asDefault ? `${ownAccountFix} and ${bind}` : bind.replace(/^bind it/, 'bind the manager') }));
      continue;
    }
    if (asDefault) {
      // RF103 (a role assumable by a service account it was not made for): bound to `default`, the
      // manager's role is every such pod's, whatever it runs, not the manager's alone.
      // The platform says how such a pod gets the identity (Azure Workload Identity: its webhook and the federated credential).
      const shared = manager.binding.sharedDefault;
      const how = shared?.how ?? `every such pod gets the manager's ${manager.binding.noun ?? 'role'} and what it may do`;
      const rebind = shared ? `${shared.rebind(`${chain.namespace}/<its name>`)}, and remove the annotation of ${chain.namespace}/${DEFAULT_SA}` : `bind ${manager.binding.roleName} to it alone, and remove the binding of ${chain.namespace}/${DEFAULT_SA}`;
      findings.push(finding('RF103', formatPosition(manager.binding.origin ? originAt(manager.binding.origin) : originAt(chain.origin)), `the manager's ${manager.binding.noun ?? 'role'} ${manager.binding.roleName} is bound to ${chain.namespace}/${DEFAULT_SA}${asDefault}: ${how}, not the manager alone`, { received: `${chain.namespace}/${DEFAULT_SA}`, fix: `${ownAccountFix}, ${rebind}` }));
    }
    if (!known(manager.binding)) {
      const unread = leftOut(manager.binding, "the manager's", chain.origin);
      if (unread) {
        findings.push(unread);
        continue;
      }
      findings.push(finding('RF903', formatPosition(manager.binding.origin ? originAt(manager.binding.origin) : originAt(chain.origin)), `the manager's ${manager.binding.noun ?? 'role'} ${manager.binding.roleName} is not in the evidence given, so its trust and permissions are not proven`, { received: manager.binding.ref, fix: missingFix(manager.binding), subject: { kind: 'role-not-given', ref: manager.binding.ref, whose: 'manager', noun: manager.binding.noun ?? 'role' } }));
      continue;
    }
    const reader = manager.reader!;
    const key = clusterKeyOf(reader.doctor, manager.binding);
    let cluster = clusterKeys.get(key);
    // Another deployment's chain (each has its own copy of an object both name alike) whose manager's
    // role names the same cluster, while this chain's jobs' role names another: this manager is bound
    // to the other deployment's role (a copied annotation). RF104 at its binding; no proofs.
    const jobsKey = jobs.binding && jobs.reader && known(jobs.binding) ? clusterKeyOf(jobs.reader.doctor, jobs.binding) : undefined;
    const rival = jobsKey !== undefined && jobsKey !== key ? chains.find((other) => other !== chain && ownCopy(chain, other) !== undefined && managerKeyOf(other) === key) : undefined;
    if (rival) {
      const copy = ownCopy(chain, rival)!;
      const named = namespaceOf(copy.value) === undefined ? copy.value.metadata.name : `${namespaceOf(copy.value)!}/${copy.value.metadata.name}`;
      const apart = `runner ${rival.name} (${formatPosition(originAt(rival.origin))}) is another deployment given in the same call (each has its own ${copy.value.kind} ${named}, ${formatPosition(originAt(copy.origin))} for this one)`;
      findings.push(finding('RF104', formatPosition(originAt(manager.binding.origin ?? manager.sa.object?.origin ?? chain.origin)), `runner ${chain.name}: the manager ${chain.namespace}/${chain.managerSa} is bound to ${manager.binding.noun ?? 'role'} ${manager.binding.roleName}, whose trust names the cluster of runner ${rival.name}, while its jobs' ${jobs.binding!.noun ?? 'role'} ${jobs.binding!.roleName} names another cluster: ${apart}. In its own cluster the manager cannot assume ${manager.binding.roleName}, so it runs with the node's role, and its chain is not proven`, { received: manager.binding.ref, fix: `bind ${chain.namespace}/${chain.managerSa} to the manager role of this deployment's own cluster (the cluster ${jobs.binding!.roleName} trusts), not to ${manager.binding.roleName}` }));
      continue;
    }
    if (!cluster) {
      // The platform's own documents name the cluster where no Secret's provider alias does (each name once).
      const stated = reader.doctor.clusterName?.(manager.binding, ctxOf(chain));
      const own = stated !== undefined && !clusterNames.has(stated) ? stated : undefined;
      const wanted = namespaceCluster.get(chain.namespace) ?? manager.binding.clusterName ?? own ?? (clusterKeys.size === 0 ? 'cluster' : `cluster-${clusterKeys.size + 1}`);
      // Two clusters may share a name (an AKS and an EKS cluster both called "ci"): the intent names
      // each once, the later one with its type added; the platform keeps the name it has in its cloud.
      let name = wanted;
      for (let n = 1; clusterNames.has(name); n++) name = n === 1 ? `${wanted}-${reader.type}` : `${wanted}-${reader.type}-${n}`;
      cluster = { name, type: reader.type, cloud: reader.cloud, spec: { name, type: reader.type } };
      clusterKeys.set(key, cluster);
      clusterBindings.set(cluster, []);
      // Findings about a cluster created in the files given (azurerm_kubernetes_cluster) point at its block.
      const created = manager.binding.clusterName !== undefined ? azure.origins.get(`azurerm_kubernetes_cluster.${manager.binding.clusterName}`) : undefined;
      clusterOrigins.set(clusters.length, created ?? manager.binding.origin ?? chain.origin);
      clusters.push(cluster);
      clusterNames.add(name);
    }
    clusterBindings.get(cluster)!.push(manager.binding);
    chainClusters.set(chain, cluster);
    account ??= manager.binding.account;
    partition ??= manager.binding.partition;

    const index = intentRunners.length;
    if (roleKeysAt !== undefined) {
      const own = ownAccountOf(chain, manager.binding);
      if (own.account !== undefined) runnerAccounts.set(index, own.account);
      if (own.account !== undefined && own.root !== undefined) rootAccounts.set(own.root, rootAccounts.has(own.root) && rootAccounts.get(own.root) !== own.account ? null : own.account);
    }
    const identity = (purpose: 'manager' | 'jobs', p: Party): CloudIdentity =>
      reader.doctor.identity?.({ key: `${chain.name}-${purpose}`, runner: chain.name, purpose, cluster: cluster.name, namespace: p.sa.namespace, serviceAccount: p.sa.name }, p.binding!, ctxOf(chain)) ?? {
      cloud: 'aws',
      key: `${chain.name}-${purpose}`,
      runner: chain.name,
      purpose,
      roleName: p.binding!.roleName,
      rolePath: p.binding!.rolePath,
      arn: p.binding!.ref,
      binding: { mechanism: p.binding!.mechanism, subject: { kind: 'kubernetes', cluster: cluster.name, namespace: p.sa.namespace, serviceAccount: p.sa.name } },
      statements: [],
    };
    identities.push(identity('manager', manager));
    bindingOrigins.set(`${chain.name}-manager`, manager.binding.origin ?? manager.sa.object?.origin ?? chain.origin);
    summary[0] += ` → ${manager.binding.noun ?? 'role'} ${manager.binding.roleName}`;
    let jobIdentity: string | undefined;
    if (jobs.binding && known(jobs.binding)) {
      identities.push(identity('jobs', jobs));
      bindingOrigins.set(`${chain.name}-jobs`, jobs.binding.origin ?? jobs.sa.object?.origin ?? tomlOrigin);
      jobIdentity = `${chain.name}-jobs`;
      clusterBindings.get(cluster)!.push(jobs.binding);
      summary[1] += ` → ${jobs.binding.noun ?? 'role'} ${jobs.binding.roleName}`;
    } else if (jobs.binding) {
      const unread = leftOut(jobs.binding, "the jobs'", chain.origin);
      if (unread) findings.push(unread);
      else findings.push(finding('RF903', formatPosition(jobs.binding.origin ? originAt(jobs.binding.origin) : originAt(chain.origin)), `the jobs' ${jobs.binding.noun ?? 'role'} ${jobs.binding.roleName} is not in the evidence given, so its trust and permissions are not proven`, { received: jobs.binding.ref, fix: missingFix(jobs.binding), subject: { kind: 'role-not-given', ref: jobs.binding.ref, whose: 'jobs', noun: jobs.binding.noun ?? 'role' } }));
    } else if (toml !== undefined) {
      // The namespace's `default` service account (no service_account set): any pod there naming none shares it.
      const unset = get(toml, 'runners', 0, 'kubernetes', 'service_account') === undefined;
      const who = jobsSaName === 'default'
        ? `${unset ? `${unsetSa(tomlOrigin)}, so ` : ''}job pods run as the namespace's default service account ${jobNs}/default, which Kubernetes creates in every namespace and every pod there that names no service account shares; it has no cloud identity of its own`
        : `the jobs' service account ${jobNs}/${jobsSaName} has no cloud identity of its own`;
      const pods = reader.doctor.podsWithoutIdentity ?? { get: "get the node's role unless the node blocks IMDS (hop limit 1), which files cannot show", fix: 'give jobs their own narrow role, or block IMDS for pods (metadata hop limit 1) and verify it on the nodes' };
      findings.push(finding('RF911', formatPosition(originAt(tomlOrigin, 'runners', 0, 'kubernetes', 'service_account')), `${who}: job pods ${pods.get}; the manager's proofs are made without them`, { fix: pods.fix }));
    }

    // Cache: the storage its [runners.cache] section names (each cache backend reads its own section).
    const read = cacheRead(toml, tomlOrigin);
    const cacheRef = read?.ref;
    if (read) summary.push(read.summary);

    const registration = gitlabSettings(root, (secrets ??= secretsByNamespace(root, tfSecrets)), chain, (o) => ofChain(chain, o));
    const gitlab = registration.settings;
    if (registration.registrationToken) {
      const t = registration.registrationToken;
      const kind = t.of.includes('gitlab_group.') ? 'group' : 'project';
      findings.push(finding('RF912', formatPosition(originAt(t.at ?? chain.origin)), `the Secret ${chain.namespace}/${str(get(chain.values?.value, 'runners', 'secret')) ?? ''} the chart mounts (runners.secret) gives ${t.key} the ${kind}'s registration token (${t.of}.runners_token): the runner registers itself by the registration-token flow, ${REGISTRATION_TOKEN_FLOW}, and whoever reads the Secret or the Terraform state can register runners that take the jobs of that ${kind}`, { received: '(a token, not shown)', fix: 'create the runner with gitlab_user_runner and give the Secret its token (runner-token = gitlab_user_runner.<name>.token, runner-registration-token empty)' }));
    }
    const spec = runnerSpec(cluster.name, gitlab);
    // A kustomization's helmCharts under a namePrefix / nameSuffix: a Secret of the name runners.secret
    // writes that the build holds is renamed with it, and the chart's Deployment, whose projected
    // volume names the Secret, follows (kustomize's name references: builtinpluginconsts
    // namereference.go, Secret from spec/template/spec/volumes/projected/sources/secret/name); a
    // Secret from outside the build keeps its name.
    const writtenSecret = str(get(chain.values?.value, 'runners', 'secret'));
    const renamedBy = chain.values?.renamedBy;
    const builtSecret = writtenSecret !== undefined && renamedBy !== undefined ? `${renamedBy.prefix}${writtenSecret}${renamedBy.suffix}` : undefined;
    const secretName = builtSecret !== undefined && builtSecret !== writtenSecret && ev.kubernetes.some((o) => o.value.kind === 'Secret' && o.value.metadata.name === builtSecret && (o.value.metadata.namespace ?? 'default') === chain.namespace) ? builtSecret : writtenSecret;
    const creators = secretName !== undefined && chain.values ? (allCreators ??= secretCreators(ev, root, tfSecrets)) : undefined;
    const created = creators?.some((c) => c.namespace === chain.namespace && c.name === secretName && ofCreator(chain, c)) === true;
    let registrationUnknown: string | undefined;
    if (registration.via === undefined) {
      if (created) {
        registrationUnknown = `the Secret ${chain.namespace}/${secretName ?? ''} does not name a gitlab_user_runner of the documents given`;
      } else {
        registrationUnknown = `its registration (the gitlab_user_runner whose token Secret ${secretName !== undefined ? `${chain.namespace}/${secretName} ` : ''}the chart mounts) is not in the evidence given`;
        // Whether the Secret is missing is decided once every chain has its cluster (below).
        if (creators && creators.length > 0 && secretName !== undefined) secretToCheck.push({ chain, cluster, secretName, runnerAt: intentRunners.length });
      }
    }
    const runner: IntentRunner = {
      name: chain.name,
      index,
      cluster: cluster.name,
      platform: cluster.type,
      spec: { ...spec, name: chain.name },
      kubernetes: {
        namespace: chain.namespace,
        ...(jobNs !== chain.namespace ? { jobNamespace: jobNs } : {}),
        managerServiceAccount: chain.managerSa,
        jobServiceAccount: jobsSaName,
        role: '',
        roleBinding: '',
        tokenSecret: secretName ?? '',
        helmRelease: chain.name,
      },
      managerIdentity: `${chain.name}-manager`,
    };
    if (jobIdentity) runner.jobIdentity = jobIdentity;
    if (cacheRef) runner.cache = cacheRef;
    if (registrationUnknown !== undefined) runner.registrationUnknown = registrationUnknown;
    intentRunners.push(runner);
    runnerOrigins.set(index, chain.origin);
    if (toml !== undefined) runnerTomls.set(index, { origin: tomlOrigin, executor: typeof executor === 'string' ? executor : 'kubernetes' });

    const own = chainObjects(chain).map((o) => o.value);
    // Cluster-wide RBAC of the files (a ClusterRoleBinding can give the manager its role), and what the chart creates.
    const manifests = [...own, ...owners.of(clusterRbac, chain).map((o) => o.value), ...(chain.values ? chartRbac(chain.values.value, chain.namespace, chain.managerSa, chain.name) : [])];
    if (manager.sa.object && !manifests.includes(manager.sa.object.value)) manifests.push(manager.sa.object.value);
    const objectFiles = [...new Set([...new Set(own.flatMap((v) => placesOf.get(v) ?? []))].sort((a, b) => a - b).map((i) => ev.kubernetes[i]!.origin.source.path))];
    const readFrom: RunnerReadFrom = { objects: objectFiles.length > 0 ? objectFiles.join(', ') : `the files given (no Kubernetes object of namespace ${chain.namespace})` };
    if (chain.values) readFrom.helmValues = chain.values.origin.source.path;
    if (toml !== undefined) readFrom.configToml = tomlOrigin.source.path;
    if (chain.workload) {
      // The chain proof names the manager as written, not Helm values: "the Deployment ns/name's config.toml (ConfigMap c)".
      const w = chain.workload;
      const what = w.object.address ?? `the ${w.object.value.kind} ${chain.namespace}/${w.object.value.metadata.name}`;
      readFrom.managerConfig = w.configMap !== undefined ? `${what}'s config.toml (${w.configMap})` : `${what} ↔ ${chain.configToml ? chain.configToml.origin.source.path : 'config.toml (not given)'}`;
    }
    const emitted: EmittedRunner = { manifests, configToml: (toml ?? {}), pipeline: {}, readFrom };
    // Where each reference of the chain is written, for the chain's findings (CHAIN_KEYS).
    const valuesAt = (...path: (string | number)[]): Origin | undefined => (chain.values ? { ...chain.values.origin, path: [...chain.values.origin.path, ...path] } : undefined);
    const inToml = (key: string): Origin => ({ ...tomlOrigin, path: [...tomlOrigin.path, 'runners', 0, 'kubernetes', key] });
    const keys: ChainKeyOrigins = { jobServiceAccount: inToml('service_account'), namespace: inToml('namespace') };
    const saKeyAt = valuesAt(...(get(chain.values?.value, 'serviceAccount', 'name') === undefined && get(chain.values?.value, 'rbac', 'serviceAccountName') !== undefined ? ['rbac', 'serviceAccountName'] : ['serviceAccount', 'name']));
    if (saKeyAt) keys.managerServiceAccount = saKeyAt;
    const rbacAt = valuesAt('rbac', 'create');
    if (rbacAt) keys.roleBinding = rbacAt;
    // The jobs' namespace where it is written: the chart value that decided it, else the config's namespace line.
    keys.jobNamespace = (chain.jobNamespaceValue !== undefined ? valuesAt('runners', chain.jobNamespaceValue) : undefined) ?? inToml('namespace');
    const secretAt = valuesAt('runners', 'secret');
    if (secretAt) keys.tokenSecret = secretAt;
    chainKeys.set(index, keys);
    if (chain.values) emitted.helmValues = chain.values.value;
    const replaced = chain.values?.chartDefaultsReplaced;
    if (replaced) {
      // The chart's values.yaml is not deployed (Flux valuesFiles): the defaults the proofs would take from it are not shown.
      emitted.helmDefaultsReplaced = true;
      const v = chain.values!.value;
      const relied = [
        ...(chartDefaultsDecide(v) ? ["its securityContext and podSecurityContext (whether the manager pod meets Pod Security restricted)"] : []),
        ...(chain.chartToml && get(chain.chartToml.value, 'runners', 0, 'executor') === undefined && get(v, 'runners', 'executor') === undefined ? ['runners.executor (the executor the runner registers with, kubernetes in the chart\'s values.yaml)'] : []),
      ];
      if (relied.length > 0) findings.push(finding('RF903', replaced.at, `${replaced.what} replaces the chart's values.yaml (Flux's source-controller deploys the files listed in its place, and the chart's own values.yaml only where it is listed), so the chart's defaults are not deployed; the values given leave to them ${relied.join(', and ')}, which is not shown`, { fix: "list values.yaml first in valuesFiles (the chart's own values under the files'), or write those values in the files or the HelmRelease's spec.values" }));
    }
    if (chain.chartToml) {
      emitted.helmRunnerToml = chain.chartToml.text;
      emitted.helmRunnerTomlValue = chain.chartToml.value;
    }
    docsRunners.set(chain.name, emitted);
  }

  // A chart's token Secret that no document creates, where documents of its cluster do create Secrets: the
  // manager cannot start. Documents are of the chain's cluster unless every runner of their namespace
  // runs in another cluster (another deployment given in the same call: an AKS one beside an EKS one).
  for (const { chain, cluster, secretName, runnerAt } of secretToCheck) {
    const elsewhere = (ns: string): boolean => {
      const there = chains.filter((c) => c.namespace === ns);
      return there.length > 0 && there.every((c) => chainClusters.has(c) && chainClusters.get(c) !== cluster);
    };
    const mine = (allCreators ?? []).filter((c) => (c.unresolved || !elsewhere(c.namespace)) && ofCreator(chain, c));
    if (mine.length === 0 || mine.some((c) => c.unresolved)) continue;
    const list = mine.map((c) => `${c.by} (${c.namespace}/${c.name})`).join(', ');
    findings.push(finding('RF904', formatPosition(originAt(chain.values!.origin, 'runners', 'secret')), `runner ${chain.name}: the chart's token Secret ${chain.namespace}/${secretName} (runners.secret) is not created by any document given; Secrets are created by ${list.length > 300 ? `${list.slice(0, 300)}…` : list}: the manager has no runner token, and how the runner is registered is not shown`, { received: secretName, fix: `create Secret ${chain.namespace}/${secretName} with the runner token (kubernetes_secret_v1 of the GitLab root, or a manifest), or name an existing Secret in runners.secret` }));
    intentRunners[runnerAt]!.registrationUnknown = `its token Secret ${chain.namespace}/${secretName} is not created by any document given`;
    missingSecrets.add(chain.name);
  }

  // A cluster is read in the Azure deployment of its chains (several given together), where they share one.
  const clusterCtx = new Map<ResolvedCluster, DoctorContext | null>();
  for (const [chain, cluster] of chainClusters) {
    const own = ctxOf(chain);
    clusterCtx.set(cluster, clusterCtx.has(cluster) && clusterCtx.get(cluster) !== own ? null : own);
  }
  const ctxOfCluster = (cluster: ResolvedCluster): DoctorContext => clusterCtx.get(cluster) ?? ctx;
  for (const cluster of clusters) {
    const reader = readers.find((r) => r.type === cluster.type)!;
    cluster.spec = reader.doctor.clusterSpec(cluster.name, clusterBindings.get(cluster) ?? [], ctxOfCluster(cluster), trustOf);
    region ??= typeof cluster.spec.region === 'string' ? cluster.spec.region : undefined;
  }

  // VM runners (EC2 Docker, docker-autoscaler, Fargate): launch templates whose user data writes a config.toml.
  // Where Terraform reads the deployment's own account (OWN_ACCOUNT in the ARNs the evaluator
  // derived) and a binding names it, settle it before the VM runners are read, so their identities
  // and the root's ARNs name one account.
  // Roots given together in several accounts: each root's texts in its own (its runners').
  const rootAccountOf = new Set(runnerAccounts.values()).size > 1 ? ownRootAccount(ev, root, rootAccounts) : undefined;
  if (ev.terraform.ownAccountRead === true && account !== undefined) settleOwnAccount(root, account, rootAccountOf);
  const documentPlatforms = new Set<string>();
  const vm = inferVmRunners(ev, root, account, { runners: intentRunners, identities, clusters, clusterOrigins, runnerOrigins, tomlAt, bindingOrigins, docsRunners, summaries, findings, cacheOf, gitlab: (r) => gitlabSettingsOf(root, r), documentPlatforms });
  // Runner managers on Azure VMs: read for their setup and identity, not proven (RF903 says so).
  const azureVms = azureVmRunners(ev, root);
  findings.push(...azureVms.findings);
  // And those Ansible azure_rm tasks create (ansible-azure-vm.ts).
  const ansibleVms = ansibleAzureVmRunners(ev);
  findings.push(...ansibleVms.findings);
  // Shell jobs made root by a host's setup outside Terraform's user data (host-grants.ts): Ansible tasks, scripts, systemd units.
  findings.push(...hostGrantFindings(ev, findings));
  // The aws provider names the account where no binding's ARN does (roles referenced by expression).
  const provider = awsOf(ev, root);
  account ??= vm.account ?? provider.account;
  partition ??= vm.partition;
  region ??= vm.region ?? provider.region;
  // A config.toml file no manager took (a chart or workload's chain in its namespace or folder, a
  // launch template's or instance's): its own settings are checked, every [[runners]] entry.
  const taken = new Set<unknown>([...vm.tomlsTaken, ...chains.map((c) => c.configToml?.value)]);
  // A config.toml a standalone shell script writes in a heredoc is such a file too (script-toml.ts).
  // And so is one an Ansible role writes from a Jinja template (jinja-toml.ts): what its branches hold is said as conditional.
  const alone = [...ev.configTomls.filter((t) => !taken.has(t.value)), ...scriptConfigTomls(ev, taken), ...(ev.jinjaTomls ?? [])];
  const secretsRestated = new Set<Finding>();
  const scanned = alone.length > 0 ? secretFindingsByFile(ev.findings) : new Map<string, Finding[]>();
  for (const t of alone) {
    const own = configTomlAloneFindings(t, scanned.get(t.origin.source.path) ?? [], patchFileReader(ev, t.origin.source.path));
    const source = t.origin.source;
    // A template read in several readings of its branches (jinja-toml.ts): what is outside them is said once.
    if (source instanceof TemplateTomlSource) findings.push(...own.findings.map((f) => source.conditional(f)).filter((f) => !findings.some((g) => g.code === f.code && g.path === f.path && g.message === f.message)));
    else findings.push(...own.findings);
    for (const f of own.restated) secretsRestated.add(f);
  }
  // A config.toml file whose token is a variable, beside a script or image that pins an old gitlab-runner (RF723).
  for (const t of ev.configTomls) if (!taken.has(t.value)) findings.push(...unexpandedTokenFileFindings(t, ev.texts));
  // A chain that stopped before its proofs (its role not given, no binding, …) still deploys its
  // config.toml: the settings that config.toml shows on its own are checked, as for one no manager took.
  const provenChains = new Set(intentRunners.map((r) => r.name));
  for (const chain of chains) {
    if (provenChains.has(chain.name)) continue;
    const deployed: Located<Record<string, unknown>> | undefined = chain.chartToml && chain.values ? { value: chartDeployedToml(chain.chartToml.value, chain.values.value), origin: chartTomlOrigin(chain.values.origin, chain.legacyPlaces, chain.legacyOverConfig) } : chain.configToml;
    if (!deployed) continue;
    const own = configTomlAloneFindings(deployed, (scanned.size > 0 ? scanned : secretFindingsByFile(ev.findings)).get(deployed.origin.source.path) ?? [], patchFileReader(ev, deployed.origin.source.path, chain.chartToml && chain.values ? { values: chain.values, namespace: chain.namespace } : undefined, chain.workload?.object));
    for (const f of own.findings) {
      const said = { ...f, message: `runner ${chain.name} (its chain is not proven): ${f.message}` };
      // The later entries' job settings and entry 0's host_path mounts were said with the chain
      // (laterEntriesFindings, kubernetesEscapeFindings) at the same key: said once, in these words (before, twice).
      const n = findings.findIndex((g) => g.code === f.code && g.path === f.path && g.message.startsWith(`runner ${chain.name}: `));
      if (n >= 0) findings[n] = said;
      else findings.push(said);
    }
    for (const f of own.restated) secretsRestated.add(f);
  }
  // Chart values that make no chain still deploy their runners.config: its settings get the checks of a config.toml alone.
  for (const v of unchained) {
    const text = get(v.value, 'runners', 'config');
    if (typeof text !== 'string') continue;
    let toml: Record<string, unknown>;
    try {
      toml = parseToml(text);
    } catch {
      continue; // Said where it is read (RF901, RF906), or known only once rendered.
    }
    const deployed = { value: chartDeployedToml(toml, v.value), origin: { ...v.origin, path: [...v.origin.path, 'runners', 'config'] } };
    // The credential scan reads the values file's strings itself (RF940, RF928 at the option): the job settings are what is added here.
    const own = configTomlAloneFindings(deployed, [], patchFileReader(ev, deployed.origin.source.path, { values: v, ...(v.namespace !== undefined ? { namespace: v.namespace } : {}) })).findings.filter((f) => f.code !== 'RF940' && f.code !== 'RF928');
    findings.push(...own.map((f) => ({ ...f, message: `the chart values' runners.config (no runner chain: the manager's ${v.namespaceUnknown ? 'namespace' : 'service account or namespace'} is not known): ${f.message}` })));
  }
  // A chart whose release namespace is not statically known was found and said (RF906): not "no manager".
  // So is a release of the chart a GitOps object deploys whose values do not parse (RF901 at them).
  if (chains.length === 0 && vm.found === 0 && vm.hostProcess.length === 0 && azureVms.found === 0 && ansibleVms.found === 0 && !chartsNotPlaced && !ev.helmValues.some((v) => v.namespaceUnknown) && !ev.chartsUnread && !ev.notDeployed) {
    // Launch templates whose user data could not be read may be the managers: say which and why.
    const unread = vm.unreadable.length > 0 ? `; the user data of ${unreadKinds(vm.unreadable)} could not be read: ${vm.unreadable.slice(0, 3).join('; ')}${vm.unreadable.length > 3 ? ` and ${vm.unreadable.length - 3} more` : ''}` : '';
    // Managers read whole whose register command gitlab-runner refuses: said as refused (RF919 says where), not as unread.
    const refused = vm.refused.length > 0 ? `; ${vm.refused.slice(0, 3).join('; ')}${vm.refused.length > 3 ? ` and ${vm.refused.length - 3} more` : ''}` : '';
    // Instances that install gitlab-runner and never register one: why they are no manager.
    const installed = vm.installsOnly.length > 0 ? `; ${vm.installsOnly.slice(0, 3).join('; ')}${vm.installsOnly.length > 3 ? ` and ${vm.installsOnly.length - 3} more` : ''}` : '';
    // A template read in several readings of its branches is one file.
    const aloneFiles = [...new Set(alone.map((t) => t.origin.source.path))];
    const checked = aloneFiles.length > 0 ? `; the settings of ${aloneFiles.slice(0, 3).join(', ')}${aloneFiles.length > 3 ? ` and ${aloneFiles.length - 3} more config.toml file(s)` : ''} were checked on their own (${ALONE_CHECKS}), but without its manager the identity chain is not proven: which cloud identity the manager and its jobs hold, the cache it signs for, whether jobs reach the host's instance metadata, and the runner's registration in GitLab` : '';
    const cfn = ev.cloudFormation ?? [];
    const templates = ev.templatesUnread ?? [];
    const cloudFormation = (cfn.length > 0 ? `; ${cfn.length} AWS CloudFormation template(s), which the doctor does not read as a deployment, may declare one (RF902): ${cfn.slice(0, 3).map((t) => t.path).join(', ')}${cfn.length > 3 ? ', …' : ''}` : '') + (templates.length > 0 ? `; OpenShift Template objects that may run one were not read: ${templates.slice(0, 3).join('; ')}${templates.length > 3 ? ` and ${templates.length - 3} more` : ''}` : '') + unreadTemplateClause(ev.unreadTemplates ?? []);
    const ops = ev.runnerOperators ?? [];
    const operators = ops.length > 0 ? `; ${ops.length} runner operator object(s), from which an operator the doctor does not model makes the manager (RF902): ${[...new Set(ops.map((o) => o.path))].slice(0, 3).join(', ')}${new Set(ops.map((o) => o.path)).size > 3 ? ', …' : ''}` : '';
    const notExpanded = unexpandedText(ev.terraform.unexpanded ?? []);
    const none = ev.terraform.noInstance ?? [];
    const noInstance = none.length > 0 ? `; ${none.length === 1 ? 'this' : 'these'}, with user data, ${none.length === 1 ? 'makes' : 'make'} no instance with the values the files give (${none.length === 1 ? 'its' : 'their'} count is 0 or for_each empty: variable defaults, terraform.tfvars), so a manager ${none.length === 1 ? 'it starts is' : 'they start is'} made only where a run gives other values: ${none.slice(0, 5).map((u) => `${u.address} at ${u.at}`).join(', ')}${none.length > 5 ? ` and ${none.length - 5} more` : ''}` : '';
    findings.push(finding('RF910', '', `no runner manager in the ${ev.files} file(s) given: no gitlab-runner chart values, no Kubernetes Pod or workload (Deployment, StatefulSet, DaemonSet, Job, CronJob) running the gitlab-runner image, no ${VM_MANAGER_RESOURCES} whose user data writes a config.toml or runs gitlab-runner register, no ${AZURE_VM_MANAGER_RESOURCES} whose custom data, user data, Custom Script extension or provisioners do${unread}${refused}${installed}${notExpanded}${noInstance}${cloudFormation}${operators}${checked}`, { fix: unread === '' && refused !== '' ? 'fix the register command as RF919 says, so the manager registers a runner and can be proven' : unread !== '' ? 'write the user data as base64encode(<<-EOT … EOT) or filebase64("${path.module}/<file>") and give that file, or give `terraform show -json` of a plan, which carries the rendered user data' : notExpanded !== '' ? 'give `terraform show -json` of a plan of the workspace that deploys the runner, which lists every module instance and resource with its values; or the Helm values, the manager workload, or a kubectl dump (--kube-dump)' : noInstance !== '' ? 'give the variable values of the run that deploys the runner (terraform.tfvars or a *.auto.tfvars file beside the root), or `terraform show -json` of its plan' : installed !== '' ? 'register the runner in the same user data (`gitlab-runner register --non-interactive --url … --token …`) or write its config.toml there, so the manager can be proven' : 'give the Helm values, the manager workload (Deployment, StatefulSet), a kubectl dump (--kube-dump), or the Terraform of the manager instance' }));
  }
  const docsArtifacts = [...ev.artifacts, ...vm.artifacts];

  // A Kubernetes runner of a root in another account than the fleet's: its ARNs are in its own (IntentRunner.account).
  for (const [i, own] of runnerAccounts) {
    if (own === account) continue;
    intentRunners[i]!.account = own;
    if (own === ACCOUNT_NOT_SHOWN) intentRunners[i]!.accountShown = false;
  }
  const intent: FleetIntent = { name: 'doctor', clusters, caches, runners: intentRunners, identities };
  if (documentPlatforms.size > 0) intent.documentPlatforms = [...documentPlatforms];
  if (account !== undefined || roles.size > 0 || vm.found > 0) {
    intent.aws = { accountId: account ?? ACCOUNT_NOT_SHOWN, region: region ?? 'us-east-1', partition: (partition ?? 'aws') as 'aws', tags: {}, ...(account === undefined || account === ACCOUNT_NOT_SHOWN ? { accountShown: false as const } : {}) };
  }
  if (intent.aws) {
    // Each in its runner's own account (IntentRunner.account, of several roots), else the fleet's.
    const own = new Map(intentRunners.filter((r) => r.account !== undefined).map((r) => [r.name, r.account!]));
    concreteRoleArns(identities, root, intent.aws, (id) => own.get(id.runner));
  }
  // Policies naming a KMS key of the files: the key's stand-in ARN in this account (the same the token key proofs use), of several roots in its own root's.
  resolveKmsKeyReferences(root, intent.aws ?? { accountId: '000000000000', region: 'us-east-1', partition: 'aws' }, rootAccountOf);
  const docs: FleetDocuments = { artifacts: docsArtifacts, runners: docsRunners, terraformAws: root };
  // Deployments given together: a binding written in Terraform belongs to the cluster of the runners
  // of its namespace that own it (nearest to its file), where they are of one cluster.
  if (chains.length > 1) {
    const owners = new Map<string, Set<string>>();
    for (const [chain, cluster] of chainClusters) {
      for (const r of readers) {
        for (const x of namespacesOf(chain).flatMap((ns) => r.doctor.bindingsIn?.(ns, ctx) ?? [])) if (owns(chain)(x.address)) owners.set(x.address, (owners.get(x.address) ?? new Set()).add(cluster.name));
      }
    }
    const bindingClusters = new Map([...owners].filter(([, c]) => c.size === 1).map(([address, c]) => [address, [...c][0]!]));
    if (bindingClusters.size > 0) docs.bindingClusters = bindingClusters;
  }
  // Platforms that build further documents from the evidence (AKS: the Azure root and the cluster's Kubernetes root).
  const azureOfRunner = new Map<number, AzureEvidence>();
  const ownContexts = new Map<DoctorContext, NonNullable<FleetIntent['azure']>>();
  const platformArtifacts: FleetDocuments['artifacts'] = [];
  for (const reader of readers) {
    const mine = clusters.filter((c) => c.type === reader.type);
    if (mine.length === 0) continue;
    Object.assign(intent, reader.doctor.intent?.(ctx, mine) ?? {});
    // Several Azure deployments given together: each runner in its own deployment's tenant,
    // subscription and resource group, reading its own deployment's Azure root.
    for (const [chain, cluster] of deployments ? chainClusters : []) {
      const own = ctxOf(chain);
      const r = findBy(intentRunners, 'name', chain.name);
      if (own === ctx || cluster.type !== reader.type || !r) continue;
      // One context object per deployment: the proofs' views and indexes are then made once per deployment.
      let azure = ownContexts.get(own);
      if (azure === undefined) {
        azure = reader.doctor.intent?.(own, [cluster])?.azure;
        if (azure === undefined) continue; // A platform of another cloud (an EKS runner in the folder).
        ownContexts.set(own, azure);
      }
      r.azure = azure;
      (docs.runnerAzure ??= new Map()).set(r.name, own.azure.root);
      azureOfRunner.set(r.index, own.azure);
    }
    const chainOf = new Map([...chainClusters.keys()].map((c) => [c.name, c]));
    for (const r of intentRunners) {
      const chain = chainOf.get(r.name);
      const store = r.platform === reader.type ? reader.doctor.tokenStore?.(chain ? ctxOf(chain) : ctx, r, docs.runners.get(r.name)?.manifests ?? []) : undefined;
      if (store) r.spec = { ...r.spec, gitlab: { ...r.spec.gitlab, tokenStore: store } };
    }
    for (const c of mine) {
      const built = reader.doctor.documents?.(ctxOfCluster(c), c, intent, docs);
      if (!built) continue;
      platformArtifacts.push(...built.artifacts);
      // Of several Azure deployments, the documents read by every runner not of one: all of them.
      if (built.terraformAzure) docs.terraformAzure = docs.runnerAzure ? azure.root : built.terraformAzure;
    }
  }
  // An Azure Blob cache without an AKS runner still has its storage and role assignments read.
  if (caches.some((c) => cacheBackendFor(c.type).cloud === 'azure')) {
    docs.terraformAzure ??= azure.root;
    intent.azure ??= { tenantId: azure.tenantId ?? UNKNOWN_TENANT, subscriptionId: azure.subscriptionId ?? UNKNOWN_SUBSCRIPTION, location: azure.location ?? 'unknown', resourceGroup: azure.resourceGroup ?? 'unknown', tags: {} };
  }
  // GitLab ID-token roles (and the token rotator among them), from their trust and the rotation pipeline.
  const reach = inferIdTokens(ev, root, azure, intent, deployments?.all);
  findings.push(...reach.findings);
  if (reach.idTokens) intent.idTokens = reach.idTokens;
  findings.push(...inferRotatorKubernetes(ev, ctx, intent, docs, reach.idTokens, readers, deployments ? (path) => deployments.of(path) ?? azure : undefined));
  if (reach.azureUsed) docs.terraformAzure ??= azure.root;
  // Deploy targets: roles of other accounts' roots that trust a runner's job role.
  const cross = inferCrossAccount(ev, root, intent, reach.idTokens);
  if (cross.crossAccount) intent.crossAccount = cross.crossAccount;
  if (cross.accountRoots.size > 0) docs.terraformAwsAccounts = cross.accountRoots;
  // The platform's own documents come last: they stand for files of the same path the proofs look up.
  if (platformArtifacts.length > 0) docs.artifacts = [...docsArtifacts, ...platformArtifacts];
  const chartServiceAccounts = new Set(chains.filter((c) => c.chartCreatesSa).map((c) => saKey(c.namespace, c.managerSa)));
  return { intent, docs, runnerOrigins, secretsRestated, runnerTomls, chainKeys, tomlAt, cacheOrigins, clusterOrigins, bindingOrigins, chains: summaries, findings, azure, missingSecrets, configNotShown, chartServiceAccounts, unplacedServiceAccounts, managerServiceAccounts, together: (a, b) => owners.together(a, b), togetherIn: (list, o) => owners.togetherIn(list, o), azureAt: (path) => deployments?.of(path) ?? azure, azureOfRunner };
}

/**
 * Roots given together in several accounts: the account of the root a resource or data source of
 * the merged root is of (its aws providers; a resource of another provider, a helm_release, by the
 * folder of its file), as its runners name it (`accounts`); undefined where not known.
 */
function ownRootAccount(ev: Evidence, root: TerraformRoot, accounts: ReadonlyMap<unknown, string | null>): (address: string) => string | undefined {
  const folder = (address: string): string | undefined => {
    const path = ev.terraform.origins.get(address)?.source.path;
    return path === undefined ? undefined : path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
  };
  const folders = new Map<string, unknown>();
  for (const [address, providers] of root.awsProvidersOf ?? []) {
    const f = folder(address);
    if (f !== undefined) folders.set(f, folders.has(f) && folders.get(f) !== providers ? null : providers);
  }
  return (address) => {
    const providers = root.awsProvidersOf?.get(address) ?? (() => {
      const f = folder(address);
      return f === undefined ? undefined : folders.get(f);
    })();
    return providers === undefined || providers === null ? undefined : (accounts.get(providers) ?? undefined);
  };
}

/**
 * An identity whose binding names its role by reference, as a helm_release's value or a
 * Terraform-made service account annotation is read (`${aws_iam_role.x.arn}`), gets the ARN that
 * role has once the account is known: every proof asks as that principal, and a bucket policy or a
 * trust that names the role's ARN, or a condition on aws:PrincipalArn, must see the real one (the
 * reference text matched none of them). A role whose name is picked at apply keeps the reference.
 */
function concreteRoleArns(identities: CloudIdentity[], root: TerraformRoot, aws: { partition: string; accountId: string }, accountOf: (id: CloudIdentity) => string | undefined): void {
  for (const [i, id] of identities.entries()) {
    if (id.cloud !== 'aws') continue;
    const ref = parseRef(id.arn);
    if (ref?.type !== 'aws_iam_role' || ref.attr !== 'arn') continue;
    const body = resourceBody(root, 'aws_iam_role', ref.name);
    if (body?.name !== id.roleName) continue;
    identities[i] = { ...id, arn: roleArn(aws.partition, accountOf(id) ?? aws.accountId, typeof body.path === 'string' ? body.path : '/', id.roleName) };
  }
}


/**
 * The `[[runners]]` entry the chart registers from its `runners.config` template: the chart runs
 * `gitlab-runner register --template-config` with RUNNER_EXECUTOR `{{ default "kubernetes"
 * .Values.runners.executor }}` (templates/_env_vars.tpl, the same line in charts 0.33.0, 0.48.0,
 * 0.73.1 and 0.86.0), and register keeps it over the template's `executor`: askExecutor sets the
 * executor from its flag or environment whatever the template says (commands/register.go, read at
 * runner v13.0.0, v14.3.0, v15.7.0, v15.11.0, v16.0.0, v17.8.0 and main: `s.Executor =
 * s.ask("executor", …)`, and ask returns the flag's value in non-interactive mode; the template is
 * merged with mergo.Merge without override, before or after, so it never replaces a set field).
 * So the executor deployed is `runners.executor`, else kubernetes, at every chart version, and a
 * template's other executor is not the one that runs (issue 36a; the template's stood before). Its
 * `[runners.kubernetes]` settings (privileged, service_account_overwrite_allowed) are then the
 * settings of the jobs, and the rules read them as such.
 */
/** Where the config.toml a chart deploys is written: the values' runners.config, or the legacy runners.* values it was built from. */
function chartTomlOrigin(values: Origin, legacyPlaces: Chain['legacyPlaces'], overConfig?: true): Origin {
  return legacyPlaces ? legacyValuesOrigin(values, legacyPlaces, overConfig === true) : { ...values, path: [...values.path, 'runners', 'config'] };
}

function chartDeployedToml(template: Record<string, unknown>, values: Record<string, unknown> | undefined): Record<string, unknown> {
  const runners = template.runners;
  if (!Array.isArray(runners) || !isObject(runners[0])) return template;
  const executor = str(get(values, 'runners', 'executor')) ?? 'kubernetes';
  if (runners[0].executor === executor) return template;
  return { ...template, runners: [{ ...runners[0], executor }, ...(runners.slice(1) as unknown[])] };
}

/**
 * The first place where two runner configurations differ in what the proofs read of them: the
 * first `[[runners]]` entry's executor, its executor section and its cache. Keys in the deployed
 * document's order, then keys only the other has; undefined when they agree.
 */
function configDifference(deployed: Record<string, unknown>, copy: Record<string, unknown>): { path: TomlPath; deployed: unknown; copy: unknown } | undefined {
  const a = get(deployed, 'runners', 0);
  const b = get(copy, 'runners', 0);
  const executors = [get(a, 'executor'), get(b, 'executor')].filter((x): x is string => typeof x === 'string' && x !== '' && x !== 'executor' && x !== 'cache');
  for (const key of ['executor', ...new Set(executors), 'cache']) {
    const d = tomlDifference(get(a, key), get(b, key), ['runners', 0, key]);
    if (d) return { path: d.path, deployed: d.a, copy: d.b };
  }
  return undefined;
}

/** The TOML path of a difference, for a message (cut like every echoed value). */
function keyPath(path: TomlPath): string {
  return safeText(tomlPathText(path), 200);
}

/** A TOML value for a message; a key that may hold a credential (cache keys, tokens) is named, its value never shown. */
function shownToml(path: TomlPath, v: unknown): string {
  if (v === undefined) return '(missing)';
  const name = String(path[path.length - 1]);
  if (/key|secret|token|password|credential|sas/i.test(name) || path.some((k) => typeof k === 'string' && /secret|credential/i.test(k))) return '(a value, not shown)';
  return showValue(v instanceof Date ? String(v) : v);
}

/**
 * How the runner is registered, where Terraform registers it (gitlab_user_runner, through the
 * Secret the chart mounts): `via` names it; undefined: the registration is unknown (not shown).
 */
function gitlabSettings(root: TerraformRoot, secrets: ReturnType<typeof secretsByNamespace>, chain: Chain, ofChain: (o: Located<K8sObject>) => boolean): { settings: Record<string, unknown>; via?: string; registrationToken?: { key: string; of: string; at?: Origin } } {
  const found = secrets.get(chain.namespace)?.find((x) => (x.object === undefined || ofChain(x.object)) && (chain.values === undefined || get(x.body, 'metadata', 'name') === get(chain.values.value, 'runners', 'secret')));
  const secret = found?.body;
  const tokenRef = secret ? /\$\{gitlab_user_runner\.([A-Za-z0-9_-]+)\.token\}/.exec(getText(secret, 'data', 'runner-token'))?.[1] : undefined;
  const known = tokenRef !== undefined && root.resource.gitlab_user_runner?.[tokenRef] !== undefined;
  // A key of the Secret given a group's or project's `runners_token`: the runner registers itself with that registration token.
  const registrationToken = secret ? registrationTokenIn(secret, found?.object?.origin) : undefined;
  return { settings: gitlabSettingsOf(root, tokenRef), ...(known ? { via: `gitlab_user_runner.${tokenRef}` } : {}), ...(registrationToken ? { registrationToken } : {}) };
}


/**
 * The key of a token Secret the chart mounts (`runner-registration-token`, `runner-token`: the chart's
 * two items of `runners.secret`) that Terraform gives a group's or project's `runners_token`, and
 * what it is of; undefined when neither key holds one.
 */
function registrationTokenIn(secret: Record<string, unknown>, origin: Origin | undefined): { key: string; of: string; at?: Origin } | undefined {
  for (const key of ['runner-registration-token', 'runner-token']) {
    const of = RUNNERS_TOKEN_REF.exec(getText(secret, 'data', key))?.[1];
    if (of !== undefined) return { key, of, ...(origin ? { at: { ...origin, path: [...origin.path, 'data', key] } } : {}) };
  }
  return undefined;
}

/**
 * Every Secret the evidence creates, by namespace and name: kubernetes_secret_v1 and kubernetes_secret resources, Secret
 * manifests, and objects that make a Secret (ExternalSecret, SealedSecret, a SecretProviderClass's
 * secretObjects). `unresolved`: its name or namespace is an expression the files do not resolve.
 */
function secretCreators(ev: Evidence, root: TerraformRoot, tfSecrets: ReadonlyMap<string, Located<K8sObject>>): SecretCreator[] {
  const out: SecretCreator[] = [];
  for (const type of SECRET_TYPES) {
    for (const [key, b] of Object.entries(root.resource[type] ?? {})) {
      const meta = Array.isArray(b.metadata) ? (b.metadata as unknown[])[0] : b.metadata;
      const name = get(meta, 'name');
      const ns = get(meta, 'namespace') ?? 'default';
      const literal = typeof name === 'string' && typeof ns === 'string' && !name.includes('${') && !ns.includes('${');
      const object = tfSecrets.get(`${type}.${key}`);
      out.push({ namespace: typeof ns === 'string' ? ns : '?', name: typeof name === 'string' ? name : '?', by: `${type}.${key}`, ...(literal ? {} : { unresolved: true as const }), ...(object ? { object } : {}) });
    }
  }
  for (const o of ev.kubernetes) {
    const v = o.value;
    const ns = v.metadata.namespace ?? 'default';
    if (v.kind === 'Secret') out.push({ namespace: ns, name: v.metadata.name, by: `Secret ${o.origin.source.path}`, object: o });
    else if (v.kind === 'ExternalSecret') out.push({ namespace: ns, name: str(get(v, 'spec', 'target', 'name')) ?? v.metadata.name, by: `ExternalSecret ${v.metadata.name}`, object: o });
    else if (v.kind === 'SealedSecret') out.push({ namespace: ns, name: str(get(v, 'spec', 'template', 'metadata', 'name')) ?? v.metadata.name, by: `SealedSecret ${v.metadata.name}`, object: o });
    else if (v.kind === 'SecretProviderClass') {
      const objects = get(v, 'spec', 'secretObjects');
      for (const so of Array.isArray(objects) ? objects : []) {
        const name = str(get(so, 'secretName'));
        if (name) out.push({ namespace: ns, name, by: `SecretProviderClass ${v.metadata.name}`, object: o });
      }
    }
  }
  return out;
}

/** A document that creates a Secret; `object`: the Kubernetes object (or the Terraform Secret as one) it is, which deployment it belongs to. */
interface SecretCreator {
  namespace: string;
  name: string;
  by: string;
  unresolved?: true;
  object?: Located<K8sObject>;
}

/**
 * The Secrets Terraform creates (kubernetes_secret_v1, kubernetes_secret) whose namespace and name
 * are literal, as Kubernetes objects at their resource's block, by address: so that two deployments
 * given together, each creating its own token Secret of one name, are told apart as their manifests are.
 */
function terraformSecrets(ev: Evidence, root: TerraformRoot): Map<string, Located<K8sObject>> {
  const out = new Map<string, Located<K8sObject>>();
  for (const type of SECRET_TYPES) {
    for (const [key, b] of Object.entries(root.resource[type] ?? {})) {
      const meta = Array.isArray(b.metadata) ? (b.metadata as unknown[])[0] : b.metadata;
      const name = get(meta, 'name');
      const ns = get(meta, 'namespace') ?? 'default';
      const origin = ev.terraform.origins.get(`${type}.${key}`);
      if (typeof name !== 'string' || typeof ns !== 'string' || name.includes('${') || ns.includes('${') || !origin) continue;
      out.set(`${type}.${key}`, { value: { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns } }, origin });
    }
  }
  return out;
}

/**
 * The Secret bodies of a root (kubernetes_secret_v1, then the legacy kubernetes_secret: one schema)
 * by their namespace, in the root's order, each with its object (terraformSecrets) where it has one.
 */
function secretsByNamespace(root: TerraformRoot, tfSecrets: ReadonlyMap<string, Located<K8sObject>>): Map<unknown, { body: Record<string, unknown>; object?: Located<K8sObject> }[]> {
  const out = new Map<unknown, { body: Record<string, unknown>; object?: Located<K8sObject> }[]>();
  for (const type of SECRET_TYPES) {
    for (const [key, b] of Object.entries(root.resource[type] ?? {})) {
      const ns = get(b, 'metadata', 'namespace');
      let list = out.get(ns);
      if (!list) out.set(ns, (list = []));
      const object = tfSecrets.get(`${type}.${key}`);
      list.push({ body: b, ...(object ? { object } : {}) });
    }
  }
  return out;
}

/**
 * What RF910 adds for the module calls and manager-kind resources not expanded because their count or
 * for_each is not statically known (RF906): a manager may be among what they make. Those whose address
 * or module source says `runner` first, at most five named (address and `file:line:column`), the
 * rest counted; '' when there are none.
 */
function unexpandedText(unexpanded: readonly { address: string; at: string; source?: string }[]): string {
  const seen = new Set<string>();
  const all = unexpanded.filter((u) => !seen.has(`${u.address} ${u.at}`) && seen.add(`${u.address} ${u.at}`));
  if (all.length === 0) return '';
  const runner = (u: (typeof all)[number]) => /runner/i.test(u.address) || /runner/i.test(u.source ?? '');
  const ordered = [...all.filter(runner), ...all.filter((u) => !runner(u))];
  const named = ordered.slice(0, 5).map((u) => `${u.address} at ${u.at}`).join(', ');
  const more = all.length > 5 ? ` and ${all.length - 5} more` : '';
  return `; a manager may be among what ${all.length === 1 ? 'this makes' : 'these make'}, which was not read because ${all.length === 1 ? 'its' : 'their'} count or for_each is not statically known (RF906): ${named}${more}`;
}

/** GitLab settings of the `gitlab_user_runner` resource `key`; unknown (any job, untagged) without one. */
function gitlabSettingsOf(root: TerraformRoot, tokenRef: string | undefined): Record<string, unknown> {
  const r = tokenRef ? root.resource.gitlab_user_runner?.[tokenRef] : undefined;
  // Unknown registration: assume the runner takes any job (the rules then say what that risks), with tags unknown.
  if (!r) return { locked: false, protectedOnly: false, runUntagged: true, tags: [] };
  // Which projects reach the runner (a group runner serves every project of its group, whatever locked says).
  // A path only where the files show it (a literal id, or the data source the id comes from); else the kind is left unknown.
  const pathOf = (v: unknown, source: string, key: string, shape: RegExp): string | undefined => {
    const ref = typeof v === 'string' ? new RegExp(`^\\$\\{data\\.${source}\\.([A-Za-z0-9_-]+)\\.[a-z_]+\\}$`).exec(v) : null;
    const shown = typeof v === 'number' ? String(v) : ref ? root.data?.[source]?.[ref[1]!]?.[key] : v;
    return typeof shown === 'string' && shape.test(shown) ? shown : undefined;
  };
  const group = r.runner_type === 'group_type' ? pathOf(r.group_id, 'gitlab_group', 'full_path', GROUP_PATH) : undefined;
  const project = r.runner_type === 'project_type' ? pathOf(r.project_id, 'gitlab_project', 'path_with_namespace', PROJECT_PATH) : undefined;
  const kind = group !== undefined ? { group } : project !== undefined ? { project } : r.runner_type === 'instance_type' ? { instance: true } : {};
  return {
    ...kind,
    locked: r.locked === true,
    protectedOnly: r.access_level === 'ref_protected',
    runUntagged: r.untagged === true,
    // Tags only tell tagged from untagged here: one longer than a spec allows (255) is kept, cut.
    tags: Array.isArray(r.tag_list) ? r.tag_list.filter((t): t is string => typeof t === 'string' && t !== '').map((t) => (t.length > 255 ? t.slice(0, 255) : t)) : [],
  };
}

/**
 * The resources whose user data could not be read, counted by their kind as written (each entry
 * starts with its address): `2 launch template(s) and 1 launch configuration(s)`.
 */
function unreadKinds(unreadable: readonly string[]): string {
  const kinds: [RegExp, string][] = [
    [/^aws_launch_template\./, 'launch template(s)'],
    [/^aws_launch_configuration\./, 'launch configuration(s)'],
    [/^aws_instance\./, 'instance(s)'],
    [/^aws_spot_instance_request\./, 'spot instance request(s)'],
  ];
  const counts = new Map<string, number>();
  for (const u of unreadable) {
    const kind = kinds.find(([re]) => re.test(u))?.[1] ?? 'resource(s)';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(' and ');
}

/**
 * A config.toml that is TOML once its unquoted `${NAME}` values are filled in: a ConfigMap whose
 * `key = ${NAME}` lines a script replaces before the runner reads the file (voor/gitlab-runner-helm-imgpkg's
 * rendered chart 0.33.0: its entrypoint runs `sed -e "s|\${KUBERNETES_IMAGE}|\"${KUBERNETES_IMAGE}\"|"`
 * over /configmaps/config.toml; the upstream chart 0.33.0 templates/configmap.yaml copies the file as
 * it is, so such placeholders are the deployment's own). The first such value (its TOML path, its
 * name) and how many there are; undefined where there is none, or the text is not TOML with them
 * filled (broken otherwise: RF901 as before).
 */
/** What stands for a `${NAME}` value while the text is parsed (a TOML string of printable characters; never shown). */
const RUN_TIME_MARK = '@@run-time-placeholder-';
function runTimePlaceholders(text: string): { path: (string | number)[]; name: string; count: number } | undefined {
  const names: string[] = [];
  const filled = text.replace(/^([ \t]*[A-Za-z0-9_."-]+[ \t]*=[ \t]*)\$\{([A-Za-z_][A-Za-z0-9_]*)\}(?=[ \t]*(?:#.*)?\r?$)/gm, (_, head: string, name: string) => {
    names.push(name);
    return `${head}"${RUN_TIME_MARK}${names.length - 1}"`;
  });
  if (names.length === 0) return undefined;
  let doc: unknown;
  try {
    doc = parseToml(filled);
  } catch {
    return undefined;
  }
  const find = (v: unknown, path: (string | number)[]): (string | number)[] | undefined => {
    if (v === `${RUN_TIME_MARK}0`) return path;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const at = find(v[i], [...path, i]);
        if (at) return at;
      }
    } else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        const at = find(x, [...path, k]);
        if (at) return at;
      }
    }
    return undefined;
  };
  const path = find(doc, []);
  return path ? { path, name: names[0]!, count: names.length } : undefined;
}

