import type { ComputeDoctorReader } from '../../doctor/vm.js';
import { resolveKey, vmKey } from '../../doctor/vm.js';
import { instanceProfileOf } from '../aws-vm/common.js';
import { get } from '../../verify/get.js';
import { firstKeyWhere } from '../../doctor/key-index.js';
import { profileShown, workerTakeOverWords } from './profile.js';

/** The worker group the fleeting plugin scales: `[runners.autoscaler.plugin_config] name`. */
function workerGroup(toml: Record<string, unknown>): string | undefined {
  const v = get(toml, 'runners', 0, 'autoscaler', 'plugin_config', 'name');
  return typeof v === 'string' && v !== '' ? v : undefined;
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
