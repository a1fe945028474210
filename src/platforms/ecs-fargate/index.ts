import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import { identityRef } from '../../model/types.js';
import { z } from 'zod';
import type { PlatformPlugin } from '../types.js';
import { showValue, type Finding, adviceThenRegenerate } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import { mergeFragments, named, tfName, type TerraformResources } from '../../emit/artifacts.js';
import type { ResolvedCluster } from '../../model/types.js';
import type { Statement } from '../../verify/iam/types.js';
import { vmPlatform } from '../aws-vm/platform.js';
import { sectionReader } from '../section.js';
import { fargateRunnerSchema, instanceRunnerSchema, vmClusterFields, type FargateRunnerSpec } from '../aws-vm/schema.js';
import {
  ECS_TASKS_SERVICE,
  ecsTasksTrustText,
  egressAll,
  key,
  managerCannot,
  managerMay,
  managerRequests,
  managerResources,
  managerUserData,
  names,
  q,
  securityGroup,
  sshFromManager,
  taskSubject,
  tomlText,
  verifySshOnlyFromManager,
  vmSpec,
  runnerAws,
} from '../aws-vm/common.js';
import { awsIdentityCheckJob } from '../aws-identity-check.js';
import type { FleetDocuments } from '../../emit/types.js';
import { awsFacts, roleRequest, type RoleTags } from '../../verify/aws-docs.js';
import { evaluatePolicies, type CompiledPolicy } from '../../verify/iam/evaluator.js';
import { findBy } from '../../model/lookup.js';

/** MiB from `from` to `to` in steps of `step`. */
const mib = (from: number, to: number, step: number): number[] => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
/**
 * The task memory Fargate runs with each task CPU value (Linux), in MiB: the table of the ECS
 * API's RegisterTaskDefinition `memory` ("Available cpu values"). Any other pair is refused.
 */
const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: mib(1024, 4096, 1024),
  1024: mib(2048, 8192, 1024),
  2048: mib(4096, 16_384, 1024),
  4096: mib(8192, 30_720, 1024),
};
const memoryRange = (m: readonly number[]): string => (m.length <= 4 ? m.join(', ') : `${m[0]!} to ${m[m.length - 1]!} in steps of ${m[1]! - m[0]!}`);
const cpuFor = (memory: number): string => {
  const cpus = Object.keys(FARGATE_MEMORY).map(Number).filter((c) => FARGATE_MEMORY[c]!.includes(memory));
  return cpus.length > 0 ? ` (${cpus.join(' or ')})` : ` (none: ${memory} MiB is no Fargate size; sizes are whole GiB from 1024, or 512)`;
};

export const ecsFargateClusterSchema = z.strictObject({ ...vmClusterFields, type: z.literal('ecs-fargate') });

/**
 * GitLab's Fargate custom-executor driver. Releases live in GitLab's bucket under their tag
 * (the driver's README: replace `latest` in the URL with the tag); the spec pins the tag and the
 * SHA-256 of the binary, which the manager checks before installing it.
 */
export const FARGATE_DRIVER = { bucket: 'https://gitlab-runner-custom-fargate-downloads.s3.amazonaws.com', file: 'fargate-linux-amd64', path: '/opt/gitlab-runner/fargate', config: '/etc/gitlab-runner/fargate.toml' } as const;

export function fargateDriverUrl(version: string): string {
  return `${FARGATE_DRIVER.bucket}/${version}/${FARGATE_DRIVER.file}`;
}

/** ECR actions that replace, remove or re-open images of a repository: none may be held by a role of the fleet. */
export const ECR_WRITE_ACTIONS = [
  'ecr:PutImage',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:BatchDeleteImage',
  'ecr:PutImageTagMutability',
  'ecr:SetRepositoryPolicy',
  'ecr:DeleteRepository',
] as const;
/** The same, lower-cased as the evaluator matches actions (IAM action names are case-insensitive). */
const ECR_WRITE_ACTIONS_LOWER = ECR_WRITE_ACTIONS.map((a) => a.toLowerCase());
const SG_PLACEHOLDER = '@TASKS_SECURITY_GROUP_ID@';

/**
 * The custom executor's part of every Fargate runner's config.toml: the same for all runners, so
 * made once and shared by their documents (frozen: documents are not changed after they are made).
 */
const FARGATE_EXECUTOR_TOML: Record<string, unknown> = deepFreeze({
  executor: 'custom',
  builds_dir: '/opt/gitlab-runner/builds',
  cache_dir: '/opt/gitlab-runner/cache',
  custom: Object.fromEntries(
    (['config', 'prepare', 'run', 'cleanup'] as const).flatMap((stage): [string, string | string[]][] => [
      [`${stage}_exec`, FARGATE_DRIVER.path],
      [`${stage}_args`, ['--config', FARGATE_DRIVER.config, 'custom', stage]],
    ]),
  ),
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A runner's `fargate` section with the schema's defaults (parsed once per distinct text: sectionReader). */
export const fargateOf: (runner: { spec: unknown }) => FargateRunnerSpec = sectionReader('fargate', fargateRunnerSchema.unwrap());

type FargateArns = ReturnType<typeof buildArns>;
const arnsOf = new WeakMap<IntentRunner, { fleet: FleetIntent; arns: FargateArns }>();

/**
 * The ARNs of one runner's Fargate resources, built once per runner and fleet: emit (the manager's
 * statements, the task definition's image), verify (RF714's requests, RF717/RF719) and the README
 * each ask for them, and the fleet and its runners are not changed after they are made.
 */
function arns(fleet: FleetIntent, runner: IntentRunner): FargateArns {
  const hit = arnsOf.get(runner);
  if (hit !== undefined && hit.fleet === fleet) return hit.arns;
  const built = buildArns(fleet, runner);
  arnsOf.set(runner, { fleet, arns: built });
  return built;
}

function buildArns(fleet: FleetIntent, runner: IntentRunner) {
  const a = runnerAws(fleet, runner);
  const n = names(runner);
  // A plan always has the job identity; the doctor may find a task definition without a task role it can read.
  const jobs = runner.jobIdentity === undefined ? undefined : findBy(fleet.identities, 'key', runner.jobIdentity);
  return {
    cluster: `arn:${a.partition}:ecs:${a.region}:${a.accountId}:cluster/${n.ecsCluster}`,
    taskDefinitions: `arn:${a.partition}:ecs:${a.region}:${a.accountId}:task-definition/${n.taskFamily}:*`,
    tasks: `arn:${a.partition}:ecs:${a.region}:${a.accountId}:task/${n.ecsCluster}/*`,
    taskRole: jobs ? identityRef(jobs) : undefined,
    executionRole: `arn:${a.partition}:iam::${a.accountId}:role/runner-fleet/${n.executionRole}`,
    image: `${a.accountId}.dkr.ecr.${a.region}.amazonaws.com/${n.ecrRepository}`,
    repository: `arn:${a.partition}:ecr:${a.region}:${a.accountId}:repository/${n.ecrRepository}`,
  };
}

/** The pinned image reference of the task definition: `repo@sha256:…` or `repo:<tag>`. */
function pinnedImage(fleet: FleetIntent, runner: IntentRunner): string {
  const fg = fargateOf(runner);
  const repo = arns(fleet, runner).image;
  return fg.imageDigest !== undefined ? `${repo}@${fg.imageDigest}` : `${repo}:${fg.imageTag ?? 'unpinned'}`;
}

/** The manager starts, watches and stops tasks of its own cluster and task family, and passes only the job roles. */
function managerStatements(fleet: FleetIntent, runner: IntentRunner): Statement[] {
  const x = arns(fleet, runner);
  return [
    { Sid: 'RunJobTasks', Effect: 'Allow', Action: 'ecs:RunTask', Resource: x.taskDefinitions, Condition: { ArnEquals: { 'ecs:cluster': x.cluster } } },
    { Sid: 'ManageJobTasks', Effect: 'Allow', Action: ['ecs:StopTask', 'ecs:DescribeTasks'], Resource: x.tasks },
    { Sid: 'PassJobRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: [x.taskRole!, x.executionRole], Condition: { StringEquals: { 'iam:PassedToService': ECS_TASKS_SERVICE } } },
    // These calls take no resource-level permissions.
    { Sid: 'Describe', Effect: 'Allow', Action: ['ecs:DescribeTaskDefinition', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets'], Resource: '*' },
  ];
}

function fargateToml(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): Record<string, unknown> {
  const n = names(runner);
  const fg = fargateOf(runner);
  return {
    LogLevel: 'info',
    LogFormat: 'text',
    Fargate: {
      Cluster: n.ecsCluster,
      Region: runnerAws(fleet, runner).region,
      Subnet: vmSpec(cluster).subnetIds[0],
      SecurityGroup: SG_PLACEHOLDER,
      TaskDefinition: n.taskFamily,
      EnablePublicIP: fg.assignPublicIp,
      UsePublicIP: fg.assignPublicIp,
    },
    TaskMetadata: { Directory: '/opt/gitlab-runner/metadata' },
    SSH: { Username: 'root', Port: 22 },
  };
}

function taskResources(fleet: FleetIntent, cluster: ResolvedCluster, runner: IntentRunner): TerraformResources {
  const n = names(runner);
  const fg = fargateOf(runner);
  const jobs = findBy(fleet.identities, 'key', runner.jobIdentity)!;
  const exec = key(runner, 'task_execution');
  const tasksSg = key(runner, 'tasks');
  const jobsKey = key(runner, 'jobs');
  return {
    aws_ecs_cluster: named(key(runner), { name: n.ecsCluster, setting: [{ name: 'containerInsights', value: fg.containerInsights ? 'enabled' : 'disabled' }] }),
    // Immutable tags: a pushed tag can never be made to point at another image.
    aws_ecr_repository: named(jobsKey, { name: n.ecrRepository, image_tag_mutability: 'IMMUTABLE', image_scanning_configuration: { scan_on_push: true }, encryption_configuration: { encryption_type: 'AES256' } }),
    aws_iam_role: named(exec, {
      name: n.executionRole,
      path: '/runner-fleet/',
      description: `ECS task execution role of ${fleet.name}/${runner.name}: pulls the job image (runner-fleet)`,
      assume_role_policy: ecsTasksTrustText(fleet),
      max_session_duration: 3600,
    }),
    aws_iam_role_policy_attachment: named(exec, { role: `\${aws_iam_role.${exec}.name}`, policy_arn: `arn:${fleet.aws!.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` }),
    aws_ecs_task_definition: named(jobsKey, {
      family: n.taskFamily,
      requires_compatibilities: ['FARGATE'],
      network_mode: 'awsvpc',
      cpu: String(fg.cpu),
      memory: String(fg.memoryMiB),
      task_role_arn: `\${aws_iam_role.${tfName(jobs.key)}.arn}`,
      execution_role_arn: `\${aws_iam_role.${exec}.arn}`,
      container_definitions: JSON.stringify([
        {
          name: 'ci-coordinator',
          image: pinnedImage(fleet, runner),
          essential: true,
          portMappings: [{ containerPort: 22, hostPort: 22, protocol: 'tcp' }],
        },
      ]),
    }),
    aws_security_group: named(tasksSg, securityGroup(fleet, cluster, n.tasksSecurityGroup, `Fargate job tasks of ${fleet.name}/${runner.name}: SSH from the runner manager only`)),
    aws_vpc_security_group_ingress_rule: named(tasksSg, sshFromManager(tasksSg, key(runner, 'manager'), `SSH from the runner manager of ${fleet.name}/${runner.name} (Fargate driver)`)),
    aws_vpc_security_group_egress_rule: named(tasksSg, egressAll(tasksSg, 'GitLab, the cache bucket and whatever the jobs fetch')),
  };
}

/**
 * The job image cannot be replaced under the task definition: the repository's tags are
 * immutable and the task definition names a versioned tag or a digest (RF719); and no role of the
 * fleet — job roles above all, since a job could then swap the image every later job (and the
 * root SSH coordinator) runs in — can push to, delete from or re-open the repository (RF717).
 */
interface Writer {
  id: Extract<FleetIntent['identities'][number], { cloud: 'aws' }>;
  role: RoleTags & { policiesCompiled: CompiledPolicy[] };
  actions: string[];
}

/** The literal resources of the Allow statements that apply to `actions`; undefined when one is not literal. */
function literalResources(policies: readonly CompiledPolicy[], actions: readonly string[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const p of policies) {
    const raw = Array.isArray(p.source.Statement) ? p.source.Statement : [p.source.Statement];
    for (const a of actions) {
      for (const st of p.statementsFor(a)) {
        if (st.deny) continue;
        const r = raw[st.index] as { Resource?: string | string[]; NotResource?: unknown } | undefined;
        if (!r || r.NotResource !== undefined || r.Resource === undefined) return undefined;
        for (const res of Array.isArray(r.Resource) ? r.Resource : [r.Resource]) {
          if (/[*?$]/.test(res)) return undefined;
          out.add(res.toLowerCase());
        }
      }
    }
  }
  return out;
}

interface JobImageIndex {
  repositories: Map<string, Record<string, unknown>>;
  /** AWS roles of the fleet that have an Allow statement for some ECR write action: only they can be allowed one. */
  writers: Writer[];
  /** Writers whose applicable Allow statements name only literal resources, by lower-cased resource. */
  literalWriters: Map<string, Writer[]>;
  /** Writers with a wildcard, NotResource or no Resource in an applicable Allow: tried on every repository. */
  openWriters: Writer[];
  /** Each writer's position in `writers`: candidates are tried in that order. */
  order: Map<Writer, number>;
  rolesTried: number;
  runnerByName: Map<string, IntentRunner>;
}
const jobImageIndexes = new WeakMap<FleetDocuments, JobImageIndex>();

/**
 * Built once per set of documents, so RF717 stays linear: a role without any Allow statement for
 * an ECR write action is implicitly denied on every repository, whatever its resources and
 * conditions say, and needs no evaluation per runner.
 */
function jobImageIndex(docs: FleetDocuments, fleet: FleetIntent, facts: NonNullable<ReturnType<typeof awsFacts>>): JobImageIndex {
  const hit = jobImageIndexes.get(docs);
  if (hit) return hit;
  const repositories = new Map<string, Record<string, unknown>>();
  for (const b of Object.values(facts.root.resource.aws_ecr_repository ?? {})) if (typeof b.name === 'string' && !repositories.has(b.name)) repositories.set(b.name, b);
  const writers: JobImageIndex['writers'] = [];
  let rolesTried = 0;
  for (const id of fleet.identities) {
    if (id.cloud !== 'aws') continue;
    const role = facts.roles.get(id.roleName);
    if (!role) continue;
    rolesTried++;
    const allowed = ECR_WRITE_ACTIONS.map(() => false);
    for (const p of role.policiesCompiled) p.markAllowed(ECR_WRITE_ACTIONS_LOWER, allowed);
    const actions = ECR_WRITE_ACTIONS.filter((_, i) => allowed[i]);
    if (actions.length > 0) writers.push({ id, role, actions });
  }
  const literalWriters = new Map<string, Writer[]>();
  const openWriters: Writer[] = [];
  for (const w of writers) {
    const literal = literalResources(w.role.policiesCompiled, w.actions);
    if (literal === undefined) openWriters.push(w);
    else
      for (const r of literal) {
        // One list per resource, appended to (a copy per writer was quadratic when many roles name one repository).
        const list = literalWriters.get(r);
        if (list) list.push(w);
        else literalWriters.set(r, [w]);
      }
  }
  const index = { repositories, writers, literalWriters, openWriters, order: new Map(writers.map((w, i) => [w, i])), rolesTried, runnerByName: new Map(fleet.runners.map((r) => [r.name, r])) };
  jobImageIndexes.set(docs, index);
  return index;
}

/** An image of an ECR repository: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>…`. */
const ECR_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\//;

/**
 * The job image of a deployment read back (doctor) from another registry than ECR: no repository
 * of the documents holds it, so who can push there is not shown; only a digest keeps a push from
 * changing what every job runs.
 */
function verifyForeignJobImage(runner: IntentRunner, runnerPath: string, image: string): { findings: Finding[]; proofs: { claim: string; holds: boolean }[] } {
  const n = names(runner);
  const pinned = /@sha256:[a-f0-9]{64}$/.test(image);
  const repository = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const findings: Finding[] = pinned
    ? []
    : [{ code: 'RF719', severity: CODES.RF719.severity, path: `${runnerPath}.fargate.imageTag`, message: `task definition ${n.taskFamily} runs ${image}, a tag of a registry the documents do not show: whoever can push to ${repository} changes what every job of ${runner.name} runs, including the SSH coordinator that runs as root`, received: image, allowed: `${repository}@sha256:<digest>`, fix: `pin the image by digest in the task definition: ${repository}@sha256:<digest of the image you reviewed> (or push it to an ECR repository with image_tag_mutability = "IMMUTABLE")` }];
  return { findings, proofs: [{ claim: `the job image ${image} is pinned by digest (its registry is not in the documents)`, holds: pinned }] };
}

function verifyJobImage(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, runnerPath: string): { findings: Finding[]; rolesTried: number } {
  const facts = awsFacts(docs);
  if (!facts) return { findings: [], rolesTried: 0 };
  const x = arns(fleet, runner);
  const n = names(runner);
  const out: Finding[] = [];
  const index = jobImageIndex(docs, fleet, facts);
  const repo = index.repositories.get(n.ecrRepository);
  const mutability = showValue(repo?.image_tag_mutability);
  // A deployment read back names its own files; plan's is terraform/aws/main.tf.json.
  const readBack = (runner.platformNames as Record<string, string | undefined> | undefined)?.jobImage !== undefined;
  if (!repo || repo.image_tag_mutability !== 'IMMUTABLE') {
    out.push({ code: 'RF719', severity: CODES.RF719.severity, path: `${runnerPath}.fargate`, message: `ECR repository ${n.ecrRepository} ${repo ? `has image_tag_mutability ${mutability} (absent means MUTABLE)` : readBack ? 'is not in the files given' : 'is not in terraform/aws/main.tf.json'}: whoever can push re-points a tag every job runs`, received: mutability, allowed: '"IMMUTABLE"', ...adviceThenRegenerate(repo ? 'set image_tag_mutability = "IMMUTABLE"' : `give the aws_ecr_repository of ${n.ecrRepository}, with image_tag_mutability = "IMMUTABLE"`, 'runner-fleet always does, regenerate') });
  }
  const task = facts.root.resource.aws_ecs_task_definition?.[key(runner, 'jobs')];
  const defs = task?.container_definitions;
  let images: string[];
  try {
    images = (JSON.parse(typeof defs === 'string' ? defs : '[]') as { image?: string }[]).map((c) => String(c.image));
  } catch {
    images = ['(container_definitions is not JSON)'];
  }
  const unpinned = images.filter((img) => {
    if (!img.startsWith(`${x.image}:`) && !img.startsWith(`${x.image}@`)) return true;
    const ref = img.slice(x.image.length);
    return !(/^@sha256:[a-f0-9]{64}$/.test(ref) || (/^:[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(ref) && ref !== ':latest'));
  });
  if (!task || images.length === 0 || unpinned.length > 0) {
    out.push({ code: 'RF719', severity: CODES.RF719.severity, path: `${runnerPath}.fargate.imageTag`, message: `task definition ${n.taskFamily} runs ${unpinned.join(', ') || 'no image'}, not a versioned tag or digest of ${n.ecrRepository}`, received: unpinned.join(', '), allowed: `${x.image}:<version> or ${x.image}@sha256:<digest>`, fix: 'set fargate.imageTag to a version (or fargate.imageDigest)', deploymentFix: `make the image of task definition ${n.taskFamily} ${x.image}:<version> (not latest) or ${x.image}@sha256:<digest>` });
  }
  // Only writers whose Allows could name this repository: the open ones and those that name it literally.
  const candidates = [...index.openWriters, ...(index.literalWriters.get(x.repository.toLowerCase()) ?? [])].sort((a, b) => index.order.get(a)! - index.order.get(b)!);
  for (const { id, role, actions } of candidates) {
    const can = actions.filter((action) => evaluatePolicies({ identity: role.policiesCompiled }, roleRequest(role, id.arn, action, x.repository)) === 'allow');
    if (can.length === 0) continue;
    const owner = id.runner === undefined ? undefined : index.runnerByName.get(id.runner);
    const path = owner ? (id.purpose === 'jobs' ? `runners[${owner.index}].jobs.permissions.aws` : `runners[${owner.index}]`) : runnerPath;
    out.push({
      code: 'RF717',
      severity: CODES.RF717.severity,
      path,
      message: `${id.purpose} role ${id.roleName} can ${can.join(', ')} on ${x.repository}: it could replace the image every job of ${runner.name} runs in, including the SSH coordinator that runs as root`,
      received: can.join(', '),
      fix: `narrow the ECR resources of that role so they do not cover repository/${n.ecrRepository} (for example name the repositories it builds instead of a wildcard); push the job image from outside the fleet`,
    });
  }
  return { findings: out, rolesTried: index.rolesTried };
}

/** A manager on EC2 that runs each job in its own Fargate task with its own task role. */
export const ecsFargatePlatform: PlatformPlugin = vmPlatform({
  type: 'ecs-fargate',
  title: 'ECS Fargate (custom executor)',
  clusterSchema: ecsFargateClusterSchema,
  runnerKeys: { instance: instanceRunnerSchema, fargate: fargateRunnerSchema },
  // The driver runs every job in the task definition's image; `image:` is ignored.
  unsupportedRunnerSettings: ['jobs.image'],

  jobsBinding: (fleet, cluster, runner) => ({ mechanism: 'task-role', subject: taskSubject(fleet, cluster, runner) }),

  checkSpec(ctx) {
    const out: Finding[] = [];
    for (const r of ctx.runners) {
      const inst = (r.spec as { instance?: { jobsReachInstanceCredentials?: boolean } }).instance;
      if (inst?.jobsReachInstanceCredentials !== undefined) {
        out.push({ code: 'RF701', severity: 'error', path: `${r.path}.instance.jobsReachInstanceCredentials`, message: 'Fargate jobs run in their own tasks, never on the manager instance', fix: 'remove it; jobs get the task role' });
      }
      const fg = (r.spec as { fargate?: { imageTag?: string; imageDigest?: string; driver?: unknown } }).fargate;
      if (fg === undefined) {
        // Report the missing section where it is missing, not at keys under a section that is not there.
        out.push({ code: 'RF004', severity: 'error', path: `${r.path}.fargate`, message: 'a Fargate runner must pin its driver (release and SHA-256: the manager runs it as root) and its job image', fix: `add fargate: { driver: { version: v<x.y.z>, sha256: <sha256 of ${FARGATE_DRIVER.bucket}/v<x.y.z>/${FARGATE_DRIVER.file}, checked by you> }, imageTag: <version> }` });
      }
      if (fg !== undefined && fg.driver === undefined) {
        out.push({ code: 'RF004', severity: 'error', path: `${r.path}.fargate.driver`, message: 'the Fargate driver must be pinned to a release and its SHA-256: the manager runs it as root', fix: `add fargate.driver: { version: v<x.y.z>, sha256: <sha256 of ${FARGATE_DRIVER.bucket}/v<x.y.z>/${FARGATE_DRIVER.file}, checked by you> }` });
      }
      if (fg !== undefined && fg.imageTag === undefined && fg.imageDigest === undefined) {
        out.push({ code: 'RF004', severity: 'error', path: `${r.path}.fargate.imageTag`, message: 'the job image must be pinned: every job of this runner runs in it', fix: 'add fargate.imageTag: <version> (tags are immutable in the repository) or fargate.imageDigest: sha256:<digest>' });
      }
      const pinned = fg?.driver as { sha256?: string; version?: string } | undefined;
      if (pinned?.sha256 !== undefined && /^([0-9a-f])\1{63}$/.test(pinned.sha256)) {
        // No file hashes to one digit repeated: this is a placeholder, and fetch_verified will stop the boot on it.
        const url = fargateDriverUrl(pinned.version ?? 'v<x.y.z>');
        out.push({ code: 'RF703', severity: CODES.RF703.severity, path: `${r.path}.fargate.driver.sha256`, message: `the driver's SHA-256 is one digit repeated 64 times, which no release of the driver has: the manager checks the download against it and stops booting, so runner ${r.spec.name} takes no job`, received: pinned.sha256, allowed: 'the SHA-256 of the driver release you reviewed (64 lower-case hex digits)', fix: `compute it from the release you reviewed (curl -fsSL --proto '=https' '${url}' | sha256sum) and set fargate.driver.sha256 to it` });
      }
      if (fg?.imageTag !== undefined && fg.imageDigest !== undefined) {
        out.push({ code: 'RF010', severity: 'error', path: `${r.path}.fargate.imageDigest`, message: 'set either imageTag or imageDigest, not both', received: fg.imageDigest, fix: 'keep one of them' });
      }
      const size = (r.spec as { fargate?: { cpu?: number; memoryMiB?: number } }).fargate;
      const memories = size?.cpu !== undefined ? FARGATE_MEMORY[size.cpu] : undefined;
      if (memories !== undefined && size?.memoryMiB !== undefined && !memories.includes(size.memoryMiB)) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.fargate.memoryMiB`, message: `Fargate has no task size of ${size.cpu} CPU units with ${size.memoryMiB} MiB: ECS refuses the task definition ("No Fargate configuration exists for given values")`, received: String(size.memoryMiB), allowed: `with cpu ${size.cpu}: ${memoryRange(memories)}`, fix: `set fargate.memoryMiB to one of those, or choose the cpu whose range holds ${size.memoryMiB} MiB${cpuFor(size.memoryMiB)}` });
      }
      if (r.spec.jobs.privileged) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.jobs.privileged`, message: 'Fargate tasks cannot run privileged', received: 'true', allowed: 'false', fix: 'remove jobs.privileged' });
      }
    }
    return out;
  },

  emitRunner(fleet, cluster, runner, ctx) {
    const executorToml = FARGATE_EXECUTOR_TOML;
    const toml = ctx.configToml(executorToml);
    const n = names(runner);
    const driverDoc = fargateToml(fleet, cluster, runner);
    const driverToml = tomlText(driverDoc);
    const driver = fargateOf(runner).driver!;
    const userData = managerUserData({
      fleet,
      runner,
      configToml: toml,
      docker: false,
      files: [{ path: FARGATE_DRIVER.config, content: driverToml }],
      steps: [
        `# The Fargate driver ${driver.version}, installed only if its SHA-256 is the one in the spec; then the id of the tasks' security group (created with the instance, so looked up here).`,
        `install -d -m 0755 /opt/gitlab-runner /opt/gitlab-runner/metadata /opt/gitlab-runner/builds /opt/gitlab-runner/cache`,
        `fetch_verified ${q(fargateDriverUrl(driver.version))} ${q(driver.sha256)} ${FARGATE_DRIVER.path}`,
        `sg="$(aws ec2 describe-security-groups --region "$REGION" --filters Name=group-name,Values=${q(n.tasksSecurityGroup)} Name=vpc-id,Values=${q(vmSpec(cluster).vpcId)} --query 'SecurityGroups[0].GroupId' --output text)"`,
        `sed -i "s/${SG_PLACEHOLDER}/$sg/" ${FARGATE_DRIVER.config}`,
      ],
    });
    return {
      files: [userData, { path: `ec2/${runner.name}/fargate.toml`, format: 'toml', content: driverDoc }],
      executorToml,
      manifests: [],
      terraformAws: mergeFragments(managerResources(fleet, cluster, runner, userData, managerStatements(fleet, runner), 1), taskResources(fleet, cluster, runner)),
    };
  },

  identityCheckJob(fleet, _runner, jobIdentity) {
    // The driver ignores `image:`; the job runs in the task definition's image, which needs the AWS CLI for this check.
    const job = awsIdentityCheckJob(fleet, jobIdentity!);
    return { script: [`echo "expected: the task role ${jobIdentity!.roleName} (the job image needs the AWS CLI)"`, ...job.script] };
  },

  verifyRunner(docs, fleet, runner, runnerPath) {
    const x = arns(fleet, runner);
    const a = fleet.aws!;
    const findings: Finding[] = [];
    const otherCluster = x.cluster.replace(/cluster\/.*$/, 'cluster/another-cluster');
    const otherFamily = x.taskDefinitions.replace(/task-definition\/.*$/, 'task-definition/another-family:1');
    const otherRole = `arn:${a.partition}:iam::${a.accountId}:role/admin`;
    if (x.taskRole === undefined) {
      findings.push({ code: 'RF106', severity: 'error', path: runnerPath, message: `the task definition ${names(runner).taskFamily} names no task role that the documents define, so what jobs may do cannot be proven`, fix: 'give the task definition a task_role_arn of a role in the evidence' });
    }
    const passJobRole: [string, string, Record<string, string>][] = x.taskRole === undefined ? [] : [['iam:PassRole', x.taskRole, { 'iam:PassedToService': ECS_TASKS_SERVICE }]];
    // ecs:StopTask carries the cluster as ecs:cluster, as ecs:RunTask does (AWS Service Authorization Reference,
    // "Actions, resources, and condition keys for Amazon Elastic Container Service", StopTask: task*, ecs:cluster):
    // a policy may scope it by that key instead of by the task ARN.
    const must: [string, string, Record<string, string>][] = [
      ['ecs:RunTask', x.taskDefinitions.replace(/\*$/, '1'), { 'ecs:cluster': x.cluster }],
      ['ecs:StopTask', x.tasks.replace(/\*$/, '0123'), { 'ecs:cluster': x.cluster }],
      ...passJobRole,
    ];
    // Each request the manager must not be allowed, with what it means in the deployment's terms (the
    // probe's stand-ins, another-cluster, another-family, role/admin, are how it asks, not what it says).
    const cluster = names(runner).ecsCluster;
    const family = names(runner).taskFamily;
    const jobRole = x.taskRole?.replace(/^.*:role\/(?:.*\/)?/, '');
    const mustNot: [string, string, Record<string, string>, string][] = [
      ['ecs:RunTask', x.taskDefinitions.replace(/\*$/, '1'), { 'ecs:cluster': otherCluster }, `ecs:RunTask of task family ${family} in ECS clusters other than ${cluster}`],
      ['ecs:RunTask', otherFamily, { 'ecs:cluster': x.cluster }, `ecs:RunTask of task definitions other than family ${family} in cluster ${cluster} (any task a job names)`],
      ['ecs:StopTask', `${otherCluster.replace(':cluster/', ':task/')}/0123`, { 'ecs:cluster': otherCluster }, `ecs:StopTask on tasks of ECS clusters other than ${cluster}`],
      ['iam:PassRole', otherRole, { 'iam:PassedToService': ECS_TASKS_SERVICE }, `iam:PassRole of roles other than ${jobRole !== undefined ? `the job role ${jobRole}` : 'a job role'} to ${ECS_TASKS_SERVICE} (a task it starts may run as any of them)`],
      ...(x.taskRole === undefined ? [] : [['iam:PassRole', x.taskRole, { 'iam:PassedToService': 'ec2.amazonaws.com' }, `iam:PassRole of the job role ${jobRole!} to services other than ${ECS_TASKS_SERVICE}, ec2.amazonaws.com among them`] as [string, string, Record<string, string>, string]]),
    ];
    const lacking = must.filter(([act, res, ctx]) => !managerMay(docs, fleet, runner, act, res, ctx));
    const missing = lacking.map(([act, res]) => `${act} on ${res}`);
    const leaking = mustNot.filter(([act, res, ctx]) => managerMay(docs, fleet, runner, act, res, ctx));
    if (missing.length > 0) findings.push(managerCannot(docs, fleet, runner, runnerPath, missing.join(', '), `allow the manager role ${missing.join(', ')}`, lacking));
    if (leaking.length > 0) findings.push({ code: 'RF714', severity: CODES.RF714.severity, path: runnerPath, message: `the manager role can also call ${leaking.map((l) => l[3]).join('; ')}`, fix: 'scope ecs:RunTask to the cluster and family, ecs:StopTask to the cluster\'s tasks, iam:PassRole to the job roles for ecs-tasks.amazonaws.com', subject: managerRequests(fleet, runner, leaking.map(([act, res, ctx]) => [act, res, ctx])) });
    const ssh = verifySshOnlyFromManager(docs, key(runner, 'tasks'), key(runner, 'manager'), runnerPath);
    findings.push(...ssh);
    const ownProofs = [
      { claim: `the manager runs tasks only of family ${names(runner).taskFamily} on cluster ${names(runner).ecsCluster} and passes only the job roles`, holds: x.taskRole !== undefined && missing.length === 0 && leaking.length === 0 },
      { claim: 'job tasks accept SSH from the manager only', holds: ssh.length === 0 },
    ];
    // Read back (doctor): an image of another registry than ECR is checked as what it is.
    const readBack = (runner.platformNames as Record<string, string | undefined> | undefined)?.jobImage;
    if (readBack !== undefined && !ECR_IMAGE.test(readBack)) {
      const foreign = verifyForeignJobImage(runner, runnerPath, readBack);
      findings.push(...foreign.findings);
      return { findings, proofs: [...ownProofs, ...foreign.proofs] };
    }
    const image = verifyJobImage(docs, fleet, runner, runnerPath);
    findings.push(...image.findings);
    return {
      findings,
      proofs: [
        ...ownProofs,
        { claim: `the job image is pinned in repository ${names(runner).ecrRepository} (immutable tags)`, holds: !image.findings.some((x) => x.code === 'RF719') },
        { claim: `no role of the fleet can push to or delete from ${names(runner).ecrRepository} (${image.rolesTried} roles tried)`, holds: !image.findings.some((x) => x.code === 'RF717') },
      ],
    };
  },

  jobCredentials(_fleet, runner) {
    return [`Each job runs in its own Fargate task (\`${names(runner).taskFamily}\` on cluster \`${names(runner).ecsCluster}\`) and gets the **task role**, not the manager's instance role. The driver reaches the task over SSH (TCP 22 from the manager's security group only). The task's \`ci-coordinator\` container must run sshd and contain gitlab-runner; since jobs run in SSH sessions, its entrypoint must pass \`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\` into them (for example through /etc/environment) for the task role to be visible.`];
  },

  extraSteps(fleet, runners) {
    return [
      {
        phase: 'cluster',
        title: 'Check the Fargate driver checksum.',
        text: 'The manager installs the driver only if its SHA-256 is `fargate.driver.sha256`, and stops booting otherwise. runner-fleet cannot look the value up for you: compute it from the release you reviewed and put it in the spec, best before the first apply (after a fix, apply again and start an instance refresh, as in the next step):',
        lines: [
          '```sh',
          ...[...new Set(runners.map((r) => fargateDriverUrl(fargateOf(r).driver!.version)))].map((url) => `curl -fsSL --proto '=https' '${url}' | sha256sum`),
          '```',
        ],
      },
      {
        title: 'Push the job image.',
        lines: [
          'The Fargate driver ignores `image:` in `.gitlab-ci.yml`: every job runs in the task definition\'s `ci-coordinator` image, which must run sshd on port 22 (accepting the `SSH_PUBLIC_KEY` the driver injects) and contain gitlab-runner (and the AWS CLI for the smoke test). The repository\'s tags are immutable and the task definition names one tag (or digest), so push a new tag and change `fargate.imageTag` to roll out a new image. Push from outside the fleet (an operator or a dedicated pipeline): no role of the fleet may push to this repository (RF717):',
          '',
          '```sh',
          ...runners.flatMap((r) => {
            const x = arns(fleet, r);
            const fg = fargateOf(r);
            const push = fg.imageDigest !== undefined ? `docker push ${x.image}:<tag>   # the pushed image must have digest ${fg.imageDigest}` : `docker push ${x.image}:${fg.imageTag!}`;
            return [`aws ecr get-login-password --region ${fleet.aws!.region} | docker login --username AWS --password-stdin ${x.image.split('/')[0]!}`, push];
          }),
          '```',
        ],
      },
    ];
  },
});
