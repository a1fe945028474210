import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { atEditSite } from '../src/doctor/edit-site.js';
import { jsonDoctorReport } from '../src/doctor/format.js';
import { inferDeployment } from '../src/doctor/infer.js';
import { verifyFleet } from '../src/verify/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Findings whose fix is an edit elsewhere than the runner's Helm values or helm_release point there
 * (src/doctor/edit-site.ts), found from the finding's structured `subject`, never from its message.
 */
const corpus = (name: string): InputFile[] => corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', name));
const text = (f: InputFile) => Buffer.from(f.bytes).toString('utf8');
/** The case with `from` replaced by `to` in one file (`from` must be there). */
function edited(files: InputFile[], file: string, from: string, to: string): InputFile[] {
  return files.map((f) => {
    if (f.path !== file) return f;
    expect(text(f)).toContain(from);
    return { path: f.path, bytes: Buffer.from(text(f).replace(from, to)) };
  });
}
const at = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);

describe('doctor: edit sites from structured data', () => {
  it('RF712, RF714 and RF722 keep their edit site when the message is worded otherwise', () => {
    const ev = readEvidence(corpus('ecs-fargate-hand-written'));
    const inferred = inferDeployment(ev);
    const found = verifyFleet(inferred.intent, inferred.docs, { selfCheck: false, credentialScan: false, deployment: true }).findings.filter((f) => ['RF712', 'RF714', 'RF722'].includes(f.code));
    expect(found.map((f) => f.code).sort()).toEqual(['RF712', 'RF714', 'RF722']);
    const placed = found.map((f) => atEditSite({ ...f, message: `reworded ${f.code}` }, ev, inferred));
    expect(Object.fromEntries(placed.map((f) => [f.code, f.path]))).toEqual({ RF712: 'main.tf:121:1', RF714: 'main.tf:126:1', RF722: 'main.tf:29:3' });
    expect(placed.find((f) => f.code === 'RF712')?.message).toBe('reworded RF712 (granted by aws_iam_role_policy_attachment.manager_ssm)');
    expect(placed.find((f) => f.code === 'RF714')?.message).toBe('reworded RF714 (granted by aws_iam_role_policy.manager_ecs)');
    // The data is not part of the report.
    for (const f of placed) expect(Object.keys(f)).not.toContain('subject');
  });

  // A guard (it passes on the code before the subject too): the data must stay out of every report.
  it('the subject is never reported: not in the doctor findings, not in its JSON, not in what verify returns for plan', () => {
    const r = doctor(corpus('ecs-fargate-hand-written'));
    expect(r.findings.some((f) => f.code === 'RF714')).toBe(true);
    for (const f of r.findings) expect(Object.keys(f)).not.toContain('subject');
    expect(jsonDoctorReport(r)).not.toContain('"subject"');
    // plan's verify (no deployment option) drops it as well.
    const ev = readEvidence(corpus('ecs-fargate-hand-written'));
    const inferred = inferDeployment(ev);
    const plain = verifyFleet(inferred.intent, inferred.docs, { selfCheck: false, credentialScan: false });
    expect(plain.findings.some((f) => f.code === 'RF714')).toBe(true);
    for (const f of plain.findings) expect(Object.keys(f)).not.toContain('subject');
  });

  it("RF105: jobs admitted by the manager's trust point at that trust", () => {
    const files = edited(corpus('irsa-guide-sound'), 'iam/gitlab-runner-manager.trust.json', '    }\n  ]\n}', '    },\n    { "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:role/gitlab-runner-jobs" }, "Action": "sts:AssumeRole" }\n  ]\n}');
    const r = doctor(files);
    expect(r.findings.find((f) => f.code === 'RF105')?.message).toMatch(/^the jobs' role gitlab-runner-jobs can assume the manager role gitlab-runner-manager/);
    // Before: values.yaml:2:1, the runner's Helm values.
    expect(at(r, 'RF105')).toEqual(['iam/gitlab-runner-manager.trust.json:1:1']);
  });

  it('RF203: a job policy in the .tf that grants the cache bucket is the edit site, and the message names it', () => {
    const files = edited(corpus('helm-release-irsa-sound'), 'main.tf', 'resource "aws_iam_role_policy" "jobs_ecr" {', [
      'resource "aws_iam_role_policy" "jobs_cache" {',
      '  name   = "cache"',
      '  role   = aws_iam_role.jobs.id',
      '  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*", Resource = ["arn:aws:s3:::example-runner-cache", "arn:aws:s3:::example-runner-cache/*"] }] })',
      '}',
      '',
      'resource "aws_iam_role_policy" "jobs_ecr" {',
    ].join('\n'));
    const r = doctor(files);
    const f = r.findings.find((x) => x.code === 'RF203');
    // Before: main.tf:87:1, the helm_release.
    expect(f?.path).toBe('main.tf:55:1');
    expect(f?.message).toMatch(/^job role gitlab-runner-jobs can .* in cache bucket example-runner-cache; jobs only need the presigned URLs the manager gives them \(granted by aws_iam_role_policy\.jobs_cache\)$/);
  });

  it('RF104 of a kubernetes_service_account_v1 points at its eks.amazonaws.com/role-arn annotation, not at metadata', () => {
    const files = edited(corpus('helm-release-irsa-sound'), 'main.tf', '"${local.oidc}:sub" = "system:serviceaccount:gitlab:gitlab-runner-jobs"', '"${local.oidc}:sub" = "system:serviceaccount:gitlab:gitlab-runner-job"');
    const r = doctor(files);
    const f = r.findings.find((x) => x.code === 'RF104');
    expect(f?.message).toContain('ServiceAccount gitlab/gitlab-runner-jobs');
    // Before: main.tf:72:3, the line of `metadata {`.
    expect(f?.path).toBe('main.tf:76:38');
  });
});
