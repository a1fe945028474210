import type { ParsedSpec } from './fleet.js';
import type { Finding } from './findings.js';
import type { ResolvedFleet, ResolvedRotation } from '../model/types.js';
import type { Statement } from '../verify/iam/types.js';
import { gitlabSub, type ResolvedIdTokenRole } from '../model/reach.js';
import { desiredRunners, type DesiredRunner } from '../ops/desired.js';
import { iamRoleName } from './names.js';
import { ROLE_PATH } from './resolve.js';
import { AWS_ID_TOKEN_AUDIENCE } from './resolve-reach.js';
import { CODES } from './codes.js';
import { platformFor } from '../platforms/registry.js';
import type { RotatorKubernetes } from '../model/types.js';

/** Key and name of the rotator among the ID-token roles (names of spec roles are `idt-<name>`, so no clash). */
export const ROTATOR_KEY = 'token-rotator';

export const ROTATE_DOCUMENT = 'AWS-RunShellScript';

/** The Kubernetes user the rotator role maps to on each cluster: one per fleet, so two fleets on a cluster never share grants. */
export const rotatorUsername = (fleet: string) => `runner-fleet:${fleet}:token-rotator`;

/** Name of the rotator's Role and RoleBinding in a runner namespace (DNS-1123, ≤ 63). */
export const rotatorRoleName = (fleet: string) => `${fleet}-token-rotator`.slice(0, 63).replace(/-+$/, '');

/**
 * Exactly the requests `runner-fleet rotate` makes (src/live/kubernetes.ts): GET and PUT of the
 * token Secret (PUT is RBAC verb update; a rotation never creates the Secret — register does) and
 * a strategic-merge PATCH of the manager Deployment's pod template (the rollout restart). Each
 * rule names its object, so no other Secret or Deployment of the namespace is reachable.
 */
export function rotatorRules(secret: string, deployment: string) {
  return [
    { apiGroups: [''], resources: ['secrets'], resourceNames: [secret], verbs: ['get', 'update'] },
    { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [deployment], verbs: ['patch'] },
  ];
}

type SsmStore = Extract<DesiredRunner['store'], { kind: 'ssm-parameter' }>;

export function ssmParameterArn(partition: string, accountId: string, store: SsmStore): string {
  return `arn:${partition}:ssm:${store.region}:${accountId}:parameter${store.parameter}`;
}

/**
 * Least privilege of the rotator for SSM token stores: read, write and tag exactly the token
 * parameters; their KMS key only through SSM and only for those parameters; Run Command's
 * shell document on the manager instances only (by their Auto Scaling group tag); and the
 * read-only command results, which IAM does not scope by resource.
 */
export function rotatorStatements(partition: string, accountId: string, stores: readonly SsmStore[]): Statement[] {
  const params = stores.map((s) => ssmParameterArn(partition, accountId, s)).sort();
  const regions = [...new Set(stores.map((s) => s.region))].sort();
  const out: Statement[] = [
    { Sid: 'RunnerTokenParameters', Effect: 'Allow', Action: ['ssm:AddTagsToResource', 'ssm:GetParameter', 'ssm:ListTagsForResource', 'ssm:PutParameter'], Resource: params.length === 1 ? params[0]! : params },
  ];
  const byKey = new Map<string, SsmStore[]>();
  for (const s of stores) if (s.kmsKeyArn !== undefined) byKey.set(s.kmsKeyArn, [...(byKey.get(s.kmsKeyArn) ?? []), s]);
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
  const api = desiredRunners(fleet).filter((d) => d.registration === 'api');
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
  const refused = new Set<string>();
  for (const d of api) {
    if (d.store.kind !== 'kubernetes-secret') continue;
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
    if (!kube.clusters.some((c) => c.cluster === cluster.name)) {
      kube.clusters.push({ cluster: cluster.name, kubeApi: access!.kubeApiOption(fleet, cluster) });
      kubeStatements.push(...access!.statements(fleet, cluster));
    }
    kube.targets.push({ runner: d.name, cluster: cluster.name, namespace: store.namespace, secret: store.secret, deployment: store.deployment, role: rotatorRoleName(fleet.name), roleBinding: rotatorRoleName(fleet.name) });
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
