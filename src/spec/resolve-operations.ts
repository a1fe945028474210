import type { ParsedSpec } from './fleet.js';
import type { Finding } from './findings.js';
import type { ResolvedFleet, ResolvedRotation } from '../model/types.js';
import type { Statement } from '../verify/iam/types.js';
import { gitlabSub, type ResolvedIdTokenRole } from '../model/reach.js';
import { apiTokenStores, type DesiredRunner } from '../ops/desired.js';
import { iamRoleName } from './names.js';
import { ROLE_PATH } from './resolve.js';
import { AWS_ID_TOKEN_AUDIENCE } from './resolve-reach.js';
import { CODES } from './codes.js';
import { platformFor } from '../platforms/registry.js';
import type { RotatorAzure, RotatorKubernetes } from '../model/types.js';
import { AZURE_WI_AUDIENCE, userAssignedIdentityId } from './azure.js';
import { keyVaultStoreOf } from './key-vault.js';
import { fitName } from './names.js';
import { tfName } from '../emit/artifacts.js';

/** Key and name of the rotator among the ID-token roles (names of spec roles are `idt-<name>`, so no clash). */
export const ROTATOR_KEY = 'token-rotator';
/** Key and name of the rotator's managed identity (AKS runners): its own entry, beside the IAM role. */
export const ROTATOR_AZURE_KEY = 'token-rotator-azure';
export const KEY_VAULT_SECRETS_OFFICER = 'Key Vault Secrets Officer';
export const AKS_CLUSTER_USER_ROLE = 'Azure Kubernetes Service Cluster User Role';

/**
 * The rotator's Kubernetes user on AKS: the object (principal) id of its managed identity, known
 * after apply, so the documents carry it as one symbol (the data source of the cluster's
 * terraform/azure-k8s root) and the proofs compare that symbol.
 */
export const rotatorAzurePrincipalSymbol = () => `\${data.azurerm_user_assigned_identity.${tfName(ROTATOR_AZURE_KEY)}.principal_id}`;

/** Name of the rotator's managed identity (up to 128 of letters, digits, '-' and '_'). */
export const rotatorIdentityName = (fleet: string) => fitName(`${fleet}-token-rotator`, 128);

export const ROTATE_DOCUMENT = 'AWS-RunShellScript';

/** The Kubernetes user the rotator role maps to on each cluster: one per fleet, so two fleets on a cluster never share grants. */
export const rotatorUsername = (fleet: string) => `runner-fleet:${fleet}:token-rotator`;

/** Name of the rotator's Role and RoleBinding in a runner namespace (DNS-1123, ≤ 63). */
export const rotatorRoleName = (fleet: string) => `${fleet}-token-rotator`.slice(0, 63).replace(/-+$/, '');

export { rotatorRules } from '../emit/kubernetes/rotator-objects.js';

type SsmStore = Extract<DesiredRunner['store'], { kind: 'ssm-parameter' }>;

export function ssmParameterArn(partition: string, accountId: string, store: SsmStore): string {
  return `arn:${partition}:ssm:${store.region}:${accountId}:parameter${store.parameter}`;
}

/**
 * Least privilege of the rotator for SSM token stores: read, write, tag and label (the version
 * whose manager restarted: SsmParameterStore.markRestarted) exactly the token parameters; their KMS key only through SSM and only for those parameters; Run Command's
 * shell document on the manager instances only (by their Auto Scaling group tag); and the
 * read-only command results, which IAM does not scope by resource.
 */
export function rotatorStatements(partition: string, accountId: string, stores: readonly SsmStore[]): Statement[] {
  const params = stores.map((s) => ssmParameterArn(partition, accountId, s)).sort();
  const regions = [...new Set(stores.map((s) => s.region))].sort();
  const out: Statement[] = [
    { Sid: 'RunnerTokenParameters', Effect: 'Allow', Action: ['ssm:AddTagsToResource', 'ssm:GetParameter', 'ssm:LabelParameterVersion', 'ssm:ListTagsForResource', 'ssm:PutParameter'], Resource: params.length === 1 ? params[0]! : params },
  ];
  const byKey = new Map<string, SsmStore[]>();
  for (const s of stores) {
    if (s.kmsKeyArn === undefined) continue;
    const list = byKey.get(s.kmsKeyArn);
    if (list) list.push(s);
    else byKey.set(s.kmsKeyArn, [s]);
  }
  let i = 0;
  for (const [keyArn, list] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
    for (const region of [...new Set(list.map((s) => s.region))].sort()) {
      const arns = list.filter((s) => s.region === region).map((s) => ssmParameterArn(partition, accountId, s)).sort();
      out.push({
        Sid: `RunnerTokenKey${i++}`,
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:Encrypt'],
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': `ssm.${region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': arns.length === 1 ? arns[0]! : arns } },
      });
    }
  }
  const groups = [...new Set(stores.map((s) => s.autoScalingGroup))].sort();
  out.push(
    { Sid: 'RestartManagersDocument', Effect: 'Allow', Action: 'ssm:SendCommand', Resource: regions.map((r) => `arn:${partition}:ssm:${r}::document/${ROTATE_DOCUMENT}`) },
    {
      Sid: 'RestartManagersInstances',
      Effect: 'Allow',
      Action: 'ssm:SendCommand',
      Resource: regions.map((r) => `arn:${partition}:ec2:${r}:${accountId}:instance/*`),
      Condition: { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': groups.length === 1 ? groups[0]! : groups } },
    },
    { Sid: 'ReadCommandResults', Effect: 'Allow', Action: ['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations'], Resource: '*' },
  );
  return out;
}

/**
 * operations.rotation → the rotator identity. For runners whose token lives in SSM an IAM role
 * trusted by the GitLab OIDC provider for one sub (the project and branch of the schedule) and one
 * audience, added to the ID-token roles so it is emitted and proven like them.
 */
export function resolveOperations(spec: ParsedSpec, fleet: ResolvedFleet): Finding[] {
  const findings: Finding[] = [];
  const api = apiTokenStores(fleet);
  const rot = spec.operations?.rotation;
  if (!rot) {
    if (api.length > 0) {
      findings.push({
        code: 'RF124',
        severity: CODES.RF124.severity,
        // The deepest path that exists in the spec (a finding never points into nothing).
        path: spec.operations ? 'operations.rotation' : 'operations',
        message: `runners ${api.map((d) => d.name).join(', ')} are registered through the API but no project runs their scheduled token rotation, so no rotation pipeline and no rotator identity are generated`,
        allowed: 'operations: { rotation: { project: <group/project>, ref: <branch> } }',
        fix: 'name the project (and protected branch) whose pipeline schedule rotates the tokens, or rotate by hand with runner-fleet rotate',
      });
    }
    return findings;
  }
  const ssm = api.flatMap((d) => (d.store.kind === 'ssm-parameter' ? [d.store] : []));
  const audience = rot.audience ?? AWS_ID_TOKEN_AUDIENCE;
  const rotation: ResolvedRotation = { project: rot.project, ref: rot.ref, sub: gitlabSub(rot.project, 'branch', rot.ref), audience };
  // Kubernetes Secret stores: the cluster's platform maps the rotator role to a Kubernetes user,
  // or refuses (RF128) when it cannot do so coherently.
  const kube: RotatorKubernetes = { username: rotatorUsername(fleet.name), clusters: [], targets: [] };
  const kubeStatements: Statement[] = [];
  // AKS: the rotator's managed identity, its Key Vault secrets, clusters and Kubernetes targets (issue 12d).
  const azureKube: RotatorKubernetes = { username: rotatorAzurePrincipalSymbol(), clusters: [], targets: [] };
  const secretScopes: string[] = [];
  const clusterIds: string[] = [];
  const refused = new Set<string>();
  for (const d of api) {
    if (d.store.kind !== 'kubernetes-secret' && d.store.kind !== 'key-vault-secret') continue;
    const store = d.store;
    const ci = fleet.clusters.findIndex((c) => c.name === store.cluster);
    const cluster = fleet.clusters[ci]!;
    const access = platformFor(cluster.type).rotatorAccess;
    const runner = fleet.runners.find((r) => r.name === d.name)!;
    const refusal = access
      ? access.refusal(fleet, cluster, `clusters[${ci}]`)
      : {
          code: 'RF128' as const,
          severity: CODES.RF128.severity,
          path: `runners[${runner.index}].gitlab.registration`,
          message: `runner ${d.name} is registered through the API, so the scheduled rotation must update its Secret on ${cluster.type} cluster ${cluster.name}, but runner-fleet cannot give the rotator a keyless Kubernetes identity there`,
          received: 'api',
          allowed: 'terraform (the terraform/gitlab root owns the token), or a cluster whose platform maps the rotator to a Kubernetes user (eks)',
          fix: `set runners[${runner.index}].gitlab.registration: terraform, or remove operations.rotation and run runner-fleet rotate where a kubeconfig may update the Secret`,
        };
    if (refusal) {
      if (!refused.has(cluster.name)) findings.push(refusal);
      refused.add(cluster.name);
      continue;
    }
    if (access!.identityCloud === 'azure') {
      // Key Vault stores: rotate reads the Secret the CSI driver syncs (to wait for the new token) and never writes it.
      const secretVerbs = store.kind === 'key-vault-secret' ? ['get'] : ['get', 'update'];
      if (!azureKube.clusters.some((c) => c.cluster === cluster.name)) {
        azureKube.clusters.push({ cluster: cluster.name, kubeApi: access!.kubeApiOption(fleet, cluster) });
        clusterIds.push(access!.azureClusterId!(fleet, cluster));
      }
      azureKube.targets.push({ runner: d.name, cluster: cluster.name, namespace: store.namespace, secret: store.secret, deployment: store.deployment, role: rotatorRoleName(fleet.name), roleBinding: rotatorRoleName(fleet.name), secretVerbs });
      const kv = store.kind === 'key-vault-secret' ? keyVaultStoreOf(fleet, runner) : undefined;
      if (kv) secretScopes.push(kv.secretScope);
      continue;
    }
    if (store.kind !== 'kubernetes-secret') continue;
    if (!kube.clusters.some((c) => c.cluster === cluster.name)) {
      kube.clusters.push({ cluster: cluster.name, kubeApi: access!.kubeApiOption(fleet, cluster) });
      kubeStatements.push(...access!.statements!(fleet, cluster));
    }
    kube.targets.push({ runner: d.name, cluster: cluster.name, namespace: store.namespace, secret: store.secret, deployment: store.deployment, role: rotatorRoleName(fleet.name), roleBinding: rotatorRoleName(fleet.name), secretVerbs: ['get', 'update'] });
  }
  // Runners sharing a namespace: one Role and RoleBinding each, named after the runner (a shared name would be one object with two contents).
  for (const k of [kube, azureKube]) {
    const perNamespace = new Map<string, number>();
    for (const t of k.targets) perNamespace.set(`${t.cluster}/${t.namespace}`, (perNamespace.get(`${t.cluster}/${t.namespace}`) ?? 0) + 1);
    for (const t of k.targets) {
      if ((perNamespace.get(`${t.cluster}/${t.namespace}`) ?? 0) > 1) t.role = t.roleBinding = fitName(`${fleet.name}-${t.runner}-token-rotator`, 63);
    }
  }
  if ((ssm.length > 0 || kube.targets.length > 0) && fleet.aws) {
    const partition = fleet.aws.partition;
    const roleName = iamRoleName(`${fleet.name}-${ROTATOR_KEY}`);
    const arn = `arn:${partition}:iam::${fleet.aws.accountId}:role${ROLE_PATH}${roleName}`;
    const issuer = fleet.reach?.idTokens?.issuer ?? fleet.gitlabUrl;
    const hp = issuer.replace(/^https:\/\//, '');
    const role: ResolvedIdTokenRole = {
      key: ROTATOR_KEY,
      name: ROTATOR_KEY,
      path: 'operations.rotation',
      cloud: 'aws',
      roleName,
      ref: arn,
      issuer,
      issuerHostPath: hp,
      providerArn: `arn:${partition}:iam::${fleet.aws.accountId}:oidc-provider/${hp}`,
      audience,
      subjects: [{ project: rot.project, refType: 'branch', refs: [rot.ref], anyRef: false, subs: [rotation.sub], wildcard: false }],
      statements: [...(ssm.length > 0 ? rotatorStatements(partition, fleet.aws.accountId, ssm) : []), ...mergeDescribe(kubeStatements)],
      roleAssignments: [],
      maxSessionDurationSeconds: 3600,
      purpose: 'rotator',
    };
    if (fleet.identities.some((id) => id.roleName === roleName) || (fleet.reach?.idTokens?.roles ?? []).some((r) => r.roleName === roleName)) {
      findings.push({ code: 'RF008', severity: 'error', path: 'operations.rotation', message: `role name ${roleName} of the token rotator is also derived for another identity of the fleet`, fix: 'rename the runner or ID-token role that takes this name' });
    }
    const reach = (fleet.reach ??= { targets: [] });
    reach.idTokens ??= { issuer, issuerHostPath: hp, oidcProvider: 'create', roles: [] };
    reach.idTokens.roles.push(role);
    rotation.awsRoleArn = arn;
    rotation.awsRoleName = roleName;
    if (kube.targets.length > 0) rotation.kubernetes = kube;
  }
  if (azureKube.targets.length > 0 && fleet.azure) {
    const issuer = fleet.reach?.idTokens?.issuer ?? fleet.gitlabUrl;
    const hp = issuer.replace(/^https:\/\//, '');
    const identityName = rotatorIdentityName(fleet.name);
    const az = fleet.azure;
    const audience = rot.audience ?? AZURE_WI_AUDIENCE;
    const scopes = [...new Set(secretScopes)].sort();
    const role: ResolvedIdTokenRole = {
      key: ROTATOR_AZURE_KEY,
      name: ROTATOR_AZURE_KEY,
      path: 'operations.rotation',
      cloud: 'azure',
      roleName: identityName,
      ref: userAssignedIdentityId(az.subscriptionId, az.resourceGroup, identityName),
      issuer,
      issuerHostPath: hp,
      audience,
      subjects: [{ project: rot.project, refType: 'branch', refs: [rot.ref], anyRef: false, subs: [rotation.sub], wildcard: false }],
      statements: [],
      roleAssignments: [...scopes.map((scope) => ({ role: KEY_VAULT_SECRETS_OFFICER, scope })), ...clusterIds.map((scope) => ({ role: AKS_CLUSTER_USER_ROLE, scope }))] as ResolvedIdTokenRole['roleAssignments'],
      maxSessionDurationSeconds: 3600,
      resourceGroup: az.resourceGroup,
      purpose: 'rotator',
    };
    const taken = [...fleet.identities.map((id) => id.roleName), ...(fleet.reach?.idTokens?.roles ?? []).filter((r) => r.cloud === 'azure').map((r) => r.roleName)];
    if (taken.includes(identityName)) {
      findings.push({ code: 'RF008', severity: 'error', path: 'operations.rotation', message: `managed identity name ${identityName} of the token rotator is also derived for another identity of the fleet`, fix: 'rename the runner or ID-token role that takes this name' });
    }
    const reach = (fleet.reach ??= { targets: [] });
    reach.idTokens ??= { issuer, issuerHostPath: hp, oidcProvider: 'create', roles: [] };
    reach.idTokens.roles.push(role);
    const azure: RotatorAzure = { key: ROTATOR_AZURE_KEY, identityName, resourceId: role.ref, audience, secretScopes: scopes, clusterIds, kubernetes: azureKube };
    rotation.azure = azure;
  }
  fleet.rotation = rotation;
  return findings;
}

/** One statement per action, with the clusters' resources merged and sorted. */
function mergeDescribe(statements: Statement[]): Statement[] {
  const bySid = new Map<string, Statement>();
  for (const st of statements) {
    const key = st.Sid ?? '';
    const prev = bySid.get(key);
    const res = [...(prev ? [prev.Resource ?? []].flat() : []), ...[st.Resource ?? []].flat()];
    bySid.set(key, { ...st, Resource: [...new Set(res)].sort() });
  }
  return [...bySid.values()].map((st) => (Array.isArray(st.Resource) && st.Resource.length === 1 ? { ...st, Resource: st.Resource[0]! } : st));
}
