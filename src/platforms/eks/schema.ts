import { z } from 'zod';
import { acceptRisksSchema, awsRegionSchema, dnsLabelSchema, iamPrincipalArnSchema, labelKey, labelValue, nameSchema, specMap } from '../../spec/schema.js';
import { subnetIdSchema } from '../aws-vm/schema.js';

/** EKS access policies by the short names people use, and the AWS policy each means. */
export const EKS_ACCESS_POLICIES = {
  'cluster-admin': 'AmazonEKSClusterAdminPolicy',
  admin: 'AmazonEKSAdminPolicy',
  edit: 'AmazonEKSEditPolicy',
  view: 'AmazonEKSViewPolicy',
} as const;
export type EksAccessPolicy = keyof typeof EKS_ACCESS_POLICIES;

/** The Kubernetes ClusterRole that grants the same as an access policy, for aws-auth users. */
export const CLUSTER_ROLE_FOR_POLICY: Record<EksAccessPolicy, string> = {
  'cluster-admin': 'cluster-admin',
  admin: 'admin',
  edit: 'edit',
  view: 'view',
};

const accessSchema = z.strictObject({
  principal: iamPrincipalArnSchema.describe('IAM user or role ARN of the operator.'),
  policy: z.enum(Object.keys(EKS_ACCESS_POLICIES) as [EksAccessPolicy, ...EksAccessPolicy[]]).describe('What the operator may do: cluster-admin, admin, edit or view.'),
  namespaces: z.array(dnsLabelSchema).min(1).optional().describe('Limit access to these namespaces. Default: the whole cluster.'),
  via: z
    .enum(['access-entry', 'aws-auth'])
    .optional()
    .describe('How access is granted. Default: access-entry, or aws-auth when authenticationMode is CONFIG_MAP.'),
  username: z.string().min(1).optional().describe('Kubernetes user name for aws-auth entries. Default: the principal name.'),
});

/** Control-plane log types EKS can send to CloudWatch. */
export const EKS_LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] as const;
/** Add-ons runner-fleet installs on a created cluster (the EKS add-on names). */
export const EKS_ADDONS = ['vpc-cni', 'coredns', 'kube-proxy', 'eks-pod-identity-agent'] as const;
export type EksAddon = (typeof EKS_ADDONS)[number];
export const POD_IDENTITY_AGENT: EksAddon = 'eks-pod-identity-agent';
/** AMI types of managed node groups (Linux; Windows nodes cannot run the Kubernetes executor's helper image as is). */
export const EKS_AMI_TYPES = ['AL2023_x86_64_STANDARD', 'AL2023_ARM_64_STANDARD', 'BOTTLEROCKET_x86_64', 'BOTTLEROCKET_ARM_64'] as const;

export const taintSchema = z.strictObject({
  key: labelKey,
  value: labelValue.optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const nodeGroupSchema = z.strictObject({
  name: nameSchema(40).describe('Node group name (also its eks.amazonaws.com/nodegroup label).'),
  instanceTypes: z
    .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: 'an EC2 instance type such as m6i.large' }))
    .min(1)
    .default(['m6i.large'])
    .describe('EC2 instance types. Default [m6i.large].'),
  capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND').describe('ON_DEMAND or SPOT. Default ON_DEMAND. Spot nodes can vanish under a job.'),
  scaling: z
    .strictObject({
      min: z.number().int().min(0).max(1000),
      max: z.number().int().min(1).max(1000),
      desired: z.number().int().min(0).max(1000).optional().describe('Default: min.'),
    })
    .default({ min: 1, max: 3 })
    .describe('Node count bounds. Default min 1, max 3.'),
  labels: specMap(labelKey, labelValue).default({}).describe('Kubernetes labels of the nodes (what nodeSelector matches). Default none.'),
  taints: z.array(taintSchema).default([]).describe('Kubernetes taints of the nodes (pods need a toleration). Default none.'),
  diskSizeGiB: z.number().int().min(20).max(16_384).default(50).describe('Encrypted gp3 root volume per node. Default 50.'),
  amiType: z.enum(EKS_AMI_TYPES).default('AL2023_x86_64_STANDARD').describe('Default AL2023_x86_64_STANDARD.'),
  subnetIds: z.array(subnetIdSchema).min(1).optional().describe('Subnets of the nodes. Default: the cluster subnets.'),
});

export const eksCreateSchema = z
  .strictObject({
    version: z.string().regex(/^1\.[0-9]{2}$/, { message: 'a Kubernetes minor version such as 1.33' }).default('1.33').describe('Kubernetes version. Default 1.33.'),
    subnetIds: z
      .array(subnetIdSchema)
      .min(2, { message: 'EKS needs subnets in at least two availability zones' })
      .describe('Subnets of your VPC for the control plane network interfaces (at least two availability zones). The VPC is yours; runner-fleet does not create it.'),
    endpoint: z
      .strictObject({
        privateAccess: z.boolean().default(true).describe('Reach the API server from inside the VPC. Default true.'),
        publicAccess: z.boolean().default(true).describe('Reach the API server from the internet (still IAM-authenticated). Default true.'),
        publicCidrs: z
          .array(z.string().regex(/^[0-9]{1,3}(\.[0-9]{1,3}){3}\/[0-9]{1,2}$/, { message: 'an IPv4 CIDR such as 203.0.113.0/24' }))
          .min(1)
          .optional()
          .describe('Who may reach the public endpoint. Default 0.0.0.0/0, which raises RF805.'),
      })
      .prefault({})
      .describe('API server endpoint access.'),
    secretsKmsKeyArn: z
      .string()
      .regex(/^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key\/[0-9a-f-]{36}$/, { message: 'a KMS key ARN' })
      .optional()
      .describe('KMS key that encrypts Kubernetes Secrets (the runner tokens). Default: a key created here, rotated yearly.'),
    logTypes: z.array(z.enum(EKS_LOG_TYPES)).default(['api', 'audit', 'authenticator']).describe('Control-plane logs sent to CloudWatch. Default api, audit, authenticator.'),
    addons: z
      .array(z.enum(EKS_ADDONS))
      .optional()
      .describe('EKS add-ons to install. Default vpc-cni, coredns, kube-proxy, and eks-pod-identity-agent when identity is pod-identity.'),
    nodeGroups: z.array(nodeGroupSchema).min(1).describe('Managed node groups. Every runner must fit on one of them (the scheduling proof).'),
  })
  .describe('Create the cluster here instead of using an existing one. Default: the cluster exists (oidcIssuer is then required).');

export const eksClusterSchema = z.strictObject({
  name: nameSchema(40).describe('Name of this entry, referenced by runners[].placement.cluster.'),
  type: z.literal('eks'),
  clusterName: z
    .string()
    .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, { message: 'an EKS cluster name (letters, digits, - and _, up to 100)' })
    .optional()
    .describe('The EKS cluster name in AWS. Default: name.'),
  region: awsRegionSchema.optional().describe('Region of the cluster. Default: aws.region.'),
  oidcIssuer: z
    .string()
    .regex(/^https:\/\/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[A-Za-z0-9]{8,64}$/, {
      message: 'the cluster OIDC issuer URL, https://oidc.eks.<region>.amazonaws.com/id/<ID>',
    })
    .optional()
    .describe('OIDC issuer URL of an existing cluster (aws eks describe-cluster --query cluster.identity.oidc.issuer). Required unless create is set; with create the issuer comes from the cluster resource.'),
  oidcProvider: z
    .enum(['existing', 'create'])
    .optional()
    .describe('Whether the IAM OIDC provider for the issuer already exists or is created here. Default existing; always create with create.'),
  identity: z.enum(['irsa', 'pod-identity']).default('irsa').describe('How pods get AWS credentials: IRSA or EKS Pod Identity. Default irsa.'),
  authenticationMode: z
    .enum(['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'])
    .optional()
    .describe('The cluster authentication mode. Existing clusters: as configured in AWS, default API_AND_CONFIG_MAP. Created clusters: default API, or API_AND_CONFIG_MAP when an access entry asks for aws-auth.'),
  access: z.array(accessSchema).default([]).describe('People and roles who operate the cluster. Default none.'),
  create: eksCreateSchema.optional(),
  acceptRisks: acceptRisksSchema,
});

export type EksCreateSpec = z.output<typeof eksCreateSchema>;
export type EksNodeGroupSpec = z.output<typeof nodeGroupSchema>;
export type EksClusterSpec = z.output<typeof eksClusterSchema>;
export type EksAccessSpec = z.output<typeof accessSchema>;
