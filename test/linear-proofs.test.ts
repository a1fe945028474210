import { describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import type { EmittedFleet } from '../src/emit/types.js';
import { fleetSubjects, verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { platformFor } from '../src/platforms/registry.js';
import { vmWhoCanAssume, vmWhoCanAssumeBruteForce } from '../src/platforms/aws-vm/common.js';
import { subjectLabel } from '../src/model/types.js';
import { rng } from './fuzz/engine.js';
import { exampleValue } from './helpers/fleet.js';

/**
 * The all-pairs trust proof on VM platforms looks candidates up in indexes instead of scanning
 * every attachment for every role and subject. It must decide exactly what brute force decides,
 * on the emitted documents and on documents damaged at random.
 */

function fleetOf(example: string, copies: number) {
  const spec = exampleValue(example);
  const base = spec.runners as Record<string, any>[];
  spec.runners = Array.from({ length: copies }, (_, i) => ({ ...structuredClone(base[i % base.length]!), name: `${String(base[i % base.length]!.name)}-${i}` }));
  const plan = planValue(spec);
  expect(plan.exitCode, JSON.stringify(plan.findings.slice(0, 3))).not.toBe(2);
  return plan;
}

type Mutation = (docs: EmittedFleet, r: () => number) => void;
const resources = (docs: EmittedFleet, type: string) => Object.entries(docs.terraformAws!.resource[type] ?? {});
const pickOf = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)]!;

const MUTATIONS: [string, Mutation][] = [
  ['a trust without its conditions', (d, r) => {
    const [, role] = pickOf(r, resources(d, 'aws_iam_role'));
    const trust = JSON.parse(String(role.assume_role_policy));
    for (const st of [trust.Statement].flat()) delete st.Condition;
    role.assume_role_policy = JSON.stringify(trust);
  }],
  ['a trust for another service', (d, r) => {
    const [, role] = pickOf(r, resources(d, 'aws_iam_role'));
    const trust = JSON.parse(String(role.assume_role_policy));
    for (const st of [trust.Statement].flat()) st.Principal = { Service: pickOf(r, ['ec2.amazonaws.com', 'ecs-tasks.amazonaws.com']) };
    role.assume_role_policy = JSON.stringify(trust);
  }],
  ['an instance profile carrying another role', (d, r) => {
    const profiles = resources(d, 'aws_iam_instance_profile');
    const roles = resources(d, 'aws_iam_role');
    if (profiles.length === 0) return;
    pickOf(r, profiles)[1].role = `\${aws_iam_role.${pickOf(r, roles)[0]}.name}`;
  }],
  ['an extra instance profile for a role', (d, r) => {
    const [key] = pickOf(r, resources(d, 'aws_iam_role'));
    (d.terraformAws!.resource.aws_iam_instance_profile ??= {})[`extra_${key}`] = { name: `extra-${key}`, role: `\${aws_iam_role.${key}.name}` };
  }],
  ['a task definition with another task role', (d, r) => {
    const tasks = resources(d, 'aws_ecs_task_definition');
    const roles = resources(d, 'aws_iam_role');
    if (tasks.length === 0) return;
    pickOf(r, tasks)[1].task_role_arn = `\${aws_iam_role.${pickOf(r, roles)[0]}.arn}`;
  }],
];

describe('indexed VM trust proof = brute force', () => {
  for (const example of ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm']) {
    it(`${example}: every role against every subject and decoy, on 30 randomly damaged copies`, () => {
      const plan = fleetOf(example, 6);
      const r = rng(42);
      for (let round = 0; round < 30; round++) {
        const docs = structuredClone(plan.emitted!);
        if (round > 0) for (let i = 0; i < 1 + Math.floor(r() * 3); i++) pickOf(r, MUTATIONS)[1](docs, r);
        const fleet = plan.fleet!;
        const subjects = fleetSubjects(docs, fleet);
        for (const cluster of fleet.clusters.filter((c) => platformFor(c.type).cloud === 'aws' && !platformFor(c.type).kubernetes)) {
          const own = subjects.filter((s) => s.cluster === cluster.name);
          const decoys = own.flatMap((s) => platformFor(cluster.type).decoys(s));
          for (const list of [own, decoys, [...own, ...decoys]]) {
            for (const id of fleet.identities) {
              const fast = vmWhoCanAssume(docs, fleet, cluster, id.roleName, list).map(subjectLabel);
              const slow = vmWhoCanAssumeBruteForce(docs, fleet, cluster, id.roleName, list).map(subjectLabel);
              expect(fast, `${example} round ${round} ${id.roleName}`).toEqual(slow);
            }
          }
        }
      }
    });
  }
});

describe('AKS proofs read each runner\'s manifests a linear number of times', () => {
  // The all-pairs proof asks, for every subject, which identity its pods get; the client id on the
  // plain manifests was looked for in every runner's manifests per subject (runners x subjects reads).
  const reads = (copies: number) => {
    const plan = fleetOf('aks-workload-identity', copies);
    let gets = 0;
    class Counting<K, V> extends Map<K, V> {
      override get(k: K) {
        gets++;
        return super.get(k);
      }
    }
    const docs = { ...plan.emitted!, runners: new Counting(plan.emitted!.runners) };
    verifyFleet(intentOf(plan.fleet!), docs);
    return gets;
  };
  it('4x the runners, at most ~4x the reads', () => {
    const small = reads(20);
    const big = reads(80);
    expect(big / small, `${small} reads for 20 runners, ${big} for 80`).toBeLessThan(5);
  });
});
