import { stringify } from 'yaml';
import { stringify as toToml } from 'smol-toml';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { doctor, type DoctorResult, type InputFile } from '../../src/doctor/index.js';
import { baseSpec, caseFiles } from './corpus-case.js';

/** The files of one deployment folder of the doctor corpus, paths relative to it (`expected.json` left out). */
export function corpusFiles(dir: string, root = dir): InputFile[] {
  // A case that names a base (base.json): its files as test/helpers/corpus-case.ts materialises them.
  if (dir === root && baseSpec(dir) !== undefined) return [...caseFiles(dir)].map(([path, bytes]) => ({ path, bytes }));
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return corpusFiles(p, root);
      if (name === 'expected.json') return [];
      return [{ path: relative(root, p).split('\\').join('/'), bytes: readFileSync(p) }];
    });
}

/**
 * The doctor over the corpus case in `dir` with its main.tf edited: each replacement (the first
 * occurrence of `from`) must apply, so an edit that no longer matches the case fails the test.
 */
export function doctorEdited(dir: string, edits: readonly (readonly [string, string])[]): DoctorResult {
  return doctor(corpusFiles(dir).map((f) => {
    if (f.path !== 'main.tf') return f;
    let text = f.bytes.toString();
    for (const [from, to] of edits) {
      if (!text.includes(from)) throw new Error(`${dir}/main.tf has no ${JSON.stringify(from)} to replace`);
      text = text.replace(from, to);
    }
    return { ...f, bytes: Buffer.from(text) };
  }));
}

/**
 * A hand-wired IRSA deployment written the way the EKS IRSA guide and the gitlab-runner chart docs
 * show it (one namespace, the chart with an existing service account, a separate job service
 * account, trust and permission policies saved next to the manifests as `<role>.trust.json` /
 * `<role>.policy.json`). Cases below break one reference or setting each.
 */
export interface Deployment {
  objects: Record<string, any>[];
  values: Record<string, any>;
  runnerToml: Record<string, any>;
  policies: Record<string, any>;
  extra: Record<string, string | Uint8Array>;
}

const ACCOUNT = '111122223333';
const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E';
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

export const irsaTrust = (sub: string | string[], extra: Record<string, unknown> = {}) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: PROVIDER },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${ISSUER}:sub`]: sub, [`${ISSUER}:aud`]: 'sts.amazonaws.com' }, ...extra },
    },
  ],
});

export function baseDeployment(): Deployment {
  const sa = (name: string, role?: string) => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace: 'gitlab', ...(role ? { annotations: { 'eks.amazonaws.com/role-arn': roleArn(role) } } : {}) },
  });
  return {
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gitlab', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
      sa('gitlab-runner', 'gitlab-runner-manager'),
      sa('gitlab-runner-jobs', 'gitlab-runner-jobs'),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'gitlab-runner', namespace: 'gitlab' },
        rules: [
          { apiGroups: [''], resources: ['pods', 'pods/exec', 'pods/attach', 'pods/log', 'secrets', 'configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'gitlab-runner', namespace: 'gitlab' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gitlab-runner' },
        subjects: [{ kind: 'ServiceAccount', name: 'gitlab-runner', namespace: 'gitlab' }],
      },
    ],
    values: {
      gitlabUrl: 'https://gitlab.example.com/',
      concurrent: 10,
      rbac: { create: false },
      serviceAccount: { create: false, name: 'gitlab-runner' },
      runners: { secret: 'gitlab-runner-token' },
      securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, privileged: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
      podSecurityContext: { runAsUser: 100, fsGroup: 65533, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    },
    runnerToml: {
      runners: [
        {
          executor: 'kubernetes',
          kubernetes: { namespace: 'gitlab', image: 'alpine:3.22', service_account: 'gitlab-runner-jobs', privileged: false },
          cache: { Type: 's3', Path: 'runner', Shared: true, s3: { BucketName: 'example-runner-cache', BucketLocation: 'eu-west-1', AuthenticationType: 'iam' } },
        },
      ],
    },
    policies: {
      'gitlab-runner-manager.trust.json': irsaTrust('system:serviceaccount:gitlab:gitlab-runner'),
      'gitlab-runner-manager.policy.json': {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::example-runner-cache/runner/*' },
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::example-runner-cache', Condition: { StringLike: { 's3:prefix': ['runner/*', 'runner'] } } },
        ],
      },
      'gitlab-runner-jobs.trust.json': irsaTrust('system:serviceaccount:gitlab:gitlab-runner-jobs'),
      'gitlab-runner-jobs.policy.json': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }] },
    },
    extra: {},
  };
}

const enc = (s: string) => new TextEncoder().encode(s);

export function deploymentFiles(d: Deployment): InputFile[] {
  // No runner configuration and no values: no chart values file at all (values holding runners.config are the chart's).
  const values = Object.keys(d.runnerToml).length > 0 ? { ...d.values, runners: { ...d.values.runners, config: toToml(d.runnerToml) } } : d.values;
  const files: InputFile[] = [
    { path: 'deploy/k8s.yaml', bytes: enc(d.objects.map((o) => stringify(o)).join('---\n')) },
    ...(Object.keys(values).length > 0 ? [{ path: 'deploy/values.yaml', bytes: enc(stringify(values)) }] : []),
    ...Object.entries(d.policies).map(([p, doc]) => ({ path: `deploy/iam/${p}`, bytes: enc(JSON.stringify(doc, null, 2)) })),
    ...Object.entries(d.extra).map(([p, c]) => ({ path: p, bytes: typeof c === 'string' ? enc(c) : c })),
  ];
  return files;
}

const obj = (d: Deployment, kind: string, name: string) => d.objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const k8s = (d: Deployment) => d.runnerToml.runners[0].kubernetes;

/** The base deployment with its jobs in a namespace of their own (glr-jobs): their ServiceAccount, trust and Namespace there. */
export function jobsApart(d: Deployment): void {
  obj(d, 'ServiceAccount', 'gitlab-runner-jobs').metadata.namespace = 'glr-jobs';
  k8s(d).namespace = 'glr-jobs';
  d.policies['gitlab-runner-jobs.trust.json'] = irsaTrust('system:serviceaccount:glr-jobs:gitlab-runner-jobs');
  d.objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'glr-jobs', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } });
}

/** One case per doctor-relevant code: the base deployment broken in one way. */
export const DOCTOR_CASES: { code: string; rule: string; mutate: (d: Deployment) => void }[] = [
  { code: 'RF101', rule: 'aud not pinned', mutate: (d) => delete d.policies['gitlab-runner-manager.trust.json'].Statement[0].Condition.StringEquals[`${ISSUER}:aud`] },
  { code: 'RF102', rule: 'wildcard subject', mutate: (d) => (d.policies['gitlab-runner-manager.trust.json'].Statement[0].Condition = { StringLike: { [`${ISSUER}:sub`]: 'system:serviceaccount:gitlab:*' }, StringEquals: { [`${ISSUER}:aud`]: 'sts.amazonaws.com' } }) },
  { code: 'RF103', rule: 'the manager role admits the jobs too', mutate: (d) => (d.policies['gitlab-runner-manager.trust.json'] = irsaTrust(['system:serviceaccount:gitlab:gitlab-runner', 'system:serviceaccount:gitlab:gitlab-runner-jobs'])) },
  {
    code: 'RF104',
    rule: 'trust names gitlab-runner, the manager runs as gitlab-runner-common',
    mutate: (d) => {
      obj(d, 'ServiceAccount', 'gitlab-runner').metadata.name = 'gitlab-runner-common';
      d.values.serviceAccount.name = 'gitlab-runner-common';
      obj(d, 'RoleBinding', 'gitlab-runner').subjects[0].name = 'gitlab-runner-common';
    },
  },
  { code: 'RF105', rule: 'jobs annotated with the manager role', mutate: (d) => (obj(d, 'ServiceAccount', 'gitlab-runner-jobs').metadata.annotations['eks.amazonaws.com/role-arn'] = roleArn('gitlab-runner-manager')) },
  { code: 'RF106', rule: 'the RoleBinding binds another service account', mutate: (d) => (obj(d, 'RoleBinding', 'gitlab-runner').subjects[0].name = 'gitlab-runner-jobs') },
  { code: 'RF107', rule: 'jobs may overwrite their service account', mutate: (d) => (k8s(d).service_account_overwrite_allowed = '.*') },
  { code: 'RF201', rule: 'cache permissions on the jobs, not on the manager', mutate: (d) => (d.policies['gitlab-runner-manager.policy.json'].Statement = [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }]) },
  { code: 'RF202', rule: 's3:* on the whole bucket', mutate: (d) => (d.policies['gitlab-runner-manager.policy.json'].Statement = [{ Effect: 'Allow', Action: 's3:*', Resource: ['arn:aws:s3:::example-runner-cache', 'arn:aws:s3:::example-runner-cache/*'] }]) },
  { code: 'RF203', rule: 'jobs reach the cache bucket', mutate: (d) => d.policies['gitlab-runner-jobs.policy.json'].Statement.push({ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::example-runner-cache/*' }) },
  { code: 'RF301', rule: 'privileged jobs', mutate: (d) => (k8s(d).privileged = true) },
  { code: 'RF302', rule: '* on * for jobs', mutate: (d) => d.policies['gitlab-runner-jobs.policy.json'].Statement.push({ Effect: 'Allow', Action: '*', Resource: '*' }) },
  { code: 'RF903', rule: 'a powerful job role on a runner whose registration is not in the evidence: not shown (not RF303)', mutate: (d) => d.policies['gitlab-runner-jobs.policy.json'].Statement.push({ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }) },
  { code: 'RF940', rule: 'static cloud keys in config.toml', mutate: (d) => Object.assign(d.runnerToml.runners[0].cache.s3, { AccessKey: 'AKIAIOSFODNN7QW3RT5Y', SecretKey: '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' }) },
  { code: 'RF306', rule: 'a powerful job role', mutate: (d) => d.policies['gitlab-runner-jobs.policy.json'].Statement.push({ Effect: 'Allow', Action: 'iam:CreateRole', Resource: '*' }) },
  { code: 'RF901', rule: 'a file that is not YAML', mutate: (d) => (d.extra['deploy/broken.yaml'] = 'kind: ServiceAccount\nmetadata: {name: [unclosed\n') },
  { code: 'RF902', rule: 'a binary file', mutate: (d) => (d.extra['deploy/blob.yaml'] = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1])) },
  { code: 'RF903', rule: 'the manager role is not in the evidence', mutate: (d) => delete d.policies['gitlab-runner-manager.trust.json'] },
  { code: 'RF904', rule: 'config.toml names a service account nobody created', mutate: (d) => (k8s(d).service_account = 'runner-jobs') },
  {
    code: 'RF904',
    rule: 'older chart values name a service account the chart will not create (rbac.create: false)',
    mutate: (d) => {
      d.values.serviceAccount = undefined;
      d.values.rbac = { create: false, serviceAccountName: 'gitlab-runner-sa' };
    },
  },
  { code: 'RF905', rule: 'manager and jobs share one service account', mutate: (d) => (k8s(d).service_account = 'gitlab-runner') },
  {
    code: 'RF906',
    rule: 'a Terraform trust policy the doctor cannot evaluate',
    mutate: (d) => (d.extra['deploy/iam.tf.json'] = JSON.stringify({ variable: { trust: {} }, resource: { aws_iam_role: { other: { name: 'other', assume_role_policy: '${jsonencode(var.trust)}' } } } })),
  },
  {
    code: 'RF906',
    rule: 'an HCL trust policy that depends on the account id of another provider configuration, read at apply time',
    mutate: (d) => (d.extra['deploy/iam.tf'] = 'provider "aws" {\n  alias = "target"\n}\ndata "aws_caller_identity" "target" {\n  provider = aws.target\n}\nresource "aws_iam_role" "other" {\n  name = "other"\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.target.account_id}:root" } }] })\n}\n'),
  },
  {
    code: 'RF936',
    rule: "the deployment creates an IAM user's access key, a static key the runner does not need",
    mutate: (d) => (d.extra['deploy/ci-user.tf'] = 'resource "aws_iam_user" "ci" {\n  name = "gitlab-ci"\n}\nresource "aws_iam_access_key" "ci" {\n  user = aws_iam_user.ci.name\n}\n'),
  },
  {
    code: 'RF913',
    rule: 'a Terraform reference to a local that does not exist',
    mutate: (d) => (d.extra['deploy/iam.tf.json'] = JSON.stringify({ locals: { trust_doc: {} }, resource: { aws_iam_role: { other: { name: 'other', assume_role_policy: '${jsonencode(local.trust)}' } } } })),
  },
  { code: 'RF907', rule: 'RBAC * on * for the manager', mutate: (d) => (obj(d, 'Role', 'gitlab-runner').rules = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]) },
  {
    code: 'RF908',
    rule: 'aws-auth maps a role to system:masters',
    mutate: (d) => d.objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data: { mapRoles: `- rolearn: ${roleArn('ci-admin')}\n  username: ci\n  groups:\n    - system:masters\n` } }),
  },
  {
    code: 'RF909',
    rule: 'cross-account trust without ExternalId',
    mutate: (d) => {
      d.policies['deployer.trust.json'] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'sts:AssumeRole' }] };
    },
  },
  {
    code: 'RF910',
    rule: 'no manager in the evidence',
    // No chart values at all: values that hold only runners.config are still the chart's (their manager
    // not placed, RF903), so `d.values = {}` alone no longer means "no manager" (issue 32a).
    mutate: (d) => {
      d.values = {};
      d.runnerToml = {};
    },
  },
  { code: 'RF911', rule: 'the jobs have no role of their own', mutate: (d) => delete obj(d, 'ServiceAccount', 'gitlab-runner-jobs').metadata.annotations },
  { code: 'RF941', rule: 'a Secret holds static AWS keys', mutate: (d) => d.objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'aws-keys', namespace: 'gitlab' }, data: { AWS_ACCESS_KEY_ID: Buffer.from('AKIAIOSFODNN7QW3RT5Y').toString('base64') } }) },
  // A registration token written in clear is RF940 (a leak); RF912 is the registration flow with the token given from elsewhere (issue 32a).
  { code: 'RF912', rule: 'a registration token in the values, given from the environment', mutate: (d) => (d.values.runnerRegistrationToken = '${RUNNER_REGISTRATION_TOKEN}') },
  { code: 'RF932', rule: 'the runner configuration written as a top-level config, which the chart does not read', mutate: (d) => (d.values.config = '[[runners]]\n  executor = "kubernetes"\n') },
  { code: 'RF940', rule: 'a registration token written in clear in the values', mutate: (d) => (d.values.runnerRegistrationToken = 'GR1348941EXAMPLEexampleTOKEN1') },
  { code: 'RF918', rule: 'the chart runs three manager pods on one runner token (replicas: 3)', mutate: (d) => (d.values.replicas = 3) },
  { code: 'RF935', rule: "jobs run in glr-jobs, the manager's Role is bound only in its own namespace gitlab", mutate: jobsApart },
  { code: 'RF917', rule: 'a config.toml next to the values differs from their runners.config', mutate: (d) => (d.extra['deploy/config.toml'] = toToml({ runners: [{ ...d.runnerToml.runners[0], kubernetes: { ...k8s(d), privileged: true } }] })) },
];

/**
 * A hand-written EC2 Docker runner in HCL (`<folder>/main.tf` and the `user-data.sh` its launch
 * template reads with filebase64): runner docker-ci, its role `ci` with `ciStatements`, instance
 * profile and launch template (IMDSv2, hop limit 1), and a GitLab ID-token role `deploy` as GitLab's
 * guide writes it (project acme/app, branch main) whose inline policy is `deployPolicy` (an HCL
 * expression). `config` follows [runners.docker] in the config.toml, `userDataTail` the heredoc,
 * `provider` the region in the aws provider, `resources` comes before the roles and `extra` after.
 * The one copy of this deployment: the ID-token tests over the S3 cache and the token-reader tests
 * each add what they are about.
 */
export function handWrittenDockerVm(o: { folder: string; ciStatements: string[]; deployPolicy: string; config?: string; userDataTail?: string; provider?: string; resources?: string; extra?: string }): InputFile[] {
  const text = (s: string) => new TextEncoder().encode(s);
  const userData = `#!/bin/bash
cat > /etc/gitlab-runner/config.toml <<'EOF2'
concurrent = 2

[[runners]]
  name = "docker-ci"
  url = "https://gitlab.example.com"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.22"
${o.config ?? ''}EOF2
${o.userDataTail ?? ''}`;
  const main = `provider "aws" {
  region = "eu-west-1"
${o.provider ?? ''}}
${o.resources ?? ''}
resource "aws_iam_role" "ci" {
  name = "ci-docker-runner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "ci" {
  name = "runner"
  role = aws_iam_role.ci.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
${o.ciStatements.map((s) => `      ${s},\n`).join('')}    ]
  })
}

resource "aws_iam_instance_profile" "ci" {
  name = "ci-docker-runner"
  role = aws_iam_role.ci.name
}

resource "aws_launch_template" "ci" {
  name                 = "ci-docker-runner"
  image_id             = "ami-0123456789abcdef0"
  instance_type        = "t3.large"
  iam_instance_profile { name = aws_iam_instance_profile.ci.name }
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  user_data = filebase64("\${path.module}/user-data.sh")
}

resource "aws_iam_role" "deploy" {
  name = "gitlab-deploy"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "gitlab.example.com:aud" = "https://gitlab.example.com"
          "gitlab.example.com:sub" = "project_path:acme/app:ref_type:branch:ref:main"
        }
      }
    }]
  })
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.name
  policy = ${o.deployPolicy}
}
${o.extra ?? ''}`;
  return [
    { path: `${o.folder}/main.tf`, bytes: text(main) },
    { path: `${o.folder}/user-data.sh`, bytes: text(userData) },
  ];
}

/**
 * The first lines of the YAML manifests that stand for the corpus case eks-kubernetes-provider-deployment
 * (test/doctor-kubernetes-provider-deployment.test.ts, test/doctor-manager-workloads.test.ts): its
 * Namespace and service accounts, then the head of the ConfigMap each test names and fills.
 */
export const PROVIDER_CASE_MANIFESTS_HEAD: readonly string[] = [
  'apiVersion: v1',
  'kind: Namespace',
  'metadata:',
  '  name: gitlab-runner',
  '  labels:',
  '    pod-security.kubernetes.io/enforce: baseline',
  '---',
  'apiVersion: v1',
  'kind: ServiceAccount',
  'metadata:',
  '  name: gitlab-runner-manager',
  '  namespace: gitlab-runner',
  '  annotations:',
  '    eks.amazonaws.com/role-arn: arn:aws:iam::210987654321:role/gitlab-runner-manager',
  '---',
  'apiVersion: v1',
  'kind: ServiceAccount',
  'metadata:',
  '  name: gitlab-runner-jobs',
  '  namespace: gitlab-runner',
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata:',
];

/** The doctor over files written as text, keyed by path. */
export const doctorTexts = (files: Record<string, string>): DoctorResult =>
  doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));

/** The findings of one code. */
export const codesIn = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

/** The messages of the findings of one code. */
export const codeMessages = (r: DoctorResult, code: string) => codesIn(r, code).map((f) => f.message);

/** Every chain line that names a manager (`manager …`), over all chains. */
export const managerLines = (r: DoctorResult): string[] => [...r.chains.values()].flat().filter((l) => l.startsWith('manager '));

/** Files written as text, keyed by path, as a walk of their folder gives them (inFolder). */
export const folderInputs = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text), inFolder: true as const }));

/** The doctor over files as a walk of their folder gives them (the folder read whole). */
export const doctorWalked = (files: Record<string, string>): DoctorResult => doctor(folderInputs(files));

/** The manager each chain starts from, without its parenthesised detail. */
export const chainManagers = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!.split(' (')[0]);

/** `file:line:col` of the first `needle` in `text` at or after offset `from` (throws when absent, so a test cannot pass on a missing place). */
export function placeOf(file: string, text: string, needle: string, from = 0): string {
  const i = text.indexOf(needle, from);
  if (i < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, i).split('\n');
  return `${file}:${before.length}:${before[before.length - 1]!.length + 1}`;
}

/**
 * gitlab-runner chart values of an IRSA manager: the chart creates ServiceAccount gitlab-runner
 * annotated with role ci-gitlab-runner, and the jobs run in `{{ .Release.Namespace }}`; each line
 * indented by `indent` spaces.
 */
export function irsaChartValues(indent = 0): string {
  const text = `gitlabUrl: https://gitlab.example.com/
serviceAccount:
  create: true
  name: gitlab-runner
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/ci-gitlab-runner
runners:
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "{{ .Release.Namespace }}"
        image = "alpine:3.22"
`;
  return text.replace(/^(?=.)/gm, ' '.repeat(indent));
}

/**
 * An Argo CD Application that installs the gitlab-runner chart from charts.gitlab.io into
 * `namespace`: `helm` is the lines of its `helm:` part (at six spaces), `extra` lines after them;
 * `targetRevision` is written only where given.
 */
export function argoApplication({ helm, namespace, targetRevision, extra = '' }: { helm: string; namespace: string; targetRevision?: string; extra?: string }): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: gitlab-runner
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: ${namespace}
  source:
    repoURL: https://charts.gitlab.io
    chart: gitlab-runner
${targetRevision !== undefined ? `    targetRevision: ${targetRevision}\n` : ''}    helm:
${helm}${extra}`;
}

/**
 * A Flux HelmRelease of the gitlab-runner chart (release gitlab-runner, HelmRepository gitlab): `meta`,
 * lines of its metadata after the name (at two spaces); `interval`, whether `spec.interval: 10m` is
 * written; `spec`, lines of its spec before the chart (at two spaces); `valuesFrom`, lines before
 * `values:`; `values`, the values' lines (at four spaces).
 */
export function fluxHelmRelease({ meta = '', interval = true, spec = '', valuesFrom = '', values }: { meta?: string; interval?: boolean; spec?: string; valuesFrom?: string; values: string }): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: gitlab-runner
${meta}spec:
${interval ? '  interval: 10m\n' : ''}${spec}  chart:
    spec:
      chart: gitlab-runner
      sourceRef:
        kind: HelmRepository
        name: gitlab
${valuesFrom}  values:
${values}`;
}

/** What a plain Kubernetes gitlab-runner manager is made of, for `plainManager`; every field has the default shown. */
export interface PlainManagerOptions {
  /** `metadata.namespace` of every object; none is written where not given. */
  namespace?: string;
  /** The Deployment's name (`gitlab-runner`), its service account's (`gitlab-runner`), its `app` label (`r`), its ConfigMap's (`runner-config`). */
  name?: string;
  serviceAccount?: string;
  app?: string;
  configMap?: string;
  /** Annotations of the manager's ServiceAccount (an identity's, say). */
  serviceAccountAnnotations?: Readonly<Record<string, string>>;
  /** ServiceAccounts written after the manager's, by name (the jobs' own, say). */
  moreServiceAccounts?: readonly string[];
  /** The `[[runners]]` entry's `name` (`r`), and the lines of its `[runners.kubernetes]` (`namespace = "ci"`, `image = "alpine:3.22"`). */
  runnerName?: string;
  kubernetes?: readonly string[];
  /** The whole config.toml instead of that entry (its lines unindented). */
  configToml?: string;
  /** The gitlab-runner container's env, by name and literal value (written before its volumeMounts). */
  env?: readonly (readonly [string, string])[];
  /** A Role named as the manager's service account, with the kubernetes executor's resources and verbs, and a RoleBinding of it to that account; `moreSubjects`: subject lines after that one (at two spaces). */
  role?: boolean;
  moreSubjects?: string;
  /** Lines of the Deployment's spec before its selector (at two spaces: `  replicas: 2\n`). */
  spec?: string;
  /** Lines of the pod spec before its containers (at six spaces: `      nodeSelector:\n…`). */
  podSpec?: string;
}

/** A config.toml of one kubernetes-executor `[[runners]]` entry named `runnerName`, with `kubernetes` as the lines of its [runners.kubernetes] table. */
export function managerRunnerToml(kubernetes: readonly string[] = ['namespace = "ci"', 'image = "alpine:3.22"'], runnerName = 'r'): string {
  return `concurrent = 4
[[runners]]
  name = "${runnerName}"
  url = "https://gitlab.example.com/"
  executor = "kubernetes"
  [runners.kubernetes]
${kubernetes.map((l) => `    ${l}\n`).join('')}`;
}

/**
 * A gitlab-runner manager written as plain Kubernetes manifests: its ServiceAccount(s), the ConfigMap
 * holding its config.toml (one kubernetes-executor `[[runners]]` entry), and the Deployment running
 * gitlab-runner that mounts it on /etc/gitlab-runner; as YAML text, each object also on its own
 * (`documents` in that order; `text` is them as one file).
 */
export function plainManager(o: PlainManagerOptions = {}): { serviceAccounts: string; configMap: string; deployment: string; rbac: string; documents: string[]; text: string } {
  const { name = 'gitlab-runner', serviceAccount = 'gitlab-runner', app = 'r', configMap = 'runner-config', runnerName = 'r' } = o;
  const ns = o.namespace !== undefined ? `  namespace: ${o.namespace}\n` : '';
  const annotations = Object.entries(o.serviceAccountAnnotations ?? {});
  const account = (sa: string, notes: [string, string][]) =>
    `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${sa}\n${ns}${notes.length > 0 ? `  annotations:\n${notes.map(([k, v]) => `    ${k}: ${v}\n`).join('')}` : ''}`;
  const accounts = [account(serviceAccount, annotations), ...(o.moreServiceAccounts ?? []).map((sa) => account(sa, []))];
  const toml = o.configToml ?? managerRunnerToml(o.kubernetes, runnerName);
  const config = `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${configMap}
${ns}data:
  config.toml: |
${toml.replace(/^(?=.)/gm, '    ')}`;
  const env = o.env ? `          env:\n${o.env.map(([k, v]) => `            - name: ${k}\n              value: ${v}\n`).join('')}` : '';
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${ns}spec:
${o.spec ?? ''}  selector:
    matchLabels:
      app: ${app}
  template:
    metadata:
      labels:
        app: ${app}
    spec:
      serviceAccountName: ${serviceAccount}
${o.podSpec ?? ''}      containers:
        - name: gitlab-runner
          image: registry.gitlab.com/gitlab-org/gitlab-runner:v17.5.0
${env}          volumeMounts:
            - name: config
              mountPath: /etc/gitlab-runner
      volumes:
        - name: config
          configMap:
            name: ${configMap}
`;
  const rbac = o.role
    ? [
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${serviceAccount}\n${ns}rules:\n  - apiGroups: [""]\n    resources: ["pods", "pods/exec", "pods/attach", "pods/log", "secrets", "configmaps"]\n    verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]\n`,
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ${serviceAccount}\n${ns}roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: ${serviceAccount}\nsubjects:\n  - kind: ServiceAccount\n    name: ${serviceAccount}\n    namespace: ${o.namespace ?? 'default'}\n${o.moreSubjects ?? ''}`,
      ]
    : [];
  const documents = [...accounts, config, deployment, ...rbac];
  return { serviceAccounts: accounts.join('---\n'), configMap: config, deployment, rbac: rbac.join('---\n'), documents, text: documents.join('---\n') };
}

/** Documents as the `objects:` list of an OpenShift Template: each a list item at two spaces. */
export function templateObjects(documents: readonly string[]): string {
  return documents.map((d) => d.replace(/^/gm, '    ').replace(/^ {4}/, '  - ').replace(/\n {4}$/, '\n')).join('');
}

/**
 * An Argo CD Application named runner whose source is a folder (not a chart): `path` of `repoURL`, deployed to the
 * `destination` namespace; `tail` follows the source's fields (a `directory:` or `kustomize:` block).
 */
export function argoPathApplication({ path, destination = 'ci', repoURL = 'https://gitlab.example.com/ops/deploy.git', tail = '' }: { path: string; destination?: string; repoURL?: string; tail?: string }): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: runner
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: ${destination}
  source:
    repoURL: ${repoURL}
    targetRevision: main
    path: ${path}
${tail}`;
}

/** An OpenShift cluster's Infrastructure object (config.openshift.io/v1) naming the platform it runs on, as `oc get infrastructure cluster -o yaml` shows it (status.platformStatus.type). */
export const openShiftInfrastructure = (platform: string): string => `apiVersion: config.openshift.io/v1
kind: Infrastructure
metadata:
  name: cluster
status:
  platformStatus:
    type: ${platform}
`;

/** Terraform of an IRSA role `ci-gitlab-runner` (account 111122223333, an EKS OIDC provider in eu-west-1) whose trust admits `sub`, `aud` pinned: the kustomize tests' role. */
export const irsaRoleTf = (sub: string) => `resource "aws_iam_role" "runner" {
  name = "ci-gitlab-runner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789" }
      Condition = { StringEquals = {
        "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:sub" = "${sub}"
        "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789:aud" = "sts.amazonaws.com"
      } }
    }]
  })
}
`;

/** A Flux Kustomization `runner` (flux-system) applying `path` from GitRepository `fleet`, with spec.targetNamespace `target` (none for ''). */
export const fluxKustomization = (path: string, target = 'ci') => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: runner
  namespace: flux-system
spec:
  interval: 10m
  path: ${path}
  prune: true
  sourceRef:
    kind: GitRepository
    name: fleet
${target !== '' ? `  targetNamespace: ${target}\n` : ''}`;

/** An EC2 role `aws_iam_role.ci` and its instance profile `aws_iam_instance_profile.ci`, both named `name` (Terraform). */
export const ec2RoleTf = (name: string): string => `resource "aws_iam_role" "ci" {
  name               = "${name}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}
resource "aws_iam_instance_profile" "ci" {
  name = "${name}"
  role = aws_iam_role.ci.name
}
`;

/** The role and profile `ci-runner`, for managers that name the profile or do not. */
export const ec2RunnerRoleTf = ec2RoleTf('ci-runner');

/** The role and profile `ci-shell-runner`, for the shell-executor managers' tests. */
export const shellRunnerRoleTf = ec2RoleTf('ci-shell-runner');

/** A shell runner's manager: an instance with shellRunnerRoleTf's profile, IMDSv2 required, booting `userData` (an HCL expression: a heredoc, file(…)). */
export const shellInstanceTf = (userData: string): string => `${shellRunnerRoleTf}resource "aws_instance" "runner" {
  ami                  = "ami-0123456789abcdef0"
  instance_type        = "t3.medium"
  iam_instance_profile = aws_iam_instance_profile.ci.name
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  user_data = ${userData}
}
`;

/**
 * A config.toml with one Kubernetes runner `k` (namespace `ci`) and `k8s` appended under its
 * `[runners.kubernetes]` table (indented four blanks, as the tests write it): the job pod settings a
 * test is about, read by the doctor alone or beside other files.
 */
export const kubernetesRunnerToml = (k8s: string): string => `concurrent = 2

[[runners]]
  name = "k"
  url = "https://gitlab.example.com"
  executor = "kubernetes"
  [runners.kubernetes]
    namespace = "ci"
${k8s}`;

/** gitlab-runner chart values whose config.toml has one kubernetes runner (namespace ci) with a pod_spec patch_path, then `more` (59e, 60e). */
export const patchPathChartValues = (patchPath: string, more = '') => `gitlabUrl: https://gitlab.example.com/
rbac:
  create: true
runners:
  secret: runner-token
  config: |
    [[runners]]
      executor = "kubernetes"
      [runners.kubernetes]
        namespace = "ci"
      [[runners.kubernetes.pod_spec]]
        name = "p"
        patch_path = "${patchPath}"
${more}`;
