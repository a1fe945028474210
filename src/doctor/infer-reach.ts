import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import type { IdTokenIntent, RotatorIntent } from '../verify/reach/intent.js';
import type { FleetIntent } from '../verify/intent.js';
import type { PolicyDocument } from '../verify/iam/types.js';
import { ROTATOR_KEY } from '../spec/resolve-operations.js';
import { ANY_PROJECT_PROBE_SUB, stringLikeMatches } from '../verify/reach/id-tokens.js';
import { formatPosition, originAt } from './source.js';
import type { Evidence } from './evidence.js';
import type { AzureEvidence } from './azure.js';
import { isObject } from '../model/is-object.js';
import { firstKeyWhere } from './key-index.js';
import { terraformFileKind } from './terraform-files.js';

/**
 * GitLab ID-token roles read back from documents (never a spec):
 * - an IAM role whose trust federates an OIDC provider with `sts:AssumeRoleWithWebIdentity` and
 *   conditions `<issuer>:sub` on `project_path:…` values (or names no sub at all, on a provider that
 *   is not a cluster issuer) is an ID-token role; its intended projects, refs, ref types and audience
 *   are the ones its trust names, so the proofs then show it refuses every look-alike, and the rules
 *   flag wildcard subjects (RF122), unpinned aud (RF101) and a trust without any sub (RF950);
 * - a managed identity whose federated credentials name `project_path:…` subjects is the Azure one;
 * - the token rotator is the role the rotation pipeline assumes (RUNNER_FLEET_ROTATOR_ROLE_ARN in a
 *   pipeline file, or the `rotator_role_arn` output of the Terraform): its one intended sub is the
 *   project and branch the pipeline's rules run on, and what it must reach are the token parameters
 *   and Auto Scaling groups of the VM managers read back;
 * - the Azure token rotator (AKS) is the managed identity the rotation pipeline signs in as
 *   (AZURE_CLIENT_ID: the `rotator_client_id` output's identity through RUNNER_FLEET_ROTATOR_CLIENT_ID,
 *   or a literal client id the evidence states, or else the one identity federated for the
 *   pipeline's sub): its one intended sub is the pipeline's; what it must reach (Key Vault secrets,
 *   clusters, RBAC) is added by inferRotatorKubernetes from the clusters the pipeline names.
 */

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const SUB = /^project_path:(.+?)(?::ref_type:([^:]+):ref:(.*))?$/;
/** Issuers of Kubernetes clusters (their roles are runner identities, not ID-token roles). */
const CLUSTER_ISSUER = /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\//;

type Subject = IdTokenIntent['roles'][number]['subjects'][number];

/**
 * Structured subjects of sub values, grouped by project and ref type in the order written. A
 * project_path pattern with no group before its first wildcard (`acme*`, `*`), and a StringLike
 * pattern that is not project_path-shaped but matches GitLab subs (`*`), admit projects of any
 * group: a `prefix` subject, never dropped.
 */
function subjectsOf(values: readonly { value: string; like: boolean }[]): Subject[] {
  const out: Subject[] = [];
  const add = (key: { group?: string; project?: string; prefix?: string }, refType: 'branch' | 'tag', ref: string, anyRef: boolean) => {
    const same = out.find((s) => s.group === key.group && s.project === key.project && s.prefix === key.prefix && s.refType === refType && s.anyRef === anyRef);
    if (same) {
      if (!anyRef && !same.refs.includes(ref)) same.refs.push(ref);
      return;
    }
    out.push({ ...key, refType, refs: anyRef ? [] : [ref], anyRef });
  };
  for (const { value: v, like } of values) {
    const m = SUB.exec(v);
    if (!m) {
      // `*`, `project_path*`, `*:ref_type:branch:ref:*`: every project of the instance.
      if (!like || !/[*?]/.test(v)) continue;
      for (const refType of ['branch', 'tag'] as const) {
        if (stringLikeMatches(v, ANY_PROJECT_PROBE_SUB.replace(':ref_type:branch:', `:ref_type:${refType}:`))) add({ prefix: '' }, refType, '', true);
      }
      continue;
    }
    // `project_path:acme/*` (no ref part): in StringLike the * spans the ref type and ref too.
    const [, path, type = '*', ref = '*'] = m as unknown as [string, string, string | undefined, string | undefined];
    const refTypes: ('branch' | 'tag')[] = type === 'branch' || type === 'tag' ? [type] : /[*?]/.test(type) ? ['branch', 'tag'] : [];
    const wildcard = path.search(/[*?]/);
    const literal = wildcard < 0 ? path : path.slice(0, wildcard);
    // `acme/app*` stays under group acme; `acme*` and `*` do not (acme-evil/x, every project).
    const key = wildcard < 0 ? { project: path } : literal.includes('/') ? { group: literal.slice(0, literal.lastIndexOf('/')) } : { prefix: literal };
    const anyRef = /^[*?]+$/.test(ref);
    for (const refType of refTypes) add(key, refType, ref, anyRef);
  }
  return out;
}

/** The sub a subject admits for a ref, as a trust would name it. */
const subOf = (s: Subject, ref: string) => `project_path:${s.project ?? (s.group !== undefined ? `${s.group}/*` : `${s.prefix!}*`)}:ref_type:${s.refType}:ref:${ref}`;

/** The ID-token roles of the AWS roles in `root` (the roles runner chains hold are not among them). */
function awsRoles(ev: Evidence, root: TerraformRoot, runnerRoles: ReadonlySet<string>, findings: Finding[], named: (key: string, roleName: string) => string): IdTokenIntent['roles'] {
  const out: IdTokenIntent['roles'] = [];
  for (const [key, body] of Object.entries(root.resource.aws_iam_role ?? {})) {
    const roleName = String(body.name);
    if (runnerRoles.has(roleName)) continue;
    let trust: PolicyDocument;
    try {
      trust = JSON.parse(String(body.assume_role_policy)) as PolicyDocument;
    } catch {
      continue;
    }
    let provider: string | undefined;
    const subs: { value: string; like: boolean }[] = [];
    let aud: string | undefined;
    let subConditioned = false;
    for (const st of list(trust.Statement)) {
      if (st.Effect !== 'Allow' || !list(st.Action).some((a) => /^sts:AssumeRoleWithWebIdentity$/i.test(String(a)))) continue;
      const principal = isObject(st.Principal) ? list((st.Principal as Record<string, string | string[]>).Federated) : [];
      const p = principal.find((x) => /:oidc-provider\//.test(String(x)));
      if (p === undefined) continue;
      const hp = String(p).replace(/^.*:oidc-provider\//, '');
      if (CLUSTER_ISSUER.test(hp)) continue;
      for (const [op, block] of Object.entries(st.Condition ?? {})) {
        for (const [k, v] of Object.entries(block)) {
          if (k.toLowerCase() === `${hp}:sub`.toLowerCase()) {
            subConditioned = true;
            subs.push(...list(v as string | string[]).map((x) => ({ value: String(x), like: /Like/i.test(op) })));
          }
          if (k.toLowerCase() === `${hp}:aud`.toLowerCase()) aud ??= list(v as string | string[]).map(String)[0];
        }
      }
      provider ??= String(p);
    }
    if (provider === undefined) continue;
    const subjects = subjectsOf(subs);
    if (subConditioned && subjects.length === 0) continue; // Another OIDC federation (not GitLab's sub format).
    const at = ev.terraform.origins.get(`aws_iam_role.${key}.assume_role_policy`) ?? ev.terraform.origins.get(`aws_iam_role.${key}`);
    const path = at ? formatPosition(originAt(at)) : '';
    const hp = provider.replace(/^.*:oidc-provider\//, '');
    if (!subConditioned) {
      findings.push({ code: 'RF950', severity: CODES.RF950.severity, path, message: `role ${roleName} trusts the OIDC provider ${hp} without any condition on ${hp}:sub: every pipeline of every project on that GitLab instance can assume it`, received: 'no sub condition', allowed: `StringEquals ${hp}:sub project_path:<group>/<project>:ref_type:branch:ref:<protected branch>`, fix: 'name the project and its protected branches or tags in the sub condition' });
      continue;
    }
    out.push({ path, name: named(key, roleName), cloud: 'aws', roleName, issuer: `https://${hp}`, providerArn: provider, audience: aud ?? 'sts.amazonaws.com', subjects });
  }
  return out;
}

/** Azure managed identities with federated credentials on GitLab subjects. */
function azureRoles(azure: AzureEvidence, named: (key: string, roleName: string) => string): IdTokenIntent['roles'] {
  const out: IdTokenIntent['roles'] = [];
  const root = azure.root;
  for (const [key, body] of Object.entries(root.resource.azurerm_user_assigned_identity ?? {})) {
    const creds = Object.entries(root.resource.azurerm_federated_identity_credential ?? {}).filter(([, c]) => c.parent_id === `\${azurerm_user_assigned_identity.${key}.id}` && SUB.test(String(c.subject)));
    if (creds.length === 0) continue;
    const issuer = String(creds[0]![1].issuer);
    const audience = list(creds[0]![1].audience as string | string[]).map(String)[0] ?? 'api://AzureADTokenExchange';
    const at = azure.origins.get(`azurerm_federated_identity_credential.${creds[0]![0]}`) ?? azure.origins.get(`azurerm_user_assigned_identity.${key}`);
    const roleName = String(body.name);
    out.push({ path: at ? formatPosition(originAt(at)) : '', name: named(key, roleName), cloud: 'azure', roleName, issuer, audience, subjects: subjectsOf(creds.filter(([, c]) => c.issuer === issuer).map(([, c]) => ({ value: String(c.subject), like: false }))) });
  }
  return out;
}

/** Every job of the pipeline files given: top-level mappings with `variables`. */
function* pipelineJobs(ev: Evidence): Generator<Record<string, unknown> & { variables: Record<string, unknown> }> {
  for (const a of ev.artifacts) {
    if (a.format !== 'yaml' || !Array.isArray(a.content)) continue;
    for (const doc of a.content) {
      if (!isObject(doc)) continue;
      for (const job of Object.values(doc)) if (isObject(job) && isObject(job.variables)) yield job as Record<string, unknown> & { variables: Record<string, unknown> };
    }
  }
}

/** The pipeline jobs that run the token rotation: each one's rotator role ARN and the sub its rules admit. */
function rotationPipelines(ev: Evidence): { roleArn: string; sub?: string }[] {
  const out: { roleArn: string; sub?: string }[] = [];
  for (const job of pipelineJobs(ev)) {
    const arn = job.variables.RUNNER_FLEET_ROTATOR_ROLE_ARN;
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) continue;
    const sub = subOfRules(job);
    out.push({ roleArn: arn, ...(sub !== undefined ? { sub } : {}) });
  }
  return out;
}

/** The sub the rules of a rotation job admit (its project and branch). */
function subOfRules(job: Record<string, unknown>): string | undefined {
  const rules = list(job.rules as unknown[]).map((r) => (isObject(r) && typeof r.if === 'string' ? r.if : '')).join(' ');
  const project = /\$CI_PROJECT_PATH\s*==\s*"([^"]+)"/.exec(rules)?.[1];
  const branch = /\$CI_COMMIT_(?:REF_NAME|BRANCH)\s*==\s*"([^"]+)"/.exec(rules)?.[1];
  return project && branch ? `project_path:${project}:ref_type:branch:ref:${branch}` : undefined;
}

/** The rotation job that signs in to Azure: AZURE_CLIENT_ID from RUNNER_FLEET_ROTATOR_CLIENT_ID (or a literal client id) and the runner-fleet rotate command. */
export function azureRotationJob(ev: Evidence): { job: Record<string, unknown>; clientId: string; sub?: string } | undefined {
  for (const job of pipelineJobs(ev)) {
    const clientId = job.variables.AZURE_CLIENT_ID;
    if (typeof clientId !== 'string' || clientId === '') continue;
    const script = list(job.script as unknown[]).filter((l): l is string => typeof l === 'string');
    if (!clientId.includes('RUNNER_FLEET_ROTATOR_CLIENT_ID') && !script.some((l) => /runner-fleet(@\S+)?\s+rotate\b/.test(l))) continue;
    const sub = subOfRules(job);
    return { job, clientId, ...(sub !== undefined ? { sub } : {}) };
  }
  return undefined;
}

/** The value of an output of the Terraform (e.g. `rotator_client_id`). */
function outputValue(ev: Evidence, name: string): unknown {
  for (const a of ev.artifacts) {
    if (terraformFileKind(a.path) !== 'config-json' || !Array.isArray(a.content)) continue;
    for (const doc of a.content as unknown[]) {
      const o = isObject(doc) && isObject(doc.output) ? doc.output[name] : undefined;
      if (isObject(o) && o.value !== undefined) return o.value;
    }
  }
  return undefined;
}

/** The Azure token rotator among the managed identities: named by the rotation job (or the `rotator_client_id` output). */
function markAzureRotator(ev: Evidence, azure: AzureEvidence, roles: IdTokenIntent['roles']): void {
  const job = azureRotationJob(ev);
  const output = outputValue(ev, 'rotator_client_id');
  const literal = job && /^[0-9a-f-]{36}$/i.test(job.clientId) ? azure.clientIds.get(job.clientId.toLowerCase()) : undefined;
  const fromOutput = typeof output === 'string' ? azure.clientIdRefs.get(output) : undefined;
  const azureRoles = roles.filter((r) => r.cloud === 'azure');
  const subsOf = (r: IdTokenIntent['roles'][number]) => r.subjects.flatMap((s) => s.refs.map((ref) => subOf(s, ref)));
  const byName = literal ?? fromOutput;
  const federated = job?.sub !== undefined ? azureRoles.filter((r) => subsOf(r).includes(job.sub!)) : [];
  const rotator = byName !== undefined ? azureRoles.find((r) => r.roleName === byName) : federated.length === 1 ? federated[0] : undefined;
  if (!rotator) return;
  const subs = subsOf(rotator);
  const sub = job?.sub ?? (subs.length === 1 ? subs[0]! : undefined);
  if (sub === undefined) return;
  // Its name becomes the rotator's key only where what it reaches is read back too (inferRotatorKubernetes).
  rotator.azureRotator = { sub, secretScopes: [], clusterIds: [] };
}

/** The Terraform keys of the roles the `rotator_role_arn` outputs name (one per root given). */
function rotatorOutputs(ev: Evidence): string[] {
  const out: string[] = [];
  for (const a of ev.artifacts) {
    if (terraformFileKind(a.path) !== 'config-json' || !Array.isArray(a.content)) continue;
    for (const doc of a.content as unknown[]) {
      const v = isObject(doc) && isObject(doc.output) && isObject(doc.output.rotator_role_arn) ? doc.output.rotator_role_arn.value : undefined;
      const m = typeof v === 'string' ? /^\$\{aws_iam_role\.([A-Za-z0-9_-]+)\.arn\}$/.exec(v) : null;
      if (m) out.push(m[1]!);
    }
  }
  return out;
}

/**
 * The ID-token part of the intent, inferred from the documents; undefined when there is no
 * ID-token role. `intent` already holds the runners (their token parameters and manager groups).
 */
export function inferIdTokens(ev: Evidence, root: TerraformRoot, azure: AzureEvidence, intent: FleetIntent, deployments?: readonly AzureEvidence[]): { idTokens?: IdTokenIntent; findings: Finding[]; azureUsed: boolean } {
  const findings: Finding[] = [];
  const generated = ev.terraform.generatedByRunnerFleet;
  // runner-fleet's own roots key ID-token roles `idt-<name>`; other roots are named by their role name.
  const named = (key: string, roleName: string) => (key === ROTATOR_KEY ? ROTATOR_KEY : generated && key.startsWith('idt-') ? key.slice(4) : roleName);
  const runnerRoles = new Set(intent.identities.map((i) => i.roleName));
  // Several Azure deployments given together: each identity with its own deployment's root (two may share a name).
  const azureIdentities = deployments ? deployments.flatMap((d) => azureRoles(d, named).map((r) => ({ ...r, azureRoot: d.root }))) : azureRoles(azure, named);
  const roles = [...awsRoles(ev, root, runnerRoles, findings, named), ...azureIdentities];
  const azureUsed = roles.some((r) => r.cloud === 'azure');
  if (roles.length === 0) return { findings, azureUsed };
  if (azureUsed) markAzureRotator(ev, azure, roles);

  // The rotators: each named by a rotation pipeline (or the Terraform output the pipeline reads). One
  // per deployment: several roots given side by side (staging/, prod/) may each have their own.
  const pipelines = rotationPipelines(ev);
  const outputKeys = rotatorOutputs(ev);
  const pipelineOf = (r: (typeof roles)[number]) => pipelines.find((p) => p.roleArn.endsWith(`/${r.roleName}`));
  const rotators = roles.filter((r) => r.cloud === 'aws' && (pipelines.length > 0 ? pipelineOf(r) !== undefined : outputKeys.some((k) => String(root.resource.aws_iam_role?.[k]?.name) === r.roleName)));
  const rootOf = rootFolderOf(ev);
  for (const rotator of intent.aws ? rotators : []) {
    const subs = rotator.subjects.flatMap((s) => s.refs.map((ref) => subOf(s, ref)));
    const sub = pipelineOf(rotator)?.sub ?? (subs.length === 1 ? subs[0]! : undefined);
    if (sub === undefined) continue;
    const { partition, accountId, region } = intent.aws!;
    const parameters: RotatorIntent['parameters'] = [];
    const managerGroups: string[] = [];
    // Several roots given: a rotator rotates the tokens of its own root's runners.
    const rotatorKey = firstKeyWhere(root.resource.aws_iam_role, 'name', rotator.roleName);
    const rotatorRoot = rotatorKey !== undefined ? rootOf(`aws_iam_role.${rotatorKey}`) : undefined;
    for (const r of intent.runners) {
      const name = r.platformNames?.tokenParameter;
      if (name === undefined) continue;
      const key = firstKeyWhere(root.resource.aws_ssm_parameter, 'name', name);
      if (rotatorRoot !== undefined && key !== undefined && rootOf(`aws_ssm_parameter.${key}`) !== rotatorRoot) continue;
      const body = key !== undefined ? root.resource.aws_ssm_parameter![key] : undefined;
      const kms = typeof body?.key_id === 'string' && body.key_id.startsWith('arn:') ? body.key_id : undefined;
      // A runner of one root of several is in its own root's region and account (IntentRunner.region, .account).
      const at = r.region ?? region;
      parameters.push({ arn: `arn:${partition}:ssm:${at}:${r.account ?? accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`, region: at, ...(kms !== undefined ? { kmsKeyArn: kms } : {}) });
      if (r.platformNames?.managerGroup !== undefined) managerGroups.push(r.platformNames.managerGroup);
    }
    // One rotator is the fleet's token rotator; of several, each is named by its role (proofs are kept by name).
    rotator.name = rotators.length === 1 ? ROTATOR_KEY : rotator.roleName;
    rotator.rotator = { sub, parameters, managerGroups, accountId };
  }
  return { idTokens: { partition: intent.aws?.partition ?? 'aws', roles }, findings, azureUsed };
}

/**
 * The root folder of a resource (`type.key`) where several Terraform roots were given: the longest of
 * their folders that holds the file it is written in. Undefined with one root, or for a resource
 * of no root known (then nothing is told apart by root).
 */
function rootFolderOf(ev: Evidence): (address: string) => string | undefined {
  const folders = [...new Set([...(ev.terraform.rootScopes?.values() ?? []), ...(ev.terraform.rootMarks?.values() ?? [])])].sort((a, b) => b.length - a.length);
  if (folders.length < 2) return () => undefined;
  return (address) => {
    const path = ev.terraform.origins.get(address)?.source.path;
    if (path === undefined) return undefined;
    return folders.find((f) => f === '' || f === '.' || path.startsWith(`${f}/`));
  };
}
