import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { FleetDocuments } from '../emit/types.js';
import type { FleetIntent } from '../verify/intent.js';
import type { IdTokenIntent, RotatorKubeIntent } from '../verify/reach/intent.js';
import { chartDeploymentName } from '../ops/desired.js';
import { get, getText } from '../verify/get.js';
import { ROTATOR_AZURE_KEY } from '../spec/resolve-operations.js';
import { keyVaultStoreOf } from '../spec/key-vault.js';
import { azureRotationJob } from './infer-reach.js';
import type { Evidence } from './evidence.js';
import type { DoctorContext, DoctorReader } from './types.js';
import type { AzureEvidence } from './azure.js';
import { SECRET_TYPES } from './kubernetes-terraform.js';

/**
 * The token rotator's Kubernetes identity, read back (the intent `plan` derives from
 * operations.rotation and API-registered runners):
 * - which clusters it reaches: the rotation job's `--kube-api <cluster>=<platform value>` options,
 *   and the platform's own mapping of the rotator role to a Kubernetes user (EKS: its access
 *   entries), read by the platform's doctor reader;
 * - its Kubernetes user: the username that mapping gives (or, without one, the User its RoleBindings name);
 * - what it rotates: every Kubernetes runner on those clusters whose token Secret no Terraform
 *   resource writes (a runner registered by terraform/gitlab has its Secret written there), with
 *   the chart's Deployment of that runner.
 * The proofs (src/verify/reach/rotator-kube.ts) then check the access entry and the RBAC against it.
 * The AKS rotator (a managed identity) the same way, through the platform's azureRotatorKubernetes:
 * its user is its principal id, and its Azure grants (src/verify/reach/rotator-azure.ts) are
 * held to the Key Vault secrets of the runners it rotates and the clusters it reaches.
 */

const KUBE_API = /--kube-api[= ]+([^\s=]+)=(\S+)/g;

/** `--kube-api <cluster>=<value>` options of one job's script. */
function kubeApiOfJob(job: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const script = get(job, 'script');
  for (const line of Array.isArray(script) ? script : [script]) {
    if (typeof line !== 'string') continue;
    for (const m of line.matchAll(KUBE_API)) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** `--kube-api <cluster>=<value>` of the rotation job (the job whose variables name the rotator role). */
function kubeApiOptions(ev: Evidence, roleName: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of ev.artifacts) {
    if (a.format !== 'yaml' || !Array.isArray(a.content)) continue;
    for (const doc of a.content) {
      if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) continue;
      for (const job of Object.values(doc as Record<string, unknown>)) {
        const arn = get(job, 'variables', 'RUNNER_FLEET_ROTATOR_ROLE_ARN');
        if (typeof arn !== 'string' || !arn.endsWith(`/${roleName}`)) continue;
        const script = get(job, 'script');
        for (const line of Array.isArray(script) ? script : [script]) {
          if (typeof line !== 'string') continue;
          for (const m of line.matchAll(KUBE_API)) out.set(m[1]!, m[2]!);
        }
      }
    }
  }
  return out;
}

/** Adds the Kubernetes part of the rotator's intent where its role reaches clusters of the evidence. */
export function inferRotatorKubernetes(ev: Evidence, ctx: DoctorContext, intent: FleetIntent, docs: FleetDocuments, idTokens: IdTokenIntent | undefined, readers: readonly { type: string; doctor: DoctorReader }[], azureAt?: (path: string) => AzureEvidence): Finding[] {
  return [...inferAwsRotator(ev, ctx, intent, docs, idTokens, readers), ...inferAzureRotator(ev, ctx, intent, docs, idTokens, readers, azureAt)];
}

/** Runners on these clusters whose token Secret no Terraform resource (kubernetes_secret_v1, kubernetes_secret) writes (registered through the API), with their manager Deployment. */
function rotatedTargets(ctx: DoctorContext, intent: FleetIntent, docs: FleetDocuments, clusters: RotatorKubeIntent['clusters']): (RotatorKubeIntent['targets'][number] & { index: number })[] {
  // Secrets some Terraform resource writes: those runners are registered by Terraform, not rotated.
  const written = new Set(SECRET_TYPES.flatMap((type) => Object.values(ctx.root.resource[type] ?? {})).map((b) => `${getText(b, 'metadata', 'namespace')}/${getText(b, 'metadata', 'name')}`));
  const reached = new Set(clusters.map((c) => c.cluster));
  const targets: (RotatorKubeIntent['targets'][number] & { index: number })[] = [];
  intent.runners.forEach((r, index) => {
    const k = r.kubernetes;
    if (!reached.has(r.cluster) || !k || k.tokenSecret === '' || written.has(`${k.namespace}/${k.tokenSecret}`)) return;
    // The manager Deployment: one running as the manager's service account, or the chart's for the release.
    const deployment = docs.runners.get(r.name)?.manifests.find((o) => o.kind === 'Deployment' && o.metadata.namespace === k.namespace && get(o, 'spec', 'template', 'spec', 'serviceAccountName') === k.managerServiceAccount)?.metadata.name ?? chartDeploymentName(k.helmRelease);
    targets.push({ runner: r.name, cluster: r.cluster, namespace: k.namespace, secret: k.tokenSecret, deployment, index });
  });
  return targets;
}

/**
 * The Azure token rotator (AKS): the clusters its rotation job names, read by the platform; the
 * runners it rotates there; the Key Vault secrets of those runners' stores (Key Vault Secrets
 * Officer on each, read-only Secret in the cluster) and the clusters' resource ids (Cluster User
 * Role). Without a cluster it reaches, it stays a plain ID-token identity.
 */
function inferAzureRotator(ev: Evidence, ctx: DoctorContext, intent: FleetIntent, docs: FleetDocuments, idTokens: IdTokenIntent | undefined, readers: readonly { type: string; doctor: DoctorReader }[], azureAt?: (path: string) => AzureEvidence): Finding[] {
  const rotator = idTokens?.roles.find((r) => r.azureRotator !== undefined && r.cloud === 'azure');
  if (!rotator?.azureRotator) return [];
  // Several Azure deployments given together: the rotator reads its clusters in its own deployment (where its identity is written).
  const own = azureAt?.(rotator.path.replace(/:\d+:\d+$/, ''));
  const mine = own !== undefined && own !== ctx.azure ? own : undefined;
  ctx = mine ? { ...ctx, azure: mine } : ctx;
  const job = azureRotationJob(ev);
  const kubeApi = job ? kubeApiOfJob(job.job) : new Map<string, string>();
  const clusters: RotatorKubeIntent['clusters'] = [];
  let username: string | undefined;
  for (const reader of readers) {
    const clustersOf = intent.clusters.filter((c) => c.type === reader.type);
    if (clustersOf.length === 0 || !reader.doctor.azureRotatorKubernetes) continue;
    const read = reader.doctor.azureRotatorKubernetes(ctx, { identityName: rotator.roleName, kubeApi }, clustersOf, (mine ? mine.subscriptionId : undefined) ?? intent.azure?.subscriptionId ?? ctx.azure.subscriptionId ?? '');
    if (!read) continue;
    clusters.push(...read.clusters);
    username ??= read.username;
  }
  const targets = clusters.length > 0 && username !== undefined ? rotatedTargets(ctx, intent, docs, clusters) : [];
  if (targets.length === 0) {
    delete rotator.azureRotator;
    if (clusters.length === 0) return [];
    return [{ code: 'RF903', severity: CODES.RF903.severity, path: rotator.path, message: `the token rotator ${rotator.roleName} reaches AKS cluster(s) ${clusters.map((c) => c.apiName).join(', ')}, but no document binds its principal id to a Role there (no token-rotator RoleBinding)`, fix: 'give the Terraform of the Kubernetes roots of those clusters (terraform/azure-k8s/<cluster>)' }];
  }
  const secretScopes: string[] = [];
  const kubeTargets: RotatorKubeIntent['targets'] = [];
  for (const { index, ...t } of targets) {
    const r = intent.runners[index]!;
    // In the runner's own deployment's subscription (IntentRunner.azure, of several), else the fleet's.
    const azure = r.azure ?? intent.azure;
    const kv = azure ? keyVaultStoreOf({ name: '', azure }, r) : undefined;
    if (kv) secretScopes.push(kv.secretScope);
    // A Key Vault store's Secret is the CSI driver's: rotate only reads it.
    kubeTargets.push({ ...t, secretVerbs: kv ? ['get'] : ['get', 'update'] });
  }
  rotator.name = ROTATOR_AZURE_KEY;
  rotator.azureRotator = {
    sub: rotator.azureRotator.sub,
    secretScopes: [...new Set(secretScopes)].sort(),
    clusterIds: clusters.map((c) => c.arn),
    kubernetes: { mapping: 'aks-entra-id', username: username!, clusters, targets: kubeTargets },
  };
  return [];
}

/** The AWS token rotator (an IAM role) on the Kubernetes clusters it reaches. */
function inferAwsRotator(ev: Evidence, ctx: DoctorContext, intent: FleetIntent, docs: FleetDocuments, idTokens: IdTokenIntent | undefined, readers: readonly { type: string; doctor: DoctorReader }[]): Finding[] {
  const rotator = idTokens?.roles.find((r) => r.rotator !== undefined && r.cloud === 'aws');
  if (!rotator?.rotator || !intent.aws) return [];
  const kubeApi = kubeApiOptions(ev, rotator.roleName);
  const clusters: RotatorKubeIntent['clusters'] = [];
  let username: string | undefined;
  for (const reader of readers) {
    const mine = intent.clusters.filter((c) => c.type === reader.type);
    if (mine.length === 0 || !reader.doctor.rotatorKubernetes) continue;
    const read = reader.doctor.rotatorKubernetes(ctx, { roleName: rotator.roleName, kubeApi }, mine, intent.aws);
    if (!read) continue;
    clusters.push(...read.clusters);
    username ??= read.username;
  }
  if (clusters.length === 0) return [];
  if (username === undefined) {
    return [{ code: 'RF903', severity: CODES.RF903.severity, path: rotator.path, message: `the token rotator ${rotator.roleName} reaches cluster(s) ${clusters.map((c) => c.apiName).join(', ')}, but no document maps it to a Kubernetes user (no access entry, no RoleBinding to it)`, fix: 'give the Terraform of its access entries and the token-rotator RoleBindings of the runner namespaces' }];
  }
  const targets = rotatedTargets(ctx, intent, docs, clusters).map(({ index: _index, ...t }) => t);
  if (targets.length > 0) rotator.rotator.kubernetes = { username, clusters, targets };
  return [];
}
