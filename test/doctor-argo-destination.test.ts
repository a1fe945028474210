import { describe, expect, it } from 'vitest';
import { readEvidence, type DoctorResult } from '../src/doctor/index.js';
import { argoPathApplication, doctorTexts, plainManager } from './helpers/doctor.js';

/**
 * Issue 36b. An Argo CD Application's destination.namespace is the namespace of the objects of its
 * source that name none (argo-cd controller/state.go NormalizeTargetObjects); objects with their own
 * keep it. Applied to directory sources and kustomize sources of the files given.
 */

const enc = (t: string) => new TextEncoder().encode(t);
const evidence = (f: Record<string, string>) => readEvidence(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const managerLine = (r: DoctorResult) => [...r.chains.values()].map((l) => l[0]!.split(' (')[0]);
const namespaces = (f: Record<string, string>) => Object.fromEntries(evidence(f).kubernetes.map((o) => [`${o.origin.source.path} ${o.value.kind}`, o.value.metadata.namespace]));

const application = (path: string, directory = '') => argoPathApplication({ path, tail: directory });

const { serviceAccounts: SA, configMap: CONFIG, deployment: DEPLOY } = plainManager();
const manifests = (folder: string): Record<string, string> => ({ [`${folder}/sa.yaml`]: SA, [`${folder}/config.yaml`]: CONFIG, [`${folder}/deploy.yaml`]: DEPLOY });

describe("an Argo CD Application's destination.namespace", () => {
  it('a directory source: the manifests with no namespace are deployed in it (the chain names it)', () => {
    const r = doctorTexts({ 'apps/runner.yaml': application('deploy/runner'), ...manifests('deploy/runner') });
    expect(managerLine(r)).toEqual(['manager ci/gitlab-runner']);
    expect(managerLine(doctorTexts(manifests('deploy/runner')))).toEqual(['manager default/gitlab-runner']);
  });

  it('an object that writes its own namespace keeps it; a cluster-scoped one gets none', () => {
    const own = plainManager({ namespace: 'tools' }).serviceAccounts;
    const ns = namespaces({ 'apps/runner.yaml': application('deploy/runner'), ...manifests('deploy/runner'), 'deploy/runner/sa.yaml': own, 'deploy/runner/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ci\n' });
    expect(ns).toEqual({ 'deploy/runner/sa.yaml ServiceAccount': 'tools', 'deploy/runner/config.yaml ConfigMap': 'ci', 'deploy/runner/deploy.yaml Deployment': 'ci', 'deploy/runner/ns.yaml Namespace': undefined });
  });

  it('a sub-folder is part of a directory source only with directory.recurse', () => {
    const f = { 'deploy/runner/sa.yaml': SA, 'deploy/runner/manager/config.yaml': CONFIG, 'deploy/runner/manager/deploy.yaml': DEPLOY };
    expect(namespaces({ 'apps/runner.yaml': application('deploy/runner'), ...f })['deploy/runner/manager/deploy.yaml Deployment']).toBeUndefined();
    expect(namespaces({ 'apps/runner.yaml': application('deploy/runner', '    directory:\n      recurse: true\n'), ...f })['deploy/runner/manager/deploy.yaml Deployment']).toBe('ci');
  });

  it('a kustomize source: the objects kustomize leaves with no namespace get it; a kustomization namespace wins', () => {
    const plain = { 'apps/runner.yaml': application('deploy/overlay'), ...manifests('deploy/base'), 'deploy/base/kustomization.yaml': 'resources:\n  - sa.yaml\n  - config.yaml\n  - deploy.yaml\n', 'deploy/overlay/kustomization.yaml': 'resources:\n  - ../base\n' };
    expect(managerLine(doctorTexts(plain))).toEqual(['manager ci/gitlab-runner']);
    const named = { ...plain, 'deploy/overlay/kustomization.yaml': 'namespace: runners\nresources:\n  - ../base\n' };
    expect(managerLine(doctorTexts(named))).toEqual(['manager runners/gitlab-runner']);
  });

  it('guard: directory.include / exclude globs (not evaluated) and a Helm source leave the manifests as written', () => {
    const globbed = namespaces({ 'apps/runner.yaml': application('deploy/runner', "    directory:\n      include: '*.yaml'\n"), ...manifests('deploy/runner') });
    expect(globbed['deploy/runner/deploy.yaml Deployment']).toBeUndefined();
    const helm = namespaces({ 'apps/runner.yaml': application('deploy/runner'), ...manifests('deploy/runner'), 'deploy/runner/Chart.yaml': 'apiVersion: v2\nname: runner\nversion: 0.1.0\n' });
    expect(helm['deploy/runner/deploy.yaml Deployment']).toBeUndefined();
  });
});
