import type { AwsServiceSubject, IdentitySubject, ResolvedCluster } from '../../model/types.js';
import { policyDocument } from '../../model/types.js';
import type { Finding, FindingSubject } from '../../spec/findings.js';
import { safeText, showValue, adviceThenRegenerate } from '../../spec/findings.js';
import { tomlDifference, tomlPathText } from '../../verify/toml-read.js';
import { CODES, type Code } from '../../spec/codes.js';
import { fitName, iamRoleName } from '../../spec/names.js';
import type { Artifact, TerraformResources, TerraformRoot } from '../../emit/artifacts.js';
import { DO_NOT_EDIT, named, tfName } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import { runnerAws } from '../../verify/runner-aws.js';
import { hasCredentialShape, holdsCredential, maskCredentials, shownText } from '../../verify/credentials.js';
import { cloudConfigCommands, cloudConfigFileSpan, isCloudConfig } from './cloud-init.js';

// Where one runner's resources live (its own root's region and account): shared with EKS, kept in verify/runner-aws.ts.
export { runnerAws };
import { HASH_COMMENT, serializeArtifact, tomlDocumentText } from '../../emit/serialize.js';
import type { PolicyDocument, Statement } from '../../verify/iam/types.js';
import { actionPatterns, decisionOverTagsFor, evaluatePolicies, evaluatePoliciesFor, type PolicySet, type PreparedRequest } from '../../verify/iam/evaluator.js';
import { awsFacts, parseRef, preparedRoleRequest, unshownPrincipalTags, type RoleFacts } from '../../verify/aws-docs.js';
import { principalTagsTestedBy, unshownTagsFinding, type UnshownResourceTags } from '../../verify/unshown-tags.js';
import { mayUseKeyOverTags, type KeyOf } from '../../verify/kms.js';
import type { ManagerTokenParameter } from './token-readers.js';
import type { VmClusterSpec } from './schema.js';
import { findBy, findWith } from '../../model/lookup.js';
import { isObject } from '../../model/is-object.js';
import { jsonTextOnce } from '../../model/json-text.js';
import { TOKEN_EXPANSION_SINCE, unexpandedTokens, userDataFilePath } from './user-data.js';

/**
 * What the three AWS VM platforms share: a runner manager on one EC2 instance (a one-instance
 * Auto Scaling group from a launch template), its instance profile, its closed security group,
 * its token parameter and its user data, plus the rules proven over those documents.
 */

export const EC2_SERVICE = 'ec2.amazonaws.com';
export const ECS_TASKS_SERVICE = 'ecs-tasks.amazonaws.com';
/**
 * The runner version installed on VMs. Not the chart's appVersion used on EKS and AKS (18.9.0): a VM
 * manager's config.toml names its token `$CI_SERVER_TOKEN`, which the service's environment file
 * holds, and gitlab-runner expands variables in `token` only from 18.10.0 on (TOKEN_EXPANSION_SINCE).
 * The chart does not need it: its entrypoint runs `gitlab-runner register` with the token from its
 * Secret, and register writes the token into config.toml.
 */
export const RUNNER_VERSION = '18.10.1';
/** The value Terraform writes into the token parameter; registration overwrites it and Terraform ignores the change. */
export const TOKEN_PLACEHOLDER = 'set-by-runner-registration';
export const SSM_CORE_POLICY = 'AmazonSSMManagedInstanceCore';
export const VM_PLATFORM_TYPES = ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler'] as const;
/** An account that is never the fleet's: compute there must not obtain the fleet's roles. */
export const FOREIGN_ACCOUNT = '999999999999';

export function vmSpec(cluster: ResolvedCluster): VmClusterSpec {
  return cluster.spec as unknown as VmClusterSpec;
}

function aws(fleet: FleetIntent) {
  return fleet.aws!;
}

const taskRegions = new WeakMap<readonly IntentRunner[], { length: number; byFamily: Map<string, string> }>();

/**
 * The region a subject's tasks run in: that of the (first) runner whose task family it is and that
 * states one (IntentRunner.region), else the fleet's. Looked up in an index of the runners, built
 * when their list is first read or has grown (as model/lookup.ts findBy): the trust proofs ask for
 * every task subject, and a scan of the runners each time grew with the square of them.
 */
function taskRegion(fleet: FleetIntent, subject: AwsServiceSubject): string {
  let index = taskRegions.get(fleet.runners);
  if (!index || index.length !== fleet.runners.length) {
    const byFamily = new Map<string, string>();
    for (const r of fleet.runners) {
      const family = r.platformNames?.taskFamily;
      if (r.region !== undefined && family !== undefined && !byFamily.has(family)) byFamily.set(family, r.region);
    }
    taskRegions.set(fleet.runners, (index = { length: fleet.runners.length, byFamily }));
  }
  return index.byFamily.get(subject.name) ?? aws(fleet).region;
}

/** The KMS key of a runner's token parameter: its own (IntentRunner.tokenKmsKeyArn, the doctor's), else its cluster's. */
export function runnerTokenKey(fleet: FleetIntent, runner: Pick<IntentRunner, 'cluster' | 'tokenKmsKeyArn'>): string | undefined {
  if (runner.tokenKmsKeyArn !== undefined) return runner.tokenKmsKeyArn;
  const cluster = findBy(fleet.clusters, 'name', runner.cluster);
  return cluster ? vmSpec(cluster).tokenKmsKeyArn : undefined;
}

const homes = new WeakMap<FleetIntent, { accounts: ReadonlySet<string>; hidden: ReadonlySet<string> }>();

/**
 * The accounts this fleet's compute is in (the fleet's, and a runner's own, IntentRunner.account, of
 * several roots) and those of them the documents do not show: read once per fleet (the all-pairs
 * proof asks for every role and cluster).
 */
function homeAccountsOf(fleet: FleetIntent): { accounts: ReadonlySet<string>; hidden: ReadonlySet<string> } {
  let hit = homes.get(fleet);
  if (!hit) {
    const own = fleet.runners.filter((r) => r.account !== undefined);
    hit = {
      accounts: new Set([aws(fleet).accountId, ...own.map((r) => r.account!)]),
      hidden: new Set([...(aws(fleet).accountShown === false ? [aws(fleet).accountId] : []), ...own.filter((r) => r.accountShown === false).map((r) => r.account!)]),
    };
    homes.set(fleet, hit);
  }
  return hit;
}


/** An ARN as a message shows it: an account the documents do not show is `<account id>`, never the stand-in. */
function shownArn(fleet: FleetIntent, arn: string): string {
  return shownArns(fleet, arn);
}

/** Text naming ARNs (a list of missing grants, a fix) as a message shows it: see shownArn. */
export function shownArns(fleet: FleetIntent, text: string): string {
  // The fleet's account, and a runner's own (IntentRunner.account), where the documents do not show it.
  const hidden = homeAccountsOf(fleet).hidden;
  if (hidden.size === 0) return text;
  return text.replace(/\barn:(aws[a-z-]*):([a-z0-9-]*):([a-z0-9-]*):(\d{12}):/g, (m, p: string, svc: string, region: string, account: string) => (hidden.has(account) ? `arn:${p}:${svc}:${region}:<account id>:` : m));
}

/** The account of this fleet's compute (of `runner`'s, IntentRunner.account), as a subject carries it (a stand-in the documents do not show is marked so). */
function subjectAccount(fleet: FleetIntent, runner?: Pick<IntentRunner, 'account' | 'accountShown'>): Pick<AwsServiceSubject, 'account' | 'accountNotShown'> {
  if (runner?.account !== undefined && runner.account !== aws(fleet).accountId) return { account: runner.account, ...(runner.accountShown === false ? { accountNotShown: true as const } : {}) };
  return { account: aws(fleet).accountId, ...(aws(fleet).accountShown === false ? { accountNotShown: true as const } : {}) };
}

/** Names of one VM runner's resources, derived once in resolve. */
export function vmRunnerNames(fleetName: string, runner: { name: string }) {
  const base = fitName(`${fleetName}-${runner.name}`, 48);
  return {
    base,
    managerSecurityGroup: `${base}-manager`,
    managerLaunchTemplate: `${base}-manager`,
    managerGroup: `${base}-manager`,
    instanceProfile: `${base}-manager`,
    tokenParameter: `/runner-fleet/${fleetName}/${runner.name}/runner-token`,
    // Fargate
    ecsCluster: base,
    taskFamily: `${base}-jobs`,
    ecrRepository: `${fleetName}/${runner.name}-jobs`,
    tasksSecurityGroup: `${base}-tasks`,
    executionRole: iamRoleName(`${fleetName}-${runner.name}-task-execution`),
    // docker-autoscaler
    workerGroup: `${base}-workers`,
    workerLaunchTemplate: `${base}-workers`,
    workerSecurityGroup: `${base}-workers`,
  };
}

export type VmNames = ReturnType<typeof vmRunnerNames>;

export function names(runner: IntentRunner): VmNames {
  return runner.platformNames as unknown as VmNames;
}

export const key = (runner: IntentRunner, ...parts: string[]) => tfName(runner.name, ...parts);

export function tokenParameterArn(fleet: FleetIntent, runner: IntentRunner): string {
  const a = runnerAws(fleet, runner);
  return `arn:${a.partition}:ssm:${a.region}:${a.accountId}:parameter${names(runner).tokenParameter}`;
}

/**
 * With a customer-managed key for the token parameter, the manager may decrypt with that key only
 * when SSM asks on its behalf (kms:ViaService) and only for its own parameter: Parameter Store
 * passes the parameter ARN as the encryption context PARAMETER_ARN.
 */
export function tokenKeyStatements(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): Statement[] {
  const keyArn = runner.tokenKmsKeyArn ?? vmSpec(cluster).tokenKmsKeyArn;
  if (keyArn === undefined) return [];
  return [
    {
      Sid: 'DecryptRunnerToken',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `ssm.${runnerAws(fleet, runner).region}.amazonaws.com`, 'kms:EncryptionContext:PARAMETER_ARN': tokenParameterArn(fleet, runner) } },
    },
  ];
}

/** Trust of a role used through an instance profile. */
export function ec2Trust(): PolicyDocument {
  // One document for every manager role (read only): its JSON text is then computed once per fleet.
  return EC2_TRUST;
}
const EC2_TRUST: PolicyDocument = { Version: '2012-10-17', Statement: [{ Sid: 'Ec2InstanceProfile', Effect: 'Allow', Principal: { Service: EC2_SERVICE }, Action: 'sts:AssumeRole' }] };

/** Trust of a task (or task execution) role: ECS tasks of this account only (confused-deputy guard). */
export function ecsTasksTrust(fleet: FleetIntent): PolicyDocument {
  const a = aws(fleet);
  // The same for every task role of the fleet (read only): built once per account settings.
  let doc = ecsTasksTrusts.get(a);
  if (!doc) {
    doc = ecsTasksTrustOf(a);
    ecsTasksTrusts.set(a, doc);
  }
  return doc;
}
const ecsTasksTrusts = new WeakMap<object, PolicyDocument>();

/** The JSON text of that trust, once per fleet (every task execution role embeds it: jsonTextOnce). */
export function ecsTasksTrustText(fleet: FleetIntent): string {
  return jsonTextOnce(ecsTasksTrust(fleet));
}

function ecsTasksTrustOf(a: NonNullable<FleetIntent['aws']>): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EcsTasksOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: ECS_TASKS_SERVICE },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': a.accountId }, ArnLike: { 'aws:SourceArn': `arn:${a.partition}:ecs:${a.region}:${a.accountId}:*` } },
      },
    ],
  };
}

export function instanceProfileSubject(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): AwsServiceSubject {
  return { kind: 'aws-service', cluster: cluster.name, service: EC2_SERVICE, attachment: 'instance-profile', name: names(runner).instanceProfile, ...subjectAccount(fleet, runner) };
}

export function taskSubject(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): AwsServiceSubject {
  return { kind: 'aws-service', cluster: cluster.name, service: ECS_TASKS_SERVICE, attachment: 'task-definition', name: names(runner).taskFamily, ...subjectAccount(fleet, runner) };
}

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

function list(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

function resources(root: TerraformRoot, type: string): [string, Record<string, unknown>][] {
  return Object.entries(root.resource[type] ?? {});
}

/**
 * The resources of one type of a root, by key: for-in over it (own keys only) visits the keys of
 * `resources`, in its order, without an entry pair and an iterator result per resource, which
 * loops over a thousand runners' resources allocate before V8 optimises them.
 */
function resourceBlock(root: TerraformRoot, type: string): Record<string, Record<string, unknown>> {
  return root.resource[type] ?? {};
}

const ssmParameterIndex = new WeakMap<TerraformRoot, Map<unknown, [string, Record<string, unknown>][]>>();

/** The root's aws_ssm_parameter resources whose `name` is `name`, indexed once per root (every runner asks). */
function ssmParametersNamed(root: TerraformRoot, name: string): [string, Record<string, unknown>][] {
  let index = ssmParameterIndex.get(root);
  if (!index) {
    index = new Map();
    for (const entry of resources(root, 'aws_ssm_parameter')) {
      const list = index.get(entry[1].name);
      if (list) list.push(entry);
      else index.set(entry[1].name, [entry]);
    }
    ssmParameterIndex.set(root, index);
  }
  return index.get(name) ?? [];
}

/** Role name a reference (`${aws_iam_role.k.arn}` / `.name`) or a literal ARN/name points at. */
function roleNameOf(root: TerraformRoot, roleKeys: Map<string, string>, value: unknown): string | undefined {
  const ref = parseRef(value);
  if (ref) return ref.type === 'aws_iam_role' ? roleKeys.get(ref.name) : undefined;
  return typeof value === 'string' ? value.split('/').pop() : undefined;
}

type Attachment = { subject: Omit<AwsServiceSubject, 'cluster' | 'account'>; roleName: string | undefined };

/** Compute that can carry a role, indexed once per set of documents (never per role or subject). */
interface AttachmentIndex {
  all: Attachment[];
  /** `attachment|name` → role names carried (more than one is a broken document). */
  roles: Map<string, (string | undefined)[]>;
  /** role name → `attachment|name` of the compute carrying it. */
  carriers: Map<string, string[]>;
  /** subject name → positions in `all`, ascending. */
  positions: Map<string, number[]>;
}

/**
 * Adds `value` to the list under `key`, in the order added. The lists of the indexes below are only
 * grown while their index is built, before anyone is given one (a copy per add grew with the square
 * of the values sharing a key); their readers only read them.
 */
export function pushUnder<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

const attachmentIndexes = new WeakMap<FleetDocuments, AttachmentIndex>();
const attachmentKey = (attachment: string, name: string) => `${attachment}|${name}`;

function attachmentIndex(docs: FleetDocuments): AttachmentIndex {
  const hit = attachmentIndexes.get(docs);
  if (hit) return hit;
  const facts = awsFacts(docs);
  const all: Attachment[] = [];
  if (facts) {
    const root = facts.root;
    for (const [, body] of resources(root, 'aws_iam_instance_profile')) {
      all.push({ subject: { kind: 'aws-service', service: EC2_SERVICE, attachment: 'instance-profile', name: String(body.name) }, roleName: roleNameOf(root, facts.roleKeys, body.role) });
    }
    for (const [, body] of resources(root, 'aws_ecs_task_definition')) {
      all.push({ subject: { kind: 'aws-service', service: ECS_TASKS_SERVICE, attachment: 'task-definition', name: String(body.family) }, roleName: body.task_role_arn === undefined ? undefined : roleNameOf(root, facts.roleKeys, body.task_role_arn) });
    }
  }
  const roles = new Map<string, (string | undefined)[]>();
  const carriers = new Map<string, string[]>();
  const positions = new Map<string, number[]>();
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    pushUnder(positions, a.subject.name, i);
    const k = attachmentKey(a.subject.attachment, a.subject.name);
    pushUnder(roles, k, a.roleName);
    if (a.roleName !== undefined) pushUnder(carriers, a.roleName, k);
  }
  const index = { all, roles, carriers, positions };
  attachmentIndexes.set(docs, index);
  return index;
}

/** Instance profiles and task definitions in the root: compute that can carry a role. */
function attachments(docs: FleetDocuments): Attachment[] {
  return attachmentIndex(docs).all;
}

/** A list of candidate subjects by attachment key (the all-pairs proof passes one list for every role). */
const subjectLists = new WeakMap<readonly IdentitySubject[], { byKey: Map<string, AwsServiceSubject[]>; foreign: AwsServiceSubject[]; account: string; position: Map<IdentitySubject, number> }>();
function subjectListIndex(subjects: readonly IdentitySubject[], accounts: ReadonlySet<string>) {
  const account = [...accounts].join(',');
  const hit = subjectLists.get(subjects);
  if (hit && hit.account === account) return hit;
  const byKey = new Map<string, AwsServiceSubject[]>();
  const foreign: AwsServiceSubject[] = [];
  const position = new Map<IdentitySubject, number>();
  for (const s of subjects) {
    position.set(s, position.size);
    if (s.kind !== 'aws-service') continue;
    if (!accounts.has(s.account)) foreign.push(s);
    else {
      const k = attachmentKey(s.attachment, s.name);
      pushUnder(byKey, k, s);
    }
  }
  const index = { byKey, foreign, account, position };
  subjectLists.set(subjects, index);
  return index;
}

/**
 * Subjects of one VM cluster: the instance profiles and task definitions of its runners. Anything
 * else of that kind in the root (a profile nobody asked for) is reported by the fleet's first VM
 * cluster, so the all-pairs proof sees it exactly once.
 */
export function vmSubjects(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster): IdentitySubject[] {
  const owners = vmOwnersOf(fleet);
  const own = owners.byCluster.get(cluster.name);
  const first = findWith(fleet.clusters, isVmCluster, true)?.name === cluster.name;
  const all = attachments(docs);
  // The first VM cluster also reports what no runner owns: one pass over the root's compute, once per
  // fleet. Every other cluster looks its runners' names up, in the root's order, as the pass would give them.
  const picked = first
    ? all.filter((a) => own?.has(a.subject.name) === true || !owners.all.has(a.subject.name))
    : [...(own ?? [])]
        .flatMap((name) => (typeof name === 'string' ? attachmentIndex(docs).positions.get(name) ?? [] : []))
        .sort((x, y) => x - y)
        .map((i) => all[i]!);
  return picked.map((a) => ({ ...a.subject, cluster: cluster.name, ...subjectAccount(fleet, owners.runnerOf.get(a.subject.name)) }));
}

const isVmCluster = (c: ResolvedCluster): boolean => (VM_PLATFORM_TYPES as readonly string[]).includes(c.type);

/**
 * The names of the fleet's VM compute (each runner's instance profile and task family): per cluster,
 * all of them, and the runner of an account each names (the last of a name). Built once per runner
 * list, where every VM cluster scanned every runner (the doctor's folders give a cluster each); built
 * again when the list's length changes, as lookup.ts's indexes are (an intent is made, then read).
 */
interface VmOwners {
  length: number;
  byCluster: Map<string, Set<string | undefined>>;
  all: Set<string | undefined>;
  runnerOf: Map<string | undefined, IntentRunner>;
}
const vmOwnerIndexes = new WeakMap<readonly IntentRunner[], VmOwners>();
function vmOwnersOf(fleet: FleetIntent): VmOwners {
  const hit = vmOwnerIndexes.get(fleet.runners);
  if (hit && hit.length === fleet.runners.length) return hit;
  const owners: VmOwners = { length: fleet.runners.length, byCluster: new Map(), all: new Set(), runnerOf: new Map() };
  for (const r of fleet.runners) {
    if (!r.platformNames) continue;
    const n = names(r);
    let own = owners.byCluster.get(r.cluster);
    if (!own) owners.byCluster.set(r.cluster, (own = new Set()));
    for (const name of [n.instanceProfile, n.taskFamily]) {
      own.add(name);
      owners.all.add(name);
      // A runner's compute is in its own account (IntentRunner.account, of several roots).
      if (r.account !== undefined) owners.runnerOf.set(name, r);
    }
  }
  vmOwnerIndexes.set(fleet.runners, owners);
  return owners;
}

/** Look-alikes: the same task family in another account (confused deputy). EC2 profiles cannot cross accounts. */
export function vmDecoys(subject: IdentitySubject): IdentitySubject[] {
  if (subject.kind === 'aws-service' && subject.attachment === 'task-definition') {
    const decoy: AwsServiceSubject = { ...subject, account: FOREIGN_ACCOUNT };
    delete decoy.accountNotShown;
    return [decoy];
  }
  return [];
}

/**
 * Which of these subjects obtain `roleName`: the compute must carry the role (profile or task
 * definition in the documents; a foreign account's task definition may name any role) and the
 * role's trust must let the service assume it for that account.
 */
export function vmWhoCanAssume(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster, roleName: string, subjects: readonly IdentitySubject[]): IdentitySubject[] {
  const facts = awsFacts(docs);
  const role = facts?.roles.get(roleName);
  if (!facts || !role) return [];
  const a = aws(fleet);
  // Sound and linear: compute of this account obtains a role only if its documents carry it, so
  // the candidates are the carriers of this role (looked up, not scanned); a foreign account's
  // task definition may name any role, so every foreign subject is a candidate. The evaluator
  // then decides every candidate against the trust policy.
  const list = subjectListIndex(subjects, homeAccountsOf(fleet).accounts);
  const candidates: AwsServiceSubject[] = [...list.foreign];
  for (const k of attachmentIndex(docs).carriers.get(roleName) ?? []) candidates.push(...(list.byKey.get(k) ?? []));
  // In the order of the list, as the brute-force proof returns them.
  candidates.sort((x, y) => list.position.get(x)! - list.position.get(y)!);
  return candidates.filter((s) => {
    if (s.cluster !== cluster.name) return false;
    const context: Record<string, string> = { 'aws:SourceAccount': s.account };
    if (s.attachment === 'task-definition') context['aws:SourceArn'] = `arn:${a.partition}:ecs:${taskRegion(fleet, s)}:${s.account}:task/${cluster.name}/0123456789abcdef`;
    return evaluatePolicies({ resource: [role.trustCompiled] }, { principal: { type: 'Service', id: s.service }, action: 'sts:AssumeRole', resource: '*', context }) === 'allow';
  });
}

/** The same decision by brute force (every subject, every attachment): the test oracle of the indexed proof. */
export function vmWhoCanAssumeBruteForce(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster, roleName: string, subjects: readonly IdentitySubject[]): IdentitySubject[] {
  const facts = awsFacts(docs);
  const role = facts?.roles.get(roleName);
  if (!facts || !role) return [];
  const a = aws(fleet);
  const carried = attachments(docs);
  const home = homeAccountsOf(fleet).accounts;
  return subjects.filter((s) => {
    if (s.kind !== 'aws-service' || s.cluster !== cluster.name) return false;
    const foreign = !home.has(s.account);
    const carries = foreign || carried.some((c) => c.subject.attachment === s.attachment && c.subject.name === s.name && c.roleName === roleName);
    if (!carries) return false;
    const context: Record<string, string> = { 'aws:SourceAccount': s.account };
    if (s.attachment === 'task-definition') context['aws:SourceArn'] = `arn:${a.partition}:ecs:${taskRegion(fleet, s)}:${s.account}:task/${cluster.name}/0123456789abcdef`;
    return evaluatePolicies({ resource: [role.trustCompiled] }, { principal: { type: 'Service', id: s.service }, action: 'sts:AssumeRole', resource: '*', context }) === 'allow';
  });
}

/**
 * The role the runner's own instance profile carries: the profile under the runner's key (where the
 * plan writes it, and where the doctor moves the one a runner's launch template names), else the one
 * of its name. Several roots given together may each hold a profile of one name (prod and staging
 * in two accounts, from one module): by name alone none of them is the runner's.
 */
export function vmRoleOfRunnerProfile(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): string | undefined {
  const facts = awsFacts(docs);
  const own = facts?.root.resource.aws_iam_instance_profile?.[key(runner, 'manager')];
  if (facts && own !== undefined && own.name === names(runner).instanceProfile) return roleNameOf(facts.root, facts.roleKeys, own.role);
  return vmRoleOfSubject(docs, instanceProfileSubject(fleet, cluster, runner));
}

export function vmRoleOfSubject(docs: FleetDocuments, subject: IdentitySubject): string | undefined {
  if (subject.kind !== 'aws-service') return undefined;
  const hits = attachmentIndex(docs).roles.get(attachmentKey(subject.attachment, subject.name)) ?? [];
  return hits.length === 1 ? hits[0] : undefined;
}

// ---------------------------------------------------------------------------
// Terraform: the manager instance
// ---------------------------------------------------------------------------

export function securityGroup(fleet: FleetIntent, cluster: ResolvedCluster, name: string, description: string): Record<string, unknown> {
  return { name, description, vpc_id: vmSpec(cluster).vpcId, tags: { Name: name } };
}

export function egressAll(sgKey: string, description: string): Record<string, unknown> {
  return { security_group_id: `\${aws_security_group.${sgKey}.id}`, description, ip_protocol: '-1', cidr_ipv4: '0.0.0.0/0' };
}

export function sshFromManager(sgKey: string, managerSgKey: string, description: string): Record<string, unknown> {
  return { security_group_id: `\${aws_security_group.${sgKey}.id}`, description, ip_protocol: 'tcp', from_port: 22, to_port: 22, referenced_security_group_id: `\${aws_security_group.${managerSgKey}.id}` };
}

export interface LaunchTemplateInput {
  name: string;
  imageId: string;
  instanceType: string;
  rootVolumeGiB: number;
  hopLimit: 1 | 2;
  securityGroupKey: string;
  instanceProfileKey?: string;
  /** The user data file; embedded base64-encoded, so the root stands alone. */
  userData?: Artifact;
  tags: Record<string, string>;
}

/**
 * The instance profile a launch template names, as written (a reference or a literal): the one
 * reader of its `iam_instance_profile` block, which `launchTemplate` writes and the doctor's
 * instances translate to. `name`, else `arn`; an empty or non-text value is no profile.
 */
export function instanceProfileOf(lt: Record<string, unknown> | undefined): string | undefined {
  const p = [lt?.iam_instance_profile].flat()[0] as Record<string, unknown> | undefined;
  const v = p?.name ?? p?.arn;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** IMDSv2 required, encrypted root volume, no key pair. */
export function launchTemplate(i: LaunchTemplateInput): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: i.name,
    image_id: i.imageId,
    instance_type: i.instanceType,
    update_default_version: true,
    vpc_security_group_ids: [`\${aws_security_group.${i.securityGroupKey}.id}`],
    metadata_options: { http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: i.hopLimit, instance_metadata_tags: 'disabled' },
    block_device_mappings: [{ device_name: '/dev/xvda', ebs: { volume_size: i.rootVolumeGiB, volume_type: 'gp3', encrypted: 'true', delete_on_termination: 'true' } }],
    tag_specifications: [
      { resource_type: 'instance', tags: i.tags },
      { resource_type: 'volume', tags: i.tags },
    ],
  };
  if (i.instanceProfileKey) body.iam_instance_profile = { name: `\${aws_iam_instance_profile.${i.instanceProfileKey}.name}` };
  // Embedded, so the root validates and applies by itself; ec2/<runner>/user-data.sh holds the same
  // bytes for review, and verification decodes this value (and checks it equals that file).
  if (i.userData) {
    const text = artifactText(i.userData);
    const encoded = base64OfUtf8(text);
    body.user_data = encoded;
    // Decoding gives the text back exactly unless it has a lone surrogate (UTF-8 encodes it as
    // U+FFFD): a well-formed string round-trips (V8 answers at once for one-byte strings, where a
    // regular expression scanned the whole script), anything else is decoded and compared.
    if ((text as unknown as { isWellFormed(): boolean }).isWellFormed() || Buffer.from(encoded, 'base64').toString('utf8') === text) embeddedUserData.set(body, { encoded, text });
  }
  return body;
}

/**
 * `Buffer.from(text, 'utf8').toString('base64')` without a new buffer per call: the UTF-8 bytes
 * are written into one scratch buffer (at least 3 bytes per UTF-16 unit, the most UTF-8 needs,
 * lone surrogates included, so nothing is ever cut off) and only the bytes written are encoded.
 */
export function base64OfUtf8(text: string): string {
  const most = text.length * 3;
  if (base64Scratch.length < most) base64Scratch = Buffer.allocUnsafeSlow(Math.max(most, 2 * base64Scratch.length, 64 * 1024));
  const length = base64Scratch.write(text, 0, 'utf8');
  return base64Scratch.toString('base64', 0, length);
}
let base64Scratch = Buffer.alloc(0);

/**
 * The text each launch template body embeds, kept with its encoding, so verification (the fleet
 * rules and the chain proof both read it) does not decode the same user data again. Used only
 * while the body still holds exactly that encoding.
 */
const embeddedUserData = new WeakMap<object, { encoded: string; text: string }>();

export function userDataPath(runner: IntentRunner): string {
  return `ec2/${runner.name}/user-data.sh`;
}

/**
 * The manager: instance profile (with SSM Session Manager and the runner's own permissions),
 * token parameter, closed security group, launch template and a one-instance Auto Scaling group.
 * The group replaces a failed instance and the new one registers itself from the parameter.
 */
/** The manager group's termination hook: the instance drains itself, then completes it (see the user data). */
export const DRAIN_HOOK = 'runner-fleet-drain';
/** Seconds without a heartbeat before the hook gives up (the instance sends one a minute while it drains). */
const DRAIN_HEARTBEAT_SECONDS = 600;

/** How long a draining manager waits for running jobs: the runner's maximum job timeout, else GitLab's default of 1 h. */
export function drainSeconds(runner: IntentRunner): number {
  return runner.spec.gitlab.maximumTimeoutSeconds ?? 3600;
}

export function managerResources(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner, userData: Artifact, extraStatements: Statement[], hopLimit: 1 | 2): TerraformResources {
  const n = names(runner);
  const spec = vmSpec(cluster);
  const a = aws(fleet);
  const manager = findBy(fleet.identities, 'key', runner.managerIdentity)!;
  const roleKey = tfName(manager.key);
  const k = key(runner, 'manager');
  const paramArn = tokenParameterArn(fleet, runner);
  const instance = (runner.spec as { instance?: { instanceType?: string } }).instance;
  const statements: Statement[] = [
    { Sid: 'ReadRunnerToken', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: paramArn },
    // AmazonSSMManagedInstanceCore allows ssm:GetParameter* on every parameter; keep other runners' tokens out of reach.
    { Sid: 'NoOtherParameters', Effect: 'Deny', Action: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath', 'ssm:GetParameterHistory'], NotResource: paramArn },
    ...tokenKeyStatements(fleet, cluster, runner),
    // Drain on scale-in or instance refresh: keep the termination hook alive, then complete it — on its own group only.
    { Sid: 'DrainOwnGroup', Effect: 'Allow', Action: ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat'], Resource: `arn:${a.partition}:autoscaling:${a.region}:${a.accountId}:autoScalingGroup:*:autoScalingGroupName/${n.managerGroup}` },
    ...extraStatements,
  ];
  return {
    aws_iam_role_policy_attachment: named(tfName(runner.name, 'manager', 'ssm'), { role: `\${aws_iam_role.${roleKey}.name}`, policy_arn: `arn:${a.partition}:iam::aws:policy/${SSM_CORE_POLICY}` }),
    aws_iam_role_policy: named(tfName(runner.name, 'manager', 'platform'), { name: 'runner-manager-platform', role: `\${aws_iam_role.${roleKey}.name}`, policy: JSON.stringify(policyDocument(statements)) }),
    aws_iam_instance_profile: named(k, { name: n.instanceProfile, role: `\${aws_iam_role.${roleKey}.name}` }),
    aws_ssm_parameter: named(tfName(runner.name, 'runner_token'), {
      name: n.tokenParameter,
      description: `GitLab runner authentication token of ${fleet.name}/${runner.name}; written by registration, never by Terraform`,
      type: 'SecureString',
      ...(spec.tokenKmsKeyArn !== undefined ? { key_id: spec.tokenKmsKeyArn } : {}),
      value: TOKEN_PLACEHOLDER,
      lifecycle: { ignore_changes: ['value'] },
    }),
    aws_security_group: named(k, securityGroup(fleet, cluster, n.managerSecurityGroup, `GitLab runner manager ${fleet.name}/${runner.name}: no inbound access (SSM Session Manager only)`)),
    aws_vpc_security_group_egress_rule: named(k, egressAll(k, 'GitLab, AWS APIs and package repositories')),
    aws_launch_template: named(
      k,
      launchTemplate({
        name: n.managerLaunchTemplate,
        imageId: spec.imageId,
        instanceType: instance?.instanceType ?? spec.instanceType,
        rootVolumeGiB: spec.rootVolumeGiB,
        hopLimit,
        securityGroupKey: k,
        instanceProfileKey: k,
        userData,
        tags: { Name: n.managerGroup, 'runner-fleet-runner': runner.name, 'runner-fleet-cluster': cluster.name },
      }),
    ),
    aws_autoscaling_group: named(k, {
      name: n.managerGroup,
      min_size: 1,
      max_size: 1,
      desired_capacity: 1,
      vpc_zone_identifier: [...spec.subnetIds],
      health_check_type: 'EC2',
      launch_template: { id: `\${aws_launch_template.${k}.id}`, version: `\${aws_launch_template.${k}.latest_version}` },
      tag: [{ key: 'Name', value: n.managerGroup, propagate_at_launch: true }],
      // A scale-in or an instance refresh waits while the manager finishes its running jobs.
      initial_lifecycle_hook: [{ name: DRAIN_HOOK, lifecycle_transition: 'autoscaling:EC2_INSTANCE_TERMINATING', default_result: 'CONTINUE', heartbeat_timeout: DRAIN_HEARTBEAT_SECONDS }],
      depends_on: [`aws_ssm_parameter.${tfName(runner.name, 'runner_token')}`],
    }),
  };
}

// ---------------------------------------------------------------------------
// User data
// ---------------------------------------------------------------------------

export interface UserDataInput {
  fleet: FleetIntent;
  runner: IntentRunner;
  configToml: Record<string, unknown>;
  docker: boolean;
  /** Extra files written before the service starts: path, TOML-or-text content. */
  files: { path: string; content: string }[];
  /** Extra shell steps after gitlab-runner is installed and before it starts. */
  steps: string[];
}

/** The config.toml bytes the instance writes: exactly runners/<runner>/config.toml. */
export function configTomlText(runner: IntentRunner, toml: Record<string, unknown>): string {
  // Once per document: emit embeds it in the user data, verify compares the user data with it.
  let byPath = configTomlTexts.get(toml);
  if (!byPath) {
    byPath = new Map();
    configTomlTexts.set(toml, byPath);
  }
  const path = `runners/${runner.name}/config.toml`;
  let text = byPath.get(path);
  if (text === undefined) {
    text = serializeArtifact({ path, format: 'toml', content: toml }).content;
    byPath.set(path, text);
  }
  return text;
}
const configTomlTexts = new WeakMap<object, Map<string, string>>();

export const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * GitLab's package repository for Amazon Linux 2023, written out instead of running the vendor's
 * piped install script. URLs and the package-signing key fingerprint are from GitLab Runner's
 * "Install GitLab Runner using the official GitLab repositories" page (GPG signatures section);
 * the repository metadata key is the one packages.gitlab.com serves for every project there.
 */
export const GITLAB_RUNNER_REPO = {
  baseurl: 'https://packages.gitlab.com/runner/gitlab-runner/amazon/2023/$basearch',
  metadataKeyUrl: 'https://packages.gitlab.com/runner/gitlab-runner/gpgkey',
  packageKeyUrl: 'https://packages.gitlab.com/runner/gitlab-runner/gpgkey/runner-gitlab-runner-49F16C5CC3A0F81F.pub.gpg',
  packageKeyFingerprint: '931DA69CFA3AFEBBC97DAA8C6C57C29C6BA75A4E',
  packageKeyPath: '/etc/pki/rpm-gpg/RPM-GPG-KEY-gitlab-runner',
  repoFile: '/etc/yum.repos.d/runner_gitlab-runner.repo',
} as const;

export function gitlabRunnerRepoFile(): string {
  return [
    '[runner_gitlab-runner]',
    'name=GitLab Runner (packages.gitlab.com)',
    `baseurl=${GITLAB_RUNNER_REPO.baseurl}`,
    'enabled=1',
    'gpgcheck=1',
    'repo_gpgcheck=1',
    `gpgkey=${GITLAB_RUNNER_REPO.metadataKeyUrl} file://${GITLAB_RUNNER_REPO.packageKeyPath}`,
    'sslverify=1',
    'sslcacert=/etc/pki/tls/certs/ca-bundle.crt',
    'metadata_expire=300',
    '',
  ].join('\n');
}

export const VERIFIED_DOWNLOADS_BEGIN = '# runner-fleet: verified downloads (begin)';
export const VERIFIED_DOWNLOADS_END = '# runner-fleet: verified downloads (end)';

/**
 * Shell functions every manager boot uses for what it downloads: nothing fetched is installed
 * (let alone run) unless its SHA-256 or its key fingerprint is the pinned one; a mismatch returns
 * non-zero, which stops the script under `set -e`. Tests run exactly these lines with bash.
 */
export const VERIFIED_DOWNLOAD_FUNCTIONS: readonly string[] = [
  VERIFIED_DOWNLOADS_BEGIN,
  '# fetch_verified URL SHA256 DEST: download over HTTPS; install DEST (0755) only if the SHA-256 matches.',
  'fetch_verified() {',
  '  local url="$1" want="$2" dest="$3" tmp got',
  '  tmp="$(mktemp)"',
  '  curl -fsSL --proto \'=https\' --tlsv1.2 --retry 5 -o "$tmp" "$url"',
  '  got="$(sha256sum "$tmp" | cut -d \' \' -f 1)"',
  '  if [ "$got" != "$want" ]; then',
  '    echo "checksum mismatch for $url: expected $want, got $got" >&2',
  '    rm -f "$tmp"',
  '    return 1',
  '  fi',
  '  install -m 0755 "$tmp" "$dest"',
  '  rm -f "$tmp"',
  '}',
  '# import_key_verified URL FINGERPRINT DEST: download a public key; install it and import it into rpm only with that fingerprint.',
  'import_key_verified() {',
  '  local url="$1" want="$2" dest="$3" tmp got',
  '  tmp="$(mktemp)"',
  '  curl -fsSL --proto \'=https\' --tlsv1.2 --retry 5 -o "$tmp" "$url"',
  '  got="$(gpg --batch --with-colons --show-keys "$tmp" | awk -F: \'$1 == "fpr" && !seen { print $10; seen = 1 }\')"',
  '  if [ "$got" != "$want" ]; then',
  '    echo "key fingerprint mismatch for $url: expected $want, got ${got:-none}" >&2',
  '    rm -f "$tmp"',
  '    return 1',
  '  fi',
  '  install -m 0644 "$tmp" "$dest"',
  '  rm -f "$tmp"',
  '  rpm --import "$dest"',
  '}',
  VERIFIED_DOWNLOADS_END,
];

/**
 * Installs Docker (where jobs run locally) and the pinned gitlab-runner from GitLab's package
 * repository, turns on automatic security updates, writes config.toml, reads the runner token
 * from its SecureString parameter into a root-only environment file, and starts the service.
 * The token never appears in this script, in config.toml or in the log.
 */
// Blocks every manager's user data has, joined once (the script is the same lines joined by newlines).
const VERIFIED_DOWNLOAD_BLOCK = VERIFIED_DOWNLOAD_FUNCTIONS.join('\n');
const REPO_BLOCK = [
  `import_key_verified ${q(GITLAB_RUNNER_REPO.packageKeyUrl)} ${q(GITLAB_RUNNER_REPO.packageKeyFingerprint)} ${GITLAB_RUNNER_REPO.packageKeyPath}`,
  `cat > ${q(GITLAB_RUNNER_REPO.repoFile)} <<'RUNNER_FLEET_EOF'`,
  gitlabRunnerRepoFile().replace(/\n$/, ''),
  'RUNNER_FLEET_EOF',
].join('\n');

// The runs of lines every manager's user data has, each joined once: a runner's script is its own
// lines and these blocks joined by newlines, the same text as every line joined one by one.
const USER_DATA_PREAMBLE = [
  '# No SSH: operators use SSM Session Manager. The runner token is read at boot from its SSM parameter.',
  '# Fails closed: any failed step (a checksum or key fingerprint that differs, a package signature that',
  '# does not verify) stops the boot before gitlab-runner is started.',
  'set -euo pipefail',
  'trap \'echo "runner-fleet user data failed at line $LINENO; gitlab-runner was not started" >&2\' ERR',
  '',
].join('\n');
const USER_DATA_VERSIONS = [`PLACEHOLDER=${q(TOKEN_PLACEHOLDER)}`, `RUNNER_VERSION=${q(RUNNER_VERSION)}`, ''].join('\n');
const userDataPackages = (docker: boolean) =>
  [
    VERIFIED_DOWNLOAD_BLOCK,
    '',
    '# Automatic security updates.',
    'dnf install -y dnf-automatic',
    "sed -i -e 's/^upgrade_type *=.*/upgrade_type = security/' -e 's/^apply_updates *=.*/apply_updates = yes/' /etc/dnf/automatic.conf",
    'systemctl enable --now dnf-automatic.timer',
    '',
    ...(docker ? ['# Docker runs the jobs on this instance.', 'dnf install -y docker', 'systemctl enable --now docker', ''] : []),
    "# gitlab-runner, pinned, from GitLab's package repository configured here (no piped install script):",
    '# the package-signing key is imported only with the fingerprint GitLab documents, and dnf checks',
    '# the repository metadata signature and the signature of every package.',
    REPO_BLOCK,
    'dnf install -y "gitlab-runner-$RUNNER_VERSION-1" "gitlab-runner-helper-images-$RUNNER_VERSION-1"',
    '',
  ].join('\n');
const USER_DATA_PACKAGES = { docker: userDataPackages(true), noDocker: userDataPackages(false) };
const USER_DATA_TOKEN = [
  '',
  '# The runner token: registration writes it into the parameter; wait for it (up to an hour).',
  'token=""',
  'for attempt in $(seq 1 120); do',
  '  token="$(aws ssm get-parameter --region "$REGION" --name "$TOKEN_PARAMETER" --with-decryption --query Parameter.Value --output text 2>/dev/null || true)"',
  '  if [ -n "$token" ] && [ "$token" != "$PLACEHOLDER" ]; then break; fi',
  '  token=""',
  '  echo "waiting for the runner token in $TOKEN_PARAMETER (attempt $attempt)"',
  '  sleep 30',
  'done',
  'if [ -z "$token" ]; then echo "no runner token in $TOKEN_PARAMETER; register the runner (see README.md)" >&2; exit 1; fi',
  '(umask 077 && printf \'CI_SERVER_TOKEN=%s\\n\' "$token" > /etc/gitlab-runner/runner-token.env)',
  'unset token',
  '',
  'install -d /etc/systemd/system/gitlab-runner.service.d',
  "cat > /etc/systemd/system/gitlab-runner.service.d/runner-fleet.conf <<'RUNNER_FLEET_EOF'",
  '[Service]',
  'EnvironmentFile=/etc/gitlab-runner/runner-token.env',
].join('\n');
const USER_DATA_SERVICE = [
  'RUNNER_FLEET_EOF',
  'systemctl daemon-reload',
  'systemctl enable gitlab-runner',
  'systemctl restart gitlab-runner',
  '',
  '# Drain on termination (scale-in, instance refresh): when Auto Scaling marks this instance for',
  '# termination, stop taking jobs, wait for the running ones up to the maximum job timeout, then',
  `# complete the lifecycle action of hook ${DRAIN_HOOK}.`,
].join('\n');
const USER_DATA_DRAIN_UNIT = [
  "cat > /etc/systemd/system/runner-fleet-drain.service <<'RUNNER_FLEET_EOF'",
  '[Unit]',
  'Description=runner-fleet: drain gitlab-runner when Auto Scaling terminates this instance',
  'After=gitlab-runner.service',
  '[Service]',
  'ExecStart=/usr/local/sbin/runner-fleet-drain',
  'Restart=on-failure',
  '[Install]',
  'WantedBy=multi-user.target',
  'RUNNER_FLEET_EOF',
  'systemctl daemon-reload',
  'systemctl enable --now runner-fleet-drain',
  '',
].join('\n');

/** The shell lines that write `content` (its one final newline dropped) to `path` with `mode`, pushed onto `lines`. */
function pushHeredoc(lines: string[], path: string, content: string, mode: string): void {
  // endsWith and slice, not a regex: the content is a whole file (config.toml, the drain script).
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  lines.push(`install -d -m 0700 "$(dirname ${q(path)})"`, `cat > ${q(path)} <<'RUNNER_FLEET_EOF'`, body, 'RUNNER_FLEET_EOF', `chmod ${mode} ${q(path)}`);
}

export function managerUserData(i: UserDataInput): Artifact {
  const a = aws(i.fleet);
  const n = names(i.runner);
  const lines = [
    '#!/bin/bash',
    // The do-not-edit marker where synth would put it: the file, the launch template's copy and
    // the proofs then share this one string (a boot script is ~9 KB per runner).
    HASH_COMMENT,
    `# Runner manager ${i.fleet.name}/${i.runner.name}: gitlab-runner ${RUNNER_VERSION} on Amazon Linux 2023.`,
    USER_DATA_PREAMBLE,
    `REGION=${q(a.region)}`,
    `TOKEN_PARAMETER=${q(n.tokenParameter)}`,
    USER_DATA_VERSIONS,
    i.docker ? USER_DATA_PACKAGES.docker : USER_DATA_PACKAGES.noDocker,
    '# config.toml: identical to runners/' + i.runner.name + '/config.toml; its token is $CI_SERVER_TOKEN, expanded by gitlab-runner.',
  ];
  pushHeredoc(lines, '/etc/gitlab-runner/config.toml', configTomlText(i.runner, i.configToml), '0600');
  for (const file of i.files) {
    lines.push('');
    pushHeredoc(lines, file.path, file.content, '0600');
  }
  if (i.steps.length > 0) lines.push('', ...i.steps);
  lines.push(USER_DATA_TOKEN, `Environment=AWS_REGION=${a.region}`, USER_DATA_SERVICE);
  pushHeredoc(lines, '/usr/local/sbin/runner-fleet-drain', drainScript(a.region, n.managerGroup, drainSeconds(i.runner)), '0700');
  lines.push(USER_DATA_DRAIN_UNIT);
  return { path: userDataPath(i.runner), format: 'text', content: lines.join('\n'), mode: 'shell' };
}

/**
 * The drain watcher: polls the instance's Auto Scaling target lifecycle state (IMDSv2); on
 * `Terminated`, it keeps gitlab-runner from restarting, sends it SIGQUIT (stop asking for jobs,
 * exit when the running ones end), sends a heartbeat a minute, and completes the lifecycle action
 * when the service has stopped or the maximum job timeout has passed.
 */
function drainScript(region: string, group: string, maxSeconds: number): string {
  return [
    '#!/bin/bash',
    'set -uo pipefail',
    `REGION=${q(region)}`,
    `GROUP=${q(group)}`,
    `HOOK=${q(DRAIN_HOOK)}`,
    `MAX_SECONDS=${maxSeconds}`,
    'imds() {',
    '  local t',
    '  t="$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")" || return 1',
    '  curl -fsS -H "X-aws-ec2-metadata-token: $t" "http://169.254.169.254/latest/meta-data/$1"',
    '}',
    'until [ "$(imds autoscaling/target-lifecycle-state 2>/dev/null)" = "Terminated" ]; do sleep 5; done',
    'instance="$(imds instance-id)"',
    'echo "runner-fleet-drain: termination requested; draining gitlab-runner (up to $MAX_SECONDS s)"',
    'install -d /run/systemd/system/gitlab-runner.service.d',
    "printf '[Service]\\nRestart=no\\n' > /run/systemd/system/gitlab-runner.service.d/drain.conf",
    'systemctl daemon-reload',
    'systemctl kill --signal=SIGQUIT gitlab-runner',
    'deadline=$(( $(date +%s) + MAX_SECONDS ))',
    'while systemctl is-active --quiet gitlab-runner && [ "$(date +%s)" -lt "$deadline" ]; do',
    '  sleep 60',
    '  aws autoscaling record-lifecycle-action-heartbeat --region "$REGION" --auto-scaling-group-name "$GROUP" --lifecycle-hook-name "$HOOK" --instance-id "$instance" || true',
    'done',
    'aws autoscaling complete-lifecycle-action --region "$REGION" --auto-scaling-group-name "$GROUP" --lifecycle-hook-name "$HOOK" --instance-id "$instance" --lifecycle-action-result CONTINUE',
    '',
  ].join('\n');
}

/** The tomlified text of an extra config file (e.g. fargate.toml). */
export function tomlText(doc: Record<string, unknown>): string {
  return `${tomlDocumentText(doc)}\n`;
}

// ---------------------------------------------------------------------------
// Proofs over the documents
// ---------------------------------------------------------------------------

const artifactIndexes = new WeakMap<FleetDocuments, Map<string, Artifact>>();

/** The emitted file at `path`, looked up in an index built once per set of documents. */
function artifactAt(docs: FleetDocuments, path: string): Artifact | undefined {
  let index = artifactIndexes.get(docs);
  if (!index || index.size !== docs.artifacts.length) {
    index = new Map(docs.artifacts.map((a) => [a.path, a]));
    artifactIndexes.set(docs, index);
  }
  return index.get(path);
}

const artifactTexts = new WeakMap<Artifact, string>();

/** The serialized text of an emitted file, once per artifact (the fleet rules and the chain proof both read user data). */
function artifactText(artifact: Artifact): string {
  let text = artifactTexts.get(artifact);
  if (text === undefined) {
    text = serializeArtifact(artifact).content;
    artifactTexts.set(artifact, text);
  }
  return text;
}

/**
 * What the doctor says of a manager started by an `aws_spot_instance_request` (read as a launch
 * template, doctor/aws-instance.ts, which marks it with this text as a Terraform JSON comment): its
 * metadata_options are sent nowhere, so nothing written decides IMDSv2 for its instance.
 */
export const SPOT_REQUEST_METADATA = 'a spot instance request sends no metadata options to EC2 (the RequestSpotInstances launch specification has none; terraform-provider-aws #25896), so its metadata_options do not reach the instance, and the AMI or the account\'s metadata defaults decide whether IMDSv2 is required';

/**
 * Marks a launch-template body the doctor builds from an `aws_spot_instance_request`
 * (doctor/aws-instance.ts): its metadata_options reach no instance. A symbol-keyed field: typed,
 * carried by a copy of the body (`{ ...body }`), never serialised (JSON.stringify and
 * Object.entries skip symbol keys), so no comment string is written or compared.
 */
const SPOT_REQUEST: unique symbol = Symbol('spot instance request');
type SpotMarked = { [SPOT_REQUEST]?: true };
/** Marks a launch-template body as made from a spot instance request. */
export function markSpotRequest(body: object): void {
  (body as SpotMarked)[SPOT_REQUEST] = true;
}
const OTHER_INSTANCE = Symbol('not a runner instance');
/**
 * Marks an instance of a root the doctor reads (or the launch template it is read as) that nothing
 * shows running gitlab-runner (a NAT or bastion instance beside the runners): the instance rules
 * (RF711, RF715, RF716, RF712, RF720, …) are not said of it.
 */
export function markOtherInstance(body: object): void {
  (body as Record<symbol, unknown>)[OTHER_INSTANCE] = true;
}
const isOtherInstance = (body: unknown) => typeof body === 'object' && body !== null && (body as Record<symbol, unknown>)[OTHER_INSTANCE] === true;

/** Whether a launch-template body was made from a spot instance request (markSpotRequest). */
export function isSpotRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as SpotMarked)[SPOT_REQUEST] === true;
}

/** The folder of the AWS root among the emitted documents (emit/index.ts writes terraform/aws/main.tf.json). */
const AWS_ROOT_DIR = 'terraform/aws';

/** The user data a launch template boots with, read from the documents (file reference or inline base64). */
export function userDataOf(docs: FleetDocuments, body: Record<string, unknown>): { text?: string; problem?: string; unknown?: string; missingFile?: string } {
  const v = body.user_data;
  if (v === undefined) return {};
  if (typeof v !== 'string') return { problem: `user_data is ${showValue(v)}` };
  // Paths of the documents are relative to the output folder; the AWS root is two folders down (terraform/aws).
  const file = userDataFilePath(v, AWS_ROOT_DIR);
  if (file) {
    const artifact = artifactAt(docs, file.path);
    return artifact ? { text: artifactText(artifact) } : { problem: `user_data names ${file.path}, which is not generated`, missingFile: file.written };
  }
  const embedded = embeddedUserData.get(body);
  if (embedded !== undefined && embedded.encoded === v) return { text: embedded.text };
  // runner-fleet writes user data as a generated file; a hand-written one known only when Terraform runs is not read.
  if (v.includes('${')) return { unknown: shownText(v, 80) };
  return { text: Buffer.from(v, 'base64').toString('utf8') };
}

function isOpen(cidr: unknown): boolean {
  return typeof cidr === 'string' && /\/0$/.test(cidr);
}

/** Fleet-wide rules on the AWS compute documents. */
/**
 * RF711's own harm, the instance's: with IMDSv1 answered, the role's credentials are one plain GET
 * away, no session token first, for every process on the instance and any request it can be made to
 * send for someone (SSRF). What that gives a runner's job containers is a second harm, RF713, said
 * at the runner where one runs there.
 */
const IMDSV1_HARM = ": any process on the instance, and any request it can be made to send (SSRF), gets the instance role's credentials with one plain GET, no session token first (what this gives a runner's job containers is RF713, said at the runner)";

export function verifyComputeDocuments(docs: FleetDocuments, tokenParameters: ReadonlySet<string>): Finding[] {
  const facts = awsFacts(docs);
  if (!facts) return [];
  const root = facts.root;
  const out: Finding[] = [];
  // RF710: nothing admits the internet.
  const groups = resourceBlock(root, 'aws_security_group');
  for (const k in groups) {
    if (!Object.hasOwn(groups, k)) continue;
    const sg = groups[k]!;
    for (const rule of list(sg.ingress) as Record<string, unknown>[]) {
      const open = [...list(rule.cidr_blocks), ...list(rule.ipv6_cidr_blocks)].filter(isOpen);
      if (open.length > 0) out.push(f('RF710', '', `aws_security_group.${k} admits ${open.join(', ')} on ports ${String(rule.from_port)}-${String(rule.to_port)}`, { subject: { kind: 'resource', address: `aws_security_group.${k}` }, fix: 'VM runners need no inbound access; operators use SSM Session Manager' }));
    }
  }
  const ingressRules = resourceBlock(root, 'aws_vpc_security_group_ingress_rule');
  for (const k in ingressRules) {
    if (!Object.hasOwn(ingressRules, k)) continue;
    const rule = ingressRules[k]!;
    const open = [rule.cidr_ipv4, rule.cidr_ipv6].filter(isOpen);
    if (open.length > 0) out.push(f('RF710', '', `aws_vpc_security_group_ingress_rule.${k} admits ${open.join(', ')}`, { subject: { kind: 'resource', address: `aws_vpc_security_group_ingress_rule.${k}` }, fix: 'VM runners need no inbound access; operators use SSM Session Manager' }));
  }
  // RF718: every rule says why it exists.
  const described = (v: unknown) => typeof v === 'string' && v.trim() !== '';
  for (const k in groups) {
    if (!Object.hasOwn(groups, k)) continue;
    const sg = groups[k]!;
    for (const dir of ['ingress', 'egress'] as const) {
      (list(sg[dir]) as Record<string, unknown>[]).forEach((rule, i) => {
        if (!described(rule.description)) out.push(f('RF718', '', `aws_security_group.${k} ${dir}[${i}] has no description`, { subject: { kind: 'resource', address: `aws_security_group.${k}` }, fix: 'give every security group rule a description that says what it admits and why' }));
      });
    }
  }
  for (const type of ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule', 'aws_security_group_rule']) {
    const rules = resourceBlock(root, type);
    for (const k in rules) {
      if (!Object.hasOwn(rules, k)) continue;
      const rule = rules[k]!;
      if (!described(rule.description)) out.push(f('RF718', '', `${type}.${k} has no description`, { subject: { kind: 'resource', address: `${type}.${k}` }, fix: 'give every security group rule a description that says what it admits and why' }));
    }
  }
  const groupRules = resourceBlock(root, 'aws_security_group_rule');
  for (const k in groupRules) {
    if (!Object.hasOwn(groupRules, k)) continue;
    const rule = groupRules[k]!;
    if (rule.type !== 'ingress') continue;
    const open = [...list(rule.cidr_blocks), ...list(rule.ipv6_cidr_blocks)].filter(isOpen);
    if (open.length > 0) out.push(f('RF710', '', `aws_security_group_rule.${k} admits ${open.join(', ')}`, { subject: { kind: 'resource', address: `aws_security_group_rule.${k}` }, fix: 'VM runners need no inbound access; operators use SSM Session Manager' }));
  }
  // RF711 / RF715 / RF716 / RF712 on every launch template (and any aws_instance).
  for (const [type, label] of [
    ['aws_launch_template', 'launch template'],
    ['aws_instance', 'instance'],
  ] as const) {
    const instances = resourceBlock(root, type);
    for (const k in instances) {
      if (!Object.hasOwn(instances, k)) continue;
      const body = instances[k]!;
      if (isOtherInstance(body)) continue;
      const mo = (list(body.metadata_options)[0] ?? {}) as Record<string, unknown>;
      if (isSpotRequest(body)) {
        out.push(f('RF711', '', `${label} ${type}.${k} does not require IMDSv2: ${SPOT_REQUEST_METADATA}`, { subject: { kind: 'resource', address: `${type}.${k}` }, received: 'metadata_options of a spot instance request', allowed: 'http_tokens = "required" on the instance', fix: 'start the manager from a launch template, or as an aws_instance with instance_market_options { market_type = "spot" }, with metadata_options { http_tokens = "required" }' }));
      } else if (mo.http_endpoint === 'disabled') {
        // No metadata endpoint: no IMDSv1 to reach (RF711 holds), but no instance-profile credentials either.
        const profile = body.iam_instance_profile;
        if (profile !== undefined && profile !== null && profile !== '' && list(profile).length > 0) {
          out.push(f('RF959', '', `${label} ${type}.${k} has metadata_options.http_endpoint = "disabled" and an instance profile: AWS says that with the endpoint disabled the instance cannot access its instance metadata, which is where the AWS SDKs and CLI get the instance profile's role credentials, so a runner manager there gets none (no token parameter, no cache, no instances or tasks it starts)`, { subject: { kind: 'resource', address: `${type}.${k}` }, received: '"disabled"', allowed: '"enabled" with http_tokens = "required"', fix: 'set metadata_options { http_endpoint = "enabled", http_tokens = "required", http_put_response_hop_limit = 1 }; or remove the instance profile if the instance needs no AWS credentials' }));
        }
      } else if (mo.http_tokens !== 'required') {
        out.push(f('RF711', '', `${label} ${type}.${k} does not require IMDSv2 (http_tokens is ${showValue(mo.http_tokens)})${IMDSV1_HARM}`, { subject: { kind: 'resource', address: `${type}.${k}` }, received: showValue(mo.http_tokens), allowed: '"required"', ...adviceThenRegenerate('set metadata_options.http_tokens = "required"', 'runner-fleet always does, regenerate') }));
      }
      const devices = type === 'aws_launch_template' ? (list(body.block_device_mappings) as Record<string, unknown>[]).map((d) => (list(d.ebs)[0] ?? {}) as Record<string, unknown>) : (list(body.root_block_device) as Record<string, unknown>[]);
      if (devices.length === 0 || devices.some((d) => String(d.encrypted) !== 'true')) {
        out.push(f('RF715', '', `${label} ${type}.${k} has a root volume that is not encrypted`, { subject: { kind: 'resource', address: `${type}.${k}` }, fix: 'set encrypted = "true" on the root volume' }));
      }
      // `key_name = null` (or "") installs no key pair: Terraform leaves the argument unset.
      if (body.key_name !== undefined && body.key_name !== null && body.key_name !== '') {
        out.push(f('RF716', '', `${label} ${type}.${k} installs key pair ${showValue(body.key_name)}`, { subject: { kind: 'resource', address: `${type}.${k}` }, fix: 'remove key_name: managers are reached through SSM Session Manager, workers through EC2 Instance Connect' }));
      }
      const ud = userDataOf(docs, body);
      if (ud.problem) out.push(f('RF106', '', `${type}.${k}: ${ud.problem}`, { subject: { kind: 'resource', address: `${type}.${k}`, ...(ud.missingFile !== undefined ? { userDataFile: { written: ud.missingFile } } : {}) }, fix: 'regenerate; user data must be a generated file', deploymentFix: 'write the user data literally, or with file() of a file given to the doctor' }));
      // Not a broken document: a value only apply knows, so its downloads and credentials are not checked (not proven).
      if (ud.unknown !== undefined) out.push(f('RF906', '', `${type}.${k}: its user data is known only when Terraform runs (${ud.unknown}): its downloads and credentials are not checked`, { subject: { kind: 'resource', address: `${type}.${k}`, userDataUnknown: { said: `(${ud.unknown})` } }, fix: 'regenerate; user data must be a generated file', deploymentFix: 'write the user data literally, or with file() of a file given to the doctor, or give `terraform show -json` of a plan, which carries the rendered user data' }));
      // A cloud-config user data: the downloads of its bootcmd and runcmd commands (cloud-init runs them
      // as its own script; whether a failed one stops the boot is cloud-init's, not checked here).
      const commands = ud.text !== undefined && isCloudConfig(ud.text) ? cloudConfigCommands(ud.text) : undefined;
      if (commands !== undefined) {
        for (const { problem, line, said } of unverifiedDownloadsAt(commands, { shell: false })) out.push(f('RF720', '', `the cloud-init commands (runcmd, bootcmd) in the user data of ${type}.${k} ${problem}`, { subject: { kind: 'resource', address: `${type}.${k}`, ...(line !== undefined ? { userDataLine: { line, ...(said !== undefined ? { said } : {}) } } : {}) }, fix: 'download only through fetch_verified (pinned SHA-256) or import_key_verified (pinned fingerprint); runner-fleet always does, regenerate', deploymentFix: VERIFIED_DOWNLOAD_ADVICE.replace('start the script with set -euo pipefail, and check', 'check') }));
      }
      if (ud.text !== undefined && ud.text.startsWith('#!')) {
        for (const { problem, line, said } of unverifiedDownloadsAt(ud.text)) out.push(f('RF720', '', `the user data of ${type}.${k} ${problem}`, { subject: { kind: 'resource', address: `${type}.${k}`, ...(line !== undefined ? { userDataLine: { line, ...(said !== undefined ? { said } : {}) } } : {}) }, fix: 'download only through fetch_verified (pinned SHA-256) or import_key_verified (pinned fingerprint), under set -euo pipefail; runner-fleet always does, regenerate', deploymentFix: VERIFIED_DOWNLOAD_ADVICE }));
      }
      if (ud.text !== undefined && holdsCredential(ud.text)) {
        out.push(f('RF712', '', `the user data of ${type}.${k} contains a token or key`, { subject: { kind: 'resource', address: `${type}.${k}` }, fix: 'the instance reads its runner token from the SSM parameter at boot; never put it in user data' }));
      }
      // A shell script's or a cloud-config's config.toml (script-files.ts reads both).
      if (ud.text !== undefined) {
        for (const t of unexpandedTokens(ud.text)) {
          out.push(f('RF723', '', `the user data of ${type}.${k} writes config.toml with token = "${t.written}" and installs gitlab-runner ${t.version}, which sends that text as the token: gitlab-runner expands variables in config.toml's token only from ${TOKEN_EXPANSION_SINCE.join('.')} on, so GitLab refuses the manager and no job runs`, { subject: { kind: 'resource', address: `${type}.${k}`, userDataLine: { line: t.line } }, received: `gitlab-runner ${t.version}`, allowed: `gitlab-runner ${TOKEN_EXPANSION_SINCE.join('.')} or later`, fix: `install gitlab-runner ${TOKEN_EXPANSION_SINCE.join('.')} or later; runner-fleet does, regenerate`, deploymentFix: `install gitlab-runner ${TOKEN_EXPANSION_SINCE.join('.')} or later, or write the token itself into config.toml at boot (gitlab-runner register --token does)` }));
        }
      }
    }
  }
  // A runner's token parameter (the parameters of the runners proven; other parameters of a root
  // the doctor reads are not tokens): Terraform creates it with a stand-in value and never writes it
  // again, so the registered token neither passes through Terraform nor lands in its state.
  // In runner-fleet's own root the stand-in is exactly its own (a literal could be a legacy token
  // without a recognisable shape); a hand-written root may use any literal stand-in.
  const generated = root['//'] === DO_NOT_EDIT;
  const parameters = resourceBlock(root, 'aws_ssm_parameter');
  for (const k in parameters) {
    if (!Object.hasOwn(parameters, k)) continue;
    const p = parameters[k]!;
    if (typeof p.name !== 'string' || !tokenParameters.has(p.name)) continue;
    const ignored = (list(p.lifecycle)[0] as { ignore_changes?: unknown } | undefined)?.ignore_changes;
    const ignores = ignored === 'all' || list(ignored).includes('value');
    const value = typeof p.value === 'string' ? p.value : typeof p.insecure_value === 'string' ? p.insecure_value : '';
    const problem = value.includes('${')
      ? `takes its value from Terraform (${shownText(value, 60)}), so the runner token passes through Terraform and stays in its state`
      : holdsCredential(value)
        ? 'holds a token in its Terraform value'
        : generated && value !== TOKEN_PLACEHOLDER
          ? `carries a value other than the stand-in ${JSON.stringify(TOKEN_PLACEHOLDER)} runner-fleet writes`
          : !ignores
          ? 'lets Terraform overwrite the registered token (lifecycle.ignore_changes does not list value)'
          : undefined;
    if (problem !== undefined) out.push(f('RF712', '', `aws_ssm_parameter.${k} ${problem}`, { subject: { kind: 'resource', address: `aws_ssm_parameter.${k}` }, fix: `give it a stand-in value such as "${TOKEN_PLACEHOLDER}" with lifecycle { ignore_changes = [value] }; registration writes the token` }));
  }
  for (const [k, o] of Object.entries(root.output ?? {})) {
    const v = JSON.stringify(o);
    if (/aws_ssm_parameter\.[^"]*\.(value|insecure_value)/.test(v) || hasCredentialShape(v)) out.push(f('RF712', '', `output ${k} exposes a token parameter value`, { fix: 'remove the output' }));
  }
  return out;
}

/**
 * What a boot script does with downloads: it must run under `set -euo pipefail`, pipe nothing
 * into a shell, fetch only through the verified-download functions (exactly as generated), and
 * pass every fetch a pinned SHA-256.
 */
/** RF720's fix for a script written by hand: what to do, in the script's own terms. */
const VERIFIED_DOWNLOAD_ADVICE = 'start the script with set -euo pipefail, and check every download against a SHA-256 pinned in the script before installing or running it (curl -fsSL -o FILE URL, then echo "<sha256>  FILE" | sha256sum -c -; a signing key by its pinned fingerprint); never pipe a download into a shell';

/**
 * What a boot script does unverified (RF720). `shell: false`: commands that are not a script of
 * their own (cloud-init's runcmd), so whether it starts with `set -euo pipefail` is not asked.
 */
export function unverifiedDownloads(script: string, options: { shell: boolean } = { shell: true }): string[] {
  return unverifiedDownloadsAt(script, options).map((p) => p.problem);
}

/**
 * What a boot script does unverified (RF720), each with the line of the script it is about
 * (1-based; the script's first line for one about the whole script) and, where the words say it,
 * those words (`line 5`): the doctor points at that line where the user wrote it.
 */
export function unverifiedDownloadsAt(script: string, options: { shell: boolean } = { shell: true }): { problem: string; line?: number; said?: string }[] {
  // The script's lines by number, cut from its text only where a check needs one: splitting every
  // boot script into its lines made a string per line (7-8 MB of them at 1,000 VM runners).
  const lines = new ScriptLines(script);
  const out: { problem: string; line?: number; said?: string }[] = [];
  const at = (i: number, problem: (said: string) => string) => out.push({ problem: problem(`line ${i + 1}`), line: i + 1, said: `line ${i + 1}` });
  if (options.shell) {
    const setAt = lines.firstTrimmed('set -euo pipefail');
    const firstCommand = lines.firstCommand();
    if (setAt < 0 || setAt > firstCommand) out.push({ problem: 'does not start with set -euo pipefail, so a failed step does not stop the boot', line: 1 });
  }
  const begin = lines.first(VERIFIED_DOWNLOADS_BEGIN);
  const end = lines.first(VERIFIED_DOWNLOADS_END);
  const hasBlock = begin >= 0 && end > begin;
  // The block's text is the script's own from the start of line `begin` to the end of line `end`
  // (lines joined by '\n'): compared in place, without joining its lines into a new string.
  if (hasBlock && !sameText(lines, begin, end, VERIFIED_DOWNLOAD_BLOCK)) out.push({ problem: 'has verified-download functions that differ from the generated ones', line: begin + 1 });
  // Each pattern only runs on lines holding the text it needs (the same answers: a boot script
  // has hundreds of lines and a fleet a thousand scripts). Those lines are found by searching the
  // whole script for each needle, not each line for every needle: a line without `|`, `curl`,
  // `wget` and `_verified` cannot match any pattern below, comment stripped or not. Only those
  // lines are visited, in order: a callback per line of every script cost a call and, as the
  // callback's closures capture its line, a context object each (10 MB at 1,000 Fargate runners).
  const candidate = candidateLines(lines, DOWNLOAD_NEEDLES);
  const budget = new SearchBudget(script.length);
  for (let i = 0; i < candidate.length; i++) {
    if (candidate[i] === 0) continue;
    if (hasBlock && i >= begin && i <= end) continue;
    downloadLineProblems(lines, i, hasBlock, budget, at);
  }
  return out;
}

/** Whether a character code is white space as String#trim and `\s` take it (WhiteSpace and LineTerminator). */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return /\s/.test(String.fromCharCode(c));
}

/**
 * A text's lines (split at '\n'), by number, without an array of them: where each starts, and each
 * line cut from the text only when asked for (`at`). `length` and `at(i)` answer what
 * `text.split('\n')` and its `[i]` would.
 */
export class ScriptLines {
  readonly length: number;
  /** Where line i starts in the text; one more entry, the text's length + 1, ends the last line. */
  private readonly starts: Uint32Array;

  constructor(readonly text: string) {
    let n = 1;
    for (let p = text.indexOf('\n'); p >= 0; p = text.indexOf('\n', p + 1)) n++;
    const starts = new Uint32Array(n + 1);
    let i = 1;
    for (let p = text.indexOf('\n'); p >= 0; p = text.indexOf('\n', p + 1)) starts[i++] = p + 1;
    starts[n] = text.length + 1;
    this.length = n;
    this.starts = starts;
  }

  /** Line i's text. */
  at(i: number): string {
    return this.text.slice(this.starts[i], this.starts[i + 1]! - 1);
  }

  /** Where line i starts in the text. */
  start(i: number): number {
    return this.starts[i]!;
  }

  /** Where line i ends in the text (its '\n', or the text's end). */
  end(i: number): number {
    return this.starts[i + 1]! - 1;
  }

  /** The line holding the text's character at `offset`: the last start not after it. */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The first line that is `want` exactly (`indexOf` of the split lines), or -1. */
  first(want: string): number {
    const text = this.text;
    for (let p = text.indexOf(want); p >= 0; p = text.indexOf(want, p + 1)) {
      if ((p === 0 || text.charCodeAt(p - 1) === 10) && (p + want.length === text.length || text.charCodeAt(p + want.length) === 10)) return this.lineAt(p);
    }
    return -1;
  }

  /** The first line that is `want` once trimmed (`trim() === want`; `want` neither starts nor ends with white space), or -1. */
  firstTrimmed(want: string): number {
    const text = this.text;
    for (let p = text.indexOf(want); p >= 0; p = text.indexOf(want, p + 1)) {
      const i = this.lineAt(p);
      let ok = true;
      for (let q = this.start(i); ok && q < p; q++) ok = isSpace(text.charCodeAt(q));
      for (let q = p + want.length, e = this.end(i); ok && q < e; q++) ok = isSpace(text.charCodeAt(q));
      if (ok) return i;
    }
    return -1;
  }

  /** The first line after the first that is neither blank nor a comment once trimmed, or -1. */
  firstCommand(): number {
    const text = this.text;
    for (let i = 1; i < this.length; i++) {
      let q = this.start(i);
      const e = this.end(i);
      while (q < e && isSpace(text.charCodeAt(q))) q++;
      if (q < e && text.charCodeAt(q) !== 35) return i;
    }
    return -1;
  }
}

/** Whether lines `from..to` of `lines`, joined by '\n' (their text from the start of `from` to the end of `to`), are `expected`, without cutting them out. */
export function sameText(lines: ScriptLines, from: number, to: number, expected: string): boolean {
  const start = lines.start(from);
  return lines.end(to) - start === expected.length && lines.text.startsWith(expected, start);
}

/** RF720's problems of line `i` of a boot script (one holding a download needle, outside the verified-download block), given to `at`. */
function downloadLineProblems(lines: ScriptLines, i: number, hasBlock: boolean, budget: SearchBudget, at: (i: number, problem: (said: string) => string) => void): void {
  const line = lines.at(i);
  const code = line.includes('#') ? line.replace(/#.*$/, '') : line;
  // A download piped into a shell is one reason, the stronger: not also "downloads without checking" for that line.
  const piped = code.includes('|') && pipesDownloadIntoShell(lines, i, code);
  if (piped) at(i, (said) => `pipes a download into a shell (${said}: ${maskCredentials(line.trim()).slice(0, 80)})`);
  else if ((code.includes('curl') || code.includes('wget')) && /\b(curl|wget)\b/.test(code) && !onlyPackageNames(code) && !onlyInstanceMetadata(code) && !requestOnly(lines, i, code) && !checkedBeforeUse(lines, i, code, budget)) at(i, (said) => `downloads without checking a pinned SHA-256 (${said}: ${maskCredentials(line.trim()).slice(0, 80)})`);
  if (!code.includes('_verified')) return;
  const fetch = /^\s*fetch_verified\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(code);
  if (/^\s*(fetch_verified|import_key_verified)\b/.test(code) && !hasBlock) at(i, (said) => `calls ${code.trim().split(/\s/)[0]!} without defining it (${said})`);
  if (/^\s*fetch_verified\b/.test(code) && !(fetch && /^'?[a-f0-9]{64}'?$/.test(fetch[2]!))) at(i, (said) => `fetches without a pinned SHA-256 (${said})`);
}

/** A pipe into a shell (`| bash`, `| sudo sh`). */
const INTO_SHELL = /\|\s*(sudo\s+)?(ba|z|da)?sh\b/g;
/** What fetches over the network: a download tool, or a URL (`://`) given to any command. */
const FETCHES = /\b(curl|wget|fetch|aria2c|gsutil)\b|\bs3\s+cp\b|:\/\//;

/**
 * Whether line `at` pipes a download into a shell: what feeds a `| sh` on it (the pipeline back to
 * the last `;`, `&&`, `||`, over the lines it continues) fetches over the network (curl, wget, a
 * URL). `echo ok | sudo bash`, `printf '…' | sh` or `cat script.sh | bash` run text the script
 * already holds: no download. What a script saved earlier with curl is that line's own finding.
 */
function pipesDownloadIntoShell(lines: ScriptLines, at: number, code: string): boolean {
  for (const m of code.matchAll(INTO_SHELL)) {
    let feed = code.slice(0, m.index);
    // A pipe that starts the line continues the command of the lines before it (`curl -fsSL "$URL" \` then `| bash`).
    for (let j = at - 1; j >= 0 && j > at - 50 && /\\\s*$/.test(lines.at(j)); j--) feed = `${lines.at(j).replace(/#.*$/, '').replace(/\\\s*$/, ' ')}${feed}`;
    const pipeline = feed.split(/&&|\|\||;/).pop()!;
    if (FETCHES.test(pipeline)) return true;
  }
  return false;
}

/**
 * Whether the download on line `at` writes a file (`curl -o FILE`, `--output FILE`, `wget -O FILE`)
 * that the next line naming it checks against a SHA-256 written in the script, the check the RF720
 * fix gives: `echo "<64 hex digits>  FILE" | sha256sum -c -` (`--check`; `printf`; `sha256sum -c <<<`).
 * A failed check stops a script run with `set -e` (checked apart) before the file is used.
 */
function checkedBeforeUse(lines: ScriptLines, at: number, code: string, budget: SearchBudget): boolean {
  if (/\|\s*(sudo\s+)?(ba|z|da)?sh\b/.test(code)) return false;
  const file = downloadOutput(code);
  if (file === undefined || file === '-' || file.includes('$')) return false;
  // The next line naming the file, found by searching the text for the name (it holds no white
  // space, so no line break): only lines holding it are cut and stripped of their comment. A
  // search that finds nothing reads the rest of the script, so a script of many downloads named
  // nowhere after would be read once per download: the searches of one script share a budget of
  // characters (SearchBudget), and a download whose search would pass it counts as not checked.
  const text = lines.text;
  for (let from = at + 1 < lines.length ? lines.start(at + 1) : -1; from >= 0 && from <= text.length; ) {
    const hit = budget.indexOf(text, file, from);
    if (hit === undefined || hit < 0) return false;
    const j = lines.lineAt(hit);
    const next = lines.at(j).replace(/#.*$/, '');
    if (!next.includes(file)) {
      from = j + 1 < lines.length ? lines.start(j + 1) : -1;
      continue;
    }
    const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pinned = new RegExp(`["']?[a-fA-F0-9]{64}[ \\t]+\\*?${escaped}["']?`);
    return pinned.test(next) && /\b(sha256sum|shasum\s+-a\s*256)\s+(-c|--check)\b/.test(next) && (/\b(echo|printf)\b[^|]*\|\s*(sha256sum|shasum)/.test(next) || /<<<\s*["']?[a-fA-F0-9]{64}/.test(next));
  }
  return false;
}

/**
 * The characters one script's searches for a downloaded file's next mention may read in all
 * (checkedBeforeUse): 64 times the script's length, at least 32 MiB. A boot script a cloud takes is
 * small (EC2 user data: 16 KB; Azure custom data: 64 KB), so only a hostile or generated text of
 * thousands of downloads reaches it; past it a download counts as not checked (the finding is made).
 */
export class SearchBudget {
  private left: number;

  constructor(length: number) {
    this.left = Math.max(64 * length, 32 * 1024 * 1024);
  }

  /** `text.indexOf(needle, from)`, or undefined once the searches have read their budget. */
  indexOf(text: string, needle: string, from: number): number | undefined {
    if (this.left <= 0) return undefined;
    const hit = text.indexOf(needle, from);
    this.left -= (hit < 0 ? text.length : hit + needle.length) - from;
    return hit;
  }
}

/** The file a curl (`-o FILE`, `--output FILE`) or else wget (`-O FILE`, `--output-document FILE`) command of `code` writes. */
export function downloadOutput(code: string): string | undefined {
  return (outputAfter(code, CURL_WORD, CURL_OUTPUT) ?? outputAfter(code, WGET_WORD, WGET_OUTPUT))?.[2];
}

const CURL_WORD = /\bcurl\b/g;
const WGET_WORD = /\bwget\b/g;
const CURL_OUTPUT = /(?:\s-[A-Za-z]*o\s*|\s--output[=\s]\s*)(["']?)([^\s"']+)\1/g;
const WGET_OUTPUT = /(?:\s-[A-Za-z]*O\s*|\s--output-document[=\s]\s*)(["']?)([^\s"']+)\1/g;

/**
 * The output option `/\btool\b.*?OUTPUT/` matches in `code` (`.` stops at a line terminator, so the
 * lazy `.*?` takes the first OUTPUT after a tool word that starts before the next terminator), found
 * without that pattern's rescan of the line from every later tool word: linear in the line.
 */
function outputAfter(code: string, word: RegExp, output: RegExp): RegExpExecArray | null {
  // The first OUTPUT at or after a place is the same for every later place up to it: searched again
  // only once a tool word lies past it, so the text is read once.
  let found: RegExpExecArray | undefined;
  for (let from = 0; from < code.length; ) {
    word.lastIndex = from;
    const tool = word.exec(code);
    if (tool === null) return null;
    const after = tool.index + tool[0].length;
    TERMINATOR.lastIndex = after;
    const end = TERMINATOR.exec(code)?.index ?? code.length;
    if (found === undefined || found.index < after) {
      output.lastIndex = after;
      const next = output.exec(code);
      if (next === null) return null;
      found = next;
    }
    // OUTPUT begins with \s, which may be the terminator itself.
    if (found.index <= end) return found;
    from = end + 1;
  }
  return null;
}

/** What `.` does not match: the line terminators of ECMAScript. */
const TERMINATOR = /[\n\r\u2028\u2029]/g;

const DOWNLOAD_NEEDLES = ['|', 'curl', 'wget', '_verified'] as const;

/** 1 for each line of `lines` that contains one of `needles`. */
function candidateLines(lines: ScriptLines, needles: readonly string[]): Uint8Array {
  const text = lines.text;
  const out = new Uint8Array(lines.length);
  for (const needle of needles) {
    for (let at = text.indexOf(needle); at >= 0; ) {
      const i = lines.lineAt(at);
      out[i] = 1;
      at = i + 1 < lines.length ? text.indexOf(needle, lines.start(i + 1)) : -1;
    }
  }
  return out;
}

/** A command of a package manager that installs packages: `curl` or `wget` in it is a package's name. */
const PACKAGE_INSTALL = /^\s*(?:sudo\s+)?(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*(?:apt-get|apt|yum|dnf|microdnf|tdnf|apk|zypper|pacman|snap|brew)\s/;

/** Whether every command of a line that names curl or wget installs them as packages (`yum install -y curl jq`): nothing is downloaded by them. */
function onlyPackageNames(code: string): boolean {
  return code.split(/&&|\|\|?|;/).every((part) => !/\b(curl|wget)\b/.test(part) || PACKAGE_INSTALL.test(part));
}

/** Commands a response may be piped into that read it as text or JSON and run nothing of it. */
const TEXT_READERS: ReadonlySet<string> = new Set(['jq', 'grep', 'egrep', 'fgrep', 'awk', 'sed', 'cut', 'tr', 'head', 'tail', 'sort', 'uniq', 'wc']);
/** curl options that make the request an API call: a method other than GET/HEAD, or data sent (`-d`, `-F`, `--json`, an upload). */
const CURL_METHOD = /\s(?:-X\s*|--request[=\s]\s*)["']?(?:POST|PUT|PATCH|DELETE)\b/i;
const CURL_DATA = /\s(?:-[A-Za-z]*[dFT]|--data(?:-raw|-binary|-urlencode|-ascii)?|--form(?:-string)?|--json|--upload-file)(?=[\s='"]|$)/;
/** wget options that make the request an API call. */
const WGET_API = /\s(?:--post-data|--post-file|--body-data|--body-file|--method[=\s]\s*["']?(?:POST|PUT|PATCH|DELETE)\b)/i;
/** Before the download on its line: what would run its response (`eval "$(curl …)"`, `bash <(curl …)`, `sh -c "$(curl …)"`, `. <(…)`). */
const RUNS_RESPONSE = /\b(?:eval|source|exec)\b|<\(|(?:^|[;&|(]\s*)\.\s|\b(?:(?:ba|z|da|k)?sh|python[0-9.]*|perl|ruby|node|php)\b/;

/**
 * Whether the curl or wget call on line `at` fetches data, not code: RF720 is about code fetched and
 * run or installed unverified (piped into a shell, saved to a file that is then run or installed).
 * An API call (the GitLab runner API: `curl --request POST … --form …`, `curl -X DELETE …`), a
 * response thrown away (`-o /dev/null -w "%{response_code}"`), or one read only by jq or text
 * tools (`$(curl … | jq -r .token)`) is data, provided nothing on the command runs or keeps the
 * response: no file written (`-o FILE`, `-O`, `> FILE`; wget saves unless `-O -`), no pipe into
 * anything but those readers, no eval, shell or interpreter around it, no process substitution.
 * The command runs on over its continuation lines (a line ending in `\`), where GitLab API calls
 * put their `--form` options and the `| jq` that reads the answer.
 */
function requestOnly(lines: ScriptLines, at: number, code: string): boolean {
  let command = code;
  for (let j = at; j < lines.length - 1 && j < at + 50 && /\\\s*$/.test(lines.at(j)); j++) command = `${command.replace(/\\\s*$/, ' ')}${lines.at(j + 1).replace(/#.*$/, '')}`;
  // Each command of the line on its own (`a && b`, `a; b`): one that fetches code is not excused by another.
  return command.split(/&&|\|\||;/).every((part) => !/\b(curl|wget)\b/.test(part) || onlyInstanceMetadata(part) || dataRequest(part));
}

/** One command holding curl or wget (requestOnly): whether its response is data, by the rules above. */
function dataRequest(command: string): boolean {
  const tool = /\b(curl|wget)\b/.exec(command)!;
  if (RUNS_RESPONSE.test(command.slice(0, tool.index))) return false;
  const args = command.slice(tool.index);
  // Every pipe (not `||`) goes into a reader of text.
  for (const pipe of args.matchAll(/(?<!\|)\|(?!\|)\s*(?:sudo\s+)?([^\s|;&)]*)/g)) if (!TEXT_READERS.has(pipe[1]!.replace(/^.*\//, ''))) return false;
  const piped = /(?<!\|)\|(?!\|)/.test(args);
  // stdout redirected to a file (2>…, >&2 and /dev/null keep no response).
  for (const r of args.matchAll(/(?<![0-9>])>>?\s*(["']?)([^\s"'|;&)]+)\1/g)) if (r[2] !== '/dev/null') return false;
  const discarded = /(?<![0-9>])>\s*\/dev\/null\b/.test(args);
  if (tool[1] === 'curl') {
    if (/\s(?:-[A-Za-z]*O|--remote-name(?:-all)?)(?=\s|$)/.test(args)) return false;
    const out = /\s(?:-[A-Za-z]*o\s*|--output[=\s]\s*)(["']?)([^\s"']+)\1/.exec(args)?.[2];
    if (out !== undefined) return out === '/dev/null';
    return discarded || CURL_METHOD.test(args) || CURL_DATA.test(args) || piped;
  }
  if (/\s--spider\b/.test(args)) return true;
  const out = /\s(?:-[A-Za-z]*O\s*|--output-document[=\s]\s*)(["']?)([^\s"']+)\1/.exec(args)?.[2];
  if (out === '/dev/null') return true;
  if (out !== '-') return false;
  return discarded || WGET_API.test(args) || piped;
}

/**
 * A call to the instance metadata service (the drain hook reads the instance id and region) is no
 * download: the link-local endpoint serves data, not code. Every URL on the line must be that endpoint.
 */
function onlyInstanceMetadata(code: string): boolean {
  const urls = code.match(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"')]+/gi) ?? [];
  return urls.length > 0 && urls.every((u) => u.startsWith('http://169.254.169.254/'));
}

const rulesByGroup = new WeakMap<TerraformRoot, Map<string, Map<unknown, [string, Record<string, unknown>][]>>>();

/** Resources of `type` whose security_group_id is `group`, in document order (indexed once per root and type). */
function rulesFor(root: TerraformRoot, type: string, group: string): [string, Record<string, unknown>][] {
  let byType = rulesByGroup.get(root);
  if (!byType) {
    byType = new Map();
    rulesByGroup.set(root, byType);
  }
  let index = byType.get(type);
  if (!index) {
    index = new Map();
    for (const entry of resources(root, type)) {
      const list = index.get(entry[1].security_group_id);
      if (list) list.push(entry);
      else index.set(entry[1].security_group_id, [entry]);
    }
    byType.set(type, index);
  }
  return index.get(group) ?? [];
}

/** Ingress of a worker or task security group: only TCP 22 from the manager's group. */
export function verifySshOnlyFromManager(docs: FleetDocuments, sgKey: string, managerSgKey: string, runnerPath: string): Finding[] {
  const facts = awsFacts(docs);
  if (!facts) return [];
  const root = facts.root;
  const out: Finding[] = [];
  const target = `\${aws_security_group.${sgKey}.id}`;
  const manager = `\${aws_security_group.${managerSgKey}.id}`;
  for (const [k, rule] of rulesFor(root, 'aws_vpc_security_group_ingress_rule', target)) {
    const ok = rule.ip_protocol === 'tcp' && rule.from_port === 22 && rule.to_port === 22 && rule.referenced_security_group_id === manager && rule.cidr_ipv4 === undefined && rule.cidr_ipv6 === undefined;
    if (!ok) out.push(f('RF716', runnerPath, `aws_vpc_security_group_ingress_rule.${k} opens ${String(rule.ip_protocol)} ${String(rule.from_port)}-${String(rule.to_port)} to ${String(rule.referenced_security_group_id ?? rule.cidr_ipv4 ?? rule.cidr_ipv6)}`, { fix: 'only the manager security group may reach TCP 22' }));
  }
  for (const [k, rule] of rulesFor(root, 'aws_security_group_rule', target)) {
    if (rule.type === 'ingress') out.push(f('RF716', runnerPath, `aws_security_group_rule.${k} adds ingress to the ${sgKey} group`, { fix: 'only the manager security group may reach TCP 22' }));
  }
  const sg = resourceBody(root, 'aws_security_group', sgKey);
  if (!sg) {
    // Rules are found by the group they belong to: without the group nothing says who reaches port 22.
    out.push(f('RF903', runnerPath, `the security group of the ${sgKey.replace(/^.*_/, '')} is not in the documents, so which sources reach their TCP 22 is not shown`, { received: `no security group of the ${sgKey.replace(/^.*_/, '')}`, fix: 'regenerate', deploymentFix: "give the Terraform of the security group the instances or tasks use (a launch template without vpc_security_group_ids gets the VPC's default group, which admits all traffic from every member of that group)" }));
    return out;
  }
  // Inline rules (hand-written roots use them) are fine when each admits only TCP 22 from the manager's group.
  for (const rule of list(sg.ingress)) {
    const r = (rule ?? {}) as Record<string, unknown>;
    const groups = list(r.security_groups);
    const wide = [r.cidr_blocks, r.ipv6_cidr_blocks, r.prefix_list_ids].some((x) => list(x).length > 0) || r.self === true || r.self === 'true';
    const ok = String(r.protocol) === 'tcp' && Number(r.from_port) === 22 && Number(r.to_port) === 22 && groups.length > 0 && groups.every((g) => g === manager) && !wide;
    if (!ok) out.push(f('RF716', runnerPath, `aws_security_group.${sgKey} has an inline ingress rule for ${String(r.protocol)} ${String(r.from_port)}-${String(r.to_port)} from ${[...groups, ...list(r.cidr_blocks), ...list(r.ipv6_cidr_blocks), ...list(r.prefix_list_ids), ...(r.self === true || r.self === 'true' ? ['itself'] : [])].map(String).join(', ') || 'nothing named'}`, { fix: 'only the manager security group may reach TCP 22' }));
  }
  return out;
}

function resourceBody(root: TerraformRoot, type: string, name: string): Record<string, unknown> | undefined {
  return root.resource[type]?.[name];
}

/** The manager's launch template IMDS settings (`http_put_response_hop_limit`, `http_tokens`), read from the documents. */
export function managerMetadataOptions(docs: FleetDocuments, runner: IntentRunner): { hopLimit?: number; httpTokens?: string; spotRequest?: true } {
  const root = awsFacts(docs)?.root;
  const body = root ? resourceBody(root, 'aws_launch_template', key(runner, 'manager')) : undefined;
  // A spot instance request's metadata_options reach no instance: none apply.
  if (isSpotRequest(body)) return { spotRequest: true };
  const mo = (list(body?.metadata_options)[0] ?? {}) as Record<string, unknown>;
  return { ...(typeof mo.http_put_response_hop_limit === 'number' ? { hopLimit: mo.http_put_response_hop_limit } : {}), ...(typeof mo.http_tokens === 'string' ? { httpTokens: mo.http_tokens } : {}) };
}

/** config.toml inside the user data must be the emitted runners/<runner>/config.toml. */
export function verifyUserDataConfig(docs: FleetDocuments, runner: IntentRunner, runnerPath: string): Finding[] {
  const root = awsFacts(docs)?.root;
  const body = root ? resourceBody(root, 'aws_launch_template', key(runner, 'manager')) : undefined;
  const toml = docs.runners.get(runner.name)?.configToml;
  if (!body || !toml) return [f('RF106', runnerPath, `the manager launch template or config.toml of ${runner.name} is missing`, { fix: 'regenerate', deploymentFix: 'give the manager launch template, whose user data writes config.toml' })];
  const ud = userDataOf(docs, body);
  const out: Finding[] = [];
  // A cloud-init user data writes it with write_files: its content, as cloud-init writes the file.
  const writes = ud.text !== undefined && isCloudConfig(ud.text) ? (cloudConfigFileSpan(ud.text, 'config.toml')?.body ?? ud.text) : ud.text;
  if (writes === undefined || !writes.includes(configTomlText(runner, toml).replace(/\n$/, ''))) {
    out.push(f('RF106', runnerPath, `the manager user data does not write runners/${runner.name}/config.toml`, { fix: 'regenerate; both come from one config', deploymentFix: `make the manager user data write runners/${runner.name}/config.toml (the config.toml it boots with), or leave that file out` }));
  }
  const file = artifactAt(docs, userDataPath(runner));
  if (ud.text !== undefined && (!file || artifactText(file) !== ud.text)) {
    out.push(f('RF106', runnerPath, `the user data in the launch template differs from ${userDataPath(runner)}`, { fix: 'regenerate; what is reviewed must be what boots', deploymentFix: `make ${userDataPath(runner)} the user data the launch template boots, or leave it out: what is reviewed must be what boots` }));
  }
  // The runner's config.toml file (emitted; for the doctor, the file given beside the user data)
  // must be the one the user data writes: the user data's is what boots and what is proven.
  const tomlPath = `runners/${runner.name}/config.toml`;
  const written = artifactAt(docs, tomlPath);
  if (written?.format === 'toml' && written.content !== toml) {
    const d = tomlDifference(toml, written.content);
    const diff = d ? safeText(tomlPathText(d.path), 200) : undefined;
    if (diff !== undefined) out.push(f('RF106', runnerPath, `${tomlPath} differs from the config.toml the manager user data writes${diff === '' ? '' : ` (first at ${diff})`}: the user data's is what boots, and what the proofs read`, { fix: 'make both copies one config (regenerate); what is reviewed must be what boots', deploymentFix: `make ${tomlPath} the config.toml the user data writes, or leave it out: what is reviewed must be what boots` }));
  }
  return out;
}

/** Allow/deny of one request by the manager role's permission policies. */
export function managerMay(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, action: string, resource: string, context: Record<string, string> = {}): boolean {
  const m = managerCaller(docs, fleet, runner, action, resource);
  return m !== undefined && evaluatePoliciesFor(m.policies, m.caller, action, resource, context) === 'allow';
}

/** The manager role's caller and policy set (undefined without an AWS role in the documents). */
function managerCaller(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, action: string, resource: string): typeof lastManager {
  const id = findBy(fleet.identities, 'key', runner.managerIdentity)!;
  const role = id.cloud === 'aws' ? awsFacts(docs)?.roles.get(id.roleName) : undefined;
  if (!role || id.cloud !== 'aws') return undefined;
  // Each proof asks several questions of one manager in a row: its caller and policy set once.
  if (lastManager?.role !== role || lastManager.arn !== id.arn) {
    lastManager = { role, arn: id.arn, caller: preparedRoleRequest(role, id.arn, action, resource), policies: { identity: role.policiesCompiled } };
  }
  return lastManager;
}
let lastManager: { role: object; arn: string; caller: PreparedRequest; policies: PolicySet } | undefined;

/** The manager role and the requests (action, resource, context) it must not be allowed: a finding's subject, for the doctor's edit site. */
export function managerRequests(fleet: FleetIntent, runner: IntentRunner, requests: readonly (readonly [string, string, Record<string, string>])[]): Extract<FindingSubject, { kind: 'grant' }> {
  const id = findBy(fleet.identities, 'key', runner.managerIdentity)!;
  return { kind: 'grant', role: id.roleName, requests: requests.map(([action, resource, context]) => ({ action, resource, context })) };
}

/**
 * What the manager role cannot do (`missing`, "action on resource" texts; `requests`, the same as
 * asked, for the doctor): RF106 when every policy of the role is in the documents; when one is not
 * readable (an inline policy only apply knows, a managed policy not given) the permission is not
 * shown, which is not "cannot" (RF903), as the cache proof says for the same role.
 */
export function managerCannot(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, runnerPath: string, grants: string, fix: string, requests: readonly (readonly [string, string, Record<string, string>])[]): Finding {
  const missing = shownArns(fleet, grants);
  const deploymentFix = shownArns(fleet, fix);
  const id = findBy(fleet.identities, 'key', runner.managerIdentity)!;
  const role = id.cloud === 'aws' ? awsFacts(docs)?.roles.get(id.roleName) : undefined;
  const unknown = role?.unknownPolicies.map((p) => p.arn) ?? [];
  if (unknown.length > 0) {
    return f('RF903', runnerPath, `whether the manager role ${role!.name} can ${missing} is not shown: ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not in the documents as a readable policy`, { fix: 'make the policy statically known (literal values, or references the doctor resolves), or give `terraform show -json` of a plan' });
  }
  return f('RF106', runnerPath, `the manager role cannot ${missing}`, { fix: 'regenerate', deploymentFix, subject: { ...managerRequests(fleet, runner, requests), kind: 'lacks', can: missing } });
}

/**
 * The resource tags (`key = "value"`) a request of `action` lacks for an Allow statement of the role
 * keyed on them (ssm:resourceTag/<key>, aws:ResourceTag/<key> under StringEquals or StringLike, a
 * literal value): of the first such statement whose tags, added to the request's `context`, let it
 * through (`allowedWith`). None: no tag would (the grant itself is missing, or a Deny holds).
 */
function tagsAGrantNeeds(role: RoleFacts, action: string, context: Readonly<Record<string, string>>, allowedWith: (context: Record<string, string>) => boolean): string[] {
  const has = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  for (const doc of role.policies) {
    for (const st of list(doc?.Statement)) {
      if (!isObject(st) || st.Effect !== 'Allow' || !isObject(st.Condition) || !actionPatterns(list(st.Action).filter((a): a is string => typeof a === 'string')).test(action.toLowerCase())) continue;
      const wanted = new Map<string, string>();
      for (const [operator, block] of Object.entries(st.Condition)) {
        if (!/^String(Equals|Like)(IgnoreCase)?$/.test(operator) || !isObject(block)) continue;
        for (const [k, v] of Object.entries(block)) {
          const tag = /^(?:ssm|aws):resourcetag\/(.+)$/i.exec(k)?.[1];
          const value = list(v).find((x): x is string => typeof x === 'string' && !/[*?]/.test(x));
          if (tag !== undefined && value !== undefined) wanted.set(tag, value);
        }
      }
      const lacking = [...wanted].filter(([k, v]) => has.get(`ssm:resourcetag/${k.toLowerCase()}`) !== v);
      if (lacking.length === 0) continue;
      const asked = { ...context };
      for (const [k, v] of wanted) {
        asked[`ssm:resourceTag/${k}`] = v;
        asked[`aws:ResourceTag/${k}`] = v;
      }
      if (allowedWith(asked)) return lacking.map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
    }
  }
  return [];
}

/**
 * A parameter of another runner beside `own` (an ARN): the runner's segment of the name replaced,
 * `/runner-fleet/<fleet>/<runner>/runner-token` → `/runner-fleet/<fleet>/another-runner/runner-token`,
 * `/gitlab/token` → `/another-runner/token`; a one-segment name gets a sibling name. Never `own`.
 */
export function otherRunnersParameterArn(own: string): string {
  const at = own.indexOf(':parameter') + ':parameter'.length;
  const name = own.slice(at);
  const segments = name.split('/');
  // ['', 'a', 'b', 'c'] for /a/b/c: the segment before the last is the runner's.
  if (segments.length >= 3) segments[segments.length - 2] = segments[segments.length - 2] === 'another-runner' ? 'yet-another-runner' : 'another-runner';
  else segments[segments.length - 1] = `another-runner-${segments[segments.length - 1]!}`;
  return own.slice(0, at) + segments.join('/');
}

/**
 * The manager's decision on a request over every value of its tags the documents do not show
 * (`keys`, lower-cased aws:PrincipalTag/<key>: unshownPrincipalTags) and of the tags of the parameter
 * asked about (`conditionKeys`, ssm:resourcetag/<key>): the plain evaluation where there are none,
 * else decisionOverTags ('either' where it turns on their values).
 */
function managerOverTags(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, keys: ReadonlySet<string>, action: string, resource: string, context: Record<string, string> = {}, conditionKeys?: ReadonlySet<string>): 'allow' | 'deny' | 'either' {
  const m = managerCaller(docs, fleet, runner, action, resource);
  if (m === undefined) return 'deny';
  if (keys.size === 0 && (conditionKeys === undefined || conditionKeys.size === 0)) return evaluatePoliciesFor(m.policies, m.caller, action, resource, context) === 'allow' ? 'allow' : 'deny';
  return decisionOverTagsFor(m.policies, m.caller, action, resource, context, keys, conditionKeys);
}

/**
 * What a runner's token parameter is called in claims and findings: what the evidence shows it
 * holds (the register flag the doctor saw its value passed to), else runner-fleet's own (the runner
 * token, which runner-fleet register stores there).
 */
export function tokenParameterWords(runner: IntentRunner): { parameter: string; token: string; holds: string } {
  switch (runner.tokenParameterFlag) {
    case 'registration-token':
      return { parameter: 'registration-token parameter', token: 'registration token', holds: ' (a legacy registration token, passed to gitlab-runner register --registration-token)' };
    case 'token':
      return { parameter: 'token parameter', token: 'runner authentication token', holds: ' (its runner authentication token, passed to gitlab-runner register --token)' };
    case undefined:
      return { parameter: 'token parameter', token: 'runner token', holds: '' };
  }
}

/**
 * The token proof: the manager reads its token parameter and no other runner's. Requests carry what
 * AWS evaluates them with: a read of its own parameter the parameter's tags (managerTokenParameter:
 * default_tags, its own, the owner tag register writes), a read of another runner's the owner tag
 * only, its other tags taken over every value (no document shows another runner's parameter). With a
 * customer-managed key, kms:Decrypt is decided by the key's policy where the documents hold it
 * (mayUseKey: a grant to the role itself, or IAM grants where it lets the account's IAM decide);
 * a key, or a key policy, the documents name but do not show leaves the decrypt not proven (the
 * readers' proof says why, RF903). Each request is decided over every value of the tags its policies
 * test whose value is not shown (of the role, aws:PrincipalTag/<key>; of the parameter): one that
 * holds for some of their values only is RF903 (not shown), never a pass, RF106 or RF712.
 */
export function proveTokenAccess(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, runnerPath: string, parameter: ManagerTokenParameter | undefined): { findings: Finding[]; claim: string; holds: boolean } {
  const own = tokenParameterArn(fleet, runner);
  const other = otherRunnersParameterArn(own);
  const otherName = other.slice(other.indexOf(':parameter') + ':parameter'.length);
  const otherSegments = otherName.split('/').filter((x) => x !== '');
  const otherParameter = parameter?.other(otherSegments.at(-2) ?? otherSegments.at(-1)!);
  const out: Finding[] = [];
  const words = tokenParameterWords(runner);
  const id = findBy(fleet.identities, 'key', runner.managerIdentity)!;
  const role = id.cloud === 'aws' ? awsFacts(docs)?.roles.get(id.roleName) : undefined;
  // The token key as the documents show it (a literal ARN, an aws_kms_key or alias of the documents); the spec's where none is read.
  const spec = runnerTokenKey(fleet, runner);
  const keyOf: KeyOf = parameter?.key ?? (spec !== undefined ? { key: { arn: spec, label: spec } } : {});
  const key = keyOf.key;
  const unshown = role ? unshownPrincipalTags(role, key?.policy ? [...role.policiesCompiled, key.policy.full] : role.policiesCompiled) : [];
  const keys = new Set(unshown);
  const decide = (action: string, resource: string, context: Record<string, string> = {}, conditionKeys?: ReadonlySet<string>) => managerOverTags(docs, fleet, runner, keys, action, resource, context, conditionKeys);
  // Requests that turn on the tags not shown, in words: one RF903 says them all (at the role's tags).
  const turns: string[] = [];
  const notShown = (what: string) => turns.push(what);
  let ownTurned = false;
  let otherTurned = false;
  const ownRead = decide('ssm:GetParameter', own, parameter?.context, parameter?.conditionKeys);
  if (ownRead === 'deny') {
    // A grant keyed on a tag the parameter does not carry: the fix is that tag, not the grant it already has.
    const lacks = role ? tagsAGrantNeeds(role, 'ssm:GetParameter', parameter?.context ?? {}, (context) => decide('ssm:GetParameter', own, context, parameter?.conditionKeys) === 'allow') : [];
    const grant = `allow the manager role ssm:GetParameter on ${shownArn(fleet, own)}`;
    const fix = lacks.length > 0 ? `tag its ${words.parameter}${parameter?.parameter !== undefined ? ` ${parameter.parameter}` : ''} ${lacks.join(', ')}: the manager role's grant of ssm:GetParameter on it requires ${lacks.length > 1 ? 'those tags' : 'that tag'}, which the parameter does not carry (or ${grant} without that condition)` : grant;
    out.push(managerCannot(docs, fleet, runner, runnerPath, `read its ${words.parameter} ${names(runner).tokenParameter}`, fix, [['ssm:GetParameter', own, parameter?.context ?? {}]]));
  }
  else if (ownRead === 'either') {
    notShown(`can read its ${words.parameter} ${names(runner).tokenParameter} (ssm:GetParameter)`);
    ownTurned = true;
  }
  // The token must be stored encrypted: a String (or StringList) parameter keeps it in plain text,
  // for anyone with ssm:GetParameter on it and in every listing that shows values.
  const root = awsFacts(docs)?.root;
  for (const [k, p] of root ? ssmParametersNamed(root, names(runner).tokenParameter) : []) {
    if (p.type === 'SecureString') continue;
    out.push(f('RF712', '', `aws_ssm_parameter.${k} holds the ${words.token} of ${runner.name} as type ${showValue(p.type)}, not SecureString: the ${words.token} is stored unencrypted`, { subject: { kind: 'resource', address: `aws_ssm_parameter.${k}` }, received: showValue(p.type), allowed: '"SecureString"', fix: 'set type = "SecureString" (optionally key_id = a customer-managed KMS key); changing the type replaces the parameter, so register the runner again afterwards' }));
  }
  // The role's own policies, AWS managed ones as documented: AmazonSSMManagedInstanceCore (which
  // the manager needs for Session Manager) allows ssm:GetParameter(s) on "*", so a Deny must hold.
  const reaches = role ? ['ssm:GetParameter', 'ssm:GetParameters'].map((action) => [action, decide(action, other, otherParameter?.context, otherParameter?.conditionKeys)] as const) : [];
  const leaks = reaches.filter(([, d]) => d === 'allow').map(([action]) => action);
  const turning = reaches.filter(([, d]) => d === 'either').map(([action]) => action);
  if (leaks.length > 0) out.push(f('RF712', runnerPath, `the manager role can ${leaks.join(', ')} on parameters other than its own ${words.parameter}, such as another runner's ${otherName}`, { fix: 'deny ssm:GetParameter* outside the runner\'s own parameter (AmazonSSMManagedInstanceCore allows them on every parameter)', subject: { kind: 'grant', role: id.roleName, requests: leaks.map((action) => ({ action, resource: other, ...(otherParameter !== undefined ? { context: otherParameter.context } : {}) })) } }));
  if (turning.length > 0) {
    notShown(`can ${turning.join(', ')} on parameters other than its own ${words.parameter}, such as another runner's ${otherName}`);
    otherTurned = true;
  }
  // A customer-managed key: decrypt through SSM, for this parameter, with this key — nothing else.
  let keyClaim = '';
  let keyNotShown = false;
  if (keyOf.unknown !== undefined || key?.policyUnknown !== undefined) {
    // Which key, or what its key policy allows, is not shown: the readers' proof says so (RF903), and this decrypt is not proven.
    keyNotShown = true;
    keyClaim = `, and decrypts with ${key?.label ?? 'the key its key_id names'} only through SSM for that parameter`;
  } else if (key !== undefined) {
    const a = runnerAws(fleet, runner);
    const via = `ssm.${a.region}.amazonaws.com`;
    const ctx = (param: string, service = via) => ({ 'kms:ViaService': service, 'kms:EncryptionContext:PARAMETER_ARN': param, 'kms:CallerAccount': a.accountId });
    // The key policy decides whether the role's IAM grants count at all, or grants the role itself (mayUseKeyOverTags).
    const m = managerCaller(docs, fleet, runner, 'kms:Decrypt', key.arn);
    const useKey = (c: Record<string, string>) => (m === undefined ? 'deny' : mayUseKeyOverTags(a, m.caller, m.policies, key, 'kms:Decrypt', c, keys));
    const ownDecrypt = useKey(ctx(own));
    const byIam = key.policy !== undefined && ownDecrypt === 'deny' ? decide('kms:Decrypt', key.arn, ctx(own)) : undefined;
    const grant = `kms:Decrypt on ${key.label} with kms:ViaService ${via} and kms:EncryptionContext:PARAMETER_ARN ${shownArn(fleet, own)}`;
    if (ownDecrypt === 'deny' && key.policy !== undefined && (byIam === 'allow' || key.policy.account === undefined)) {
      out.push(f('RF106', runnerPath, `the key policy of ${key.label} does not let the manager role ${id.roleName} decrypt its ${words.parameter} through SSM: no statement of it allows the role this kms:Decrypt${key.policy.account === undefined ? ' (it lets no IAM policy grant the key)' : ', or lets its IAM grant count'}`, { fix: 'regenerate', deploymentFix: `in the key policy of ${key.label}, allow the manager role ${id.cloud === 'aws' ? shownArn(fleet, id.arn) : id.roleName} ${grant}, or let the account's IAM policies grant the key (allow kms:* to the account root) and grant it in the role's policy`, ...(key.policyAddress !== undefined ? { subject: { kind: 'resource' as const, address: key.policyAddress } } : {}) }));
    } else if (ownDecrypt === 'deny') out.push(managerCannot(docs, fleet, runner, runnerPath, `decrypt its ${words.parameter} with ${key.label} through SSM`, `allow the manager role ${grant}`, [['kms:Decrypt', key.arn, ctx(own)]]));
    else if (ownDecrypt === 'either') notShown(`can decrypt its ${words.parameter} with ${key.label} through SSM (kms:Decrypt)`);
    const otherKey = key.arn.replace(/key\/.*$/, 'key/00000000-0000-0000-0000-000000000000');
    const kmsReaches = [
      ['another runner\'s parameter', useKey(ctx(other))],
      ['a direct call (not through SSM)', useKey(ctx(own, 'ec2.amazonaws.com'))],
      // Another key's policy is not in the documents: as the default key policy, it lets IAM decide.
      ['another key', decide('kms:Decrypt', otherKey, ctx(own))],
    ] as const;
    const kmsLeaks = kmsReaches.filter(([, d]) => d === 'allow').map(([what]) => what);
    const kmsTurning = kmsReaches.filter(([, d]) => d === 'either').map(([what]) => what);
    if (kmsLeaks.length > 0) out.push(f('RF712', runnerPath, `the manager role can kms:Decrypt for ${kmsLeaks.join(', ')}`, { fix: `scope kms:Decrypt to the token key with kms:ViaService = ssm.<region>.amazonaws.com and kms:EncryptionContext:PARAMETER_ARN = the runner's parameter${key.policy?.direct !== undefined ? `, in the role's policies and in the statements of the key policy of ${key.label} that grant the role itself` : ''}` }));
    if (kmsTurning.length > 0) notShown(`can kms:Decrypt for ${kmsTurning.join(', ')}`);
    keyClaim = `, and decrypts with ${key.label} only through SSM for that parameter`;
  }
  if (turns.length > 0) out.push(unshownTagsFinding(runnerPath, role!, turns.join(', and whether it '), unshown, principalTagsTestedBy(role!, unshown, key), tokenParameterTags(fleet, runner, own, otherName, ownTurned ? parameter : undefined, otherTurned ? otherParameter : undefined)));
  return { findings: out, claim: `the manager reads its ${words.parameter} ${names(runner).tokenParameter}${words.holds} and no other runner's${keyClaim}`, holds: out.length === 0 && !keyNotShown };
}

/**
 * The tags not shown of the parameters a decision of the token proof turned on, for its RF903: its
 * own parameter's (`own`), and another runner's (`other`), which no document can show: the grant is
 * then to be scoped to the runner's own parameter by its ARN.
 */
function tokenParameterTags(fleet: FleetIntent, runner: IntentRunner, ownArn: string, otherName: string, own: ManagerTokenParameter | undefined, other: { unshown: string[] } | undefined): UnshownResourceTags | undefined {
  const mine = own !== undefined && own.unshown.length > 0 ? { what: `the token parameter ${names(runner).tokenParameter}`, ...(own.parameter !== undefined ? { address: own.parameter } : {}), keys: own.unshown, all: own.all } : undefined;
  const theirs = other !== undefined && other.unshown.length > 0 ? { what: `another runner's parameter (such as ${otherName})`, keys: other.unshown, all: false, fix: `key the grant on the runner's own parameter's ARN (${shownArn(fleet, ownArn)}), not only on tags: no document shows the tags of another runner's parameter` } : undefined;
  if (mine === undefined || theirs === undefined) return mine ?? theirs;
  return { ...mine, what: `${mine.what} and ${theirs.what}`, keys: [...new Set([...mine.keys, ...theirs.keys])].sort(), fix: `make the tags of ${mine.address ?? mine.what} statically known (literal values, or variables with a default, in its tags or the aws provider's default_tags); ${theirs.fix}` };
}

/**
 * `[runners.docker]` cache settings of a Docker executor on a host that outlives its jobs. gitlab-runner
 * keeps the local cache (and, for git fetch, the build directory) in Docker volumes named per project
 * and concurrency slot, and separated by protection only from 18.4.0 on (the `-protected` suffix,
 * gitlab-runner#547332); the cache extractor takes a local cache.zip whose mtime is not older than the
 * remote object's Last-Modified without downloading it (checkIfUpToDate). With a distributed cache the
 * local volumes add nothing but that shortcut, so they are turned off: `disable_cache` stops the
 * automatic cache volumes only, the distributed cache still works, and no `/cache` volume is listed
 * (gitlab-runner would warn that it does not create it). Without one, `/cache` is the cache.
 */
export function dockerCacheSettings(distributed: boolean): { disable_cache: true } | { volumes: string[] } {
  return distributed ? { disable_cache: true } : { volumes: ['/cache'] };
}
