/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- the cases edit parsed YAML of any shape on purpose */
/** Malformed VM specs: exit 2, with the exact path of each mistake. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { planValue } from '../src/core.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML of any shape
type Spec = Record<string, any>;

function example(name: string): Spec {
  return parse(readFileSync(`examples/${name}.yaml`, 'utf8')) as Spec;
}

const CASES: { name: string; base: string; mutate: (s: Spec) => void; code: string; path: string }[] = [
  { name: 'VPC id of the wrong shape', base: 'ec2-docker', mutate: (s) => (s.clusters[0].vpcId = 'vpc-123'), code: 'RF007', path: 'clusters[0].vpcId' },
  { name: 'a subnet id of the wrong shape', base: 'ec2-docker', mutate: (s) => (s.clusters[0].subnetIds[1] = 'subnet-XYZ'), code: 'RF007', path: 'clusters[0].subnetIds[1]' },
  { name: 'no subnets', base: 'ecs-fargate', mutate: (s) => (s.clusters[0].subnetIds = []), code: 'RF002', path: 'clusters[0].subnetIds' },
  { name: 'an AMI id of the wrong shape', base: 'ec2-docker', mutate: (s) => (s.clusters[0].imageId = 'ubuntu-24.04'), code: 'RF007', path: 'clusters[0].imageId' },
  { name: 'a worker AMI is missing', base: 'ec2-autoscaler', mutate: (s) => delete s.clusters[0].workerImageId, code: 'RF004', path: 'clusters[0].workerImageId' },
  { name: 'a misspelt cluster key', base: 'ec2-docker', mutate: (s) => ((s.clusters[0].subnets = s.clusters[0].subnetIds), delete s.clusters[0].subnetIds), code: 'RF003', path: 'clusters[0].subnets' },
  { name: 'capacity per instance 0', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].autoscaler.capacityPerInstance = 0), code: 'RF002', path: 'runners[0].autoscaler.capacityPerInstance' },
  { name: 'max instances 0', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].autoscaler.maxInstances = 0), code: 'RF002', path: 'runners[0].autoscaler.maxInstances' },
  { name: 'spot without instance types', base: 'ec2-autoscaler', mutate: (s) => delete s.runners[0].autoscaler.instanceTypes, code: 'RF702', path: 'runners[0].autoscaler.instanceTypes' },
  { name: 'more idle slots than the group holds', base: 'ec2-autoscaler', mutate: (s) => (s.runners[0].autoscaler.idleCount = 11), code: 'RF702', path: 'runners[0].autoscaler.idleCount' },
  { name: 'a namespace on a VM runner', base: 'ec2-docker', mutate: (s) => (s.runners[0].on.namespace = 'ci'), code: 'RF701', path: 'runners[0].on.namespace' },
  { name: 'autoscaler settings on an ec2-docker runner', base: 'ec2-docker', mutate: (s) => (s.runners[0].autoscaler = { maxInstances: 2 }), code: 'RF701', path: 'runners[0].autoscaler' },
  { name: 'fargate settings on an EKS runner', base: 'eks-irsa', mutate: (s) => (s.runners[0].fargate = { cpu: 512 }), code: 'RF701', path: 'runners[0].fargate' },
  { name: 'instance settings on an EKS runner', base: 'eks-irsa', mutate: (s) => (s.runners[0].instance = {}), code: 'RF701', path: 'runners[0].instance' },
  { name: 'jobsReachInstanceCredentials on Fargate', base: 'ecs-fargate', mutate: (s) => (s.runners[0].instance = { jobsReachInstanceCredentials: true }), code: 'RF701', path: 'runners[0].instance.jobsReachInstanceCredentials' },
  { name: 'job permissions where jobs have no identity', base: 'ec2-docker', mutate: (s) => (s.runners[0].jobs.permissions = { aws: [{ actions: ['s3:GetObject'], resources: ['*'] }] }), code: 'RF702', path: 'runners[0].jobs.permissions.aws' },
  { name: 'privileged Fargate jobs', base: 'ecs-fargate', mutate: (s) => (s.runners[0].jobs.privileged = true), code: 'RF702', path: 'runners[0].jobs.privileged' },
  { name: 'a Fargate CPU size that does not exist', base: 'ecs-fargate', mutate: (s) => (s.runners[0].fargate.cpu = 300), code: 'RF002', path: 'runners[0].fargate.cpu' },
  { name: 'a VM cluster without the aws section', base: 'ec2-docker', mutate: (s) => (delete s.aws, (s.caches = []), delete s.runners[0].cache), code: 'RF004', path: 'aws' },
];

describe('malformed VM specs exit 2 with the exact path', () => {
  it.each(CASES)('$name → $code at $path', ({ base, mutate, code, path }) => {
    const spec = example(base);
    mutate(spec);
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toContain(`${code} ${path}`);
  });

  it.each([...new Set(CASES.map((c) => c.base))])('the unmutated %s example is accepted', (base) => {
    expect(planValue(example(base)).exitCode).toBe(0);
  });
});
