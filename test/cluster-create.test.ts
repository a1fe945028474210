import { describe, expect, it } from 'vitest';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { compilePolicy, evaluatePolicies, PolicyGrammarError } from '../src/verify/iam/evaluator.js';
import type { PolicyDocument } from '../src/verify/iam/types.js';
import { misfit, proveScheduling, tolerates, type NodePool, type PodIntent } from '../src/verify/scheduling.js';
import { planExample, planMutated } from './helpers/fleet.js';
import { CLUSTER_DOC_CASES, CLUSTER_SPEC_CASES, CLUSTER_SPEC_ERRORS, res } from './helpers/cluster.js';

describe('created clusters: rules a spec triggers (the example is the passing case)', () => {
  it.each(CLUSTER_SPEC_CASES)('$code: $name', ({ base, mutate, code, severity }) => {
    const before = planExample(base);
    expect(before.findings.filter((f) => f.code === code)).toEqual([]);
    const after = planMutated(base, mutate);
    expect(after.exitCode, JSON.stringify(after.findings, null, 1)).not.toBe(2);
    const hit = after.findings.find((f) => f.code === code);
    expect(hit, JSON.stringify(after.findings, null, 1)).toBeDefined();
    expect(hit!.severity).toBe(severity);
    expect(hit!.fix ?? '').not.toBe('');
  });

  it('a runner whose jobs fit nowhere names the labels, the node groups and the fix', () => {
    const plan = planMutated('eks-create-eksctl', (s) => (s.runners[0].jobs.nodeSelector = { nodepool: 'prod' }));
    const hit = plan.findings.find((f) => f.code === 'RF801')!;
    expect(hit.path).toBe('runners[0].jobs.nodeSelector');
    expect(hit.message).toContain('nodepool=prod');
    expect(hit.allowed).toContain('dev {');
    expect(hit.fix).toContain('clusters[0].create.nodeGroups');
    expect(plan.proofs.find((p) => p.claim.startsWith('job pods'))!.holds).toBe(false);
    expect(plan.exitCode).toBe(1);
  });

  it('existing clusters get no scheduling claim (their nodes are in no document)', () => {
    const plan = planExample('eks-irsa');
    expect(plan.proofs.some((p) => /node group/.test(p.claim))).toBe(false);
  });
});

describe('created clusters: rules only broken documents trigger', () => {
  it.each(CLUSTER_DOC_CASES)('$code: $name', ({ base, mutate, code }) => {
    const plan = planExample(base);
    expect(plan.findings.filter((f) => f.code === code)).toEqual([]);
    const docs = structuredClone(plan.emitted!);
    mutate(docs);
    const codes = verifyFleet(intentOf(plan.fleet!), docs).findings.map((f) => f.code);
    expect(codes).toContain(code);
  });
});

describe('created clusters: impossible combinations are spec errors', () => {
  it.each(CLUSTER_SPEC_ERRORS)('$code at $path: $name', ({ base, mutate, code, path }) => {
    const plan = planMutated(base, mutate);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toContain(`${code} ${path}`);
  });
});

describe('the issuer symbol of a created cluster', () => {
  const plan = planExample('eks-create-eksctl');
  const root = plan.emitted!.terraformAws!;
  const trust = JSON.parse(String(res(plan.emitted!).aws_iam_role!['dev-manager']!.assume_role_policy)) as PolicyDocument;
  const compiled = compilePolicy(trust);
  const sym = '${local.eks_oidc_devops}';
  const request = (hostPath: string, sub = 'system:serviceaccount:dev:dev-manager', aud = 'sts.amazonaws.com') => ({
    principal: { type: 'Federated' as const, id: `arn:aws:iam::123456789012:oidc-provider/${hostPath}` },
    action: 'sts:AssumeRoleWithWebIdentity',
    resource: '*',
    context: { [`${hostPath}:sub`]: sub, [`${hostPath}:aud`]: aud },
  });

  it('is the same token in the provider ARN and the condition keys, defined from the cluster through the OIDC provider', () => {
    expect(JSON.stringify(trust)).toContain(`oidc-provider/${sym}`);
    expect(JSON.stringify(trust)).toContain(`${sym}:sub`);
    expect(root.resource.aws_iam_openid_connect_provider!.devops!.url).toBe('${aws_eks_cluster.devops.identity[0].oidc[0].issuer}');
    expect(root.locals!.eks_oidc_devops).toBe('${trimprefix(aws_iam_openid_connect_provider.devops.arn, "arn:aws:iam::123456789012:oidc-provider/")}');
    // No issuer URL is copied anywhere in the root.
    expect(JSON.stringify(root)).not.toMatch(/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\//);
  });

  it.each([
    ['the symbol with the right subject and audience', sym, undefined, undefined, 'allow'],
    ['another issuer (a real host path)', 'oidc.eks.eu-central-1.amazonaws.com/id/0THERC1USTER0000000000000000000', undefined, undefined, 'implicit-deny'],
    ["another cluster's symbol", '${local.eks_oidc_other}', undefined, undefined, 'implicit-deny'],
    ['the symbol, another service account', sym, 'system:serviceaccount:dev:dev-jobs', undefined, 'implicit-deny'],
    ['the symbol, another audience', sym, undefined, 'https://attacker.example', 'implicit-deny'],
  ] as const)('%s: %s', (_name, hostPath, sub, aud, decision) => {
    expect(evaluatePolicies({ resource: [compiled] }, request(hostPath, sub, aud))).toBe(decision);
  });

  it.each([
    ['a function call in a condition key', { 'StringEquals': { '${trimprefix(x, "y")}:sub': 'a' } }],
    ['a symbol in a condition value', { 'StringEquals': { 'k:sub': '${local.x}' } }],
    ['an IAM policy variable in a condition key', { 'StringEquals': { '${aws:username}:sub': 'a' } }],
    ['a template directive', { 'StringEquals': { '%{if true}x%{endif}:sub': 'a' } }],
    ['an escaped interpolation', { 'StringEquals': { '$${local.x}:sub': 'a' } }],
  ])('refuses %s', (_name, condition) => {
    const doc: PolicyDocument = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/${local.x}' }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: condition }] };
    expect(() => compilePolicy(doc)).toThrow(PolicyGrammarError);
  });

  it('refuses a symbol where it could stand for a wildcard (Resource, Action, AWS principal)', () => {
    expect(() => compilePolicy({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::${local.bucket}/*' }] })).toThrow(PolicyGrammarError);
    expect(() => compilePolicy({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/${local.r}' }, Action: 'sts:AssumeRole' }] })).toThrow(PolicyGrammarError);
  });

  it('the vpc-cni role trusts exactly kube-system/aws-node of this cluster', () => {
    const cni = compilePolicy(JSON.parse(String(res(plan.emitted!).aws_iam_role!.devops_vpc_cni!.assume_role_policy)) as PolicyDocument);
    expect(evaluatePolicies({ resource: [cni] }, request(sym, 'system:serviceaccount:kube-system:aws-node'))).toBe('allow');
    expect(evaluatePolicies({ resource: [cni] }, request(sym, 'system:serviceaccount:dev:dev-jobs'))).toBe('implicit-deny');
  });
});

describe('scheduling: node pools against pods', () => {
  const pool = (name: string, labels: Record<string, string>, taints: NodePool['taints'] = [], spot = false): NodePool => ({ name, labels, taints, spot });
  const pod = (nodeSelector: Record<string, string>, tolerations: PodIntent['tolerations'] = [], purpose: PodIntent['purpose'] = 'jobs'): PodIntent => ({ runner: 'r', runnerPath: 'runners[0]', purpose, nodeSelector, tolerations });
  const ci = pool('ci', { role: 'ci' }, [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }]);

  it.each([
    ['selector matches, no taints', pod({ role: 'ci' }), pool('p', { role: 'ci' }), true],
    ['selector misses', pod({ role: 'gpu' }), pool('p', { role: 'ci' }), false],
    ['empty selector fits anything untainted', pod({}), pool('p', { role: 'ci' }), true],
    ['taint not tolerated', pod({ role: 'ci' }), ci, false],
    ['taint tolerated (Equal)', pod({ role: 'ci' }, [{ key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' }]), ci, true],
    ['taint tolerated with another value', pod({ role: 'ci' }, [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }]), ci, false],
    ['taint tolerated (Exists, any effect)', pod({ role: 'ci' }, [{ key: 'dedicated', operator: 'Exists' }]), ci, true],
    ['toleration of another effect', pod({ role: 'ci' }, [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }]), ci, false],
    ['PreferNoSchedule never blocks', pod({}), pool('p', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]), true],
  ] as const)('%s', (_name, p, n, fits) => {
    expect(misfit(p, n) === undefined).toBe(fits);
  });

  it('an empty-key Exists toleration tolerates every taint', () => {
    expect(tolerates([{ operator: 'Exists' }], { key: 'anything', value: 'v', effect: 'NoExecute' })).toBe(true);
  });

  it('a manager that fits only spot pools is a warning; one on-demand pool removes it', () => {
    const spot = pool('spot', {}, [], true);
    const input = (pools: NodePool[]) => [{ cluster: 'c', poolsPath: 'clusters[0].create.nodeGroups', pools, pods: [pod({}, [], 'manager')] }];
    expect(proveScheduling(input([spot])).findings.map((f) => f.code)).toEqual(['RF803']);
    expect(proveScheduling(input([spot, pool('od', {})])).findings).toEqual([]);
  });
});

describe('secrets encryption key', () => {
  it('a created key lets the cluster role use it; a given key gets a role policy on exactly that key', () => {
    const created = planExample('eks-create-eksctl');
    const key = res(created.emitted!).aws_kms_key!.devops_secrets!;
    expect(String(key.policy)).toContain('arn:aws:iam::123456789012:role/acme-eks-devops-cluster');
    expect(res(created.emitted!).aws_iam_role_policy!.devops_cluster_secrets).toBeUndefined();
    const arn = 'arn:aws:kms:eu-central-1:123456789012:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d';
    const given = planMutated('eks-create-eksctl', (s) => (s.clusters[0].create.secretsKmsKeyArn = arn));
    expect(given.exitCode).toBe(0);
    expect(res(given.emitted!).aws_kms_key).toBeUndefined();
    expect(String(res(given.emitted!).aws_iam_role_policy!.devops_cluster_secrets!.policy)).toContain(arn);
    expect((res(given.emitted!).aws_eks_cluster!.devops!.encryption_config as { provider: { key_arn: string } }).provider.key_arn).toBe(arn);
  });
});
