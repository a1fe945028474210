import { z } from 'zod';
import { acceptRisksSchema, nameSchema } from '../../spec/schema.js';

/** Inputs shared by the VM platforms (ec2-docker, ecs-fargate, ec2-autoscaler): the network and the manager instance. */

export const vpcIdSchema = z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'a VPC id such as vpc-0a1b2c3d4e5f67890' });
export const subnetIdSchema = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { message: 'a subnet id such as subnet-0a1b2c3d4e5f67890' });
export const amiIdSchema = z.string().regex(/^ami-[0-9a-f]{8,17}$/, { message: 'an AMI id such as ami-0a1b2c3d4e5f67890' });
export const kmsKeyArnSchema = z.string().regex(/^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-f0-9-]{36}$/, { message: 'a KMS key ARN, arn:aws:kms:<region>:<account>:key/<uuid>' });
export const instanceTypeSchema = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: 'an EC2 instance type such as t3.medium' });

export const vmClusterFields = {
  name: nameSchema(40).describe('Name of this entry, referenced by runners[].placement.cluster.'),
  vpcId: vpcIdSchema.describe('VPC the managers (and workers or tasks) run in.'),
  subnetIds: z.array(subnetIdSchema).min(1).describe('Private subnets for managers, workers and tasks; they need a NAT gateway or VPC endpoints to reach GitLab and AWS.'),
  imageId: amiIdSchema.describe('AMI of the manager instance: Amazon Linux 2023 (user data uses dnf).'),
  instanceType: instanceTypeSchema.default('t3.medium').describe('Manager instance type. Default t3.medium.'),
  rootVolumeGiB: z.number().int().min(8).max(16_384).default(30).describe('Encrypted gp3 root volume of the manager. Default 30.'),
  tokenKmsKeyArn: kmsKeyArnSchema
    .optional()
    .describe('Customer-managed KMS key that encrypts the runner-token SecureString parameters; the manager may decrypt with it only through SSM and only for its own parameter. Default: the account\'s AWS managed key aws/ssm.'),
  acceptRisks: acceptRisksSchema,
};

/** Per-runner settings of the manager instance. */
export const instanceRunnerSchema = z
  .strictObject({
    jobsReachInstanceCredentials: z
      .boolean()
      .optional()
      .describe('ec2-docker only: let job containers reach the instance metadata (hop limit 2), and with it the manager role. Default false: hop limit 1, jobs get no AWS identity; true raises RF713.'),
    instanceType: instanceTypeSchema.optional().describe('Manager instance type for this runner. Default: the cluster instanceType.'),
  })
  .optional()
  .describe('The runner manager instance (VM platforms).');

export const fargateRunnerSchema = z
  .strictObject({
    cpu: z.literal([256, 512, 1024, 2048, 4096]).default(1024).describe('Task CPU units: 256, 512, 1024, 2048 or 4096. Default 1024.'),
    memoryMiB: z.number().int().min(512).max(30_720).default(2048).describe('Task memory in MiB, one Fargate pairs with cpu (256: 512, 1024, 2048; 512: 1024-4096; 1024: 2048-8192; 2048: 4096-16384; 4096: 8192-30720; whole GiB). Default 2048.'),
    imageTag: z
      .string()
      .regex(/^(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: 'a versioned image tag (not latest)' })
      .optional()
      .describe('Versioned tag of the job image in the ECR repository (tags there are immutable, so a tag names one image). Required unless imageDigest is set; latest is refused.'),
    imageDigest: z
      .string()
      .regex(/^sha256:[a-f0-9]{64}$/, { message: 'an image digest, sha256:<64 hex digits>' })
      .optional()
      .describe('Digest of the job image (sha256:…); pins the image even more strictly than a tag. Use instead of imageTag.'),
    driver: z
      .strictObject({
        version: z.string().regex(/^v[0-9]+\.[0-9]+\.[0-9]+$/, { message: 'a release tag of the Fargate driver such as v0.5.0' }).describe('Release tag of GitLab\'s Fargate driver to download.'),
        sha256: z.string().regex(/^[a-f0-9]{64}$/, { message: 'a SHA-256 digest: 64 lower-case hex digits' }).describe('SHA-256 of fargate-linux-amd64 of that release, as you verified it; the manager refuses to boot on a mismatch.'),
      })
      .optional()
      .describe('The Fargate custom-executor driver the manager downloads. Required: runner-fleet cannot verify a checksum for you, so you pin the release and its SHA-256.'),
    containerInsights: z.boolean().default(true).describe('CloudWatch Container Insights on the job cluster (task CPU, memory, network metrics; billed as CloudWatch custom metrics). Default true.'),
    assignPublicIp: z.boolean().default(false).describe('Give tasks a public IP (needs a public subnet). Default false.'),
  })
  .optional()
  .describe('ecs-fargate only: the task every job runs in.');

export const autoscalerRunnerSchema = z
  .strictObject({
    maxInstances: z.number().int().min(1).max(1000).default(4).describe('Most worker instances at once. Default 4.'),
    capacityPerInstance: z.number().int().min(1).max(100).default(1).describe('Jobs per worker instance. Default 1.'),
    maxUseCount: z.number().int().min(0).max(10_000).default(1).describe('Jobs per worker before it is replaced; 1 is a fresh VM per job. Default 1.'),
    idleCount: z.number().int().min(0).max(1000).default(0).describe('Idle job slots kept ready. Default 0.'),
    idleTime: z.string().regex(/^([0-9]+h)?([0-9]+m)?([0-9]+s)?$/, { message: 'a Go duration such as 20m0s' }).default('20m0s').describe('How long an idle worker is kept. Default 20m0s.'),
    instanceType: instanceTypeSchema.default('t3.large').describe('Worker instance type (without spot). Default t3.large.'),
    pluginVersion: z
      .string()
      .regex(/^[0-9]+\.[0-9]+\.[0-9]+$/, { message: 'an exact version such as 1.2.3' })
      .optional()
      .describe('Exact version of the AWS fleeting plugin that `gitlab-runner fleeting install` fetches (plugin = "aws:<version>"). Default: unpinned (the newest release). runner-fleet cannot check which versions exist.'),
    instanceTypes: z.array(instanceTypeSchema).min(1).optional().describe('Worker instance types to choose from; required for spot.'),
    spot: z
      .strictObject({
        enabled: z.boolean().describe('Run workers on spot capacity.'),
        onDemandBase: z.number().int().min(0).max(1000).default(0).describe('Workers that stay on-demand. Default 0.'),
      })
      .optional()
      .describe('Spot workers with an on-demand base. Default: on-demand only.'),
  })
  .optional()
  .describe('ec2-autoscaler only: the worker Auto Scaling group and the docker-autoscaler settings.');

export type InstanceRunnerSpec = NonNullable<z.output<typeof instanceRunnerSchema>>;
export type FargateRunnerSpec = NonNullable<z.output<typeof fargateRunnerSchema>>;
export type AutoscalerRunnerSpec = NonNullable<z.output<typeof autoscalerRunnerSchema>>;

export interface VmClusterSpec {
  name: string;
  type: string;
  vpcId: string;
  subnetIds: string[];
  imageId: string;
  instanceType: string;
  rootVolumeGiB: number;
  tokenKmsKeyArn?: string;
  workerImageId?: string;
  workerUsername?: string;
}
