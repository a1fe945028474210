import { parse as parseToml } from 'smol-toml';
import { isObject } from '../model/is-object.js';
import type { Evidence, Located } from './evidence.js';
import { formatPosition, originAt, type Origin } from './source.js';

/**
 * Whether the files read name the cloud a Kubernetes deployment runs in, which decides what a pod
 * with no cloud identity of its own gets from its node: in a cloud its node's instance role
 * (RF911), on a cluster with no cloud behind it (bare metal, vSphere, a laptop's kind) nothing.
 *
 * - `cloud`: something in the files names one (`what`: the first such thing and where it is);
 * - `none`: the cluster's own OpenShift `Infrastructure` object names a platform with no instance
 *   identity (`what`: that object and its platform);
 * - `unknown`: nothing names one (`openShift`: what shows the deployment is OpenShift's, if anything).
 */
export type CloudInFiles = { kind: 'cloud'; what: string } | { kind: 'none'; what: string } | { kind: 'unknown'; openShift?: string };

/**
 * Terraform providers whose resources are no cloud's: the cluster's own objects (kubernetes, helm,
 * kubectl), GitLab's, and HashiCorp's utility providers. A resource or data source of any other
 * provider is taken as a cloud of the deployment in the files.
 */
const NO_CLOUD_PROVIDERS = new Set(['kubernetes', 'helm', 'kubectl', 'gitlab', 'null', 'random', 'local', 'tls', 'time', 'external', 'template', 'http', 'terraform', 'archive', 'cloudinit']);

/**
 * OpenShift's `Infrastructure` (config.openshift.io/v1, the cluster's one object named `cluster`):
 * `status.platformStatus.type` (also `status.platform`, deprecated, and `spec.platformSpec.type`)
 * is the infrastructure the cluster runs on (openshift/api config/v1/types_infrastructure.go,
 * PlatformType). Clouds whose instances carry an identity of the cloud's IAM: AWS (instance
 * profile), Azure (managed identity), GCP (service account), IBM Cloud and Power VS (trusted
 * profiles), Alibaba Cloud (RAM roles). Platforms with none: bare metal, vSphere, OpenStack, oVirt,
 * libvirt, KubeVirt, Nutanix, Equinix Metal. `None` and `External` say nothing of the hosts (a
 * platform-agnostic install may run anywhere): not decided.
 */
const INSTANCE_IDENTITY_PLATFORMS = new Set(['AWS', 'Azure', 'GCP', 'IBMCloud', 'PowerVS', 'AlibabaCloud']);
const NO_INSTANCE_IDENTITY_PLATFORMS = new Set(['BareMetal', 'VSphere', 'OpenStack', 'oVirt', 'Libvirt', 'KubeVirt', 'Nutanix', 'EquinixMetal']);

/**
 * What names a cloud in a Kubernetes object, chart values or config.toml:
 * - API groups of a cloud's controllers (eksctl, Karpenter's and ACK's `*.k8s.aws`, Azure Service
 *   Operator's and Karpenter's `*.azure.com`, Config Connector's `*.cnrm.cloud.google.com`, GKE's
 *   `*.gke.io` and `cloud.google.com`);
 * - label and annotation keys of a cloud's domain (`eks.amazonaws.com/role-arn`,
 *   `azure.workload.identity/client-id`, `kubernetes.azure.com/agentpool`, `iam.gke.io/…`,
 *   `cloud.google.com/gke-nodepool`), written in metadata or a node selector or affinity;
 * - values: an AWS ARN, a host of `amazonaws.com`, a CSI provisioner of a cloud's disks, Azure's
 *   storage, vault and registry hosts, a Google service account's email or its storage host.
 */
const CLOUD_GROUP = /^(?:eksctl\.io|(?:[a-z0-9-]+\.)*k8s\.aws|(?:[a-z0-9-]+\.)*azure\.com|(?:[a-z0-9-]+\.)*cnrm\.cloud\.google\.com|(?:[a-z0-9-]+\.)*gke\.io|cloud\.google\.com)\//;
const CLOUD_KEY = /^(?:(?:[a-z0-9-]+\.)*amazonaws\.com|(?:[a-z0-9-]+\.)*k8s\.aws|azure\.workload\.identity|(?:[a-z0-9-]+\.)*azure\.com|(?:[a-z0-9-]+\.)*gke\.io|(?:[a-z0-9-]+\.)*cloud\.google\.com)\//;
const CLOUD_VALUE = /\barn:aws(?:-cn|-us-gov|-iso[a-z-]*)?:|\.amazonaws\.com(?:\.cn)?\b|\b(?:ebs|efs|fsx|s3)\.csi\.aws\.com\b|\b(?:disk|file|blob)\.csi\.azure\.com\b|\.(?:blob\.core\.windows\.net|vault\.azure\.net|azurecr\.io)\b|\bpd\.csi\.storage\.gke\.io\b|\.iam\.gserviceaccount\.com\b|\bstorage\.googleapis\.com\b|^kubernetes\.io\/(?:aws-ebs|azure-disk|azure-file|gce-pd)$/;

/** The first key or string value under `value` that names a cloud (CLOUD_KEY, CLOUD_VALUE), as its path. A Secret's data is not read. */
function cloudNameAt(value: unknown, path: (string | number)[] = [], depth = 0): (string | number)[] | undefined {
  if (depth > 40) return undefined;
  if (typeof value === 'string') return CLOUD_VALUE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = cloudNameAt(value[i], [...path, i], depth + 1);
      if (p) return p;
    }
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (CLOUD_KEY.test(k)) return [...path, k];
      const p = cloudNameAt(v, [...path, k], depth + 1);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * A config.toml's cache that is a cloud's storage: `Type = "gcs"` (Google Cloud Storage), `"azure"`
 * (Azure Blob Storage), or `"s3"` with no `ServerAddress` (the runner then uses AWS's S3 endpoint:
 * GitLab Runner docs, "The [runners.cache.s3] section").
 */
function cloudCache(toml: unknown): (string | number)[] | undefined {
  const runners = isObject(toml) && Array.isArray(toml.runners) ? toml.runners : [];
  for (let i = 0; i < runners.length; i++) {
    const cache = isObject(runners[i]) ? (runners[i] as Record<string, unknown>).cache : undefined;
    if (!isObject(cache)) continue;
    const type = cache.Type;
    if (type === 'gcs' || type === 'azure') return ['runners', i, 'cache', 'Type'];
    if (type === 's3' && !(isObject(cache.s3) && typeof cache.s3.ServerAddress === 'string' && cache.s3.ServerAddress !== '')) return ['runners', i, 'cache', 'Type'];
  }
  return undefined;
}

/** The cache of the config.toml chart values give in runners.config (cloudCache), placed at runners.config. */
function chartCache(values: unknown): (string | number)[] | undefined {
  const text = isObject(values) && isObject(values.runners) ? values.runners.config : undefined;
  return typeof text === 'string' && tomlCache(text) ? ['runners', 'config'] : undefined;
}

/** Whether a config.toml's text (TOML that parses) has a cloud's cache (cloudCache). */
function tomlCache(text: string): boolean {
  try {
    return cloudCache(parseToml(text)) !== undefined;
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
  for (const o of ev.kubernetes) {
    if (o.value.kind !== 'Infrastructure' || typeof o.value.apiVersion !== 'string' || !o.value.apiVersion.startsWith('config.openshift.io/')) continue;
    const platform = infrastructurePlatform(o.value);
    if (platform === undefined) continue;
    const what = `Infrastructure ${o.value.metadata.name} (${o.value.apiVersion}) at ${formatPosition(originAt(o.origin))}, platform ${platform}`;
    if (INSTANCE_IDENTITY_PLATFORMS.has(platform)) return { kind: 'cloud', what };
    if (NO_INSTANCE_IDENTITY_PLATFORMS.has(platform)) noCloud ??= what;
  }
  const cloud = cloudNamed(ev);
  if (cloud !== undefined) return { kind: 'cloud', what: cloud };
  if (noCloud !== undefined) return { kind: 'none', what: noCloud };
  const openShift = openShiftShown(ev);
  return openShift !== undefined ? { kind: 'unknown', openShift } : { kind: 'unknown' };
}

/** The first thing in the files that names a cloud, and where; undefined: nothing does. */
function cloudNamed(ev: Evidence): string | undefined {
  const role = [...ev.roles.values()][0];
  if (role) return `the IAM role ${role.name}${role.trustOrigin ? ` at ${formatPosition(originAt(role.trustOrigin))}` : ''}`;
  if (ev.absent !== undefined) return 'the AWS account read live (doctor --aws)';
  const tf = ev.terraform;
  for (const [mode, blocks] of [['resource', tf.resource], ['data', tf.data]] as const) {
    for (const type of Object.keys(blocks)) {
      const names = Object.keys(blocks[type] ?? {});
      if (names.length === 0 || NO_CLOUD_PROVIDERS.has(type.split('_')[0]!)) continue;
      const address = `${mode === 'data' ? 'data.' : ''}${type}.${names[0]!}`;
      const at = tf.origins.get(address);
      return `${address}${at ? ` at ${formatPosition(originAt(at))}` : ''}`;
    }
  }
  if ((tf.awsProviders ?? []).length > 0) return 'a provider "aws" block';
  const cfn = ev.cloudFormation?.[0];
  if (cfn) return `the AWS CloudFormation template ${cfn.path}`;
  for (const o of ev.kubernetes) {
    const what = `${o.value.kind} ${o.value.metadata.name}`;
    if (typeof o.value.apiVersion === 'string' && CLOUD_GROUP.test(o.value.apiVersion)) return `${what} (${o.value.apiVersion}) at ${place(o.origin, [])}`;
    const value = o.value as unknown as Record<string, unknown>;
    const at = cloudNameAt(o.value.kind === 'Secret' ? { ...value, data: undefined, stringData: undefined } : value);
    if (at) return `${what} at ${place(o.origin, at)}`;
    // A config.toml held in a ConfigMap: its cache.
    if (o.value.kind === 'ConfigMap' && isObject(value.data)) {
      for (const [key, text] of Object.entries(value.data)) {
        if (typeof text === 'string' && text.includes('[[runners]]') && tomlCache(text)) return `${what} at ${place(o.origin, ['data', key])}`;
      }
    }
  }
  const named = (list: Located<Record<string, unknown>>[], what: string, extra?: (v: unknown) => (string | number)[] | undefined): string | undefined => {
    for (const v of list) {
      const at = cloudNameAt(v.value) ?? extra?.(v.value);
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
