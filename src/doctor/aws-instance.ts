import type { TerraformRoot } from '../emit/artifacts.js';
import { byName, setOwn } from '../emit/artifacts.js';
import type { Evidence } from './evidence.js';

/**
 * A runner manager on one EC2 instance (`aws_instance` with user data), the way many teams write it
 * by hand, read as the launch template the VM proofs look up: the same user data, instance profile,
 * metadata options, security groups, key pair and root volume, under the instance's own key. Messages
 * name it as written (`aws_instance.runner`), through the evidence's renamed map; the instance itself
 * leaves the root, so the checks every instance gets (IMDSv2, root volume, key pair) are made once.
 *
 * What differs is translated, not guessed: `user_data` is plain text on an instance (Terraform
 * encodes it) and base64 in a launch template; `user_data_base64` is base64 in both; an instance
 * names its profile as a string, a launch template in a block; an instance's `root_block_device` is
 * a launch template's block device mapping of the root device.
 */
export function instancesAsLaunchTemplates(ev: Evidence, root: TerraformRoot): void {
  const instances = root.resource.aws_instance;
  if (!instances) return;
  for (const k of Object.keys(instances)) {
    const body = instances[k]!;
    const userData = launchTemplateUserData(body);
    if (userData === undefined) continue;
    const templates = (root.resource.aws_launch_template ??= byName());
    let key = k;
    for (let i = 2; Object.hasOwn(templates, key); i++) key = `${k}_instance${i === 2 ? '' : i}`;
    const lt: Record<string, unknown> = { user_data: userData };
    for (const name of ['image_id', 'instance_type', 'metadata_options', 'vpc_security_group_ids', 'key_name', 'tags'] as const) {
      if (body[name] !== undefined) setOwn(lt, name, body[name]);
    }
    // `ami` on an instance, `image_id` on a launch template.
    if (body.ami !== undefined && lt.image_id === undefined) lt.image_id = body.ami;
    if (typeof body.iam_instance_profile === 'string') lt.iam_instance_profile = [{ name: body.iam_instance_profile }];
    const rootDevice = [body.root_block_device].flat()[0];
    lt.block_device_mappings = [{ device_name: '/dev/xvda', ebs: { ...(rootDevice !== null && typeof rootDevice === 'object' ? (rootDevice as Record<string, unknown>) : {}) } }];
    setOwn(templates, key, lt);
    const origin = ev.terraform.origins.get(`aws_instance.${k}`);
    if (origin) ev.terraform.origins.set(`aws_launch_template.${key}`, origin);
    (ev.terraform.renamed ??= new Map()).set(`aws_launch_template.${key}`, `aws_instance.${k}`);
    // Read once, as the launch template: the checks of every instance would say each thing twice.
    delete instances[k];
  }
}

/** The instance's user data as a launch template holds it (base64, or the form the evaluator writes for a partly known script). */
function launchTemplateUserData(body: Record<string, unknown>): string | undefined {
  if (typeof body.user_data_base64 === 'string') return body.user_data_base64;
  const text = body.user_data;
  if (typeof text !== 'string') return undefined;
  // A script with parts only apply knows keeps them as `${…}`; `base64encode("…")` of it is what
  // the user data reader takes for such a script (src/doctor/hcl/eval.ts writes it so).
  if (text.includes('${')) return `\${base64encode(${JSON.stringify(text)})}`;
  return Buffer.from(text, 'utf8').toString('base64');
}
