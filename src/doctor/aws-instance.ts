import type { TerraformRoot } from '../emit/artifacts.js';
import { byName, setOwn } from '../emit/artifacts.js';
import type { Evidence } from './evidence.js';
import { markOtherInstance, markSpotRequest } from '../platforms/aws-vm/common.js';
import { userDataFilePath } from '../platforms/aws-vm/user-data.js';
import { setupScript, type SetupStep } from './provisioners.js';
import { changeBody } from './key-index.js';

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
  // The instances nothing shows running gitlab-runner, marked only where another instance of the root
  // does: in a root where no instance names GitLab or a runner, none can be told from the runner, and
  // every instance keeps the instance rules (a runner's missing IMDSv2 is worth more than a NAT's finding).
  const others: object[] = [];
  let runners = 0;
  // Built the first time an instance's own words do not tell: most roots never need it.
  let index: Map<string, Set<string>> | undefined;
  const reached = () => (index ??= reachingRunnerWords(root));
  for (const type of INSTANCE_TYPES) {
    const instances = root.resource[type];
    if (instances) runners += asLaunchTemplates(ev, root, type, instances, others, reached);
  }
  if (runners > 0) for (const body of others) markOtherInstance(body);
  launchConfigurationsAsLaunchTemplates(ev, root);
}

/**
 * An Auto Scaling launch configuration (`aws_launch_configuration`), the launch template's
 * predecessor, read as a launch template in the same way as an instance: `user_data` plain text or
 * `user_data_base64`, `iam_instance_profile` the profile's name, `security_groups` the groups' ids
 * (or names), `metadata_options` and `root_block_device` as on an instance, `image_id` as on a
 * launch template (Terraform AWS provider, aws_launch_configuration). An Auto Scaling group that
 * names it (`launch_configuration = aws_launch_configuration.x.name`) names the launch template
 * instead. AWS no longer develops launch configurations (RF929 where one starts a runner manager).
 */
function launchConfigurationsAsLaunchTemplates(ev: Evidence, root: TerraformRoot): void {
  const configs = root.resource.aws_launch_configuration;
  if (!configs) return;
  const moved = new Map<string, string>();
  for (const k of Object.keys(configs)) {
    const body = configs[k]!;
    const lt = launchTemplateFrom(body, ['image_id', 'instance_type', 'metadata_options', 'key_name'], undefined, knownUserData(ev, `aws_launch_configuration.${k}`));
    if (!lt) continue;
    if (body.security_groups !== undefined) lt.vpc_security_group_ids = [body.security_groups].flat().map((g) => groupId(root, g));
    moved.set(k, addAsLaunchTemplate(ev, root, 'aws_launch_configuration', k, lt));
    delete configs[k];
  }
  if (moved.size === 0) return;
  for (const group of Object.values(root.resource.aws_autoscaling_group ?? {})) {
    const ref = typeof group.launch_configuration === 'string' ? /^\$\{aws_launch_configuration\.([A-Za-z0-9_-]+)\.(?:name|id)\}$/.exec(group.launch_configuration) : null;
    const key = ref ? moved.get(ref[1]!) : undefined;
    if (key === undefined || group.launch_template !== undefined) continue;
    group.launch_template = [{ id: `\${aws_launch_template.${key}.id}` }];
    delete group.launch_configuration;
  }
}

/**
 * Resources that start one manager instance from their own arguments. `aws_spot_instance_request`
 * takes the arguments of `aws_instance` (Terraform AWS provider docs: it "supports all the same
 * arguments as aws_instance"), but the RequestSpotInstances launch specification it sends carries
 * no metadata options, so its `metadata_options` never reach the instance (terraform-provider-aws
 * #15657, #25896, #35883): the AMI or the account's metadata defaults decide, as for no block.
 */
const INSTANCE_TYPES = ['aws_instance', 'aws_spot_instance_request'] as const;

/** The resources whose user data may run a runner manager, as RF910 names them: launch templates, and those read as one here. */
export const VM_MANAGER_RESOURCES = 'EC2 launch template, launch configuration, instance or spot instance request';

/** Words that name GitLab's runner: in a name, tag, AMI, user data or setup command. */
const RUNNER_WORDS = /gitlab|runner/i;

/**
 * A reference to a network resource (`${aws_subnet.gitlab_private.id}`, `${data.aws_vpc.gitlab.id}`):
 * the subnet, VPC, security group or route an instance sits in is shared by every instance of the
 * network (a NAT or bastion instance in the runners' subnet), so the words of its name say nothing of
 * what the instance runs.
 */
const NETWORK_REF = /\$\{(?:data\.)?aws_(?:default_)?(?:subnets?|vpcs?|security_groups?|network_interfaces?|route_tables?|route_table_association|nat_gateway|internet_gateway|egress_only_internet_gateway|eip|vpc_endpoint|network_acl)\.[A-Za-z0-9_-]+[^}]*\}/g;

/** A resource's JSON without its references to network resources (NETWORK_REF): the text whose words are evidence. */
const evidenceText = (value: unknown) => JSON.stringify(value).replace(NETWORK_REF, '');

/**
 * The arguments of an instance that place it in the network (Terraform AWS provider, aws_instance): what
 * they name, a network resource, a variable or a module's output (`var.gitlab_subnet_id`,
 * `module.gitlab_vpc.private_subnets[0]`), is the network's, not evidence of what the instance runs.
 */
const NETWORK_ARGS = new Set(['subnet_id', 'vpc_security_group_ids', 'security_groups', 'availability_zone', 'network_interface', 'private_ip', 'secondary_private_ips', 'ipv6_addresses', 'associate_public_ip_address']);

/** An instance's body without its network arguments (NETWORK_ARGS), as evidence text. */
const instanceEvidenceText = (body: Record<string, unknown>) => evidenceText(Object.fromEntries(Object.entries(body).filter(([k]) => !NETWORK_ARGS.has(k))));

/** A reference to an instance or spot request that a resource's text holds (`aws_instance.<key>.`). */
const INSTANCE_REF = /(aws_instance|aws_spot_instance_request)\.([A-Za-z0-9_-]+)\./g;

/**
 * The instances that another resource of the root reaches while naming GitLab or a runner (a
 * null_resource whose provisioner connects to the instance): for each `type.key`, the types of the
 * resources that do. Built once per root: each resource's text read once, not once per instance.
 */
function reachingRunnerWords(root: TerraformRoot): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [t, bodies] of Object.entries(root.resource)) {
    for (const other of Object.values(bodies)) {
      const text = evidenceText(other);
      if (!RUNNER_WORDS.test(text)) continue;
      for (const m of text.matchAll(INSTANCE_REF)) {
        const address = `${m[1]}.${m[2]}`;
        let types = out.get(address);
        if (types === undefined) out.set(address, (types = new Set()));
        types.add(t);
      }
    }
  }
  return out;
}

/**
 * Whether anything shows the instance running gitlab-runner: its name (the resource's, a tag's), its
 * AMI (a literal, or the aws_ami data source that finds it: its name and filters), its user data,
 * its provisioners, or another resource that reaches it (a null_resource's provisioner connected to
 * it) naming GitLab or a runner. References to network resources and the instance's network arguments
 * are no such evidence (NETWORK_REF, NETWORK_ARGS: `subnet_id = aws_subnet.gitlab_private.id` on a NAT
 * instance). An instance with none of these (a
 * NAT or bastion instance of the same root, ppawlowski/gitlab_runner_aws's NAT instance) is not a
 * runner's where another instance of the root is: the instance rules (IMDSv2, root volume, key pair)
 * are the runners' rules, not said of it (instancesAsLaunchTemplates). `reached`: reachingRunnerWords
 * of the root, built on first call.
 */
function runsRunner(root: TerraformRoot, type: string, k: string, body: Record<string, unknown>, lt: Record<string, unknown> | undefined, steps: readonly SetupStep[] | undefined, reached: () => ReadonlyMap<string, ReadonlySet<string>>): boolean {
  if (RUNNER_WORDS.test(k) || RUNNER_WORDS.test(instanceEvidenceText(body)) || (lt !== undefined && RUNNER_WORDS.test(JSON.stringify(lt.user_data ?? ''))) || (steps !== undefined && RUNNER_WORDS.test(JSON.stringify(steps)))) return true;
  const ami = typeof body.ami === 'string' ? /^\$\{data\.aws_ami\.([A-Za-z0-9_-]+)\./.exec(body.ami)?.[1] : undefined;
  if (ami !== undefined && RUNNER_WORDS.test(JSON.stringify(root.data?.aws_ami?.[ami] ?? {}))) return true;
  // Another resource that names the instance and GitLab's runner (a provisioner run on it from a null_resource).
  const types = reached().get(`${type}.${k}`);
  return types !== undefined && [...types].some((t) => t !== type);
}

/** Reads each instance of `type` as a launch template; adds to `others` those nothing shows running gitlab-runner (runsRunner) and returns how many do. */
function asLaunchTemplates(ev: Evidence, root: TerraformRoot, type: (typeof INSTANCE_TYPES)[number], instances: Record<string, Record<string, unknown>>, others: object[], reached: () => ReadonlyMap<string, ReadonlySet<string>>): number {
  let runners = 0;
  for (const k of Object.keys(instances)) {
    const body = instances[k]!;
    // A spot request's metadata_options never reach the instance: not copied.
    // Its creation-time provisioners set it up after its user data: one setup script (provisioners.ts).
    const steps = ev.terraform.provisioners?.get(`${type}.${k}`);
    const lt = launchTemplateFrom(body, type === 'aws_spot_instance_request' ? ['image_id', 'instance_type', 'key_name', 'tags'] : ['image_id', 'instance_type', 'metadata_options', 'key_name', 'tags'], steps, knownUserData(ev, `${type}.${k}`));
    if (runsRunner(root, type, k, body, lt, steps, reached)) runners++;
    else others.push(lt ?? body);
    if (!lt) continue;
    // Said where IMDSv2 is checked (RF711): the options written are not what the instance gets.
    if (type === 'aws_spot_instance_request') markSpotRequest(lt);
    const groups = instanceSecurityGroups(root, body);
    if (groups !== undefined) lt.vpc_security_group_ids = groups;
    // `ami` on an instance, `image_id` on a launch template.
    if (body.ami !== undefined && lt.image_id === undefined) lt.image_id = body.ami;
    addAsLaunchTemplate(ev, root, type, k, lt);
    // Read once, as the launch template: the checks of every instance would say each thing twice.
    delete instances[k];
  }
  return runners;
}

/** The launch template a resource with user data stands for (its user data and the arguments named), or undefined without user data. */
function launchTemplateFrom(body: Record<string, unknown>, copied: readonly string[], steps: readonly SetupStep[] | undefined, known: boolean): Record<string, unknown> | undefined {
  const userData = withSetup(body, launchTemplateUserData(body, known), steps, known);
  if (userData === undefined) return undefined;
  const lt: Record<string, unknown> = { user_data: userData };
  for (const name of copied) if (body[name] !== undefined) setOwn(lt, name, body[name]);
  // The profile by name (a launch template names it in a block); the root volume as the root device's mapping.
  if (typeof body.iam_instance_profile === 'string') lt.iam_instance_profile = [{ name: body.iam_instance_profile }];
  const rootDevice = [body.root_block_device].flat()[0];
  lt.block_device_mappings = [{ device_name: '/dev/xvda', ebs: { ...(rootDevice !== null && typeof rootDevice === 'object' ? (rootDevice as Record<string, unknown>) : {}) } }];
  return lt;
}

/**
 * Adds `lt` as the launch template `type.k` is read as, under a key of its own (`k`, else `k_<kind>`,
 * `k_<kind>3`, …), at the resource's place and named as written (the evidence's renamed map); returns the key.
 */
function addAsLaunchTemplate(ev: Evidence, root: TerraformRoot, type: string, k: string, lt: Record<string, unknown>): string {
  const templates = (root.resource.aws_launch_template ??= byName());
  const kind = type === 'aws_launch_configuration' ? 'launch_configuration' : 'instance';
  let key = k;
  for (let i = 2; Object.hasOwn(templates, key); i++) key = `${k}_${kind}${i === 2 ? '' : i}`;
  // A resource added while the doctor reads: the indexes over the map take it in (key-index.ts).
  changeBody(templates, key, () => setOwn(templates, key, lt));
  const origin = ev.terraform.origins.get(`${type}.${k}`);
  if (origin) ev.terraform.origins.set(`aws_launch_template.${key}`, origin);
  (ev.terraform.renamed ??= new Map()).set(`aws_launch_template.${key}`, `${type}.${k}`);
  return key;
}

/**
 * The security groups of an instance, as a launch template's `vpc_security_group_ids` holds them
 * (group ids, or references to a group's id). An instance names them in one of three ways
 * (Terraform AWS provider, aws_instance): `vpc_security_group_ids`; `security_groups`, names or
 * ids (names for EC2-Classic and the default VPC; the docs say to use vpc_security_group_ids in a
 * VPC, but ids are accepted there); or none, when its `network_interface` blocks attach network
 * interfaces, whose own `security_groups` (an aws_network_interface) then are the instance's: the
 * primary one, device_index 0. A group or interface not in the documents stays as written, so the
 * proofs find no group for it, as for a launch template naming one.
 */
function instanceSecurityGroups(root: TerraformRoot, body: Record<string, unknown>): unknown[] | undefined {
  if (body.vpc_security_group_ids !== undefined) return [body.vpc_security_group_ids].flat();
  if (body.security_groups !== undefined) return [body.security_groups].flat().map((g) => groupId(root, g));
  const interfaces = [body.network_interface].flat().filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object');
  const primary = interfaces.find((n) => Number(n.device_index) === 0) ?? interfaces[0];
  if (!primary) return undefined;
  const ref = typeof primary.network_interface_id === 'string' ? /^\$\{aws_network_interface\.([A-Za-z0-9_-]+)\.id\}$/.exec(primary.network_interface_id) : null;
  const eni = ref && Object.hasOwn(root.resource.aws_network_interface ?? {}, ref[1]!) ? root.resource.aws_network_interface![ref[1]!]! : undefined;
  // An interface not in the documents: its groups are not shown (the proofs find no group).
  if (!eni) return [String(primary.network_interface_id)];
  return [eni.security_groups ?? []].flat().map((g) => groupId(root, g));
}

/** A security group as an id or a reference to its id: a group of the documents named by its name (or a reference to it) becomes that. */
function groupId(root: TerraformRoot, g: unknown): unknown {
  if (typeof g !== 'string') return g;
  const ref = /^\$\{aws_security_group\.([A-Za-z0-9_-]+)\.(?:name|id)\}$/.exec(g);
  if (ref) return `\${aws_security_group.${ref[1]!}.id}`;
  if (/^sg-[0-9a-f]+$/.test(g)) return g;
  const byName = Object.entries(root.resource.aws_security_group ?? {}).find(([, b]) => b.name === g)?.[0];
  return byName !== undefined ? `\${aws_security_group.${byName}.id}` : g;
}

/**
 * The user data of an instance followed by the setup its provisioners run (provisioners.ts), as a
 * launch template holds it; the user data alone where no provisioner writes a file or runs a line,
 * or where the user data is not plain text the steps can follow (a file the launch template names,
 * base64 the doctor does not decode here).
 */
function withSetup(body: Record<string, unknown>, userData: string | undefined, steps: readonly SetupStep[] | undefined, known: boolean): string | undefined {
  if (!steps || !steps.some((s) => s.text !== undefined)) return userData;
  if (userData === undefined) return setupScript(undefined, steps);
  const text = typeof body.user_data === 'string' ? body.user_data : undefined;
  if (text === undefined || userDataFilePath(text, '') !== undefined) return userData;
  return setupScript({ text, partial: !known && text.includes('${') }, steps);
}

/**
 * Whether the evaluator knew the whole `user_data` of `address`: then a `${` in it is the script's
 * own (`$${HOME}` in the heredoc, a shell expansion), not a part only apply knows, which the
 * evaluator records among the root's unknowns (hcl/read.ts) and writes as `${…}`.
 */
function knownUserData(ev: Evidence, address: string): boolean {
  return !ev.terraform.unknowns.has(`${address}.user_data`);
}

/**
 * The instance's (or launch configuration's) user data as a launch template holds it (base64, or the
 * form the evaluator writes for a partly known script). `known`: the evaluator knew all of it, so a
 * `${` in it is the script's own text; otherwise (the default, for callers without the evaluator's
 * record) a `${` is taken for a part only apply knows.
 */
export function launchTemplateUserData(body: Record<string, unknown>, known = false): string | undefined {
  if (typeof body.user_data_base64 === 'string') return body.user_data_base64;
  const text = body.user_data;
  if (typeof text !== 'string') return undefined;
  // A script with parts only apply knows keeps them as `${…}`; `base64encode("…")` of it is what
  // the user data reader takes for such a script (src/doctor/hcl/eval.ts writes it so).
  if (!known && text.includes('${')) return `\${base64encode(${JSON.stringify(text)})}`;
  return Buffer.from(text, 'utf8').toString('base64');
}
