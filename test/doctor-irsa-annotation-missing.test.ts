import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Issue 11c: a manager whose service account carries no eks.amazonaws.com/role-arn annotation while
 * a role of the files trusts exactly its web-identity tokens (the annotation went on another
 * service account) runs with the node's role, and its cache fails with only a warning in the job
 * log. Before, that was one RF911 warning and exit 0. Now it is an error where the service account
 * is in the evidence (its annotations are all there), and "not shown" (RF903) where it is not.
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'helm-release-annotation-on-jobs-sa');
const about = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.message.includes('trusts the web-identity tokens of ci/gitlab-runner'));
const file = (path: string, text: string): InputFile => ({ path, bytes: new TextEncoder().encode(text) });

describe('doctor: a role trusts the manager service account, but no annotation binds it', () => {
  it('the chart creates the account without the annotation: RF904 (error) at the role, naming where the annotation went; exit 1', () => {
    const r = doctor(corpusFiles(CASE));
    const [f, ...more] = about(r);
    expect(more).toEqual([]);
    expect(f?.code).toBe('RF904');
    expect(f?.severity).toBe('error');
    expect(f?.path).toBe('main.tf:10:1');
    expect(f?.message).toContain('role ci-gitlab-runner (aws_iam_role.runner) trusts the web-identity tokens of ci/gitlab-runner (system:serviceaccount:ci:gitlab-runner), but service account ci/gitlab-runner carries no eks.amazonaws.com/role-arn annotation (the annotation naming ci-gitlab-runner is on ci/gitlab-runner-jobs');
    expect(f?.fix).toContain('set { name = "serviceAccount.annotations.eks\\\\.amazonaws\\\\.com/role-arn", value = aws_iam_role.runner.arn }');
    expect(f?.fix).toContain('remove it from ci/gitlab-runner-jobs');
    expect(r.findings.filter((x) => x.code === 'RF911' && x.message.includes('the manager'))).toEqual([]);
    expect(r.exitCode).toBe(1);
  });

  it('the account is not in the evidence (values with serviceAccount.create: false, no manifest): RF903, not an error', () => {
    const tf = readFileSync(join(CASE, 'main.tf'), 'utf8');
    const iam = tf.slice(0, tf.indexOf('resource "helm_release"'));
    const values = ['gitlabUrl: https://gitlab.example.org/', 'serviceAccount:', '  create: false', '  name: gitlab-runner', 'runners:', '  config: |', '    [[runners]]', '      executor = "kubernetes"', '      [runners.kubernetes]', '        namespace = "ci"', '        service_account = "gitlab-runner-jobs"', ''].join('\n');
    const r = doctor([file('iam.tf', iam), file('values.yaml', values)]);
    const [f, ...more] = about(r);
    expect(more).toEqual([]);
    expect(f?.code).toBe('RF903');
    expect(f?.message).toContain('it may be written in a file not given');
    expect(r.findings.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('a role trusting another service account is not taken for the manager\'s: RF911 as before (guard)', () => {
    const tf = readFileSync(join(CASE, 'main.tf'), 'utf8').replace('system:serviceaccount:${local.namespace}:gitlab-runner"', 'system:serviceaccount:${local.namespace}:external-dns"');
    const r = doctor([...corpusFiles(CASE).filter((x) => x.path !== 'main.tf'), file('main.tf', tf)]);
    expect(r.findings.filter((x) => x.message.includes('trusts the web-identity tokens of'))).toEqual([]);
    expect(r.findings.find((x) => x.code === 'RF911')?.message).toContain('has no cloud identity of its own');
  });
});
