import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { caseFiles } from './helpers/corpus-case.js';
import { argoApplication } from './helpers/doctor.js';

/**
 * Jobs in a namespace of their own (GitLab's advice, seen in sempernow/gitlab-runner): the chart's
 * manager in one namespace, `[runners.kubernetes] namespace` another. The doctor's chains had one
 * namespace per runner: values alone took the manager's from the jobs' (a false RF904 for the
 * manager's ServiceAccount), a helm_release's looked the jobs' ServiceAccount up in the manager's
 * (a false RF904), and the jobs' IRSA / Azure Workload Identity proofs read the wrong subject.
 * Each case is built from a sound corpus case by changing the files the split touches.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const errors = (r: DoctorResult) => r.findings.filter((f) => f.severity === 'error');
const summary = (r: DoctorResult) => [...r.chains.values()].flat().join('\n');
/** No error, the manager and its jobs read in the namespaces named, and every proof made holds (at least one made). */
const expectSound = (r: DoctorResult, manager: string, jobs: string) => {
  expect(errors(r)).toEqual([]);
  expect(summary(r)).toContain(`manager ${manager}`);
  expect(summary(r)).toContain(`jobs ${jobs}`);
  expect(r.proofs.length).toBeGreaterThan(0);
  expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
};

/** Every file of a corpus case (expected.json left out), by its path in the case, through the corpus loader (a case may be built on a base). */
const textsOf = (dir: string): Record<string, string> => Object.fromEntries([...caseFiles(dir)].map(([path, bytes]) => [path, bytes.toString('utf8')]));
const corpus = (name: string) => textsOf(join(import.meta.dirname, 'doctor', 'corpus', name));
const azureCase = (name: string) => textsOf(join(import.meta.dirname, 'doctor', 'azure', name));

/** A Namespace enforcing baseline, and a Role of the executor's verbs with its RoleBinding to the manager, in `ns`. */
const jobsNamespaceObjects = (ns: string, manager: { ns: string; name: string }, enforce = 'baseline') => `---
apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    pod-security.kubernetes.io/enforce: ${enforce}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: gitlab-runner-jobs
  namespace: ${ns}
rules:
  - apiGroups: [""]
    resources: [pods, pods/exec, pods/attach, pods/log, secrets, configmaps]
    verbs: [get, list, watch, create, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: gitlab-runner-jobs
  namespace: ${ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: gitlab-runner-jobs
subjects:
  - kind: ServiceAccount
    name: ${manager.name}
    namespace: ${manager.ns}
`;

/** The jobs' ServiceAccount of irsa-guide-sound's k8s.yaml, in the manager's namespace `gitlab`. */
const JOBS_SA_IN_GITLAB = /kind: ServiceAccount\nmetadata:\n {2}name: gitlab-runner-jobs\n {2}namespace: gitlab\n/;

/** irsa-guide-sound with jobs in glr-jobs: their ServiceAccount, Role for the manager and Namespace there; the jobs' trust naming `trustNs`. */
function eksValuesAlone(opts: { trustNs?: string; managerRoleThere?: boolean; jobsEnforce?: string } = {}): Record<string, string> {
  const files = corpus('irsa-guide-sound');
  expect(files['k8s.yaml']).toMatch(JOBS_SA_IN_GITLAB);
  let k8s = files['k8s.yaml']!.replace(JOBS_SA_IN_GITLAB, 'kind: ServiceAccount\nmetadata:\n  name: gitlab-runner-jobs\n  namespace: glr-jobs\n');
  if (opts.managerRoleThere !== false) k8s += jobsNamespaceObjects('glr-jobs', { ns: 'gitlab', name: 'gitlab-runner' }, opts.jobsEnforce);
  else k8s += `---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: glr-jobs\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n`;
  files['k8s.yaml'] = k8s;
  files['values.yaml'] = files['values.yaml']!.replace('namespace = "gitlab"', 'namespace = "glr-jobs"');
  files['iam/gitlab-runner-jobs.trust.json'] = files['iam/gitlab-runner-jobs.trust.json']!.replace('system:serviceaccount:gitlab:gitlab-runner-jobs', `system:serviceaccount:${opts.trustNs ?? 'glr-jobs'}:gitlab-runner-jobs`);
  return files;
}

describe('EKS (IRSA), chart values alone: manager in gitlab, jobs in glr-jobs', () => {
  it('no RF904: the manager is read in the namespace of its one ServiceAccount given, the jobs in theirs, and every proof holds', () => {
    const r = run(eksValuesAlone());
    expect(codes(r, 'RF904')).toEqual([]);
    expectSound(r, 'gitlab/gitlab-runner', 'glr-jobs/gitlab-runner-jobs');
  });

  it("the jobs' trust naming the manager's namespace (system:serviceaccount:gitlab:gitlab-runner-jobs) is the drift: the jobs cannot assume their role", () => {
    const r = run(eksValuesAlone({ trustNs: 'gitlab' }));
    const refused = errors(r).filter((f) => f.message.includes('glr-jobs/gitlab-runner-jobs') && f.message.includes('gitlab-runner-jobs'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.map((f) => f.fix).join('\n')).toContain('system:serviceaccount:glr-jobs:gitlab-runner-jobs');
    expect(r.proofs.some((p) => !p.holds)).toBe(true);
  });

  it("RF935: the manager's Role only in its own namespace while its jobs run in glr-jobs (it cannot create their pods)", () => {
    const r = run(eksValuesAlone({ managerRoleThere: false }));
    const rf935 = codes(r, 'RF935');
    expect(rf935).toHaveLength(1);
    expect(rf935[0]!.message).toContain('namespace gitlab (RoleBinding gitlab/gitlab-runner)');
    expect(rf935[0]!.message).toContain('job pods run in namespace glr-jobs');
    expect(rf935[0]!.fix).toContain('in namespace glr-jobs and a RoleBinding there to ServiceAccount gitlab/gitlab-runner');
    // At what decides it: the jobs' namespace line inside runners.config (was rbac.create).
    const values = eksValuesAlone()['values.yaml']!.split('\n');
    const line = values.findIndex((l) => l.trim() === 'namespace = "glr-jobs"');
    expect(line).toBeGreaterThan(0);
    expect(rf935[0]!.path).toBe(`values.yaml:${line + 1}:${values[line]!.indexOf('namespace') + 1}`);
    expect(codes(r, 'RF904')).toEqual([]);
    // The chain ends there: its proof does not hold.
    expect(r.proofs.find((p) => p.claim.startsWith('every reference resolves'))?.holds).toBe(false);
  });

  it("no RoleBinding of the manager at all: RF106 says the Role belongs in glr-jobs, where its job pods run (not RF935)", () => {
    const f = eksValuesAlone({ managerRoleThere: false });
    f['k8s.yaml'] = f['k8s.yaml']!.replace(/---\napiVersion: rbac.authorization.k8s.io\/v1\nkind: RoleBinding\n[\s\S]*?namespace: gitlab\n(?=---|$)/, '');
    expect(f['k8s.yaml']).not.toContain('kind: RoleBinding');
    const r = run(f);
    expect(codes(r, 'RF935')).toEqual([]);
    const rf106 = codes(r, 'RF106').filter((x) => x.message.includes('gives the manager'));
    expect(rf106).toHaveLength(1);
    expect(rf106[0]!.message).toContain('a Role in namespace glr-jobs, where its job pods run');
  });

  it("RF935 is not raised where a ClusterRoleBinding gives the manager its Role (guard)", () => {
    const f = eksValuesAlone({ managerRoleThere: false });
    f['k8s.yaml'] = f['k8s.yaml']!.replace(/kind: RoleBinding\nmetadata:\n {2}name: gitlab-runner\n {2}namespace: gitlab\nroleRef:\n {2}apiGroup: rbac.authorization.k8s.io\n {2}kind: Role\n/, 'kind: ClusterRoleBinding\nmetadata:\n  name: gitlab-runner\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n').replace(/kind: Role\nmetadata:\n {2}name: gitlab-runner\n {2}namespace: gitlab\n/, 'kind: ClusterRole\nmetadata:\n  name: gitlab-runner\n');
    const r = run(f);
    expect(codes(r, 'RF935')).toEqual([]);
  });

  it("RF307 judges the jobs' namespace, where job pods run: glr-jobs enforcing privileged is named", () => {
    const r = run(eksValuesAlone({ jobsEnforce: 'privileged' }));
    const rf307 = codes(r, 'RF307');
    expect(rf307).toHaveLength(1);
    expect(rf307[0]!.message).toContain('namespace glr-jobs enforces Pod Security');
  });
});

describe('EKS (IRSA), a helm_release in gitlab with [runners.kubernetes] namespace = "glr-jobs"', () => {
  const JOBS_SA_TF = /(resource "kubernetes_service_account_v1" "jobs" \{\n {2}metadata \{\n {4}name {6}= "gitlab-runner-jobs"\n {4}namespace = )"gitlab"/;
  const split = (trustNs = 'glr-jobs'): Record<string, string> => {
    const f = corpus('helm-release-irsa-sound');
    expect(f['main.tf']).toMatch(JOBS_SA_TF);
    f['main.tf'] = f['main.tf']!
      .replace(JOBS_SA_TF, '$1"glr-jobs"')
      .replace('namespace = "gitlab"\n            image', 'namespace = "glr-jobs"\n            image')
      .replace('"${local.oidc}:sub" = "system:serviceaccount:gitlab:gitlab-runner-jobs"', `"\${local.oidc}:sub" = "system:serviceaccount:${trustNs}:gitlab-runner-jobs"`);
    f['k8s.yaml'] += jobsNamespaceObjects('glr-jobs', { ns: 'gitlab', name: 'gitlab-runner' });
    return f;
  };

  it("the jobs' ServiceAccount is looked up in glr-jobs (no RF904/RF903 for it), and the proofs hold", () => {
    const r = run(split());
    expect(r.findings.filter((f) => (f.code === 'RF904' || f.code === 'RF903') && f.message.includes('gitlab-runner-jobs'))).toEqual([]);
    expect(errors(r)).toEqual([]);
    expect(summary(r)).toContain('manager gitlab/gitlab-runner');
    expect(summary(r)).toContain('jobs glr-jobs/gitlab-runner-jobs');
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it("the jobs' trust still naming gitlab: an error names glr-jobs/gitlab-runner-jobs and the subject to trust", () => {
    const r = run(split('gitlab'));
    const refused = errors(r).filter((f) => f.message.includes('glr-jobs/gitlab-runner-jobs'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.map((f) => f.fix).join('\n')).toContain('system:serviceaccount:glr-jobs:gitlab-runner-jobs');
  });
});

describe('AKS (Workload Identity), chart values alone: manager in gitlab-runner, jobs in glr-jobs', () => {
  const split = (credentialNs = 'glr-jobs'): Record<string, string> => {
    const f = azureCase('quickstart-sound');
    const sas = JSON.parse(f['terraform/service-accounts.tf.json']!) as { resource: { kubernetes_service_account_v1: Record<string, { metadata: { namespace: string } }> } };
    sas.resource.kubernetes_service_account_v1.gitlab_runner_jobs!.metadata.namespace = 'glr-jobs';
    f['terraform/service-accounts.tf.json'] = JSON.stringify(sas, null, 1);
    const id = JSON.parse(f['terraform/identity.tf.json']!) as { resource: { azurerm_federated_identity_credential: Record<string, { subject: string }> } };
    id.resource.azurerm_federated_identity_credential.jobs!.subject = `system:serviceaccount:${credentialNs}:gitlab-runner-jobs`;
    f['terraform/identity.tf.json'] = JSON.stringify(id, null, 1);
    f['helm/values.yaml'] = f['helm/values.yaml']!.replace('namespace = "gitlab-runner"', 'namespace = "glr-jobs"');
    f['k8s/rbac.yaml'] += jobsNamespaceObjects('glr-jobs', { ns: 'gitlab-runner', name: 'gitlab-runner' });
    return f;
  };

  it("the jobs' federated credential for system:serviceaccount:glr-jobs:gitlab-runner-jobs is theirs: no finding, the proofs hold", () => {
    const r = run(split());
    expectSound(r, 'gitlab-runner/gitlab-runner', 'glr-jobs/gitlab-runner-jobs');
  });

  it("a credential still for the manager's namespace: the jobs' identity has no credential for glr-jobs/gitlab-runner-jobs", () => {
    const r = run(split('gitlab-runner'));
    const wrong = errors(r).filter((f) => f.message.includes('glr-jobs') && f.message.includes('gitlab-runner-jobs'));
    expect(wrong.length).toBeGreaterThan(0);
    expect(r.proofs.some((p) => !p.holds)).toBe(true);
  });
});

/** The executor's rules for the chart's Role (rbac.rules), so rbac.create is not RF907's every-verb Role. */
const RBAC_RULES = `  rules:
    - resources: [pods, pods/exec, pods/attach, pods/log, secrets, configmaps]
      verbs: [get, list, watch, create, patch, delete]
`;

describe("the chart's namespace values (gitlab-runner chart templates at 0.52, 0.79, 0.86)", () => {
  /** eksValuesAlone with the manager's Role and RoleBinding only in gitlab, and runners.config writing the chart's default namespace line. */
  const chartDefault = (opts: { rbacCreate: boolean }): Record<string, string> => {
    const f = eksValuesAlone({ managerRoleThere: false });
    expect(f['values.yaml']).toContain('namespace = "glr-jobs"');
    f['values.yaml'] = f['values.yaml']!
      .replace('namespace = "glr-jobs"', 'namespace = "{{ default .Release.Namespace .Values.runners.jobNamespace }}"')
      .replace('runners:\n', 'runners:\n  jobNamespace: glr-jobs\n')
      .replace('rbac:\n  create: false\n', opts.rbacCreate ? `rbac:\n  create: true\n${RBAC_RULES}` : 'rbac:\n  create: false\n');
    return f;
  };

  it("runners.jobNamespace fills the chart's default `namespace = \"{{ default .Release.Namespace .Values.runners.jobNamespace }}\"`: jobs in glr-jobs, where rbac.create puts the chart's Role (no RF906, no RF935)", () => {
    const r = run(chartDefault({ rbacCreate: true }));
    expect(codes(r, 'RF906')).toEqual([]);
    expect(codes(r, 'RF935')).toEqual([]);
    expect(errors(r)).toEqual([]);
    expect(summary(r)).toContain('manager gitlab/gitlab-runner');
    expect(summary(r)).toContain('jobs glr-jobs/gitlab-runner-jobs');
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it('RF935 at runners.jobNamespace, the value that decides where the jobs run, when the Role is bound only in gitlab (rbac.create: false)', () => {
    const f = chartDefault({ rbacCreate: false });
    const r = run(f);
    const rf935 = codes(r, 'RF935');
    expect(rf935).toHaveLength(1);
    expect(rf935[0]!.message).toContain('(RoleBinding gitlab/gitlab-runner)');
    expect(rf935[0]!.message).toContain('job pods run in namespace glr-jobs');
    const lines = f['values.yaml']!.split('\n');
    const at = lines.indexOf('  jobNamespace: glr-jobs');
    expect(at).toBeGreaterThan(0);
    expect(rf935[0]!.path).toBe(`values.yaml:${at + 1}:${lines[at]!.indexOf('glr-jobs') + 1}`);
  });

  it("the chart's `namespace` value places the manager (Deployment, ServiceAccount, Secrets): read there, not in the jobs' namespace, though a ServiceAccount of its name is in both", () => {
    const f = eksValuesAlone();
    f['k8s.yaml'] += '---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: gitlab-runner\n  namespace: glr-jobs\n';
    const without = run(f);
    // Without the value, nothing says which is the manager's: the jobs' namespace stands for it.
    expect(summary(without)).toContain('manager glr-jobs/gitlab-runner');
    f['values.yaml'] = `namespace: gitlab\n${f['values.yaml']!}`;
    const r = run(f);
    expect(summary(r)).toContain('manager gitlab/gitlab-runner');
    expect(summary(r)).toContain('jobs glr-jobs/gitlab-runner-jobs');
    expect(errors(r)).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it('runners.namespace (charts until 0.52) places the manager and the jobs both: its KUBERNETES_NAMESPACE wins over the namespace runners.config writes', () => {
    const f = corpus('irsa-guide-sound');
    f['values.yaml'] = f['values.yaml']!.replace('namespace = "gitlab"', 'namespace = "elsewhere"').replace('runners:\n', 'runners:\n  namespace: gitlab\n');
    const r = run(f);
    expect(summary(r)).toContain('manager gitlab/gitlab-runner');
    expect(summary(r)).toContain('jobs gitlab/gitlab-runner-jobs');
    // The line runners.config writes is not where the jobs run: said at it, and only that.
    expect(errors(r).map((x) => `${x.code} ${x.message}`)).toEqual(['RF106 values.yaml: runners.config [runners.kubernetes] namespace is elsewhere, not gitlab']);
  });
});

describe('runners.namespace by the chart version installed (issue 34d; chart templates 0.41.0, 0.44.0, 0.52.0, 0.58.1, 0.86.0)', () => {
  /** irsa-guide-sound's values as an Argo CD Application into namespace gitlab, with the legacy runners.namespace: ci and the chart version given. */
  const release = (targetRevision: string): Record<string, string> => {
    const f = corpus('irsa-guide-sound');
    const values = f['values.yaml']!.replace('runners:\n', 'runners:\n  namespace: ci\n');
    expect(values).toContain('runners:\n  namespace: ci\n  secret:');
    delete f['values.yaml'];
    f['app.yaml'] = argoApplication({ helm: `      values: |\n${values.split('\n').map((l) => (l === '' ? l : `        ${l}`)).join('\n')}\n`, namespace: 'gitlab', targetRevision });
    return f;
  };

  it('0.71.0 reads no runners.namespace: the manager in the release\'s namespace (gitlab), the jobs in runners.config\'s; the key is RF932 and nothing else is said', () => {
    const r = run(release('0.71.0'));
    expect(summary(r)).toContain('manager gitlab/gitlab-runner');
    expect(summary(r)).toContain('jobs gitlab/gitlab-runner-jobs');
    expect(summary(r)).not.toMatch(/\bci\//);
    expect(errors(r)).toEqual([]);
    expect(codes(r, 'RF903')).toEqual([]);
    expect(codes(r, 'RF932').map((x) => x.message)).toEqual([expect.stringMatching(/^runners\.namespace is not read by the gitlab-runner chart 0\.71\.0/)]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it("0.71.0 with rbac.create: the chart's Role and RoleBinding are read in the release's namespace, not in runners.namespace: with the jobs in ci-jobs, RF935 names the Role in gitlab", () => {
    const f = release('0.71.0');
    f['app.yaml'] = f['app.yaml']!.replace('rbac:\n          create: false\n', `rbac:\n          create: true\n${RBAC_RULES.replace(/^/gm, '        ').replace(/ +$/, '')}`).replace('namespace = "gitlab"', 'namespace = "ci-jobs"');
    expect(f['app.yaml']).toContain('create: true\n          rules:');
    f['k8s.yaml'] = f['k8s.yaml']!.replace(/---\napiVersion: rbac.authorization.k8s.io\/v1\nkind: Role\n[\s\S]*?(?=---\napiVersion: v1|$)/, '').replace(/---\napiVersion: rbac.authorization.k8s.io\/v1\nkind: RoleBinding\n[\s\S]*?(?=---|$)/, '');
    expect(f['k8s.yaml']).not.toContain('kind: Role');
    const r = run(f);
    expect(summary(r)).toContain('manager gitlab/gitlab-runner');
    expect(codes(r, 'RF935').map((x) => x.message)).toEqual([expect.stringContaining('given a Role only in namespace gitlab (RoleBinding gitlab/gitlab-runner), but its job pods run in namespace ci-jobs')]);
  });

  it('twin: 0.52.1 places the manager and the jobs in runners.namespace (ci), where the files give neither ServiceAccount: said', () => {
    const r = run(release('0.52.1'));
    expect(summary(r)).toContain('manager ci/gitlab-runner');
    expect(summary(r)).toContain('jobs ci/gitlab-runner-jobs');
    expect(codes(r, 'RF932')).toEqual([]);
    // The files give the manager's ServiceAccount only in gitlab: looked up in ci, not found.
    expect(codes(r, 'RF903').map((x) => x.message)).toContain('service account ci/gitlab-runner of the manager is not in the evidence given');
  });

  it('twin: 0.40.0 runs its jobs in runners.namespace (KUBERNETES_NAMESPACE) and its manager in the release\'s namespace (its Deployment names none)', () => {
    const r = run(release('0.40.0'));
    expect(summary(r)).toContain('manager gitlab/gitlab-runner');
    expect(summary(r)).toContain('jobs ci/gitlab-runner-jobs');
  });
});

describe('a manager workload (no chart): its jobs\' namespace is its ConfigMap\'s', () => {
  /** eks-manager-daemonset with the jobs in ci-jobs: their ServiceAccount and Namespace there, the manager's Role only in ci-runner, or also there. */
  const daemonset = (roleThere: boolean): Record<string, string> => {
    const f = corpus('eks-manager-daemonset');
    expect(f['manager.yaml']).toContain('namespace = "ci-runner"');
    f['manager.yaml'] = f['manager.yaml']!.replace('namespace = "ci-runner"', 'namespace = "ci-jobs"').replace(/name: runner-jobs\n {2}namespace: ci-runner/, 'name: runner-jobs\n  namespace: ci-jobs');
    f['manager.yaml'] += roleThere ? jobsNamespaceObjects('ci-jobs', { ns: 'ci-runner', name: 'runner-manager' }) : '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci-jobs\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n';
    f['roles.tf.json'] = f['roles.tf.json']!.replace('system:serviceaccount:ci-runner:runner-jobs', 'system:serviceaccount:ci-jobs:runner-jobs');
    return f;
  };

  it("RF935 points at the ConfigMap's `namespace = \"ci-jobs\"` line, not at the DaemonSet", () => {
    const f = daemonset(false);
    const r = run(f);
    const rf935 = codes(r, 'RF935');
    expect(rf935).toHaveLength(1);
    expect(rf935[0]!.message).toContain('(RoleBinding ci-runner/runner-manager)');
    const lines = f['manager.yaml']!.split('\n');
    const at = lines.findIndex((l) => l.trim() === 'namespace = "ci-jobs"');
    expect(at).toBeGreaterThan(0);
    expect(rf935[0]!.path).toBe(`manager.yaml:${at + 1}:${lines[at]!.indexOf('namespace') + 1}`);
  });

  it('with its Role bound in ci-jobs: no RF935, no RF106 (guard)', () => {
    const r = run(daemonset(true));
    expect(codes(r, 'RF935')).toEqual([]);
    expect(codes(r, 'RF106')).toEqual([]);
    expect(summary(r)).toContain('jobs ci-jobs/runner-jobs');
  });

  /** two-clusters-same-names-manifests with each cluster's jobs in ci-jobs: the jobs' ServiceAccount, the manager's Role and RoleBinding there, in each folder. */
  const twoClusters = (): Record<string, string> => {
    const f = corpus('two-clusters-same-names-manifests');
    for (const env of ['prod', 'staging']) {
      expect(f[`${env}/manager.yaml`]).toContain('namespace = "gitlab-runner"');
      f[`${env}/manager.yaml`] = f[`${env}/manager.yaml`]!.replace('namespace = "gitlab-runner"', 'namespace = "ci-jobs"');
      f[`${env}/k8s.yaml`] = f[`${env}/k8s.yaml`]!
        .replace(/name: gitlab-runner-jobs\n {2}namespace: gitlab-runner/, 'name: gitlab-runner-jobs\n  namespace: ci-jobs')
        .replace(/kind: Role\nmetadata:\n {2}name: gitlab-runner\n {2}namespace: gitlab-runner/, 'kind: Role\nmetadata:\n  name: gitlab-runner\n  namespace: ci-jobs')
        .replace(/kind: RoleBinding\nmetadata:\n {2}name: gitlab-runner\n {2}namespace: gitlab-runner/, 'kind: RoleBinding\nmetadata:\n  name: gitlab-runner\n  namespace: ci-jobs');
      expect(f[`${env}/k8s.yaml`]!.match(/namespace: ci-jobs/g)).toHaveLength(3);
      f[`${env}/main.tf`] = f[`${env}/main.tf`]!.replace('system:serviceaccount:gitlab-runner:gitlab-runner-jobs', 'system:serviceaccount:ci-jobs:gitlab-runner-jobs');
    }
    return f;
  };
  const shown = (r: DoctorResult) => r.findings.map((x) => `${x.code} ${x.path}`).sort();

  it("two clusters' Deployments, each with its jobs' Role in ci-jobs in its own folder: each reads its own, in either file order (no false RF106/RF903)", () => {
    const f = twoClusters();
    const forward = run(f);
    const backward = run(Object.fromEntries(Object.entries(f).reverse()));
    // The ConfigMaps given after the Deployments, then before them.
    const configLast = run(Object.fromEntries(Object.entries(f).sort(([a], [b]) => Number(a.endsWith('manager.yaml')) - Number(b.endsWith('manager.yaml')))));
    for (const r of [forward, backward, configLast]) {
      expect(codes(r, 'RF106')).toEqual([]);
      expect(codes(r, 'RF903')).toEqual([]);
      expect(shown(r)).toEqual(['RF208 prod/manager.yaml:25:11', 'RF208 staging/manager.yaml:25:11', 'RF301 staging/manager.yaml:19:9']);
      expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
      expect(summary(r)).toContain('jobs ci-jobs/gitlab-runner-jobs (prod/manager.yaml');
      expect(summary(r)).toContain('jobs ci-jobs/gitlab-runner-jobs (staging/manager.yaml');
    }
  });
});

describe('a chart before 0.53.0 with no runners.config: the runner register builds from the legacy runners.* values', () => {
  // philjfoxton/DDImport3 installs chart 0.15.0 with runners.serviceAccountName the manager's own
  // account (bound to a ClusterRole of every verb): the chart gave it to register as
  // KUBERNETES_SERVICE_ACCOUNT, so every job ran as the manager. Before, that chain was "config.toml not in the evidence".
  const values = (jobsSa: string) => `gitlabUrl: https://gitlab.example.com/
rbac:
  create: false
  serviceAccountName: gitlab-runner
runners:
  serviceAccountName: ${jobsSa}
  cache:
    cacheType: s3
    s3BucketName: ci-cache
`;
  const app = (jobsSa: string, targetRevision?: string) => ({
    'app.yaml': argoApplication({ helm: `      values: |\n${values(jobsSa).split('\n').map((l) => (l === '' ? l : `        ${l}`)).join('\n')}\n`, namespace: 'gitlab', ...(targetRevision !== undefined ? { targetRevision } : {}) }),
  });
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it("0.41.0: the jobs run as runners.serviceAccountName; the manager's own is RF905 at that key", () => {
    const files = app('gitlab-runner', '0.41.0');
    const r = run(files);
    expect(summary(r)).toContain('jobs gitlab/gitlab-runner');
    // At the value of runners.serviceAccountName (the line after `runners:`).
    const lines = files['app.yaml'].split('\n');
    const line = lineOf(files['app.yaml'], '  runners:') + 1;
    expect(lines[line - 1]).toMatch(/^ +serviceAccountName: gitlab-runner$/);
    expect(codes(r, 'RF905').map((x) => x.path)).toEqual([`app.yaml:${line}:${lines[line - 1]!.indexOf('gitlab-runner') + 1}`]);
    expect(codes(r, 'RF903').filter((x) => /its config\.toml \(jobs' service account, cache\) is not in the evidence given/.test(x.message))).toEqual([]);
    // Another account: the chain names it, no RF905.
    const other = run(app('gitlab-jobs', '0.41.0'));
    expect(summary(other)).toContain('jobs gitlab/gitlab-jobs');
    expect(codes(other, 'RF905')).toEqual([]);
  });

  it('0.60.0 reads none of it (RF932), and a version not given as one exact version is read as before: no RF905', () => {
    const now = run(app('gitlab-runner', '0.60.0'));
    expect(codes(now, 'RF905')).toEqual([]);
    expect(codes(now, 'RF932').map((x) => x.message)).toContainEqual(expect.stringMatching(/^runners\.serviceAccountName is not read/));
    expect(codes(run(app('gitlab-runner')), 'RF905')).toEqual([]);
  });
});

describe('runners.jobNamespace by the chart version installed (issue 36a; chart 0.73.1 and 0.86.0 templates, CHANGELOG 0.84.0 !522)', () => {
  /** irsa-guide-sound's values as an Argo CD Application into namespace gitlab, jobs in ci-jobs (runners.config), runners.jobNamespace: ci-jobs, the chart's Role (rbac.create) and the chart version given. */
  const release = (targetRevision: string, config: 'literal' | 'named' = 'literal'): Record<string, string> => {
    const f = corpus('irsa-guide-sound');
    let values = f['values.yaml']!.replace('runners:\n', 'runners:\n  jobNamespace: ci-jobs\n').replace('rbac:\n  create: false\n', `rbac:\n  create: true\n${RBAC_RULES}`);
    values = values.replace('namespace = "gitlab"', config === 'literal' ? 'namespace = "ci-jobs"' : 'namespace = "{{ default .Release.Namespace .Values.runners.jobNamespace }}"');
    expect(values).toContain('runners:\n  jobNamespace: ci-jobs\n');
    expect(values).toContain('create: true\n  rules:');
    delete f['values.yaml'];
    f['app.yaml'] = argoApplication({ helm: `      values: |\n${values.split('\n').map((l) => (l === '' ? l : `        ${l}`)).join('\n')}\n`, namespace: 'gitlab', targetRevision });
    f['k8s.yaml'] = f['k8s.yaml']!.replace(/---\napiVersion: rbac.authorization.k8s.io\/v1\nkind: Role\n[\s\S]*?(?=---\napiVersion: v1|$)/, '').replace(/---\napiVersion: rbac.authorization.k8s.io\/v1\nkind: RoleBinding\n[\s\S]*?(?=---|$)/, '');
    expect(f['k8s.yaml']).not.toContain('kind: Role');
    return f;
  };
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('0.83.0 places no Role by runners.jobNamespace: the Role is read in gitlab, the jobs run in ci-jobs (RF935), and the key is RF932 at its value', () => {
    const f = release('0.83.0');
    const r = run(f);
    expect(summary(r)).toContain('jobs ci-jobs/');
    expect(codes(r, 'RF935').map((x) => x.message)).toEqual([expect.stringContaining('given a Role only in namespace gitlab (RoleBinding gitlab/gitlab-runner), but its job pods run in namespace ci-jobs')]);
    const line = lineOf(f['app.yaml']!, 'jobNamespace: ci-jobs');
    expect(codes(r, 'RF932').map((x) => [x.path, x.received])).toEqual([[`app.yaml:${line}:${f['app.yaml']!.split('\n')[line - 1]!.indexOf('ci-jobs') + 1}`, 'ci-jobs']]);
    expect(codes(r, 'RF932')[0]!.message).toMatch(/^runners\.jobNamespace is not read by the gitlab-runner chart 0\.83\.0 this release installs: before 0\.84\.0/);
    // Before 0.79.0 not even the chart's default runners.config names it.
    expect(codes(run(release('0.73.1')), 'RF932').map((x) => x.message)).toEqual([expect.stringMatching(/chart 0\.73\.1 this release installs: the chart reads it only from 0\.79\.0 on/)]);
  });

  it('twin: 0.84.0 (and a version not given as one exact version) places the Role in runners.jobNamespace: no RF935, no RF932', () => {
    for (const version of ['0.84.0', '0.86.0', '0.*']) {
      const r = run(release(version));
      expect(summary(r), version).toContain('jobs ci-jobs/');
      expect(codes(r, 'RF935'), version).toEqual([]);
      expect(codes(r, 'RF932'), version).toEqual([]);
    }
  });

  it('twin: a runners.config that names it is filled by tpl at any version: the jobs in ci-jobs, no RF932 (the Role still by the version)', () => {
    const r = run(release('0.73.1', 'named'));
    expect(summary(r)).toContain('jobs ci-jobs/');
    expect(codes(r, 'RF932')).toEqual([]);
    expect(codes(r, 'RF935').map((x) => x.message)).toEqual([expect.stringContaining('given a Role only in namespace gitlab')]);
  });
});
