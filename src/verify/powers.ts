/**
 * What an AWS role can do that hands the whole account to whoever holds it: the probes RF306 runs on
 * a runner's job role in its own account and on each deploy target role in the target's account
 * (verify/reach/cross-account.ts). A constant number of probes per role, whatever the fleet's size.
 */

/**
 * Actions that let an identity make itself (or anything) more powerful, probed on `*`. Besides the
 * obvious ones (create or change roles, users and their keys), the well-known IAM privilege
 * escalation methods: Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation"
 * (S. Gietzen, 2018: new policy versions, default versions, user/group policies, group membership,
 * login profiles, PassRole with a service, Lambda code updates, Glue dev endpoints), and the
 * permissions-boundary actions of the IAM User Guide ("Permissions boundaries for IAM entities":
 * whoever can remove or replace a boundary lifts it).
 */
export const POWER_PROBES = [
  'iam:CreateRole',
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:PassRole',
  'iam:CreateUser',
  'iam:CreateAccessKey',
  'iam:UpdateAssumeRolePolicy',
  'sts:AssumeRole',
  'organizations:LeaveOrganization',
  'iam:CreatePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:AttachUserPolicy',
  'iam:AttachGroupPolicy',
  'iam:PutUserPolicy',
  'iam:PutGroupPolicy',
  'iam:AddUserToGroup',
  'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile',
  'iam:DeleteRolePermissionsBoundary',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteUserPermissionsBoundary',
  'iam:PutUserPermissionsBoundary',
  'lambda:UpdateFunctionCode',
  'glue:UpdateDevEndpoint',
] as const;

/**
 * Grants that are not escalation in IAM's narrow sense but hand the account's data, or the roles of
 * its instances, to whoever holds them. Each is probed on a stand-in resource of the account that
 * no policy names (so a grant on `*`, on `arn:aws:secretsmanager:*:*:secret:*`, through
 * `secretsmanager:Get*` or through a NotAction/NotResource statement is caught alike, and one on
 * the secrets a deployment reads is not):
 * - secretsmanager:GetSecretValue: within its account, an identity policy alone lets a principal
 *   read a secret (Secrets Manager User Guide, "Authentication and access control").
 * - kms:Decrypt: a key's default key policy delegates to the account's IAM policies ("Default key
 *   policy" in the KMS Developer Guide: the root statement), so an IAM grant on every key decrypts
 *   with every key that kept it.
 * - ssm:GetParameter: every parameter, the VM runners' tokens among them (SecureString values
 *   decrypt with the account's aws/ssm key unless a customer key says otherwise).
 * - ec2:ModifyInstanceAttribute: new user data, then a stop and start, runs a script as root on the
 *   instance, which holds its instance profile's role (Elastic's detection rule "AWS EC2 Stop, Start,
 *   and User Data Modification Correlation", 2026, describes the technique).
 * - ssm:SendCommand: Run Command runs its document through the SSM Agent, which runs as root, on
 *   every managed instance, which holds its role (Systems Manager User Guide, "Run Command").
 * - ssm:StartSession: Session Manager opens a shell on a managed instance (as ssm-user, which may use
 *   sudo by default: Systems Manager User Guide, "Turn on or turn off ssm-user account administrative
 *   permissions"), so the instance's role too (security review 66e).
 * - ec2:ModifyInstanceMetadataOptions: turns IMDSv1 back on or raises the hop limit of a running
 *   instance (EC2 User Guide, "Modify instance metadata options for existing instances"), so the
 *   containers on it, a Docker runner's jobs among them, reach the instance's role (review 66e).
 * - eks:CreateAccessEntry with eks:AssociateAccessPolicy: an access entry for the job's own role,
 *   then AmazonEKSClusterAdminPolicy on it, makes the job cluster-admin of every cluster of the account
 *   (EKS User Guide, "Grant IAM users access to Kubernetes with EKS access entries"): every Secret and
 *   service account of the cluster, the runners' tokens and job identities among them (review 66e).
 *   Both are needed (an entry without a policy grants nothing unless a group already bound names it).
 */
export const ACCOUNT_PROBES: readonly { action: string; what: string; gives: Gives; resource: (partition: string, region: string, account: string) => string; /** A second request the power needs too. */ also?: { action: string; resource: (partition: string, region: string, account: string) => string } }[] = [
  { action: 'secretsmanager:GetSecretValue', gives: 'secrets', what: 'every secret', resource: (p, r, a) => `arn:${p}:secretsmanager:${r}:${a}:secret:runner-fleet-probe-AbCdEf` },
  { action: 'kms:Decrypt', gives: 'secrets', what: 'every KMS key', resource: (p, r, a) => `arn:${p}:kms:${r}:${a}:key/00000000-0000-4000-8000-00000000f1ee` },
  { action: 'ssm:GetParameter', gives: 'secrets', what: 'every SSM parameter', resource: (p, r, a) => `arn:${p}:ssm:${r}:${a}:parameter/runner-fleet-probe` },
  { action: 'ec2:ModifyInstanceAttribute', gives: 'instances', what: "every instance (its user data runs with the instance's role)", resource: (p, r, a) => `arn:${p}:ec2:${r}:${a}:instance/i-0f1ee0000runnerfleet` },
  { action: 'ssm:SendCommand', gives: 'instances', what: "every instance (commands run as root with the instance's role)", resource: (p, r, a) => `arn:${p}:ec2:${r}:${a}:instance/i-0f1ee0000runnerfleet` },
  { action: 'ssm:StartSession', gives: 'instances', what: "every instance (a shell with the instance's role)", resource: (p, r, a) => `arn:${p}:ec2:${r}:${a}:instance/i-0f1ee0000runnerfleet` },
  { action: 'ec2:ModifyInstanceMetadataOptions', gives: 'instances', what: "every instance (IMDSv1 or a higher hop limit lets its containers reach the instance's role)", resource: (p, r, a) => `arn:${p}:ec2:${r}:${a}:instance/i-0f1ee0000runnerfleet` },
  {
    action: 'eks:CreateAccessEntry',
    gives: 'clusters',
    what: 'every EKS cluster (with eks:AssociateAccessPolicy: an access entry for itself as cluster-admin)',
    resource: (p, r, a) => `arn:${p}:eks:${r}:${a}:cluster/runner-fleet-probe`,
    also: { action: 'eks:AssociateAccessPolicy', resource: (p, r, a) => `arn:${p}:eks:${r}:${a}:access-entry/runner-fleet-probe/role/${a}/runner-fleet-probe/00000000-0000-0000-0000-000000000000` },
  },
];
export type Gives = 'secrets' | 'instances' | 'clusters';

/** A role's powers in its account: escalation actions on `*` (`escalation`), then account-wide reach (`reach`, `<action> on <what>`; `gives`: what it hands over). */
export interface AccountPowers {
  escalation: string[];
  reach: string[];
  gives: Set<Gives>;
}

/** The power probes, asked through `allows` (the caller's policies, evaluated by the real evaluator). */
export function accountPowers(allows: (action: string, resource: string) => boolean, partition: string, region: string, account: string): AccountPowers {
  const escalation: string[] = POWER_PROBES.filter((action) => allows(action, '*'));
  const hits = ACCOUNT_PROBES.filter((p) => allows(p.action, p.resource(partition, region, account)) && (p.also === undefined || allows(p.also.action, p.also.resource(partition, region, account))));
  return { escalation, reach: hits.map((p) => `${p.action} on ${p.what}`), gives: new Set(hits.map((p) => p.gives)) };
}

/** What RF306 says whoever runs a job can do, from what the probes found. */
export function powersConsequence(escalates: boolean, gives: ReadonlySet<Gives>, where: string): string {
  const parts = [...(escalates ? [`escalate in ${where}`] : []), ...(gives.has('secrets') ? [`read the secrets of ${where}`] : []), ...(gives.has('instances') ? [`act as the roles of the instances of ${where}`] : []), ...(gives.has('clusters') ? [`administer the EKS clusters of ${where}`] : [])];
  return parts.length <= 1 ? (parts[0] ?? `escalate in ${where}`) : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]!}`;
}
