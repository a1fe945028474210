import type { K8sObject } from '../emit/artifacts.js';
import type { PolicyDocument } from '../verify/iam/types.js';
import { IRSA_AUDIENCE, POD_IDENTITY_PRINCIPAL, ROLE_ARN_ANNOTATION } from '../platforms/eks/names.js';
import { OWN_ACCOUNT } from './hcl/eval.js';
import type { Evidence, RoleEvidence } from './evidence.js';
import type { Origin } from './source.js';
import { isObject } from '../model/is-object.js';

/**
 * What an eksctl ClusterConfig creates for workload identity, read as the documents it amounts to
 * (eksctl User Guide, "IAM Roles for Service Accounts" and "EKS Pod Identity Associations"):
 *
 * - `iam.serviceAccounts[]`: an IAM role (`roleName`, or a name eksctl generates) whose trust admits
 *   exactly `system:serviceaccount:<namespace>:<name>` with audience sts.amazonaws.com through the
 *   cluster's OIDC provider, with `attachPolicy` inline and `attachPolicyARNs` attached; and, unless
 *   `roleOnly`, the ServiceAccount annotated with that role. `attachRoleARN` binds an existing role
 *   instead (its trust and policies are then not in this file).
 * - `iam.podIdentityAssociations[]`: the association of `namespace`/`serviceAccountName` with
 *   `roleARN`, or with a role eksctl creates (`roleName` or a generated name) trusting EKS Pod
 *   Identity, with `permissionPolicy` inline and `permissionPolicyARNs` attached; with
 *   `createServiceAccount`, the ServiceAccount too.
 *
 * The cluster's OIDC issuer exists only once eksctl made the cluster: the trust names it as
 * `oidc.eks.<region>.amazonaws.com/id/<cluster>-issuer`, one value per cluster, so trust and
 * service account agree by construction as they do in what eksctl creates. The account is the
 * deployment's own one the files do not name (the doctor's stand-in). `wellKnownPolicies` and
 * permission boundaries are not read: a proof that needs what they grant is not shown.
 */
export function readEksctlIdentities(ev: Evidence, config: Record<string, unknown>, origin: Origin): void {
  const metadata = isObject(config.metadata) ? config.metadata : {};
  const cluster = typeof metadata.name === 'string' ? metadata.name : undefined;
  const iam = isObject(config.iam) ? config.iam : undefined;
  if (cluster === undefined || iam === undefined) return;
  // eksctl's default region when the config names none.
  const region = typeof metadata.region === 'string' ? metadata.region : 'us-west-2';
  const at = (...path: (string | number)[]): Origin => ({ ...origin, path: [...origin.path, ...path] });

  list(iam.serviceAccounts).forEach((entry, i) => {
    if (!isObject(entry) || !isObject(entry.metadata) || typeof entry.metadata.name !== 'string') return;
    const name = entry.metadata.name;
    const namespace = typeof entry.metadata.namespace === 'string' ? entry.metadata.namespace : 'default';
    const where = at('iam', 'serviceAccounts', i);
    let roleArn: string;
    if (typeof entry.attachRoleARN === 'string') roleArn = entry.attachRoleARN;
    else {
      const roleName = typeof entry.roleName === 'string' ? entry.roleName : `eksctl-${cluster}-addon-iamserviceaccount-${namespace}-${name}`;
      roleArn = `arn:aws:iam::${OWN_ACCOUNT}:role/${roleName}`;
      const host = `oidc.eks.${region}.amazonaws.com/id/${cluster}-issuer`;
      const role = newRole(ev, roleName);
      role.trust = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: `arn:aws:iam::${OWN_ACCOUNT}:oidc-provider/${host}` },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${namespace}:${name}`, [`${host}:aud`]: IRSA_AUDIENCE } },
          },
        ],
      };
      role.trustOrigin = where;
      if (isPolicy(entry.attachPolicy)) role.policies.push({ document: entry.attachPolicy, origin: at('iam', 'serviceAccounts', i, 'attachPolicy') });
      attachAll(ev, roleName, entry.attachPolicyARNs, at('iam', 'serviceAccounts', i, 'attachPolicyARNs'), `eksctl_${cluster}_sa_${i}`);
    }
    if (entry.roleOnly === true) return;
    const annotations = { ...strings(entry.metadata.annotations), [ROLE_ARN_ANNOTATION]: roleArn };
    const labels = strings(entry.metadata.labels);
    const sa: K8sObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, annotations, ...(Object.keys(labels).length > 0 ? { labels } : {}) } };
    ev.kubernetes.push({ value: sa, origin: where });
  });

  list(iam.podIdentityAssociations).forEach((entry, i) => {
    if (!isObject(entry) || typeof entry.serviceAccountName !== 'string') return;
    const namespace = typeof entry.namespace === 'string' ? entry.namespace : 'default';
    const name = entry.serviceAccountName;
    const where = at('iam', 'podIdentityAssociations', i);
    let roleArn: string;
    if (typeof entry.roleARN === 'string') roleArn = entry.roleARN;
    else {
      const roleName = typeof entry.roleName === 'string' ? entry.roleName : `eksctl-${cluster}-podidentityrole-${namespace}-${name}`;
      roleArn = `arn:aws:iam::${OWN_ACCOUNT}:role/${roleName}`;
      const role = newRole(ev, roleName);
      role.trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: POD_IDENTITY_PRINCIPAL }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] };
      role.trustOrigin = where;
      if (isPolicy(entry.permissionPolicy)) role.policies.push({ document: entry.permissionPolicy, origin: at('iam', 'podIdentityAssociations', i, 'permissionPolicy') });
      attachAll(ev, roleName, entry.permissionPolicyARNs, at('iam', 'podIdentityAssociations', i, 'permissionPolicyARNs'), `eksctl_${cluster}_pia_${i}`);
    }
    const key = `eksctl_${cluster}_${i}`;
    // disableSessionTags: EKS Pod Identity then adds no session tags to the role's sessions.
    (ev.terraform.resource.aws_eks_pod_identity_association ??= {})[key] = { cluster_name: cluster, namespace, service_account: name, role_arn: roleArn, ...(typeof entry.disableSessionTags === 'boolean' ? { disable_session_tags: entry.disableSessionTags } : {}) };
    ev.terraform.origins.set(`aws_eks_pod_identity_association.${key}`, where);
    (ev.terraform.renamed ??= new Map()).set(`aws_eks_pod_identity_association.${key}`, `iam.podIdentityAssociations[${i}] of eksctl cluster ${cluster}`);
    if (entry.createServiceAccount === true) ev.kubernetes.push({ value: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }, origin: where });
  });
}

function newRole(ev: Evidence, name: string): RoleEvidence {
  const role = ev.roles.get(name) ?? { name, path: '/', policies: [] };
  ev.roles.set(name, role);
  return role;
}

/** Managed policies attached by ARN, as Terraform attachments (their documents are read where given). */
function attachAll(ev: Evidence, roleName: string, arns: unknown, origin: Origin, prefix: string): void {
  list(arns).forEach((arn, j) => {
    if (typeof arn !== 'string') return;
    const key = `${prefix}_${j}`;
    (ev.terraform.resource.aws_iam_role_policy_attachment ??= {})[key] = { role: roleName, policy_arn: arn };
    ev.terraform.origins.set(`aws_iam_role_policy_attachment.${key}`, { ...origin, path: [...origin.path, j] });
    (ev.terraform.renamed ??= new Map()).set(`aws_iam_role_policy_attachment.${key}`, `${arn} attached by eksctl`);
  });
}

/** The string entries of a map (annotations, labels); anything else Kubernetes would refuse. */
function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isPolicy = (v: unknown): v is PolicyDocument => isObject(v) && (Array.isArray(v.Statement) || isObject(v.Statement));
