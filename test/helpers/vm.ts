import type { EmittedFleet } from '../../src/emit/types.js';
import type { PolicyDocument, Statement } from '../../src/verify/iam/types.js';

/**
 * Examples whose AWS roots hold VM compute (launch templates, Auto Scaling groups, ECS, EKS
 * clusters and node groups runner-fleet creates: all of them need the user's subnets). They are
 * applied against moto_server by vm-terraform.test.ts, one emulator each, with a VPC, subnets and
 * an AMI created there first; conformance-terraform.test.ts validates them with the others.
 */
export const VM_TERRAFORM_EXAMPLES = ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm', 'id-tokens-vm', 'eks-create-eksctl', 'eks-create-access-entries'];

export type Spec = Record<string, any>;

export const VM_SPEC_CASES: { name: string; base: string; mutate: (s: Spec) => void; code: string; path: string }[] = [
  { name: 'VPC id of the wrong shape', base: 'ec2-docker', mutate: (s) => (s.clusters[0].vpcId = 'vpc-123'), code: 'RF007', path: 'clusters[0].vpcId' },
  { name: 'a subnet id of the wrong shape', base: 'ec2-docker', mutate: (s) => (s.clusters[0].subnetIds[1] = 'subnet-XYZ'), code: 'RF007', path: 'clusters[0].subnetIds[1]' },
  { name: 'no subnets', base: 'ecs-fargate', mutate: (s) => (s.clusters[0].subnetIds = []), code: 'RF002', path: 'clusters[0].subnetIds' },
  { name: 'an AMI id of the wrong shape', base: 'ec2-docker', mutate: (s) => (s.clusters[0].imageId = 'ubuntu-24.04'), code: 'RF007', path: 'clusters[0].imageId' },
  { name: 'a worker AMI is missing', base: 'ec2-autoscaler', mutate: (s) => delete s.clusters[0].workerImageId, code: 'RF004', path: 'clusters[0].workerImageId' },
  { name: 'a misspelt cluster key', base: 'ec2-docker', mutate: (s) => ((s.clusters[0].subnets = s.clusters[0].subnetIds), delete s.clusters[0].subnetIds), code: 'RF003', path: 'clusters[0].subnets' },
  { name: 'capacity per instance 0', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].autoscaler.capacityPerInstance = 0), code: 'RF002', path: 'runners[0].autoscaler.capacityPerInstance' },
  { name: 'max instances 0', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].autoscaler.maxInstances = 0), code: 'RF002', path: 'runners[0].autoscaler.maxInstances' },
  { name: 'spot without instance types', base: 'ec2-autoscaler', mutate: (s) => delete s.runners[0].autoscaler.instanceTypes, code: 'RF702', path: 'runners[0].autoscaler.instanceTypes' },
  { name: 'more idle slots than the group holds', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].autoscaler.idleCount = 11), code: 'RF702', path: 'runners[0].autoscaler.idleCount' },
  { name: 'a namespace on a VM runner', base: 'ec2-docker', mutate: (s) => (s.runners[0].placement.namespace = 'ci'), code: 'RF701', path: 'runners[0].placement.namespace' },
  { name: 'Kubernetes job resources on a VM runner', base: 'ec2-docker', mutate: (s) => (s.runners[0].jobs.resources = { cpu: '1', memory: '1Gi' }), code: 'RF701', path: 'runners[0].jobs.resources' },
  { name: 'a node selector on a VM runner', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].jobs = { ...(s.runners[0].jobs ?? {}), nodeSelector: { pool: 'ci' } }), code: 'RF701', path: 'runners[0].jobs.nodeSelector' },
  { name: 'concurrent on an autoscaler runner (it is max instances x capacity)', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].concurrent = 50), code: 'RF701', path: 'runners[0].concurrent' },
  { name: 'a job image on Fargate (the task definition decides)', base: 'ecs-fargate', mutate: (s) => (s.runners[0].jobs.image = 'node:24'), code: 'RF701', path: 'runners[0].jobs.image' },
  { name: 'autoscaler settings on an ec2-docker runner', base: 'ec2-docker', mutate: (s) => (s.runners[0].autoscaler = { maxInstances: 2 }), code: 'RF701', path: 'runners[0].autoscaler' },
  { name: 'fargate settings on an EKS runner', base: 'eks-irsa', mutate: (s) => (s.runners[0].fargate = { cpu: 512 }), code: 'RF701', path: 'runners[0].fargate' },
  { name: 'instance settings on an EKS runner', base: 'eks-irsa', mutate: (s) => (s.runners[0].instance = {}), code: 'RF701', path: 'runners[0].instance' },
  { name: 'jobsReachInstanceCredentials on Fargate', base: 'ecs-fargate', mutate: (s) => (s.runners[0].instance = { jobsReachInstanceCredentials: true }), code: 'RF701', path: 'runners[0].instance.jobsReachInstanceCredentials' },
  { name: 'job permissions where jobs have no identity', base: 'ec2-docker', mutate: (s) => (s.runners[0].jobs.permissions = { aws: [{ actions: ['s3:GetObject'], resources: ['*'] }] }), code: 'RF702', path: 'runners[0].jobs.permissions.aws' },
  { name: 'privileged Fargate jobs', base: 'ecs-fargate', mutate: (s) => (s.runners[0].jobs.privileged = true), code: 'RF702', path: 'runners[0].jobs.privileged' },
  { name: 'a Fargate CPU size that does not exist', base: 'ecs-fargate', mutate: (s) => (s.runners[0].fargate.cpu = 300), code: 'RF002', path: 'runners[0].fargate.cpu' },
  { name: 'a Fargate runner without a pinned driver', base: 'ecs-fargate', mutate: (s) => delete s.runners[0].fargate.driver, code: 'RF004', path: 'runners[0].fargate.driver' },
  { name: 'a Fargate driver checksum that is not a SHA-256', base: 'ecs-fargate', mutate: (s) => (s.runners[0].fargate.driver.sha256 = 'abc'), code: 'RF007', path: 'runners[0].fargate.driver.sha256' },
  { name: 'a Fargate driver from the latest channel', base: 'ecs-fargate', mutate: (s) => (s.runners[0].fargate.driver.version = 'latest'), code: 'RF007', path: 'runners[0].fargate.driver.version' },
  { name: 'a Fargate runner without a fargate section: one finding where it is missing', base: 'ecs-fargate', mutate: (s) => delete s.runners[0].fargate, code: 'RF004', path: 'runners[0].fargate' },
  { name: 'a Fargate runner without a pinned job image', base: 'ecs-fargate', mutate: (s) => delete s.runners[0].fargate.imageTag, code: 'RF004', path: 'runners[0].fargate.imageTag' },
  { name: 'a Fargate job image tagged latest', base: 'ecs-fargate', mutate: (s) => (s.runners[0].fargate.imageTag = 'latest'), code: 'RF007', path: 'runners[0].fargate.imageTag' },
  { name: 'a Fargate job image with both a tag and a digest', base: 'mixed-eks-vm', mutate: (s) => (s.runners[2].fargate.imageTag = '1.0'), code: 'RF010', path: 'runners[2].fargate.imageDigest' },
  { name: 'a token KMS key that is not a key ARN', base: 'ec2-docker', mutate: (s) => (s.clusters[0].tokenKmsKeyArn = 'alias/runner-tokens'), code: 'RF007', path: 'clusters[0].tokenKmsKeyArn' },
  { name: 'a VM cluster without the aws section', base: 'ec2-docker', mutate: (s) => (delete s.aws, (s.caches = []), delete s.runners[0].cache), code: 'RF004', path: 'aws' },
];


type Res = Record<string, Record<string, Record<string, unknown>>>;

export const res = (d: EmittedFleet): Res => d.terraformAws!.resource;

function editPolicy(d: EmittedFleet, key: string, edit: (statements: Statement[]) => void): void {
  const body = res(d).aws_iam_role_policy![key]!;
  const doc = JSON.parse(String(body.policy)) as PolicyDocument;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  edit(statements);
  body.policy = JSON.stringify({ ...doc, Statement: statements });
}

function editTrust(d: EmittedFleet, key: string, edit: (doc: PolicyDocument) => void): void {
  const body = res(d).aws_iam_role![key]!;
  const doc = JSON.parse(String(body.assume_role_policy)) as PolicyDocument;
  edit(doc);
  body.assume_role_policy = JSON.stringify(doc);
}

/** Rewrites the user data both where it boots (launch template) and where it is reviewed (the file). */
function editUserData(d: EmittedFleet, runner: string, edit: (text: string) => string): void {
  const lt = res(d).aws_launch_template![`${runner}_manager`]!;
  const text = edit(Buffer.from(String(lt.user_data), 'base64').toString('utf8'));
  lt.user_data = Buffer.from(text, 'utf8').toString('base64');
  userData(d, runner).content = text;
}

/** The `[runners.docker]` table of a runner's config.toml (the proofs read it; the user data is left as it is). */
const dockerOf = (d: EmittedFleet, runner: string) => ((d.runners.get(runner)!.configToml.runners as Record<string, unknown>[])[0]!.docker as Record<string, unknown>);

const sid = (statements: Statement[], id: string) => statements.find((s) => s.Sid === id)!;
export const userData = (d: EmittedFleet, runner: string) => d.artifacts.find((a) => a.path === `ec2/${runner}/user-data.sh`)!;

export const VM_DOC_CASES: { rule: string; example: string; code: string; mutate: (d: EmittedFleet) => void }[] = [
  { rule: 'an ingress rule from 0.0.0.0/0', example: 'ec2-docker', code: 'RF710', mutate: (d) => (res(d).aws_vpc_security_group_ingress_rule = { open: { security_group_id: '${aws_security_group.docker_manager.id}', ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '0.0.0.0/0' } }) },
  { rule: 'an inline ingress block from ::/0', example: 'ec2-docker', code: 'RF710', mutate: (d) => (res(d).aws_security_group!.docker_manager!.ingress = [{ from_port: 22, to_port: 22, protocol: 'tcp', ipv6_cidr_blocks: ['::/0'] }]) },
  { rule: 'an aws_security_group_rule from 0.0.0.0/0', example: 'ec2-autoscaler', code: 'RF710', mutate: (d) => (res(d).aws_security_group_rule = { open: { type: 'ingress', security_group_id: 'sg-1', from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'] } }) },
  { rule: 'IMDSv1 allowed', example: 'ec2-docker', code: 'RF711', mutate: (d) => ((res(d).aws_launch_template!.docker_manager!.metadata_options as Record<string, unknown>).http_tokens = 'optional') },
  { rule: 'IMDSv1 allowed on the workers', example: 'ec2-autoscaler', code: 'RF711', mutate: (d) => delete res(d).aws_launch_template!.autoscale_workers!.metadata_options },
  { rule: 'an unencrypted root volume', example: 'ecs-fargate', code: 'RF715', mutate: (d) => (((res(d).aws_launch_template!.fargate_manager!.block_device_mappings as Record<string, Record<string, unknown>>[])[0]!.ebs!).encrypted = 'false') },
  { rule: 'a key pair on the manager', example: 'ec2-docker', code: 'RF716', mutate: (d) => (res(d).aws_launch_template!.docker_manager!.key_name = 'ops') },
  { rule: 'worker SSH open to a CIDR', example: 'ec2-autoscaler', code: 'RF716', mutate: (d) => (res(d).aws_vpc_security_group_ingress_rule!.autoscale_workers!.cidr_ipv4 = '10.0.0.0/8') },
  { rule: 'task SSH on another port', example: 'ecs-fargate', code: 'RF716', mutate: (d) => (res(d).aws_vpc_security_group_ingress_rule!.fargate_tasks!.to_port = 2222) },
  { rule: 'a runner token in the user data', example: 'ec2-docker', code: 'RF712', mutate: (d) => { const lt = res(d).aws_launch_template!.docker_manager!; lt.user_data = Buffer.from(`${Buffer.from(String(lt.user_data), 'base64').toString('utf8')}echo glrt-abcdefghijklmnopqrst\n`).toString('base64'); } },
  { rule: 'booted user data that differs from the reviewed file', example: 'ecs-fargate', code: 'RF106', mutate: (d) => { const a = userData(d, 'fargate'); a.content = `${String(a.content)}\necho extra\n`; } },
  // Issue 7e: one scan for any shape first, then the shapes; each shape still found (keys as well as tokens).
  { rule: 'an AWS access key id in the user data', example: 'ec2-autoscaler', code: 'RF712', mutate: (d) => { const lt = res(d).aws_launch_template!.autoscale_manager!; lt.user_data = Buffer.from(`${Buffer.from(String(lt.user_data), 'base64').toString('utf8')}export KEY=AKIAQ7W3E9R2T5Y8U1I4\n`).toString('base64'); } },
  // Issue 25c: a key with no shape of its own, known by the name it is assigned to (the doctor's line rules).
  { rule: 'a secret key exported in the user data (KEY=value)', example: 'ec2-docker', code: 'RF712', mutate: (d) => { const lt = res(d).aws_launch_template!.docker_manager!; lt.user_data = Buffer.from(`${Buffer.from(String(lt.user_data), 'base64').toString('utf8')}export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5\n`).toString('base64'); } },
  { rule: 'a cache SecretKey in the config.toml of the user data', example: 'ec2-autoscaler', code: 'RF712', mutate: (d) => { const lt = res(d).aws_launch_template!.autoscale_manager!; lt.user_data = Buffer.from(`${Buffer.from(String(lt.user_data), 'base64').toString('utf8')}cat >> /etc/gitlab-runner/extra.toml <<'E'\n  SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5"\nE\n`).toString('base64'); } },
  { rule: 'a private key in the user data', example: 'ec2-docker', code: 'RF712', mutate: (d) => { const lt = res(d).aws_launch_template!.docker_manager!; lt.user_data = Buffer.from(`${Buffer.from(String(lt.user_data), 'base64').toString('utf8')}cat > k <<'E'\n-----BEGIN RSA PRIVATE KEY-----\nE\n`).toString('base64'); } },
  { rule: 'a token parameter with a real value', example: 'ec2-docker', code: 'RF712', mutate: (d) => (res(d).aws_ssm_parameter!.docker_runner_token!.value = 'not-the-placeholder') },
  { rule: 'a token parameter Terraform would overwrite', example: 'ec2-autoscaler', code: 'RF712', mutate: (d) => delete res(d).aws_ssm_parameter!.autoscale_runner_token!.lifecycle },
  { rule: 'an output exposing the token parameter', example: 'ecs-fargate', code: 'RF712', mutate: (d) => (d.terraformAws!.output = { ...d.terraformAws!.output, token: { value: '${aws_ssm_parameter.fargate_runner_token.value}', sensitive: true } }) },
  { rule: "the manager may read other runners' token parameters", example: 'ec2-docker', code: 'RF712', mutate: (d) => editPolicy(d, 'docker_manager_platform', (s) => s.splice(s.indexOf(sid(s, 'NoOtherParameters')), 1)) },
  { rule: 'user data that cannot be read', example: 'ec2-docker', code: 'RF106', mutate: (d) => (res(d).aws_launch_template!.docker_manager!.user_data = '${base64encode(var.script)}') },
  { rule: 'user data that writes another config.toml', example: 'ec2-autoscaler', code: 'RF106', mutate: (d) => (d.runners.get('autoscale')!.configToml = { ...d.runners.get('autoscale')!.configToml, concurrent: 99 }) },
  { rule: 'the instance profile carrying another role', example: 'ec2-docker', code: 'RF104', mutate: (d) => (res(d).aws_iam_instance_profile!.docker_manager!.role = 'some-other-role') },
  // Issue 8b: job containers that reach the host (the IMDS hop limit no longer separates them).
  { rule: 'job containers on the host network', example: 'ec2-docker', code: 'RF309', mutate: (d) => (dockerOf(d, 'docker').network_mode = 'host') },
  { rule: 'the Docker socket mounted into worker jobs', example: 'ec2-autoscaler', code: 'RF309', mutate: (d) => (dockerOf(d, 'autoscale').volumes = ['/cache', '/var/run/docker.sock:/var/run/docker.sock:ro']) },
  { rule: 'a config.toml file that differs from the one the user data writes', example: 'ec2-docker', code: 'RF106', mutate: (d) => { const a = d.artifacts.find((x) => x.path === 'runners/docker/config.toml')!; a.content = { ...(a.content as Record<string, unknown>), concurrent: 99 }; } },
  { rule: 'workers carrying the manager instance profile', example: 'ec2-autoscaler', code: 'RF713', mutate: (d) => (res(d).aws_launch_template!.autoscale_workers!.iam_instance_profile = { name: '${aws_iam_instance_profile.autoscale_manager.name}' }) },
  { rule: 'the workers launch template missing', example: 'ec2-autoscaler', code: 'RF903', mutate: (d) => delete res(d).aws_launch_template!.autoscale_workers },
  { rule: 'the workers security group missing', example: 'ec2-autoscaler', code: 'RF903', mutate: (d) => delete res(d).aws_security_group!.autoscale_workers },
  { rule: 'IMDSv1 allowed on the manager (hop limit 1 does not stop a plain GET)', example: 'ec2-docker', code: 'RF713', mutate: (d) => ((res(d).aws_launch_template!.docker_manager!.metadata_options as Record<string, unknown>).http_tokens = 'optional') },
  { rule: 'job containers reaching the instance credentials', example: 'ec2-docker', code: 'RF713', mutate: (d) => ((res(d).aws_launch_template!.docker_manager!.metadata_options as Record<string, unknown>).http_put_response_hop_limit = 2) },
  { rule: 'a second instance profile with the manager role', example: 'ec2-docker', code: 'RF103', mutate: (d) => (res(d).aws_iam_instance_profile!.rogue = { name: 'rogue', role: '${aws_iam_role.docker-manager.name}' }) },
  // gitlab-runner expands $CI_SERVER_TOKEN in config.toml only from 18.10.0 (stop 65; test/vm-token-expansion-65.test.ts).
  { rule: 'a manager that installs gitlab-runner 18.9.0, which sends $CI_SERVER_TOKEN as the token', example: 'ec2-docker', code: 'RF723', mutate: (d) => { const lt = res(d).aws_launch_template!.docker_manager!; lt.user_data = Buffer.from(Buffer.from(String(lt.user_data), 'base64').toString('utf8').replace(/RUNNER_VERSION='[^']*'/, "RUNNER_VERSION='18.9.0'")).toString('base64'); } },
  { rule: 'a task role trusting ECS tasks of any account', example: 'ecs-fargate', code: 'RF722', mutate: (d) => editTrust(d, 'fargate-jobs', (doc) => delete (Array.isArray(doc.Statement) ? doc.Statement[0]! : doc.Statement).Condition) },
  { rule: 'the task definition running as the manager role', example: 'ecs-fargate', code: 'RF105', mutate: (d) => { res(d).aws_ecs_task_definition!.fargate_jobs!.task_role_arn = '${aws_iam_role.fargate-manager.arn}'; editTrust(d, 'fargate-manager', (doc) => ((doc.Statement as Statement[])[0]!.Principal = { Service: ['ec2.amazonaws.com', 'ecs-tasks.amazonaws.com'] })); } },
  { rule: 'RunTask on any cluster', example: 'ecs-fargate', code: 'RF714', mutate: (d) => editPolicy(d, 'fargate_manager_platform', (s) => delete sid(s, 'RunJobTasks').Condition) },
  { rule: 'PassRole to any service', example: 'ecs-fargate', code: 'RF714', mutate: (d) => editPolicy(d, 'fargate_manager_platform', (s) => delete sid(s, 'PassJobRoles').Condition) },
  { rule: 'scaling any Auto Scaling group', example: 'ec2-autoscaler', code: 'RF714', mutate: (d) => editPolicy(d, 'autoscale_manager_platform', (s) => (sid(s, 'ScaleOwnWorkers').Resource = '*')) },
  { rule: 'Instance Connect to any instance', example: 'ec2-autoscaler', code: 'RF714', mutate: (d) => editPolicy(d, 'autoscale_manager_platform', (s) => delete sid(s, 'ConnectToOwnWorkers').Condition) },
  { rule: 'a job role that can push to the job-image repository', example: 'ecs-fargate', code: 'RF717', mutate: (d) => editPolicy(d, 'fargate-jobs', (s) => s.push({ Effect: 'Allow', Action: ['ecr:PutImage', 'ecr:UploadLayerPart'], Resource: 'arn:aws:ecr:eu-central-1:123456789012:repository/acme/*' })) },
  { rule: 'a job role that names the job-image repository literally (the indexed path)', example: 'ecs-fargate', code: 'RF717', mutate: (d) => editPolicy(d, 'fargate-jobs', (s) => s.push({ Effect: 'Allow', Action: 'ecr:PutImage', Resource: ['arn:aws:ecr:eu-central-1:123456789012:repository/acme/app', 'arn:aws:ecr:eu-central-1:123456789012:repository/acme/fargate-jobs'] })) },
  { rule: 'a manager role that can delete job images', example: 'mixed-eks-vm', code: 'RF717', mutate: (d) => editPolicy(d, 'docker_manager_platform', (s) => s.push({ Effect: 'Allow', Action: 'ecr:BatchDeleteImage', Resource: '*' })) },
  { rule: 'an SSH ingress rule without a description', example: 'ec2-autoscaler', code: 'RF718', mutate: (d) => delete res(d).aws_vpc_security_group_ingress_rule!.autoscale_workers!.description },
  { rule: 'an inline ingress block without a description', example: 'ecs-fargate', code: 'RF718', mutate: (d) => (res(d).aws_security_group!.fargate_tasks!.ingress = [{ from_port: 22, to_port: 22, protocol: 'tcp', security_groups: ['sg-1'] }]) },
  { rule: 'a job-image repository with mutable tags', example: 'ecs-fargate', code: 'RF719', mutate: (d) => (res(d).aws_ecr_repository!.fargate_jobs!.image_tag_mutability = 'MUTABLE') },
  { rule: 'a task definition running :latest', example: 'ecs-fargate', code: 'RF719', mutate: (d) => { const t = res(d).aws_ecs_task_definition!.fargate_jobs!; t.container_definitions = String(t.container_definitions).replace(/:2026\.11\.1"/, ':latest"'); } },
  { rule: 'a task definition running an image of another repository', example: 'mixed-eks-vm', code: 'RF719', mutate: (d) => { const t = res(d).aws_ecs_task_definition!.fargate_jobs!; t.container_definitions = String(t.container_definitions).replace(/"image":"[^"]+"/, '"image":"docker.io/library/ubuntu:24.04"'); } },
  { rule: 'user data that pipes a download into bash', example: 'ec2-docker', code: 'RF720', mutate: (d) => editUserData(d, 'docker', (t) => t.replace('dnf install -y dnf-automatic', 'curl -fsSL https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.rpm.sh | bash\ndnf install -y dnf-automatic')) },
  { rule: 'user data that fetches without a checksum', example: 'ecs-fargate', code: 'RF720', mutate: (d) => editUserData(d, 'fargate', (t) => t.replace(/^fetch_verified '([^']+)' '[a-f0-9]{64}'/m, "fetch_verified '$1' ''")) },
  { rule: 'user data whose checksum function skips the check', example: 'ecs-fargate', code: 'RF720', mutate: (d) => editUserData(d, 'fargate', (t) => t.replace('  if [ "$got" != "$want" ]; then\n    echo "checksum', '  if false; then\n    echo "checksum')) },
  { rule: 'user data that downloads with curl next to an instance-metadata call', example: 'ec2-docker', code: 'RF720', mutate: (d) => editUserData(d, 'docker', (t) => t.replace('dnf install -y dnf-automatic', 'curl -fsS http://169.254.169.254/latest/meta-data/ -o /dev/null && curl -fsSL https://example.com/tool -o /usr/local/bin/tool\ndnf install -y dnf-automatic')) },
  { rule: 'user data that does not fail closed', example: 'ec2-autoscaler', code: 'RF720', mutate: (d) => editUserData(d, 'autoscale', (t) => t.replace('set -euo pipefail\n', '')) },
  { rule: "a job role that may read its runner's token parameter", example: 'ecs-fargate', code: 'RF721', mutate: (d) => editPolicy(d, 'fargate-jobs', (s) => s.push({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate/runner-token' })) },
  { rule: 'an ID-token role that may read every token parameter by path', example: 'id-tokens-vm', code: 'RF721', mutate: (d) => editPolicy(d, 'idt-infra', (s) => s.push({ Effect: 'Allow', Action: 'ssm:GetParametersByPath', Resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet' })) },
  { rule: "another runner's manager that may read this runner's token parameter", example: 'mixed-eks-vm', code: 'RF721', mutate: (d) => editPolicy(d, 'docker_manager_platform', (s) => (sid(s, 'NoOtherParameters').NotResource = ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/docker/runner-token', 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate/runner-token'])) },
  { rule: 'the instance role reaching the whole cache bucket', example: 'ec2-docker', code: 'RF202', mutate: (d) => editPolicy(d, 'docker_manager_platform', (s) => s.push({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-vm-runner-cache/*' })) },
];

