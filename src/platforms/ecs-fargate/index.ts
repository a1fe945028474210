import { identityOf, identityRef } from '../../model/types.js';
import { z } from 'zod';
import type { PlatformPlugin } from '../types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES } from '../../spec/codes.js';
import { tfName, type TerraformResources } from '../../emit/artifacts.js';
import type { ResolvedCluster, ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import type { Statement } from '../../verify/iam/types.js';
import { vmPlatform } from '../aws-vm/platform.js';
import { fargateRunnerSchema, instanceRunnerSchema, vmClusterFields, type FargateRunnerSpec } from '../aws-vm/schema.js';
import {
  ECS_TASKS_SERVICE,
  ecsTasksTrust,
  egressAll,
  key,
  managerMay,
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
} from '../aws-vm/common.js';
import { awsIdentityCheckJob } from '../aws-identity-check.js';

export const ecsFargateClusterSchema = z.strictObject({ ...vmClusterFields, type: z.literal('ecs-fargate') });

/** GitLab's Fargate custom-executor driver. The download location is the one GitLab documents. */
export const FARGATE_DRIVER = { url: 'https://gitlab-runner-custom-fargate-downloads.s3.amazonaws.com/latest/fargate-linux-amd64', path: '/opt/gitlab-runner/fargate', config: '/etc/gitlab-runner/fargate.toml' } as const;
const SG_PLACEHOLDER = '@TASKS_SECURITY_GROUP_ID@';

function fargateOf(runner: ResolvedRunner): FargateRunnerSpec {
  return fargateRunnerSchema.unwrap().parse((runner.spec as { fargate?: unknown }).fargate ?? {});
}

function arns(fleet: ResolvedFleet, runner: ResolvedRunner) {
  const a = fleet.aws!;
  const n = names(runner);
  const jobs = identityOf(fleet, runner.jobIdentity!);
  return {
    cluster: `arn:${a.partition}:ecs:${a.region}:${a.accountId}:cluster/${n.ecsCluster}`,
    taskDefinitions: `arn:${a.partition}:ecs:${a.region}:${a.accountId}:task-definition/${n.taskFamily}:*`,
    tasks: `arn:${a.partition}:ecs:${a.region}:${a.accountId}:task/${n.ecsCluster}/*`,
    taskRole: identityRef(jobs),
    executionRole: `arn:${a.partition}:iam::${a.accountId}:role/runner-fleet/${n.executionRole}`,
    image: `${a.accountId}.dkr.ecr.${a.region}.amazonaws.com/${n.ecrRepository}`,
  };
}

/** The manager starts, watches and stops tasks of its own cluster and task family, and passes only the job roles. */
function managerStatements(fleet: ResolvedFleet, runner: ResolvedRunner): Statement[] {
  const x = arns(fleet, runner);
  return [
    { Sid: 'RunJobTasks', Effect: 'Allow', Action: 'ecs:RunTask', Resource: x.taskDefinitions, Condition: { ArnEquals: { 'ecs:cluster': x.cluster } } },
    { Sid: 'ManageJobTasks', Effect: 'Allow', Action: ['ecs:StopTask', 'ecs:DescribeTasks'], Resource: x.tasks },
    { Sid: 'PassJobRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: [x.taskRole, x.executionRole], Condition: { StringEquals: { 'iam:PassedToService': ECS_TASKS_SERVICE } } },
    // These calls take no resource-level permissions.
    { Sid: 'Describe', Effect: 'Allow', Action: ['ecs:DescribeTaskDefinition', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets'], Resource: '*' },
  ];
}

function fargateToml(fleet: ResolvedFleet, cluster: ResolvedCluster, runner: ResolvedRunner): Record<string, unknown> {
  const n = names(runner);
  const fg = fargateOf(runner);
  return {
    LogLevel: 'info',
    LogFormat: 'text',
    Fargate: {
      Cluster: n.ecsCluster,
      Region: fleet.aws!.region,
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

function taskResources(fleet: ResolvedFleet, cluster: ResolvedCluster, runner: ResolvedRunner): TerraformResources {
  const n = names(runner);
  const x = arns(fleet, runner);
  const fg = fargateOf(runner);
  const jobs = identityOf(fleet, runner.jobIdentity!);
  const exec = key(runner, 'task_execution');
  const tasksSg = key(runner, 'tasks');
  return {
    aws_ecs_cluster: { [key(runner)]: { name: n.ecsCluster } },
    aws_ecr_repository: {
      [key(runner, 'jobs')]: { name: n.ecrRepository, image_tag_mutability: 'MUTABLE', image_scanning_configuration: { scan_on_push: true }, encryption_configuration: { encryption_type: 'AES256' } },
    },
    aws_iam_role: {
      [exec]: {
        name: n.executionRole,
        path: '/runner-fleet/',
        description: `ECS task execution role of ${fleet.name}/${runner.name}: pulls the job image (runner-fleet)`,
        assume_role_policy: JSON.stringify(ecsTasksTrust(fleet)),
        max_session_duration: 3600,
      },
    },
    aws_iam_role_policy_attachment: { [exec]: { role: `\${aws_iam_role.${exec}.name}`, policy_arn: `arn:${fleet.aws!.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` } },
    aws_ecs_task_definition: {
      [key(runner, 'jobs')]: {
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
            image: `${x.image}:${fg.imageTag}`,
            essential: true,
            portMappings: [{ containerPort: 22, hostPort: 22, protocol: 'tcp' }],
          },
        ]),
      },
    },
    aws_security_group: { [tasksSg]: securityGroup(fleet, cluster, n.tasksSecurityGroup, `Fargate job tasks of ${fleet.name}/${runner.name}: SSH from the runner manager only`) },
    aws_vpc_security_group_ingress_rule: { [tasksSg]: sshFromManager(tasksSg, key(runner, 'manager')) },
    aws_vpc_security_group_egress_rule: { [tasksSg]: egressAll(tasksSg, 'GitLab, the cache bucket and whatever the jobs fetch') },
  };
}

function merge(a: TerraformResources, b: TerraformResources): TerraformResources {
  const out: TerraformResources = { ...a };
  for (const [t, byName] of Object.entries(b)) out[t] = { ...(out[t] ?? {}), ...byName };
  return out;
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
      if (r.spec.jobs.privileged) {
        out.push({ code: 'RF702', severity: 'error', path: `${r.path}.jobs.privileged`, message: 'Fargate tasks cannot run privileged', received: 'true', allowed: 'false', fix: 'remove jobs.privileged' });
      }
    }
    return out;
  },

  emitRunner(fleet, cluster, runner, ctx) {
    const executorToml = {
      executor: 'custom',
      builds_dir: '/opt/gitlab-runner/builds',
      cache_dir: '/opt/gitlab-runner/cache',
      custom: Object.fromEntries(
        (['config', 'prepare', 'run', 'cleanup'] as const).flatMap((stage): [string, string | string[]][] => [
          [`${stage}_exec`, FARGATE_DRIVER.path],
          [`${stage}_args`, ['--config', FARGATE_DRIVER.config, 'custom', stage]],
        ]),
      ),
    };
    const toml = ctx.configToml(executorToml);
    const n = names(runner);
    const driverToml = tomlText(fargateToml(fleet, cluster, runner));
    const userData = managerUserData({
      fleet,
      runner,
      configToml: toml,
      docker: false,
      files: [{ path: FARGATE_DRIVER.config, content: driverToml }],
      steps: [
        '# The Fargate driver, and the id of the tasks\' security group (created with the instance, so looked up here).',
        `install -d -m 0755 /opt/gitlab-runner /opt/gitlab-runner/metadata /opt/gitlab-runner/builds /opt/gitlab-runner/cache`,
        `curl -fsSL -o ${FARGATE_DRIVER.path} ${q(FARGATE_DRIVER.url)}`,
        `chmod 0755 ${FARGATE_DRIVER.path}`,
        `sg="$(aws ec2 describe-security-groups --region "$REGION" --filters Name=group-name,Values=${q(n.tasksSecurityGroup)} Name=vpc-id,Values=${q(vmSpec(cluster).vpcId)} --query 'SecurityGroups[0].GroupId' --output text)"`,
        `sed -i "s/${SG_PLACEHOLDER}/$sg/" ${FARGATE_DRIVER.config}`,
      ],
    });
    return {
      files: [userData, { path: `ec2/${runner.name}/fargate.toml`, format: 'toml', content: fargateToml(fleet, cluster, runner) }],
      executorToml,
      manifests: [],
      terraformAws: merge(managerResources(fleet, cluster, runner, userData, managerStatements(fleet, runner), 1), taskResources(fleet, cluster, runner)),
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
    const must: [string, string, Record<string, string>][] = [
      ['ecs:RunTask', x.taskDefinitions.replace(/\*$/, '1'), { 'ecs:cluster': x.cluster }],
      ['ecs:StopTask', x.tasks.replace(/\*$/, '0123'), {}],
      ['iam:PassRole', x.taskRole, { 'iam:PassedToService': ECS_TASKS_SERVICE }],
    ];
    const mustNot: [string, string, Record<string, string>][] = [
      ['ecs:RunTask', x.taskDefinitions.replace(/\*$/, '1'), { 'ecs:cluster': otherCluster }],
      ['ecs:RunTask', otherFamily, { 'ecs:cluster': x.cluster }],
      ['ecs:StopTask', `${otherCluster.replace(':cluster/', ':task/')}/0123`, {}],
      ['iam:PassRole', otherRole, { 'iam:PassedToService': ECS_TASKS_SERVICE }],
      ['iam:PassRole', x.taskRole, { 'iam:PassedToService': 'ec2.amazonaws.com' }],
    ];
    const missing = must.filter(([act, res, ctx]) => !managerMay(docs, fleet, runner, act, res, ctx)).map(([act, res]) => `${act} on ${res}`);
    const leaks = mustNot.filter(([act, res, ctx]) => managerMay(docs, fleet, runner, act, res, ctx)).map(([act, res, ctx]) => `${act} on ${res} ${JSON.stringify(ctx)}`);
    if (missing.length > 0) findings.push({ code: 'RF106', severity: 'error', path: runnerPath, message: `the manager role cannot ${missing.join(', ')}`, fix: 'regenerate' });
    if (leaks.length > 0) findings.push({ code: 'RF714', severity: CODES.RF714.severity, path: runnerPath, message: `the manager role can also ${leaks.join('; ')}`, fix: 'scope ecs:RunTask to the cluster and family, ecs:StopTask to the cluster\'s tasks, iam:PassRole to the job roles for ecs-tasks.amazonaws.com' });
    const ssh = verifySshOnlyFromManager(docs, key(runner, 'tasks'), key(runner, 'manager'), runnerPath);
    findings.push(...ssh);
    return {
      findings,
      proofs: [
        { claim: `the manager runs tasks only of family ${names(runner).taskFamily} on cluster ${names(runner).ecsCluster} and passes only the job roles`, holds: missing.length === 0 && leaks.length === 0 },
        { claim: 'job tasks accept SSH from the manager only', holds: ssh.length === 0 },
      ],
    };
  },

  jobCredentials(_fleet, runner) {
    return [`Each job runs in its own Fargate task (\`${names(runner).taskFamily}\` on cluster \`${names(runner).ecsCluster}\`) and gets the **task role**, not the manager's instance role. The driver reaches the task over SSH (TCP 22 from the manager's security group only). The task's \`ci-coordinator\` container must run sshd and contain gitlab-runner; since jobs run in SSH sessions, its entrypoint must pass \`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI\` into them (for example through /etc/environment) for the task role to be visible.`];
  },

  extraSteps(fleet, runners) {
    return [
      {
        title: 'Push the job image.',
        lines: [
          'The Fargate driver ignores `image:` in `.gitlab-ci.yml`: every job runs in the task definition\'s `ci-coordinator` image, which must run sshd on port 22 (accepting the `SSH_PUBLIC_KEY` the driver injects) and contain gitlab-runner (and the AWS CLI for the smoke test):',
          '',
          '```sh',
          ...runners.flatMap((r) => {
            const x = arns(fleet, r);
            return [`aws ecr get-login-password --region ${fleet.aws!.region} | docker login --username AWS --password-stdin ${x.image.split('/')[0]!}`, `docker push ${x.image}:${fargateOf(r).imageTag}`];
          }),
          '```',
        ],
      },
    ];
  },
});
