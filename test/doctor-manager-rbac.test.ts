import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * RBAC that gives a Kubernetes manager every verb on every resource (a ClusterRole of `*` on `*`, or
 * cluster-admin) is RF907 whether or not the manager's chain can be proven: the chain needs the
 * cloud identity and the config.toml, the RBAC finding needs neither. philjfoxton/DDImport3 binds a
 * `*`/`*`/`*` ClusterRole to its manager's service account; the chain had no config.toml and no
 * cloud identity, so the manager was not among the proven runners and nothing was said.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const file = (path: string, text: string): InputFile => ({ path, bytes: enc(text) });

const values = (config: boolean) => `gitlabUrl: https://gitlab.example.com/
rbac:
  create: false
serviceAccount:
  create: false
  name: gitlab-runner
${config ? 'runners:\n  config: |\n    [[runners]]\n      [runners.kubernetes]\n        namespace = "gitlab"\n        service_account = "gitlab-jobs"\n' : ''}`;
const objects = (verbs: string, roleRef = 'gitlab-runner') => `apiVersion: v1
kind: Namespace
metadata:
  name: gitlab
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: gitlab-runner
  namespace: gitlab
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: gitlab-runner
rules:
  - apiGroups: ["*"]
    resources: ["*"]
    verbs: [${verbs}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: gitlab-runner
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ${roleRef}
subjects:
  - kind: ServiceAccount
    name: gitlab-runner
    namespace: gitlab
`;
// A Helm release of the chart into namespace gitlab, as Argo CD would deploy it: the manager gitlab/gitlab-runner.
const application = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: gitlab-runner
  namespace: argocd
spec:
  source:
    repoURL: https://charts.gitlab.io
    chart: gitlab-runner
    targetRevision: 0.86.0
    helm:
      valueFiles: [values.yaml]
  destination:
    namespace: gitlab
`;
const run = (verbs: string, config = false, roleRef?: string) => doctor([file('values.yaml', values(config)), file('rbac.yaml', objects(verbs, roleRef)), file('application.yaml', application)]);
const rf907 = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.code === 'RF907').map((f) => `${f.path} ${f.message}`);

describe('RBAC of a manager whose chain is not proven', () => {
  it('a ClusterRole of every verb on every resource bound to the manager is RF907 though nothing else of the chain is shown', () => {
    const r = run('"*"');
    expect([...r.chains.values()][0]?.[0]).toMatch(/^manager gitlab\/gitlab-runner /);
    expect(r.proofs).toEqual([]);
    expect(rf907(r)).toEqual([expect.stringMatching(/^rbac\.yaml:\d+:\d+ ClusterRole gitlab-runner gives the manager gitlab\/gitlab-runner every verb on every resource$/)]);
  });

  it('cluster-admin bound to that manager is RF907 too', () => {
    expect(rf907(run('"get"', false, 'cluster-admin'))).toEqual([expect.stringMatching(/ClusterRoleBinding gitlab-runner makes the manager gitlab\/gitlab-runner cluster-admin$/)]);
  });

  it('narrow verbs are no finding, proven chain or not', () => {
    expect(rf907(run('"get", "list"'))).toEqual([]);
    expect(rf907(run('"get", "list"', true))).toEqual([]);
  });
});
