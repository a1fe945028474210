import type { EmittedFleet } from '../../src/emit/types.js';
import type { TerraformRoot } from '../../src/emit/artifacts.js';
import type { PolicyDocument, Statement } from '../../src/verify/iam/types.js';

export type Spec = Record<string, any>;

/** Edits a literal JSON policy inside any Terraform root. */
export function editDoc(root: TerraformRoot, type: string, key: string, attr: string, edit: (doc: PolicyDocument) => void): void {
  const body = root.resource[type]![key]!;
  const doc = JSON.parse(String(body[attr])) as PolicyDocument;
  edit(doc);
  body[attr] = JSON.stringify(doc);
}

export const statements = (p: PolicyDocument): Statement[] => (Array.isArray(p.Statement) ? p.Statement : [p.Statement]);
export const account = (d: EmittedFleet, id: string): TerraformRoot => d.terraformAwsAccounts!.get(id)!;

export const XA = 'cross-account-deploy';
export const IDT = 'id-tokens-vm';

/** Spec mutations that raise a reach finding (not a spec error): [code, example, mutate, severity]. */
export const REACH_SPEC_CASES: [code: string, example: string, mutate: (s: Spec) => void, severity: 'error' | 'warning'][] = [
  ['RF115', 'eks-irsa', (s) => s.runners[0].jobs.permissions.aws.push({ actions: ['sts:AssumeRole'], resources: ['*'] }), 'error'],
  ['RF115', XA, (s) => (s.runners[1].jobs.permissions = { aws: [{ actions: ['sts:*'], resources: ['arn:aws:iam::*:role/*'] }] }), 'error'],
  ['RF303', XA, (s) => (s.runners[1].gitlab.protectedOnly = false), 'error'],
  ['RF116', XA, (s) => delete s.runners[1].jobs.deployTargets[1].principalOrgId, 'warning'],
  ['RF122', IDT, (s) => (s.idTokens.roles[0].subjects = [{ group: 'acme', refs: ['main'] }]), 'warning'],
  ['RF122', IDT, (s) => (s.idTokens.roles[0].subjects = [{ project: 'acme/infrastructure', anyRef: true }]), 'warning'],
];

/** Document mutations (as an importer could read them) that a proof must refute. */
export const REACH_DOC_CASES: [code: string, example: string, mutate: (d: EmittedFleet) => void][] = [
  ['RF110', XA, (d) => editDoc(account(d, '222222222222'), 'aws_iam_role', 'deploy-staging', 'assume_role_policy', (p) => void (statements(p)[0]!.Principal = { AWS: ['arn:aws:iam::123456789012:role/runner-fleet/shop-deploy-jobs', 'arn:aws:iam::123456789012:role/runner-fleet/shop-deploy-manager'] }))],
  ['RF110', XA, (d) => editDoc(account(d, '222222222222'), 'aws_iam_role', 'deploy-staging', 'assume_role_policy', (p) => void (statements(p)[0]!.Principal = { AWS: ['arn:aws:iam::123456789012:role/runner-fleet/shop-deploy-jobs', 'arn:aws:iam::123456789012:role/runner-fleet/shop-build-jobs'] }))],
  ['RF110', XA, (d) => editDoc(account(d, '333333333333'), 'aws_iam_role', 'deploy-production', 'assume_role_policy', (p) => void (statements(p)[0]!.Principal = { AWS: '123456789012' }))],
  ['RF111', XA, (d) => void delete d.terraformAws!.resource.aws_iam_role_policy!['deploy-jobs_deploy_targets']],
  ['RF111', XA, (d) => void d.terraformAwsAccounts!.delete('333333333333')],
  ['RF112', XA, (d) => editDoc(account(d, '222222222222'), 'aws_iam_role', 'deploy-staging', 'assume_role_policy', (p) => void delete statements(p)[0]!.Condition)],
  ['RF112', XA, (d) => editDoc(account(d, '222222222222'), 'aws_iam_role', 'deploy-staging', 'assume_role_policy', (p) => void (statements(p)[0]!.Condition = { StringLike: { 'sts:ExternalId': '*' } }))],
  ['RF113', XA, (d) => editDoc(account(d, '333333333333'), 'aws_iam_role_policy', 'deploy-production', 'policy', (p) => void (p.Statement = statements(p).filter((s) => s.Effect === 'Allow')))],
  ['RF113', XA, (d) => editDoc(account(d, '222222222222'), 'aws_iam_role_policy', 'deploy-staging', 'policy', (p) => void (statements(p).find((s) => s.Effect === 'Deny')!.Action = ['ecs:Delete*']))],
  ['RF114', XA, (d) => editDoc(d.terraformAws!, 'aws_iam_role_policy', 'deploy-jobs_deploy_targets', 'policy', (p) => void (statements(p)[0]!.Resource = 'arn:aws:iam::222222222222:role/*'))],
  ['RF120', IDT, (d) => editDoc(d.terraformAws!, 'aws_iam_role', 'idt-infra', 'assume_role_policy', (p) => void (statements(p)[0]!.Condition!.StringEquals!['gitlab.com:sub'] = 'project_path:acme/infrastructure:ref_type:branch:ref:develop'))],
  ['RF120', IDT, (d) => {
    const creds = d.terraformAzure!.resource.azurerm_federated_identity_credential!;
    delete creds[Object.keys(creds)[0]!];
  }],
  ['RF121', IDT, (d) => editDoc(d.terraformAws!, 'aws_iam_role', 'idt-infra', 'assume_role_policy', (p) => void delete statements(p)[0]!.Condition!.StringEquals!['gitlab.com:sub'])],
  // Another GitLab instance with the same project path: trusting its issuer too is a leak.
  ['RF121', IDT, (d) => editDoc(d.terraformAws!, 'aws_iam_role', 'idt-infra', 'assume_role_policy', (p) => {
    const other = 'runner-fleet-probe.gitlab.com';
    statements(p).push({ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${other}` }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${other}:aud`]: 'sts.amazonaws.com', [`${other}:sub`]: 'project_path:acme/infrastructure:ref_type:branch:ref:main' } } });
    p.Statement = statements(p);
  })],
  ['RF121', IDT, (d) => {
    const creds = d.terraformAzure!.resource.azurerm_federated_identity_credential!;
    creds[Object.keys(creds)[0]!]!.audience = ['api://AzureADTokenExchange', 'api://AzureADTokenExchange-other'];
  }],
  ['RF101', IDT, (d) => editDoc(d.terraformAws!, 'aws_iam_role', 'idt-infra', 'assume_role_policy', (p) => void delete statements(p)[0]!.Condition!.StringEquals!['gitlab.com:aud'])],
  ['RF123', IDT, (d) => editDoc(d.terraformAws!, 'aws_iam_role', 'idt-infra', 'assume_role_policy', (p) => void (statements(p)[0]!.Condition!.StringEquals!['gitlab.com:ref_protected'] = 'true'))],
];

/** Spec errors (exit 2): [what, example, mutate, code, path]. */
export const REACH_SPEC_ERRORS: [what: string, example: string, mutate: (s: Spec) => void, code: string, path: string][] = [
  ['a target in the fleet account', XA, (s) => (s.runners[1].jobs.deployTargets[0].accountId = '123456789012'), 'RF010', 'runners[1].jobs.deployTargets[0].accountId'],
  ['an External ID with two sources', XA, (s) => (s.runners[1].jobs.deployTargets[0].externalId.ssmParameter = '/ci/external-id'), 'RF010', 'runners[1].jobs.deployTargets[0].externalId'],
  ['an External ID written as a value', XA, (s) => (s.runners[1].jobs.deployTargets[0].externalId = { value: 'correct-horse' }), 'RF003', 'runners[1].jobs.deployTargets[0].externalId.value'],
  ['two targets of one name', XA, (s) => (s.runners[1].jobs.deployTargets[1].name = 'staging'), 'RF005', 'runners[1].jobs.deployTargets[1].name'],
  ['a target action without its service', XA, (s) => (s.runners[1].jobs.deployTargets[0].permissions[0].actions = ['*']), 'RF007', 'runners[1].jobs.deployTargets[0].permissions[0].actions[0]'],
  ['deploy targets on a runner whose jobs have no role', 'ec2-docker', (s) => (s.runners[0].jobs.deployTargets = [{ name: 'prod', accountId: '333333333333', permissions: [{ actions: ['ecs:UpdateService'], resources: ['*'] }] }]), 'RF010', 'runners[0].jobs.deployTargets'],
  ['an ID-token subject without refs', IDT, (s) => (s.idTokens.roles[0].subjects[0].refs = []), 'RF004', 'idTokens.roles[0].subjects[0].refs'],
  ['an ID-token subject with project and group', IDT, (s) => (s.idTokens.roles[0].subjects[0].group = 'acme'), 'RF010', 'idTokens.roles[0].subjects[0]'],
  ['a wildcard subject on Azure', IDT, (s) => (s.idTokens.roles[1].subjects[0] = { group: 'acme', refs: ['v1'], refType: 'tag' }), 'RF010', 'idTokens.roles[1].subjects[0]'],
  ['an ID-token role on an unknown runner', IDT, (s) => (s.idTokens.roles[0].runner = 'dockr'), 'RF006', 'idTokens.roles[0].runner'],
  ['a ref written as a pattern', IDT, (s) => (s.idTokens.roles[0].subjects[0].refs = ['release/*']), 'RF007', 'idTokens.roles[0].subjects[0].refs[0]'],
  ['an Azure role with IAM statements', IDT, (s) => (s.idTokens.roles[1].permissions.aws = [{ actions: ['s3:GetObject'], resources: ['*'] }]), 'RF010', 'idTokens.roles[1].permissions.aws'],
];

export const REACH_TESTED = [...REACH_SPEC_CASES.map((c) => c[0]), ...REACH_DOC_CASES.map((c) => c[0])];
