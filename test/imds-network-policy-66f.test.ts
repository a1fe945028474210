import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { PlanResult } from '../src/core.js';
import type { K8sObject } from '../src/emit/artifacts.js';
import type { FleetDocuments } from '../src/emit/types.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { cidrHolds } from '../src/verify/imds-policy.js';
import { doctor } from '../src/doctor/index.js';
import { exampleFiles, planExample } from './helpers/fleet.js';
import { manifestProblems } from './helpers/k8s.js';

/**
 * Issue 66f: on clusters the user brings, job pods could take the node's identity from the
 * metadata service (IRSA, Pod Identity and Workload Identity do not take it away). Every Kubernetes
 * runner gets a NetworkPolicy that keeps its job pods from it, a proof read from the documents, a
 * smoke job that tries, and RF314 where the cluster is not runner-fleet's.
 */

const IMDS_PROOF = /^the node's metadata service is closed to job pods of (\S+) /;
const plans = new Map<string, PlanResult>();
const plan = (example: string): PlanResult => {
  let p = plans.get(example);
  if (!p) plans.set(example, (p = planExample(example)));
  return p;
};
const policyOf = (docs: FleetDocuments, runner: string): K8sObject | undefined => docs.runners.get(runner)!.manifests.find((o) => o.kind === 'NetworkPolicy');
const imdsProof = (proofs: readonly { runner?: string; claim: string; holds: boolean }[], runner: string) => proofs.find((p) => p.runner === runner && IMDS_PROOF.test(p.claim));

/** The plan's documents with `change` applied to the runner's NetworkPolicy (or its manifests), verified again. */
function damaged(example: string, runner: string, change: (policy: K8sObject, manifests: K8sObject[]) => void) {
  const p = plan(example);
  const docs = structuredClone(p.emitted!);
  const manifests = docs.runners.get(runner)!.manifests;
  change(policyOf(docs, runner)!, manifests);
  return verifyFleet(intentOf(p.fleet!), docs);
}

type Spec = { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; egress: { to?: { ipBlock?: { cidr: string; except?: string[] } }[] }[] };
const specOf = (o: K8sObject) => (o as unknown as { spec: Spec }).spec;

describe('the NetworkPolicy of every Kubernetes runner', () => {
  it.each([
    ['eks-irsa', 'build', ['169.254.169.254/32'], ['fd00:ec2::254/128']],
    ['eks-irsa', 'deploy', ['169.254.169.254/32'], ['fd00:ec2::254/128']],
    ['eks-pod-identity', 'ci', ['169.254.169.254/32'], ['fd00:ec2::254/128']],
    ['aks-workload-identity', 'build', ['169.254.169.254/32'], undefined],
  ])('%s/%s: in the jobs namespace, selects the job pods by config.toml pod_labels (not the manager), egress only, IMDS excepted', (example, runner, v4, v6) => {
    const p = plan(example);
    const r = p.fleet!.runners.find((x) => x.name === runner)!;
    const policy = policyOf(p.emitted!, runner)!;
    expect(policy.metadata.namespace).toBe(r.kubernetes!.namespace);
    const spec = specOf(policy);
    expect(spec.policyTypes).toEqual(['Egress']);
    const podLabels = p.emitted!.runners.get(runner)!.configToml as { runners: { kubernetes: { pod_labels: Record<string, string> } }[] };
    const jobLabels = podLabels.runners[0]!.kubernetes.pod_labels;
    for (const [k, v] of Object.entries(spec.podSelector.matchLabels)) expect(jobLabels[k], k).toBe(v);
    const managerLabels = (p.emitted!.runners.get(runner)!.helmValues as { podLabels: Record<string, string> }).podLabels;
    expect(Object.entries(spec.podSelector.matchLabels).every(([k, v]) => managerLabels[k] === v)).toBe(false);
    const blocks = spec.egress.flatMap((e) => e.to ?? []).flatMap((t) => (t.ipBlock ? [t.ipBlock] : []));
    expect(blocks.find((b) => b.cidr === '0.0.0.0/0')?.except).toEqual(v4);
    expect(blocks.find((b) => b.cidr === '::/0')?.except).toEqual(v6);
    // Cluster DNS and every other pod stay reachable by a rule of their own.
    expect(spec.egress).toContainEqual({ to: [{ namespaceSelector: {} }] });
    expect(manifestProblems(policy as unknown as Record<string, unknown>)).toEqual([]);
  });

  it('EKS writes it as kubernetes/<runner>/network-policy.yaml; AKS without applied ids puts it in the Kubernetes Terraform root', () => {
    const eks = exampleFiles('eks-irsa').find((f) => f.path === 'kubernetes/build/network-policy.yaml');
    expect((parseYaml(eks!.content) as K8sObject).metadata.name).toBe('build-jobs-no-imds');
    const root = exampleFiles('aks-workload-identity').find((f) => f.path === 'terraform/azure-k8s/ci/main.tf.json')!;
    const manifests = Object.values((JSON.parse(root.content) as { resource: { kubernetes_manifest: Record<string, { manifest: K8sObject }> } }).resource.kubernetes_manifest).map((m) => m.manifest);
    expect(manifests.filter((m) => m.kind === 'NetworkPolicy').map((m) => m.metadata.name)).toContain('build-jobs-no-imds');
  });

  it('the Pod Identity agent stays reachable: neither except-list holds 169.254.170.23 or fd00:ec2::23', () => {
    expect(cidrHolds('169.254.169.254/32', '169.254.170.23')).toBe(false);
    expect(cidrHolds('fd00:ec2::254/128', 'fd00:ec2::23')).toBe(false);
    expect(cidrHolds('0.0.0.0/0', '169.254.170.23')).toBe(true);
    expect(cidrHolds('::/0', 'fd00:ec2::254')).toBe(true);
    expect(cidrHolds('fd00:ec2::/64', 'fd00:ec2::254')).toBe(true);
    expect(cidrHolds('169.254.0.0/16', 'fd00:ec2::254')).toBe(false);
  });
});

describe('the proof reads the emitted NetworkPolicy', () => {
  it.each([['eks-irsa', 'build'], ['eks-pod-identity', 'ci'], ['aks-workload-identity', 'build'], ['eks-create-eksctl', 'dev']])('%s/%s: holds as emitted and names the policy', (example, runner) => {
    const proof = imdsProof(plan(example).proofs, runner);
    expect(proof?.holds).toBe(true);
    expect(proof?.claim).toContain(`NetworkPolicy ${runner}-jobs-no-imds; enforced only where the network plugin enforces NetworkPolicy`);
  });

  it('removed from the documents: refuted', () => {
    const after = damaged('eks-irsa', 'build', (policy, manifests) => manifests.splice(manifests.indexOf(policy), 1));
    expect(imdsProof(after.proofs, 'build')).toMatchObject({ holds: false, claim: expect.stringContaining('no NetworkPolicy selects them') });
    // The other runner's policy is its own: its proof still holds.
    expect(imdsProof(after.proofs, 'deploy')?.holds).toBe(true);
  });

  it.each([
    ['the IPv4 except-list lacks IMDS', 'eks-irsa', (p: K8sObject) => (specOf(p).egress[0]!.to![0]!.ipBlock!.except = ['10.0.0.0/8'])],
    ['no except-list at all', 'eks-irsa', (p: K8sObject) => delete specOf(p).egress[0]!.to![0]!.ipBlock!.except],
    ['on EKS, the IPv6 rule lacks the EC2 IPv6 endpoint', 'eks-irsa', (p: K8sObject) => delete specOf(p).egress[0]!.to![1]!.ipBlock!.except],
    ['a rule with no `to` (every destination)', 'aks-workload-identity', (p: K8sObject) => specOf(p).egress.push({})],
    ['a second ipBlock that holds IMDS', 'aks-workload-identity', (p: K8sObject) => specOf(p).egress.push({ to: [{ ipBlock: { cidr: '169.254.0.0/16' } }] })],
    ['the selector no longer matches the job pods', 'eks-irsa', (p: K8sObject) => (specOf(p).podSelector.matchLabels['runner-fleet.dev/purpose'] = 'manager')],
    ['it restricts ingress only', 'eks-irsa', (p: K8sObject) => (specOf(p).policyTypes = ['Ingress'])],
    ['it sits in another namespace', 'eks-irsa', (p: K8sObject) => (p.metadata.namespace = 'elsewhere')],
  ])('%s: refuted', (_what, example, change) => {
    expect(imdsProof(damaged(example, 'build', (p) => void change(p)).proofs, 'build')?.holds).toBe(false);
  });

  it('on AKS an IPv6 rule without except does not refute it (Azure IMDS is IPv4 only)', () => {
    expect(imdsProof(damaged('aks-workload-identity', 'build', () => undefined).proofs, 'build')?.holds).toBe(true);
  });

  // The lead's change at the merge: the doctor proves it where a NetworkPolicy selects the job pods
  // (runner-fleet's own output read back agrees with plan), says nothing where none does, and never RF314.
  const doctorOf = (files: { path: string; content: string }[]) => doctor(files.map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })));
  it('the doctor over a synth output proves it as plan does, without RF314', () => {
    const r = doctorOf(exampleFiles('eks-irsa'));
    const imds = r.proofs.filter((p) => IMDS_PROOF.test(p.claim));
    expect(imds.map((p) => p.holds)).toEqual(planExample('eks-irsa').proofs.filter((p) => IMDS_PROOF.test(p.claim)).map((p) => p.holds));
    expect(imds.length).toBeGreaterThan(0);
    expect(r.findings.map((f) => f.code)).not.toContain('RF314');
  });
  it('the doctor over a deployment with no NetworkPolicy says nothing of it', () => {
    const r = doctorOf(exampleFiles('eks-irsa').filter((f) => !f.path.endsWith('network-policy.yaml')));
    expect(r.proofs.some((p) => IMDS_PROOF.test(p.claim))).toBe(false);
  });
});

describe('the smoke pipeline tries the metadata service from a job', () => {
  const smoke = (example: string, runner: string) => parseYaml(exampleFiles(example).find((f) => f.path === `pipelines/${runner}.gitlab-ci.yml`)!.content) as Record<string, { stage?: string; image?: unknown; script?: string[] }>;

  it('EKS: job-no-imds in the identity stage, the job-identity image, fails if the IMDSv2 token PUT or an IMDSv1 read succeeds', () => {
    const p = smoke('eks-pod-identity', 'ci');
    expect(p['job-no-imds']?.stage).toBe('identity');
    expect(p['job-no-imds']?.image).toEqual(p['job-identity']?.image);
    const script = p['job-no-imds']!.script!.join('\n');
    expect(script).toContain("curl -sf -m 3 -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60'");
    expect(script).toContain('curl -sf -m 3 http://169.254.169.254/latest/meta-data/');
    expect(script).toMatch(/FAIL: a job got an IMDSv2 token .* so it can take the node role's credentials/);
  });

  it('AKS: job-no-imds fails if Azure IMDS answers', () => {
    const p = smoke('aks-workload-identity', 'build');
    expect(p['job-no-imds']?.image).toEqual(p['job-identity']?.image);
    expect(p['job-no-imds']!.script!.join('\n')).toContain("curl -sf -m 3 -H Metadata:true 'http://169.254.169.254/metadata/instance?api-version=2021-02-01'");
  });

  it('VM runners get none (this covers Kubernetes runners only)', () => {
    expect(smoke('ec2-docker', firstRunner('ec2-docker'))['job-no-imds']).toBeUndefined();
  });
});

function firstRunner(example: string): string {
  return plan(example).fleet!.runners[0]!.name;
}

describe('RF314: the policy protects only where the cluster enforces NetworkPolicy', () => {
  const rf314 = (example: string) => plan(example).findings.filter((f) => f.code === 'RF314');

  it.each([['eks-irsa', 2], ['eks-pod-identity', 1], ['cross-account-deploy', 2], ['aks-workload-identity', 2]])('%s: a cluster the user brings, one info per Kubernetes runner', (example, n) => {
    const found = rf314(example);
    expect(found).toHaveLength(n);
    expect(found.every((f) => f.severity === 'info')).toBe(true);
    expect(plan(example).exitCode).toBe(0);
  });

  it('says what, where, why and the fix', () => {
    const [f] = rf314('eks-irsa');
    expect(f).toMatchObject({ path: 'runners[0].placement', message: expect.stringContaining("otherwise a job gets the node's role, unless its node groups require IMDSv2 with a hop limit of 1"), fix: expect.stringContaining('enableNetworkPolicy') });
    expect(rf314('aks-workload-identity')[0]!.fix).toContain('--network-policy azure, calico or cilium');
  });

  it.each(['eks-create-eksctl', 'eks-create-access-entries', 'aks-create'])('%s: a cluster runner-fleet creates (hop limit 1, or network policy azure): none', (example) => {
    expect(rf314(example)).toEqual([]);
  });
});
