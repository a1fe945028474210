import type { ComputeDoctorReader } from '../../doctor/vm.js';
import { resolveKey, vmKey } from '../../doctor/vm.js';
import { instanceProfileOf } from '../aws-vm/common.js';
import { get } from '../../verify/get.js';
import { firstKeyWhere } from '../../doctor/key-index.js';

/** The worker group the fleeting plugin scales: `[runners.autoscaler.plugin_config] name`. */
function workerGroup(toml: Record<string, unknown>): string | undefined {
  const v = get(toml, 'runners', 0, 'autoscaler', 'plugin_config', 'name');
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * A literal instance profile ARN (`arn:aws:iam::111122223333:instance-profile/path/name`), its account
 * (where written) and the profile's name: the ARN's last part, IAM's path before it.
 */
export function instanceProfileArn(v: string): { account?: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12})?:instance-profile\/(?:[^\s${}]*\/)?([\w+=,.@-]+)$/.exec(v);
  return m === null ? undefined : { ...(m[1] !== undefined ? { account: m[1] } : {}), name: m[2]! };
}

/**
 * An instance profile as a message names it: a literal ARN by the profile's name, with its account
 * where the ARN writes one that is not `account` (the root's, where known); anything else as written.
 */
export function profileShown(profile: string, account?: string): string {
  const arn = instanceProfileArn(profile);
  if (arn === undefined) return profile;
  return arn.account !== undefined && arn.account !== account ? `${arn.name} in account ${arn.account}` : arn.name;
}

/** What a job that leaves its container takes over: its worker, with the jobs beside and after it, and the role of the worker's instance profile `shown`, where it has one. */
export function workerTakeOverWords(shown: string | undefined): string {
  return `the worker instance: the jobs it runs at the same time (capacity_per_instance) and the ones after it (max_use_count)${shown !== undefined ? `, and the role of the worker instance profile ${shown}` : ''}`;
}

/** ec2-autoscaler read back: jobs run on workers of the group the fleeting plugin names; workers carry no instance profile. */
export const ec2AutoscalerDoctor: ComputeDoctorReader = {
  executors: ['docker-autoscaler'],
  names(m): Record<string, string> {
    const group = workerGroup(m.toml);
    return group ? { workerGroup: group } : {};
  },
  jobs: () => undefined,
  keys(m, root) {
    const group = workerGroup(m.toml);
    const asgKey = group ? firstKeyWhere(root.resource.aws_autoscaling_group, 'name', group) : undefined;
    const asg = asgKey !== undefined ? ([asgKey, root.resource.aws_autoscaling_group![asgKey]!] as const) : undefined;
    if (!asg) return [];
    const lt = resolveKey(root, 'aws_launch_template', get(asg[1], 'launch_template', 'id') ?? get(asg[1], 'launch_template', 'name'), 'name') ?? resolveKey(root, 'aws_launch_template', get(asg[1], 'mixed_instances_policy', 'launch_template', 'launch_template_specification', 'launch_template_id'));
    const out = [{ type: 'aws_autoscaling_group', from: asg[0], to: vmKey(m.runner, 'workers') }];
    if (lt) {
      out.push({ type: 'aws_launch_template', from: lt, to: vmKey(m.runner, 'workers') });
      const sg = resolveKey(root, 'aws_security_group', [get(root.resource.aws_launch_template?.[lt], 'vpc_security_group_ids')].flat()[0]);
      if (sg) out.push({ type: 'aws_security_group', from: sg, to: vmKey(m.runner, 'workers') });
    }
    return out;
  },
  // Jobs run on the workers: what they take over is the worker's whatever the manager's identity.
  hostTakeOver(m, root, _role, account) {
    const lt = this.keys!(m, root).find((k) => k.type === 'aws_launch_template')?.from;
    const profile = lt !== undefined ? instanceProfileOf(root.resource.aws_launch_template?.[lt]) : undefined;
    const name = profile !== undefined ? root.resource.aws_iam_instance_profile?.[resolveKey(root, 'aws_iam_instance_profile', profile) ?? '']?.name : undefined;
    const words = workerTakeOverWords(profile === undefined ? undefined : typeof name === 'string' ? name : profileShown(profile, account));
    return { privileged: words, fromHost: `from the host a job takes over ${words}` };
  },
};
