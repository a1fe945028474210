import { describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { damagedFiles, exampleFiles, planExample, planMutated, replicatedExample } from './helpers/fleet.js';
import { join } from 'node:path';
import { corpusFiles, doctorEdited, handWrittenDockerVm } from './helpers/doctor.js';

/**
 * Only a VM runner's manager and the token rotator may read its token parameter (RF721): an
 * ID-token role, a job role or another role of the fleet that may ssm:GetParameter* it (and, with
 * a customer key, kms:Decrypt with it) reads the runner's glrt- token in clear.
 */
const TOKEN = '/runner-fleet/acme/docker/runner-token';
const claimOf = (proofs: { runner: string; claim: string; holds: boolean }[], runner: string) => proofs.find((p) => p.runner === runner && /^only the manager .*can read the token parameter /.test(p.claim));
const rf721 = (findings: { code: string }[]) => findings.filter((f) => f.code === 'RF721') as { code: string; path: string; message: string }[];

describe('plan: who may read a runner token parameter', () => {
  it('examples/id-tokens-vm (the ID-token role scoped to the parameters it needs): the proof holds', () => {
    const r = planExample('id-tokens-vm');
    expect(rf721(r.findings)).toEqual([]);
    expect(claimOf(r.proofs, 'docker')).toMatchObject({ holds: true, claim: expect.stringContaining(`only the manager and the token rotator can read the token parameter ${TOKEN}`) as unknown });
    expect(r.exitCode).toBe(0);
  });

  it('the claim says in words what was checked: the other IAM roles of the documents, counted', () => {
    expect(claimOf(planExample('id-tokens-vm').proofs, 'docker')!.claim).toBe(`only the manager and the token rotator can read the token parameter ${TOKEN} (checked the one other IAM role in the documents)`);
    const three = planValue(replicatedExample('ecs-fargate', 3));
    expect(claimOf(three.proofs, 'fargate-1')!.claim).toMatch(/^only the manager and the token rotator can read the token parameter \/runner-fleet\/acme\/fargate-1\/runner-token \(checked each of the [2-9]\d* other IAM roles in the documents\)$/);
  });

  it.each([
    ['ssm:GetParameter* on *', ['ssm:GetParameter*'], ['*'], /ssm:GetParameter, ssm:GetParameters, ssm:GetParameterHistory, ssm:GetParametersByPath on \//],
    ['GetParameter and GetParametersByPath on parameter/runner-fleet/*', ['ssm:GetParameter', 'ssm:GetParametersByPath'], ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/*'], /ssm:GetParameter, ssm:GetParametersByPath on \/runner-fleet\/acme\b/],
    ['GetParametersByPath on /runner-fleet alone (recursive reads below it)', ['ssm:GetParametersByPath'], ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet'], /ssm:GetParametersByPath on \/runner-fleet;/],
  ])('an ID-token role with %s: RF721 naming the role, its spec path and the action; the proof fails', (_name, actions, resources, what) => {
    const r = planMutated('id-tokens-vm', (s) => (s.idTokens.roles[0].permissions.aws = [{ actions, resources }]));
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe('idTokens.roles[0].permissions.aws');
    expect(found[0]!.message).toContain('the ID-token role infra acme-idt-infra');
    expect(found[0]!.message).toMatch(what);
    expect(found[0]!.message).toContain('aws/ssm');
    expect(claimOf(r.proofs, 'docker')?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('a customer-managed token key: reading is not enough without kms:Decrypt through SSM, and is with it', () => {
    const KEY = 'arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const withKey = (decrypt: boolean) =>
      planMutated('id-tokens-vm', (s) => {
        s.clusters[0].tokenKmsKeyArn = KEY;
        s.idTokens.roles[0].permissions.aws = [{ actions: ['ssm:GetParameter'], resources: ['*'] }, ...(decrypt ? [{ actions: ['kms:Decrypt'], resources: [KEY] }] : [])];
      });
    const without = withKey(false);
    expect(rf721(without.findings)).toEqual([]);
    expect(claimOf(without.proofs, 'docker')?.holds).toBe(true);
    const decrypts = withKey(true);
    expect(rf721(decrypts.findings).map((f) => f.message)).toEqual([expect.stringContaining(`kms:Decrypt with ${KEY}`)]);
    expect(claimOf(decrypts.proofs, 'docker')?.holds).toBe(false);
  });

  it("a job role granted exactly another runner's token parameter: RF721 for that runner only, at the granting runner's permissions", () => {
    const spec = replicatedExample('ecs-fargate', 3, (runner, i) => {
      if (i === 0) runner.jobs.permissions.aws.push({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate-2/runner-token'] });
    });
    const r = planValue(spec);
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe('runners[0].jobs.permissions.aws');
    expect(found[0]!.message).toMatch(/^the job role of runner fargate-0 acme-fargate-0-jobs \(aws_iam_role\.[^)]+\) can read the token of runner fargate-2 \(its token parameter \/runner-fleet\/acme\/fargate-2\/runner-token\): ssm:GetParameter;/);
    expect(claimOf(r.proofs, 'fargate-2')?.holds).toBe(false);
    expect(claimOf(r.proofs, 'fargate-0')?.holds).toBe(true);
    expect(claimOf(r.proofs, 'fargate-1')?.holds).toBe(true);
  });

  it("a job role that may read its own runner's token parameter (a grant under the runner's path): RF721", () => {
    const spec = replicatedExample('ecs-fargate', 2, (runner, i) => {
      if (i === 1) runner.jobs.permissions.aws.push({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate-1/*'] });
    });
    const r = planValue(spec);
    expect(rf721(r.findings).map((f) => [f.path, /can read the token of runner fargate-1 /.test(f.message)])).toEqual([['runners[1].jobs.permissions.aws', true]]);
    expect(claimOf(r.proofs, 'fargate-1')?.holds).toBe(false);
    expect(claimOf(r.proofs, 'fargate-0')?.holds).toBe(true);
  });
});

describe('doctor: the same proof on synth output', () => {
  const TASK_TOKEN = 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate/runner-token';
  const sound = (example: string) => doctor(exampleFiles(example).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })));
  /** The example's doctor result holds for `runner`; then the same files with role `key` granted ssm:GetParameter on `resource`. */
  const grantedRead = (example: string, runner: string, key: string, resource: string) => {
    const ok = sound(example);
    expect(rf721(ok.findings)).toEqual([]);
    expect(claimOf(ok.proofs, runner)?.holds).toBe(true);
    return doctor(damagedFiles(example, 'terraform/aws/main.tf.json', (root) => {
      const p = root.resource.aws_iam_role_policy![key]!;
      const doc = JSON.parse(String(p.policy)) as { Statement: unknown[] };
      doc.Statement.push({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: resource });
      p.policy = JSON.stringify(doc);
    }));
  };

  it('ecs-fargate undamaged: holds; the jobs role granted ssm:GetParameter on the token parameter: RF721 names aws_iam_role.fargate-jobs', () => {
    const r = grantedRead('ecs-fargate', 'fargate', 'fargate-jobs', TASK_TOKEN);
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/acme-fargate-jobs \(aws_iam_role\.fargate-jobs\) can read the token of runner fargate .*: ssm:GetParameter;/);
    expect(claimOf(r.proofs, 'fargate')?.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('id-tokens-vm: the ID-token role granted ssm:GetParameter on parameter/runner-fleet/*: RF721 names aws_iam_role.idt-infra', () => {
    const r = grantedRead('id-tokens-vm', 'docker', 'idt-infra', 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/*');
    const found = rf721(r.findings);
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/acme-idt-infra \(aws_iam_role\.idt-infra\) can read the token of every runner under \/runner-fleet\/acme\/ .*: ssm:GetParameter;/);
    expect(claimOf(r.proofs, 'docker')?.holds).toBe(false);
  });
});

describe('precision: which runners a pattern names, with the tags and key their parameters carry', () => {
  const ARN = 'arn:aws:ssm:eu-central-1:123456789012:parameter';

  it('a pattern /runner-fleet/acme/r* names the runners whose names start with r, not every runner', () => {
    const spec = replicatedExample('ecs-fargate', 4, (runner, i) => {
      runner.name = i < 2 ? `review-${i}` : `fargate-${i}`;
      if (i === 3) runner.jobs.permissions.aws.push({ actions: ['ssm:GetParameter'], resources: [`${ARN}/runner-fleet/acme/r*`] });
    });
    const r = planValue(spec);
    const found = rf721(r.findings);
    expect(found.map((f) => /can read the token of (runner [a-z0-9-]+|every runner)/.exec(f.message)?.[1]).sort()).toEqual(['runner review-0', 'runner review-1']);
    expect(found.every((f) => f.path === 'runners[3].jobs.permissions.aws')).toBe(true);
    expect(claimOf(r.proofs, 'review-0')?.holds).toBe(false);
    expect(claimOf(r.proofs, 'review-1')?.holds).toBe(false);
    expect(claimOf(r.proofs, 'fargate-2')?.holds).toBe(true);
    expect(claimOf(r.proofs, 'fargate-3')?.holds).toBe(true);
  });

  /** Runners review-0, review-1, fargate-2, fargate-3; the job role of fargate-3 granted `statements`; the runners whose token RF721 says it reads. */
  const readBy = (statements: Record<string, unknown>[]) => {
    const spec = replicatedExample('ecs-fargate', 4, (runner, i) => {
      runner.name = i < 2 ? `review-${i}` : `fargate-${i}`;
      if (i === 3) runner.jobs.permissions.aws.push(...statements);
    });
    return rf721(planValue(spec).findings).map((f) => /can read the token of (runner [a-z0-9-]+|every runner)/.exec(f.message)?.[1]).sort();
  };

  it('a ? matches one character: /runner-fleet/acme/r?????-* names review-0 and review-1; /runner-fleet/acme/* is every runner', () => {
    expect(readBy([{ actions: ['ssm:GetParameter'], resources: [`${ARN}/runner-fleet/acme/r?????-*`] }])).toEqual(['runner review-0', 'runner review-1']);
    expect(readBy([{ actions: ['ssm:GetParameter'], resources: [`${ARN}/runner-fleet/acme/*`] }])).toEqual(['every runner']);
  });

  it('a grant on * with a Deny of /runner-fleet/acme/review-*: the other runners, each named, not every runner', () => {
    expect(readBy([{ actions: ['ssm:GetParameter'], resources: ['*'] }, { effect: 'Deny', actions: ['ssm:GetParameter'], resources: [`${ARN}/runner-fleet/acme/review-*`] }])).toEqual(['runner fargate-2', 'runner fargate-3']);
  });

  it('a grant conditioned on the owner tag register writes (ssm:resourceTag/runner-fleet:owner) reads that runner: RF721', () => {
    const r = planMutated('id-tokens-vm', (s) => {
      s.idTokens.roles[0].permissions.aws = [{ actions: ['ssm:GetParameter'], resources: ['*'], conditions: { StringEquals: { 'ssm:resourceTag/runner-fleet:owner': 'acme/docker' } } }];
    });
    const found = rf721(r.findings);
    expect(found.map((f) => f.message)).toEqual([expect.stringMatching(/^the ID-token role infra acme-idt-infra .* can read the token of runner docker .*: ssm:GetParameter;/)]);
    expect(claimOf(r.proofs, 'docker')?.holds).toBe(false);
  });

  it("a grant conditioned on the provider's default_tags (aws:ResourceTag/runner-fleet-fleet) reads every runner: RF721 once", () => {
    const r = planMutated('id-tokens-vm', (s) => {
      s.idTokens.roles[0].permissions.aws = [{ actions: ['ssm:GetParameter'], resources: ['*'], conditions: { StringEquals: { 'aws:ResourceTag/runner-fleet-fleet': 'acme' } } }];
    });
    expect(rf721(r.findings).map((f) => /can read the token of every runner under \/runner-fleet\/acme\//.test(f.message))).toEqual([true]);
    expect(claimOf(r.proofs, 'docker')?.holds).toBe(false);
    // Another fleet's tag value: not these parameters.
    const other = planMutated('id-tokens-vm', (s) => {
      s.idTokens.roles[0].permissions.aws = [{ actions: ['ssm:GetParameter'], resources: ['*'], conditions: { StringEquals: { 'aws:ResourceTag/runner-fleet-fleet': 'other' } } }];
    });
    expect(rf721(other.findings)).toEqual([]);
  });
});

describe('doctor: the token key a parameter names, and its key policy', () => {
  const TASK_TOKEN = 'arn:aws:ssm:eu-central-1:123456789012:parameter/runner-fleet/acme/fargate/runner-token';
  type Root = Parameters<Parameters<typeof damagedFiles>[2]>[0];
  /** ecs-fargate with the jobs role granted `statements`, and the token parameter's key_id (and key resources) set by `keys`. */
  const withKey = (statements: unknown[], keys: (root: Root) => void) =>
    doctor(damagedFiles('ecs-fargate', 'terraform/aws/main.tf.json', (root) => {
      const p = root.resource.aws_iam_role_policy!['fargate-jobs']!;
      const doc = JSON.parse(String(p.policy)) as { Statement: unknown[] };
      doc.Statement.push(...statements);
      p.policy = JSON.stringify(doc);
      keys(root);
    }));
  const read = { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: TASK_TOKEN };
  const decrypt = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' };
  const keyed = (keyId: string, extra: Record<string, Record<string, unknown>> = {}, policy?: unknown) => (root: Root) => {
    const res = root.resource;
    res.aws_kms_key = { token: { description: 'runner tokens', ...(policy !== undefined ? { policy: JSON.stringify(policy) } : {}) } };
    for (const [type, bodies] of Object.entries(extra)) res[type] = bodies as Record<string, Record<string, unknown>>;
    for (const b of Object.values(res.aws_ssm_parameter!)) b.key_id = keyId;
  };
  const ROOT = { Sid: 'Account', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*', Resource: '*' };
  const fargateClaim = (r: ReturnType<typeof doctor>) => claimOf(r.proofs, 'fargate');

  it.each([
    ['${aws_kms_key.token.arn}', {}],
    ['${aws_kms_key.token.key_id}', {}],
    ['${aws_kms_alias.token.name}', { aws_kms_alias: { token: { name: 'alias/runner-tokens', target_key_id: '${aws_kms_key.token.key_id}' } } }],
    ['alias/runner-tokens', { aws_kms_alias: { token: { name: 'alias/runner-tokens', target_key_id: '${aws_kms_key.token.arn}' } } }],
  ])('key_id %s is the customer key aws_kms_key.token: reading alone is not enough, reading and kms:Decrypt is RF721', (keyId, extra) => {
    const readOnly = withKey([read], keyed(keyId, extra));
    expect(rf721(readOnly.findings)).toEqual([]);
    expect(fargateClaim(readOnly)?.holds).toBe(true);
    const both = withKey([read, decrypt], keyed(keyId, extra));
    expect(rf721(both.findings).map((f) => f.message)).toEqual([expect.stringMatching(/acme-fargate-jobs \(aws_iam_role\.fargate-jobs\) can read the token of runner fargate .*: ssm:GetParameter, kms:Decrypt with aws_kms_key\.token; it may decrypt with the token key aws_kms_key\.token through SSM/)]);
    expect(fargateClaim(both)?.holds).toBe(false);
  });

  it.each([
    ['${aws_kms_key.missing.arn}', /aws_kms_key\.missing is not in the documents given/],
    ['${aws_kms_alias.missing.arn}', /aws_kms_alias\.missing is not in the documents given/],
    ['alias/elsewhere', /the alias alias\/elsewhere is not in the documents given/],
    ['${data.aws_kms_key.token.arn}', /an expression the documents do not resolve to a key/],
  ])('key_id %s does not resolve: RF903 (not assumed to be aws/ssm), and the proof does not hold', (keyId, why) => {
    const r = withKey([], keyed(keyId));
    const rf903 = r.findings.filter((f) => f.code === 'RF903' && f.message.includes('key_id'));
    expect(rf903.map((f) => f.message)).toEqual([expect.stringMatching(why)]);
    expect(rf903[0]!.message).toContain('not assumed to be aws/ssm');
    expect(rf903[0]!.path).toMatch(/main\.tf\.json:\d+:\d+$/);
    expect(fargateClaim(r)?.holds).toBe(false);
  });

  it.each([
    ['${aws_kms_key.token.arn}', true],
    ['${aws_kms_key.other.arn}', false],
  ])('an IAM grant of kms:Decrypt on %s is read with the key it names (no RF906): the token key is decrypted: %s', (resource, decrypts) => {
    const r = withKey([read, { Effect: 'Allow', Action: 'kms:Decrypt', Resource: resource }], (root) => {
      keyed('${aws_kms_key.token.arn}')(root);
      root.resource.aws_kms_key!.other = { description: 'another key' };
    });
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903')).toEqual([]);
    expect(rf721(r.findings).map((f) => f.message)).toEqual(decrypts ? [expect.stringContaining('ssm:GetParameter, kms:Decrypt with aws_kms_key.token;')] : []);
    expect(fargateClaim(r)?.holds).toBe(!decrypts);
  });

  it('the key id in a condition (kms:... = ${aws_kms_key.token.key_id}) resolves too', () => {
    const grant = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: { StringLike: { 'kms:EncryptionContext:PARAMETER_ARN': '*' } } };
    const r = withKey([read, grant, { Effect: 'Deny', Action: 'kms:Decrypt', NotResource: 'arn:aws:kms:eu-central-1:123456789012:key/${aws_kms_key.token.key_id}' }], keyed('${aws_kms_key.token.arn}'));
    expect(r.findings.filter((f) => f.code === 'RF906')).toEqual([]);
    expect(rf721(r.findings).map((f) => f.message)).toEqual([expect.stringContaining('kms:Decrypt with aws_kms_key.token;')]);
  });

  it('a grant on a key the files do not hold (${aws_kms_key.missing.arn}) is not statically known, as before: RF906, and the proof does not hold', () => {
    const r = withKey([read, { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '${aws_kms_key.missing.arn}' }], keyed('${aws_kms_key.token.arn}'));
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903').map((f) => f.code)).not.toEqual([]);
    expect(fargateClaim(r)?.holds).toBe(false);
  });

  it('a key policy that grants the account root delegates to IAM: as without a policy', () => {
    const r = withKey([read, decrypt], keyed('${aws_kms_key.token.arn}', {}, { Version: '2012-10-17', Statement: [ROOT] }));
    expect(rf721(r.findings).map((f) => f.message)).toEqual([expect.stringContaining('kms:Decrypt with aws_kms_key.token;')]);
  });

  it('a key policy that grants the jobs role kms:Decrypt itself: RF721 without any IAM decrypt grant, naming the key policy', () => {
    const policy = { Version: '2012-10-17', Statement: [ROOT, { Sid: 'Jobs', Effect: 'Allow', Principal: { AWS: '${aws_iam_role.fargate-jobs.arn}' }, Action: 'kms:Decrypt', Resource: '*' }] };
    const r = withKey([read], keyed('${aws_kms_key.token.arn}', {}, policy));
    expect(rf721(r.findings).map((f) => f.message)).toEqual([expect.stringContaining('kms:Decrypt with aws_kms_key.token (its key policy grants the role itself)')]);
    expect(fargateClaim(r)?.holds).toBe(false);
  });

  it('a key policy that neither grants the account nor the role: IAM grants of kms:Decrypt do not count', () => {
    const policy = { Version: '2012-10-17', Statement: [{ Sid: 'Admins', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/key-admin' }, Action: 'kms:*', Resource: '*' }] };
    const r = withKey([read, decrypt], keyed('${aws_kms_key.token.arn}', {}, policy));
    expect(rf721(r.findings)).toEqual([]);
  });

  it('an aws_kms_key_policy replaces the key policy attribute; one the documents do not show is RF903, and the proof does not hold', () => {
    const direct = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '${aws_iam_role.fargate-jobs.arn}' }, Action: 'kms:Decrypt', Resource: '*' }] };
    const attached = withKey([read], keyed('${aws_kms_key.token.arn}', { aws_kms_key_policy: { token: { key_id: '${aws_kms_key.token.id}', policy: JSON.stringify(direct) } } }, { Version: '2012-10-17', Statement: [ROOT] }));
    expect(rf721(attached.findings).map((f) => f.message)).toEqual([expect.stringContaining('(its key policy grants the role itself)')]);
    const hidden = withKey([], keyed('${aws_kms_key.token.arn}', { aws_kms_key_policy: { token: { key_id: '${aws_kms_key.token.id}', policy: '${var.key_policy}' } } }));
    expect(hidden.findings.filter((f) => f.code === 'RF903' && /key policy of the token key aws_kms_key\.token is not shown/.test(f.message))).toHaveLength(1);
    expect(fargateClaim(hidden)?.holds).toBe(false);
  });

  it('a key policy not shown in an aws_kms_key_policy: its RF903 points at that resource, not at the aws_kms_key', () => {
    const files = damagedFiles('ecs-fargate', 'terraform/aws/main.tf.json', keyed('${aws_kms_key.token.arn}', { aws_kms_key_policy: { token: { key_id: '${aws_kms_key.token.id}', policy: '${var.key_policy}' } } }));
    const text = new TextDecoder().decode(files.find((f) => f.path === 'terraform/aws/main.tf.json')!.bytes);
    const lineOf = (needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
    const rf903 = doctor(files).findings.filter((f) => f.code === 'RF903' && /key policy of the token key aws_kms_key\.token is not shown/.test(f.message));
    // The resource's name is on the line after its type's.
    expect(rf903.map((f) => Number(/:(\d+):\d+$/.exec(f.path)?.[1]))).toEqual([lineOf('"aws_kms_key_policy"') + 1]);
  });
});

describe('doctor: the tags a token parameter carries', () => {
  it("a grant conditioned on the provider's default_tags in the Terraform given reads every runner: RF721 once", () => {
    const r = doctor(damagedFiles('id-tokens-vm', 'terraform/aws/main.tf.json', (root) => {
      const p = root.resource.aws_iam_role_policy!['idt-infra']!;
      const doc = JSON.parse(String(p.policy)) as { Statement: unknown[] };
      doc.Statement.push({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/runner-fleet-fleet': 'acme' } } });
      p.policy = JSON.stringify(doc);
    }));
    expect(rf721(r.findings).map((f) => f.message)).toEqual([expect.stringMatching(/acme-idt-infra \(aws_iam_role\.idt-infra\) can read the token of every runner under \/runner-fleet\/acme\/ .*: ssm:GetParameter;/)]);
    expect(claimOf(r.proofs, 'docker')?.holds).toBe(false);
  });

  it("a parameter made with an aliased aws provider carries that provider's default_tags, not those of the provider without an alias", () => {
    // Two providers: the fleet's (no alias; runner-fleet-fleet = acme) and one the token parameters are made with (team = tokens).
    const grantOn = (tag: string, value: string) =>
      doctor(damagedFiles('id-tokens-vm', 'terraform/aws/main.tf.json', (root) => {
        (root.provider!.aws as Record<string, unknown>[]).push({ alias: 'tokens', region: 'eu-central-1', default_tags: { tags: { team: 'tokens' } } });
        for (const b of Object.values(root.resource.aws_ssm_parameter ?? {})) b.provider = 'aws.tokens';
        const p = root.resource.aws_iam_role_policy!['idt-infra']!;
        const doc = JSON.parse(String(p.policy)) as { Statement: unknown[] };
        doc.Statement.push({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*', Condition: { StringEquals: { [`aws:ResourceTag/${tag}`]: value } } });
        p.policy = JSON.stringify(doc);
      }));
    const tokens = grantOn('team', 'tokens');
    expect(rf721(tokens.findings).map((f) => f.message)).toEqual([expect.stringMatching(/acme-idt-infra \(aws_iam_role\.idt-infra\) can read the token of runner docker \(its token parameter \/runner-fleet\/acme\/docker\/runner-token\): ssm:GetParameter;/)]);
    expect(claimOf(tokens.proofs, 'docker')?.holds).toBe(false);
    // The default provider's tag is not on these parameters: that grant reads none of them.
    const fleet = grantOn('runner-fleet-fleet', 'acme');
    expect(rf721(fleet.findings)).toEqual([]);
    expect(claimOf(fleet.proofs, 'docker')?.holds).toBe(true);
  });
});

/**
 * The hand-written EC2 Docker runner of the doctor helpers, reading its token parameter, encrypted
 * with a key of the files and tagged by the user (`parameter` adds to it); `policy` is the inline
 * policy of its GitLab ID-token role.
 */
function handWrittenVm(parameter: string, policy: string): InputFile[] {
  return handWrittenDockerVm({
    folder: 'vm',
    userDataTail: 'token="$(aws ssm get-parameter --name /ci/docker-ci/token --with-decryption --query Parameter.Value --output text)"\n',
    provider: '  allowed_account_ids = ["111122223333"]\n',
    resources: `
resource "aws_kms_key" "token" {
  description = "runner tokens"
}

resource "aws_kms_key" "other" {
  description = "something else"
}

resource "aws_ssm_parameter" "token" {
  name  = "/ci/docker-ci/token"
  type  = "SecureString"
  value = "placeholder"
${parameter}
  lifecycle { ignore_changes = [value] }
}
`,
    ciStatements: [
      '{ Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" }',
      '{ Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.token.arn }',
    ],
    deployPolicy: policy,
  });
}

describe('doctor (HCL): policies that name the token key by reference, and the tags a hand-written parameter carries', () => {
  const CLAIM = /^only the manager .*can read the token parameter \/ci\/docker-ci\/token/;
  const claim = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => CLAIM.test(p.claim));
  const read = '{ Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/*" }';
  const withKey = '  key_id = aws_kms_key.token.arn';

  it('the manager\'s kms:Decrypt on aws_kms_key.token.arn (the key_id of its parameter) is read, not RF906: the manager proofs hold', () => {
    const r = doctor(handWrittenVm(withKey, 'jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ecs:UpdateService", Resource = "*" }] })'));
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903' || f.code === 'RF901')).toEqual([]);
    expect(claim(r)?.holds).toBe(true);
  });

  it.each([
    ['aws_kms_key.token.arn', true],
    ['"arn:aws:kms:eu-west-1:111122223333:key/${aws_kms_key.token.key_id}"', true],
    ['aws_kms_key.other.arn', false],
  ])('an ID-token role that reads the parameter and may kms:Decrypt %s: RF721 %s', (resource, reads) => {
    const r = doctor(handWrittenVm(withKey, `jsonencode({ Version = "2012-10-17", Statement = [${read}, { Effect = "Allow", Action = "kms:Decrypt", Resource = ${resource} }] })`));
    expect(r.findings.filter((f) => f.code === 'RF906' || f.code === 'RF903' || f.code === 'RF901')).toEqual([]);
    expect(rf721(r.findings).map((f) => f.message)).toEqual(reads ? [expect.stringMatching(/gitlab-deploy \(aws_iam_role\.deploy\) can read the token of .*: ssm:GetParameter, kms:Decrypt with aws_kms_key\.token;/)] : []);
    expect(claim(r)?.holds).toBe(!reads);
  });

  it('a policy naming a key the files do not hold (aws_kms_key.missing.arn) stays unknown: RF903, and the proof does not hold', () => {
    const r = doctor(handWrittenVm(withKey, `jsonencode({ Version = "2012-10-17", Statement = [${read}, { Effect = "Allow", Action = "kms:Decrypt", Resource = aws_kms_key.missing.arn }] })`));
    expect(r.findings.filter((f) => f.code === 'RF903' && f.message.includes('aws_kms_key.missing'))).not.toEqual([]);
    expect(claim(r)?.holds).toBe(false);
  });

  it.each([
    ['platform', true],
    ['other', false],
  ])('a grant on * conditioned on ssm:resourceTag/team = platform, the parameter tagged team = %s by the user: RF721 %s', (team, reads) => {
    const r = doctor(handWrittenVm(`  tags = { team = "${team}" }`, 'jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "ssm:GetParameter", Resource = "*", Condition = { StringEquals = { "ssm:resourceTag/team" = "platform" } } }] })'));
    expect(rf721(r.findings).map((f) => f.message)).toEqual(reads ? [expect.stringMatching(/gitlab-deploy \(aws_iam_role\.deploy\) can read the token of runner docker-ci .*: ssm:GetParameter;/)] : []);
    expect(claim(r)?.holds).toBe(!reads);
  });
});

describe('doctor: a token reader decided over tags the files do not show (never guessed either way)', () => {
  const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
  const CLAIM = /^only the manager .*can read the token parameter \/ci\/docker-ci\/token/;
  const claim = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => CLAIM.test(p.claim));
  const shown = (r: ReturnType<typeof doctor>) => r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`);

  describe('a tag of the reading role (aws:PrincipalTag)', () => {
    const CASE = join(CORPUS, 'ec2-docker-token-reader-principal-tag-unresolved');
    const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);
    const ALLOW_ON_TEAM = '        Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }\n      },\n';

    it('an Allow of ssm:GetParameter and kms:Decrypt on * for team = platform, the role\'s team from a variable: RF903 at the role\'s tags, the proof not made (before: proven)', () => {
      const r = doctor(corpusFiles(CASE));
      expect(shown(r)).toEqual(['RF903 info main.tf:73:10']);
      expect(r.findings[0]!.message).toBe('whether role gitlab-deploy can read the token of every runner under /ci/docker-ci/ (its grant covers any runner name there): ssm:GetParameter, kms:Decrypt with aws_kms_key.token is not shown: the policies test aws:PrincipalTag/team, and the value of its tag team is not in the documents');
      expect(r.findings[0]!.fix).toContain('make the role\'s tags statically known');
      expect(claim(r)?.holds).toBe(false);
      expect(r.exitCode).toBe(0);
      // The tag made known: platform reads the token (RF721, as the answer over tags foresaw); ci reads nothing.
      const platform = edited(['team = var.team', 'team = "platform"']);
      expect(rf721(platform.findings).map((f) => f.message)).toEqual([expect.stringMatching(/^the ID-token role gitlab-deploy \(aws_iam_role\.deploy\) can read the token of every runner under \/ci\/docker-ci\/ .*: ssm:GetParameter, kms:Decrypt with aws_kms_key\.token;/)]);
      const ci = edited(['team = var.team', 'team = "ci"']);
      expect(ci.findings).toEqual([]);
      expect(claim(ci)?.holds).toBe(true);
    });

    it('a Deny keyed on the tag beside a plain Allow: RF903, not the RF721 asked with the tag left out (a team = app role is refused)', () => {
      const r = edited(['Resource  = "*"\n' + ALLOW_ON_TEAM, 'Resource  = "*"\n      },\n      {\n        Effect    = "Deny"\n        Action    = ["ssm:GetParameter", "kms:Decrypt"]\n        Resource  = "*"\n        Condition = { StringEquals = { "aws:PrincipalTag/team" = "app" } }\n      },\n']);
      expect(shown(r)).toEqual(['RF903 info main.tf:73:10']);
      expect(r.findings[0]!.message).toContain('whether role gitlab-deploy can read the token of every runner under /ci/docker-ci/');
      expect(claim(r)?.holds).toBe(false);
      expect(r.exitCode).toBe(0);
    });

    it('the token key\'s policy grants kms:Decrypt to principals tagged team = platform, the role reads the parameter: RF903 (before: proven, the key policy asked without the tag)', () => {
      const keyPolicy = (grant: string) => ['  description = "runner tokens"\n', `  description = "runner tokens"\n  policy = jsonencode({\n    Version = "2012-10-17"\n    Statement = [\n      { Sid = "Admins", Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:role/key-admin" }, Action = "kms:*", Resource = "*" },\n      { Sid = "Manager", Effect = "Allow", Principal = { AWS = aws_iam_role.ci.arn }, Action = "kms:Decrypt", Resource = "*", Condition = { StringEquals = { "kms:ViaService" = "ssm.eu-west-1.amazonaws.com", "kms:EncryptionContext:PARAMETER_ARN" = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" } } },\n${grant}    ]\n  })\n`] as [string, string];
      const readOnly: [string, string] = ['        Action    = ["ssm:GetParameter", "kms:Decrypt"]\n        Resource  = "*"\n' + ALLOW_ON_TEAM, '        Action    = "ssm:GetParameter"\n        Resource  = "*"\n      },\n'];
      const r = edited(readOnly, keyPolicy('      { Sid = "Platform", Effect = "Allow", Principal = { AWS = "*" }, Action = "kms:Decrypt", Resource = "*", Condition = { StringEquals = { "aws:PrincipalAccount" = "111122223333", "aws:PrincipalTag/team" = "platform" } } },\n'));
      expect(shown(r)).toEqual(['RF903 info main.tf:81:10']);
      expect(r.findings[0]!.message).toContain('ssm:GetParameter, kms:Decrypt with aws_kms_key.token is not shown: the policies test aws:PrincipalTag/team');
      expect(claim(r)?.holds).toBe(false);
      // Guard: an IAM grant of kms:Decrypt keyed on the tag, under a key policy that neither grants the role nor lets IAM decide: refused whatever the tag.
      const refused = edited(keyPolicy(''));
      expect(refused.findings).toEqual([]);
      expect(claim(refused)?.holds).toBe(true);
    });

    it('guard: the same tag-keyed Allow on other parameters only (/app/*): sound whatever the tag, no RF903', () => {
      const r = edited(['Resource  = "*"\n' + ALLOW_ON_TEAM, 'Resource  = ["arn:aws:ssm:eu-west-1:111122223333:parameter/app/*", aws_kms_key.token.arn]\n' + ALLOW_ON_TEAM]);
      expect(r.findings).toEqual([]);
      expect(r.proofs.every((p) => p.holds)).toBe(true);
    });
  });

  describe('a tag of the token parameter (ssm:resourceTag)', () => {
    const CASE = join(CORPUS, 'ec2-docker-token-parameter-tag-unresolved');
    const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);

    it('the parameter tagged team = var.team, a grant on every parameter tagged team = platform: RF903 at the parameter\'s tags, the proof not made (before: proven)', () => {
      const r = doctor(corpusFiles(CASE));
      expect(shown(r)).toEqual(['RF903 info main.tf:24:10']);
      expect(r.findings[0]!.message).toBe('whether role gitlab-deploy can read the token of runner docker-ci (its token parameter /ci/docker-ci/token): ssm:GetParameter, kms:Decrypt with aws_kms_key.token is not shown: the policies test the resource tag team, and the value of the tag team of the token parameter /ci/docker-ci/token is not in the documents');
      expect(r.findings[0]!.fix).toContain('make the tags of aws_ssm_parameter.token statically known');
      expect(claim(r)?.holds).toBe(false);
      expect(r.exitCode).toBe(0);
      const platform = edited(['    team = var.team\n', '    team = "platform"\n']);
      expect(rf721(platform.findings).map((f) => f.message)).toEqual([expect.stringMatching(/^the ID-token role gitlab-deploy \(aws_iam_role\.deploy\) can read the token of runner docker-ci .*: ssm:GetParameter, kms:Decrypt with aws_kms_key\.token;/)]);
      const ci = edited(['    team = var.team\n', '    team = "ci"\n']);
      expect(ci.findings).toEqual([]);
      expect(claim(ci)?.holds).toBe(true);
    });

    it('tags that are not a literal map (tags = var.tags): RF903 saying which tags the parameter has is not shown', () => {
      const r = edited(['variable "team" {', 'variable "tags" {\n  type = map(string)\n}\n\nvariable "team" {'], ['  tags = {\n    team = var.team\n  }\n', '  tags = var.tags\n']);
      expect(shown(r).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['RF903 info']);
      expect(r.findings[0]!.message).toContain('the policies test the resource tag team, and the tags of the token parameter /ci/docker-ci/token (its tags, or the aws provider\'s default_tags) are not in the documents');
      expect(claim(r)?.holds).toBe(false);
    });

    it('the aws provider\'s default_tags give team = var.team to every parameter: RF903 once, for every runner under the prefix', () => {
      const r = edited(['  tags = {\n    team = var.team\n  }\n', ''], ['  allowed_account_ids = ["111122223333"]\n', '  allowed_account_ids = ["111122223333"]\n  default_tags {\n    tags = {\n      team = var.team\n    }\n  }\n']);
      expect(shown(r).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['RF903 info']);
      expect(r.findings[0]!.message).toContain('whether role gitlab-deploy can read the token of every runner under /ci/docker-ci/ (its grant covers any runner name there): ssm:GetParameter, kms:Decrypt with aws_kms_key.token is not shown: the policies test the resource tag team, and the value of the tag team of the token parameters under /ci/docker-ci/ is not in the documents');
      expect(claim(r)?.holds).toBe(false);
    });

    it('guard: a grant keyed on the tag on other parameters only (/app/*): sound whatever the tag, no RF903', () => {
      const r = edited(['        Resource  = "*"\n        Condition = { StringEquals = { "ssm:resourceTag/team" = "platform" } }', '        Resource  = "arn:aws:ssm:eu-west-1:111122223333:parameter/app/*"\n        Condition = { StringEquals = { "ssm:resourceTag/team" = "platform" } }']);
      expect(r.findings).toEqual([]);
      expect(r.proofs.every((p) => p.holds)).toBe(true);
    });
  });
});
