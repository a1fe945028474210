import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { planExample, planMutated, exampleFiles } from './helpers/fleet.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { REACH_DOC_CASES, REACH_SPEC_CASES, REACH_SPEC_ERRORS, XA, IDT, statements } from './helpers/reach.js';
import type { PolicyDocument } from '../src/verify/iam/types.js';
import { describeSubPattern } from '../src/verify/reach/id-tokens.js';
import { evaluatePolicies, compilePolicy } from '../src/verify/iam/evaluator.js';
import { DELETE_VERB_PREFIXES } from '../src/model/deletes.js';

const codes = (findings: { code: string }[]) => findings.map((f) => f.code);

describe('reach rules a spec can trigger: a failing and a passing case each', () => {
  it.each(REACH_SPEC_CASES)('%s on %s', (code, example, mutate, severity) => {
    expect(codes(planExample(example).findings)).not.toContain(code);
    const after = planMutated(example, mutate);
    expect(after.exitCode).not.toBe(2);
    const hit = after.findings.find((f) => f.code === code);
    expect(hit, JSON.stringify(after.findings, null, 1)).toBeDefined();
    expect(hit!.severity).toBe(severity);
  });

  it('RF122 says what a pattern admits', () => {
    expect(describeSubPattern('project_path:acme/*:ref_type:branch:ref:main')).toBe('every project under acme (subgroups included), branch main');
    expect(describeSubPattern('project_path:acme/infra:ref_type:branch:ref:*')).toBe('project acme/infra, every branch, protected or not');
    const plan = planMutated(IDT, (s) => (s.idTokens.roles[0].subjects = [{ group: 'acme', refs: ['main'] }]));
    expect(plan.findings.find((f) => f.code === 'RF122')!.message).toContain('every project under acme (subgroups included), branch main');
  });
});

describe('reach proofs refute broken documents and hold on the emitted ones', () => {
  it.each(REACH_DOC_CASES)('%s on a broken %s', (code, example, mutate) => {
    const plan = planExample(example);
    expect(codes(verifyFleet(intentOf(plan.fleet!), plan.emitted!).findings)).not.toContain(code);
    const docs = structuredClone(plan.emitted!);
    mutate(docs);
    const v = verifyFleet(intentOf(plan.fleet!), docs);
    expect(codes(v.findings)).toContain(code);
    expect(v.proofs.some((p) => !p.holds) || code === 'RF101' || code === 'RF123').toBe(true);
  });
});

describe('reach spec errors (exit 2, exact path)', () => {
  it.each(REACH_SPEC_ERRORS)('%s', (_what, example, mutate, code, path) => {
    const plan = planMutated(example, mutate);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toContain(`${code} ${path}`);
  });
});

describe('cross-account documents', () => {
  const plan = planExample(XA);
  const roots = plan.emitted!.terraformAwsAccounts!;

  it('one standalone root per target account, reached through a variable', () => {
    expect([...roots.keys()]).toEqual(['222222222222', '333333333333']);
    for (const [acct, root] of roots) {
      expect(root.terraform.required_providers).toBeDefined();
      const provider = (root.provider!.aws as Record<string, any>[])[0]!;
      expect(provider.allowed_account_ids).toEqual([acct]);
      expect(provider.dynamic.assume_role.content.role_arn).toBe('${assume_role.value}');
    }
  });

  it('each target trusts exactly the job role, with the External ID as a variable, never a value', () => {
    const trust = JSON.parse(String(roots.get('222222222222')!.resource.aws_iam_role!['deploy-staging']!.assume_role_policy)) as PolicyDocument;
    expect(statements(trust)).toEqual([{ Sid: 'RunnerJobRole', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/runner-fleet/shop-deploy-jobs' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': '${var.staging_external_id}' } } }]);
    expect((roots.get('222222222222')!.variable!.staging_external_id as Record<string, unknown>).sensitive).toBe(true);
  });

  it('an External ID from an SSM parameter is read in the target account, and proven the same way', () => {
    const ssm = planMutated(XA, (s) => (s.runners[1].jobs.deployTargets[0].externalId = { ssmParameter: '/ci/staging/external-id' }));
    expect(ssm.exitCode).toBe(0);
    const root = ssm.emitted!.terraformAwsAccounts!.get('222222222222')!;
    expect(root.data!.aws_ssm_parameter!['deploy-staging_external_id']).toEqual({ name: '/ci/staging/external-id', with_decryption: true });
    expect(String(root.resource.aws_iam_role!['deploy-staging']!.assume_role_policy)).toContain('"sts:ExternalId":"${data.aws_ssm_parameter.deploy-staging_external_id.value}"');
    expect(ssm.proofs.find((p) => p.claim.includes('deploy target staging') && p.claim.includes('External ID'))!.holds).toBe(true);
  });

  it('the job role may assume exactly the target ARNs', () => {
    const p = JSON.parse(String(plan.emitted!.terraformAws!.resource.aws_iam_role_policy!['deploy-jobs_deploy_targets']!.policy)) as PolicyDocument;
    expect(statements(p)).toEqual([{ Sid: 'AssumeDeployTargets', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ['arn:aws:iam::222222222222:role/runner-fleet/shop-deploy-staging-deploy', 'arn:aws:iam::333333333333:role/runner-fleet/shop-deploy-production-deploy'] }]);
  });

  it('the Deny wins over an Allow that grants a delete (evaluator)', () => {
    const policy = compilePolicy(JSON.parse(String(roots.get('333333333333')!.resource.aws_iam_role_policy!['deploy-production']!.policy)) as PolicyDocument);
    const resource = 'arn:aws:ecs:eu-west-1:333333333333:service/prod/web';
    expect(evaluatePolicies({ identity: [policy] }, { action: 'ecs:UpdateService', resource })).toBe('allow');
    for (const v of DELETE_VERB_PREFIXES) expect(evaluatePolicies({ identity: [policy] }, { action: `ecs:${v}Service`, resource })).toBe('explicit-deny');
    expect(plan.proofs.find((p) => p.claim.startsWith('deploy target production'))!.claim).toMatch(/[1-9][0-9]* of them allowed by a grant and overridden by the Deny/);
  });

  it('the smoke pipeline assumes each target with the External ID from a CI variable and shows a delete refused', () => {
    const file = exampleFiles(XA).find((f) => f.path === 'pipelines/deploy.gitlab-ci.yml')!;
    const pipeline = parseYaml(file.content.replace(/^#.*\n/gm, '').replace(/^---\n/, '')) as Record<string, any>;
    const staging = (pipeline['deploy-target-staging'].script as string[]).join('\n');
    expect(staging).toContain('--external-id "$RUNNER_FLEET_EXTERNAL_ID_DEPLOY_STAGING"');
    expect(staging).toContain('arn:aws:sts::222222222222:assumed-role/shop-deploy-staging-deploy/');
    expect(staging).toContain('--dry-run');
    expect(pipeline.stages).toContain('reach');
  });

  it('every proof holds on the example, and none is missing', () => {
    const claims = plan.proofs.map((p) => p.claim);
    expect(claims.filter((c) => c.startsWith('only job role'))).toHaveLength(2);
    expect(claims.filter((c) => /^deploy target .* explicitly denied/.test(c))).toHaveLength(2);
    expect(claims.filter((c) => /may assume its 2 deploy target/.test(c))).toHaveLength(1);
  });
});

describe('GitLab ID-token documents', () => {
  const plan = planExample(IDT);

  it('the AWS role pins aud and sub to the project and protected branch', () => {
    const trust = JSON.parse(String(plan.emitted!.terraformAws!.resource.aws_iam_role!['idt-infra']!.assume_role_policy)) as PolicyDocument;
    expect(statements(trust)[0]!.Condition).toEqual({ StringEquals: { 'gitlab.com:aud': 'sts.amazonaws.com', 'gitlab.com:sub': 'project_path:acme/infrastructure:ref_type:branch:ref:main' } });
    expect(plan.emitted!.terraformAws!.resource.aws_iam_openid_connect_provider!.gitlab_id_tokens).toEqual({ url: 'https://gitlab.com', client_id_list: ['sts.amazonaws.com'] });
  });

  it('Azure gets one federated credential per exact subject', () => {
    const creds = Object.values(plan.emitted!.terraformAzure!.resource.azurerm_federated_identity_credential!);
    expect(creds.map((c) => c.subject).sort()).toEqual(['project_path:acme/platform/api:ref_type:tag:ref:v1', 'project_path:acme/platform/api:ref_type:tag:ref:v2']);
    expect(creds.every((c) => c.issuer === 'https://gitlab.com' && JSON.stringify(c.audience) === '["api://AzureADTokenExchange"]')).toBe(true);
  });

  it('the smoke pipeline exchanges an ID token on the VM runner, whose jobs have no instance credentials', () => {
    const pipeline = plan.emitted!.runners.docker!.pipeline as Record<string, any>;
    expect(pipeline['id-token-infra'].id_tokens).toEqual({ RUNNER_FLEET_ID_TOKEN: { aud: 'sts.amazonaws.com' } });
    expect(pipeline['id-token-infra'].rules).toEqual([{ if: '$CI_PROJECT_PATH == "acme/infrastructure" && $CI_COMMIT_BRANCH == "main"' }]);
    expect((pipeline['job-identity'].script as string[]).join('\n')).toContain('OK: jobs have no AWS credentials');
  });

  it('the issuer defaults to gitlab.url and may be set', () => {
    const other = planMutated(IDT, (s) => (s.idTokens.issuer = 'https://gitlab.example.com/gitlab'));
    expect(other.exitCode).toBe(0);
    const trust = String(other.emitted!.terraformAws!.resource.aws_iam_role!['idt-infra']!.assume_role_policy);
    expect(trust).toContain('oidc-provider/gitlab.example.com/gitlab');
    expect(trust).toContain('"gitlab.example.com/gitlab:sub"');
  });

  it('the diagram labels ID-token and cross-account edges with their conditions', () => {
    const idt = plan.emitted!.artifacts.find((a) => a.path === 'diagram/identity.mmd')!;
    const edges = (idt.content as { edges: { label?: string }[] }).edges.map((e) => e.label ?? '');
    expect(edges).toContain('AssumeRoleWithWebIdentity: iss gitlab.com, aud sts.amazonaws.com, sub = project_path:acme/infrastructure:ref_type:branch:ref:main');
    const xa = planExample(XA).emitted!.artifacts.find((a) => a.path === 'diagram/identity.mmd')!;
    expect((xa.content as { edges: { label?: string }[] }).edges.map((e) => e.label)).toEqual(expect.arrayContaining(['sts:AssumeRole + ExternalId (var.staging_external_id)', 'sts:AssumeRole + PrincipalOrgID o-a1b2c3d4e5']));
  });
});
