import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';

/**
 * `terraform show -json` of a plan or a state prints every value in plain text, variables and values
 * marked sensitive too. A committed plan (cmdlabs/terraform-aws-gitlab-runner-spot's
 * examples/runner_default/plan.json) held a 20-character registration token of an older GitLab as
 * the value of variable `registration_token`, and again in the vars of two template_file data
 * sources (`gitlab_runner_registration_token`): the scan, which judged the values by their shape
 * and the plain JSON key (`value`), said nothing. Runner tokens are now found by the names the
 * document gives them.
 */
const LEGACY = 'Qx7pLm2Vt9RbK4wZs8Nc';
const enc = (s: string) => new TextEncoder().encode(s);
const plan = (variables: Record<string, unknown>, resources: Record<string, unknown>[] = [], outputs: Record<string, unknown> = {}) =>
  JSON.stringify(
    {
      format_version: '0.1',
      terraform_version: '0.12.9',
      variables: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, { value: v }])),
      planned_values: { outputs, root_module: { child_modules: [{ address: 'module.runner', resources }] } },
      configuration: {},
    },
    null,
    2,
  );
const templateFile = (token: string) => ({ address: 'module.runner.data.template_file.user_data', mode: 'data', type: 'template_file', name: 'user_data', values: { template: '#!/bin/bash\n', vars: { gitlab_runner_registration_token: token, gitlab_runner_version: '12.3.0' } } });
const run = (text: string) => doctor([{ path: 'examples/plan.json', bytes: enc(text) }]);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('runner tokens in terraform show -json, by the names the document gives them', () => {
  it("a variable's value by the variable's name: RF940 at the value, never shown, its copies under longer names listed", () => {
    const text = plan({ registration_token: LEGACY, vpc_id: 'vpc-0a1b2c3d' }, [templateFile(LEGACY)]);
    const r = run(text);
    const hits = r.findings.filter((f) => f.code === 'RF940');
    expect(hits).toHaveLength(1);
    expect(hits[0]!.path).toBe(`examples/plan.json:${lineOf(text, `"value": "${LEGACY}"`)}:16`);
    expect(hits[0]!.message).toContain('a GitLab runner token (registration_token) is written in examples/plan.json at var.registration_token (value not shown); the same value is also written at examples/plan.json:');
    expect(hits[0]!.fix).toMatch(/keep plan and state JSON out of the repository/);
    expect(JSON.stringify(r)).not.toContain(LEGACY);
  });

  it('a resource attribute and an output by their names', () => {
    const project = { address: 'gitlab_project.p', mode: 'managed', type: 'gitlab_project', name: 'p', values: { name: 'app', runners_token: LEGACY } };
    const r = run(plan({}, [project], { runner_token: { sensitive: true, value: 'Zt8qWm3KpL5xNv2RbY7c' } }));
    const messages = r.findings.filter((f) => f.code === 'RF940').map((f) => f.message);
    expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('at output.runner_token (value not shown)'), expect.stringContaining('at gitlab_project.p.runners_token (value not shown)')]));
    expect(JSON.stringify(r)).not.toContain(LEGACY);
  });

  it('not by name: a variable or an attribute called just `token` of anything but a runner, placeholders, empty values, references', () => {
    const auth = { address: 'data.aws_eks_cluster_auth.c', mode: 'data', type: 'aws_eks_cluster_auth', name: 'c', values: { name: 'c', token: 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8' } };
    const r = run(plan({ token: LEGACY, registration_token: 'changeme', runner_token: '', authentication_token: '${var.x}' }, [auth, templateFile('<registration token>')]));
    expect(r.findings.filter((f) => f.code === 'RF940')).toEqual([]);
  });

  it("a runner resource's own `token` is one", () => {
    const runner = { address: 'gitlab_user_runner.r', mode: 'managed', type: 'gitlab_user_runner', name: 'r', values: { runner_type: 'project_type', token: LEGACY } };
    expect(run(plan({}, [runner])).findings.filter((f) => f.code === 'RF940').map((f) => f.message)).toEqual([expect.stringContaining('at gitlab_user_runner.r.token (value not shown)')]);
  });
});
