import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { planValue, synthFiles, type PlanResult } from '../src/core.js';
import { doctor } from '../src/doctor/index.js';
import { damagedFiles, exampleValue } from './helpers/fleet.js';

/**
 * Security review 66e of the generated runner settings. 1: GitLab honours `locked` on project
 * runners only, and a group runner serves every project of its group, where each project's
 * Maintainers decide which branches are protected: a powerful job identity on a group runner is
 * reachable from any project in the group (RF316), and the messages say so.
 */

const at = (plan: PlanResult, code: string) => plan.findings.filter((f) => f.code === code);
const runnerOf = (spec: Record<string, any>, name: string) => (spec.runners as Record<string, any>[]).find((r) => r.name === name)!;

describe('1. powerful job identities on group runners (RF316)', () => {
  it('eks-irsa deploy (a group runner whose job role may create roles): RF316 at its gitlab, accepted with the example\'s reason', () => {
    const [rf316] = at(planValue(exampleValue('eks-irsa')), 'RF316');
    expect(rf316).toMatchObject({ severity: 'warning', path: 'runners[1].gitlab' });
    expect(rf316!.message).toContain('protected refs of any project in group acme/infrastructure reach it');
    expect(rf316!.message).toContain('GitLab ignores locked on group runners');
    expect(rf316!.fix).toMatch(/gitlab\.project instead of gitlab\.group/);
    expect(rf316!.acceptedBecause).toMatch(/platform team alone are Maintainers/);
  });

  it('without the acceptance: a warning that states no reason', () => {
    const spec = exampleValue('eks-irsa');
    const deploy = runnerOf(spec, 'deploy');
    deploy.acceptRisks = deploy.acceptRisks.filter((r: { code: string }) => r.code !== 'RF316');
    const [rf316] = at(planValue(spec), 'RF316');
    expect(rf316).toMatchObject({ severity: 'warning', path: 'runners[1].gitlab' });
    expect(rf316!.acceptedBecause).toBeUndefined();
  });

  it('the same runner as a project runner: no RF316, RF306 stays', () => {
    const spec = exampleValue('eks-irsa');
    const deploy = runnerOf(spec, 'deploy');
    delete deploy.gitlab.group;
    deploy.gitlab.project = 'acme/infrastructure/live';
    const plan = planValue(spec);
    expect(at(plan, 'RF316')).toEqual([]);
    expect(at(plan, 'RF306').map((f) => f.path)).toEqual(['runners[1].jobs.permissions.aws']);
    expect(at(plan, 'RF303')).toEqual([]);
  });

  it('locked: false on a group runner changes nothing (GitLab ignores it there): RF316, no RF303; on a project runner it is RF303', () => {
    const group = exampleValue('eks-irsa');
    runnerOf(group, 'deploy').gitlab.locked = false;
    const g = planValue(group);
    expect(at(g, 'RF303')).toEqual([]);
    expect(at(g, 'RF316').map((f) => f.path)).toEqual(['runners[1].gitlab']);

    const project = exampleValue('eks-irsa');
    const deploy = runnerOf(project, 'deploy');
    delete deploy.gitlab.group;
    deploy.gitlab.project = 'acme/infrastructure/live';
    deploy.gitlab.locked = false;
    const [rf303] = at(planValue(project), 'RF303');
    expect(rf303).toMatchObject({ path: 'runners[1].gitlab' });
    expect(rf303!.message).toContain('other projects (not locked)');
  });

  it('a group runner that takes unprotected jobs: RF303 (the stronger finding), no RF316', () => {
    const spec = exampleValue('eks-irsa');
    runnerOf(spec, 'deploy').gitlab.protectedOnly = false;
    const plan = planValue(spec);
    expect(at(plan, 'RF303').map((f) => f.path)).toEqual(['runners[1].gitlab']);
    expect(at(plan, 'RF316')).toEqual([]);
  });

  it('aks-workload-identity terraform (Owner of the subscription): RF602 names the group, and RF316', () => {
    const plan = planValue(exampleValue('aks-workload-identity'));
    expect(at(plan, 'RF602')[0]!.message).toContain('only protected refs of any project in group contoso/infrastructure reach it');
    expect(at(plan, 'RF602')[0]!.message).not.toContain("runner's own project or group");
    expect(at(plan, 'RF316').map((f) => f.path)).toEqual(['runners[1].gitlab']);
    expect(at(plan, 'RF316')[0]!.fix).toMatch(/federated credential whose subject names the project/);
  });

  it('aks-workload-identity terraform as a project runner: RF602 names the project, no RF316', () => {
    const spec = exampleValue('aks-workload-identity');
    const tf = runnerOf(spec, 'terraform');
    delete tf.gitlab.group;
    tf.gitlab.project = 'contoso/infrastructure/landing-zone';
    const plan = planValue(spec);
    expect(at(plan, 'RF602')[0]!.message).toContain('only protected refs of contoso/infrastructure/landing-zone reach it');
    expect(at(plan, 'RF316')).toEqual([]);
  });

  it('cross-account-deploy (jobs assume roles in other accounts, group runner): RF316; an instance runner too', () => {
    expect(at(planValue(exampleValue('cross-account-deploy')), 'RF316').map((f) => f.path)).toEqual(['runners[1].gitlab']);
    const spec = exampleValue('cross-account-deploy');
    const deploy = runnerOf(spec, 'deploy');
    delete deploy.gitlab.group;
    deploy.gitlab.instance = true;
    const [rf316] = at(planValue(spec), 'RF316');
    expect(rf316!.message).toContain('protected refs of any project on the GitLab instance reach it');
  });

  it('the doctor reads runner_type from gitlab_user_runner: RF316 for group_type, none for project_type', () => {
    const asIs = doctor(damagedFiles('eks-irsa', 'terraform/gitlab/main.tf.json', () => undefined));
    const shown = asIs.findings.filter((f) => f.code === 'RF316');
    expect(shown).toHaveLength(1);
    expect(shown[0]!.message).toContain('protected refs of any project in group acme/infrastructure reach it');
    const project = doctor(damagedFiles('eks-irsa', 'terraform/gitlab/main.tf.json', (root) => {
      for (const r of Object.values(root.resource.gitlab_user_runner!)) {
        r.runner_type = 'project_type';
        delete r.group_id;
        r.project_id = 42;
      }
    }));
    expect(project.findings.filter((f) => f.code === 'RF316')).toEqual([]);
    expect(project.findings.map((f) => f.code)).toContain('RF306');
  });
});

/**
 * 2: a Docker executor on a host that outlives its jobs keeps the local cache in Docker volumes
 * per project and concurrency slot; with a distributed (S3) cache they are turned off.
 */
describe('2. the local Docker cache volume of VM runners with a distributed cache', () => {
  const tomlOf = (spec: Record<string, any>, path: string) => {
    const file = synthFiles(planValue(spec)).find((x) => x.path === path);
    return parseToml(file!.content) as { runners: { docker: Record<string, unknown> }[] };
  };

  it.each([
    ['ec2-docker', 'runners/docker/config.toml'],
    ['ec2-autoscaler', 'runners/autoscale/config.toml'],
  ])('%s with an S3 cache: disable_cache = true and no /cache volume; the S3 cache stays', (example, path) => {
    const toml = tomlOf(exampleValue(example), path);
    expect(toml.runners[0]!.docker.disable_cache).toBe(true);
    expect(toml.runners[0]!.docker.volumes).toBeUndefined();
    expect((toml.runners[0] as Record<string, any>).cache?.Type).toBe('s3');
  });

  it('ec2-docker without a cache: /cache stays the cache (gitlab-runner 18.10.1 keeps protected jobs in their own volume)', () => {
    const spec = exampleValue('ec2-docker');
    delete spec.caches;
    for (const r of spec.runners as Record<string, any>[]) delete r.cache;
    const toml = tomlOf(spec, 'runners/docker/config.toml');
    expect(toml.runners[0]!.docker.volumes).toEqual(['/cache']);
    expect(toml.runners[0]!.docker.disable_cache).toBeUndefined();
  });
});

/**
 * 3: job pods get the RuntimeDefault seccomp profile. gitlab-runner 18.10.1 has no seccomp key in
 * its pod or container security contexts, so the profile comes from a pod_spec patch, applied with
 * FF_USE_ADVANCED_POD_SPEC_CONFIGURATION on; the verifier reads it back from config.toml.
 */
describe('3. a seccomp profile for Kubernetes job pods', () => {
  const CLAIM = 'config.toml gives job pods the RuntimeDefault seccomp profile';
  const claims = <P extends { claim: string; holds: boolean }>(proofs: readonly P[]) => proofs.filter((p) => p.claim.includes(CLAIM));

  it('eks-irsa: each runner\'s config.toml carries the patch and the flag (token rotation flag kept), and the claim holds', () => {
    const plan = planValue(exampleValue('eks-irsa'));
    const toml = parseToml(synthFiles(plan).find((x) => x.path === 'runners/build/config.toml')!.content) as { runners: Record<string, any>[] };
    expect(toml.runners[0]!.feature_flags).toEqual({ FF_DISABLE_AUTOMATIC_TOKEN_ROTATION: true, FF_USE_ADVANCED_POD_SPEC_CONFIGURATION: true });
    expect(toml.runners[0]!.kubernetes.pod_spec).toEqual([{ name: 'seccomp-runtime-default', patch: '{"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}', patch_type: 'strategic' }]);
    expect(claims(plan.proofs).map((p) => `${p.runner}: ${String(p.holds)}`)).toEqual(['build: true', 'deploy: true']);
    expect(plan.findings.filter((f) => f.code === 'RF106' || f.code === 'RF001')).toEqual([]);
  });

  it('aks-workload-identity too (the same executor on AKS)', () => {
    const plan = planValue(exampleValue('aks-workload-identity'));
    expect(claims(plan.proofs).map((p) => p.holds)).toEqual([true, true]);
  });

  it('privileged jobs: no patch, no flag, no claim', () => {
    const spec = exampleValue('eks-irsa');
    const build = runnerOf(spec, 'build');
    build.jobs = { ...build.jobs, privileged: true };
    build.acceptRisks = [...(build.acceptRisks ?? []), { code: 'RF301', reason: 'builds images with Docker in Docker' }];
    const plan = planValue(spec);
    const toml = parseToml(synthFiles(plan).find((x) => x.path === 'runners/build/config.toml')!.content) as { runners: Record<string, any>[] };
    expect(toml.runners[0]!.kubernetes.pod_spec).toBeUndefined();
    expect(toml.runners[0]!.feature_flags).toEqual({ FF_DISABLE_AUTOMATIC_TOKEN_ROTATION: true });
    expect(claims(plan.proofs).map((p) => p.runner)).toEqual(['deploy']);
  });

  const synthOf = (edit: (text: string) => string) =>
    synthFiles(planValue(exampleValue('eks-irsa'))).map((x) => ({ path: x.path, bytes: new TextEncoder().encode(x.path.includes('build/') ? edit(x.content) : x.content) }));

  it('the doctor on the synth output: the claim holds; without the flag, or without the patch, it is refuted', () => {
    expect(claims(doctor(synthOf((t) => t)).proofs).map((p) => p.holds)).toEqual([true, true]);
    const noFlag = doctor(synthOf((t) => t.replace(/^\s*FF_USE_ADVANCED_POD_SPEC_CONFIGURATION = true\n/gm, '')));
    expect(claims(noFlag.proofs).map((p) => `${p.runner}: ${String(p.holds)}`)).toEqual(['build: false', 'deploy: true']);
    const noPatch = doctor(synthOf((t) => t.replace(/RuntimeDefault/g, 'Unconfined')));
    expect(claims(noPatch.proofs).map((p) => `${p.runner}: ${String(p.holds)}`)).toEqual(['build: false', 'deploy: true']);
  });

  it('a patch written in YAML, as gitlab-runner\'s docs write it, is read too', () => {
    // Indented like the line it replaces (in the chart values the TOML sits in a block scalar).
    const yamlPatch = doctor(synthOf((t) => t.replace(/^( *)patch = "\{.*RuntimeDefault.*"$/gm, (_l, i: string) => `${i}patch = '''\n${i}securityContext:\n${i}  seccompProfile:\n${i}    type: RuntimeDefault\n${i}'''`)));
    expect(claims(yamlPatch.proofs).map((p) => p.holds)).toEqual([true, true]);
  });
});
