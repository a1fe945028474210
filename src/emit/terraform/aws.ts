import type { ResolvedFleet } from '../../model/types.js';
import { policyDocument } from '../../model/types.js';
import { DO_NOT_EDIT, mergeResources, tfName, type TerraformResources, type TerraformRoot } from '../artifacts.js';
import { platformFor } from '../../platforms/registry.js';
import { findBy } from '../../model/lookup.js';
import { tfLiteralMap } from './literal.js';

export const AWS_PROVIDER_CONSTRAINT = '>= 5.100, < 7';

/** Regions other than the fleet's own get a provider alias named after the region. */
export function awsRegions(fleet: ResolvedFleet, extra: string[]): string[] {
  const home = fleet.aws!.region;
  return [...new Set(extra.filter((r) => r !== home))].sort();
}

/** IAM roles with their trust and permissions as literal JSON documents: what is proven is what is applied. */
export function awsIdentityResources(fleet: ResolvedFleet): TerraformResources {
  const roles: Record<string, Record<string, unknown>> = {};
  const policies: Record<string, Record<string, unknown>> = {};
  // Platforms hand out one trust document for many roles (VM platforms: one per fleet): stringify each once.
  const trustTexts = new Map<object, string>();
  for (const id of fleet.identities) {
    if (id.cloud !== 'aws') continue;
    const runner = findBy(fleet.runners, 'name', id.runner)!;
    const cluster = fleet.clusters.find((c) => c.name === runner.cluster)!;
    const trust = platformFor(cluster.type).trustPolicy(fleet, cluster, id);
    const k = tfName(id.key);
    roles[k] = {
      name: id.roleName,
      path: id.rolePath,
      description: `GitLab runner ${id.purpose === 'manager' ? 'manager' : 'jobs'} of ${fleet.name}/${id.runner} (runner-fleet)`,
      assume_role_policy: trustText(trustTexts, trust),
      max_session_duration: 3600,
    };
    if (id.statements.length > 0) {
      policies[k] = { name: id.purpose === 'manager' ? 'runner-manager' : 'runner-jobs', role: `\${aws_iam_role.${k}.name}`, policy: JSON.stringify(policyDocument(id.statements)) };
    }
  }
  const out: TerraformResources = { aws_iam_role: roles };
  if (Object.keys(policies).length > 0) out.aws_iam_role_policy = policies;
  return out;
}

function trustText(texts: Map<object, string>, doc: object): string {
  let text = texts.get(doc);
  if (text === undefined) {
    text = JSON.stringify(doc);
    texts.set(doc, text);
  }
  return text;
}

/** default_tags of every aws provider of the fleet: ours, then the spec's aws.tags (user text, escaped). */
export function awsTags(fleet: ResolvedFleet): Record<string, string> {
  return { 'managed-by': 'runner-fleet', 'runner-fleet-fleet': fleet.name, ...tfLiteralMap(fleet.aws?.tags ?? {}) };
}

export function awsRoot(fleet: ResolvedFleet, contributions: TerraformResources[], regions: string[], locals: Record<string, string> = {}): TerraformRoot {
  const aws = fleet.aws!;
  const resource: TerraformResources = {};
  for (const c of contributions) mergeResources(resource, c);
  const tags = awsTags(fleet);
  const providers = [
    { region: aws.region, allowed_account_ids: [aws.accountId], default_tags: { tags } },
    ...awsRegions(fleet, regions).map((r) => ({ alias: tfName(r), region: r, allowed_account_ids: [aws.accountId], default_tags: { tags } })),
  ];
  const output: Record<string, unknown> = {};
  for (const id of fleet.identities) {
    if (id.cloud === 'aws') output[tfName(id.key, 'role_arn')] = { value: `\${aws_iam_role.${tfName(id.key)}.arn}`, description: `${id.purpose} role of runner ${id.runner}` };
  }
  const rotator = fleet.reach?.idTokens?.roles.find((r) => r.purpose === 'rotator' && r.cloud === 'aws');
  if (rotator) output.rotator_role_arn = { value: `\${aws_iam_role.${tfName(rotator.key)}.arn}`, description: `token rotator of ${fleet.name}: the value of RUNNER_FLEET_ROTATOR_ROLE_ARN in pipelines/rotate-tokens.gitlab-ci.yml` };
  return {
    '//': DO_NOT_EDIT,
    terraform: { required_version: '>= 1.5.0', required_providers: { aws: { source: 'hashicorp/aws', version: AWS_PROVIDER_CONSTRAINT } } },
    provider: { aws: providers },
    ...(Object.keys(locals).length > 0 ? { locals: Object.fromEntries(Object.entries(locals).sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
    resource: sortResources(resource),
    output,
  };
}

function sortResources(r: TerraformResources): TerraformResources {
  const out: TerraformResources = {};
  for (const type of Object.keys(r).sort()) out[type] = r[type]!;
  return out;
}
