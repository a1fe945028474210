import { jobIdentityOf } from '../model/types.js';
import type { ResolvedFleet, ResolvedRunner } from '../model/types.js';
import type { Artifact, TerraformResources } from './artifacts.js';
import type { EmittedFleet } from './types.js';
import { platformFor } from '../platforms/registry.js';
import { cacheBackendFor } from '../caches/registry.js';
import { awsIdentityResources, awsRoot } from './terraform/aws.js';
import { azureIdentityResources, azureRoot } from './terraform/azure.js';
import { gitlabRoot } from './terraform/gitlab.js';
import { smokePipeline, smokePipelineHeader } from './pipeline/smoke.js';
import { identityGraph, type Placements } from './diagram/identity.js';
import { misfit, schedulingInputs } from '../verify/scheduling.js';
import { deployTargetRoots, reachAwsResources, reachAzureResources } from './terraform/reach.js';
import { ROTATE_PIPELINE_PATH, rotatePipeline } from './pipeline/rotate.js';
import { rotatorClusterResources, rotatorObjects } from './kubernetes/rotator.js';
import { isObject } from '../model/is-object.js';

/** The full `config.toml` of one runner. */
export function configToml(
  fleet: ResolvedFleet,
  runner: ResolvedRunner,
  executor: Record<string, unknown>,
  extras: Record<string, unknown>,
  globalOverrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const m = runner.spec.manager;
  const global: Record<string, unknown> = {
    concurrent: runner.spec.concurrent,
    check_interval: runner.spec.checkIntervalSeconds,
    log_level: m.logLevel,
    shutdown_timeout: 30,
    ...globalOverrides,
  };
  if (m.metrics) global.listen_address = ':9252';
  const section: Record<string, unknown> = {
    name: runner.description,
    url: fleet.gitlabUrl,
    // Expanded by gitlab-runner from the environment; the token itself never enters a file we write.
    token: '$CI_SERVER_TOKEN',
    // The token lives in a store (Secret, SSM parameter) that rebuilds config.toml at every start:
    // a token gitlab-runner rotated by itself would be lost. `runner-fleet rotate` rotates instead.
    feature_flags: { FF_DISABLE_AUTOMATIC_TOKEN_ROTATION: true },
    ...executor,
    ...extras,
  };
  // An executor's own flags (the Kubernetes pod_spec one) join the token-rotation flag.
  if (isObject(executor.feature_flags)) section.feature_flags = { FF_DISABLE_AUTOMATIC_TOKEN_ROTATION: true, ...executor.feature_flags };
  // Added to `global` (a fresh object), not spread into a copy: in unoptimized code every
  // `{ ...global, runners }` made a new hidden class, one per runner. Same keys, same order.
  global.runners = [section];
  return global;
}

/** Runner parts that do not depend on the platform: job environment and cache. */
function runnerExtras(fleet: ResolvedFleet, runner: ResolvedRunner): Record<string, unknown> {
  const extras: Record<string, unknown> = {};
  const env = Object.entries(runner.spec.jobs.environment).sort(([a], [b]) => (a < b ? -1 : 1));
  if (env.length > 0) extras.environment = env.map(([k, v]) => `${k}=${v}`);
  if (runner.cache) {
    const cache = fleet.caches.find((c) => c.name === runner.cache!.cache)!;
    extras.cache = cacheBackendFor(cache.type).toml(fleet, cache, runner.cache);
  }
  return extras;
}

/** Node groups each runner's pods fit, where its pods select or tolerate something on a created cluster. */
function placements(emitted: EmittedFleet, fleet: ResolvedFleet): Placements {
  const out = new Map<string, { manager?: string[]; jobs?: string[] }>();
  const inputs = schedulingInputs(emitted, fleet, (i) => platformFor(fleet.clusters[i]!.type).nodePools?.(emitted, fleet.clusters[i]!, `clusters[${i}]`));
  for (const input of inputs) {
    for (const pod of input.pods) {
      if (Object.keys(pod.nodeSelector).length === 0 && pod.tolerations.length === 0) continue;
      const entry = out.get(pod.runner) ?? {};
      entry[pod.purpose] = input.pools.filter((p) => misfit(pod, p) === undefined).map((p) => p.name);
      out.set(pod.runner, entry);
    }
  }
  return out;
}

/**
 * Everything the fleet needs, as data. Pure: same fleet, same result.
 *
 * Documents and intents are not changed after they are made: once emitFleet (or the doctor's
 * import) returns them, verify and synth only read them. The indexes built once per set of
 * documents or per list (awsFacts, the VM attachment index and `VmOwners` in aws-vm/common.ts,
 * model/lookup.ts's indexes by field) rest on it; a change made after one of them is built would
 * be proven against what the documents no longer say. test/frozen-documents.test.ts runs verify
 * and synth over documents and an intent frozen all the way down.
 */
export function emitFleet(fleet: ResolvedFleet): EmittedFleet {
  const artifacts: Artifact[] = [];
  const awsContrib: TerraformResources[] = [];
  const azureContrib: TerraformResources[] = [];
  const regions: string[] = [];
  const awsLocals: Record<string, string> = {};
  const emitted: EmittedFleet = { fleet, artifacts, runners: new Map() };

  if (fleet.aws) awsContrib.push(awsIdentityResources(fleet));
  if (fleet.azure) azureContrib.push(azureIdentityResources(fleet));
  for (const cache of fleet.caches) {
    const backend = cacheBackendFor(cache.type);
    if (backend.cloud === 'aws') {
      awsContrib.push(backend.emitTerraformAws(fleet, cache));
      if (typeof cache.spec.region === 'string') regions.push(cache.spec.region);
    }
    if (backend.emitTerraformAzure) azureContrib.push(backend.emitTerraformAzure(fleet, cache));
  }
  for (const cluster of fleet.clusters) {
    const platform = platformFor(cluster.type);
    const out = platform.emitCluster(fleet, cluster);
    artifacts.push(...out.files);
    if (out.terraformAws) awsContrib.push(out.terraformAws);
    Object.assign(awsLocals, out.terraformAwsLocals);
    if (out.terraformAzure) azureContrib.push(out.terraformAzure);
    if (typeof cluster.spec.region === 'string') regions.push(cluster.spec.region);
  }
  for (const runner of fleet.runners) {
    const cluster = fleet.clusters.find((c) => c.name === runner.cluster)!;
    const platform = platformFor(cluster.type);
    const extras = runnerExtras(fleet, runner);
    // The document the platform built (VM platforms embed it in the user data) is reused below
    // when built from the same parts, so verify reads the very object the user data came from
    // and its serialization is done once (configTomlText memoises per document).
    let built: { executor: Record<string, unknown>; globalToml: Record<string, unknown> | undefined; toml: Record<string, unknown> } | undefined;
    const out = platform.emitRunner(fleet, cluster, runner, {
      runnerExtras: extras,
      configToml: (executor, globalToml) => (built = { executor, globalToml, toml: configToml(fleet, runner, executor, extras, globalToml) }).toml,
    });
    artifacts.push(...out.files);
    if (out.terraformAws) awsContrib.push(out.terraformAws);
    if (out.terraformAzure) azureContrib.push(out.terraformAzure);
    const toml = built !== undefined && built.executor === out.executorToml && built.globalToml === out.globalToml ? built.toml : configToml(fleet, runner, out.executorToml, extras, out.globalToml);
    artifacts.push({ path: `runners/${runner.name}/config.toml`, format: 'toml', content: toml });
    const jobIdentity = jobIdentityOf(fleet, runner);
    const pipeline = smokePipeline(fleet, runner, platform.identityCheckJob(fleet, runner, jobIdentity));
    artifacts.push({ path: `pipelines/${runner.name}.gitlab-ci.yml`, format: 'yaml', content: [pipeline], comment: smokePipelineHeader(runner, fleet) });
    emitted.runners.set(runner.name, {
      manifests: out.manifests,
      configToml: toml,
      pipeline,
      ...(out.helmValues ? { helmValues: out.helmValues } : {}),
      ...(out.helmRunnerToml ? { helmRunnerToml: out.helmRunnerToml } : {}),
    });
  }
  // The token rotator's Kubernetes identity (operations.rotation with Kubernetes Secret stores).
  const rotatorKube = fleet.rotation?.kubernetes;
  if (rotatorKube) {
    for (const t of rotatorKube.targets) {
      const objects = rotatorObjects(fleet, rotatorKube, t);
      const er = emitted.runners.get(t.runner);
      if (er) er.manifests = [...er.manifests, ...objects];
      artifacts.push({ path: `kubernetes/${t.runner}/token-rotator.yaml`, format: 'yaml', content: objects });
    }
    awsContrib.push(...rotatorClusterResources(fleet, rotatorKube));
  }
  // The same grants on AKS, bound to the rotator's managed identity (its principal id: a Terraform
  // symbol, so the objects live in the cluster's terraform/azure-k8s root, which the platform emits).
  const rotatorAks = fleet.rotation?.azure?.kubernetes;
  for (const t of rotatorAks?.targets ?? []) {
    const er = emitted.runners.get(t.runner);
    if (er) er.manifests = [...er.manifests, ...rotatorObjects(fleet, rotatorAks!, t)];
  }
  // Jobs that reach other accounts and ID-token roles (emit/terraform/reach.ts).
  if (fleet.reach) {
    if (fleet.aws) awsContrib.push(reachAwsResources(fleet, fleet.reach));
    if (fleet.azure) azureContrib.push(reachAzureResources(fleet, fleet.reach));
    const roots = deployTargetRoots(fleet);
    if (roots.size > 0) emitted.terraformAwsAccounts = roots;
    for (const [account, root] of roots) artifacts.push({ path: `terraform/aws-${account}/main.tf.json`, format: 'json', content: root });
  }
  if (fleet.aws) {
    const root = awsRoot(fleet, awsContrib, regions, awsLocals);
    emitted.terraformAws = root;
    artifacts.push({ path: 'terraform/aws/main.tf.json', format: 'json', content: root });
  }
  if (fleet.azure) {
    const root = azureRoot(fleet, azureContrib);
    emitted.terraformAzure = root;
    artifacts.push({ path: 'terraform/azure/main.tf.json', format: 'json', content: root });
  }
  // Registration of Kubernetes runners (their tokens go to Secrets); VM runners register through the README.
  const gitlab = gitlabRoot(fleet);
  if (gitlab) {
    emitted.terraformGitlab = gitlab;
    artifacts.push({ path: 'terraform/gitlab/main.tf.json', format: 'json', content: gitlab });
  }
  const rotate = rotatePipeline(fleet);
  if (rotate) artifacts.push({ path: ROTATE_PIPELINE_PATH, format: 'yaml', content: [rotate.content], comment: rotate.comment });
  const graph = identityGraph(fleet, placements(emitted, fleet));
  artifacts.push({ path: 'diagram/identity.mmd', format: 'diagram', content: graph, render: 'mermaid' });
  artifacts.push({ path: 'diagram/identity.svg', format: 'diagram', content: graph, render: 'svg' });
  artifacts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return emitted;
}
