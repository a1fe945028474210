/**
 * One contract, every platform: the hooks the core relies on behave alike. A new platform
 * fails here until it has a sample fleet.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { PLATFORMS, RUNNER_KEYS } from '../src/platforms/registry.js';
import { planText } from '../src/core.js';
import { subjectLabel } from '../src/model/types.js';
import { fleetSubjects } from '../src/verify/index.js';
import { serializeArtifact } from '../src/emit/serialize.js';

/** A sample fleet per platform (every runner of it on that platform). */
const SAMPLES: Record<string, string[]> = {
  eks: ['eks-irsa', 'eks-pod-identity'],
  'ec2-docker': ['ec2-docker'],
  'ecs-fargate': ['ecs-fargate'],
  'ec2-autoscaler': ['ec2-autoscaler'],
};

describe.each(PLATFORMS.map((p) => [p.type, p] as const))('platform %s', (type, platform) => {
  it('has a sample fleet', () => {
    expect(SAMPLES[type]?.length).toBeGreaterThan(0);
  });

  it('declares a cluster schema discriminated by its type, and its runner keys are optional', () => {
    const shape = platform.clusterSchema.shape as Record<string, { _zod: { def: { type: string; values?: unknown[] } } }>;
    expect(shape.name).toBeDefined();
    expect(shape.type?._zod.def.values).toEqual([type]);
    for (const [k, schema] of Object.entries(platform.runnerKeys ?? {})) {
      expect(RUNNER_KEYS[k]).toBe(schema);
      expect(schema.safeParse(undefined).success).toBe(true);
    }
  });

  for (const sample of SAMPLES[type] ?? []) {
    describe(sample, () => {
      const plan = planText(readFileSync(`examples/${sample}.yaml`, 'utf8'));
      const fleet = plan.fleet!;
      const docs = plan.emitted!;
      const runners = fleet.runners.filter((r) => r.platform === type);

      it('plans without errors and every proof holds', () => {
        expect(plan.exitCode).toBe(0);
        expect(runners.length).toBeGreaterThan(0);
        expect(plan.proofs.filter((p) => !p.holds)).toEqual([]);
      });

      it('binds a manager identity; a job identity, if any, differs from it', () => {
        for (const r of runners) {
          const m = fleet.identities.find((i) => i.key === r.managerIdentity)!;
          expect(platform.identityMechanisms).toContain(m.binding.mechanism);
          if (r.jobIdentity) {
            const j = fleet.identities.find((i) => i.key === r.jobIdentity)!;
            expect(subjectLabel(j.binding.subject)).not.toBe(subjectLabel(m.binding.subject));
            expect(j.roleName).not.toBe(m.roleName);
          }
        }
      });

      it('finds its intended subjects in the documents, and only they obtain their roles', () => {
        const subjects = fleetSubjects(docs, fleet);
        for (const r of runners) {
          const cluster = fleet.clusters.find((c) => c.name === r.cluster)!;
          for (const key of [r.managerIdentity, ...(r.jobIdentity ? [r.jobIdentity] : [])]) {
            const id = fleet.identities.find((i) => i.key === key)!;
            const intended = subjectLabel(id.binding.subject);
            expect(subjects.map(subjectLabel)).toContain(intended);
            const own = subjects.filter((s) => s.cluster === cluster.name);
            expect(platform.whoCanAssume(docs, cluster, id.roleName, own).map(subjectLabel)).toEqual([intended]);
            expect(platform.whoCanAssume(docs, cluster, id.roleName, platform.decoys(id.binding.subject))).toEqual([]);
            expect(platform.roleOfSubject(docs, cluster, id.binding.subject)).toBe(id.roleName);
          }
        }
      });

      it('refuses to trust subjects it cannot vouch for', () => {
        for (const r of runners) {
          const cluster = fleet.clusters.find((c) => c.name === r.cluster)!;
          const m = fleet.identities.find((i) => i.key === r.managerIdentity)!;
          expect(platform.whoCanAssume(docs, cluster, 'no-such-role', fleetSubjects(docs, fleet))).toEqual([]);
          expect(platform.whoCanAssume(docs, cluster, m.roleName, [{ ...m.binding.subject, cluster: 'another-cluster' }])).toEqual([]);
        }
      });

      it('emits a config.toml that parses and names the executor, and a smoke job with a script', () => {
        for (const r of runners) {
          const file = docs.artifacts.find((a) => a.path === `runners/${r.name}/config.toml`)!;
          const toml = parseToml(serializeArtifact(file).content) as { concurrent: number; runners: { executor: string; token: string }[] };
          expect(toml.concurrent).toBeGreaterThan(0);
          expect(toml.runners[0]!.executor).toMatch(/^(kubernetes|docker|docker-autoscaler|custom)$/);
          expect(toml.runners[0]!.token).toBe('$CI_SERVER_TOKEN');
          const job = platform.identityCheckJob(fleet, r, fleet.identities.find((i) => i.key === r.jobIdentity));
          expect(job.script.length).toBeGreaterThan(0);
          expect(platform.verifyChain(docs, fleet, r, `runners[${r.index}]`)).toEqual([]);
        }
      });
    });
  }
});
