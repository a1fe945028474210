import type { PolicyDocument } from './types.js';

/**
 * AWS managed policies whose content the proofs may evaluate without reading it from an account.
 *
 * Each document is the default version AWS documents in the AWS Managed Policy Reference
 * (docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>.html), as of 2026-12. Only
 * policies whose statements are short enough to state exactly are listed; every other managed
 * policy is unknown to the proofs (what a role holding it may do is not proven). All of them
 * are Allow-only (no Deny a proof could lean on); when AWS publishes a new version of one, the
 * entry here must follow it.
 */
const MANAGED: ReadonlyMap<string, PolicyDocument> = new Map<string, PolicyDocument>([
  // "Provides full access to AWS services and resources."
  ['AdministratorAccess', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
  // Everything except IAM, Organizations and Account, plus a few reads and service-linked roles (v12).
  [
    'PowerUserAccess',
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'account:GetAccountInformation',
            'account:GetGovCloudAccountInformation',
            'account:GetPrimaryEmail',
            'account:ListRegions',
            'iam:CreateServiceLinkedRole',
            'iam:DeleteServiceLinkedRole',
            'iam:ListRoles',
            'organizations:DescribeEffectivePolicy',
            'organizations:DescribeOrganization',
          ],
          Resource: '*',
        },
      ],
    },
  ],
  // Every IAM action, plus reads of the organization (v2).
  [
    'IAMFullAccess',
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization', 'organizations:DescribeOrganizationalUnit', 'organizations:DescribePolicy', 'organizations:ListChildren', 'organizations:ListParents', 'organizations:ListPoliciesForTarget', 'organizations:ListRoots', 'organizations:ListPolicies', 'organizations:ListTargetsForPolicy'],
          Resource: '*',
        },
      ],
    },
  ],
  ['AmazonS3FullAccess', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }] }],
  // What runner-fleet attaches to VM managers (SSM Session Manager, inventory, parameters) (v2).
  [
    'AmazonSSMManagedInstanceCore',
    {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'ssm:DescribeAssociation',
            'ssm:GetDeployablePatchSnapshotForInstance',
            'ssm:GetDocument',
            'ssm:DescribeDocument',
            'ssm:GetManifest',
            'ssm:GetParameter',
            'ssm:GetParameters',
            'ssm:ListAssociations',
            'ssm:ListInstanceAssociations',
            'ssm:PutInventory',
            'ssm:PutComplianceItems',
            'ssm:PutConfigurePackageResult',
            'ssm:UpdateAssociationStatus',
            'ssm:UpdateInstanceAssociationStatus',
            'ssm:UpdateInstanceInformation',
          ],
          Resource: '*',
        },
        { Effect: 'Allow', Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'], Resource: '*' },
        { Effect: 'Allow', Action: ['ec2messages:AcknowledgeMessage', 'ec2messages:DeleteMessage', 'ec2messages:FailMessage', 'ec2messages:GetEndpoint', 'ec2messages:GetMessages', 'ec2messages:SendReply'], Resource: '*' },
      ],
    },
  ],
  // What runner-fleet attaches to Fargate task execution roles (pull images, write logs).
  [
    'service-role/AmazonECSTaskExecutionRolePolicy',
    {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
    },
  ],
]);

const AWS_MANAGED_ARN = /^arn:aws(?:-cn|-us-gov)?:iam::aws:policy\/(.+)$/;

/**
 * The documented content of an AWS managed policy by its ARN (any partition), or undefined when
 * the ARN is no AWS managed policy or one whose content the table does not state.
 */
export function awsManagedPolicy(arn: string): PolicyDocument | undefined {
  const m = AWS_MANAGED_ARN.exec(arn);
  return m ? MANAGED.get(m[1]!) : undefined;
}
