import type { GitIgnores } from './git-ignore.js';
import type { TomlFiller } from './sed-toml.js';
import type { InstalledModule } from './hcl/installed-modules.js';
import type { SensitiveMarks } from './sensitive.js';
import type { Finding } from '../spec/findings.js';
import type { Artifact, K8sObject } from '../emit/artifacts.js';
import type { GitOpsObject } from './gitops.js';
import type { HelmChartScope } from './kustomize-namespace.js';
import type { HelmUnittestSuite } from './helm-unittest.js';
import type { PolicyDocument } from '../verify/iam/types.js';
import type { Origin } from './source.js';
import type { ConfigModule, VarFiles } from './hcl/config.js';
import type { ModuleCallSite, Reason, ValuePlace } from './hcl/eval.js';
import type { UserDataSource } from './user-data-place.js';
import type { SetupStep } from './provisioners.js';
import type { UnreadTemplate } from './deployment-templates.js';
import type { YamlFile } from './yaml-documents.js';
import type { RefusedGroups } from './namespace-names.js';

/** A value read from a file, with where it came from. */
export interface Located<T> {
  value: T;
  origin: Origin;
}

/** An IAM role as the evidence shows it (from policy JSON, `aws iam` output or Terraform). */
export interface RoleEvidence {
  name: string;
  path: string;
  /** Account from the role ARN, when the evidence states it. */
  account?: string;
  trust?: PolicyDocument;
  trustOrigin?: Origin;
  policies: { document: PolicyDocument; origin: Origin }[];
}

/** Terraform resources and data sources of every root given, merged, each with its origin. */
export interface TerraformEvidence {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
  origins: Map<string, Origin>;
  /** Whether any root carries runner-fleet's do-not-edit marker (its naming conventions then apply). */
  generatedByRunnerFleet: boolean;
  /** Terraform configuration (.tf, .tf.json) by folder, evaluated into `resource`/`data` by `evaluateConfigs`. */
  configs: Map<string, ConfigModule>;
  /** Folders whose Terraform files were all given by a walk of the folder (index.ts wholeTerraformFolders). */
  wholeFolders?: ReadonlySet<string>;
  /** What `terraform init` installed, by root folder (its `.terraform/modules/modules.json`): module key → installed copy. */
  installedModules?: Map<string, Map<string, InstalledModule>>;
  /** Variable definitions files (`.tfvars`, `.tfvars.json`) by folder: the values a root's variables take. */
  varFiles?: Map<string, VarFiles>;
  /** The values of the `.tf.json` files read, by the number their expressions carry as offset (Loc.json; 0: none). */
  jsonPlaces?: { origin: Origin; path: readonly (string | number)[] }[];
  /** Why a value is not statically known, by `type.name` and `type.name.attribute` (data: `data.` prefix). */
  unknowns: Map<string, Reason>;
  /** RF948 places of helm_release namespaces, said with the kubernetes resources' (kubernetes-terraform.ts): one finding per file and value. */
  refused?: RefusedGroups;
  /** Of each kubernetes provider resource evaluated from configuration, where the value of its argument at a path is written (hcl/eval.ts ValuePlace), as the evaluator resolved it. */
  valuePlaces?: Map<string, (path: readonly string[]) => ValuePlace | undefined>;
  /** Resources made by a local module: their key → the module call (address, arguments with positions). */
  moduleCalls?: Map<string, ModuleCallSite>;
  /**
   * Module calls, and resources of a kind a runner manager is made of (`MANAGER_KINDS`), the doctor
   * did not expand because their count or for_each is not statically known (RF906): their address
   * and where they are written (`file:line:column`), a module call's source too. RF910 names them as
   * where a manager may be.
   */
  unexpanded?: { address: string; at: string; source?: string }[];
  /**
   * Resources of a kind a runner manager is made of, with user data, whose count or for_each makes
   * no instance with the values the files give (`count = var.token != null ? 1 : 0` over a variable
   * whose default is null): their address and where they are written. RF910 names them, since the
   * manager their user data starts is made only when a run gives those values.
   */
  noInstance?: { address: string; at: string }[];
  /** The account of each aws resource (`type.name`), from its own provider configuration; undefined: not stated. */
  accounts?: Map<string, string | undefined>;
  /**
   * The account the unaliased `provider "aws"` block of each root folder (`.tf`, `.tf.json`) states, by
   * the folder ('' for the working folder): a `terraform show -json` document beside it is of that account.
   */
  folderAccounts?: Map<string, string>;
  /** A value of the deployment's own account was read where the default aws provider states none (hcl/eval.ts OWN_ACCOUNT). */
  ownAccountRead?: boolean;
  /** `provider "aws"` blocks (region, allowed_account_ids, default_tags) of the roots given. */
  awsProviders?: Record<string, unknown>[];
  /** Where the first `provider "azurerm"` block of the roots given is written (file:line:column): the files name Azure. */
  azurermProvider?: string;
  /**
   * With several Terraform roots given: each aws resource and data source (`type.name`, the evidence's key) →
   * the `provider "aws"` blocks of its own root (of the root whose tree makes it, for a module's).
   */
  awsProvidersOf?: Map<string, Record<string, unknown>[]>;
  /**
   * Resources moved to the key a platform's proofs look them up by (`type.key` as proven → as
   * written), so messages name the resource as the user wrote it.
   */
  renamed?: Map<string, string>;
  /**
   * Symbols the evaluator made up (an OIDC issuer's host path only apply knows, `${local.oidc_issuer_host_path}`)
   * → the expression the user wrote for it: what messages and claims show instead.
   */
  shownAs?: Map<string, string>;
  /**
   * `terraform show -json` documents (plan or state) as read: their root modules, added to
   * `resource`/`data` by `evaluateConfigs`, each with its deployment's mark where two share addresses;
   * a plan's `resource_changes` too (what only apply knows).
   */
  shows?: { module: unknown; origin: Origin; changes?: unknown; configuration?: unknown }[];
  /** Set when several Terraform roots were given: their `var.*` / `local.*` symbols carry each root's scope (hcl/eval.ts ModuleScope.rootScope). */
  rootsScoped?: boolean;
  /** Those roots' scopes (hcl/eval.ts ModuleScope.rootScope) → the root's folder. */
  rootScopes?: Map<string, string>;
  /** Marks of roots given together that declare the same addresses (hcl/eval.ts ModuleScope.rootMark) → the root's folder. */
  rootMarks?: Map<string, string>;
  /** Roles Terraform names only at apply: the stand-in name they are proven under → the resource (`aws_iam_role.x`). */
  namedAtApply?: Map<string, string>;
  /**
   * Set once `configs` were evaluated into `resource`/`data` (and the chart values of `helm_release`
   * into `helmValues`): the findings of that evaluation. `doctor --aws` evaluates before its live
   * reads, so the names they look up include those only the Terraform states; it is never done twice.
   */
  evaluated?: readonly Finding[];
  /**
   * The files `file()`, `filebase64()` and `templatefile()` read (normal paths): inputs of Terraform
   * (templates), not documents of their own, so what reading them alone said (a policy document of no
   * role, a template that is not valid JSON) is not said.
   */
  filesRead?: Set<string>;
  /**
   * The variables each template file was rendered with (normal path → name → the values given: a
   * string or number as text, null for any other value or one only apply knows), as templatefile()
   * and data "template_file" render it: where a template pins the gitlab-runner it installs
   * (`gitlab-runner-${version}`), the version (runner-version.ts).
   */
  templateVars?: Map<string, Map<string, Set<string | null>>>;
  /** Where the user data of a launch template or instance (`type.name`, as written) is written, where the doctor can trace it (user-data-place.ts). */
  userDataSources?: Map<string, UserDataSource>;
  /** The creation-time `remote-exec` and `file` provisioners of an instance (`type.name`, as written), in order (provisioners.ts). */
  provisioners?: Map<string, SetupStep[]>;
}

/** Everything the doctor read, sorted by kind. */
export interface Evidence {
  /** Kubernetes objects; one a kubernetes provider resource creates carries its address (`kubernetes_deployment_v1.manager`). */
  kubernetes: (Located<K8sObject> & { address?: string })[];
  /** Values of the gitlab-runner chart; from a `helm_release`, also its release name and namespace. */
  helmValues: (Located<Record<string, unknown>> & { release?: string; namespace?: string; /** A helm_release read from `terraform show -json`: its address, so the configuration's own reading of it replaces it. */ address?: string; /** A helm_release whose namespace is not statically known (said as RF906): its manager's namespace is not known. */ namespaceUnknown?: true; /** A helm_release with a values document not read (said where it is: RF906, RF903, RF901): a key missing from `value` may be set there. */ valuesUnread?: true; /** The chart version the release installs, as written (Argo CD `targetRevision`, Flux `version`, helm_release `version`). */ chartVersion?: string; /** Where the namespace a GitOps object gives is one of two it writes (an Argo CD Application's helm.namespace over its destination.namespace): which, and why; shown with the chain (gitops.ts). */ namespaceNote?: string; /** A Flux chart whose valuesFiles replace its values.yaml: where they are written (gitops.ts fluxValuesFiles); the chart's defaults are not deployed. */ chartDefaultsReplaced?: { at: string; what: string }; /** A kustomization's helmCharts under a namePrefix / nameSuffix (kustomize-namespace.ts HelmChartScope affix): the chart's objects are renamed so. */ renamedBy?: { prefix: string; suffix: string; by: string }; /** The folder of a local chart the release installs (normal path, ending in `/`), where the reader knows it: a vendored chart's values.yaml there is the bottom layer (vendored-chart.ts). */ chartFolder?: string; /** The chart's name where it is not gitlab-runner: the alias a parent chart gives its gitlab-runner dependency (Helm renames an aliased dependency's chart to the alias, chartutil getAliasDependency), which the chart's fullname is made of. */ chartName?: string; /** What installs these values, for a finding at a default it keeps: `helm_release.x`, `HelmRelease ns/x`, the parent chart's values. */ installedBy?: string; /** Which folder of the files given is taken to be the chart a GitOps object names by a path of a repository (an Argo CD source's `path`), and why: shown with the chain. */ chartNote?: string })[];
  configTomls: Located<Record<string, unknown>>[];
  /** config.toml files written as Jinja templates (`config.toml.j2`, jinja-toml.ts): checked as a config.toml given alone, never taken by a manager (their values are placeholders). */
  jinjaTomls?: Located<Record<string, unknown>>[];
  /** Templates an Ansible `template:` task renders onto a config.toml (ansible-template.ts), by normalized path: read as `config.toml.j2` is, whatever their name. */
  configTomlTemplates?: Set<string>;
  /** The placeholders scripts of the files given fill in a TOML file they name (sed-toml.ts). */
  tomlFillers?: TomlFiller[];
  /** Example copies of a config.toml (`config.toml.example`, io/file-names.ts) that another file of the deployment names (a step copies it into place), by normalized path: read as a config.toml, not as an example. */
  copiedExamples?: Set<string>;
  /** docker-compose files (by name, with `services`): read only for the runner managers they run (env-managers.ts). */
  composeFiles?: Located<Record<string, unknown>>[];
  /** Env files given (`.env`), by normalized path: the names they set (`KEY=`), for a compose service's `env_file:`. Values are not kept. */
  envFiles?: Map<string, string[]>;
  roles: Map<string, RoleEvidence>;
  terraform: TerraformEvidence;
  /** Every file as data, for the static-credential scan. */
  artifacts: Artifact[];
  /** Problems with the files themselves: unreadable, unparsable, skipped. */
  findings: Finding[];
  files: number;
  /** The text of every file read, by its path as given (`file()` and `templatefile()` read these). */
  texts?: Map<string, string>;
  /** Each YAML file read, as read (yaml-documents.ts): its text after any repair and its documents, by its path as given. */
  yamlSources?: Map<string, YamlFile>;
  /** What live reads (`doctor --aws`) found absent: names the evidence gives that do not exist. */
  absent?: AbsentFacts;
  /** Values `terraform show -json` marks sensitive: read, never shown (sensitive.ts). */
  sensitive?: SensitiveMarks;
  /** AWS CloudFormation templates given (path, position, resource types): not read (one RF902 for all), and named where no manager is found. */
  cloudFormation?: { path: string; at: string; types: string[] }[];
  /** Azure Resource Manager and Packer JSON templates given: not read (one RF902 per engine), and named where no manager is found (deployment-templates.ts). */
  unreadTemplates?: UnreadTemplate[];
  /** Runner objects of a runner operator (GitLab's, apps.gitlab.com; alekc's, gitlab.k8s.alekc.dev): not read (one RF902 for all), and named where no manager is found. */
  runnerOperators?: { path: string; at: string; kind: string; name: string }[];
  /** helm-unittest suites given (a chart's tests/*_test.yaml): not read, one RF902 per chart, and named by RF910 where no manager is found (helm-unittest.ts). */
  helmUnittestSuites?: HelmUnittestSuite[];
  /**
   * A dependency chart's own values.yaml (`<parent>/charts/<name>/values.yaml`) of the gitlab-runner
   * chart, as read.ts finds it: said (RF902) and layered under the parent's values once every file is
   * read (vendored-chart.ts).
   */
  dependencyChartValues?: { name: string; value: Record<string, unknown>; origin: Origin; at: string }[];
  /**
   * The mapping sections of a `values.yaml` (`values.yml`) that read.ts did not take as the runner
   * chart's values (too few of its keys, `rbac:` alone): a parent chart gives a dependency the section
   * under its alias or name whatever keys it has, so readUmbrellaValues (umbrella-chart.ts) takes the
   * one a gitlab-runner dependency of the folder's Chart.yaml names.
   */
  valuesSections?: { value: Record<string, unknown>; origin: Origin }[];
  /**
   * Vendored gitlab-runner charts' own values.yaml, by the chart's folder (`a/charts/gitlab-runner/`):
   * the bottom layer of a release of that folder (vendored-chart.ts layerChartDefaults), and the
   * RF902 said of it, taken back where a release reads it.
   */
  chartDefaults?: Map<string, { value: Record<string, unknown>; origin: Origin; said: Finding; chartVersion?: string }>;
  /** The values.yaml files layered under a release's values, by file: the releases that keep its defaults (said with a finding located there). */
  chartDefaultsKept?: Map<string, string[]>;
  /** Argo CD Applications and Flux HelmReleases, read as chart values once every file is read (gitops.ts). */
  gitOps?: GitOpsObject[];
  /** Releases of the gitlab-runner chart a GitOps object deploys whose values did not parse (said as RF901 there), or whose chart is not given but whose values are the runner chart's (RF903): found, not read, and not "no runner manager". */
  chartsUnread?: number;
  /** Manager workloads (and GitOps releases) a kustomize build does not deploy — a Flux Kustomization's apply fails (an object of its build names no namespace: RF903 there), or `kustomize build` refuses the kustomization (RF901 / RF946 there; kustomize-namespace.ts): found, not deployed, and not "no runner manager". */
  notDeployed?: number;
  /** Kustomizations (by their document) whose `kustomize build` fails, or that a failing one lists: their helmCharts are not read (gitops.ts). */
  kustomizeFailed?: Set<Record<string, unknown>>;
  /** Every path given (normal paths, read or not), and the folders a walk read whole (a folder of a file found by walking): a path under a walked folder that is not given does not exist (kustomize-build.ts). */
  givenPaths?: Set<string>;
  walkedFolders?: Set<string>;
  /** The patterns of the `.gitignore` files given (git-ignore.ts): a file they ignore is kept out of the repository on purpose. */
  gitIgnores?: GitIgnores;
  /** Folders a walk reached again through a symbolic link (`a/link/`), and the folder walked each is (`b/`). */
  folderLinks?: Map<string, string>;
  /** Objects of OpenShift Templates that may run a manager but were not read (a workload using a parameter without a value, a template that cannot be processed): where, and what; RF910 names them. */
  templatesUnread?: string[];
  /** Kustomizations read (kustomization.yaml): the namespace of each is applied to the objects of the files it lists (kustomize-namespace.ts). */
  kustomizations?: Located<Record<string, unknown>>[];
  /** Each kustomization with helmCharts (by its document): the namespaces kustomize gives its charts (kustomize-namespace.ts, read by gitops.ts). */
  kustomizeScopes?: Map<Record<string, unknown>, HelmChartScope>;
  /** A kustomize component's resource file that several builds hold (each its own copy of its objects) → those builds' kustomization files, in order: findings at one line of it are said once (kustomize-namespace.ts oneInComponents). */
  componentCopies?: Map<string, string[]>;
  /** Each kustomization's folder → the files whose objects it builds (its own and those of the kustomizations it lists; kustomize-namespace.ts, read by argo-destination.ts). */
  kustomizeBuilds?: Map<string, Set<string>>;
  /** Objects (by kustomize-namespace.ts originKey) whose namespace an Argo CD kustomize.namespace set where destination.namespace differs: which, and why; shown with the chain. */
  namespaceNotes?: Map<string, string>;
  /** The first OpenShift Template read (its name and place): the deployment is OpenShift's (infer.ts openShiftWithoutCloud). */
  openShiftTemplate?: string;
}

export interface AbsentFacts {
  /** Role name → the ARN or name as written, and the account that was read. */
  roles: Map<string, { ref: string; account?: string }>;
  /** OIDC provider ARNs that do not exist. */
  oidcProviders: Set<string>;
}

export function emptyEvidence(): Evidence {
  return {
    kubernetes: [],
    helmValues: [],
    configTomls: [],
    roles: new Map(),
    terraform: { resource: {}, data: {}, origins: new Map(), generatedByRunnerFleet: false, configs: new Map(), unknowns: new Map() },
    artifacts: [],
    findings: [],
    files: 0,
  };
}
