import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { damagedFiles, exampleFiles } from './helpers/fleet.js';
import type * as verify from '../src/verify/index.js';

/**
 * The doctor's steps after the proofs (both ends of a refused trust, the audience a trust refuses,
 * one finding per missing service account, a role named at apply) read what the proofs attach as
 * data (`Finding.subject`), never their messages: here every message of the proofs for the codes
 * below is worded otherwise, and each step must still do what it does.
 */
const reword = vi.hoisted(() => ({ codes: new Set<string>() }));
vi.mock('../src/verify/index.js', async (original) => {
  const m = await original<typeof verify>();
  return {
    ...m,
    verifyFleet: (...args: Parameters<typeof m.verifyFleet>) => {
      const v = m.verifyFleet(...args);
      return { ...v, findings: v.findings.map((f) => (reword.codes.has(f.code) ? { ...f, message: `reworded ${f.code}` } : f)) };
    },
  };
});

function worded(codes: string[], run: () => ReturnType<typeof doctor>): ReturnType<typeof doctor> {
  reword.codes = new Set(codes);
  try {
    return run();
  } finally {
    reword.codes = new Set();
  }
}

const corpus = (name: string): InputFile[] => corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', name));
const text = (f: InputFile) => Buffer.from(f.bytes).toString('utf8');
function edited(files: InputFile[], file: string, from: string, to: string): InputFile[] {
  return files.map((f) => {
    if (f.path !== file) return f;
    expect(text(f)).toContain(from);
    return { path: f.path, bytes: Buffer.from(text(f).replace(from, to)) };
  });
}
function editedExample(example: string, path: string, edit: (t: string) => string): InputFile[] {
  return exampleFiles(example).map((f) => {
    const t = f.path === path ? edit(f.content) : f.content;
    if (f.path === path) expect(t).not.toBe(f.content);
    return { path: f.path, bytes: new TextEncoder().encode(t) };
  });
}

describe('doctor: steps after the proofs read the subject, not the message', () => {
  it('RF104 (AWS): both ends of the refused trust, whatever the proof says', () => {
    const files = edited(corpus('helm-release-irsa-sound'), 'main.tf', '"${local.oidc}:sub" = "system:serviceaccount:gitlab:gitlab-runner-jobs"', '"${local.oidc}:sub" = "system:serviceaccount:gitlab:gitlab-runner-job"');
    const plain = doctor(files).findings.filter((f) => f.code === 'RF104');
    const r = worded(['RF104'], () => doctor(files)).findings.filter((f) => f.code === 'RF104');
    expect(plain.map((f) => f.path)).toEqual(['main.tf:76:38']);
    expect(plain[0]!.message).toMatch(/^ServiceAccount gitlab\/gitlab-runner-jobs \(main\.tf:76:38\) → jobs role gitlab-runner-jobs, whose trust \(main\.tf:\d+:\d+\) admits only system:serviceaccount:gitlab:gitlab-runner-job$/);
    expect(r).toEqual(plain);
  });

  it('RF104 (Azure): the service account and the federated credentials, whatever the proof says', () => {
    const files = corpusFiles(join(import.meta.dirname, 'doctor', 'azure', 'suffix-drift'));
    const plain = doctor(files).findings.filter((f) => f.code === 'RF104');
    const r = worded(['RF104'], () => doctor(files)).findings.filter((f) => f.code === 'RF104');
    expect(plain.map((f) => f.path).sort()).toEqual(['service-accounts.tf.json:18:50', 'service-accounts.tf.json:9:50']);
    expect(plain.every((f) => /^ServiceAccount \S+ \(service-accounts\.tf\.json:\d+:50\) → (manager|jobs) managed identity /.test(f.message))).toBe(true);
    expect(r).toEqual(plain);
  });

  it('RF106 (token audience): at the audience annotation, whatever the proof says', () => {
    const files = editedExample('eks-irsa', 'kubernetes/build/service-accounts.yaml', (t) => t.replace('eks.amazonaws.com/audience: sts.amazonaws.com', 'eks.amazonaws.com/audience: gitlab-runner'));
    const plain = doctor(files).findings.find((f) => f.code === 'RF106' && f.message.includes('eks.amazonaws.com/audience=gitlab-runner'));
    expect(plain?.path).toMatch(/^kubernetes\/build\/service-accounts\.yaml:\d+:\d+$/);
    const r = worded(['RF106'], () => doctor(files)).findings.filter((f) => f.code === 'RF106' && f.message.endsWith('reworded RF106'));
    expect(r.map((f) => f.path)).toContain(plain!.path);
  });

  it('RF106 (service account missing) is not said again beside the RF904 at the same key, whatever the proof says', () => {
    const files = editedExample('eks-irsa', 'kubernetes/build/service-accounts.yaml', (t) => t.replace(/name: build-jobs\b/, 'name: build-jobs-gone'));
    const plain = doctor(files);
    const rf904 = plain.findings.find((f) => f.code === 'RF904' && f.message.includes('ci-build/build-jobs,'));
    expect(rf904).toBeDefined();
    expect(plain.findings.filter((f) => f.code === 'RF106' && f.path === rf904!.path)).toEqual([]);
    const r = worded(['RF106'], () => doctor(files));
    expect(r.findings.filter((f) => f.code === 'RF106' && f.path === rf904!.path)).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF904')).toEqual(plain.findings.filter((f) => f.code === 'RF904'));
  });

  it('RF106 (the manager cannot pass a role named at apply) is RF903, whatever the proof says', () => {
    const files = damagedFiles('ecs-fargate', 'terraform/aws/main.tf.json', (root) => {
      const role = root.resource.aws_iam_role!['fargate-jobs']!;
      role.nameless = role.name;
      delete role.name;
    });
    const r = worded(['RF106'], () => doctor(files));
    expect(r.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
    const pass = r.findings.find((f) => f.code === 'RF903' && /^whether .*iam:PassRole/.test(f.message));
    expect(pass?.message).toMatch(/^whether the manager role can iam:PassRole on arn:aws:iam::123456789012:role\/runner-fleet\/terraform-<suffix-picked-at-apply:aws_iam_role\.fargate-jobs> is not shown: the name of aws_iam_role\.fargate-jobs is picked only at apply/);
    expect(pass?.fix).toMatch(/^set name = "<role name>" on aws_iam_role\.fargate-jobs, /);
  });

  // A guard (it passes before the subject too): the data stays out of the report.
  it('the data is never reported', () => {
    const files = editedExample('eks-irsa', 'kubernetes/build/service-accounts.yaml', (t) => t.replace(/name: build-jobs\b/, 'name: build-jobs-gone'));
    for (const f of doctor(files).findings) expect(Object.keys(f)).not.toContain('subject');
  });
});

describe('doctor: RF105 through the job permissions points at the policy that grants them', () => {
  it('a job policy that may rewrite the manager trust: that policy, named in the message', () => {
    const files = edited(corpus('helm-release-irsa-sound'), 'main.tf', 'resource "aws_iam_role_policy" "jobs_ecr" {', [
      'resource "aws_iam_role_policy" "jobs_takeover" {',
      '  name   = "takeover"',
      '  role   = aws_iam_role.jobs.id',
      '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:UpdateAssumeRolePolicy", Resource = "*" }] })',
      '}',
      '',
      'resource "aws_iam_role_policy" "jobs_ecr" {',
    ].join('\n'));
    const f = doctor(files).findings.find((x) => x.code === 'RF105');
    expect(f?.message).toMatch(/^the jobs can become the manager: job role gitlab-runner-jobs may rewrite the trust of manager role gitlab-runner-manager \(iam:UpdateAssumeRolePolicy\) and then assume it \(granted by aws_iam_role_policy\.jobs_takeover\)$/);
    // Before: main.tf:87:1, the helm_release of the runner.
    expect(f?.path).toBe('main.tf:55:1');
  });
});
