import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { caseFiles } from './helpers/corpus-case.js';
import { argoApplication, placeOf } from './helpers/doctor.js';

/**
 * Issue 34d: the manager as its namespace's `default` service account on AKS. Issue 33d built the
 * `<ns>/default` chain and its RF103 with AWS's words ("every such pod gets the manager's role").
 * With Azure Workload Identity the account gets the identity through its client-id annotation and
 * a federated credential for system:serviceaccount:<ns>:default; the webhook injects it into pods
 * labelled azure.workload.identity/use: "true", and any pod running as the account can project its
 * token for audience api://AzureADTokenExchange. The finding now says so, and its fix names the
 * federated credential to move. Built from the sound corpus case quickstart-sound.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const textsOf = (dir: string): Record<string, string> => Object.fromEntries([...caseFiles(dir)].map(([path, bytes]) => [path, bytes.toString('utf8')]));
const indent = (text: string) => text.split('\n').map((l) => (l === '' ? l : `        ${l}`)).join('\n');

/** quickstart-sound with its values in an Argo CD Application into gitlab-runner; `asDefault`: the values name no account, and the manager's annotation, federated credential and RoleBinding are `default`'s. */
const deployment = (asDefault: boolean): Record<string, string> => {
  const f = textsOf(join(import.meta.dirname, 'doctor', 'azure', 'quickstart-sound'));
  let values = f['helm/values.yaml']!;
  delete f['helm/values.yaml'];
  if (asDefault) {
    expect(values).toContain('serviceAccount:\n  create: false\n  name: gitlab-runner\n');
    values = values.replace('serviceAccount:\n  create: false\n  name: gitlab-runner\n', '');
    f['terraform/service-accounts.tf.json'] = f['terraform/service-accounts.tf.json']!.replace('"name": "gitlab-runner",', '"name": "default",');
    f['terraform/identity.tf.json'] = f['terraform/identity.tf.json']!.replace('system:serviceaccount:gitlab-runner:gitlab-runner"', 'system:serviceaccount:gitlab-runner:default"');
    f['k8s/rbac.yaml'] = f['k8s/rbac.yaml']!.replace(/subjects:\n(\s+- kind: ServiceAccount\n\s+)name: gitlab-runner/, 'subjects:\n$1name: default');
    expect(f['terraform/identity.tf.json']).toContain('system:serviceaccount:gitlab-runner:default');
    expect(f['k8s/rbac.yaml']).toMatch(/name: default\n\s+namespace: gitlab-runner/);
  }
  f['argocd/app.yaml'] = argoApplication({ helm: `      values: |\n${indent(values)}\n`, namespace: 'gitlab-runner', targetRevision: '0.71.0' });
  return f;
};

describe('the manager as gitlab-runner/default with Azure Workload Identity', () => {
  it('RF103 (error) at the client-id annotation of default, in Azure\'s words: the federated credential for system:serviceaccount:gitlab-runner:default, the webhook and its label, the projected token', () => {
    const f = deployment(true);
    const r = run(f);
    expect([...r.chains.values()].flat().join('\n')).toContain('manager gitlab-runner/default');
    const [shared, ...more] = of(r, 'RF103');
    expect(more).toEqual([]);
    expect(shared!.severity).toBe('error');
    expect(shared!.path).toBe(placeOf('terraform/service-accounts.tf.json', f['terraform/service-accounts.tf.json']!, '"${azurerm_user_assigned_identity.manager.client_id}"'));
    expect(shared!.message).toMatch(/^the manager's managed identity id-gitlab-runner is bound to gitlab-runner\/default, the namespace's default service account, which the chart runs the manager as/);
    expect(shared!.message).toContain('its federated credential trusts system:serviceaccount:gitlab-runner:default, so any such pod can take the manager\'s managed identity');
    expect(shared!.message).toContain('labelled azure.workload.identity/use: "true"');
    expect(shared!.message).toContain('audience api://AzureADTokenExchange');
    expect(shared!.message).not.toContain("gets the manager's managed identity");
    expect(shared!.fix).toMatch(/^give the manager a service account of its own \(serviceAccount\.create: true, serviceAccount\.name\), annotate gitlab-runner\/<its name> with the client id of id-gitlab-runner, give id-gitlab-runner a federated credential for system:serviceaccount:gitlab-runner:<its name> instead of system:serviceaccount:gitlab-runner:default, and remove the annotation of gitlab-runner\/default$/);
    expect(r.exitCode).toBe(1);
  });

  it('twin: the values name the manager\'s own account gitlab-runner: no RF103, nothing said', () => {
    const r = run(deployment(false));
    expect(of(r, 'RF103')).toEqual([]);
    expect([...r.chains.values()].flat().join('\n')).toContain('manager gitlab-runner/gitlab-runner');
    expect(r.findings).toEqual([]);
  });
});
