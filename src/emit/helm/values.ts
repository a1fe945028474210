import { stringify as tomlStringify } from 'smol-toml';
import { writeToml } from '../toml/writer.js';
import type { KubernetesNames, ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import { sortObject } from '../toml/kubernetes-executor.js';

/** The official chart these values are written for (keys read from its values.yaml and templates). */
export const GITLAB_RUNNER_CHART = { name: 'gitlab-runner', repo: 'https://charts.gitlab.io', version: '0.86.0', appVersion: '18.9.0' } as const;

/**
 * The `runners.config` template the chart merges into `[[runners]]`: everything but url, token
 * and name, which the chart fills from gitlabUrl, the token Secret and the release.
 */
export function chartRunnerToml(runnerSection: Record<string, unknown>): string {
  const rest = Object.fromEntries(Object.entries(runnerSection).filter(([k]) => k !== 'url' && k !== 'token' && k !== 'name'));
  const doc = { runners: [rest] };
  return writeToml(doc) ?? tomlStringify(doc);
}

/** The spec's grace period, raised to the runner's maximum job timeout plus a minute when shorter. */
export function managerGracePeriodSeconds(runner: ResolvedRunner): number {
  const longest = runner.spec.gitlab.maximumTimeoutSeconds;
  return Math.max(runner.spec.manager.terminationGracePeriodSeconds, longest !== undefined ? longest + 60 : 0);
}

export function helmValues(
  fleet: ResolvedFleet,
  runner: ResolvedRunner,
  names: KubernetesNames,
  runnerToml: string,
  podLabels: Record<string, string>,
): Record<string, unknown> {
  const m = runner.spec.manager;
  const values: Record<string, unknown> = {
    gitlabUrl: fleet.gitlabUrl,
    concurrent: runner.spec.concurrent,
    checkInterval: runner.spec.checkIntervalSeconds,
    logLevel: m.logLevel,
    // A rollout or a node drain gives the manager time to finish the longest job it may run.
    terminationGracePeriodSeconds: managerGracePeriodSeconds(runner),
    // With a glrt- token this removes the runner manager (this host), not the runner itself.
    unregisterRunners: true,
    rbac: { create: false },
    serviceAccount: { create: false, name: names.managerServiceAccount },
    runners: {
      secret: names.tokenSecret,
      config: runnerToml,
    },
    metrics: { enabled: m.metrics },
    podLabels: sortObject(podLabels),
    // Meets Pod Security restricted (proven from these values, RF308).
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: false,
      runAsNonRoot: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    podSecurityContext: { runAsUser: 100, runAsNonRoot: true, fsGroup: 65533, seccompProfile: { type: 'RuntimeDefault' } },
  };
  if (Object.keys(m.nodeSelector).length > 0) values.nodeSelector = sortObject(m.nodeSelector);
  if (m.tolerations.length > 0) values.tolerations = m.tolerations.map((t) => ({ key: t.key, operator: t.operator, ...(t.operator === 'Equal' && t.value !== undefined ? { value: t.value } : {}), effect: t.effect }));
  return values;
}

/** The top-level keys of the chart's values.yaml that runner-fleet may write (checked by tests). */
export const CHART_VALUE_KEYS = new Set([
  'gitlabUrl', 'runnerToken', 'concurrent', 'checkInterval', 'logLevel', 'logFormat', 'sentryDsn', 'connectionMaxAge',
  'shutdown_timeout', 'terminationGracePeriodSeconds', 'unregisterRunners', 'rbac', 'serviceAccount', 'runners', 'metrics',
  'service', 'podLabels', 'podAnnotations', 'nodeSelector', 'tolerations', 'affinity', 'topologySpreadConstraints',
  'priorityClassName', 'runtimeClassName', 'schedulerName', 'securityContext', 'podSecurityContext', 'image',
  'imagePullPolicy', 'imagePullSecrets', 'replicas', 'resources', 'strategy', 'extraEnv', 'extraEnvFrom', 'envVars',
  'secrets', 'configMaps', 'volumes', 'volumeMounts', 'automountServiceAccountToken', 'hostAliases', 'deploymentAnnotations',
  'deploymentLabels', 'deploymentLifecycle', 'livenessProbe', 'readinessProbe', 'probeTimeoutSeconds', 'useTini',
  'certsSecretName', 'preEntrypointScript', 'sessionServer', 'revisionHistoryLimit', 'nameOverride', 'fullnameOverride',
]);
