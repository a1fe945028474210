import { describe, expect, it } from 'vitest';
import { awsFacts } from '../src/verify/aws-docs.js';
import { evaluatePolicies } from '../src/verify/iam/evaluator.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import type { FleetDocuments } from '../src/emit/types.js';

/**
 * A role holds each policy document once (stop 50): a role of one name given in many folders (each
 * deployment's Terraform attaching its own copy of the same policy) was read as one role with a copy
 * per folder, and every request asked of it read every copy, so the doctor over N such folders did
 * N x N policy scans. A copy grants nothing the first does not; the first resource attaching it is
 * the one a finding names.
 */
const allowGet = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::cache/runner/*' }] });
const denyDelete = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }] });

const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

const docsOf = (resource: TerraformRoot['resource']): FleetDocuments => ({ terraformAws: { terraform: {}, resource } as TerraformRoot }) as unknown as FleetDocuments;

describe('awsFacts: a role holds each policy document once', () => {
  it('three inline policies, two of one text: two held, each by the first resource attaching it', () => {
    const facts = awsFacts(docsOf({
      aws_iam_role: { manager: { name: 'manager', assume_role_policy: trust } },
      aws_iam_role_policy: {
        one: { role: 'manager', policy: allowGet },
        two: { role: 'manager', policy: denyDelete },
        three: { role: 'manager', policy: allowGet },
      },
    }))!;
    const role = facts.roles.get('manager')!;
    expect(role.policiesVia).toEqual(['aws_iam_role_policy.one', 'aws_iam_role_policy.two']);
    expect(role.policiesCompiled).toHaveLength(2);
    expect(role.policies).toHaveLength(2);
    const ask = (action: string) => evaluatePolicies({ identity: role.policiesCompiled }, { action, resource: 'arn:aws:s3:::cache/runner/x', principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/manager' }, context: {} });
    expect([ask('s3:GetObject'), ask('s3:DeleteObject'), ask('s3:PutObject')]).toEqual(['allow', 'explicit-deny', 'implicit-deny']);
  });

  it('one role name in many folders, each attaching its copy of one policy: held once', () => {
    const folders = Array.from({ length: 6 }, (_, i) => i);
    const facts = awsFacts(docsOf({
      aws_iam_role: Object.fromEntries(folders.map((i) => [`manager_${i}`, { name: 'manager', assume_role_policy: trust }])),
      aws_iam_policy: Object.fromEntries(folders.map((i) => [`cache_${i}`, { name: 'cache', policy: allowGet }])),
      aws_iam_role_policy_attachment: Object.fromEntries(folders.map((i) => [`cache_${i}`, { role: 'manager', policy_arn: `\${aws_iam_policy.cache_${i}.arn}` }])),
    }))!;
    const role = facts.roles.get('manager')!;
    expect(role.policiesVia).toEqual(['aws_iam_role_policy_attachment.cache_0']);
    expect(role.unknownPolicies).toEqual([]);
  });
});
