/**
 * Proofs over the emitted VM documents: build a good fleet, break one thing in its documents,
 * and the matching finding must appear (and be absent for the unbroken documents).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { planText } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import type { EmittedFleet } from '../src/emit/types.js';
import type { PolicyDocument, Statement } from '../src/verify/iam/types.js';
import { serializeArtifact } from '../src/emit/serialize.js';

type Res = Record<string, Record<string, Record<string, unknown>>>;

function good(example: string) {
  const plan = planText(readFileSync(`examples/${example}.yaml`, 'utf8'));
  expect(plan.exitCode).toBe(0);
  return { fleet: plan.fleet!, emitted: plan.emitted! };
}

/** A deep copy, so the fact cache (keyed by the root object) sees new documents. */
function copy(docs: EmittedFleet): EmittedFleet {
  return structuredClone(docs);
}

const res = (d: EmittedFleet): Res => d.terraformAws!.resource;

function editPolicy(d: EmittedFleet, key: string, edit: (statements: Statement[]) => void): void {
  const body = res(d).aws_iam_role_policy![key]!;
  const doc = JSON.parse(String(body.policy)) as PolicyDocument;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  edit(statements);
  body.policy = JSON.stringify({ ...doc, Statement: statements });
}

function editTrust(d: EmittedFleet, key: string, edit: (doc: PolicyDocument) => void): void {
  const body = res(d).aws_iam_role![key]!;
  const doc = JSON.parse(String(body.assume_role_policy)) as PolicyDocument;
  edit(doc);
  body.assume_role_policy = JSON.stringify(doc);
}

const sid = (statements: Statement[], id: string) => statements.find((s) => s.Sid === id)!;
const userData = (d: EmittedFleet, runner: string) => d.artifacts.find((a) => a.path === `ec2/${runner}/user-data.sh`)!;

const CASES: { rule: string; example: string; code: string; mutate: (d: EmittedFleet) => void }[] = [
  { rule: 'an ingress rule from 0.0.0.0/0', example: 'ec2-docker', code: 'RF710', mutate: (d) => (res(d).aws_vpc_security_group_ingress_rule = { open: { security_group_id: '${aws_security_group.docker_manager.id}', ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '0.0.0.0/0' } }) },
  { rule: 'an inline ingress block from ::/0', example: 'ec2-docker', code: 'RF710', mutate: (d) => (res(d).aws_security_group!.docker_manager!.ingress = [{ from_port: 22, to_port: 22, protocol: 'tcp', ipv6_cidr_blocks: ['::/0'] }]) },
  { rule: 'an aws_security_group_rule from 0.0.0.0/0', example: 'ec2-autoscaler', code: 'RF710', mutate: (d) => (res(d).aws_security_group_rule = { open: { type: 'ingress', security_group_id: 'sg-1', from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'] } }) },
  { rule: 'IMDSv1 allowed', example: 'ec2-docker', code: 'RF711', mutate: (d) => ((res(d).aws_launch_template!.docker_manager!.metadata_options as Record<string, unknown>).http_tokens = 'optional') },
  { rule: 'IMDSv1 allowed on the workers', example: 'ec2-autoscaler', code: 'RF711', mutate: (d) => delete res(d).aws_launch_template!.autoscale_workers!.metadata_options },
  { rule: 'an unencrypted root volume', example: 'ecs-fargate', code: 'RF715', mutate: (d) => (((res(d).aws_launch_template!.fargate_manager!.block_device_mappings as Record<string, Record<string, unknown>>[])[0]!.ebs!).encrypted = 'false') },
  { rule: 'a key pair on the manager', example: 'ec2-docker', code: 'RF716', mutate: (d) => (res(d).aws_launch_template!.docker_manager!.key_name = 'ops') },
  { rule: 'worker SSH open to a CIDR', example: 'ec2-autoscaler', code: 'RF716', mutate: (d) => (res(d).aws_vpc_security_group_ingress_rule!.autoscale_workers!.cidr_ipv4 = '10.0.0.0/8') },
  { rule: 'task SSH on another port', example: 'ecs-fargate', code: 'RF716', mutate: (d) => (res(d).aws_vpc_security_group_ingress_rule!.fargate_tasks!.to_port = 2222) },
  { rule: 'a runner token in the user data', example: 'ec2-docker', code: 'RF712', mutate: (d) => { const a = userData(d, 'docker'); a.content = `${String(a.content)}\necho glrt-abcdefghijklmnopqrst\n`; } },
  { rule: 'a token parameter with a real value', example: 'ec2-docker', code: 'RF712', mutate: (d) => (res(d).aws_ssm_parameter!.docker_runner_token!.value = 'not-the-placeholder') },
  { rule: 'a token parameter Terraform would overwrite', example: 'ec2-autoscaler', code: 'RF712', mutate: (d) => delete res(d).aws_ssm_parameter!.autoscale_runner_token!.lifecycle },
  { rule: 'an output exposing the token parameter', example: 'ecs-fargate', code: 'RF712', mutate: (d) => (d.terraformAws!.output = { ...d.terraformAws!.output, token: { value: '${aws_ssm_parameter.fargate_runner_token.value}', sensitive: true } }) },
  { rule: "the manager may read other runners' token parameters", example: 'ec2-docker', code: 'RF712', mutate: (d) => editPolicy(d, 'docker_manager_platform', (s) => s.splice(s.indexOf(sid(s, 'NoOtherParameters')), 1)) },
  { rule: 'user data that cannot be read', example: 'ec2-docker', code: 'RF106', mutate: (d) => (res(d).aws_launch_template!.docker_manager!.user_data = '${base64encode(var.script)}') },
  { rule: 'user data that writes another config.toml', example: 'ec2-autoscaler', code: 'RF106', mutate: (d) => (d.runners.autoscale!.configToml = { ...d.runners.autoscale!.configToml, concurrent: 99 }) },
  { rule: 'the instance profile carrying another role', example: 'ec2-docker', code: 'RF104', mutate: (d) => (res(d).aws_iam_instance_profile!.docker_manager!.role = 'some-other-role') },
  { rule: 'job containers reaching the instance credentials', example: 'ec2-docker', code: 'RF713', mutate: (d) => ((res(d).aws_launch_template!.docker_manager!.metadata_options as Record<string, unknown>).http_put_response_hop_limit = 2) },
  { rule: 'a second instance profile with the manager role', example: 'ec2-docker', code: 'RF103', mutate: (d) => (res(d).aws_iam_instance_profile!.rogue = { name: 'rogue', role: '${aws_iam_role.docker-manager.name}' }) },
  { rule: 'a task role trusting ECS tasks of any account', example: 'ecs-fargate', code: 'RF103', mutate: (d) => editTrust(d, 'fargate-jobs', (doc) => delete (Array.isArray(doc.Statement) ? doc.Statement[0]! : doc.Statement).Condition) },
  { rule: 'the task definition running as the manager role', example: 'ecs-fargate', code: 'RF105', mutate: (d) => { res(d).aws_ecs_task_definition!.fargate_jobs!.task_role_arn = '${aws_iam_role.fargate-manager.arn}'; editTrust(d, 'fargate-manager', (doc) => ((doc.Statement as Statement[])[0]!.Principal = { Service: ['ec2.amazonaws.com', 'ecs-tasks.amazonaws.com'] })); } },
  { rule: 'RunTask on any cluster', example: 'ecs-fargate', code: 'RF714', mutate: (d) => editPolicy(d, 'fargate_manager_platform', (s) => delete sid(s, 'RunJobTasks').Condition) },
  { rule: 'PassRole to any service', example: 'ecs-fargate', code: 'RF714', mutate: (d) => editPolicy(d, 'fargate_manager_platform', (s) => delete sid(s, 'PassJobRoles').Condition) },
  { rule: 'scaling any Auto Scaling group', example: 'ec2-autoscaler', code: 'RF714', mutate: (d) => editPolicy(d, 'autoscale_manager_platform', (s) => (sid(s, 'ScaleOwnWorkers').Resource = '*')) },
  { rule: 'Instance Connect to any instance', example: 'ec2-autoscaler', code: 'RF714', mutate: (d) => editPolicy(d, 'autoscale_manager_platform', (s) => delete sid(s, 'ConnectToOwnWorkers').Condition) },
  { rule: 'the instance role reaching the whole cache bucket', example: 'ec2-docker', code: 'RF202', mutate: (d) => editPolicy(d, 'docker_manager_platform', (s) => s.push({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-vm-runner-cache/*' })) },
];

describe('VM proofs: a case per rule, from the emitted documents', () => {
  it.each(CASES)('$rule → $code ($example)', ({ example, code, mutate }) => {
    const { fleet, emitted } = good(example);
    expect(verifyFleet(fleet, emitted).findings.map((f) => f.code)).not.toContain(code);
    const broken = copy(emitted);
    mutate(broken);
    expect(verifyFleet(fleet, broken).findings.map((f) => f.code)).toContain(code);
  });

  it('every VM rule code of the catalogue has a case', () => {
    const codes = new Set(CASES.map((c) => c.code));
    for (const code of ['RF710', 'RF711', 'RF712', 'RF713', 'RF714', 'RF715', 'RF716']) expect(codes).toContain(code);
  });

  it.each(['ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm'])('%s: every proof holds', (example) => {
    const plan = planText(readFileSync(`examples/${example}.yaml`, 'utf8'));
    expect(plan.proofs.length).toBeGreaterThan(0);
    expect(plan.proofs.filter((p) => !p.holds)).toEqual([]);
  });
});

describe('user data is a script without secrets', () => {
  const hasBash = spawnSync('bash', ['--version'], { stdio: 'ignore' }).status === 0;
  for (const example of ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler']) {
    it(`${example}: bash -n passes, gitlab-runner is pinned, the token comes from SSM only`, () => {
      const { fleet, emitted } = good(example);
      const runner = fleet.runners[0]!;
      const script = serializeArtifact(userData(emitted, runner.name)).content;
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
      if (hasBash) {
        const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      } else console.log('SKIPPED: bash -n (no bash)');
      expect(script).toContain(`"gitlab-runner-$RUNNER_VERSION-1"`);
      expect(script).toMatch(/RUNNER_VERSION='\d+\.\d+\.\d+'/);
      expect(script).toContain('aws ssm get-parameter');
      expect(script).toContain(runner.platformNames!.tokenParameter);
      expect(script).not.toMatch(/glrt-|GR1348941|glpat-|AKIA|set -x/);
      // The launch template boots exactly this file.
      const lt = res(emitted).aws_launch_template![`${runner.name}_manager`]!;
      expect(lt.user_data).toBe(`\${filebase64("\${path.module}/../../ec2/${runner.name}/user-data.sh")}`);
    });
  }
  it('bash -n rejects a broken script (the check can fail)', () => {
    if (!hasBash) return;
    expect(spawnSync('bash', ['-n'], { input: 'if then fi\n' }).status).not.toBe(0);
  });
});

describe('ec2-docker with jobsReachInstanceCredentials', () => {
  const text = readFileSync('examples/ec2-docker.yaml', 'utf8').replace('    jobs:\n      image: ubuntu:24.04', '    instance: { jobsReachInstanceCredentials: true }\n    jobs:\n      image: ubuntu:24.04');
  it('is an error (RF713) until the risk is accepted', () => {
    const plan = planText(text);
    expect(plan.exitCode).toBe(1);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toContain('RF713 runners[0].instance.jobsReachInstanceCredentials');
  });
  it('once accepted, uses hop limit 2 and the smoke test expects the instance role', () => {
    const accepted = `${text}    acceptRisks:\n      - code: RF713\n        reason: single-tenant build box for one trusted project\n`;
    const plan = planText(accepted);
    expect(plan.exitCode).toBe(0);
    expect(plan.findings.find((f) => f.code === 'RF713')?.severity).toBe('warning');
    const lt = plan.emitted!.terraformAws!.resource.aws_launch_template!.docker_manager!;
    expect((lt.metadata_options as { http_put_response_hop_limit: number }).http_put_response_hop_limit).toBe(2);
    expect(JSON.stringify(plan.emitted!.runners.docker!.pipeline)).toContain('assumed-role/acme-docker-manager/');
  });
});
