import { identityOf, jobIdentityOf } from '../../model/types.js';
import type { ResolvedFleet } from '../../model/types.js';
import type { EmittedFleet } from '../types.js';
import type { Verification } from '../../verify/index.js';
import type { Artifact } from '../artifacts.js';
import { GITLAB_RUNNER_CHART } from '../helm/values.js';
import { platformFor } from '../../platforms/registry.js';

/** `POST /user/runners` for one runner, printing only the new token on stdout (pipe it into a secret store). */
export function gitlabCreateRunnerRequest(fleet: ResolvedFleet, name: string): string[] {
  const r = fleet.runners.find((x) => x.name === name)!;
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
    `--data-urlencode "description=${r.description}"`,
    ...(g.tags.length > 0 ? [`--data-urlencode "tag_list=${g.tags.join(',')}"`] : []),
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

function gitlabCreateRunner(fleet: ResolvedFleet, name: string): string[] {
  const k = fleet.runners.find((x) => x.name === name)!.kubernetes!;
  return [
    ...gitlabCreateRunnerRequest(fleet, name),
    `  | kubectl create secret generic ${k.tokenSecret} --namespace ${k.namespace} --from-file=runner-token=/dev/stdin --from-literal=runner-registration-token=`,
    ')',
  ];
}

/** The output README: what was generated, the apply order with exact commands, and what was proven. */
export function outputReadme(fleet: ResolvedFleet, emitted: EmittedFleet, verification: Verification): Artifact {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push(`# Runner fleet \`${fleet.name}\``, '', `GitLab: ${fleet.gitlabUrl}`, '');
  push('| runner | platform | cluster | namespace | manager role | job role | cache |', '|---|---|---|---|---|---|---|');
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
  const clusterFiles = emitted.artifacts.filter((a) => a.path.startsWith('clusters/'));
  if (clusterFiles.some((a) => a.path.endsWith('aws-auth-entries.yaml'))) {
    push(`${step++}. **aws-auth entries** for operators granted through the ConfigMap. Merge them; never replace the ConfigMap, it also maps your nodes:`, '', '   ```sh');
    for (const c of fleet.clusters) {
      const spec = c.spec as { access?: { principal: string; username?: string; via?: string; policy: string }[]; authenticationMode?: string; clusterName?: string; region?: string };
      for (const a of spec.access ?? []) {
        const via = a.via ?? (spec.authenticationMode === 'CONFIG_MAP' ? 'aws-auth' : 'access-entry');
        if (via !== 'aws-auth') continue;
        const user = a.username ?? a.principal.split('/').pop()!;
        push(`   eksctl create iamidentitymapping --cluster ${spec.clusterName ?? c.name} --region ${spec.region ?? fleet.aws?.region ?? ''} --arn ${a.principal} --username ${user} --group runner-fleet:${c.name}:${user}`);
      }
      if (clusterFiles.some((a) => a.path === `clusters/${c.name}/access-rbac.yaml`)) push(`   kubectl apply -f clusters/${c.name}/access-rbac.yaml`);
    }
    push('   ```', '');
  }
  const podIdentity = fleet.clusters.filter((c) => c.spec.identity === 'pod-identity');
  if (podIdentity.length > 0) {
    push(`${step++}. **EKS Pod Identity agent.** Clusters ${podIdentity.map((c) => c.name).join(', ')} need the EKS Pod Identity Agent add-on running before the runners start; the associations in terraform/aws take effect eventually (allow a minute).`, '');
  }
  const k8sRunners = fleet.runners.filter((r) => r.kubernetes);
  if (k8sRunners.length > 0) {
    push(`${step++}. **Kubernetes objects** (namespace, service accounts, executor Role and RoleBinding):`, '', '   ```sh');
    for (const r of k8sRunners) push(`   kubectl apply -f kubernetes/${r.name}/`);
    push('   ```', '');
    push(`${step++}. **Register each runner in GitLab** and store its token in the Secret the chart reads. Use a token with the \`create_runner\` scope in \`GITLAB_TOKEN\`; the runner token never touches a file or your shell history:`, '');
    for (const r of k8sRunners) push('   ```sh', ...gitlabCreateRunner(fleet, r.name).map((l) => `   ${l}`), '   ```', '');
    push(`${step++}. **Install the runner managers** with the official chart ${GITLAB_RUNNER_CHART.name} ${GITLAB_RUNNER_CHART.version} (runner ${GITLAB_RUNNER_CHART.appVersion}):`, '', '   ```sh');
    for (const r of k8sRunners) {
      push(`   helm upgrade --install ${r.kubernetes!.helmRelease} ${GITLAB_RUNNER_CHART.name} --repo ${GITLAB_RUNNER_CHART.repo} --version ${GITLAB_RUNNER_CHART.version} --namespace ${r.kubernetes!.namespace} --values helm/${r.name}/values.yaml`);
    }
    push('   ```', '');
  }
  const sections: { heading: string; lines: string[] }[] = [];
  for (const type of [...new Set(fleet.runners.map((r) => r.platform))]) {
    const contrib = platformFor(type).readme?.(fleet, fleet.runners.filter((r) => r.platform === type));
    for (const st of contrib?.steps ?? []) push(`${step++}. **${st.title}**`, '', ...st.lines.map((l) => (l === '' ? '' : `   ${l}`)), '');
    sections.push(...(contrib?.sections ?? []));
  }
  push(`${step}. **Smoke test.** Run \`pipelines/<runner>.gitlab-ci.yml\` in a project each runner serves: it writes and reads back a cache object and fails unless jobs run as their own role.`, '');

  for (const sec of sections) push(`## ${sec.heading}`, '', ...sec.lines, '');
  push('## Proven before anything was written', '', 'Computed from the generated documents themselves (trust policies, permission policies, bucket policy, annotations, Helm values, config.toml) with runner-fleet\'s IAM policy evaluator:', '');
  for (const p of verification.proofs) push(`- ${p.holds ? 'holds' : '**FAILS**'}: ${p.runner}: ${p.claim}`);
  const notable = verification.findings.filter((f) => f.severity !== 'error');
  if (notable.length > 0) {
    push('', '## Findings to know about', '');
    for (const f of notable) push(`- ${f.severity} ${f.code}${f.path ? ` at \`${f.path}\`` : ''}: ${f.message}${f.acceptedBecause ? ` (accepted: ${f.acceptedBecause})` : ''}`);
  }
  push('', '## What only a live cloud can show', '', '- that the cluster\'s OIDC issuer, the EKS Pod Identity agent and the IRSA webhook are in place;', '- that GitLab accepts the registration and the manager comes online;', '- that the smoke pipeline passes: run it after every change.', '');
  return { path: 'README.md', format: 'text', content: lines.join('\n'), mode: 'markdown' };
}
