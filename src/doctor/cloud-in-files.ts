import { parse as parseToml } from 'smol-toml';
import { isObject } from '../model/is-object.js';
import type { Evidence, Located } from './evidence.js';
import { formatPosition, originAt, type Origin } from './source.js';

/**
 * Whether the files read name the cloud a Kubernetes deployment runs in, which decides what a pod
 * with no cloud identity of its own gets from its node: in AWS or Azure its node's instance role or
 * managed identity (RF911), on a cluster with no cloud behind it (bare metal, vSphere, OpenStack, a
 * laptop's kind) nothing. The identities the product proves are AWS's and Azure's alone (DESIGN.md):
 * a cloud whose instances carry an identity of another IAM (GCP, IBM Cloud, Alibaba Cloud, Oracle
 * Cloud) is named as such, and what its node identity gives is not said to be the node's role.
 *
 * - `cloud`: something in the files names AWS or Azure (`what`: the first such thing and where it is;
 *   `azureOnly`: what names one names Azure, and nothing names AWS);
 * - `elsewhere`: nothing names AWS or Azure, and something names a cloud of another IAM (`what`);
 * - `none`: the cluster's own OpenShift `Infrastructure` object names a platform with no instance
 *   identity (`what`: that object and its platform);
 * - `unknown`: nothing names one (`openShift`: what shows the deployment is OpenShift's, if anything).
 */
export type CloudInFiles = { kind: 'cloud'; what: string; azureOnly: boolean } | { kind: 'elsewhere'; what: string } | { kind: 'none'; what: string } | { kind: 'unknown'; openShift?: string };

/**
 * Terraform providers of AWS and Azure (a resource type's first word is its provider's local name):
 * a resource or data source of one names the cloud. Providers of the clouds of another IAM (Google's
 * `google` and `google-beta`, whose types start `google_`; IBM Cloud's `ibm`; Alibaba Cloud's
 * `alicloud`; Oracle Cloud's `oci`) name a cloud out of scope. Any other provider (the cluster's
 * own objects, GitLab's, HashiCorp's utilities, OpenStack, vSphere, Proxmox, libvirt, a DNS or
 * monitoring service) names no instance identity at all: an `openstack_compute_instance_v2` says
 * nothing of an AWS or Azure node role.
 */
const AWS_PROVIDERS = new Set(['aws', 'awscc']);
const AZURE_PROVIDERS = new Set(['azurerm', 'azuread', 'azapi']);
const OTHER_IAM_PROVIDERS = new Set(['google', 'ibm', 'alicloud', 'oci']);

/**
 * OpenShift's `Infrastructure` (config.openshift.io/v1, the cluster's one object named `cluster`):
 * `status.platformStatus.type` (also `status.platform`, deprecated, and `spec.platformSpec.type`)
 * is the infrastructure the cluster runs on (openshift/api config/v1/types_infrastructure.go,
 * PlatformType). Clouds whose instances carry an identity of the cloud's IAM: AWS (instance
 * profile), Azure (managed identity), and out of scope GCP (service account), IBM Cloud and Power VS
 * (trusted profiles), Alibaba Cloud (RAM roles). Platforms with none: bare metal, vSphere,
 * OpenStack, oVirt, libvirt, KubeVirt, Nutanix, Equinix Metal. `None` and `External` say nothing of
 * the hosts (a platform-agnostic install may run anywhere): not decided.
 */
const INSTANCE_IDENTITY_PLATFORMS = new Set(['AWS', 'Azure']);
const OTHER_IAM_PLATFORMS = new Set(['GCP', 'IBMCloud', 'PowerVS', 'AlibabaCloud']);
const NO_INSTANCE_IDENTITY_PLATFORMS = new Set(['BareMetal', 'VSphere', 'OpenStack', 'oVirt', 'Libvirt', 'KubeVirt', 'Nutanix', 'EquinixMetal']);

/** What names a cloud in a Kubernetes object, chart values or config.toml (Patterns). */
interface Patterns {
  group: RegExp;
  key: RegExp;
  value: RegExp;
  /** A config.toml cache of the cloud's storage: its `Type` (`s3` with no ServerAddress is AWS's). */
  cache: (cache: Record<string, unknown>) => boolean;
}

/**
 * AWS:
 * - API groups of its controllers (eksctl, Karpenter's and ACK's `*.k8s.aws`);
 * - label and annotation keys of its domains (`eks.amazonaws.com/role-arn`), written in metadata or
 *   a node selector or affinity;
 * - values: an AWS ARN, a host of `amazonaws.com`, a CSI provisioner of its disks;
 * - a cache `"s3"` with no `ServerAddress` (the runner then uses AWS's S3 endpoint: GitLab Runner
 *   docs, "The [runners.cache.s3] section").
 */
const AWS: Patterns = {
  group: /^(?:eksctl\.io|(?:[a-z0-9-]+\.)*k8s\.aws)\//,
  key: /^(?:(?:[a-z0-9-]+\.)*amazonaws\.com|(?:[a-z0-9-]+\.)*k8s\.aws)\//,
  value: /\barn:aws(?:-cn|-us-gov|-iso[a-z-]*)?:|\.amazonaws\.com(?:\.cn)?\b|\b(?:ebs|efs|fsx|s3)\.csi\.aws\.com\b|^kubernetes\.io\/aws-ebs$/,
  cache: (c) => c.Type === 's3' && !(isObject(c.s3) && typeof c.s3.ServerAddress === 'string' && c.s3.ServerAddress !== ''),
};

/**
 * Azure:
 * - API groups of its controllers (Azure Service Operator's and Karpenter's `*.azure.com`);
 * - label and annotation keys of its domains (`azure.workload.identity/client-id`,
 *   `kubernetes.azure.com/agentpool`), written in metadata or a node selector or affinity;
 * - values: a CSI provisioner of its disks, its storage, vault and registry hosts;
 * - a cache `Type = "azure"` (Azure Blob Storage).
 */
const AZURE: Patterns = {
  group: /^(?:[a-z0-9-]+\.)*azure\.com\//,
  key: /^(?:azure\.workload\.identity|(?:[a-z0-9-]+\.)*azure\.com)\//,
  value: /\b(?:disk|file|blob)\.csi\.azure\.com\b|\.(?:blob\.core\.windows\.net|vault\.azure\.net|azurecr\.io)\b|^kubernetes\.io\/(?:azure-disk|azure-file)$/,
  cache: (c) => c.Type === 'azure',
};

/**
 * Google Cloud, a cloud of another IAM: Config Connector's `*.cnrm.cloud.google.com`, GKE's `*.gke.io`
 * and `cloud.google.com` groups and keys (`iam.gke.io/gcp-service-account`,
 * `cloud.google.com/gke-nodepool`), a Google service account's email, its storage host and disk
 * provisioners, a cache `Type = "gcs"`.
 */
const GOOGLE: Patterns = {
  group: /^(?:(?:[a-z0-9-]+\.)*cnrm\.cloud\.google\.com|(?:[a-z0-9-]+\.)*gke\.io|cloud\.google\.com)\//,
  key: /^(?:(?:[a-z0-9-]+\.)*gke\.io|(?:[a-z0-9-]+\.)*cloud\.google\.com)\//,
  value: /\bpd\.csi\.storage\.gke\.io\b|\.iam\.gserviceaccount\.com\b|\bstorage\.googleapis\.com\b|^kubernetes\.io\/gce-pd$/,
  cache: (c) => c.Type === 'gcs',
};

/** The first key or string value under `value` that names the cloud of `c` (its key, its value), as its path. A Secret's data is not read. */
function cloudNameAt(c: Patterns, value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | undefined {
  if (depth > 40) return undefined;
  if (typeof value === 'string') return c.value.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = cloudNameAt(c, value[i], [...path, i], depth + 1);
      if (p) return p;
    }
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (c.key.test(k)) return [...path, k];
      const p = cloudNameAt(c, v, [...path, k], depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}

/** A config.toml's cache that is the storage of the cloud of `c` (Patterns.cache). */
function cloudCache(c: Patterns, toml: unknown): (string | number)[] | undefined {
  const runners = isObject(toml) && Array.isArray(toml.runners) ? toml.runners : [];
  for (let i = 0; i < runners.length; i++) {
    const cache = isObject(runners[i]) ? (runners[i] as Record<string, unknown>).cache : undefined;
    if (isObject(cache) && c.cache(cache)) return ['runners', i, 'cache', 'Type'];
  }
  return undefined;
}

/** The cache of the config.toml chart values give in runners.config (cloudCache), placed at runners.config. */
function chartCache(c: Patterns, values: unknown): (string | number)[] | undefined {
  const text = isObject(values) && isObject(values.runners) ? values.runners.config : undefined;
  return typeof text === 'string' && tomlCache(c, text) ? ['runners', 'config'] : undefined;
}

/** Whether a config.toml's text (TOML that parses) has a cache of the cloud of `c` (cloudCache). */
function tomlCache(c: Patterns, text: string): boolean {
  try {
    return cloudCache(c, parseToml(text)) !== undefined;
  } catch {
    return false;
  }
}

const place = (o: Origin, path: (string | number)[]): string => formatPosition(originAt(o, ...path));

/** The platform an OpenShift Infrastructure object states, if any. */
function infrastructurePlatform(v: Record<string, unknown>): string | undefined {
  const status = isObject(v.status) ? v.status : {};
  const spec = isObject(v.spec) ? v.spec : {};
  const candidates = [isObject(status.platformStatus) ? status.platformStatus.type : undefined, status.platform, isObject(spec.platformSpec) ? spec.platformSpec.type : undefined];
  const found = candidates.find((t): t is string => typeof t === 'string' && t !== '');
  return found;
}

/** What the files say of the cloud the deployment runs in (CloudInFiles): decided once for every runner. */
export function cloudInFiles(ev: Evidence): CloudInFiles {
  // The cluster's own statement first: an OpenShift Infrastructure object.
  let noCloud: string | undefined;
  let otherCloud: string | undefined;
  for (const o of ev.kubernetes) {
    if (o.value.kind !== 'Infrastructure' || typeof o.value.apiVersion !== 'string' || !o.value.apiVersion.startsWith('config.openshift.io/')) continue;
    const platform = infrastructurePlatform(o.value);
    if (platform === undefined) continue;
    const what = `Infrastructure ${o.value.metadata.name} (${o.value.apiVersion}) at ${formatPosition(originAt(o.origin))}, platform ${platform}`;
    if (INSTANCE_IDENTITY_PLATFORMS.has(platform)) return { kind: 'cloud', what, azureOnly: platform === 'Azure' };
    if (OTHER_IAM_PLATFORMS.has(platform)) otherCloud ??= what;
    if (NO_INSTANCE_IDENTITY_PLATFORMS.has(platform)) noCloud ??= what;
  }
  const aws = cloudNamed(ev, AWS, AWS_PROVIDERS);
  const azure = aws === undefined ? cloudNamed(ev, AZURE, AZURE_PROVIDERS) : undefined;
  if (aws !== undefined || azure !== undefined) return { kind: 'cloud', what: (aws ?? azure)!, azureOnly: aws === undefined };
  if (otherCloud !== undefined) return { kind: 'elsewhere', what: otherCloud };
  if (noCloud !== undefined) return { kind: 'none', what: noCloud };
  const other = cloudNamed(ev, GOOGLE, OTHER_IAM_PROVIDERS);
  if (other !== undefined) return { kind: 'elsewhere', what: other };
  const openShift = openShiftShown(ev);
  return openShift !== undefined ? { kind: 'unknown', openShift } : { kind: 'unknown' };
}

/**
 * The first thing in the files that names a cloud of `c` (AWS: also an IAM role read, the live AWS
 * reads, a provider "aws" block, a CloudFormation template; Azure: also a provider "azurerm" block),
 * or a resource of one of `providers`, and where; undefined: nothing does.
 */
function cloudNamed(ev: Evidence, c: Patterns, providers: ReadonlySet<string>): string | undefined {
  const aws = c === AWS;
  const role = aws ? [...ev.roles.values()][0] : undefined;
  if (role) return `the IAM role ${role.name}${role.trustOrigin ? ` at ${formatPosition(originAt(role.trustOrigin))}` : ''}`;
  if (aws && ev.absent !== undefined) return 'the AWS account read live (doctor --aws)';
  const tf = ev.terraform;
  for (const [mode, blocks] of [['resource', tf.resource], ['data', tf.data]] as const) {
    for (const type of Object.keys(blocks)) {
      const names = Object.keys(blocks[type] ?? {});
      if (names.length === 0 || !providers.has(type.split('_')[0]!)) continue;
      const address = `${mode === 'data' ? 'data.' : ''}${type}.${names[0]!}`;
      const at = tf.origins.get(address);
      return `${address}${at ? ` at ${formatPosition(originAt(at))}` : ''}`;
    }
  }
  if (aws && (tf.awsProviders ?? []).length > 0) return 'a provider "aws" block';
  if (c === AZURE && tf.azurermProvider !== undefined) return `a provider "azurerm" block at ${tf.azurermProvider}`;
  const cfn = aws ? ev.cloudFormation?.[0] : undefined;
  if (cfn) return `the AWS CloudFormation template ${cfn.path}`;
  for (const o of ev.kubernetes) {
    const what = `${o.value.kind} ${o.value.metadata.name}`;
    if (typeof o.value.apiVersion === 'string' && c.group.test(o.value.apiVersion)) return `${what} (${o.value.apiVersion}) at ${place(o.origin, [])}`;
    const value = o.value as unknown as Record<string, unknown>;
    const at = cloudNameAt(c, o.value.kind === 'Secret' ? { ...value, data: undefined, stringData: undefined } : value);
    if (at) return `${what} at ${place(o.origin, at)}`;
    // A config.toml held in a ConfigMap: its cache.
    if (o.value.kind === 'ConfigMap' && isObject(value.data)) {
      for (const [key, text] of Object.entries(value.data)) {
        if (typeof text === 'string' && text.includes('[[runners]]') && tomlCache(c, text)) return `${what} at ${place(o.origin, ['data', key])}`;
      }
    }
  }
  const named = (list: Located<Record<string, unknown>>[], what: string, extra: (c: Patterns, v: unknown) => (string | number)[] | undefined): string | undefined => {
    for (const v of list) {
      const at = cloudNameAt(c, v.value) ?? extra(c, v.value);
      if (at) return `${what} at ${place(v.origin, at)}`;
    }
    return undefined;
  };
  return named(ev.helmValues, 'the chart values', chartCache) ?? named(ev.configTomls, 'the config.toml', cloudCache);
}

/**
 * What shows an OpenShift deployment: an object of an OpenShift API group (`*.openshift.io`: a
 * SecurityContextConstraints, a Route, a DeploymentConfig) or an OpenShift Template read.
 */
function openShiftShown(ev: Evidence): string | undefined {
  const object = ev.kubernetes.find((o) => typeof o.value.apiVersion === 'string' && /^[a-z0-9.-]*\.openshift\.io\//.test(o.value.apiVersion));
  if (object) return `${object.value.kind} ${object.value.metadata.name} (${object.value.apiVersion}) at ${formatPosition(originAt(object.origin))}`;
  return ev.openShiftTemplate;
}
