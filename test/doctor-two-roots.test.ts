import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, referencesOfRoots, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { corpusRoot } from './helpers/corpus-case.js';

/**
 * Two Terraform roots given in one call that declare the same addresses (prod/ and staging/, one
 * copied from the other): each root's resources are its own deployment's, never merged by address.
 */
const CORPUS = corpusRoot();
const SOUND = join(CORPUS, 'two-roots-same-addresses');

const text = (r: ReturnType<typeof doctor>) => JSON.stringify(r);

describe('doctor: two Terraform roots with the same resource addresses', () => {
  it('proves each runner with the roles and cache of its own folder', () => {
    const r = doctor(corpusFiles(SOUND));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.findings.map((f) => `${f.code} ${f.path}`).sort()).toEqual(['RF208 prod/main.tf:87:15', 'RF208 staging/main.tf:87:15']);
    expect(r.proofs).toHaveLength(16);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    const claims = r.proofs.map((p) => p.claim).join('\n');
    for (const name of ['gitlab-runner-manager-prod', 'gitlab-runner-jobs-prod', 'example-prod-runner-cache', 'gitlab-runner-manager-staging', 'gitlab-runner-jobs-staging', 'example-staging-runner-cache']) expect(claims).toContain(name);
    expect(text(r)).not.toContain('__rfroot');
  });

  it('gives each root what it gets alone', () => {
    const alone = (dir: string) =>
      doctor(corpusFiles(join(SOUND, dir)))
        .proofs.map((p) => `${p.holds} ${p.claim.replace(/ \(\d+ service accounts tried\)/, '').replace(/cluster(-2)?:/, '')}`)
        .sort();
    const both = doctor(corpusFiles(SOUND)).proofs.map((p) => `${p.holds} ${p.claim.replace(/ \(\d+ service accounts tried\)/, '').replace(/cluster(-2)?:/, '')}`).sort();
    expect(both).toEqual([...alone('prod'), ...alone('staging')].sort());
  });

  it("staging's drift is found in staging only; prod stays proven", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-same-addresses-cache-drift')));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`)).toEqual(['RF201 staging/main.tf:84:13']);
    const failed = r.proofs.filter((p) => !p.holds).map((p) => p.claim);
    expect(failed).toEqual([expect.stringContaining('example-staging-runner-cache')]);
    expect(r.proofs.filter((p) => p.holds && p.claim.includes('gitlab-runner-manager-prod'))).not.toEqual([]);
  });

  it("prod's drift is not hidden by staging's resources of the same address", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-same-addresses-prod-cache-drift')));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`)).toEqual(['RF201 prod/main.tf:84:13']);
  });

  it("a role meant for the manager is chosen among the roles of the runner's own folder", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-same-addresses-annotation-missing')));
    const errors = r.findings.filter((f) => f.severity !== 'info');
    expect(errors.map((f) => `${f.code} ${f.path}`)).toEqual(['RF904 prod/main.tf:6:1']);
    // Named with its folder, since staging/ declares aws_iam_role.manager too.
    expect(errors[0]!.message).toContain('role gitlab-runner-manager-prod (prod/aws_iam_role.manager)');
    expect(errors[0]!.fix).toContain('the ARN of prod/aws_iam_role.manager');
    expect(text(r)).not.toContain('__rfroot');
  });

  it('names a resource of a root that shares its address with its folder, and a single root as before', () => {
    const files = corpusFiles(SOUND);
    const broken = (f: InputFile): InputFile => (f.path === 'staging/main.tf' ? { ...f, bytes: Buffer.from(`${f.bytes.toString().replace('name = "gitlab-runner-manager-staging"', 'name = "gitlab-runner-manager-${random_id.suffix.hex}"')}\nresource "random_id" "suffix" {\n  byte_length = 4\n}\n`) } : f);
    const r = doctor(files.map(broken));
    const f = r.findings.find((x) => x.code === 'RF906' && x.path.startsWith('staging/main.tf'));
    expect(f?.message).toContain('staging/aws_iam_role.manager');
    expect(text(r)).not.toContain('__rfroot');
    // Alone, the same root's address is as written.
    const alone = doctor(files.filter((x) => x.path.startsWith('staging/')).map(broken));
    const g = alone.findings.find((x) => x.code === 'RF906' && x.path.startsWith('staging/main.tf'));
    expect(g?.message).toMatch(/^aws_iam_role\.manager has no literal name/);
    expect(g?.message).not.toContain('staging/aws_iam_role');
  });
});

describe('doctor: fixes for a root that shares its addresses are pasteable', () => {
  /** A Terraform reference shown with a folder (`prod/aws_iam_role.manager.arn`) is not valid HCL. */
  const FOLDER_REFERENCE = /[\w.-]+\/(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*\.[a-z_]+/;

  it('an annotation fix writes the reference as the root writes it and names the folder in words', () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-same-addresses-annotation-missing')));
    const f = r.findings.find((x) => x.code === 'RF904')!;
    expect(f.fix).toMatch(/^in prod\/: annotate service account gitlab-runner\/gitlab-runner /);
    expect(f.fix).toContain('value = aws_iam_role.manager.arn })');
    expect(f.fix).not.toMatch(FOLDER_REFERENCE);
    // The message and the fix's prose keep the folder.
    expect(f.message).toContain('(prod/aws_iam_role.manager)');
    expect(f.fix).toContain('the ARN of prod/aws_iam_role.manager');
  });

  it('a Pod Identity association fix reads role_arn = aws_iam_role.<name>.arn, in its folder', () => {
    const main = readFileSync(join(CORPUS, 'eks-pod-identity-hand-written', 'main.tf'), 'utf8');
    const unbound = main.replace(/resource "aws_eks_pod_identity_association" "manager" \{[^}]*\}\n/, '');
    expect(unbound).not.toBe(main);
    const r = doctor([
      { path: 'prod/main.tf', bytes: Buffer.from(unbound) },
      { path: 'staging/main.tf', bytes: Buffer.from(unbound.replace(/acme-ci-runner-cache|gitlab-runner-manager/g, (m) => `${m}-staging`)) },
    ]);
    const fixes = r.findings.filter((x) => x.fix?.includes('aws_eks_pod_identity_association')).map((x) => `${x.path.split('/')[0]!} ${x.fix!}`);
    expect(fixes).toHaveLength(2);
    for (const [i, dir] of ['prod', 'staging'].entries()) {
      expect(fixes[i]).toMatch(new RegExp(`^${dir} in ${dir}/: give the Terraform that writes the cluster's Pod Identity associations, or add resource "aws_eks_pod_identity_association" with `));
      expect(fixes[i]).toMatch(/role_arn = aws_iam_role\.runner_manager\.arn$/);
    }
    expect(text(r)).not.toContain('__rfroot');
  });

  it('no fix of a broken root (RF104, RF201, RF904) shows a folder inside a Terraform reference', () => {
    const broken: [string, string][] = [
      ['system:serviceaccount:gitlab-runner:gitlab-runner"', 'system:serviceaccount:gitlab-runner:gitlab-runnr"'],
      ['"arn:aws:s3:::example-prod-runner-cache/runner/*"', '"arn:aws:s3:::example-prod-runner-cache/other/*"'],
      ['service_account = "gitlab-runner-jobs"', 'service_account = "gitlab-runner-job"'],
    ];
    const codes = new Set<string>();
    const runs = [...broken.map(([from, to]) => corpusFiles(SOUND).map((f) => (f.path === 'prod/main.tf' ? { ...f, bytes: Buffer.from(f.bytes.toString().replace(from, to)) } : f))), corpusFiles(join(CORPUS, 'two-roots-same-addresses-annotation-missing'))];
    for (const files of runs) {
      const r = doctor(files);
      for (const f of r.findings) {
        codes.add(f.code);
        for (const t of [f.fix, f.deploymentFix]) if (t !== undefined) expect(t).not.toMatch(FOLDER_REFERENCE);
      }
    }
    expect([...codes]).toEqual(expect.arrayContaining(['RF104', 'RF201', 'RF904']));
  });
});

describe('referencesOfRoots', () => {
  const marks = new Map([['__rfroot0', 'prod'], ['__rfroot1', 'envs/staging']]);
  const shown = (t: string) => t.replace(/(\w+)\.(\w+)__rfroot(\d)/g, (_, a: string, b: string, i: string) => `${i === '0' ? 'prod' : 'envs/staging'}/${a}.${b}`);
  it('writes references (attribute, `${…}`) as written and names their folders; prose keeps the folder', () => {
    expect(referencesOfRoots('grant aws_iam_role.manager__rfroot0 with role = aws_iam_role.manager__rfroot0.name.', marks, shown)).toBe('in prod/: grant prod/aws_iam_role.manager with role = aws_iam_role.manager.name.');
    expect(referencesOfRoots('set role = "${aws_iam_role.jobs__rfroot1}" and aws_iam_role.x__rfroot0.arn', marks, shown)).toBe('in envs/staging/ (aws_iam_role.jobs), prod/ (aws_iam_role.x): set role = "${aws_iam_role.jobs}" and aws_iam_role.x.arn');
    expect(referencesOfRoots('the ARN of aws_iam_role.manager__rfroot0', marks, shown)).toBe('the ARN of prod/aws_iam_role.manager');
  });
});

describe('doctor: two `terraform show -json` plans with the same addresses', () => {
  const PLANS = join(CORPUS, 'two-plans-same-addresses');
  const claims = (r: ReturnType<typeof doctor>) => r.proofs.map((p) => `${p.holds} ${p.claim.replace(/ \(\d+ service accounts tried\)/, '').replace(/cluster(-2)?:/, '')}`).sort();

  it("proves each runner with its own plan's roles, as each folder alone", () => {
    const r = doctor(corpusFiles(PLANS));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs).toHaveLength(16);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(claims(r)).toEqual([...claims(doctor(corpusFiles(join(PLANS, 'prod')))), ...claims(doctor(corpusFiles(join(PLANS, 'staging'))))].sort());
    expect(text(r)).not.toContain('__rfroot');
  });

  it("one plan's drift is found in its folder only; the other stays proven", () => {
    for (const [dir, other] of [['staging', 'prod'], ['prod', 'staging']] as const) {
      const r = doctor(corpusFiles(join(CORPUS, dir === 'staging' ? 'two-plans-same-addresses-cache-drift' : 'two-plans-same-addresses-prod-cache-drift')));
      expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`)).toEqual([`RF201 ${dir}/values.yaml:21:9`]);
      expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([expect.stringContaining(`example-${dir}-runner-cache`)]);
      expect(r.proofs.filter((p) => p.holds && p.claim.includes(`gitlab-runner-manager-${other}`))).toHaveLength(1);
    }
  });

  it('a plan and the configuration of one folder stay one deployment, and a plan given alone reads as before', () => {
    // prod as HCL (marked against staging's HCL), staging's plan beside its HCL: every proof holds, none twice.
    const hcl = corpusFiles(SOUND);
    const plan = corpusFiles(PLANS).filter((f) => f.path === 'staging/plan.json');
    const r = doctor([...hcl, ...plan]);
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs).toHaveLength(16);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(text(r)).not.toContain('__rfroot');
    const alone = doctor(corpusFiles(join(PLANS, 'prod')));
    expect(alone.proofs.filter((p) => !p.holds)).toEqual([]);
  });
});

describe('doctor: two Terraform roots with no address in common, issuers known only at apply', () => {
  it("each root's issuer is a symbol of its own: no false RF106, each runner proven", () => {
    const dir = join(CORPUS, 'two-roots-distinct-addresses-issuer-at-apply');
    const r = doctor(corpusFiles(dir));
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`)).toEqual(['RF911 prod/values.yaml:26:9', 'RF911 staging/values.yaml:26:9']);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.filter((p) => p.claim.includes('can assume the manager role')).map((p) => p.claim.replace(/ \(\d+ service accounts tried\)/, '').replace(/cluster(-2)?:/, '')).sort()).toEqual([
      'only gitlab-runner/gitlab-runner can assume the manager role gitlab-runner',
      'only gitlab-runner/gitlab-runner can assume the manager role gitlab-runner-staging',
    ]);
    expect(text(r)).not.toContain('oidc_issuer_host_path');
  });
});

describe('doctor: Pod Identity associations of two deployments given together', () => {
  // The hand-written Pod Identity deployment as prod/, and a copy as staging/ for cluster ci-staging
  // with its own role and bucket names: the same addresses, the same namespace and service account.
  const main = readFileSync(join(CORPUS, 'eks-pod-identity-hand-written', 'main.tf'), 'utf8');
  const unbound = main.replace(/resource "aws_eks_pod_identity_association" "manager" \{[^}]*\}\n/, '');
  const staging = (t: string) => t.replace(/acme-ci-runner-cache|gitlab-runner-manager/g, (m) => `${m}-staging`).replace('default = "ci"', 'default = "ci-staging"');
  const run = (files: [string, string][]) => doctor(files.map(([path, t]) => ({ path, bytes: Buffer.from(t) })));
  const seen = (r: ReturnType<typeof doctor>, dir: string) => r.findings.filter((f) => f.path.startsWith(`${dir}/`)).map((f) => `${f.code} ${f.path}`).sort();

  it("each runner is bound by its own folder's association (before: staging's runner proven with prod's role, a false RF201)", () => {
    expect(staging(main)).not.toBe(main);
    const alone = run([['prod/main.tf', main]]);
    const r = run([['prod/main.tf', main], ['staging/main.tf', staging(main)]]);
    expect(r.findings.filter((f) => f.code === 'RF201')).toEqual([]);
    expect(seen(r, 'prod')).toEqual(seen(alone, 'prod'));
    expect(seen(r, 'staging')).toEqual(seen(alone, 'prod').map((x) => x.replace('prod/', 'staging/')));
    expect(r.proofs.filter((p) => p.holds).length).toBe(2 * alone.proofs.filter((p) => p.holds).length);
  });

  it("a runner without an association does not borrow the other deployment's (before: bound to gitlab-runner-manager-staging)", () => {
    const alone = run([['prod/main.tf', unbound]]);
    const r = run([['prod/main.tf', unbound], ['staging/main.tf', staging(main)]]);
    const mine = r.findings.filter((f) => f.path.startsWith('prod/') && f.code === 'RF903' && f.message.includes('trusts EKS Pod Identity'));
    expect(mine.map((f) => `${f.code} ${f.severity} ${f.path}`)).toEqual(alone.findings.filter((f) => f.message.includes('trusts EKS Pod Identity')).map((f) => `${f.code} ${f.severity} ${f.path}`));
    expect(mine[0]!.message).not.toContain('gitlab-runner-manager-staging');
    expect(r.findings.filter((f) => f.path.startsWith('prod/') && f.severity === 'error')).toEqual([]);
  });

  // staging/ as a copy for a cluster also called ci (its own account or region): each folder binds gitlab-runner/gitlab-runner once.
  const sameName = (t: string) => t.replace(/acme-ci-runner-cache|gitlab-runner-manager/g, (m) => `${m}-staging`);

  it('two deployments whose clusters are both called ci, each binding gitlab-runner/gitlab-runner once: no RF106 (before: "2 pod identity associations bind … which one its pods get is not shown")', () => {
    const alone = run([['prod/main.tf', main]]);
    const r = run([['prod/main.tf', main], ['staging/main.tf', sameName(main)]]);
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
    expect(seen(r, 'prod')).toEqual(seen(alone, 'prod'));
    expect(seen(r, 'staging')).toEqual(seen(alone, 'prod').map((x) => x.replace('prod/', 'staging/')));
    expect(r.proofs.filter((p) => p.holds).length).toBe(2 * alone.proofs.filter((p) => p.holds).length);
    expect(r.proofs.filter((p) => !p.holds).length).toBe(2 * alone.proofs.filter((p) => !p.holds).length);
  });

  it('two associations for gitlab-runner/gitlab-runner in one of them: the true RF106 in that folder only', () => {
    const twice = main.replace(/(resource "aws_eks_pod_identity_association" )"manager"( \{[^}]*\}\n)/, (m, head: string, body: string) => `${m}\n${head}"manager_again"${body.replace('aws_iam_role.runner_manager.arn', '"arn:aws:iam::111122223333:role/gitlab-runner-other"')}`);
    expect(twice).not.toBe(main);
    const r = run([['prod/main.tf', twice], ['staging/main.tf', sameName(main)]]);
    const rf106 = r.findings.filter((f) => f.code === 'RF106');
    expect(rf106.map((f) => f.path.split('/')[0])).toEqual(['prod']);
    expect(rf106[0]!.message).toContain('2 pod identity associations bind gitlab-runner/gitlab-runner on EKS cluster ci (roles gitlab-runner-manager, gitlab-runner-other)');
    expect(rf106[0]!.message).not.toContain('staging');
  });
});

describe("doctor: each Terraform root's own aws provider blocks", () => {
  // prod/ tags every resource environment = prod, staging/ environment = staging (default_tags); each
  // root's manager may reach its cache only with aws:PrincipalTag/environment of its own environment.
  const errors = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`);

  it.each(['two-roots-same-addresses-provider-default-tags', 'two-roots-distinct-addresses-provider-default-tags'])("%s: staging's roles carry staging's default_tags, not prod's (before: a false RF201 in staging)", (name) => {
    const r = doctor(corpusFiles(join(CORPUS, name)));
    expect(errors(r)).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.some((p) => p.holds && p.claim.includes('example-staging-runner-cache'))).toBe(true);
    expect(text(r)).not.toContain('__rfroot');
  });

  it("a staging policy keyed on prod's tag is refused (before: missed, staging's role read with prod's default_tags)", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-distinct-addresses-provider-default-tags-mismatch')));
    expect(errors(r)).toEqual(['RF201 staging/main.tf:131:13']);
    expect(r.findings.find((f) => f.code === 'RF201')!.message).toContain('role gitlab-runner-manager-staging cannot s3:GetObject');
  });

  it('each root alone reads as with the other root given', () => {
    const dir = join(CORPUS, 'two-roots-distinct-addresses-provider-default-tags-mismatch');
    const alone = (d: string) => errors(doctor(corpusFiles(join(dir, d)))).map((x) => x.replace(' ', ` ${d}/`));
    expect(errors(doctor(corpusFiles(dir)))).toEqual([...alone('prod'), ...alone('staging')]);
  });
});

describe('doctor: each Terraform root of several has its own variables', () => {
  const SPLIT = join(CORPUS, 'two-roots-distinct-addresses-variable-names');
  const errors = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`);

  it("var.x of two roots are two values (before: gitlab/'s registration read as runner/'s, a false RF305); in one root, one", () => {
    const files = corpusFiles(SPLIT);
    const split = doctor(files);
    expect(errors(split)).toEqual([]);
    expect(text(split)).not.toMatch(/__rf(in|root)/);
    // The same files as one root (one folder, one variable): the Secret is the chart's, its registration takes no job.
    const gitlab = files.find((f) => f.path === 'gitlab/main.tf')!.bytes.toString().replace(/variable "token_secret_name" \{[^}]*\}\n/, '');
    const one = doctor([...files.filter((f) => f.path.startsWith('runner/')).map((f) => ({ ...f, path: f.path.slice('runner/'.length) })), { path: 'gitlab.tf', bytes: Buffer.from(gitlab) }]);
    expect(errors(one)).toEqual(['RF305 main.tf:67:1']);
    // A variable of one of several roots is named as written in messages.
    const ns = files.map((f) => (f.path === 'runner/main.tf' ? { ...f, bytes: Buffer.from(`${f.bytes.toString().replace('namespace  = "gitlab-runner"', 'namespace  = var.runner_namespace')}\nvariable "runner_namespace" {\n  type = string\n}\n`) } : f));
    const r = doctor(ns);
    expect(r.findings.find((f) => f.code === 'RF906' && f.path.startsWith('runner/main.tf'))?.message).toContain('namespace ${var.runner_namespace} is not statically known');
    expect(text(r)).not.toMatch(/__rf(in|root)/);
  });
});

describe('doctor: two Terraform roots of VM runners in different regions', () => {
  const REGIONS = join(CORPUS, 'two-roots-same-addresses-ec2-docker-regions');
  // Together, each proof tries the roles of both folders: the counts differ, the claims do not.
  const claims = (r: ReturnType<typeof doctor>) => r.proofs.map((p) => `${p.holds} ${p.claim.replace(/ \((checked [^)]*|\d+ instance profiles and task definitions tried)\)$/, '')}`).sort();

  it("each runner's token parameter is in its own root's region: every proof holds, as each folder alone", () => {
    const r = doctor(corpusFiles(REGIONS));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(claims(r)).toEqual([...claims(doctor(corpusFiles(join(REGIONS, 'prod')))), ...claims(doctor(corpusFiles(join(REGIONS, 'staging'))))].sort());
  });

  it('Fargate: each runner runs, stops and trusts tasks of its own region, and reads its own token parameter', () => {
    const FARGATE = join(CORPUS, 'two-roots-same-addresses-fargate-regions');
    const r = doctor(corpusFiles(FARGATE));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs).toHaveLength(22);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(claims(r)).toEqual([...claims(doctor(corpusFiles(join(FARGATE, 'prod')))), ...claims(doctor(corpusFiles(join(FARGATE, 'staging'))))].sort());
  });

  it("a role of staging/ that reads staging's token in us-east-1 is RF721; the same grant in eu-west-1 reads nothing of staging", () => {
    const grant = (region: string) =>
      doctor(
        corpusFiles(REGIONS).map((f) =>
          f.path === 'staging/main.tf' ? { ...f, bytes: Buffer.from(f.bytes.toString().replace('Action = "ecs:UpdateService", Resource = "*"', `Action = "ssm:GetParameter", Resource = "arn:aws:ssm:${region}:111122223333:parameter/ci/docker-stg/token"`)) } : f,
        ),
      );
    const rf721 = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.code === 'RF721').map((f) => f.message);
    expect(rf721(grant('us-east-1'))).toEqual([expect.stringMatching(/^the ID-token role gitlab-deploy-staging \(staging\/aws_iam_role\.deploy\) can read the token of runner docker-stg /)]);
    expect(rf721(grant('eu-west-1'))).toEqual([]);
  });
});

describe('doctor: the stand-in token parameter (of no runner) with several Terraform roots', () => {
  const rf721 = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.code === 'RF721').map((f) => `${f.path} ${f.message}`);

  it("runners' parameters of two roots tagged apart: a grant keyed on prod's tag reads prod's runner token only, not every runner's", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-same-addresses-ec2-docker-tag-reader')));
    expect(rf721(r)).toEqual([expect.stringMatching(/^prod\/main\.tf:61:24 the ID-token role gitlab-deploy-prod \(prod\/aws_iam_role\.deploy\) can read the token of runner docker-ci \(its token parameter \/ci\/docker-ci\/token\): ssm:GetParameter;/)]);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([expect.stringMatching(/^only the manager can read the token parameter \/ci\/docker-ci\/token /)]);
  });

  it("two roots' parameters of the same name in two regions: each runner's is its own root's (before: both took staging's tags, prod's RF721 missed)", () => {
    const SAME = join(CORPUS, 'two-roots-same-addresses-ec2-docker-same-parameter-name');
    const r = doctor(corpusFiles(SAME));
    expect(rf721(r)).toEqual([expect.stringMatching(/^prod\/main\.tf:61:24 the ID-token role gitlab-deploy-prod \(prod\/aws_iam_role\.deploy\) can read the token of runner docker-ci \(its token parameter \/ci\/docker-ci\/token\): ssm:GetParameter;/)]);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([expect.stringMatching(/^only the manager can read the token parameter \/ci\/docker-ci\/token /)]);
    // The same grant keyed on staging's tag reads staging's runner token only.
    const staging = doctor(corpusFiles(SAME).map((f) => (f.path === 'prod/main.tf' ? { ...f, bytes: Buffer.from(f.bytes.toString().replace('"aws:ResourceTag/environment" = "prod"', '"aws:ResourceTag/environment" = "staging"')) } : f)));
    expect(rf721(staging)).toEqual([expect.stringMatching(/^prod\/main\.tf:61:24 the ID-token role gitlab-deploy-prod \(prod\/aws_iam_role\.deploy\) can read the token of runner docker-stg /)]);
  });

  it("two roots' runners of the same name: each is proven as <folder>/<name> (before: RF903 'a second manager', staging not proven)", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-same-addresses-ec2-docker-same-runner-name')));
    expect(r.findings.filter((f) => f.code === 'RF903' || f.code === 'RF106')).toEqual([]);
    expect(rf721(r)).toEqual([expect.stringMatching(/^prod\/main\.tf:61:24 the ID-token role gitlab-deploy-prod \(prod\/aws_iam_role\.deploy\) can read the token of runner prod\/docker-ci \(its token parameter \/ci\/docker-ci\/token\): ssm:GetParameter;/)]);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([expect.stringMatching(/^only the manager can read the token parameter \/ci\/docker-ci\/token /)]);
    expect([...new Set(r.proofs.map((p) => p.runner))]).toEqual(['prod/docker-ci', 'staging/docker-ci', 'id-token gitlab-deploy-prod', 'id-token gitlab-deploy-staging']);
    expect(r.proofs.filter((p) => p.runner === 'staging/docker-ci' && p.claim.includes('ci-docker-runner-staging'))).not.toEqual([]);
    // One root alone keeps the runner's own name.
    const alone = doctor(corpusFiles(join(CORPUS, 'two-roots-same-addresses-ec2-docker-same-runner-name', 'staging')));
    expect([...new Set(alone.proofs.map((p) => p.runner))]).toEqual(['docker-ci', 'id-token gitlab-deploy-staging']);
  });

  it("runners of two accounts: a role that reads every parameter under /ci/ of its own account is said to read that account's runners, not every runner's", () => {
    const files = corpusFiles(join(CORPUS, 'two-roots-different-accounts-ec2-docker')).map((f) => (f.path === 'prod/main.tf' ? { ...f, bytes: Buffer.from(Buffer.from(f.bytes).toString().replace('Action = "ecs:UpdateService", Resource = "*"', 'Action = ["ssm:GetParameter", "kms:Decrypt"], Resource = "*"')) } : f));
    const r = doctor(files);
    expect(rf721(r)).toEqual([expect.stringMatching(/^prod\/main\.tf:78:24 the ID-token role gitlab-deploy-prod \(prod\/aws_iam_role\.deploy\) can read the token of every runner of account 111111111111 under \/ci\/ \(its grant covers any runner name there; a role reads the parameters of its own account only\): ssm:GetParameter, kms:Decrypt/)]);
    // Staging's runner, in account 222222222222, is not read by it.
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.runner)).toEqual(['docker-ci']);
  });

  it("a role of a root with no runner is asked in its own root's account: another account's reads none; prod's reads prod's; one not shown is RF903, no proof made", () => {
    const AUDIT = join(CORPUS, 'two-roots-different-accounts-ec2-docker-audit-root');
    const withAccount = (line: string) => corpusFiles(AUDIT).map((f) => (f.path === 'tools/main.tf' ? { ...f, bytes: Buffer.from(Buffer.from(f.bytes).toString().replace('  allowed_account_ids = ["333333333333"]\n', line)) } : f));
    const other = doctor(corpusFiles(AUDIT));
    expect(other.findings.filter((f) => f.code === 'RF721' || f.code === 'RF903')).toEqual([]);
    expect(other.proofs.filter((p) => !p.holds)).toEqual([]);
    const prod = doctor(withAccount('  allowed_account_ids = ["111111111111"]\n'));
    expect(rf721(prod)).toEqual([expect.stringMatching(/^ role audit \(aws_iam_role\.audit\) can read the token of every runner of account 111111111111 under \/ci\/ /)]);
    expect(prod.proofs.filter((p) => !p.holds).map((p) => p.runner)).toEqual(['docker-ci']);
    const unstated = doctor(withAccount(''));
    expect(rf721(unstated)).toEqual([]);
    expect(unstated.findings.filter((f) => f.code === 'RF903').map((f) => `${f.path} ${f.message}`)).toEqual([expect.stringMatching(/^tools\/main\.tf:6:1 whether role audit \(aws_iam_role\.audit\) can read the token of every runner under \/ci\/ .* is not shown: the aws provider of its root states no account/)]);
    expect(unstated.proofs.filter((p) => !p.holds).map((p) => p.runner).sort()).toEqual(['docker-ci', 'docker-stg']);
  });

  it("the parameters all in one root: the stand-in has that root's default_tags, not those of another root given first (as that root alone)", () => {
    const runner = corpusFiles(join(CORPUS, 'two-roots-same-addresses-ec2-docker-tag-reader', 'staging')).map((f) => ({
      ...f,
      path: f.path.replace(/^/, 'runner/'),
      bytes: Buffer.from(Buffer.from(f.bytes).toString().replace('Action = "ecs:UpdateService", Resource = "*"', 'Action = "ssm:GetParameter", Resource = "arn:aws:ssm:*:111122223333:parameter/ci/*", Condition = { StringEquals = { "aws:ResourceTag/environment" = "staging" } }')),
    }));
    const base: InputFile = { path: 'base/main.tf', bytes: Buffer.from('provider "aws" {\n  region = "eu-west-1"\n  default_tags {\n    tags = { environment = "prod" }\n  }\n}\n\nresource "aws_iam_role" "other" {\n  name = "other"\n  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })\n}\n') };
    const alone = rf721(doctor(runner));
    expect(alone).toEqual([expect.stringMatching(/can read the token of every runner under \/ci\/docker-stg\/ /)]);
    expect(rf721(doctor([base, ...runner]))).toEqual(alone);
  });
});

describe('doctor: the tags of resources of several `terraform show -json` plans', () => {
  const TAGGED = join(CORPUS, 'two-plans-same-addresses-tags-all');
  type Plan = { planned_values: { root_module: { resources: { type: string; name: string; values: Record<string, unknown> }[] } }; configuration?: unknown };
  /** The case's files, staging's plan changed by `edit`. */
  const withStaging = (edit: (plan: Plan) => void, extra: InputFile[] = []): InputFile[] => [
    ...corpusFiles(TAGGED).map((f) => {
      if (f.path !== 'staging/plan.json') return f;
      const plan = JSON.parse(Buffer.from(f.bytes).toString()) as Plan;
      edit(plan);
      return { ...f, bytes: Buffer.from(JSON.stringify(plan)) };
    }),
    ...extra,
  ];
  const role = (plan: Plan) => plan.planned_values.root_module.resources.find((r) => r.type === 'aws_iam_role' && r.name === 'manager')!.values;
  const errors = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`);

  it("each manager role has its own plan's tags_all: no RF201 (before: a false RF201 at each manager)", () => {
    const r = doctor(corpusFiles(TAGGED));
    expect(errors(r)).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it("without tags_all, a role has its own plan's provider default_tags; a provider block of another root given does not count", () => {
    const prodRoot: InputFile = { path: 'iam/main.tf', bytes: Buffer.from('provider "aws" {\n  region = "eu-west-1"\n  default_tags {\n    tags = { environment = "prod" }\n  }\n}\n') };
    const noTagsAll = (plan: Plan) => delete role(plan).tags_all;
    expect(errors(doctor(withStaging(noTagsAll, [prodRoot])))).toEqual([]);
    // The plan's provider tags another environment: staging's role is not tagged staging, its cache policy refuses it.
    const other = (plan: Plan) => {
      noTagsAll(plan);
      plan.configuration = JSON.parse(JSON.stringify(plan.configuration).replace('"environment":"staging"', '"environment":"qa"')) as unknown;
    };
    expect(errors(doctor(withStaging(other, [prodRoot])))).toEqual(['RF201 staging/values.yaml:21:9']);
    // tags_all, where shown, is what AWS holds: it wins over the provider configuration.
    expect(errors(doctor(withStaging((plan) => (plan.configuration = JSON.parse(JSON.stringify(plan.configuration).replace('"environment":"staging"', '"environment":"qa"')) as unknown))))).toEqual([]);
  });
});

describe('doctor: two Terraform roots of VM runners in different AWS accounts', () => {
  const ACCOUNTS = join(CORPUS, 'two-roots-different-accounts-ec2-docker');
  const claims = (r: ReturnType<typeof doctor>) => r.proofs.map((p) => `${p.holds} ${p.claim.replace(/ \((checked [^)]*|\d+ instance profiles and task definitions tried)\)$/, '')}`).sort();

  it("each runner is proven in its own root's account, with its own token key: as each folder alone", () => {
    const r = doctor(corpusFiles(ACCOUNTS));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(claims(r)).toEqual([...claims(doctor(corpusFiles(join(ACCOUNTS, 'prod')))), ...claims(doctor(corpusFiles(join(ACCOUNTS, 'staging'))))].sort());
    const claim = r.proofs.map((p) => p.claim).join('\n');
    expect(claim).toContain('vm:instance-profile ci-docker-runner-staging (ec2.amazonaws.com, account 222222222222)');
    expect(claim).toContain('/ci/docker-stg/token and no other runner\'s, and decrypts with arn:aws:kms:eu-west-1:222222222222:key/7b5e9d40-2222-4c3f-8e2a-bbbbbbbbbbbb');
  });

  it("staging's manager naming its parameter in prod's account cannot read its own: RF106, as staging alone", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-different-accounts-ec2-docker-staging-names-prod')));
    const rf106 = r.findings.filter((f) => f.severity !== 'info');
    expect(rf106.map((f) => `${f.code} ${f.path}`)).toEqual(['RF106 staging/main.tf:59:1']);
    expect(rf106[0]!.fix).toContain('arn:aws:ssm:eu-west-1:222222222222:parameter/ci/docker-stg/token');
  });

  it("a role of staging/ that reads staging's token in 222222222222 (and may decrypt) is RF721; the same grant in prod's account reads nothing of staging", () => {
    const grant = (account: string) =>
      doctor(
        corpusFiles(ACCOUNTS).map((f) =>
          f.path === 'staging/main.tf' ? { ...f, bytes: Buffer.from(f.bytes.toString().replace('Action = "ecs:UpdateService", Resource = "*"', `Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:${account}:parameter/ci/docker-stg/token" }, { Effect = "Allow", Action = "kms:Decrypt", Resource = "*"`)) } : f,
        ),
      );
    const rf721 = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.code === 'RF721').map((f) => f.message);
    expect(rf721(grant('222222222222'))).toEqual([expect.stringMatching(/^the ID-token role gitlab-deploy-staging .*\(staging\/aws_iam_role\.deploy\) can read the token of runner docker-stg /)]);
    expect(rf721(grant('111111111111'))).toEqual([]);
  });

  it("Fargate: staging whose provider states no account is proven in its own account the documents do not show, never prod's", () => {
    const r = doctor(corpusFiles(join(CORPUS, 'two-roots-different-accounts-fargate-staging-unstated')));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    const claim = r.proofs.map((p) => p.claim).join('\n');
    expect(claim).toContain('vm:task-definition gitlab-ci-stg-coordinator (ecs-tasks.amazonaws.com, an account the documents do not show)');
    expect(claim).toContain('vm:task-definition gitlab-ci-coordinator (ecs-tasks.amazonaws.com, account 111111111111)');
    expect(text(r)).not.toContain('000000000000');
  });
});

describe('one VM deployment copied into several folders (one module applied per account, the same names)', () => {
  const copies = (name: string, n: number): InputFile[] => {
    const one = corpusFiles(join(CORPUS, name));
    return Array.from({ length: n }, (_, i) => one.map((f) => ({ ...f, path: `account-${i + 1}/${f.path}` }))).flat();
  };
  it('each runner\'s instance profile is its own folder\'s: no RF106 "carries no role" where three profiles share a name', () => {
    const alone = doctor(corpusFiles(join(CORPUS, 'ec2-autoscaler-hand-written')));
    const r = doctor(copies('ec2-autoscaler-hand-written', 3));
    expect(alone.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.chains.size).toBe(3);
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
  });

  it('roles of one name in three folders: RF903 at each copy naming the others, and no proof made for their runners (one copy\'s drift would pass unseen)', () => {
    const files = copies('ec2-autoscaler-hand-written', 3).map((f) => {
      if (f.path !== 'account-2/main.tf') return f;
      const text = f.bytes.toString();
      expect(text).toContain('Action = ["s3:GetObject", "s3:PutObject"]');
      return { ...f, bytes: Buffer.from(text.replace('Action = ["s3:GetObject", "s3:PutObject"]', 'Action = ["s3:GetObject"]')) };
    });
    const r = doctor(files);
    const said = r.findings.filter((f) => f.code === 'RF903' && f.message.startsWith('role gitlab-runner-autoscaler-manager is written once in each of 3 roots given together'));
    expect(said.map((f) => f.path.replace(/:\d+:\d+$/, ''))).toEqual(['account-1/main.tf', 'account-2/main.tf', 'account-3/main.tf']);
    expect(said[0]!.message).toContain('account-2/aws_iam_role.manager, account-3/aws_iam_role.manager');
    expect(r.proofs.length).toBeGreaterThan(0);
    expect(r.proofs.filter((p) => p.holds)).toEqual([]);
    // Each folder on its own: account-2's missing s3:PutObject is found.
    const second = doctor(corpusFiles(join(CORPUS, 'ec2-autoscaler-hand-written')).map((f) => (f.path === 'main.tf' ? { ...f, bytes: Buffer.from(f.bytes.toString().replace('Action = ["s3:GetObject", "s3:PutObject"]', 'Action = ["s3:GetObject"]')) } : f)));
    expect(second.findings.map((f) => f.code)).toContain('RF201');
  });
});

describe('EKS deployments of two roots in two stated accounts', () => {
  const files = (dir: string, edit?: (f: InputFile) => InputFile) => corpusFiles(join(CORPUS, dir)).map((f) => edit?.(f) ?? f);
  it('each runner is proven in its own root\'s account: role ARNs and the OIDC provider of its trusts are its own', () => {
    const r = doctor(files('two-roots-different-accounts-eks'));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.length).toBe(16);
  });

  it('roles of one name in roots of different stated accounts: RF903 at each copy, their runners not proven, and no finding from a proof that read one copy for both (before: 13 false errors, RF104/RF106/RF108/RF201)', () => {
    // staging/ keeps prod's role names (one module applied per account): a copy missing s3:PutObject is not found, but said not proven.
    const r = doctor(files('two-roots-different-accounts-eks', (f) => {
      if (!f.path.startsWith('staging/')) return f;
      const t = f.bytes.toString().replaceAll('-staging', '-prod').replace('Action = ["s3:GetObject", "s3:PutObject"]', 'Action = ["s3:GetObject"]').replaceAll('example-prod-runner-cache', 'example-staging-runner-cache');
      return { ...f, bytes: Buffer.from(t) };
    }));
    const said = r.findings.filter((f) => f.code === 'RF903' && / is written once in each of 2 roots given together/.test(f.message));
    expect(said.map((f) => f.path.replace(/:\d+:\d+$/, '')).sort()).toEqual(['prod/main.tf', 'prod/main.tf', 'staging/main.tf', 'staging/main.tf']);
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(r.proofs.filter((p) => p.holds)).toEqual([]);
  });
});

describe('roots that each call one shared module whose manager keeps one runner name', () => {
  // cmdlabs/terraform-aws-gitlab-runner-scale: nine examples call `../../`; the launch template is
  // written once, in the module's file, so "the folder of the file" was one folder for all nine:
  // eight were RF903 "a second manager for runner docker-runner-instance-id; only the first is
  // proven" with the fix "give one deployment per folder", which they were.
  const manager = [
    'variable "runner_token" {',
    '  type      = string',
    '  sensitive = true',
    '}',
    'resource "aws_iam_role" "m" {',
    '  name               = "manager"',
    '  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })',
    '}',
    'resource "aws_iam_instance_profile" "m" {',
    '  name = "manager"',
    '  role = aws_iam_role.m.name',
    '}',
    'resource "aws_launch_template" "m" {',
    '  name                 = "manager"',
    '  image_id             = "ami-0123456789abcdef0"',
    '  instance_type        = "t3.micro"',
    '  iam_instance_profile {',
    '    name = aws_iam_instance_profile.m.name',
    '  }',
    '  metadata_options {',
    '    http_tokens = "required"',
    '  }',
    '  user_data = base64encode(<<-EOT',
    '    #!/bin/bash',
    '    set -euo pipefail',
    '    cat > /etc/gitlab-runner/config.toml <<\'EOF\'',
    '    [[runners]]',
    '      name = "ci"',
    '      url = "https://gitlab.example.com"',
    '      token = "${var.runner_token}"',
    '      executor = "docker"',
    '      [runners.docker]',
    '        image = "alpine:3.22"',
    '    EOF',
    '  EOT',
    '  )',
    '}',
    'resource "aws_autoscaling_group" "m" {',
    '  name                 = "manager"',
    '  min_size             = 1',
    '  max_size             = 1',
    '  launch_template {',
    '    id = aws_launch_template.m.id',
    '  }',
    '  vpc_zone_identifier  = ["subnet-0123456789abcdef0"]',
    '}',
  ].join('\n');
  const call = 'module "runner" {\n  source       = "../mod"\n  runner_token = "x"\n}\n';
  const enc = (s: string) => new TextEncoder().encode(s);
  const files = (roots: string[]): InputFile[] => [{ path: 'mod/main.tf', bytes: enc(manager) }, ...roots.map((r) => ({ path: `${r}/main.tf`, bytes: enc(call) }))];
  it("each root's instance is a runner of its own, named <root folder>/<name>, and proven", () => {
    const r = doctor(files(['prod', 'staging']));
    expect(r.findings.filter((f) => f.message.includes('a second manager'))).toEqual([]);
    expect([...new Set(r.proofs.map((p) => p.runner))]).toEqual(['prod/ci', 'staging/ci']);
  });
  it('one root alone keeps the name', () => {
    expect([...new Set(doctor(files(['prod'])).proofs.map((p) => p.runner))]).toEqual(['ci']);
  });
});
