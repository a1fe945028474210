import { describe, expect, it } from 'vitest';
import { planValue, synthFiles } from '../src/core.js';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { exampleValue } from './helpers/fleet.js';

/**
 * Two deployments in one folder (`staging/` and `prod/`, or an AWS and an Azure one), each as
 * synth writes it: the doctor reads them together and must keep each runner to its own
 * deployment's cache, config.toml and token rotator. Each deployment alone proves clean.
 */

/** What synth writes for a spec, under `folder/`. */
function outputOf(folder: string, value: Record<string, any>): InputFile[] {
  const plan = planValue(value);
  if (plan.findings.some((f) => f.severity === 'error')) throw new Error(`test: ${folder} spec has errors`);
  return synthFiles(plan).map((f) => ({ path: `${folder}/${f.path}`, bytes: new TextEncoder().encode(f.content) }));
}

/** The ec2-docker example as fleet `name`, with its own cache bucket; `rotation: false` drops operations.rotation. */
function ec2Docker(name: string, bucket: string, rotation = true): Record<string, any> {
  const v = exampleValue('ec2-docker');
  v.metadata.name = name;
  v.caches[0].bucket = bucket;
  if (!rotation) delete v.operations;
  return v;
}

const problems = (files: InputFile[]) => doctor(files).findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}: ${f.message}`);

describe('two deployments side by side: each runner keeps to its own', () => {
  it('each alone proves clean (the yardstick of the cases below)', () => {
    expect(problems(outputOf('staging', ec2Docker('acme', 'acme-vm-runner-cache')))).toEqual([]);
    expect(problems(outputOf('prod', ec2Docker('beta', 'beta-vm-runner-cache')))).toEqual([]);
  });

  it("an AWS and an Azure deployment whose caches are both named shared: the EC2 runner's cache is its own S3 bucket, not the storage account", () => {
    const aks = exampleValue('aks-workload-identity');
    expect(aks.caches[0].name).toBe('shared');
    const r = doctor([...outputOf('azure', aks), ...outputOf('aws', ec2Docker('acme', 'acme-vm-runner-cache'))]);
    expect(r.findings.filter((f) => f.code === 'RF607' || f.code === 'RF201' || f.code === 'RF202'), JSON.stringify(r.findings.map((f) => f.message))).toEqual([]);
    const cacheProof = r.proofs.find((p) => p.claim.startsWith('the manager reads and writes docker/'));
    expect(cacheProof).toMatchObject({ holds: true });
    expect(cacheProof!.claim).toContain('s3://acme-vm-runner-cache');
  });

  it('two EC2 deployments with a runner of one name: each manager is checked against the config.toml beside its own Terraform', () => {
    const r = doctor([...outputOf('staging', ec2Docker('acme', 'acme-vm-runner-cache', false)), ...outputOf('prod', ec2Docker('beta', 'beta-vm-runner-cache', false))]);
    expect(r.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it('a token rotator is proven over its own deployment’s runners only, and each deployment’s rotator is a rotator (not an ID-token role that reads a token)', () => {
    // One deployment with rotation beside one without: the rotator is asked nothing of the other's parameter.
    const one = doctor([...outputOf('staging', ec2Docker('acme', 'acme-vm-runner-cache', false)), ...outputOf('prod', ec2Docker('beta', 'beta-vm-runner-cache'))]);
    expect(one.findings.filter((f) => f.code === 'RF127').map((f) => f.message)).toEqual([]);
    expect(one.proofs.filter((p) => !p.holds)).toEqual([]);
    // Both with rotation: two rotators, each reads its own runner's token (no RF721).
    const two = doctor([...outputOf('staging', ec2Docker('acme', 'acme-vm-runner-cache')), ...outputOf('prod', ec2Docker('beta', 'beta-vm-runner-cache'))]);
    expect(two.findings.filter((f) => ['RF127', 'RF721', 'RF106'].includes(f.code)).map((f) => f.message)).toEqual([]);
    expect(two.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(two.exitCode).toBe(0);
  });

  it('a rotator that cannot rotate its own deployment’s token is still RF127 (the root filter hides nothing of its own)', () => {
    const files = [...outputOf('staging', ec2Docker('acme', 'acme-vm-runner-cache', false)), ...outputOf('prod', ec2Docker('beta', 'beta-vm-runner-cache'))].map((f) => {
      if (f.path !== 'prod/terraform/aws/main.tf.json') return f;
      const text = new TextDecoder().decode(f.bytes);
      const edited = text.replace(/ssm:PutParameter/g, 'ssm:DescribeParameters');
      if (edited === text) throw new Error('test: no ssm:PutParameter in the rotator policy');
      return { path: f.path, bytes: new TextEncoder().encode(edited) };
    });
    const r = doctor(files);
    const rf127 = r.findings.filter((f) => f.code === 'RF127').map((f) => f.message);
    expect(rf127.length, JSON.stringify(rf127)).toBeGreaterThan(0);
    expect(rf127.every((m) => m.includes('/runner-fleet/beta/') && !m.includes('/runner-fleet/acme/'))).toBe(true);
  });

  it('a Fargate fleet beside another fleet: its rotator rotates in its own region, and its tasks keep their own security group', () => {
    const eks = exampleValue('eks-pod-identity');
    const fargate = exampleValue('ecs-fargate');
    fargate.metadata.name = 'beta';
    expect(fargate.aws.region).not.toBe(eks.aws.region);
    const mixed = doctor([...outputOf('staging', eks), ...outputOf('prod', fargate)]);
    expect(mixed.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    expect(mixed.proofs.filter((p) => !p.holds)).toEqual([]);
    // Two Fargate fleets: each root declares aws_security_group.fargate_tasks; each manager's tasks are its own root's.
    const again = exampleValue('ecs-fargate');
    const two = doctor([...outputOf('staging', again), ...outputOf('prod', fargate)]);
    // Nothing but the files a folder walk would not give (README, diagram: RF902); before, RF903 "the security group of the tasks is not in the documents".
    expect(two.findings.filter((f) => f.code !== 'RF902').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    expect(two.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it('two AKS fleets on two clusters, each with runner-fleet\'s cache "shared": each cache is read (no RF901 naming a storage account after the marked Terraform key)', () => {
    const staging = exampleValue('aks-workload-identity');
    const prod = exampleValue('aks-workload-identity');
    prod.metadata.name = 'contosox';
    prod.clusters[0].name = 'cix';
    prod.clusters[0].clusterName = 'aks-ci-weux';
    prod.clusters[0].oidcIssuer = String(prod.clusters[0].oidcIssuer).replace(/[0-9a-f]\/$/, 'e/');
    prod.caches[0].storageAccount = 'contosorunnercachex';
    for (const r of prod.runners) r.placement.cluster = 'cix';
    const alone = doctor(outputOf('staging', staging)).findings.filter((f) => f.severity !== 'info').map((f) => f.code);
    const r = doctor([...outputOf('staging', staging), ...outputOf('prod', prod)]);
    expect(r.findings.filter((f) => f.code === 'RF901').map((f) => f.message)).toEqual([]);
    // Each fleet's own findings, twice (the example's Owner grant, RF602), and nothing else.
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual([...alone, ...alone]);
    expect(r.proofs.filter((p) => p.claim.includes('cache shared') && !p.holds)).toEqual([]);
  });

  it('two EKS fleets writing one service account on one cluster: RF106 says another runner writes it, not "annotated X, but its role is X"', () => {
    const staging = exampleValue('eks-irsa');
    const prod = exampleValue('eks-irsa');
    prod.metadata.name = 'acmex';
    prod.caches[0].bucket = 'acmex-runner-cache';
    const r = doctor([...outputOf('staging', staging), ...outputOf('prod', prod)]);
    const rf106 = r.findings.filter((f) => f.code === 'RF106');
    expect(rf106.length).toBeGreaterThan(0);
    for (const f of rf106) {
      expect(f.message).toMatch(/in this runner's files, but another runner's files write the same service account on cluster devops \(the same issuer\) annotated with role acme(x)?-/);
      expect(f.fix).toContain('its own namespace or service account name on cluster devops');
    }
  });

  it('two AKS fleets with Key Vault token stores, each with a SecretProviderClass of one namespace and name: each runner reads its own class', () => {
    const staging = exampleValue('aks-key-vault');
    const prod = exampleValue('aks-key-vault');
    prod.metadata.name += 'x';
    const cluster = prod.clusters[0];
    cluster.name += 'x';
    if (cluster.clusterName) cluster.clusterName += 'x';
    cluster.oidcIssuer = String(cluster.oidcIssuer).replace(/[0-9a-f](\/?)$/, (m: string, slash: string) => (m[0] === 'e' ? 'f' : 'e') + slash);
    for (const r of prod.runners) r.placement.cluster = cluster.name;
    for (const c of prod.caches ?? []) if (c.storageAccount) c.storageAccount += 'x';
    const r = doctor([...outputOf('staging', staging), ...outputOf('prod', prod)]);
    // Before: RF942 (the other fleet's class: its clientID, its secret) and RF943 for the runners.
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });
});

