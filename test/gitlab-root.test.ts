import { describe, expect, it } from 'vitest';
import { synthFiles, type PlanResult } from '../src/core.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { exampleNames, planExample, planMutated } from './helpers/fleet.js';
import { AKS, MIXED } from './helpers/azure.js';
import { gitlabDescription, maintenanceNote } from '../src/ops/marker.js';

const root = (plan: PlanResult): TerraformRoot => plan.emitted!.terraformGitlab!;

// Kubernetes runners terraform/gitlab registers (not those registered through the API, e.g. with a Key Vault token store).
const k8sRunners = (plan: PlanResult) => plan.fleet!.runners.filter((x) => x.kubernetes && x.spec.gitlab.registration !== 'api' && x.spec.gitlab.tokenStore === undefined);
const withKubernetes = exampleNames().filter((name) => k8sRunners(planExample(name)).length > 0);

it('fleets with no Terraform-registered Kubernetes runner have no terraform/gitlab root (VM and API-registered runners register through runner-fleet register)', () => {
  const vmOnly = exampleNames().filter((name) => !withKubernetes.includes(name));
  expect(vmOnly.length).toBeGreaterThan(0);
  for (const name of vmOnly) {
    const plan = planExample(name);
    expect(plan.emitted!.terraformGitlab).toBeUndefined();
    expect(synthFiles(plan).map((f) => f.path)).not.toContain('terraform/gitlab/main.tf.json');
  }
});

describe.each(withKubernetes)('terraform/gitlab for %s', (name) => {
  const plan = planExample(name);
  const r = root(plan);

  it('is written and registers every Kubernetes runner with gitlab_user_runner', () => {
    expect(synthFiles(plan).map((f) => f.path)).toContain('terraform/gitlab/main.tf.json');
    expect(Object.keys(r.resource.gitlab_user_runner!).sort()).toEqual(k8sRunners(plan).map((x) => x.name).sort());
  });

  it('runner settings come from the spec', () => {
    for (const runner of k8sRunners(plan)) {
      const g = runner.spec.gitlab;
      const body = r.resource.gitlab_user_runner![runner.name]!;
      expect(body).toMatchObject({
        runner_type: g.group ? 'group_type' : g.project ? 'project_type' : 'instance_type',
        // The marker lets `runner-fleet status` and `prune` find Terraform-registered runners too.
        description: gitlabDescription(plan.fleet!.name, runner),
        maintenance_note: maintenanceNote(plan.fleet!.name, runner.name),
        tag_list: g.tags,
        untagged: g.runUntagged,
        locked: g.locked,
        access_level: g.protectedOnly ? 'ref_protected' : 'not_protected',
        paused: g.paused,
      });
      expect(body.maximum_timeout).toBe(g.maximumTimeoutSeconds);
      // A drained (paused) runner stays paused across the next apply: drain/resume own `paused` after creation.
      expect(body.lifecycle).toEqual({ ignore_changes: ['paused'] });
      if (g.group) {
        expect(body.group_id).toBe(`\${data.gitlab_group.${runner.name}.group_id}`);
        expect(r.data!.gitlab_group![runner.name]).toEqual({ full_path: g.group });
      }
      if (g.project) {
        expect(body.project_id).toBe(`\${data.gitlab_project.${runner.name}.id}`);
        expect(r.data!.gitlab_project![runner.name]).toEqual({ path_with_namespace: g.project });
      }
    }
  });

  it('stores each token in the Secret the Helm values name, in the runner namespace, on the runner cluster', () => {
    for (const runner of k8sRunners(plan)) {
      const secret = r.resource.kubernetes_secret_v1![runner.name]!;
      const values = plan.emitted!.runners.get(runner.name)!.helmValues!;
      expect(secret.metadata).toMatchObject({ name: (values.runners as Record<string, unknown>).secret, namespace: runner.kubernetes!.namespace });
      expect(secret.data).toEqual({ 'runner-token': `\${gitlab_user_runner.${runner.name}.token}`, 'runner-registration-token': '' });
      expect(secret.provider).toBe(`kubernetes.${runner.cluster}`);
      expect((r.provider!.kubernetes as { alias: string }[]).map((p) => p.alias)).toContain(runner.cluster);
    }
  });

  it('takes the GitLab URL from the spec and every credential from sensitive variables, and outputs nothing', () => {
    expect(r.provider!.gitlab).toEqual({ base_url: `${plan.fleet!.gitlabUrl}/api/v4/`, token: '${var.gitlab_token}' });
    for (const v of Object.values(r.variable!)) expect(v).toMatchObject({ type: 'string', sensitive: true });
    for (const p of r.provider!.kubernetes as Record<string, string>[]) {
      expect(p.config_path).toBe('${var.kubeconfig_path}');
      expect(p.config_context).toMatch(/^\$\{var\.kube_context_[A-Za-z0-9_-]+\}$/);
    }
    expect(r.output).toBeUndefined();
    expect(JSON.stringify(r)).not.toMatch(/glrt-|glpat-|"token":\s*"[^$]/);
  });
});

describe('terraform/gitlab edge cases', () => {
  it('a project runner is looked up by path_with_namespace, an instance runner needs no lookup', () => {
    const project = root(planExample(MIXED));
    expect(project.data!.gitlab_project!['azure-build']).toEqual({ path_with_namespace: 'fabrikam/web/shop' });
    const instance = root(planMutated(AKS, (s) => {
      delete s.runners[0].gitlab.group;
      s.runners[0].gitlab.instance = true;
    }));
    expect(instance.resource.gitlab_user_runner!.build).toMatchObject({ runner_type: 'instance_type' });
    expect(instance.resource.gitlab_user_runner!.build!.group_id).toBeUndefined();
    expect(instance.data!.gitlab_group!.build).toBeUndefined();
  });

  it('a mixed fleet gets one kubernetes provider per cluster, each with its own context variable', () => {
    const r = root(planExample(MIXED));
    expect(r.provider!.kubernetes).toEqual([
      { alias: 'aws-ci', config_path: '${var.kubeconfig_path}', config_context: '${var.kube_context_aws-ci}' },
      { alias: 'azure-ci', config_path: '${var.kubeconfig_path}', config_context: '${var.kube_context_azure-ci}' },
    ]);
    expect(Object.keys(r.variable!).sort()).toEqual(['gitlab_token', 'kube_context_aws-ci', 'kube_context_azure-ci', 'kubeconfig_path']);
  });

  it('a runner with a maximum timeout sends it; one without leaves it to GitLab', () => {
    const r = root(planExample(AKS));
    expect(r.resource.gitlab_user_runner!.terraform!.maximum_timeout).toBe(3600);
    expect('maximum_timeout' in r.resource.gitlab_user_runner!.build!).toBe(false);
  });
});

describe('gitlab.registration', () => {
  it('api keeps a Kubernetes runner out of terraform/gitlab, so the two paths never own one runner', () => {
    const plan = planMutated('mixed-eks-vm', (s) => (s.runners[0].gitlab.registration = 'api'));
    expect(plan.exitCode).toBe(0);
    expect(synthFiles(plan).map((f) => f.path)).not.toContain('terraform/gitlab/main.tf.json');
  });
  it('terraform (the default) keeps it in terraform/gitlab', () => {
    const plan = planMutated('mixed-eks-vm', (s) => (s.runners[0].gitlab.registration = 'terraform'));
    expect(root(plan).resource.gitlab_user_runner!.k8s).toBeDefined();
  });
  it('terraform on a VM runner is refused (RF701): VM tokens live in SSM and register fills them', () => {
    const plan = planMutated('ec2-docker', (s) => (s.runners[0].gitlab.registration = 'terraform'));
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => [f.code, f.path])).toContainEqual(['RF701', 'runners[0].gitlab.registration']);
  });
});
