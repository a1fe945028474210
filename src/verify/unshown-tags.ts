import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { PER_POD_SESSION_TAGS, type RoleFacts } from './aws-docs.js';
import type { KmsKey } from './kms.js';

/**
 * Tags of the resource a request is about whose value the documents do not show (a variable in its
 * `tags`, a value only apply knows), where the policies test them (`<service>:resourceTag/<key>`).
 */
export interface UnshownResourceTags {
  /** The resource in words (`the token parameter /ci/docker-ci/token`). */
  what: string;
  /** Its Terraform address (`aws_ssm_parameter.token`), where the documents hold it. */
  address?: string;
  /** The lower-cased tag keys the policies test whose value is not shown. */
  keys: readonly string[];
  /** Which tags it has is not shown at all (its `tags`, or the provider's default_tags, are not a literal map). */
  all: boolean;
  /** The fix where no document could show its tags (a resource the documents do not hold): else, make them statically known. */
  fix?: string;
}

/**
 * The role's policy (as its `policiesVia` names it) whose condition tests one of the role's tags
 * `keys` (lower-cased aws:PrincipalTag/<key> keys): the first such, undefined where none does.
 */
export function policyTestingPrincipalTags(role: RoleFacts, keys: readonly string[]): string | undefined {
  const i = role.policiesCompiled.findIndex((p) => keys.some((k) => p.principalTagKeys.has(k)));
  return i >= 0 ? role.policiesVia[i] : undefined;
}

/** The document whose condition tests one of the role's tags `keys`: the first of its policies, else the key policy of `key` (a token key, a cache key). */
export function principalTagsTestedBy(role: RoleFacts, keys: readonly string[], key: KmsKey | undefined): string | undefined {
  return policyTestingPrincipalTags(role, keys) ?? (key?.policy !== undefined && keys.some((k) => key.policy!.full.principalTagKeys.has(k)) ? `${key.policyAddress ?? key.label}.policy` : undefined);
}

/**
 * RF903 for a decision that rests on tags whose value the documents do not show (never guessed
 * either way): the role's `keys` (lower-cased aws:PrincipalTag/<key> keys), and where given the tags
 * of the resource asked about. `testedBy`: the document whose condition tests the role's tags, where a
 * tag no document can show (a session tag EKS Pod Identity sets per pod) is to be replaced.
 */
export function unshownTagsFinding(path: string, role: RoleFacts, what: string, keys: readonly string[], testedBy: string | undefined, resource?: UnshownResourceTags): Finding {
  const all = role.unknownTags.has('*');
  const session = keys.filter((k) => role.sessionTagKeys?.has(k) === true);
  const own = keys.filter((k) => role.sessionTagKeys?.has(k) !== true);
  const perPod = session.filter((k) => PER_POD_SESSION_TAGS.has(k));
  const why: string[] = [];
  if (own.length > 0) why.push(`${all ? 'the tags of the role (its tags, or the aws provider\'s default_tags)' : `the value of its tag ${own.join(', ')}`} ${all || own.length === 1 ? 'is' : 'are'} not in the documents`);
  if (perPod.length > 0) why.push(`${perPod.join(', ')} ${perPod.length === 1 ? 'is a session tag' : 'are session tags'} EKS Pod Identity sets for each pod (${(role.sessionVia ?? []).join(', ')}), so no document shows ${perPod.length === 1 ? 'its' : 'their'} value`);
  const other = session.filter((k) => !PER_POD_SESSION_TAGS.has(k));
  if (other.length > 0) why.push(`the value of the session tag${other.length === 1 ? '' : 's'} ${other.join(', ')} that EKS Pod Identity sets (${(role.sessionVia ?? []).join(', ')}) is not shown as one value for every session of the role`);
  const onResource = resource !== undefined && resource.keys.length > 0 ? resource : undefined;
  if (onResource) why.push(onResource.all ? `the tags of ${onResource.what} (its tags, or the aws provider's default_tags) are not in the documents` : `the value of the tag${onResource.keys.length === 1 ? '' : 's'} ${onResource.keys.join(', ')} of ${onResource.what} ${onResource.keys.length === 1 ? 'is' : 'are'} not in the documents`);
  const fixes: string[] = [];
  if (own.length > 0) fixes.push(`make the role's tags statically known (literal values, or variables with a default, in tags of aws_iam_role.${role.key} or the aws provider's default_tags)`);
  else if (keys.length > 0) fixes.push(`condition on what each association fixes for its pods (aws:PrincipalTag/kubernetes-namespace, aws:PrincipalTag/kubernetes-service-account, aws:PrincipalTag/eks-cluster-name) or on the role's ARN (aws:PrincipalArn)${testedBy !== undefined ? ` in ${testedBy.replace(/\.policy$/, '')}` : ''}`);
  if (onResource) fixes.push(onResource.fix ?? `make the tags of ${onResource.address ?? onResource.what} statically known (literal values, or variables with a default, in its tags or the aws provider's default_tags)`);
  const showJson = own.length > 0 || (onResource !== undefined && onResource.fix === undefined) ? ', or give `terraform show -json` of a plan' : '';
  const tested = [...keys.map((k) => `aws:PrincipalTag/${k}`), ...(onResource?.keys.map((k) => `the resource tag ${k}`) ?? [])];
  // What to edit: the role's tags, else the document that tests a session tag, else the resource's tags
  // (none where the resource is no one resource of the documents: the finding stays at `path`).
  const address = own.length > 0 || (keys.length > 0 && testedBy === undefined) ? `aws_iam_role.${role.key}.tags` : keys.length > 0 ? testedBy : onResource?.address !== undefined ? `${onResource.address}.tags` : undefined;
  return {
    code: 'RF903',
    severity: CODES.RF903.severity,
    path,
    message: `whether role ${role.name} ${what} is not shown: the policies test ${tested.join(', ')}, and ${why.join('; ')}`,
    fix: `${fixes.join('; ')}${showJson}`,
    ...(address !== undefined ? { subject: { kind: 'resource' as const, address } } : {}),
  };
}
