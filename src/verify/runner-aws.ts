import type { FleetIntent, IntentRunner } from './intent.js';

// Where one runner's or one cluster's AWS resources live. Types only from intent.ts: the platforms
// import this (EKS names, the S3 cache, the VM platforms) without a cycle through the registry.

/**
 * The fleet's AWS settings as one runner's resources see them: in the runner's own region and
 * account (IntentRunner.region, IntentRunner.account, the doctor's, of several roots), else the fleet's.
 */
export function runnerAws(fleet: FleetIntent, runner: Pick<IntentRunner, 'region' | 'account' | 'accountShown'>): NonNullable<FleetIntent['aws']> {
  const a = fleet.aws!;
  const region = runner.region === undefined || runner.region === a.region;
  const account = runner.account === undefined || runner.account === a.accountId;
  if (region && account) return a;
  const out = { ...a };
  if (!region) out.region = runner.region!;
  if (!account) {
    out.accountId = runner.account!;
    if (runner.accountShown === false) out.accountShown = false;
    else delete out.accountShown;
  }
  return out;
}

const clusterRunners = new WeakMap<FleetIntent, Map<string, IntentRunner>>();

/**
 * The fleet's AWS settings as one cluster's resources see them (its OIDC provider, its ARN): in the
 * account of its runners (IntentRunner.account, the doctor's, of several roots), else the fleet's.
 * The runners of one cluster are of one deployment; the first with an account of its own stands
 * for them (indexed once per fleet: the all-pairs trust proof asks for every subject).
 */
export function clusterAws(fleet: FleetIntent, cluster: string): NonNullable<FleetIntent['aws']> {
  let byCluster = clusterRunners.get(fleet);
  if (!byCluster) {
    byCluster = new Map();
    for (const r of fleet.runners) if (r.account !== undefined && !byCluster.has(r.cluster)) byCluster.set(r.cluster, r);
    clusterRunners.set(fleet, byCluster);
  }
  const r = byCluster.get(cluster);
  return r ? runnerAws(fleet, r) : fleet.aws!;
}
