import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { argoApplication, placeOf } from './helpers/doctor.js';

/**
 * Issue 33d: chart values that neither name the manager's service account nor have the chart create
 * one run the manager as its namespace's `default` (the chart's gitlab-runner.serviceAccountName
 * renders an empty serviceAccountName). Before, that was one RF903 and no chain, so nothing about
 * that account was proven. Where the manager's namespace is written (the release's, the chart's
 * `namespace`), the chain is now built with subject <namespace>/default.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const indent = (text: string, n: number) => text.split('\n').map((l) => (l === '' ? l : `${' '.repeat(n)}${l}`)).join('\n');

const VALUES = `gitlabUrl: https://gitlab.example.org/
runners:
  secret: gitlab-runner-token
  config: |
    [[runners]]
      [runners.kubernetes]
        namespace = "ci"
`;
const application = (values: string) => argoApplication({ helm: `      values: |\n${indent(values, 8)}\n`, namespace: 'ci' });

const ISSUER = 'oidc.eks.eu-central-1.amazonaws.com/id/5C9D3A1B7E2F4A6B8C0D2E4F6A8B0C2D';
/** A role trusting the web-identity tokens of ci/<sa>, and a helm_release of the chart into ci with `values`. */
const terraform = (sa: string, values: string) => `data "aws_caller_identity" "current" {}

resource "aws_iam_role" "runner" {
  name = "ci-gitlab-runner"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::\${data.aws_caller_identity.current.account_id}:oidc-provider/${ISSUER}" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${ISSUER}:sub" = "system:serviceaccount:ci:${sa}"
          "${ISSUER}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "helm_release" "gitlab_runner" {
  name       = "gitlab-runner"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.70.3"
  namespace  = "ci"
  values = [<<-YAML
${indent(values, 4)}
  YAML
  ]
}
`;
const JOBS = VALUES.replace('namespace = "ci"', 'namespace = "ci"\n        service_account = "jobs"');
const serviceAccounts = (annotated: string) => `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${annotated}
  namespace: ci
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/ci-gitlab-runner
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: jobs
  namespace: ci
`;

describe('the manager as its namespace\'s default service account', () => {
  // Issue 34e: nothing in these files names a cloud, so the node's role is not known: the same words as RF903, not RF911.
  it('an Application into ci, no account named or created, no identity: the chain ci/default is built; RF903 (no cloud named) says the account is the namespace\'s default, RF905 that jobs share it', () => {
    const r = run({ 'app.yaml': application(VALUES) });
    expect(r.chains.size).toBe(1);
    expect([...r.chains.values()][0]!.join('\n')).toContain('manager ci/default');
    expect(of(r, 'RF903').filter((f) => /name no service account for the manager/.test(f.message))).toEqual([]);
    expect(of(r, 'RF911').filter((f) => f.message.startsWith('the manager'))).toEqual([]);
    const [noIdentity, ...more] = of(r, 'RF903').filter((f) => f.message.startsWith('the manager'));
    expect(more).toEqual([]);
    expect(noIdentity!.message).toMatch(/^the manager ci\/default, the namespace's default service account, which the chart runs the manager as .* every pod of ci that names no service account runs as too.* has no cloud identity of its own/);
    expect(noIdentity!.fix).toMatch(/serviceAccount\.create: true, serviceAccount\.name/);
    // config.toml names no service_account: the job pods run as ci/default too.
    expect(of(r, 'RF905').map((f) => f.message)).toEqual([expect.stringContaining('ci/default')]);
  });

  it('an annotation gives ci/default the manager\'s role: RF103 (error) at the annotation, and the chain\'s proofs run (no RF106 that the values name no account)', () => {
    const tf = terraform('default', JOBS);
    const sas = serviceAccounts('default');
    const r = run({ 'main.tf': tf, 'sa.yaml': sas });
    const [shared, ...more] = of(r, 'RF103');
    expect(more).toEqual([]);
    expect(shared!.path).toBe(placeOf('sa.yaml', sas, 'arn:aws:iam::111122223333:role/ci-gitlab-runner'));
    expect(shared!.severity).toBe('error');
    expect(shared!.message).toMatch(/^the manager's role ci-gitlab-runner is bound to ci\/default, the namespace's default service account.*every such pod gets the manager's role/);
    expect(of(r, 'RF106').filter((f) => /serviceAccount\.name/.test(f.message))).toEqual([]);
    expect([...r.chains.values()][0]!.join('\n')).toContain('manager ci/default');
    expect(r.exitCode).toBe(1);
  });

  it('twin: values that name their own account, annotated with the same role: no RF103, no default', () => {
    const named = JOBS.replace('runners:', 'serviceAccount:\n  create: false\n  name: gitlab-runner\nrunners:');
    const r = run({ 'main.tf': terraform('gitlab-runner', named), 'sa.yaml': serviceAccounts('gitlab-runner') });
    expect(of(r, 'RF103')).toEqual([]);
    expect([...r.chains.values()][0]!.join('\n')).toContain('manager ci/gitlab-runner');
  });

  it('a role trusting ci/default with no annotation on it: the unbound identity is said (the proofs ran for the account), not RF903 "no service account"', () => {
    const r = run({ 'main.tf': terraform('default', JOBS) });
    expect(r.findings.filter((f) => /trusts the web-identity tokens of ci\/default/.test(f.message)).map((f) => f.code)).toEqual(['RF903']);
    expect(of(r, 'RF903').filter((f) => /name no service account/.test(f.message))).toEqual([]);
  });

  it('guard: a values file alone (the manager\'s namespace not written; the jobs\' namespace is no proof of it): RF903 as before, no chain', () => {
    const r = run({ 'values.yaml': VALUES });
    expect(r.chains.size).toBe(0);
    expect(of(r, 'RF903').map((f) => f.message)).toEqual([expect.stringMatching(/^the values name no service account .*the values do not say which namespace that is/)]);
    expect(of(r, 'RF905')).toEqual([]);
  });
});
