import { describe, expect, it } from 'vitest';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { resourceTags, roleTags } from '../src/verify/aws-docs.js';
import { compilePolicy, evaluatePolicies } from '../src/verify/iam/evaluator.js';
import type { PolicyDocument } from '../src/verify/iam/types.js';

/**
 * Stop 62 (62e): verify shares two answers between the documents of a fleet instead of working them
 * out per runner: the tags of resources that have none of their own (by the default_tags they take),
 * and a statement's compiled Action list (by its text). Each memo must give every role and statement
 * its own answer where what matters differs: tags of its own, another provider's default_tags, Pod
 * Identity session tags; the statement's resources, its effect, Action against NotAction.
 */

const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

function root(): TerraformRoot {
  return {
    provider: {
      aws: [
        { region: 'eu-central-1', default_tags: { tags: { team: 'ci', 'managed-by': 'runner-fleet' } } },
        { alias: 'other', region: 'us-east-1', default_tags: { tags: { team: 'platform' } } },
      ],
    },
    resource: {
      aws_iam_role: {
        a: { name: 'role-a', assume_role_policy: trust },
        b: { name: 'role-b', assume_role_policy: trust },
        tagged: { name: 'role-tagged', assume_role_policy: trust, tags: { team: 'jobs', tier: 'gold' } },
        aliased: { name: 'role-aliased', assume_role_policy: trust, provider: 'aws.other' },
        bound: { name: 'role-bound', assume_role_policy: trust },
      },
      aws_eks_pod_identity_association: {
        p: { cluster_name: 'devops', namespace: 'ci', service_account: 'runner', role_arn: '${aws_iam_role.bound.arn}' },
      },
    },
  } as unknown as TerraformRoot;
}

const roleOf = (r: TerraformRoot, key: string) => roleTags(r, r.resource.aws_iam_role![key]!, key);

describe('tags of resources without their own: shared by default_tags, never leaked', () => {
  it('two untagged roles of one provider share one answer', () => {
    const r = root();
    const a = roleOf(r, 'a');
    const b = roleOf(r, 'b');
    expect(a.tags).toEqual({ team: 'ci', 'managed-by': 'runner-fleet' });
    expect(b.tags).toBe(a.tags);
    expect(b.unknownTags).toBe(a.unknownTags);
  });

  it('a role with tags of its own, or of another provider, or bound by Pod Identity, gets its own', () => {
    const r = root();
    const a = roleOf(r, 'a');
    const tagged = roleOf(r, 'tagged');
    const aliased = roleOf(r, 'aliased');
    const bound = roleOf(r, 'bound');
    expect(tagged.tags).toEqual({ team: 'jobs', 'managed-by': 'runner-fleet', tier: 'gold' });
    expect(aliased.tags).toEqual({ team: 'platform' });
    expect(bound.tags).toEqual({ team: 'ci', 'managed-by': 'runner-fleet', 'eks-cluster-name': 'devops', 'kubernetes-namespace': 'ci', 'kubernetes-service-account': 'runner' });
    expect(bound.sessionTagKeys?.has('kubernetes-namespace')).toBe(true);
    // Asked in any order, the untagged role's answer stays the provider's default_tags alone.
    expect(roleOf(r, 'a').tags).toEqual({ team: 'ci', 'managed-by': 'runner-fleet' });
    expect(a.unknownTags.size).toBe(0);
    expect(a.sessionTagKeys).toBeUndefined();
  });

  it('a second root with other default_tags is answered from its own', () => {
    const r1 = root();
    const r2 = root();
    (r2.provider!.aws as Record<string, unknown>[])[0]!.default_tags = { tags: { team: 'other' } };
    expect(roleOf(r1, 'a').tags).toEqual({ team: 'ci', 'managed-by': 'runner-fleet' });
    expect(roleOf(r2, 'a').tags).toEqual({ team: 'other' });
  });

  it('resourceTags hands out a copy: what one caller changes, the next does not see', () => {
    const r = root();
    const body = r.resource.aws_iam_role!.a!;
    const first = resourceTags(r, body, 'aws_iam_role.a');
    first.tags.extra = 'x';
    first.unknownTags.add('team');
    const second = resourceTags(r, body, 'aws_iam_role.a');
    expect(second.tags).toEqual({ team: 'ci', 'managed-by': 'runner-fleet' });
    expect([...second.unknownTags]).toEqual([]);
    expect(roleOf(r, 'b').tags).toEqual({ team: 'ci', 'managed-by': 'runner-fleet' });
  });
});

describe("a statement's Action list: compiled once per text, decided per statement", () => {
  const doc = (effect: 'Allow' | 'Deny', actionKey: 'Action' | 'NotAction', actions: string[], resource: string): PolicyDocument =>
    ({ Version: '2012-10-17', Statement: [{ Effect: effect, [actionKey]: actions, Resource: resource }] });
  const ask = (p: ReturnType<typeof compilePolicy>, action: string, resource: string) =>
    evaluatePolicies({ identity: [p] }, { principal: { type: 'AWS', id: 'arn:aws:iam::123456789012:role/r' }, action, resource });

  it('two statements with the same list share its pattern set', () => {
    const x = compilePolicy(doc('Allow', 'Action', ['s3:GetObject', 's3:PutObject*'], 'arn:aws:s3:::a/*'));
    const y = compilePolicy(doc('Allow', 'Action', ['s3:GetObject', 's3:PutObject*'], 'arn:aws:s3:::b/*'));
    expect(y.statements[0]!.actions).toBe(x.statements[0]!.actions);
  });

  it('the resources, the effect and Action against NotAction stay each statement’s own', () => {
    const list = ['s3:GetObject', 's3:PutObject*'];
    const onA = compilePolicy(doc('Allow', 'Action', list, 'arn:aws:s3:::a/*'));
    const onB = compilePolicy(doc('Allow', 'Action', list, 'arn:aws:s3:::b/*'));
    const not = compilePolicy(doc('Allow', 'NotAction', list, 'arn:aws:s3:::a/*'));
    const deny = compilePolicy(doc('Deny', 'Action', list, 'arn:aws:s3:::a/*'));
    expect(ask(onA, 's3:PutObjectTagging', 'arn:aws:s3:::a/k')).toBe('allow');
    expect(ask(onA, 's3:PutObjectTagging', 'arn:aws:s3:::b/k')).toBe('implicit-deny');
    expect(ask(onB, 's3:GetObject', 'arn:aws:s3:::b/k')).toBe('allow');
    expect(ask(onB, 's3:GetObject', 'arn:aws:s3:::a/k')).toBe('implicit-deny');
    expect(ask(not, 's3:GetObject', 'arn:aws:s3:::a/k')).toBe('implicit-deny');
    expect(ask(not, 's3:DeleteObject', 'arn:aws:s3:::a/k')).toBe('allow');
    expect(ask(deny, 's3:GetObject', 'arn:aws:s3:::a/k')).toBe('explicit-deny');
  });

  it('a list in other case is answered alike; a different list is not the same set', () => {
    const x = compilePolicy(doc('Allow', 'Action', ['S3:GETOBJECT'], 'arn:aws:s3:::a/*'));
    const y = compilePolicy(doc('Allow', 'Action', ['s3:PutObject'], 'arn:aws:s3:::a/*'));
    expect(y.statements[0]!.actions).not.toBe(x.statements[0]!.actions);
    expect(ask(x, 's3:getobject', 'arn:aws:s3:::a/k')).toBe('allow');
    expect(ask(x, 's3:PutObject', 'arn:aws:s3:::a/k')).toBe('implicit-deny');
    expect(ask(y, 's3:PutObject', 'arn:aws:s3:::a/k')).toBe('allow');
  });
});
