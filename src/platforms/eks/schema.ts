import { z } from 'zod';
import { acceptRisksSchema, awsRegionSchema, dnsLabelSchema, iamPrincipalArnSchema, nameSchema } from '../../spec/schema.js';

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
    .describe('OIDC issuer URL of the cluster (aws eks describe-cluster --query cluster.identity.oidc.issuer).'),
  oidcProvider: z
    .enum(['existing', 'create'])
    .default('existing')
    .describe('Whether the IAM OIDC provider for the issuer already exists or is created here. Default existing.'),
  identity: z.enum(['irsa', 'pod-identity']).default('irsa').describe('How pods get AWS credentials: IRSA or EKS Pod Identity. Default irsa.'),
  authenticationMode: z
    .enum(['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'])
    .default('API_AND_CONFIG_MAP')
    .describe('The cluster authentication mode, as configured in AWS. Default API_AND_CONFIG_MAP.'),
  access: z.array(accessSchema).default([]).describe('People and roles who operate the cluster. Default none.'),
  acceptRisks: acceptRisksSchema,
});

export type EksClusterSpec = z.output<typeof eksClusterSchema>;
export type EksAccessSpec = z.output<typeof accessSchema>;
