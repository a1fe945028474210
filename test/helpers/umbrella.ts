import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorResult } from '../../src/doctor/index.js';
import { CORPUS } from './corpus-case.js';

/**
 * The pieces the umbrella-chart tests (60e, 61e) build their deployments from: the runner values and
 * IAM of the hand-eks-irsa-chart-rbac corpus case, a parent chart listing gitlab-runner as a
 * dependency, and an Argo CD Application installing that parent.
 */
const chartRbac = (file: string) => readFileSync(join(CORPUS, 'hand-eks-irsa-chart-rbac', file), 'utf8');
export const runnerValues = chartRbac('helm/values.yaml');
export const runnerIam = chartRbac('iam/main.tf');

/** `text` (the runner values unless given) indented under `key:`, with `more` lines first. */
export const underKey = (key: string, more = '', text = runnerValues) => `${key}:\n${more}${text.split('\n').map((l) => (l === '' ? l : `  ${l}`)).join('\n')}`;

/** A parent chart whose one dependency is gitlab-runner 0.71.0, with `dependency` lines (alias, condition, tags) added to it. */
export const umbrellaChart = (dependency: string) => `apiVersion: v2\nname: ci-platform\nversion: 0.1.0\ndependencies:\n  - name: gitlab-runner\n    version: 0.71.0\n    repository: https://charts.gitlab.io\n${dependency}`;

/** An Argo CD Application of the parent chart at `platform`, its `valuesObject` the given lines (indented 8). */
export const argoApplication = (valuesObject: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ci
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/platform.git
    path: platform
    targetRevision: main
    helm:
      valuesObject:
${valuesObject}
  destination:
    server: https://kubernetes.default.svc
    namespace: gitlab-runner
`;

export const rf907 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF907');
