import type { ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import { DO_NOT_EDIT, merged, tfName, type TerraformResources, type TerraformRoot } from '../artifacts.js';
import { commonLabels } from '../kubernetes/objects.js';
import { KUBERNETES_PROVIDER_CONSTRAINT } from './kubernetes.js';
import { gitlabDescription, maintenanceNote } from '../../ops/marker.js';
import { tfLiteral } from './literal.js';

/** gitlabhq/gitlab 18.x: gitlab_user_runner (the runner creation workflow, `glrt-` tokens). */
export const GITLAB_PROVIDER_CONSTRAINT = '>= 18.0, < 19';

export const kubeContextVar = (cluster: string) => tfName('kube_context', cluster);

function runnerType(r: ResolvedRunner): 'group_type' | 'project_type' | 'instance_type' {
  const g = r.spec.gitlab;
  return g.group ? 'group_type' : g.project ? 'project_type' : 'instance_type';
}

/**
 * Registration through Terraform of every runner whose token has a Kubernetes Secret to go to: the
 * group or project is looked up by its full path, the runner is created with `gitlab_user_runner`,
 * and its token goes straight into the Secret the Helm chart reads (`runners.secret`). The token
 * lives only in Terraform state. VM runners read their token from an SSM parameter instead, which
 * the output README fills (see the VM platforms); undefined when no runner qualifies.
 */
export function gitlabRoot(fleet: ResolvedFleet): TerraformRoot | undefined {
  // `gitlab.registration: api` runners are created and rotated by runner-fleet, never by this root.
  // So are runners whose token lives in Key Vault (registration api is their only, and default, choice).
  const byTerraform = (r: ResolvedRunner) => r.kubernetes !== undefined && r.spec.gitlab.registration !== 'api' && r.spec.gitlab.tokenStore === undefined;
  if (!fleet.runners.some(byTerraform)) return undefined;
  const groups: Record<string, Record<string, unknown>> = {};
  const projects: Record<string, Record<string, unknown>> = {};
  const runners: Record<string, Record<string, unknown>> = {};
  const secrets: Record<string, Record<string, unknown>> = {};
  const clusters = new Set<string>();
  for (const r of fleet.runners.filter(byTerraform)) {
    const g = r.spec.gitlab;
    const k = tfName(r.name);
    const body: Record<string, unknown> = { runner_type: runnerType(r) };
    if (g.group) {
      groups[k] = { full_path: g.group };
      body.group_id = `\${data.gitlab_group.${k}.group_id}`;
    }
    if (g.project) {
      projects[k] = { path_with_namespace: g.project };
      body.project_id = `\${data.gitlab_project.${k}.id}`;
    }
    Object.assign(body, {
      // User text: escaped, or Terraform would evaluate a ${…} in it.
      description: tfLiteral(gitlabDescription(fleet.name, r)),
      tag_list: g.tags.map(tfLiteral),
      untagged: g.runUntagged,
      locked: g.locked,
      access_level: g.protectedOnly ? 'ref_protected' : 'not_protected',
      paused: g.paused,
      maintenance_note: maintenanceNote(fleet.name, r.name),
    });
    if (g.maximumTimeoutSeconds !== undefined) body.maximum_timeout = g.maximumTimeoutSeconds;
    // `paused` is set at creation only: afterwards `runner-fleet drain`/`resume` own it, so the
    // next apply of this root does not un-pause a runner that is being drained.
    body.lifecycle = { ignore_changes: ['paused'] };
    runners[k] = body;
    const names = r.kubernetes;
    if (names) {
      clusters.add(r.cluster);
      secrets[k] = {
        provider: `kubernetes.${tfName(r.cluster)}`,
        metadata: { name: names.tokenSecret, namespace: names.namespace, labels: merged(commonLabels(fleet, r), { 'runner-fleet.dev/purpose': 'runner-token' }) },
        type: 'Opaque',
        // The chart mounts both keys; the legacy registration token stays empty.
        data: { 'runner-token': `\${gitlab_user_runner.${k}.token}`, 'runner-registration-token': '' },
      };
    }
  }
  const clusterList = [...clusters].sort();
  const variable: Record<string, unknown> = {
    gitlab_token: { type: 'string', sensitive: true, description: 'GitLab token with the create_runner scope (or api) of an Owner of the groups and projects, or an administrator for instance runners.' },
  };
  const providers: Record<string, unknown> = { gitlab: { base_url: `${fleet.gitlabUrl}/api/v4/`, token: '${var.gitlab_token}' } };
  const required: Record<string, unknown> = { gitlab: { source: 'gitlabhq/gitlab', version: GITLAB_PROVIDER_CONSTRAINT } };
  if (clusterList.length > 0) {
    variable.kubeconfig_path = { type: 'string', sensitive: true, description: 'Path of the kubeconfig file Terraform uses to reach the clusters.' };
    for (const c of clusterList) variable[kubeContextVar(c)] = { type: 'string', sensitive: true, description: `kubeconfig context of cluster ${c}.` };
    providers.kubernetes = clusterList.map((c) => ({ alias: tfName(c), config_path: '${var.kubeconfig_path}', config_context: `\${var.${kubeContextVar(c)}}` }));
    required.kubernetes = { source: 'hashicorp/kubernetes', version: KUBERNETES_PROVIDER_CONSTRAINT };
  }
  const data: Record<string, Record<string, Record<string, unknown>>> = {};
  if (Object.keys(groups).length > 0) data.gitlab_group = groups;
  if (Object.keys(projects).length > 0) data.gitlab_project = projects;
  const resource: TerraformResources = { gitlab_user_runner: runners };
  if (Object.keys(secrets).length > 0) resource.kubernetes_secret_v1 = secrets;
  return {
    '//': DO_NOT_EDIT,
    terraform: { required_version: '>= 1.5.0', required_providers: required },
    variable,
    provider: providers,
    ...(Object.keys(data).length > 0 ? { data } : {}),
    resource,
  };
}
