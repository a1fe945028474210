import { instanceProfileArn, profileShown, workerTakeOverWords } from './profile.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import { z } from 'zod';
import type { PlatformPlugin } from '../types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import { mergeFragments, named, type TerraformResources, type TerraformRoot } from '../../emit/artifacts.js';
import type { ResolvedCluster } from '../../model/types.js';
import type { Statement } from '../../verify/iam/types.js';
import { vmPlatform } from '../aws-vm/platform.js';
import { sectionReader } from '../section.js';
import { amiIdSchema, autoscalerRunnerSchema, instanceRunnerSchema, vmClusterFields, type AutoscalerRunnerSpec } from '../aws-vm/schema.js';
import { dockerCacheSettings, egressAll, instanceProfileOf, key, launchTemplate, managerCannot, managerMay, managerRequests, managerResources, managerUserData, names, runnerAws, securityGroup, sshFromManager, verifySshOnlyFromManager, vmSpec } from '../aws-vm/common.js';
import { AWS_CLI_IMAGE } from '../aws-identity-check.js';
import { dockerHostEscapes, escapeFindings } from '../../verify/docker-escape.js';
import type { FleetDocuments } from '../../emit/types.js';
import { awsFacts, resourceBody } from '../../verify/aws-docs.js';
import { findBy } from '../../model/lookup.js';

/** The key of the `aws_iam_instance_profile` a profile reference names (`${aws_iam_instance_profile.<key>.name}` or `.arn`). */
const profileKey = (v: string) => /^\$\{aws_iam_instance_profile\.([^.}]+)\.(?:name|arn)\}$/.exec(v)?.[1];

/**
 * The `aws_iam_instance_profile` resource a profile reference names, when the root holds it: by
 * reference, or a literal ARN by its name (and account, where both are known) among the root's profiles.
 */
export function profileBody(root: TerraformRoot, profile: string, account?: string): Record<string, unknown> | undefined {
  const k = profileKey(profile);
  if (k !== undefined) return resourceBody(root, 'aws_iam_instance_profile', k);
  const arn = instanceProfileArn(profile);
  if (arn === undefined || (arn.account !== undefined && account !== undefined && arn.account !== account)) return undefined;
  // The first profile of that name, as a scan of the root's profiles in order would find it, by the index of findBy.
  return findBy(profileList(root), 'name', arn.name);
}

/**
 * A root's instance profile bodies in the root's order, one list per root's profiles (findBy indexes
 * a list it is given again: a fresh Object.values per call would be scanned each time). The list is
 * not rebuilt: documents are not changed once emit or the doctor's import made them (verify only
 * reads them, and awsFacts remembers its facts per root on the same terms).
 */
function profileList(root: TerraformRoot): readonly Record<string, unknown>[] {
  const profiles = root.resource.aws_iam_instance_profile;
  if (profiles === undefined) return NO_PROFILES;
  let list = profileLists.get(profiles);
  if (!list) {
    list = Object.values(profiles);
    profileLists.set(profiles, list);
  }
  return list;
}
const profileLists = new WeakMap<object, readonly Record<string, unknown>[]>();
const NO_PROFILES: readonly Record<string, unknown>[] = [];

/** A profile as its name is known: the resource's literal name, the ARN's name, or the literal name written. */
function profileName(root: TerraformRoot, profile: string, account?: string): string | undefined {
  const name = profileBody(root, profile, account)?.name;
  if (typeof name === 'string' && !name.includes('${')) return name;
  if (profileKey(profile) !== undefined) return undefined;
  return instanceProfileArn(profile)?.name ?? (profile.includes('${') || profile.startsWith('arn:') ? undefined : profile);
}

/** The instance profile of the workers' launch template, as messages name it: the profile's name (profileShown), else as written. */
function workerProfile(root: TerraformRoot, runner: IntentRunner, account?: string): { profile: string; shown: string } | undefined {
  const profile = instanceProfileOf(resourceBody(root, 'aws_launch_template', key(runner, 'workers')));
  if (profile === undefined) return undefined;
  const name = profileBody(root, profile, account)?.name;
  return { profile, shown: typeof name === 'string' ? name : profileShown(profile, account) };
}

/**
 * What a job that leaves its container takes over: its worker, with the jobs beside and after it.
 * Workers are made without an instance profile; one the documents give them is named, since its
 * role is then what such a job holds.
 */
function workerTakeOver(docs: FleetDocuments, runner: IntentRunner, account?: string): string {
  const root = awsFacts(docs)?.root;
  const shown = root ? workerProfile(root, runner, account)?.shown : undefined;
  return workerTakeOverWords(shown);
}

/**
 * Workers are made without an instance profile, so a job, even one that leaves its container,
 * finds no AWS credentials on its worker. Read from the documents: a worker launch template with
 * a profile gives the worker host that role; the manager's own profile there is RF713 (whatever
 * reaches the worker host holds the manager's role: the runner token, cache signing, scaling and
 * SSH to every other worker), another profile is a role the jobs were never declared to have.
 */
function verifyWorkerProfile(docs: FleetDocuments, runner: IntentRunner, runnerPath: string, account?: string): Finding[] {
  const root = awsFacts(docs)?.root;
  if (!root) return [];
  const workers = resourceBody(root, 'aws_launch_template', key(runner, 'workers'));
  if (!workers) return [{ code: 'RF903', severity: CODES.RF903.severity, path: runnerPath, message: `the launch template of the workers of group ${names(runner).workerGroup} is not in the documents, so whether the workers carry an instance profile is not shown`, fix: 'regenerate', deploymentFix: `give the Terraform of the launch template of Auto Scaling group ${names(runner).workerGroup}` }];
  const worker = workerProfile(root, runner, account);
  if (worker === undefined) return [];
  const { profile, shown } = worker;
  const managerProfile = instanceProfileOf(resourceBody(root, 'aws_launch_template', key(runner, 'manager')));
  // The same profile: the same reference, or (a literal ARN on either side) the same name, in the same account where the ARNs say it.
  const workerName = managerProfile !== undefined && managerProfile !== profile ? profileName(root, profile, account) : undefined;
  const accounts = [instanceProfileArn(profile)?.account, managerProfile !== undefined ? instanceProfileArn(managerProfile)?.account : undefined, account].filter((a) => a !== undefined);
  const sameProfile = managerProfile !== undefined && (managerProfile === profile || (profileKey(profile) !== undefined && profileKey(profile) === profileKey(managerProfile)) || (workerName !== undefined && workerName === profileName(root, managerProfile, account) && new Set(accounts).size <= 1));
  const managerRole = managerProfile === undefined ? undefined : profileBody(root, managerProfile, account)?.role;
  const workerRole = profileBody(root, profile, account)?.role;
  const sameRole = workerRole !== undefined && managerRole !== undefined && JSON.stringify(workerRole) === JSON.stringify(managerRole);
  if (sameProfile || sameRole) {
    return [{ code: 'RF713', severity: CODES.RF713.severity, path: runnerPath, message: `the workers of group ${names(runner).workerGroup} carry the manager's ${sameProfile ? 'instance profile' : 'role'} (instance profile ${shown}): whatever reaches a worker host (a job that leaves its container, or one with host networking) holds the manager's role, with the runner token, the cache signing, scaling and SSH to every other worker`, fix: 'regenerate; workers have no instance profile', deploymentFix: 'remove iam_instance_profile from the workers\' launch template: jobs that need cloud access get it from GitLab CI id_tokens, never from the worker' }];
  }
  return [{ code: 'RF713', severity: 'warning', path: runnerPath, message: `the workers of group ${names(runner).workerGroup} carry the instance profile ${shown}: its role is what a job that reaches its worker host (by leaving its container, host networking, or an IMDS hop limit above 1) holds, and the runner does not declare it as the jobs' identity`, fix: 'regenerate; workers have no instance profile', deploymentFix: 'remove iam_instance_profile from the workers\' launch template and give jobs cloud access through GitLab CI id_tokens, or keep the role only as wide as every job on these workers may be' }];
}

export const ec2AutoscalerClusterSchema = z.strictObject({
  ...vmClusterFields,
  type: z.literal('ec2-autoscaler'),
  workerImageId: amiIdSchema.describe('AMI of the workers: Docker installed, the login user in the docker group, no gitlab-runner.'),
  workerUsername: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'a Linux user name' }).default('ec2-user').describe('SSH user of the worker AMI. Default ec2-user.'),
});

interface AutoscalerClusterSpec {
  workerImageId: string;
  workerUsername: string;
}

export const FLEETING_PLUGIN = 'aws';

/** A runner's `autoscaler` section with the schema's defaults (parsed once per distinct text: sectionReader). */
export const autoscalerOf: (runner: { spec: unknown }) => AutoscalerRunnerSpec = sectionReader('autoscaler', autoscalerRunnerSchema.unwrap());

function groupArn(fleet: FleetIntent, runner: IntentRunner, group = names(runner).workerGroup): string {
  const a = runnerAws(fleet, runner);
  return `arn:${a.partition}:autoscaling:${a.region}:${a.accountId}:autoScalingGroup:*:autoScalingGroupName/${group}`;
}

function instancesArn(fleet: FleetIntent, runner: IntentRunner): string {
  const a = runnerAws(fleet, runner);
  return `arn:${a.partition}:ec2:${a.region}:${a.accountId}:instance/*`;
}

/** What the fleeting AWS plugin needs, on this runner's worker group only. */
function managerStatements(fleet: FleetIntent, runner: IntentRunner): Statement[] {
  const group = names(runner).workerGroup;
  return [
    { Sid: 'ScaleOwnWorkers', Effect: 'Allow', Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'], Resource: groupArn(fleet, runner) },
    { Sid: 'DescribeWorkers', Effect: 'Allow', Action: ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances'], Resource: '*' },
    { Sid: 'ConnectToOwnWorkers', Effect: 'Allow', Action: 'ec2-instance-connect:SendSSHPublicKey', Resource: instancesArn(fleet, runner), Condition: { StringEquals: { 'ec2:ResourceTag/aws:autoscaling:groupName': group } } },
  ];
}

function workerResources(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): TerraformResources {
  const n = names(runner);
  const spec = vmSpec(cluster) as ReturnType<typeof vmSpec> & AutoscalerClusterSpec;
  const s = autoscalerOf(runner);
  const k = key(runner, 'workers');
  const ltRef = { launch_template_id: `\${aws_launch_template.${k}.id}`, version: `\${aws_launch_template.${k}.latest_version}` };
  const group: Record<string, unknown> = {
    name: n.workerGroup,
    min_size: 0,
    max_size: s.maxInstances,
    desired_capacity: 0,
    vpc_zone_identifier: [...spec.subnetIds],
    protect_from_scale_in: true,
    suspended_processes: ['AZRebalance'],
    health_check_type: 'EC2',
    tag: [{ key: 'Name', value: n.workerGroup, propagate_at_launch: true }],
    // The fleeting plugin owns the desired capacity once the group exists.
    lifecycle: { ignore_changes: ['desired_capacity'] },
  };
  if (s.instanceTypes) {
    group.mixed_instances_policy = {
      instances_distribution: {
        on_demand_base_capacity: s.spot?.enabled ? s.spot.onDemandBase : 0,
        on_demand_percentage_above_base_capacity: s.spot?.enabled ? 0 : 100,
        spot_allocation_strategy: 'price-capacity-optimized',
      },
      launch_template: { launch_template_specification: ltRef, override: s.instanceTypes.map((t) => ({ instance_type: t })) },
    };
  } else {
    group.launch_template = { id: ltRef.launch_template_id, version: ltRef.version };
  }
  return {
    aws_security_group: named(k, securityGroup(fleet, cluster, n.workerSecurityGroup, `docker-autoscaler workers of ${fleet.name}/${runner.name}: SSH from the runner manager only`)),
    aws_vpc_security_group_ingress_rule: named(k, sshFromManager(k, key(runner, 'manager'), `SSH from the runner manager of ${fleet.name}/${runner.name} (EC2 Instance Connect keys)`)),
    aws_vpc_security_group_egress_rule: named(k, egressAll(k, 'GitLab, the cache bucket and whatever the jobs fetch')),
    // No instance profile: jobs on workers get no AWS identity.
    aws_launch_template: named(k, launchTemplate({ name: n.workerLaunchTemplate, imageId: spec.workerImageId, instanceType: s.instanceType, rootVolumeGiB: spec.rootVolumeGiB, hopLimit: 1, securityGroupKey: k, tags: { Name: n.workerGroup, 'runner-fleet-runner': runner.name } })),
    aws_autoscaling_group: named(k, group),
  };
}

/** docker-autoscaler: a manager on EC2 and an Auto Scaling group of Docker workers, through the fleeting AWS plugin. */
export const ec2AutoscalerPlatform: PlatformPlugin = vmPlatform({
  type: 'ec2-autoscaler',
  title: 'EC2 Auto Scaling (docker-autoscaler)',
  clusterSchema: ec2AutoscalerClusterSchema,
  runnerKeys: { instance: instanceRunnerSchema, autoscaler: autoscalerRunnerSchema },
  // concurrent is max instances × capacity per instance here.
  unsupportedRunnerSettings: ['concurrent'],

  jobsBinding: () => undefined,

  checkSpec(ctx) {
    const out: Finding[] = [];
    for (const r of ctx.runners) {
      const raw = (r.spec as { autoscaler?: AutoscalerRunnerSpec }).autoscaler;
      if (raw?.spot?.enabled && !raw.instanceTypes) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.autoscaler.instanceTypes`, message: 'spot workers need a list of instance types to choose from', fix: 'add autoscaler.instanceTypes: [m6i.large, m5.large, …]' });
      }
      if (raw?.spot && !raw.spot.enabled && raw.spot.onDemandBase > 0) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.autoscaler.spot.onDemandBase`, message: 'onDemandBase only applies with spot enabled', fix: 'set spot.enabled: true or remove onDemandBase' });
      }
      if (raw && raw.idleCount > raw.maxInstances * raw.capacityPerInstance) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.autoscaler.idleCount`, message: `idleCount ${raw.idleCount} exceeds the capacity of the group (${raw.maxInstances} × ${raw.capacityPerInstance})`, fix: 'lower idleCount or raise maxInstances' });
      }
      const inst = (r.spec as { instance?: { jobsReachInstanceCredentials?: boolean } }).instance;
      if (inst?.jobsReachInstanceCredentials !== undefined) {
        out.push({ code: 'RF701', severity: 'error', path: `${r.path}.instance.jobsReachInstanceCredentials`, message: 'docker-autoscaler jobs run on worker instances, never on the manager instance', fix: 'remove it; workers have no instance profile' });
      }
      if (r.spec.jobs.permissions.aws.length > 0) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.jobs.permissions.aws`, message: 'docker-autoscaler workers have no AWS identity to grant permissions to', fix: 'use GitLab CI id_tokens to assume a role from the job' });
      }
    }
    return out;
  },

  emitRunner(fleet, cluster, runner, ctx) {
    const s = autoscalerOf(runner);
    const spec = vmSpec(cluster) as ReturnType<typeof vmSpec> & AutoscalerClusterSpec;
    const executorToml = {
      executor: 'docker-autoscaler',
      docker: { image: runner.spec.jobs.image, privileged: runner.spec.jobs.privileged, ...dockerCacheSettings(runner.cache !== undefined) },
      autoscaler: {
        plugin: s.pluginVersion !== undefined ? `${FLEETING_PLUGIN}:${s.pluginVersion}` : FLEETING_PLUGIN,
        capacity_per_instance: s.capacityPerInstance,
        max_use_count: s.maxUseCount,
        max_instances: s.maxInstances,
        plugin_config: { name: names(runner).workerGroup },
        connector_config: { username: spec.workerUsername, use_external_addr: false },
        policy: [{ idle_count: s.idleCount, idle_time: s.idleTime }],
      },
    };
    const globalToml = { concurrent: s.maxInstances * s.capacityPerInstance };
    const toml = ctx.configToml(executorToml, globalToml);
    const userData = managerUserData({
      fleet,
      runner,
      configToml: toml,
      docker: false,
      files: [],
      steps: ['# The fleeting plugin named in config.toml, installed for root (the service user).', 'gitlab-runner fleeting install'],
    });
    return { files: [userData], executorToml, globalToml, manifests: [], terraformAws: mergeFragments(managerResources(fleet, cluster, runner, userData, managerStatements(fleet, runner), 1), workerResources(fleet, cluster, runner)) };
  },

  identityCheckJob() {
    return {
      image: { name: AWS_CLI_IMAGE, entrypoint: [''] },
      script: [
        'echo "expected: NO AWS credentials: workers have no instance profile and IMDSv2 hop limit 1"',
        'export AWS_METADATA_SERVICE_TIMEOUT=2 AWS_METADATA_SERVICE_NUM_ATTEMPTS=1',
        'if arn="$(aws sts get-caller-identity --query Arn --output text 2>/dev/null)"; then echo "FAIL: jobs obtained AWS credentials as $arn" >&2; exit 1; fi',
        'echo "OK: jobs have no AWS credentials"',
      ],
    };
  },

  verifyRunner(docs, fleet, runner, runnerPath) {
    const group = names(runner).workerGroup;
    const findings: Finding[] = [];
    const instance = instancesArn(fleet, runner).replace(/\*$/, 'i-0123456789abcdef0');
    const must: [string, string, Record<string, string>][] = [
      ['autoscaling:SetDesiredCapacity', groupArn(fleet, runner).replace(':*:', ':0123:'), {}],
      ['autoscaling:TerminateInstanceInAutoScalingGroup', groupArn(fleet, runner).replace(':*:', ':0123:'), {}],
      ['ec2-instance-connect:SendSSHPublicKey', instance, { 'ec2:ResourceTag/aws:autoscaling:groupName': group }],
    ];
    const other = groupArn(fleet, runner, 'another-group').replace(':*:', ':0123:');
    // Each request the manager must not be allowed, with what it means in the deployment's terms: the
    // probe's stand-ins (a group named another-group, an instance id) are how it asks, not what it says.
    const mustNot: [string, string, Record<string, string>, string][] = [
      ['autoscaling:SetDesiredCapacity', other, {}, `autoscaling:SetDesiredCapacity on Auto Scaling groups other than its worker group ${group} (it may resize them)`],
      ['autoscaling:TerminateInstanceInAutoScalingGroup', other, {}, `autoscaling:TerminateInstanceInAutoScalingGroup on Auto Scaling groups other than ${group} (it may terminate their instances)`],
      ['autoscaling:UpdateAutoScalingGroup', groupArn(fleet, runner).replace(':*:', ':0123:'), {}, `autoscaling:UpdateAutoScalingGroup on its worker group ${group} (it may change the group's launch template and limits; the fleeting plugin needs only SetDesiredCapacity and TerminateInstanceInAutoScalingGroup)`],
      ['ec2-instance-connect:SendSSHPublicKey', instance, { 'ec2:ResourceTag/aws:autoscaling:groupName': 'another-group' }, `ec2-instance-connect:SendSSHPublicKey on instances of Auto Scaling groups other than ${group} (it may log in to them)`],
      ['ec2-instance-connect:SendSSHPublicKey', instance, {}, `ec2-instance-connect:SendSSHPublicKey on instances that no aws:autoscaling:groupName tag of ${group} marks (instances of no group, the manager's own included)`],
    ];
    const lacking = must.filter(([a, r, c]) => !managerMay(docs, fleet, runner, a, r, c));
    const missing = lacking.map(([a, r]) => `${a} on ${r}`);
    const leaking = mustNot.filter(([a, r, c]) => managerMay(docs, fleet, runner, a, r, c));
    if (missing.length > 0) findings.push(managerCannot(docs, fleet, runner, runnerPath, missing.join(', '), `allow the manager role ${missing.join(', ')}`, lacking));
    if (leaking.length > 0) findings.push({ code: 'RF714', severity: CODES.RF714.severity, path: runnerPath, message: `the manager role can also call ${leaking.map((l) => l[3]).join('; ')}`, fix: `scope the fleeting permissions to group ${group}`, subject: managerRequests(fleet, runner, leaking.map(([a, r, c]) => [a, r, c])) });
    const ssh = verifySshOnlyFromManager(docs, key(runner, 'workers'), key(runner, 'manager'), runnerPath);
    findings.push(...ssh);
    // Workers carry no instance profile, so a job on the host gets no AWS credentials; it gets the
    // worker itself, with the jobs it runs beside this one and after it.
    const aws = runnerAws(fleet, runner);
    const account = aws.accountShown === false ? undefined : aws.accountId;
    findings.push(...escapeFindings(dockerHostEscapes(docs.runners.get(runner.name)?.configToml), runnerPath, `from the host a job takes over ${workerTakeOver(docs, runner, account)}`));
    const profile = verifyWorkerProfile(docs, runner, runnerPath, account);
    findings.push(...profile);
    return {
      findings,
      proofs: [
        { claim: `the manager scales and connects to workers of group ${group} only`, holds: missing.length === 0 && leaking.length === 0 },
        { claim: 'workers accept SSH from the manager only', holds: ssh.length === 0 },
        { claim: 'workers carry no instance profile: a job finds no AWS credentials on its worker', holds: profile.length === 0 },
      ],
    };
  },

  privilegedJobsTakeOver(docs, fleet, runner) {
    const aws = runnerAws(fleet, runner);
    return workerTakeOver(docs, runner, aws.accountShown === false ? undefined : aws.accountId);
  },

  jobCredentials(_fleet, runner) {
    const s = autoscalerOf(runner);
    return [
      `Jobs run in Docker on worker instances of group \`${names(runner).workerGroup}\` (0 to ${s.maxInstances}, ${s.capacityPerInstance} job(s) each, replaced after ${s.maxUseCount} job(s); \`concurrent\` = ${s.maxInstances * s.capacityPerInstance}). Workers have **no instance profile**, so jobs get no AWS credentials; give them cloud access with GitLab CI \`id_tokens\`. The manager reaches workers over SSH with keys pushed through EC2 Instance Connect, only for instances of its own group.`,
    ];
  },
});
