import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { synthFiles } from '../src/core.js';
import type { EmittedFleet } from '../src/emit/types.js';
import type { K8sObject } from '../src/emit/artifacts.js';
import type { PolicyDocument, Statement } from '../src/verify/iam/types.js';
import { eksToken, parseEksKubeApi } from '../src/live/eks-kube.js';
import { KubernetesSecretStore } from '../src/live/kubernetes.js';
import { planExample, planMutated } from './helpers/fleet.js';
import { ROTATOR_KUBE_TESTED, rotatorRuleCases, type RotatorCase } from './helpers/rotator.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';

/** The token rotator's Kubernetes identity for Secret stores of API-registered EKS runners: emitted, proven, refused where incoherent. */

const EXAMPLE = 'eks-api-rotation';
const USER = 'runner-fleet:acme:token-rotator';
const codes = (findings: { code: string }[]) => findings.map((f) => f.code);
type Root = { resource: Record<string, Record<string, Record<string, unknown>>> };
const awsRoot = (docs: EmittedFleet) => docs.terraformAws as unknown as Root;
const rotatorObjects = (docs: EmittedFleet, runner: string) => docs.runners.get(runner)!.manifests.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'token-rotator');
const roleOf = (docs: EmittedFleet, runner = 'dev') => rotatorObjects(docs, runner).find((o) => o.kind === 'Role') as K8sObject & { rules: Record<string, string[]>[] };
const bindingOf = (docs: EmittedFleet, runner = 'dev') => rotatorObjects(docs, runner).find((o) => o.kind === 'RoleBinding')!;
const setManifests = (docs: EmittedFleet, runner: string, edit: (m: K8sObject[]) => K8sObject[]) => {
  const r = docs.runners.get(runner)!;
  r.manifests = edit(r.manifests);
};
const policyOf = (docs: EmittedFleet) => JSON.parse(awsRoot(docs).resource.aws_iam_role_policy!['token-rotator']!.policy as string) as PolicyDocument;
const setPolicy = (docs: EmittedFleet, edit: (s: Statement[]) => void) => {
  const doc = policyOf(docs);
  edit(doc.Statement as Statement[]);
  awsRoot(docs).resource.aws_iam_role_policy!['token-rotator']!.policy = JSON.stringify(doc);
};
const entry = (docs: EmittedFleet) => awsRoot(docs).resource.aws_eks_access_entry!['devops_token-rotator']!;

describe('the token rotator on EKS (Kubernetes Secret stores)', () => {
  const plan = planExample(EXAMPLE);

  it('maps the rotator role to one Kubernetes user with an access entry: STANDARD, no group, no access policy', () => {
    expect(plan.exitCode).toBe(0);
    expect(entry(plan.emitted!)).toEqual({ cluster_name: 'devops', principal_arn: '${aws_iam_role.token-rotator.arn}', type: 'STANDARD', user_name: USER });
    expect(awsRoot(plan.emitted!).resource.aws_eks_access_policy_association).toBeUndefined();
    expect(policyOf(plan.emitted!).Statement).toEqual([{ Sid: 'DescribeRunnerClusters', Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: 'arn:aws:eks:eu-central-1:123456789012:cluster/devops' }]);
  });

  it('grants, per runner namespace, get/update on the token Secret and get/patch on the manager Deployment, by name', () => {
    for (const [runner, ns] of [['dev', 'ci-dev'], ['prod', 'ci-prod']] as const) {
      const role = roleOf(plan.emitted!, runner);
      expect(role.metadata.namespace).toBe(ns);
      expect(role.rules).toEqual([
        { apiGroups: [''], resources: ['secrets'], resourceNames: [`${runner}-runner-token`], verbs: ['get', 'update'] },
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: [`${runner}-gitlab-runner`], verbs: ['get', 'patch'] },
      ]);
      expect(bindingOf(plan.emitted!, runner).subjects).toEqual([{ kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' }]);
    }
    const files = synthFiles(plan).map((f) => f.path);
    expect(files).toContain('kubernetes/dev/token-rotator.yaml');
    expect(files).toContain('kubernetes/prod/token-rotator.yaml');
  });

  it('the pipeline reaches the cluster as the rotator role, with no kubeconfig', () => {
    const text = synthFiles(plan).find((f) => f.path === 'pipelines/rotate-tokens.gitlab-ci.yml')!.content;
    const job = (parseYaml(text) as Record<string, { script: string[]; id_tokens: unknown; variables: Record<string, string> }>)['rotate-runner-tokens']!;
    expect(job.script.at(-1)).toContain('--kube-api devops=eks:devops@eu-central-1');
    expect(job.variables.AWS_ROLE_ARN).toBe('$RUNNER_FLEET_ROTATOR_ROLE_ARN');
    expect(job.id_tokens).toEqual({ AWS_ID_TOKEN: { aud: 'sts.amazonaws.com' } });
  });

  it('plan shows the Kubernetes proof line', () => {
    const claims = plan.proofs.filter((p) => p.runner === 'id-token token-rotator');
    expect(claims.map((p) => p.holds)).toEqual([true, true, true]);
    expect(claims[2]!.claim).toContain(`Kubernetes user ${USER}`);
  });

  const cases: RotatorCase[] = [
    ['RF129', 'a Role without resourceNames', (d) => delete roleOf(d).rules[0]!.resourceNames],
    ['RF129', 'a Role with * verbs', (d) => (roleOf(d).rules[1]!.verbs = ['*'])],
    ['RF129', 'list on secrets', (d) => roleOf(d).rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['list'] })],
    // Stop 57: the Role reads its manager Deployment (get, by name); reading every Deployment of the namespace is more.
    ['RF129', 'get on every Deployment of the namespace', (d) => roleOf(d).rules.push({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] })],
    ['RF129', 'list on deployments', (d) => roleOf(d).rules.push({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] })],
    ['RF129', 'a ClusterRoleBinding to a ClusterRole', (d) => setManifests(d, 'dev', (m) => [...m, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'rotator-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'User', name: USER, apiGroup: 'rbac.authorization.k8s.io' }] }])],
    ['RF129', 'a binding in a namespace it rotates nothing in', (d) => setManifests(d, 'dev', (m) => [...m, { ...bindingOf(d), metadata: { ...bindingOf(d).metadata, namespace: 'kube-system' } }])],
    ['RF134', 'the access entry in system:masters', (d) => (entry(d).kubernetes_groups = ['system:masters'])],
    ['RF134', 'another username', (d) => (entry(d).user_name = 'admin')],
    ['RF134', 'an access policy association', (d) => (awsRoot(d).resource.aws_eks_access_policy_association = { rot: { cluster_name: 'devops', principal_arn: '${aws_eks_access_entry.devops_token-rotator.principal_arn}', policy_arn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', access_scope: { type: 'cluster' } } })],
    ['RF127', 'no patch on the Deployment', (d) => roleOf(d).rules.pop()],
    ['RF127', 'no access entry', (d) => delete awsRoot(d).resource.aws_eks_access_entry!['devops_token-rotator']],
    ['RF127', 'no eks:DescribeCluster', (d) => setPolicy(d, (s) => (s[0]!.Resource = 'arn:aws:eks:eu-central-1:123456789012:cluster/other'))],
    ['RF126', 'eks:DescribeCluster on every cluster', (d) => setPolicy(d, (s) => (s[0]!.Resource = '*'))],
    ['RF126', 'eks:* on its cluster', (d) => setPolicy(d, (s) => (s[0]!.Action = 'eks:*'))],
  ];

  rotatorRuleCases(plan, cases, ROTATOR_KUBE_TESTED, ['RF128'], 'id-token token-rotator', "the rotator's Kubernetes identity");

  it('a Role written before stop 57 (patch alone on the Deployment, no get) is neither missing nor excessive', () => {
    const docs = structuredClone(plan.emitted!);
    for (const runner of ['dev', 'prod']) roleOf(docs, runner).rules[1]!.verbs = ['patch'];
    const v = verifyFleet(intentOf(plan.fleet!), docs);
    expect(v.findings.map((f) => f.code).filter((c) => c === 'RF127' || c === 'RF129')).toEqual([]);
    expect(v.proofs.filter((p) => p.runner === 'id-token token-rotator').map((p) => p.holds)).toEqual([true, true, true]);
  });

  it.each([
    // An existing AKS cluster the spec does not declare Entra-integrated (test/ops-rotator-aks.test.ts has the rest).
    ['an AKS runner registered through the API on a cluster without Entra ID', 'aks-workload-identity', (s: Record<string, any>) => {
      s.runners[0].gitlab.registration = 'api';
      s.operations = { rotation: { project: 'contoso/platform/runner-fleet' } };
    }, 'clusters[0]'],
    ['an EKS cluster in CONFIG_MAP mode', EXAMPLE, (s: Record<string, any>) => (s.clusters[0].authenticationMode = 'CONFIG_MAP'), 'clusters[0].authenticationMode'],
  ])('RF128: %s is refused with the spec path and a fix, and the plan fails', (_what, example, mutate, path) => {
    expect(codes(planExample(example).findings)).not.toContain('RF128');
    const bad = planMutated(example, mutate);
    const hit = bad.findings.find((f) => f.code === 'RF128');
    expect(hit?.path).toBe(path);
    expect(hit?.fix).toBeTruthy();
    expect(bad.exitCode).not.toBe(0);
  });
});

describe('EKS API access from the rotation job (src/live/eks-kube.ts)', () => {
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session-example' };

  it('mints the token aws eks get-token prints: a presigned STS GetCallerIdentity URL naming the cluster', async () => {
    const token = await eksToken('devops', 'eu-central-1', creds, new Date('2026-11-30T00:00:00Z'));
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token).not.toContain('=');
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    expect(url.origin).toBe('https://sts.eu-central-1.amazonaws.com');
    const q = url.searchParams;
    expect([q.get('Action'), q.get('Version'), q.get('X-Amz-Expires'), q.get('X-Amz-SignedHeaders')]).toEqual(['GetCallerIdentity', '2011-06-15', '60', 'host;x-k8s-aws-id']);
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261130/eu-central-1/sts/aws4_request');
    expect(q.get('X-Amz-Security-Token')).toBe('session-example');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // The signature covers the cluster name: another cluster, another token.
    expect(await eksToken('other', 'eu-central-1', creds, new Date('2026-11-30T00:00:00Z'))).not.toBe(token);
    expect(await eksToken('devops', 'eu-central-1', creds, new Date('2026-11-30T00:00:00Z'))).toBe(token);
  });

  it.each([
    ['eks:devops@eu-central-1', { name: 'devops', region: 'eu-central-1' }],
    ['eks:acme_ci-1@us-gov-west-1', { name: 'acme_ci-1', region: 'us-gov-west-1' }],
    ['http://127.0.0.1:8001', undefined],
    ['eks:devops', undefined],
    ['eks:@eu-central-1', undefined],
  ])('--kube-api value %s', (value, expected) => expect(parseEksKubeApi(value)).toEqual(expected));

  it('a Secret store with a token provider sends a fresh bearer token on every request', async () => {
    let minted = 0;
    const seen: string[] = [];
    const fetch = (_url: string | URL, init?: RequestInit) => {
      seen.push(String((init?.headers as Record<string, string>).authorization));
      return Promise.resolve(new Response(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: {} }), { status: 200 }));
    };
    const store = new KubernetesSecretStore({ server: 'https://k8s.example', token: () => Promise.resolve(`t${++minted}`), fetch }, { cluster: 'devops', namespace: 'n', secret: 's', deployment: 'd' });
    await store.read();
    await store.restartManager();
    expect(seen).toEqual(['Bearer t1', 'Bearer t2']);
  });
});
