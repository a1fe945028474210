import { describe, expect, it } from 'vitest';
import { PLATFORMS, clusterSchema } from '../src/platforms/registry.js';
import { CACHE_BACKENDS } from '../src/caches/registry.js';
import { fleetSubjects } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { jobIdentityOf, subjectLabel } from '../src/model/types.js';
import { compilePolicy } from '../src/verify/iam/evaluator.js';
import { exampleNames, planExample, unexplainedFailures } from './helpers/fleet.js';

/** One contract, run over every registered platform: what the core relies on. */
const plans = exampleNames().map((name) => ({ name, plan: planExample(name) }));

describe.each(PLATFORMS.map((p) => [p.type, p] as const))('platform %s', (type, platform) => {
  const uses = plans.flatMap(({ name, plan }) => (plan.fleet?.runners ?? []).filter((r) => r.platform === type).map((runner) => ({ name, plan, runner })));

  it('is a member of the clusters[] union under its own type', () => {
    const r = clusterSchema.safeParse({ type, name: 'x' });
    // It may fail for missing platform keys, but never for an unknown discriminator.
    if (!r.success) expect(r.error.issues.some((i) => i.code === 'invalid_union' && (i as { note?: string }).note === 'No matching discriminator')).toBe(false);
  });

  it('only names cache backends that exist', () => {
    for (const c of platform.cacheTypes) expect(CACHE_BACKENDS.map((b) => b.type)).toContain(c);
  });

  it('is exercised by at least one example', () => expect(uses.length).toBeGreaterThan(0));

  it('every runner: all proofs hold', () => {
    for (const { name, plan, runner } of uses) expect(unexplainedFailures(name, plan).filter((p) => p.runner === runner.name)).toEqual([]);
  });

  it('every runner: exactly the intended subject can assume each role, decoys cannot, and the roles differ', () => {
    for (const { plan, runner } of uses) {
      const fleet = intentOf(plan.fleet!);
      const docs = plan.emitted!;
      const cluster = fleet.clusters.find((c) => c.name === runner.cluster)!;
      const subjects = fleetSubjects(docs, fleet).filter((s) => s.cluster === cluster.name);
      const roles: string[] = [];
      for (const key of [runner.managerIdentity, ...(runner.jobIdentity ? [runner.jobIdentity] : [])]) {
        const id = fleet.identities.find((i) => i.key === key)!;
        expect(Object.keys(platform.identityMechanisms)).toContain(id.binding.mechanism);
        expect(platform.whoCanAssume(docs, fleet, cluster, id.roleName, subjects).map(subjectLabel)).toEqual([subjectLabel(id.binding.subject)]);
        expect(platform.whoCanAssume(docs, fleet, cluster, id.roleName, platform.decoys(id.binding.subject))).toEqual([]);
        expect(platform.whoCanAssume(docs, fleet, cluster, 'no-such-role', subjects)).toEqual([]);
        expect(platform.roleOfSubject(docs, fleet, cluster, id.binding.subject)).toBe(id.roleName);
        roles.push(id.roleName);
      }
      if (roles.length === 2) expect(roles[0]).not.toBe(roles[1]);
    }
  });

  it('declares optional runner keys only (absent unless written)', () => {
    for (const schema of Object.values(platform.runnerKeys ?? {})) expect(schema.safeParse(undefined).success).toBe(true);
  });

  it('every runner: the trust policy compiles and names nobody else', () => {
    for (const { plan, runner } of uses) {
      const fleet = plan.fleet!;
      const cluster = fleet.clusters.find((c) => c.name === runner.cluster)!;
      const manager = fleet.identities.find((i) => i.key === runner.managerIdentity)!;
      const jobs = jobIdentityOf(fleet, runner);
      const m = platform.trustPolicy(fleet, cluster, manager);
      expect(() => compilePolicy(m)).not.toThrow();
      if (jobs) expect(JSON.stringify(m)).not.toBe(JSON.stringify(platform.trustPolicy(fleet, cluster, jobs)));
    }
  });

  it('every runner: the smoke pipeline checks the job identity by name (or that jobs get none)', () => {
    for (const { plan, runner } of uses) {
      const jobs = jobIdentityOf(plan.fleet!, runner);
      const job = platform.identityCheckJob(plan.fleet!, runner, jobs);
      expect(job.script.join('\n')).toContain(jobs ? jobs.roleName : 'NO AWS credentials');
      // The check asks the cloud who the job is: STS on AWS, az login on Azure.
      expect(job.script.join('\n')).toMatch(platform.cloud === 'aws' ? /aws sts get-caller-identity/ : /az login --service-principal/);
      expect(job.script.join('\n')).toMatch(/exit 1/);
    }
  });
});
