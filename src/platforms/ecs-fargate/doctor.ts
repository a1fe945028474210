import { parse as parseToml } from 'smol-toml';
import type { ComputeDoctorReader, VmManagerEvidence } from '../../doctor/vm.js';
import { resolveKey, vmKey } from '../../doctor/vm.js';
import { heredoc } from '../aws-vm/script-files.js';
import type { TerraformRoot } from '../../emit/artifacts.js';
import { get } from '../../verify/get.js';
import { firstKeyWhere } from '../../doctor/key-index.js';
import { ECS_TASKS_SERVICE } from '../aws-vm/common.js';

/** fargate.toml as last read, per manager and user data: names, jobs and keys each ask for it. */
const fargateTomls = new WeakMap<VmManagerEvidence, { userData: string; toml: Record<string, unknown> | undefined }>();

/** The Fargate driver's own config (fargate.toml), written by the user data next to config.toml. */
function fargateToml(m: VmManagerEvidence): Record<string, unknown> | undefined {
  const seen = fargateTomls.get(m);
  if (seen !== undefined && seen.userData === m.userData) return seen.toml;
  const text = heredoc(m.userData, 'fargate.toml');
  let toml: Record<string, unknown> | undefined;
  try {
    toml = text === undefined ? undefined : parseToml(text);
  } catch {
    toml = undefined;
  }
  fargateTomls.set(m, { userData: m.userData, toml });
  return toml;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The task definition jobs run in: fargate.toml `TaskDefinition` (family[:revision]). */
function taskKey(m: VmManagerEvidence, root: TerraformRoot): string | undefined {
  const family = str(get(fargateToml(m), 'Fargate', 'TaskDefinition'))?.replace(/:\d+$/, '').split('/').pop();
  const defs = root.resource.aws_ecs_task_definition;
  if (family) return firstKeyWhere(defs, 'family', family);
  const keys = Object.keys(defs ?? {});
  return keys.length === 1 ? keys[0] : undefined;
}

function containerImages(body: Record<string, unknown> | undefined): string[] {
  try {
    const defs = JSON.parse(typeof body?.container_definitions === 'string' ? body.container_definitions : '[]') as { image?: unknown }[];
    return defs.map((d) => String(d.image));
  } catch {
    return [];
  }
}

/** ecs-fargate read back: every job runs in a task of the family fargate.toml names, with that task definition's task role. */
export const ecsFargateDoctor: ComputeDoctorReader = {
  executors: ['custom'],
  names(m, root) {
    const out: Record<string, string> = {};
    const cluster = str(get(fargateToml(m), 'Fargate', 'Cluster'));
    if (cluster) out.ecsCluster = cluster.split('/').pop()!;
    const k = taskKey(m, root);
    const task = k ? root.resource.aws_ecs_task_definition?.[k] : undefined;
    if (task && typeof task.family === 'string') out.taskFamily = task.family;
    const image = containerImages(task)[0];
    const repo = image ? /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image)?.[1] : undefined;
    if (repo) out.ecrRepository = repo;
    // The image as the task definition names it: the job-image proofs check that one, never a repository it does not name.
    if (image !== undefined) out.jobImage = image;
    const exec = task ? resolveKey(root, 'aws_iam_role', task.execution_role_arn) : undefined;
    if (exec) out.executionRole = String(root.resource.aws_iam_role![exec]!.name);
    return out;
  },
  jobs(m, root) {
    const k = taskKey(m, root);
    const task = k ? root.resource.aws_ecs_task_definition?.[k] : undefined;
    const role = task ? resolveKey(root, 'aws_iam_role', task.task_role_arn) : undefined;
    if (!task || !role) return undefined;
    return { roleKey: role, attachment: 'task-definition', service: ECS_TASKS_SERVICE, name: String(task.family), mechanism: 'task-role' };
  },
  keys(m, root) {
    const k = taskKey(m, root);
    const out = k ? [{ type: 'aws_ecs_task_definition', from: k, to: vmKey(m.runner, 'jobs') }] : [];
    const task = k ? root.resource.aws_ecs_task_definition?.[k] : undefined;
    // The tasks' security group: the one fargate.toml names (`${aws_security_group.x.id}` in a hand-written
    // template), else runner-fleet's own key (its fargate.toml holds a placeholder the user data fills).
    const named = str(get(fargateToml(m), 'Fargate', 'SecurityGroup'));
    // runner-fleet's user data fills that placeholder with the group it looks up by name
    // (`aws ec2 describe-security-groups --filters Name=group-name,Values='<name>'`): the group of that
    // name, which is the one of this manager's own root where several roots declare one key.
    const lookedUp = /Name=group-name,Values='?([A-Za-z0-9._ -]+?)'?\s/.exec(m.userData)?.[1];
    const sg =
      (named === undefined ? undefined : resolveKey(root, 'aws_security_group', named)) ??
      (lookedUp === undefined ? undefined : firstKeyWhere(root.resource.aws_security_group, 'name', lookedUp)) ??
      (Object.hasOwn(root.resource.aws_security_group ?? {}, vmKey(m.runner, 'tasks')) ? vmKey(m.runner, 'tasks') : undefined);
    void task;
    if (sg) out.push({ type: 'aws_security_group', from: sg, to: vmKey(m.runner, 'tasks') });
    return out;
  },
};
