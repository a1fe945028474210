import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { corpusCaseFile } from './helpers/corpus-case.js';

/**
 * docker-autoscaler workers and Fargate job tasks in deployments written by hand: who reaches their
 * TCP 22 is read from the security group they really use, whatever the user named it, and a group
 * the documents do not hold is "not shown", never a proof that holds because no rule was found; a
 * worker launch template with an instance profile gives the worker host a role (the manager's is
 * RF713).
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/hand-vm/${name}`, import.meta.url), 'utf8');
const AUTOSCALER = fixture('autoscaler.tf');
// The hand-written Fargate runner of the doctor corpus (helper 10e wrote it from the same deployment).
const FARGATE = corpusCaseFile('ecs-fargate-hand-written', 'main.tf');
const run = (tf: string): DoctorResult => doctor([{ path: 'runner/main.tf', bytes: new TextEncoder().encode(tf) }]);
const WORKERS = 'workers accept SSH from the manager only';
const TASKS = 'job tasks accept SSH from the manager only';
const proof = (r: DoctorResult, claim: string) => r.proofs.find((p) => p.claim === claim);
const swap = (text: string, from: string, to: string) => {
  expect(text).toContain(from);
  return text.replace(from, to);
};

describe('doctor: SSH to docker-autoscaler workers, hand-written', () => {
  it('a rule admitting only the manager group, under the user\'s own names, holds', () => {
    const r = run(AUTOSCALER);
    expect(proof(r, WORKERS)?.holds).toBe(true);
    expect(r.findings.filter((f) => f.code === 'RF716' || f.code === 'RF903')).toEqual([]);
  });

  it('a rule on the workers\' group that admits 0.0.0.0/0 fails the proof (before: it held, the rule was never looked at)', () => {
    const r = run(swap(AUTOSCALER, 'referenced_security_group_id = aws_security_group.manager.id', 'cidr_ipv4 = "0.0.0.0/0"'));
    expect(proof(r, WORKERS)?.holds).toBe(false);
    const f = r.findings.find((x) => x.code === 'RF716');
    expect(f?.message).toContain('aws_vpc_security_group_ingress_rule.workers_ssh opens tcp 22-22 to 0.0.0.0/0');
  });

  it('workers whose launch template names no security group: not shown (the VPC default group), the proof does not hold', () => {
    const r = run(swap(AUTOSCALER, '  vpc_security_group_ids = [aws_security_group.workers.id]\n', ''));
    expect(proof(r, WORKERS)?.holds).toBe(false);
    const f = r.findings.find((x) => x.code === 'RF903' && x.message.includes('security group of the workers'));
    expect(f?.message).toContain('is not in the documents');
    expect(f?.fix).toContain("VPC's default group");
  });
});

describe('doctor: the instance profile of docker-autoscaler workers, hand-written', () => {
  const PROFILE = 'workers carry no instance profile: a job finds no AWS credentials on its worker';
  const withProfile = (name: string) => swap(AUTOSCALER, '  name_prefix   = "gitlab-ci-worker-"\n', `  name_prefix   = "gitlab-ci-worker-"\n  iam_instance_profile {\n    name = ${name}\n  }\n`);

  it('no profile on the workers: the proof holds', () => {
    expect(proof(run(AUTOSCALER), PROFILE)?.holds).toBe(true);
  });

  it("the manager's instance profile on the workers is RF713, an error (before: 8/8 proofs held)", () => {
    const r = run(withProfile('aws_iam_instance_profile.manager.name'));
    expect(proof(r, PROFILE)?.holds).toBe(false);
    const f = r.findings.find((x) => x.code === 'RF713');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain("carry the manager's instance profile (instance profile gitlab-runner-autoscaler-manager)");
    expect(f?.fix).toContain('remove iam_instance_profile from the workers');
  });

  it('another profile on the workers is named as a warning: a role no runner setting declares', () => {
    const other = `${withProfile('aws_iam_instance_profile.worker.name')}\nresource "aws_iam_role" "worker" {\n  name = "gitlab-ci-worker"\n  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json\n}\nresource "aws_iam_instance_profile" "worker" {\n  name = "gitlab-ci-worker"\n  role = aws_iam_role.worker.name\n}\n`;
    const r = run(other);
    expect(proof(r, PROFILE)?.holds).toBe(false);
    const f = r.findings.find((x) => x.code === 'RF713');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('carry the instance profile gitlab-ci-worker');
  });

  // Issue 52d: the workers' profile given as a literal ARN (`arn = "arn:aws:iam::…:instance-profile/…"`)
  // was not matched to the manager's profile Terraform declares by name: the manager's own profile on
  // the workers was only "another profile" (a warning). Now matched by the ARN's name, in the root's account.
  const withArn = (arn: string) => swap(AUTOSCALER, '  name_prefix   = "gitlab-ci-worker-"\n', `  name_prefix   = "gitlab-ci-worker-"\n  iam_instance_profile {\n    arn = "${arn}"\n  }\n`);
  it("the manager's profile on the workers by its literal ARN is RF713, an error, naming the profile", () => {
    const r = run(withArn('arn:aws:iam::111122223333:instance-profile/gitlab-runner-autoscaler-manager'));
    const f = r.findings.filter((x) => x.code === 'RF713');
    expect(f.map((x) => x.severity)).toEqual(['error']);
    expect(f[0]!.message).toContain("carry the manager's instance profile (instance profile gitlab-runner-autoscaler-manager)");
  });
  it('an ARN under an IAM path, no account written: matched by its name too', () => {
    const r = run(withArn('arn:aws:iam:::instance-profile/ci/gitlab-runner-autoscaler-manager'));
    expect(r.findings.filter((x) => x.code === 'RF713').map((x) => x.severity)).toEqual(['error']);
  });
  it("the passing twins: another profile's ARN, or the manager's name in another account, is a warning only", () => {
    // Named as the take-over text names it (issue 53d): the profile's name, and the account where it is not the root's.
    for (const [arn, shown] of [
      ['arn:aws:iam::111122223333:instance-profile/gitlab-ci-worker', 'gitlab-ci-worker'],
      ['arn:aws:iam::444455556666:instance-profile/gitlab-runner-autoscaler-manager', 'gitlab-runner-autoscaler-manager in account 444455556666'],
    ]) {
      const f = run(withArn(arn!)).findings.filter((x) => x.code === 'RF713');
      expect(f.map((x) => x.severity)).toEqual(['warning']);
      expect(f[0]!.message).toContain(`carry the instance profile ${shown}:`);
    }
  });

  // The take-over text of a privileged job reads the workers' profile as RF713 does (one reader):
  // named as RF713 names it, and an empty block is no profile in both.
  const privileged = (tf: string) => swap(tf, '        image = "alpine:3.20"\n', '        image = "alpine:3.20"\n        privileged = true\n');
  const takeOver = (r: DoctorResult) => r.findings.find((x) => x.code === 'RF301')?.message;

  it("a privileged job takes over the workers' profile, named as RF713 names it (the profile's name, not its Terraform block)", () => {
    const r = run(privileged(withProfile('aws_iam_instance_profile.manager.name')));
    expect(takeOver(r)).toMatch(/, and the role of the worker instance profile gitlab-runner-autoscaler-manager$/);
    expect(r.findings.find((x) => x.code === 'RF713')?.message).toContain('(instance profile gitlab-runner-autoscaler-manager)');
  });

  // Issue 53d: a profile given by its literal ARN was shown whole in the take-over text (and RF713):
  // now by its name, with its account only where the ARN's is not the root's.
  it("a literal ARN on the workers: the take-over text names the profile, not the ARN (before: the whole ARN)", () => {
    const msg = takeOver(run(privileged(withArn('arn:aws:iam::111122223333:instance-profile/ci/gitlab-ci-worker'))));
    expect(msg).toMatch(/, and the role of the worker instance profile gitlab-ci-worker$/);
    expect(msg).not.toContain('arn:');
  });
  it('the twin: an ARN in another account names the profile and that account', () => {
    expect(takeOver(run(privileged(withArn('arn:aws:iam::444455556666:instance-profile/gitlab-ci-worker'))))).toMatch(/, and the role of the worker instance profile gitlab-ci-worker in account 444455556666$/);
  });

  it('an empty profile name on the workers is no profile: the proof holds and the take-over names none', () => {
    const r = run(privileged(withProfile('""')));
    expect(proof(r, PROFILE)?.holds).toBe(true);
    expect(takeOver(r)).toBe('runner autoscaler, line 156 of runner/main.tf: job containers run privileged: a job can take over the worker instance: the jobs it runs at the same time (capacity_per_instance) and the ones after it (max_use_count)');
  });
});

describe('doctor: SSH to Fargate job tasks, hand-written', () => {
  it('the group fargate.toml names, with an inline rule from the manager group only, holds', () => {
    const r = run(FARGATE);
    expect(proof(r, TASKS)?.holds).toBe(true);
    expect(r.findings.filter((f) => f.code === 'RF716')).toEqual([]);
  });

  it('an inline rule that also admits 10.0.0.0/8 fails the proof (before: it held, the group was never found)', () => {
    const wider = swap(FARGATE, '    security_groups = [aws_security_group.manager.id]\n  }', '    security_groups = [aws_security_group.manager.id]\n  }\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }');
    const r = run(wider);
    expect(proof(r, TASKS)?.holds).toBe(false);
    expect(r.findings.find((x) => x.code === 'RF716')?.message).toMatch(/inline ingress rule for tcp 22-22 from 10\.0\.0\.0\/8/);
  });

  it('a group fargate.toml names by id, not in the documents: not shown, the proof does not hold', () => {
    const r = run(swap(FARGATE, 'SecurityGroup = "${aws_security_group.tasks.id}"', 'SecurityGroup = "sg-0123456789abcdef0"'));
    expect(proof(r, TASKS)?.holds).toBe(false);
    expect(r.findings.some((x) => x.code === 'RF903' && x.message.includes('security group of the tasks'))).toBe(true);
  });
});
