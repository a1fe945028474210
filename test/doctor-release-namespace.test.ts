import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * The gitlab-runner chart renders runners.config with tpl, and its own default config writes
 * `namespace = "{{.Release.Namespace}}"`: the namespace the release is installed in. Before, the
 * doctor read that text as a namespace named `{{.Release.Namespace}}`: the manager had "no cloud
 * identity", and with the namespace known elsewhere a false RF106 said the config named another
 * namespace.
 */
const config = (ns: string) => `[[runners]]\n  [runners.kubernetes]\n    namespace = "${ns}"\n    image = "alpine:3.20"\n    service_account = "ci-jobs"\n  [runners.cache]\n    Type = "s3"\n    Path = "runner"\n    Shared = true\n    [runners.cache.s3]\n      BucketName = "acme-ci-runner-cache"\n      BucketLocation = "eu-west-1"\n`;
const values = (ns: string) => ({
  gitlabUrl: 'https://gitlab.example.com',
  runners: { secret: 'gitlab-runner-token', config: config(ns) },
  rbac: { create: true, rules: [{ apiGroups: [''], resources: ['pods', 'pods/exec', 'pods/attach', 'pods/log', 'secrets', 'configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] }] },
  serviceAccount: { create: false, name: 'gitlab-runner' },
});
const CACHE = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::acme-ci-runner-cache/runner/*' },
    { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-ci-runner-cache', Condition: { StringLike: { 's3:prefix': ['runner/*', 'runner'] } } },
  ],
};
const eksctl = (namespaces: string[]) => ({
  apiVersion: 'eksctl.io/v1alpha5',
  kind: 'ClusterConfig',
  metadata: { name: 'ci', region: 'eu-west-1' },
  iam: {
    withOIDC: true,
    serviceAccounts: namespaces.flatMap((namespace) => [
      { metadata: { name: 'gitlab-runner', namespace }, roleName: `${namespace}-manager`, attachPolicy: CACHE },
      { metadata: { name: 'ci-jobs', namespace }, roleName: `${namespace}-jobs`, attachPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }] } },
    ]),
  },
});
const file = (path: string, v: unknown): InputFile => ({ path, bytes: Buffer.from(typeof v === 'string' ? v : stringify(v)) });

describe('doctor: {{ .Release.Namespace }} in the chart\'s runners.config', () => {
  for (const written of ['{{.Release.Namespace}}', '{{ .Release.Namespace }}', '{{- .Release.Namespace -}}']) {
    it(`${written} with the manager's ServiceAccount given: the namespace is the ServiceAccount's, the chain is proven`, () => {
      const r = doctor([file('cluster.yaml', eksctl(['gitlab'])), file('values.yaml', values(written))]);
      expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.message}`)).toEqual([]);
      expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([]);
      expect(r.proofs.some((p) => p.claim.includes('ci:gitlab/gitlab-runner can assume the manager role gitlab-manager'))).toBe(true);
    });
  }

  it('values alone: RF903 says the namespace is the release\'s, which the values do not give; not "no runner manager" (RF910)', () => {
    const r = doctor([file('values.yaml', values('{{ .Release.Namespace }}'))]);
    expect(r.findings.map((f) => f.code)).toEqual(['RF903']);
    expect(r.findings[0]!.message).toBe('runners.config names the namespace as {{ .Release.Namespace }}, the namespace the release is installed in (helm install --namespace), which the values do not give');
    expect(r.findings[0]!.path).toBe('values.yaml:4:11');
  });

  it('the manager\'s ServiceAccount name in two namespaces: which one is not shown (RF903), none is guessed', () => {
    const r = doctor([file('cluster.yaml', eksctl(['gitlab', 'ci'])), file('values.yaml', values('{{ .Release.Namespace }}'))]);
    expect(r.findings.filter((f) => f.code === 'RF903').map((f) => f.message)).toContain('runners.config names the namespace as {{ .Release.Namespace }}, the namespace the release is installed in (helm install --namespace), which the values do not give');
    expect(r.proofs).toEqual([]);
  });

  it('a helm_release states the namespace: {{ .Release.Namespace }} is that one', () => {
    const hcl = `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab"\n  values     = [file("\${path.module}/values.yaml")]\n}\n`;
    const r = doctor([file('cluster.yaml', eksctl(['gitlab'])), file('values.yaml', values('{{ .Release.Namespace }}')), file('main.tf', hcl)]);
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    expect(r.proofs.some((p) => p.claim.includes('ci:gitlab/gitlab-runner can assume the manager role gitlab-manager'))).toBe(true);
  });
});
