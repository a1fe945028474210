import type { CloudIdentity, ResolvedFleet } from '../model/types.js';
import { identityRef } from '../model/types.js';
import type { IdentityCheckJob } from './types.js';
import { assumedRoleArnPrefix } from '../verify/aws-docs.js';

/** A pinned AWS CLI image; its entrypoint is the CLI itself, so it is cleared for scripts. */
export const AWS_CLI_IMAGE = 'amazon/aws-cli:2.17.0';

/** Fails the job unless `sts get-caller-identity` reports a session of the job role. */
export function awsIdentityCheckJob(fleet: ResolvedFleet, jobIdentity: CloudIdentity): IdentityCheckJob {
  const aws = fleet.aws!;
  const expected = assumedRoleArnPrefix(aws.partition, aws.accountId, jobIdentity.roleName);
  return {
    image: { name: AWS_CLI_IMAGE, entrypoint: [''] },
    script: [
      'arn="$(aws sts get-caller-identity --query Arn --output text)"',
      'echo "jobs run as: $arn"',
      `case "$arn" in "${expected}"*) echo "OK: the job role ${jobIdentity.roleName}" ;; *) echo "FAIL: expected a session of ${identityRef(jobIdentity)}" >&2; exit 1 ;; esac`,
    ],
  };
}
