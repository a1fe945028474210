import { describe, expect, it } from 'vitest';
import { doctorTexts } from './helpers/doctor.js';

/**
 * A runner operator's Runner object (GitLab Runner Operator, apps.gitlab.com; alekc's
 * gitlab.k8s.alekc.dev): the operator makes the manager from it, which the doctor does not model.
 * Found on alekc/gitlab-runner-operator: its samples were passed by in silence, and RF910 said "no
 * runner manager" without naming them.
 */
const OFFICIAL = `apiVersion: apps.gitlab.com/v1beta2
kind: Runner
metadata:
  name: dev-runner
spec:
  gitlabUrl: https://gitlab.example.com
  token: gitlab-runner-secret
  buildImage: alpine
  tags: openshift
`;
const ALEKC = `apiVersion: gitlab.k8s.alekc.dev/v1beta2
kind: MultiRunner
metadata:
  name: shared
spec:
  gitlab_instance_url: https://gitlab.com
`;

describe('runner operator objects are named, never passed by in silence', () => {
  it('GitLab Runner Operator Runner: one RF902 at it, and RF910 names it as where a manager may come from', () => {
    const r = doctorTexts({ 'deploy/runner.yaml': OFFICIAL });
    const rf902 = r.findings.filter((f) => f.code === 'RF902');
    expect(rf902.map((f) => f.path)).toEqual(['deploy/runner.yaml:1:1']);
    expect(rf902[0]!.message).toBe("a runner operator's object is given: GitLab Runner Operator Runner dev-runner in deploy/runner.yaml; the operator makes the runner manager from it (its Deployment, service account, RBAC and config.toml), which the doctor does not model, so none of that is proven");
    const rf910 = r.findings.find((f) => f.code === 'RF910');
    expect(rf910?.message).toContain('; 1 runner operator object(s), from which an operator the doctor does not model makes the manager (RF902): deploy/runner.yaml');
  });

  it('several, of both operators: one RF902 for all, at the first', () => {
    const r = doctorTexts({ 'a.yaml': OFFICIAL, 'b.yaml': `${ALEKC}---\n${OFFICIAL.replace('dev-runner', 'prod-runner')}` });
    const rf902 = r.findings.filter((f) => f.code === 'RF902');
    expect(rf902).toHaveLength(1);
    expect(rf902[0]!.path).toBe('a.yaml:1:1');
    expect(rf902[0]!.message).toMatch(/^3 runner operator objects are given: GitLab Runner Operator Runner dev-runner in a\.yaml; gitlab\.k8s\.alekc\.dev MultiRunner shared in b\.yaml; GitLab Runner Operator Runner prod-runner in b\.yaml;/);
  });

  it('twin: a Runner of another API group is not a runner operator object', () => {
    const r = doctorTexts({ 'x.yaml': OFFICIAL.replace('apps.gitlab.com/v1beta2', 'example.com/v1') });
    expect(r.findings.filter((f) => f.code === 'RF902')).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF910')?.message).not.toContain('runner operator');
  });
});
