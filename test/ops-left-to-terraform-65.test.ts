import { describe, expect, it } from 'vitest';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * register and rotate leave a runner whose registration is terraform (the default on Kubernetes) to
 * the generated terraform/gitlab root. A new user's review (65e, stop 65) saw `register` print only
 * "plan: nothing to do" for such runners that GitLab did not have: read as "registered". The report
 * now names them (`leftToTerraform`), and the text says why and what to do.
 */
const byTerraform = () => {
  const s = opsSpec();
  // runners[0] is the EKS runner; without registration: api it is terraform/gitlab's.
  delete s.runners[0].gitlab.registration;
  return { spec: s, name: s.runners[0].name as string };
};

describe('register and rotate name the runners the terraform/gitlab root registers', () => {
  it.each(['register', 'rotate'] as const)('%s: text and --json name the runner, the plan does not hold it', async (command) => {
    const { spec, name } = byTerraform();
    const h = harness(writeSpec(spec));
    const json = await h.run(command, { json: true });
    const report = JSON.parse(json.out) as { leftToTerraform?: string[]; plan: { runner: string }[] };
    expect(report.leftToTerraform).toEqual([name]);
    expect(report.plan.map((s) => s.runner)).not.toContain(name);
    const text = (await h.run(command, {})).out;
    expect(text).toContain(`runner ${name}: registered by the generated terraform/gitlab root, which owns its token (gitlab.registration: terraform, the default on Kubernetes), so ${command} leaves it alone`);
  });
  it('a fleet whose runners are all registered through the API has no such line', async () => {
    const h = harness(writeSpec(opsSpec()));
    const report = JSON.parse((await h.run('register', { json: true })).out) as { leftToTerraform?: string[] };
    expect(report.leftToTerraform).toBeUndefined();
    expect((await h.run('register', {})).out).not.toContain('terraform/gitlab root');
  });
});
