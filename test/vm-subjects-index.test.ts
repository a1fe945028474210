import { describe, expect, it } from 'vitest';
// The platforms' modules import each other: load them through the registry, as the CLI does.
import '../src/platforms/registry.js';
import { vmSubjects } from '../src/platforms/aws-vm/common.js';
import type { FleetDocuments } from '../src/emit/types.js';
import type { FleetIntent, IntentRunner } from '../src/verify/intent.js';
import type { ResolvedCluster } from '../src/model/types.js';
import { seeded } from './helpers/rng.js';

const HOME = '111122223333';
const OTHER = '444455556666';

/**
 * vmSubjects without its per-fleet index: each cluster scans every runner and every instance profile
 * and task definition of the root, in the root's order; the fleet's first VM cluster also takes what
 * no runner names.
 */
function scanned(docs: FleetDocuments, fleet: FleetIntent, cluster: ResolvedCluster) {
  const namesOf = (r: IntentRunner) => [r.platformNames!.instanceProfile, r.platformNames!.taskFamily];
  const own = new Set(fleet.runners.filter((r) => r.cluster === cluster.name && r.platformNames).flatMap(namesOf));
  const allOwned = new Set(fleet.runners.filter((r) => r.platformNames).flatMap(namesOf));
  const first = fleet.clusters.find((c) => ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler'].includes(c.type))?.name === cluster.name;
  const runnerOf = new Map(fleet.runners.filter((r) => r.account !== undefined && r.platformNames).flatMap((r) => namesOf(r).map((n) => [n, r] as const)));
  const root = docs.terraformAws!.resource;
  const all = [
    ...Object.values(root.aws_iam_instance_profile ?? {}).map((b) => ({ attachment: 'instance-profile', name: String(b.name) })),
    ...Object.values(root.aws_ecs_task_definition ?? {}).map((b) => ({ attachment: 'task-definition', name: String(b.family) })),
  ];
  return all
    .filter((a) => own.has(a.name) || (first && !allOwned.has(a.name)))
    .map((a) => {
      const account = runnerOf.get(a.name)?.account;
      return { attachment: a.attachment, name: a.name, cluster: cluster.name, account: account !== undefined && account !== HOME ? account : HOME };
    });
}

function layout(rnd: () => number) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const types = ['eks', 'ec2-docker', 'ecs-fargate', 'ec2-autoscaler'];
  const clusters = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, i) => ({ name: `c${i}`, type: pick(types), spec: {} }) as unknown as ResolvedCluster);
  const pool = Array.from({ length: 12 }, (_, i) => `n${i}`);
  const runners = Array.from({ length: Math.floor(rnd() * 10) }, (_, i) => {
    const r = { name: `r${i}`, cluster: pick(clusters).name } as IntentRunner;
    if (rnd() < 0.85) r.platformNames = { instanceProfile: pick(pool), taskFamily: pick(pool) };
    if (rnd() < 0.3) r.account = pick([HOME, OTHER]);
    return r;
  });
  const resource: Record<string, Record<string, Record<string, unknown>>> = { aws_iam_instance_profile: {}, aws_ecs_task_definition: {} };
  for (let i = Math.floor(rnd() * 10); i > 0; i--) resource.aws_iam_instance_profile![`p${i}`] = { name: pick(pool), role: 'x' };
  for (let i = Math.floor(rnd() * 10); i > 0; i--) resource.aws_ecs_task_definition![`t${i}`] = { family: pick(pool) };
  const fleet = { name: 'f', aws: { accountId: HOME, region: 'eu-west-1', partition: 'aws' }, clusters, caches: [], runners, identities: [] } as unknown as FleetIntent;
  const docs = { artifacts: [], runners: new Map(), terraformAws: { resource } } as unknown as FleetDocuments;
  return { fleet, docs };
}

describe('vmSubjects: the fleet\'s VM compute by cluster, indexed once per fleet', () => {
  it('equals the scan of every runner and attachment per cluster on 400 seeded fleets', () => {
    const rnd = seeded(0x53a3);
    let found = 0;
    for (let n = 0; n < 400; n++) {
      const { fleet, docs } = layout(rnd);
      for (const c of fleet.clusters) {
        if (c.type === 'eks') continue;
        const got = vmSubjects(docs, fleet, c).map((s) => ({ attachment: (s as { attachment: string }).attachment, name: (s as { name: string }).name, cluster: s.cluster, account: (s as { account: string }).account }));
        expect(got).toEqual(scanned(docs, fleet, c));
        found += got.length;
      }
    }
    expect(found, 'the layouts give subjects, or the comparison shows nothing').toBeGreaterThan(400);
  });

  it('reads each runner\'s names once per fleet, however many VM clusters ask', () => {
    const clusters = Array.from({ length: 40 }, (_, i) => ({ name: `c${i}`, type: 'ec2-docker', spec: {} }) as unknown as ResolvedCluster);
    let reads = 0;
    const runners = clusters.map((c, i) => {
      const names = { instanceProfile: `p${i}`, taskFamily: `t${i}` };
      return Object.defineProperty({ name: `r${i}`, cluster: c.name } as IntentRunner, 'platformNames', { get: () => (reads++, names), enumerable: true });
    });
    const resource = { aws_iam_instance_profile: Object.fromEntries(clusters.map((_, i) => [`p${i}`, { name: `p${i}` }])) };
    const fleet = { name: 'f', aws: { accountId: HOME, region: 'eu-west-1', partition: 'aws' }, clusters, caches: [], runners, identities: [] } as unknown as FleetIntent;
    const docs = { artifacts: [], runners: new Map(), terraformAws: { resource } } as unknown as FleetDocuments;
    for (const c of clusters) expect(vmSubjects(docs, fleet, c).map((s) => (s as { name: string }).name)).toEqual([`p${c.name.slice(1)}`]);
    // Two reads per runner (whether it has names, then the names): once per fleet, not per cluster.
    expect(reads).toBeLessThanOrEqual(2 * runners.length);
  });
});
