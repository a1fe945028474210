import { safeText } from '../spec/findings.js';

/**
 * Called before the AWS SDK is loaded. On Node 20 the SDK prints a multi-line notice on stderr
 * (a process warning, before runner-fleet's own output) that SDK releases after January 2027 will
 * need Node 22. runner-fleet pins its SDK in the lockfile, so the notice is about releases it does
 * not use; the SDK's own switch turns it off unless the user set the variable.
 */
export function quietAwsSdkNotice(env: Record<string, string | undefined> = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/**
 * How a command is given AWS credentials: the doctor has `--profile` and `--region`; the
 * operations commands take the default chain only (the region comes from the spec or `--kube-api`).
 */
export type AwsCredentialsFix = 'flags' | 'environment';

const FIX: Record<AwsCredentialsFix, string> = {
  flags: 'give --profile and --region, or the AWS_* environment',
  environment: 'set AWS_PROFILE (a profile of ~/.aws/config), AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (GitLab OIDC), or run where an instance profile or IRSA provides them',
};

/**
 * The one message for an AWS SDK error that says no credentials or no region were found (no call
 * can succeed; the SDK's own text names no fix): what could not be done, the SDK's first line,
 * and how to give them. undefined for any other error.
 */
export function noAwsCredentialsError(e: unknown, doing: string, fix: AwsCredentialsFix): Error | undefined {
  const name = typeof e === 'object' && e !== null ? (e as { name?: unknown }).name : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const region = /Region is missing/i.test(message);
  if (name !== 'CredentialsProviderError' && !region && !/Could not load credentials/i.test(message)) return undefined;
  const first = safeText(message.split('\n')[0]!, 200);
  return new Error(`no AWS ${region ? 'region' : 'credentials'} to ${doing} (${first}); ${FIX[fix]}`, { cause: e });
}
