import { spawnSync } from 'node:child_process';
import { quietAwsSdkNotice } from '../src/live/aws-sdk-env.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, doctorWithAws, type DoctorResult } from '../src/doctor/index.js';
import { AWS_READ_OPERATIONS } from '../src/doctor/aws-port.js';
import { DOCTOR_CASES, baseDeployment, corpusFiles, deploymentFiles } from './helpers/doctor.js';
import { freePort } from './helpers/tools.js';
import { ROOT } from './helpers/fleet.js';
import { ACCOUNT, JOBS_POLICY, PROVIDER, ISSUER, accountOf, fakeAws, withoutIam } from './helpers/aws-fake.js';

const codes = (r: DoctorResult) => r.findings.map((f) => `${f.code} ${f.severity}`).sort();
const proofs = (r: DoctorResult) => r.proofs.map((p) => `${p.holds ? 'ok' : 'FAIL'} ${p.claim}`).sort();

describe('doctor --aws over a faithful fake of the IAM and EKS read APIs', () => {
  it('roles read live give the proofs and findings of the same documents given as files (inline, managed, paginated, URL-decoded)', async () => {
    const d = baseDeployment();
    const port = accountOf(d);
    const live = await doctorWithAws(withoutIam(d), port);
    const files = doctor(deploymentFiles(d));
    expect(proofs(live)).toEqual(proofs(files));
    expect(codes(live)).toEqual(codes(files));
    expect(live.proofs.filter((p) => !p.holds)).toEqual([]);
    // Two inline policies and one page each: the Marker loop ran.
    expect(port.calls.filter((c) => c === 'ListRolePolicies').length).toBe(2 + 1);
    expect(port.calls.filter((c) => c === 'GetRolePolicy').length).toBe(2);
    expect(port.calls).toContain('GetPolicyVersion');
    expect(port.calls).toContain('GetOpenIDConnectProvider');
    // Without --aws the same files leave the roles "not in the evidence".
    expect(doctor(withoutIam(d)).findings.some((f) => f.code === 'RF903' && f.message.includes("the manager's role gitlab-runner-manager"))).toBe(true);
  });

  // Every case of the doctor table that breaks an IAM document: live and file evidence agree.
  const iamCases = DOCTOR_CASES.filter((c) => !['RF903', 'RF909'].includes(c.code));
  it.each(iamCases)('$code ($rule): the same codes from live reads as from files', async ({ mutate }) => {
    const d = baseDeployment();
    mutate(d);
    const live = await doctorWithAws(withoutIam(d), accountOf(d));
    const files = doctor(deploymentFiles(d));
    expect(codes(live)).toEqual(codes(files));
    expect(proofs(live)).toEqual(proofs(files));
  });

  it('helm_release values take part as a values file does: the role its set names is read live, the proofs and codes are the same', async () => {
    // The chart creates the manager's service account, annotated with the role in the chart values.
    const d = baseDeployment();
    d.objects = d.objects.filter((o) => !(o.kind === 'ServiceAccount' && o.metadata.name === 'gitlab-runner'));
    d.values.serviceAccount = { create: true, name: 'gitlab-runner', annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::${ACCOUNT}:role/gitlab-runner-manager` } };
    const asValuesFile = await doctorWithAws(withoutIam(d), accountOf(d));
    // The same values given by a helm_release: its values YAML as a heredoc, the annotation as a set.
    const values = new TextDecoder().decode(withoutIam(d).find((f) => f.path === 'deploy/values.yaml')!.bytes).replace(/ {2}annotations:\n {4}eks\.amazonaws\.com\/role-arn: \S+\n/, '');
    const release = [
      'resource "helm_release" "gitlab_runner" {',
      '  name       = "gitlab-runner"',
      '  repository = "https://charts.gitlab.io"',
      '  chart      = "gitlab-runner"',
      '  namespace  = "gitlab"',
      `  values     = [<<-EOT\n${values.replace(/^/gm, '    ')}\n  EOT\n  ]`,
      '  set {',
      '    name  = "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/role-arn"',
      `    value = "arn:aws:iam::${ACCOUNT}:role/gitlab-runner-manager"`,
      '  }',
      '}',
    ].join('\n');
    const port = accountOf(d);
    const files = [...withoutIam(d).filter((f) => f.path !== 'deploy/values.yaml'), { path: 'deploy/runner.tf', bytes: new TextEncoder().encode(release) }];
    const asRelease = await doctorWithAws(files, port);
    expect(port.calls.filter((c) => c === 'GetRole').length).toBe(2);
    expect(asRelease.chains.get('gitlab-runner')?.[0]).toMatch(/^manager gitlab\/gitlab-runner \(deploy\/runner\.tf:1:1\) → role gitlab-runner-manager$/);
    expect(proofs(asRelease)).toEqual(proofs(asValuesFile));
    expect(codes(asRelease)).toEqual(codes(asValuesFile));
    expect(asRelease.proofs.filter((p) => !p.holds)).toEqual([]);
    // A role the Terraform documents itself is not read again.
    const tfRole = `resource "aws_iam_role" "jobs" {\n  name               = "gitlab-runner-jobs"\n  assume_role_policy = ${JSON.stringify(JSON.stringify(d.policies['gitlab-runner-jobs.trust.json']))}\n}\n`;
    const again = accountOf(d);
    await doctorWithAws([...files, { path: 'deploy/iam.tf', bytes: new TextEncoder().encode(tfRole) }], again);
    expect(again.calls.filter((c) => c === 'GetRole').length).toBe(1);
  });

  it('a role the account does not have: RF904 at the annotation (RF903 without --aws)', async () => {
    const d = baseDeployment();
    const port = accountOf(d);
    port.roles.delete('gitlab-runner-jobs');
    const live = await doctorWithAws(withoutIam(d), port);
    const hit = live.findings.find((f) => f.code === 'RF904' && f.message.includes('gitlab-runner-jobs'));
    expect(hit, JSON.stringify(live.findings, null, 1)).toBeDefined();
    expect(hit!.message).toBe("the jobs' role gitlab-runner-jobs does not exist in account 111122223333 (iam:GetRole: NoSuchEntity)");
    expect(hit!.path).toMatch(/^deploy\/k8s\.yaml:\d+:\d+$/);
    expect(live.exitCode).toBe(1);
    const offline = doctor(withoutIam(d));
    expect(offline.findings.some((f) => f.code === 'RF904' && f.message.includes('gitlab-runner-jobs'))).toBe(false);
  });

  it("the manager's role the account does not have: RF904 says it is the manager's (whose role comes from the finding's subject, not its message)", async () => {
    const d = baseDeployment();
    const port = accountOf(d);
    port.roles.delete('gitlab-runner-manager');
    const live = await doctorWithAws(withoutIam(d), port);
    const hit = live.findings.find((f) => f.code === 'RF904' && f.message.includes('gitlab-runner-manager'));
    expect(hit, JSON.stringify(live.findings, null, 1)).toBeDefined();
    expect(hit!.message).toBe("the manager's role gitlab-runner-manager does not exist in account 111122223333 (iam:GetRole: NoSuchEntity)");
    expect(live.findings.filter((f) => f.code === 'RF903' && f.message.includes('gitlab-runner-manager is not in the evidence'))).toEqual([]);
  });

  it("a VM manager's instance-profile role the account does not have: RF904 names it the manager's role (before: only \"role …\", its RF903 message not matched)", async () => {
    const files = corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written')).map((f) => {
      if (!f.path.endsWith('main.tf.json')) return f;
      const tf = JSON.parse(new TextDecoder().decode(f.bytes)) as { resource: Record<string, Record<string, Record<string, unknown>>> };
      delete tf.resource.aws_iam_role;
      delete tf.resource.aws_iam_role_policy;
      tf.resource.aws_iam_instance_profile!.ci!.role = 'ci-docker-manager';
      return { path: f.path, bytes: new TextEncoder().encode(JSON.stringify(tf, null, 2)) };
    });
    expect(doctor(files).findings.filter((f) => f.code === 'RF903' && f.message.startsWith('the manager role ci-docker-manager of runner docker-ci is not in the evidence given')).map((f) => f.path)).toEqual(['main.tf.json:16:17']);
    const live = await doctorWithAws(files, fakeAws(ACCOUNT));
    expect(live.findings.filter((f) => f.code === 'RF904').map((f) => [f.path, f.message])).toEqual([['main.tf.json:16:17', "the manager's role ci-docker-manager does not exist (iam:GetRole: NoSuchEntity)"]]);
  });

  it.each([
    ['GetRole', 'RF920', 'iam:GetRole on arn:aws:iam::111122223333:role/gitlab-runner-manager was refused (AccessDenied)'],
    ['GetPolicyVersion', 'RF920', `iam:GetPolicyVersion on managed policy ${JOBS_POLICY} was refused (AccessDenied)`],
    ['GetOpenIDConnectProvider', 'RF920', `iam:GetOpenIDConnectProvider on ${PROVIDER} was refused (AccessDenied)`],
    ['GetRole', 'RF921', 'iam:GetRole on arn:aws:iam::111122223333:role/gitlab-runner-manager failed: GetRole: ServiceUnavailable'],
  ] as const)('%s refused or failing: %s names the permission, nothing is guessed', async (op, code, message) => {
    const d = baseDeployment();
    const port = accountOf(d);
    (code === 'RF920' ? port.denied : port.failing).add(op);
    const r = await doctorWithAws(withoutIam(d), port);
    const hit = r.findings.filter((f) => f.code === code);
    expect(hit.map((f) => f.message).some((m) => m.startsWith(message)), JSON.stringify(hit, null, 1)).toBe(true);
    if (op === 'GetRole') expect(r.findings.some((f) => f.code === 'RF903' && f.message.includes('gitlab-runner-manager'))).toBe(true);
  });

  it('OIDC provider: missing → RF923, not accepting the pinned audience → RF924, both pointing into the role trust read live', async () => {
    const d = baseDeployment();
    const missing = accountOf(d);
    missing.oidcProviders.clear();
    const r1 = await doctorWithAws(withoutIam(d), missing);
    const f1 = r1.findings.filter((f) => f.code === 'RF923');
    expect(f1.length).toBe(2);
    expect(f1[0]!.path).toMatch(/^aws:iam:role\/gitlab-runner-(jobs|manager)#trust:\d+:\d+$/);
    const other = accountOf(d);
    other.oidcProviders.set(PROVIDER, { url: ISSUER, clientIds: ['https://gitlab.example.com'] });
    const r2 = await doctorWithAws(withoutIam(d), other);
    expect(r2.findings.filter((f) => f.code === 'RF924').map((f) => f.received)).toEqual(['sts.amazonaws.com', 'sts.amazonaws.com']);
    // The good account has neither.
    const good = await doctorWithAws(withoutIam(d), accountOf(d));
    expect(codes(good).filter((c) => /RF92[34]/.test(c))).toEqual([]);
  });
});

describe('IAM documents outside the evaluator grammar (files or live): a finding for the document, never a crash', () => {
  it('an empty Statement list in a policy file, and in an inline policy read live', async () => {
    const d = baseDeployment();
    d.policies['gitlab-runner-jobs.policy.json'] = { Version: '2012-10-17', Statement: [] };
    const files = doctor(deploymentFiles(d));
    expect(files.findings.find((f) => f.code === 'RF901')?.path).toMatch(/^deploy\/iam\/gitlab-runner-jobs\.policy\.json:\d+:\d+$/);
    const port = accountOf(baseDeployment());
    port.roles.get('gitlab-runner-manager')!.inline.broken = { Version: '2012-10-17', Statement: [] };
    const live = await doctorWithAws(withoutIam(baseDeployment()), port);
    const hit = live.findings.find((f) => f.code === 'RF901');
    expect(hit?.path).toMatch(/^aws:iam:role\/gitlab-runner-manager#inline\/broken:\d+:\d+$/);
    expect(hit?.message).toContain('Statement list is empty');
    // The other documents are still proven.
    expect(live.proofs.filter((p) => !p.holds)).toEqual([]);
  });
});

describe('doctor --aws: EKS pod identity associations and access entries (fake; moto_server has no EKS pod identity or access entries)', () => {
  const podIdentityTrust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'pods.eks.amazonaws.com' }, Action: ['sts:AssumeRole', 'sts:TagSession'] }] };
  type AccessPolicy = { policyArn: string; accessScope: { type: string; namespaces?: string[] } };
  function podIdentity(adminPolicy?: AccessPolicy) {
    const d = baseDeployment();
    for (const o of d.objects) if (o.kind === 'ServiceAccount') delete o.metadata.annotations;
    const port = fakeAws(ACCOUNT);
    port.roles.set('runner-manager-pi', { trust: podIdentityTrust, inline: { cache: d.policies['gitlab-runner-manager.policy.json'] }, attached: [] });
    port.roles.set('runner-jobs-pi', { trust: podIdentityTrust, inline: { ecr: d.policies['gitlab-runner-jobs.policy.json'] }, attached: [] });
    const manager = `arn:aws:iam::${ACCOUNT}:role/runner-manager-pi`;
    port.clusters.set('devops', {
      associations: [
        { namespace: 'kube-system', serviceAccount: 'aws-node', roleArn: `arn:aws:iam::${ACCOUNT}:role/vpc-cni` },
        { namespace: 'gitlab', serviceAccount: 'gitlab-runner', roleArn: manager },
        { namespace: 'gitlab', serviceAccount: 'gitlab-runner-jobs', roleArn: `arn:aws:iam::${ACCOUNT}:role/runner-jobs-pi` },
      ],
      accessEntries: new Map<string, AccessPolicy[]>([
        [`arn:aws:iam::${ACCOUNT}:role/ops-admin`, [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' } }]],
        ...(adminPolicy ? [[manager, [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy', accessScope: { type: 'namespace', namespaces: ['gitlab'] } }, adminPolicy]] as [string, AccessPolicy[]]] : []),
      ]),
    });
    const files = deploymentFiles(d).filter((f) => !f.path.includes('/iam/'));
    return { port, files };
  }

  it('associations read live bind the manager and the jobs: their proofs hold, no party is left without an identity', async () => {
    const { port, files } = podIdentity();
    const r = await doctorWithAws(files, port, { clusters: ['devops'] });
    expect(r.findings.filter((f) => f.severity !== 'info'), JSON.stringify(r.findings, null, 1)).toEqual([]);
    expect(r.proofs.filter((p) => /can assume/.test(p.claim)).length).toBeGreaterThanOrEqual(2);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect([...r.chains.values()].flat().join('\n')).toContain('→ role runner-manager-pi');
    // Only the runner namespace's associations are described (not kube-system's), every page listed.
    expect(port.calls.filter((c) => c === 'DescribePodIdentityAssociation').length).toBe(2);
    expect(port.calls.filter((c) => c === 'ListPodIdentityAssociations').length).toBe(3);
    // Without the live reads the parties have no identity.
    expect(doctor(files).findings.some((f) => f.code === 'RF911')).toBe(true);
  });

  it('the manager\'s policy keyed on the session tag EKS Pod Identity adds: granted; an association read live with disableSessionTags: RF201', async () => {
    const keyed = (disableSessionTags: boolean) => {
      const { port, files } = podIdentity();
      const role = port.roles.get('runner-manager-pi')!;
      const doc = role.inline.cache as { Statement: Record<string, unknown>[] };
      role.inline.cache = { ...doc, Statement: doc.Statement.map((st) => ({ ...st, Condition: { ...(st.Condition as object | undefined), StringEquals: { 'aws:PrincipalTag/kubernetes-namespace': 'gitlab' } } })) };
      port.clusters.get('devops')!.associations[1]!.disableSessionTags = disableSessionTags;
      return doctorWithAws(files, port, { clusters: ['devops'] });
    };
    expect((await keyed(false)).findings.filter((f) => f.code === 'RF201')).toEqual([]);
    expect((await keyed(true)).findings.filter((f) => f.code === 'RF201').map((f) => f.message)).toEqual([expect.stringContaining('role runner-manager-pi cannot s3:GetObject')]);
  });

  it.each<[string, AccessPolicy | undefined, boolean]>([
    ['AmazonEKSClusterAdminPolicy, cluster scope', { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' } }, true],
    ['AmazonEKSAdminPolicy, cluster scope', { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy', accessScope: { type: 'cluster' } }, true],
    ['AmazonEKSAdminPolicy, namespace scope', { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy', accessScope: { type: 'namespace', namespaces: ['gitlab'] } }, false],
    ['AmazonEKSViewPolicy only', undefined, false],
  ])('access entry of the manager role with %s → RF922: %s', async (_name, policy, expected) => {
    const { port, files } = podIdentity(policy ?? { policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy', accessScope: { type: 'cluster' } });
    const r = await doctorWithAws(files, port, { clusters: ['devops'] });
    const hit = r.findings.filter((f) => f.code === 'RF922');
    expect(hit.length > 0, JSON.stringify(r.findings, null, 1)).toBe(expected);
    if (expected) expect(hit[0]!.path).toMatch(/^aws:eks:devops\/access-entry\/runner-manager-pi#AmazonEKS\w+:\d+:\d+$/);
    // The operators' own cluster-admin entry is not a runner's.
    expect(hit.every((f) => f.message.includes('runner-manager-pi'))).toBe(true);
  });

  it('a cluster that does not exist is RF904; refused EKS reads are RF920 naming the eks: permission', async () => {
    const { port, files } = podIdentity();
    const r = await doctorWithAws(files, port, { clusters: ['devops', 'nope'], region: 'eu-west-1' });
    expect(r.findings.find((f) => f.code === 'RF904' && f.received === 'nope')?.message).toBe('the evidence names EKS cluster nope, which does not exist in eu-west-1');
    const denied = podIdentity();
    denied.port.denied.add('ListPodIdentityAssociations');
    const r2 = await doctorWithAws(denied.files, denied.port, { clusters: ['devops'] });
    expect(r2.findings.find((f) => f.code === 'RF920')?.message).toBe('eks:ListPodIdentityAssociations on EKS cluster devops was refused (AccessDeniedException), so the doctor could not read it');
  });
});

describe('doctor --aws (CLI flags)', () => {
  it('--region, --profile and --eks-cluster without --aws are a wrong command (exit 2), and the SDK is not needed for that', async () => {
    const { main } = await import('../src/cli/main.js');
    for (const flags of [['--region', 'eu-west-1'], ['--profile', 'audit'], ['--eks-cluster', 'devops']]) {
      let err = '';
      expect(await main(['doctor', 'test', ...flags], { out: () => undefined, err: (s) => (err += s) })).toBe(2);
      expect(err).toContain('add --aws');
    }
  });
});

describe('doctor --aws through bin/runner-fleet.cjs (the built CLI)', () => {
  it('loads the AWS SDK (with require(): code compiled from the code cache cannot import()); an unreachable endpoint is RF921, not a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-doctor-aws-bin-'));
    writeFileSync(join(dir, 'sa.yaml'), `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  namespace: gitlab\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::${ACCOUNT}:role/gitlab-runner-manager\n`);
    // A closed local port: every call fails fast, once.
    const env = { ...process.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '1', NO_COLOR: '1' };
    const r = spawnSync(join(ROOT, 'bin', 'runner-fleet.cjs'), ['doctor', dir, '--aws'], { encoding: 'utf8', env, timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.stdout + r.stderr).not.toContain('dynamic import');
    // The SDK's notice about its releases after January 2027 (Node 20 only) is not printed.
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    expect(r.stdout).toContain('RF921');
    expect(r.stdout).toContain('iam:GetRole on arn:aws:iam::111122223333:role/gitlab-runner-manager failed');
    expect(r.status).toBe(0);
  }, 60_000);
});

describe('the AWS SDK notice about its future Node versions', () => {
  it('is turned off by the SDK\'s own switch, unless the user set it', () => {
    const env: Record<string, string | undefined> = {};
    quietAwsSdkNotice(env);
    expect(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
    const mine: Record<string, string | undefined> = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' };
    quietAwsSdkNotice(mine);
    expect(mine.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('false');
  });
});

describe('doctor --aws can only read', () => {
  const expected = ['GetRole', 'ListRolePolicies', 'GetRolePolicy', 'ListAttachedRolePolicies', 'GetPolicy', 'GetPolicyVersion', 'GetOpenIDConnectProvider', 'ListPodIdentityAssociations', 'DescribePodIdentityAssociation', 'ListAccessEntries', 'ListAssociatedAccessPolicies'];

  it('the allow-list is exactly the documented read operations', () => {
    expect([...AWS_READ_OPERATIONS.iam, ...AWS_READ_OPERATIONS.eks].sort()).toEqual([...expected].sort());
  });

  it('the live client names no SDK command but Get/List/Describe ones, and exactly those of the allow-list', () => {
    const src = readFileSync(new URL('../src/live/aws-read.ts', import.meta.url), 'utf8');
    const named = [...new Set([...src.matchAll(/\b(?:iam|eks)\.(\w+Command)\b/g)].map((m) => m[1]!))].sort();
    expect(named.length).toBe(expected.length);
    for (const c of named) expect(c).toMatch(/^(Get|List|Describe)[A-Za-z]+Command$/);
    expect(named).toEqual(expected.map((o) => `${o}Command`).sort());
    // Nothing else reaches the SDK: no other import of it, no dynamic command lookup.
    expect([...src.matchAll(/import\((['"])(@aws-sdk\/[^'"]+)\1\)/g)].map((m) => m[2]).sort()).toEqual(['@aws-sdk/client-eks', '@aws-sdk/client-iam']);
    expect(src).not.toMatch(/\[\s*`?\$\{[^}]*\}Command/);
  });

  it('the doctor code that drives the port issues only allow-listed operations over a whole run', async () => {
    const { port, files } = (() => {
      const d = baseDeployment();
      return { port: accountOf(d), files: withoutIam(d) };
    })();
    await doctorWithAws(files, port, { clusters: ['none'] });
    for (const c of port.calls) expect(expected).toContain(c);
  });
});
