import type { ResolvedFleet, ResolvedRunner } from '../model/types.js';
import { gitlabDescription, maintenanceNote } from './marker.js';
import { keyVaultStoreOf } from '../spec/key-vault.js';

/** Where a runner lives in GitLab: the list endpoint that finds it. */
export type RunnerScope =
  | { type: 'group_type'; path: string }
  | { type: 'project_type'; path: string }
  | { type: 'instance_type' };

export const scopeKey = (s: RunnerScope) => (s.type === 'instance_type' ? 'instance' : `${s.type === 'group_type' ? 'group' : 'project'}:${s.path}`);

/** The settings runner-fleet owns in GitLab, with GitLab's own field names (PUT /runners/:id). */
export interface RunnerSettings {
  description: string;
  paused: boolean;
  tag_list: string[];
  run_untagged: boolean;
  locked: boolean;
  access_level: 'not_protected' | 'ref_protected';
  /** null: no upper bound. */
  maximum_timeout: number | null;
  maintenance_note: string;
}

/** Where the runner manager reads its token, and what restarts it. */
export type TokenStoreRef =
  | { kind: 'kubernetes-secret'; cluster: string; namespace: string; secret: string; deployment: string }
  | { kind: 'ssm-parameter'; region: string; parameter: string; autoScalingGroup: string; kmsKeyArn?: string }
  /** AKS with tokenStore.keyVault: the token in Key Vault; `secret` is the Kubernetes Secret the CSI driver syncs it into. */
  | { kind: 'key-vault-secret'; vaultName: string; vaultUrl: string; secretName: string; cluster: string; namespace: string; secret: string; deployment: string };

export interface DesiredRunner {
  name: string;
  scope: RunnerScope;
  registration: 'terraform' | 'api';
  settings: RunnerSettings;
  store: TokenStoreRef;
}

/**
 * The chart's Deployment name (`gitlab-runner.fullname` in the chart's _helpers.tpl): the release
 * name when it already contains the chart name, else `<release>-gitlab-runner`, cut to 63.
 */
export function chartDeploymentName(release: string): string {
  const full = release.includes('gitlab-runner') ? release : `${release}-gitlab-runner`;
  return full.slice(0, 63).replace(/-+$/, '');
}

function storeOf(fleet: ResolvedFleet, r: ResolvedRunner): TokenStoreRef {
  const kv = keyVaultStoreOf(fleet, r);
  if (kv && r.kubernetes) return { kind: 'key-vault-secret', vaultName: kv.vaultName, vaultUrl: kv.vaultUrl, secretName: kv.secretName, cluster: r.cluster, namespace: r.kubernetes.namespace, secret: r.kubernetes.tokenSecret, deployment: chartDeploymentName(r.kubernetes.helmRelease) };
  if (r.kubernetes) return { kind: 'kubernetes-secret', cluster: r.cluster, namespace: r.kubernetes.namespace, secret: r.kubernetes.tokenSecret, deployment: chartDeploymentName(r.kubernetes.helmRelease) };
  const n = r.platformNames ?? {};
  const cluster = fleet.clusters.find((c) => c.name === r.cluster);
  const region = (cluster?.spec.region as string | undefined) ?? fleet.aws?.region ?? '';
  if (n.tokenParameter === undefined || n.managerGroup === undefined) throw new Error(`internal: runner ${r.name} has no token store`);
  const kmsKeyArn = cluster?.spec.tokenKmsKeyArn as string | undefined;
  return { kind: 'ssm-parameter', region, parameter: n.tokenParameter, autoScalingGroup: n.managerGroup, ...(kmsKeyArn !== undefined ? { kmsKeyArn } : {}) };
}

/** Who registers the runner and owns its token (gitlab.registration, or the platform's default). */
export function registrationOf(r: ResolvedRunner): DesiredRunner['registration'] {
  const g = r.spec.gitlab;
  return g.registration ?? (r.kubernetes && !g.tokenStore?.keyVault ? 'terraform' : 'api');
}

/**
 * The token stores of the runners registered through the API, in runner order: what
 * `desiredRunners(fleet).filter((d) => d.registration === 'api')` gives as name and store, without
 * building the GitLab settings (descriptions, markers, sorted tags) of every runner first.
 */
export function apiTokenStores(fleet: ResolvedFleet): { name: string; store: TokenStoreRef }[] {
  const out: { name: string; store: TokenStoreRef }[] = [];
  for (const r of fleet.runners) if (registrationOf(r) === 'api') out.push({ name: r.name, store: storeOf(fleet, r) });
  return out;
}

/** What the spec wants GitLab to hold, per runner, computed once from the resolved fleet. */
export function desiredRunners(fleet: ResolvedFleet): DesiredRunner[] {
  return fleet.runners.map((r) => {
    const g = r.spec.gitlab;
    const scope: RunnerScope = g.group ? { type: 'group_type', path: g.group } : g.project ? { type: 'project_type', path: g.project } : { type: 'instance_type' };
    return {
      name: r.name,
      scope,
      registration: registrationOf(r),
      settings: {
        description: gitlabDescription(fleet.name, r),
        paused: g.paused,
        tag_list: [...g.tags].sort(),
        run_untagged: g.runUntagged,
        locked: g.locked,
        access_level: g.protectedOnly ? 'ref_protected' : 'not_protected',
        maximum_timeout: g.maximumTimeoutSeconds ?? null,
        maintenance_note: maintenanceNote(fleet.name, r.name),
      },
      store: storeOf(fleet, r),
    };
  });
}
