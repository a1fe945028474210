/**
 * The read-only AWS operations `runner-fleet doctor --aws` may issue, and the port the pure
 * doctor code reads through (src/live/aws-read.ts implements it with the AWS SDK; tests give
 * fakes). Nothing outside this list can be sent: the live client refuses it before signing.
 * Providers are read by the ARN a trust policy names (GetOpenIDConnectProvider), so listing them
 * (ListOpenIDConnectProviders) is never needed and not allowed.
 */
export const AWS_READ_OPERATIONS = {
  iam: ['GetRole', 'ListRolePolicies', 'GetRolePolicy', 'ListAttachedRolePolicies', 'GetPolicy', 'GetPolicyVersion', 'GetOpenIDConnectProvider'],
  eks: ['ListPodIdentityAssociations', 'DescribePodIdentityAssociation', 'ListAccessEntries', 'ListAssociatedAccessPolicies'],
} as const;

export type AwsReadOperation = (typeof AWS_READ_OPERATIONS)['iam' | 'eks'][number];

/** The IAM action each operation needs (for the finding that says which permission is missing). */
export const AWS_READ_ACTIONS: Record<AwsReadOperation, string> = {
  GetRole: 'iam:GetRole',
  ListRolePolicies: 'iam:ListRolePolicies',
  GetRolePolicy: 'iam:GetRolePolicy',
  ListAttachedRolePolicies: 'iam:ListAttachedRolePolicies',
  GetPolicy: 'iam:GetPolicy',
  GetPolicyVersion: 'iam:GetPolicyVersion',
  GetOpenIDConnectProvider: 'iam:GetOpenIDConnectProvider',
  ListPodIdentityAssociations: 'eks:ListPodIdentityAssociations',
  DescribePodIdentityAssociation: 'eks:DescribePodIdentityAssociation',
  ListAccessEntries: 'eks:ListAccessEntries',
  ListAssociatedAccessPolicies: 'eks:ListAssociatedAccessPolicies',
};

/** Why a read failed: the thing does not exist, the credentials may not read it, or anything else. */
export class AwsReadError extends Error {
  constructor(
    readonly operation: AwsReadOperation,
    readonly kind: 'not-found' | 'denied' | 'failed',
    readonly code: string,
    detail?: string,
  ) {
    super(`${operation}: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'AwsReadError';
  }
}

export interface AwsReadPort {
  /** One API call; resolves with the response fields, rejects with an `AwsReadError`. */
  read(op: AwsReadOperation, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}
