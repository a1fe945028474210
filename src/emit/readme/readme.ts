import { identityOf, jobIdentityOf } from '../../model/types.js';
import type { ResolvedFleet } from '../../model/types.js';
import type { EmittedFleet } from '../types.js';
import type { Verification } from '../../verify/index.js';
import type { Artifact } from '../artifacts.js';
import { GITLAB_RUNNER_CHART } from '../helm/values.js';
import { kubeContextVar } from '../terraform/gitlab.js';
import { platformFor } from '../../platforms/registry.js';
import { reachReadme } from './reach.js';
import { ROTATE_PIPELINE_PATH } from '../pipeline/rotate.js';
import { findBy } from '../../model/lookup.js';
import { apiTokenStores } from '../../ops/desired.js';

/**
 * One shell word for text from the spec (a runner's description, its tags), for a command an
 * operator pastes: double-quoted as the other fields when nothing in it is special inside double
 * quotes, else single-quoted, so `$(...)`, backticks or `$VAR` in a description stay text and never
 * run or expand in the operator's shell.
 */
export function shellWord(text: string): string {
  return /[$`"\\!]/.test(text) ? `'${text.replace(/'/g, `'\\''`)}'` : `"${text}"`;
}

/** `POST /user/runners` for one runner, printing only the new token on stdout (pipe it into a secret store). */
export function gitlabCreateRunnerRequest(fleet: ResolvedFleet, name: string): string[] {
  const r = findBy(fleet.runners, 'name', name)!;
  const g = r.spec.gitlab;
  const type = g.group ? 'group_type' : g.project ? 'project_type' : 'instance_type';
  const scopeLookup = g.group
    ? [`group_id="$(curl --silent --fail --header "PRIVATE-TOKEN: $GITLAB_TOKEN" "${fleet.gitlabUrl}/api/v4/groups/${encodeURIComponent(g.group)}" | jq .id)"`]
    : g.project
      ? [`project_id="$(curl --silent --fail --header "PRIVATE-TOKEN: $GITLAB_TOKEN" "${fleet.gitlabUrl}/api/v4/projects/${encodeURIComponent(g.project)}" | jq .id)"`]
      : [];
  const fields = [
    `--data-urlencode "runner_type=${type}"`,
    ...(g.group ? ['--data-urlencode "group_id=$group_id"'] : []),
    ...(g.project ? ['--data-urlencode "project_id=$project_id"'] : []),
    `--data-urlencode ${shellWord(`description=${r.description}`)}`,
    ...(g.tags.length > 0 ? [`--data-urlencode ${shellWord(`tag_list=${g.tags.join(',')}`)}`] : []),
    `--data-urlencode "run_untagged=${String(g.runUntagged)}"`,
    `--data-urlencode "locked=${String(g.locked)}"`,
    `--data-urlencode "access_level=${g.protectedOnly ? 'ref_protected' : 'not_protected'}"`,
    `--data-urlencode "paused=${String(g.paused)}"`,
    ...(g.maximumTimeoutSeconds !== undefined ? [`--data-urlencode "maximum_timeout=${g.maximumTimeoutSeconds}"`] : []),
  ];
  // A subshell, so `set -e` stops a failed lookup from storing an empty token without
  // closing the operator's own shell.
  return [
    '(',
    'set -euo pipefail',
    ...scopeLookup,
    `# POST /user/runners answers {id, token, token_expires_at}; the token is shown once and goes straight into the Secret.`,
    'curl --silent --fail --request POST --header "PRIVATE-TOKEN: $GITLAB_TOKEN" \\',
    ...fields.map((f) => `  ${f} \\`),
    `  "${fleet.gitlabUrl}/api/v4/user/runners" | jq -r .token \\`,
  ];
}


/**
 * Runners that select or tolerate nodes on a cluster whose node groups are in no document (an
 * existing cluster): the scheduling proof could not run for them, and the README says so.
 */
function unprovenScheduling(fleet: ResolvedFleet, emitted: EmittedFleet): string[] {
  // Whether a cluster's node pools are known is a per-cluster fact (reading them scans every
  // document), decided once per cluster, not once per runner.
  const known = new Map<string, boolean>();
  const poolsKnown = (cluster: string): boolean => {
    let hit = known.get(cluster);
    if (hit === undefined) {
      const i = fleet.clusters.findIndex((c) => c.name === cluster);
      hit = platformFor(fleet.clusters[i]!.type).nodePools?.(emitted, fleet.clusters[i]!, `clusters[${i}]`) !== undefined;
      known.set(cluster, hit);
    }
    return hit;
  };
  const runners = fleet.runners.filter((r) => {
    if (!r.kubernetes) return false;
    const j = r.spec.jobs;
    return !poolsKnown(r.cluster) && (Object.keys(j.nodeSelector).length > 0 || j.tolerations.length > 0 || Object.keys(r.spec.manager.nodeSelector).length > 0 || r.spec.manager.tolerations.length > 0);
  });
  if (runners.length === 0) return [];
  const many = runners.length > 1;
  return [`- that nodes of the existing clusters carry the labels and taints runner${many ? 's' : ''} ${runners.map((r) => r.name).join(', ')} ${many ? 'select and tolerate' : 'selects and tolerates'} (scheduling is proven only for clusters runner-fleet creates);`];
}

/**
 * Kubernetes runners: their NetworkPolicy keeps job pods from the node's metadata service (and the
 * node's identity) only where the cluster's network plugin enforces NetworkPolicy, which no document shows.
 */
function unprovenImds(fleet: ResolvedFleet): string[] {
  const runners = fleet.runners.filter((r) => r.kubernetes);
  if (runners.length === 0) return [];
  const clouds = new Set(runners.map((r) => platformFor(fleet.clusters.find((c) => c.name === r.cluster)!.type).cloud));
  const how = [
    ...(clouds.has('aws') ? ['EKS: the VPC CNI add-on 1.14 or later with `enableNetworkPolicy: "true"` in its configuration (`aws eks describe-addon --cluster-name <cluster> --addon-name vpc-cni --query addon.configurationValues`), or another engine such as Calico (the EKS guide has said the VPC CNI applies network policies only to pods with `metadata.ownerReferences`, which the job pods of gitlab-runner lack: the smoke job decides); clusters runner-fleet creates also give nodes a metadata hop limit of 1'] : []),
    ...(clouds.has('azure') ? ['AKS: `az aks show -g <group> -n <cluster> --query networkProfile.networkPolicy` prints azure, calico or cilium (clusters runner-fleet creates use azure)'] : []),
  ];
  return [`- that the clusters enforce NetworkPolicy, so each runner's NetworkPolicy \`<release>-jobs-no-imds\` keeps job pods from the node's metadata service, where the node's identity is one request away whatever identity the job has (${how.join('; ')}); the smoke pipeline's \`job-no-imds\` job fails where jobs still reach it;`];
}

/** The output README: what was generated, the apply order with exact commands, and what was proven. */
export function outputReadme(fleet: ResolvedFleet, emitted: EmittedFleet, verification: Verification): Artifact {
  const lines: string[] = [];
  // Lines are appended one by one: a list spread into one call of push (`lines.push(...list)`)
  // overflows the stack past about 120,000 items (a README step of ~6,000 VM runners).
  const push = (...l: string[]) => {
    for (const x of l) lines.push(x);
  };
  const pushAll = (list: readonly string[], indent: boolean) => {
    for (const l of list) lines.push(indent && l !== '' ? `   ${l}` : l);
  };
  push(`# Runner fleet \`${fleet.name}\``, '', `GitLab: ${fleet.gitlabUrl}`, '');
  push('| runner | platform | cluster | namespace | manager identity | job identity | cache |', '|---|---|---|---|---|---|---|');
  for (const r of fleet.runners) {
    const m = identityOf(fleet, r.managerIdentity);
    const j = jobIdentityOf(fleet, r);
    push(`| ${r.name} | ${r.platform} (${m.binding.mechanism}) | ${r.cluster} | ${r.kubernetes?.namespace ?? '-'} | \`${m.roleName}\` | ${j ? `\`${j.roleName}\`` : 'none'} | ${r.cache ? `${r.cache.cache}: \`${r.cache.path}/\`` : '-'} |`);
  }
  push('', '## Files', '');
  for (const a of emitted.artifacts) push(`- \`${a.path}\``);
  push('- `README.md` (this file)', '');
  push('Every file is generated; change the spec and run `runner-fleet synth` again instead of editing them.', '');

  push('## Apply, in this order', '');
  let step = 1;
  if (emitted.terraformAws) {
    push(`${step++}. **AWS identities, cache and cluster access.** Roles are named from the spec, so nothing else waits for their ARNs.`, '', '   ```sh', '   terraform -chdir=terraform/aws init', '   terraform -chdir=terraform/aws plan -out=tfplan', '   terraform -chdir=terraform/aws apply tfplan', '   ```', '');
  }
  const contribs = [
    ...[...new Set(fleet.runners.map((r) => r.platform))].map((type) => platformFor(type).readme?.(fleet, fleet.runners.filter((r) => r.platform === type), emitted)),
    // Deploy targets in other accounts and GitLab ID-token roles.
    reachReadme(fleet),
  ];
  const platformSteps = (phase: 'cluster' | 'runners') => {
    for (const c of contribs) {
      for (const st of (c?.steps ?? []).filter((x) => (x.phase ?? 'runners') === phase)) {
        push(`${step++}. **${st.title}**${st.text ? ` ${st.text}` : ''}`, '');
        if (st.lines.length > 0) {
          pushAll(st.lines, true);
          push('');
        }
      }
    }
  };
  if (emitted.terraformAzure) {
    push(
      `${step++}. **Azure identities, federated credentials, role assignments and cache storage.** Identities are named from the spec; their client ids exist only after this apply, and the next steps look them up by name. Role assignments can take a few minutes to take effect.`,
      '',
      '   ```sh',
      '   terraform -chdir=terraform/azure init',
      '   terraform -chdir=terraform/azure plan -out=tfplan',
      '   terraform -chdir=terraform/azure apply tfplan',
      '   terraform -chdir=terraform/azure output -json > azure-outputs.json   # client ids: not secret',
      '   ```',
      '',
    );
  }
  platformSteps('cluster');
  const k8sRunners = fleet.runners.filter((r) => r.kubernetes);
  const manifestDirs = new Set(emitted.artifacts.map((a) => /^kubernetes\/([^/]+)\//.exec(a.path)?.[1]).filter((x) => x !== undefined));
  const manifestRunners = k8sRunners.filter((r) => manifestDirs.has(r.name));
  if (k8sRunners.length > 0) {
    push(`${step++}. **Kubernetes objects** (namespace, service accounts, executor Role and RoleBinding):`, '');
    if (manifestRunners.length > 0) {
      push('   ```sh');
      for (const r of manifestRunners) push(`   kubectl apply -f kubernetes/${r.name}/`);
      push('   ```', '');
    }
    for (const c of contribs) if (c?.kubernetesObjects) pushAll(c.kubernetesObjects, true);
  }
  const gitlabClusters = [...new Set(k8sRunners.map((r) => r.cluster))].sort();
  if (emitted.terraformGitlab) push(
    `${step++}. **Register each ${k8sRunners.length < fleet.runners.length ? 'Kubernetes ' : ''}runner in GitLab** with \`terraform/gitlab\`: it looks each group or project up by path, creates the runner (\`gitlab_user_runner\`) and writes its token into the Secret the chart reads. Give it a token with the \`create_runner\` scope through a variable, never a file:`,
    '',
    '   ```sh',
    '   read -rs TF_VAR_gitlab_token && export TF_VAR_gitlab_token   # paste; nothing is echoed or kept in history',
    '   terraform -chdir=terraform/gitlab init',
    `   terraform -chdir=terraform/gitlab apply${gitlabClusters.length > 0 ? ` -var kubeconfig_path="$HOME/.kube/config" ${gitlabClusters.map((c) => `-var ${kubeContextVar(c)}=<context of cluster ${c}>`).join(' ')}` : ''}`,
    '   ```',
    '',
    '   The runner tokens exist only inside this root\'s Terraform **state**: keep that state in an encrypted backend only the platform team can read. No output exposes a token; to rotate one, `terraform apply -replace=gitlab_user_runner.<runner>`.',
    '',
  );
  if (k8sRunners.length > 0) {
    push(`${step++}. **Install the runner managers** with the official chart ${GITLAB_RUNNER_CHART.name} ${GITLAB_RUNNER_CHART.version} (runner ${GITLAB_RUNNER_CHART.appVersion}):`, '', '   ```sh');
    for (const r of k8sRunners) {
      push(`   helm upgrade --install ${r.kubernetes!.helmRelease} ${GITLAB_RUNNER_CHART.name} --repo ${GITLAB_RUNNER_CHART.repo} --version ${GITLAB_RUNNER_CHART.version} --namespace ${r.kubernetes!.namespace} --values helm/${r.name}/values.yaml`);
    }
    push('   ```', '');
  }
  platformSteps('runners');
  const sections = contribs.flatMap((c) => c?.sections ?? []);
  push(`${step}. **Smoke test.** Run \`pipelines/<runner>.gitlab-ci.yml\` in a project each runner serves: it writes and reads back a cache object and fails unless jobs run as their own identity.`, '');
  if (emitted.terraformAzure && !fleet.applied?.azureClientIds) {
    push('   The Azure identity check compares the signed-in client id with the job identity\'s: synthesize with `--azure-outputs` to render it into the pipeline, or set the CI variable `RUNNER_FLEET_JOB_CLIENT_ID`. Without either it fails on purpose.', '');
  }

  push(
    '## Runner tokens',
    '',
    '- Every `config.toml` sets `FF_DISABLE_AUTOMATIC_TOKEN_ROTATION = true`. Otherwise, when the GitLab instance sets a token expiry, gitlab-runner rotates its own token at about 75% of its lifetime and writes the new one into `config.toml` — which these deployments rebuild from the Secret or the SSM parameter at every restart, so the new token would be lost and the runner would go dead. Tokens are rotated from outside instead, where the store is written.',
    '- Runners with `gitlab.registration: api` (every VM runner): `runner-fleet register SPEC --approve` creates them and writes each token straight into its store; `runner-fleet rotate SPEC --if-expiring-within 14d --approve` rotates them and restarts the managers; `runner-fleet status SPEC` shows drift and phantom runners, `runner-fleet prune SPEC --approve` deletes the phantoms.',
    ...(emitted.artifacts.some((a) => a.path === ROTATE_PIPELINE_PATH) && fleet.rotation
      ? [
          `- \`${ROTATE_PIPELINE_PATH}\` runs that rotation on a pipeline schedule of \`${fleet.rotation.project}\` on \`${fleet.rotation.ref}\` (add the schedule there, e.g. daily) with no GitLab access token${fleet.rotation.awsRoleArn ? ` and a keyless AWS identity: the job's GitLab ID token (aud \`${fleet.rotation.audience}\`) is exchanged for the rotator role \`${fleet.rotation.awsRoleArn}\` (\`terraform/aws\` output \`rotator_role_arn\`, written into the pipeline as \`RUNNER_FLEET_ROTATOR_ROLE_ARN\`). Its trust admits \`${fleet.rotation.sub}\` only; it may ${rotatorMay(fleet)} — nothing else` : ''}.`,
        ]
      : []),
    ...(emitted.terraformGitlab ? ['- Runners registered by `terraform/gitlab`: rotate with `terraform apply -replace=gitlab_user_runner.<runner>`, then restart the manager (`kubectl rollout restart`).'] : []),
    '- Before replacing a manager, `runner-fleet drain SPEC --runner NAME --approve` pauses the runner and waits until no job runs; `resume` undoes it. This holds for runners registered by `terraform/gitlab` too: their `gitlab_user_runner` ignores later changes of `paused` (`lifecycle.ignore_changes`), so the next `terraform apply` does not un-pause a drained runner; `gitlab.paused` in the spec applies at creation only for them. Kubernetes job pods carry `karpenter.sh/do-not-disrupt: "true"` and `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"`, and the manager\'s grace period covers the runner\'s maximum job timeout.',
    '',
  );
  for (const sec of sections) {
    push(`## ${sec.heading}`, '');
    pushAll(sec.lines, false);
    push('');
  }
  push('## Proven before anything was written', '', 'Computed from the generated documents themselves (trust policies, permission policies, bucket policy, annotations, Helm values, config.toml) with runner-fleet\'s IAM policy evaluator:', '');
  for (const p of verification.proofs) push(`- ${p.holds ? 'holds' : '**FAILS**'}: ${p.runner}: ${p.claim}`);
  const notable = verification.findings.filter((f) => f.severity !== 'error');
  if (notable.length > 0) {
    push('', '## Findings to know about', '');
    for (const f of notable) push(`- ${f.severity} ${f.code}${f.path ? ` at \`${f.path}\`` : ''}: ${f.message}${f.acceptedBecause ? ` (accepted: ${f.acceptedBecause})` : ''}`);
  }
  const tableChecked = emitted.artifacts.filter((a) => /^terraform\/(azure|gitlab|azure-k8s)\//.test(a.path)).map((a) => `\`${a.path}\``);
  if (tableChecked.length > 0) {
    push(
      '',
      '## Terraform checked without the providers',
      '',
      `No provider mirror for azurerm, gitlab or kubernetes exists where this was generated, so \`terraform validate\` did not run on ${tableChecked.join(', ')}. Every resource, data source, argument, block and reference in them was checked against runner-fleet's attribute tables, read from the provider documentation (azurerm 4.x, gitlab 18.x, kubernetes 2.x). Run \`terraform init && terraform validate\` in each of them before the first apply.`,
    );
  }
  push(
    '',
    '## What only a live cloud can show',
    '',
    "- that the cluster's OIDC issuer, the EKS Pod Identity agent, the IRSA webhook and (AKS) the workload identity webhook are in place;",
    ...unprovenScheduling(fleet, emitted),
    ...unprovenImds(fleet),
    '- that GitLab accepts the registration and the manager comes online;',
    '- that the smoke pipeline passes: run it after every change.',
    '',
  );
  return { path: 'README.md', format: 'text', content: lines.join('\n'), mode: 'markdown' };
}

/** What the rotator may do, for the Runner tokens section. */
function rotatorMay(fleet: ResolvedFleet): string {
  const parts: string[] = [];
  if (apiTokenStores(fleet).some((d) => d.store.kind === 'ssm-parameter')) {
    parts.push('read, write, tag and label (the restart label) the token parameters (their KMS key only through SSM), run `AWS-RunShellScript` on the manager instances only (any script, as root: a restart is what `rotate` sends, not all the role may send) and read command results');
  }
  const kube = fleet.rotation?.kubernetes;
  if (kube) {
    parts.push(
      `describe the clusters ${kube.clusters.map((c) => `\`${c.cluster}\``).join(', ')} and, as Kubernetes user \`${kube.username}\` (a cluster access entry with no access policy and no group), get and update only the token Secrets and patch (rollout restart) only the manager Deployments of ${kube.targets.map((t) => `\`${t.namespace}\``).join(', ')} (\`kubernetes/<runner>/token-rotator.yaml\`: a Role naming each object, bound to that user); the job builds its Kubernetes client from the role's credentials (${kube.clusters.map((c) => `\`--kube-api ${c.cluster}=${c.kubeApi}\``).join(', ')}), no kubeconfig`,
    );
  }
  return parts.join('; it may also ');
}
