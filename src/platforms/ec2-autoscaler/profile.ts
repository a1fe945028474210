/**
 * A literal instance profile ARN (`arn:aws:iam::111122223333:instance-profile/path/name`), its account
 * (where written) and the profile's name: the ARN's last part, IAM's path before it.
 */
export function instanceProfileArn(v: string): { account?: string; name: string } | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12})?:instance-profile\/(?:[^\s${}]*\/)?([\w+=,.@-]+)$/.exec(v);
  return m === null ? undefined : { ...(m[1] !== undefined ? { account: m[1] } : {}), name: m[2]! };
}

/**
 * An instance profile as a message names it: a literal ARN by the profile's name, with its account
 * where the ARN writes one that is not `account` (the root's, where known); anything else as written.
 */
export function profileShown(profile: string, account?: string): string {
  const arn = instanceProfileArn(profile);
  if (arn === undefined) return profile;
  return arn.account !== undefined && arn.account !== account ? `${arn.name} in account ${arn.account}` : arn.name;
}

/** What a job that leaves its container takes over: its worker, with the jobs beside and after it, and the role of the worker's instance profile `shown`, where it has one. */
export function workerTakeOverWords(shown: string | undefined): string {
  return `the worker instance: the jobs it runs at the same time (capacity_per_instance) and the ones after it (max_use_count)${shown !== undefined ? `, and the role of the worker instance profile ${shown}` : ''}`;
}
