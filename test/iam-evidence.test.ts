import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planExample, damagedFiles, type DamagedRoot } from './helpers/fleet.js';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import type { EmittedFleet } from '../src/emit/types.js';
import { corpusCaseDir } from './helpers/corpus-case.js';

/**
 * Issue 7u: the proofs stop at IAM evidence they cannot read. A managed policy whose statements
 * are not in the documents makes what its role may do unknown (not proven); a documented AWS
 * managed policy is evaluated as AWS documents it; a runner token parameter must be encrypted.
 */
type Root = DamagedRoot;
const damaged = damagedFiles;

const AWS = 'terraform/aws/main.tf.json';
const proof = (r: { proofs: { claim: string; holds: boolean; runner: string }[] }, runner: string, claim: RegExp) => r.proofs.find((p) => p.runner === runner && claim.test(p.claim));

/** plan's verification of an example's emitted documents after an edit (a deep copy: facts are cached per root). */
function planVerify(example: string, change: (root: Root) => void) {
  const plan = planExample(example);
  const emitted = structuredClone<EmittedFleet>(plan.emitted!);
  change(emitted.terraformAws as unknown as Root);
  return verifyFleet(intentOf(plan.fleet!), emitted);
}

const attach = (root: Root, key: string, role: string, arn: string) => {
  root.resource.aws_iam_role_policy_attachment = { ...(root.resource.aws_iam_role_policy_attachment ?? {}), [key]: { role: `\${aws_iam_role.${role}.name}`, policy_arn: arn } };
};

describe('managed policies attached to runner roles (item 1)', () => {
  it('as generated: every proof holds, no RF903 about policies (doctor and plan)', () => {
    for (const example of ['eks-irsa', 'ec2-docker', 'ecs-fargate', 'cross-account-deploy']) {
      const r = doctor(damaged(example, AWS, () => undefined));
      expect(r.findings.filter((f) => /a policy whose statements are not in the documents/.test(f.message))).toEqual([]);
      expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
      const p = planVerify(example, () => undefined);
      expect(p.proofs.filter((x) => !x.holds)).toEqual([]);
    }
  });

  it('AdministratorAccess on the jobs and AmazonS3FullAccess on the manager: evaluated as AWS documents them', () => {
    const change = (root: Root) => {
      attach(root, 'jobs_admin', 'build-jobs', 'arn:aws:iam::aws:policy/AdministratorAccess');
      attach(root, 'mgr_s3', 'build-manager', 'arn:aws:iam::aws:policy/AmazonS3FullAccess');
    };
    const r = doctor(damaged('eks-irsa', AWS, change));
    const codes = r.findings.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['RF302', 'RF306', 'RF203', 'RF202']));
    expect(r.exitCode).toBe(1);
    expect(proof(r, 'build', /^jobs cannot reach cache/)?.holds).toBe(false);
    expect(proof(r, 'build', /^the manager reads and writes build\//)?.holds).toBe(false);
    // The other runner is untouched.
    expect(proof(r, 'deploy', /^jobs cannot reach cache/)?.holds).toBe(true);
    // plan reads the same documents the same way.
    const p = planVerify('eks-irsa', change);
    expect(p.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['RF302', 'RF306', 'RF203', 'RF202']));
  });

  it('managed_policy_arns on the role counts like an attachment', () => {
    const r = doctor(damaged('eks-irsa', AWS, (root) => (root.resource.aws_iam_role!['build-jobs']!.managed_policy_arns = ['arn:aws:iam::aws:policy/AdministratorAccess'])));
    expect(r.findings.map((f) => f.code)).toContain('RF302');
    expect(proof(r, 'build', /^jobs cannot reach cache/)?.holds).toBe(false);
  });

  it.each([
    ['an AWS managed policy the doctor has no content for', 'arn:aws:iam::aws:policy/AmazonSSMFullAccess'],
    ['a customer managed policy of the account that is not in the files', 'arn:aws:iam::123456789012:policy/ci-extra'],
    ['a reference to an aws_iam_policy that is not in the files', '${aws_iam_policy.missing.arn}'],
  ])('%s: RF903 naming the attachment and the ARN, and the proofs about the role do not hold', (_name, arn) => {
    const r = doctor(damaged('eks-irsa', AWS, (root) => attach(root, 'extra', 'build-jobs', arn)));
    const rf903 = r.findings.find((f) => f.code === 'RF903' && f.message.includes('aws_iam_role_policy_attachment.extra') && f.message.includes(arn));
    expect(rf903?.message).toMatch(/role acme-build-jobs/);
    expect(rf903?.path).toMatch(/^terraform\/aws\/main\.tf\.json:\d+:\d+$/);
    expect(proof(r, 'build', /^jobs cannot reach cache/)?.holds).toBe(false);
    // What does not depend on the role's permissions is still proven.
    expect(proof(r, 'build', /^only .* can assume the jobs role/)?.holds).toBe(true);
    expect(proof(r, 'deploy', /^jobs cannot reach cache/)?.holds).toBe(true);
  });

  it('an unknown policy on a VM manager: its platform proofs (token, compute) do not hold', () => {
    const r = doctor(damaged('ec2-docker', AWS, (root) => attach(root, 'extra', 'docker-manager', 'arn:aws:iam::123456789012:policy/ci-extra')));
    expect(r.findings.some((f) => f.code === 'RF903' && f.message.includes('arn:aws:iam::123456789012:policy/ci-extra'))).toBe(true);
    expect(proof(r, 'docker', /^the manager reads its token parameter/)?.holds).toBe(false);
    expect(proof(r, 'docker', /^the manager reads and writes/)?.holds).toBe(false);
  });

  it('an unknown policy on a job role with deploy targets: its reach proofs do not hold', () => {
    const r = doctor(damaged('cross-account-deploy', AWS, (root) => attach(root, 'extra', 'deploy-jobs', 'arn:aws:iam::123456789012:policy/ci-extra')));
    const reach = r.proofs.filter((p) => /job role \S+-deploy-jobs /.test(p.claim));
    expect(reach.length).toBeGreaterThan(0);
    expect(reach.every((p) => !p.holds)).toBe(true);
  });

  it('HCL: an attachment in a module counts the same', () => {
    const dir = corpusCaseDir('module-irsa-sound');
    const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    const files = (extra: string): InputFile[] =>
      walk(dir)
        .filter((p) => !p.endsWith('expected.json'))
        .map((p) => {
          const rel = relative(dir, p);
          const text = readFileSync(p, 'utf8') + (rel === 'terraform/modules/irsa/main.tf' ? extra : '');
          return { path: rel, bytes: new TextEncoder().encode(text) };
        });
    const sound = doctor(files(''));
    expect(sound.proofs.every((p) => p.holds)).toBe(true);
    const admin = doctor(files('\nresource "aws_iam_role_policy_attachment" "extra" {\n  role       = aws_iam_role.this.name\n  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n'));
    expect(admin.exitCode).toBe(1);
    expect(admin.proofs.some((p) => !p.holds)).toBe(true);
    const unknown = doctor(files('\nresource "aws_iam_role_policy_attachment" "extra" {\n  role       = aws_iam_role.this.name\n  policy_arn = "arn:aws:iam::123456789012:policy/ci-extra"\n}\n'));
    expect(unknown.findings.some((f) => f.code === 'RF903' && f.message.includes('arn:aws:iam::123456789012:policy/ci-extra'))).toBe(true);
    expect(unknown.proofs.some((p) => !p.holds)).toBe(true);
    // managed_policy_arns on the module's role: said at the role, in the module's file.
    const viaArns = doctor(files('').map((f) => (f.path === 'terraform/modules/irsa/main.tf' ? { path: f.path, bytes: new TextEncoder().encode(new TextDecoder().decode(f.bytes).replace('  assume_role_policy = data.aws_iam_policy_document.trust.json', '  assume_role_policy  = data.aws_iam_policy_document.trust.json\n  managed_policy_arns = ["arn:aws:iam::123456789012:policy/ci-extra"]')) } : f)));
    const at = viaArns.findings.filter((f) => f.code === 'RF903' && f.message.includes('managed_policy_arns'));
    expect(at.length).toBeGreaterThan(0); // both roles come from one place in the module: said once there (onePerPlace)
    for (const f of at) expect(f.path).toMatch(/^terraform\/modules\/irsa\/main\.tf:\d+:\d+$/);
    expect(viaArns.proofs.filter((p) => /cache/.test(p.claim)).every((p) => !p.holds)).toBe(true);
  });
});

describe('the runner token parameter is a SecureString (item 16)', () => {
  const plain = (root: Root) => {
    const p = root.resource.aws_ssm_parameter!.docker_runner_token!;
    p.type = 'String';
    delete p.key_id;
  };
  it('doctor: a String parameter is RF712 at the parameter, and the token proof does not hold', () => {
    const sound = doctor(damaged('ec2-docker', AWS, () => undefined));
    expect(proof(sound, 'docker', /^the manager reads its token parameter/)?.holds).toBe(true);
    const r = doctor(damaged('ec2-docker', AWS, plain));
    const rf712 = r.findings.find((f) => f.code === 'RF712' && /not SecureString/.test(f.message));
    expect(rf712?.path).toMatch(/^terraform\/aws\/main\.tf\.json:\d+:\d+$/);
    expect(rf712?.received).toBe('"String"');
    expect(proof(r, 'docker', /^the manager reads its token parameter/)?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('plan: the same documents give the same finding', () => {
    const p = planVerify('ec2-docker', plain);
    expect(p.findings.some((f) => f.code === 'RF712' && /not SecureString/.test(f.message))).toBe(true);
    expect(proof(p, 'docker', /^the manager reads its token parameter/)?.holds).toBe(false);
  });
});

describe('principals of a runner role trust other than its compute (item 6)', () => {
  const addTrust = (root: Root, role: string, statement: Record<string, unknown>) => {
    const r = root.resource.aws_iam_role![role]!;
    const doc = JSON.parse(String(r.assume_role_policy)) as { Statement: unknown[] };
    doc.Statement = [...(Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]), statement];
    r.assume_role_policy = JSON.stringify(doc);
  };
  const grantJobs = (root: Root, resource: string) => {
    const p = root.resource.aws_iam_role_policy!['build-jobs']!;
    const doc = JSON.parse(String(p.policy)) as { Statement: unknown[] };
    doc.Statement.push({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: resource });
    p.policy = JSON.stringify(doc);
  };
  const JOBS = 'arn:aws:iam::123456789012:role/runner-fleet/acme-build-jobs';
  const MANAGER = 'arn:aws:iam::123456789012:role/runner-fleet/acme-build-manager';
  const onlyManager = /^only devops:ci-build\/build-manager can assume the manager role/;
  const notSame = /^the job identity is not the manager identity$/;

  it('as generated: the "only X can assume" proofs and the identity split hold (plan and doctor)', () => {
    for (const r of [doctor(damaged('eks-irsa', AWS, () => undefined)), planVerify('eks-irsa', () => undefined)]) {
      expect(proof(r, 'build', onlyManager)?.holds).toBe(true);
      expect(proof(r, 'build', notSame)?.holds).toBe(true);
    }
  });

  it('the manager trust names the job role: RF103 naming it, RF105, and both proofs fail (plan and doctor)', () => {
    const change = (root: Root) => {
      addTrust(root, 'build-manager', { Effect: 'Allow', Principal: { AWS: JOBS }, Action: 'sts:AssumeRole' });
      grantJobs(root, MANAGER);
    };
    for (const r of [doctor(damaged('eks-irsa', AWS, change)), planVerify('eks-irsa', change)]) {
      expect(r.findings.find((f) => f.code === 'RF103' && f.message.includes(JOBS))?.message).toMatch(/manager role acme-build-manager can also be assumed by AWS principal/);
      expect(r.findings.some((f) => f.code === 'RF105' && /acme-build-jobs can assume the manager role acme-build-manager/.test(f.message))).toBe(true);
      expect(proof(r, 'build', onlyManager)?.holds).toBe(false);
      expect(proof(r, 'build', notSame)?.holds).toBe(false);
      expect(proof(r, 'deploy', /^only devops:ci-deploy\/deploy-manager can assume/)?.holds).toBe(true);
    }
  });

  it.each([
    ['the own account root', { AWS: 'arn:aws:iam::123456789012:root' }, /account 123456789012/],
    ['a bare account id', { AWS: '123456789012' }, /account 123456789012/],
    ['anyone', '*', /anyone/],
    ['another service', { Service: 'lambda.amazonaws.com' }, /service lambda\.amazonaws\.com/],
  ])('the manager trust admits %s: RF103 and the proof fails', (_name, principal, label) => {
    const change = (root: Root) => addTrust(root, 'build-manager', { Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' });
    for (const r of [doctor(damaged('eks-irsa', AWS, change)), planVerify('eks-irsa', change)]) {
      expect(r.findings.find((f) => f.code === 'RF103' && label.test(f.message))).toBeDefined();
      expect(proof(r, 'build', onlyManager)?.holds).toBe(false);
    }
  });

  it('the account root plus sts:AssumeRole in the job permissions: the jobs can become the manager (RF105)', () => {
    const change = (root: Root) => {
      addTrust(root, 'build-manager', { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'sts:AssumeRole' });
      grantJobs(root, MANAGER);
    };
    const r = doctor(damaged('eks-irsa', AWS, change));
    expect(r.findings.some((f) => f.code === 'RF105')).toBe(true);
    expect(proof(r, 'build', notSame)?.holds).toBe(false);
  });

  it('a VM manager role trusting a second service: RF103 (the platform service is not foreign)', () => {
    const sound = planVerify('ec2-docker', () => undefined);
    expect(sound.findings.filter((f) => f.code === 'RF103')).toEqual([]);
    const r = planVerify('ec2-docker', (root) => addTrust(root, 'docker-manager', { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }));
    expect(r.findings.some((f) => f.code === 'RF103' && /lambda\.amazonaws\.com/.test(f.message))).toBe(true);
    expect(proof(r, 'docker', /^only .* can assume the manager role/)?.holds).toBe(false);
  });

  it('doctor: a deploy target whose trust became the CI account root stays in the proofs, not holding (RF110)', () => {
    const files = damaged('cross-account-deploy', 'terraform/aws-333333333333/main.tf.json', (root) => {
      const r = root.resource.aws_iam_role!['deploy-production']!;
      const d = JSON.parse(String(r.assume_role_policy)) as { Statement: Record<string, unknown>[] };
      d.Statement[0]!.Principal = { AWS: 'arn:aws:iam::123456789012:root' };
      r.assume_role_policy = JSON.stringify(d);
    });
    const sound = doctor(damaged('cross-account-deploy', AWS, () => undefined));
    const r = doctor(files);
    expect(r.proofs.length).toBe(sound.proofs.length);
    const target = r.proofs.find((p) => /can assume deploy target production/.test(p.claim));
    expect(target?.holds).toBe(false);
    expect(r.findings.some((f) => f.code === 'RF110' && f.message.includes('arn:aws:iam::123456789012:root'))).toBe(true);
  });
});
