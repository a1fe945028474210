import { describe, expect, it } from 'vitest';
import { outputReadme } from '../src/emit/readme/readme.js';
import { planExample } from './helpers/fleet.js';

// The output README appends each line of a platform's step one by one: spread into one call of
// `push`, a step of about 6,000 VM runners (22 lines each) overflowed the stack and `synth` ended
// with "Maximum call stack size exceeded" (exit 70; seen with 6,500 replicated ecs-fargate
// runners). Planning thousands of runners here would be slow, and vitest's worker threads have a
// larger stack than the CLI, so the planned example's runner is given a description of 600,000
// lines instead (not a spec value: the schema allows 255 characters): the registration step
// writes each line of the request on its own README line, one step of 600,000 lines (past the
// stack of a worker thread, about 500,000, and of the CLI's main thread, about 120,000).

describe('outputReadme with long lists', () => {
  it('writes a registration step of 600,000 lines', () => {
    const plan = planExample('ecs-fargate');
    expect(plan.exitCode).toBe(0);
    const fleet = plan.fleet!;
    const runner = fleet.runners.find((r) => r.platform === 'ecs-fargate')!;
    const long = { ...runner, description: `x${'\n'.repeat(600_000)}y` };
    const many = { ...fleet, runners: [long, ...fleet.runners.filter((r) => r !== runner)] };
    const readme = outputReadme(many, plan.emitted!, plan.verification!);
    const text = readme.content as string;
    // Every line of the step is there, indented as a step's lines are (blank ones stay empty).
    expect(text).toContain(`--data-urlencode "description=x${'\n'.repeat(600_000)}   y" \\`);
    expect(text.split('| aws ssm put-parameter ').length - 1).toBe(fleet.runners.filter((r) => r.platform === 'ecs-fargate').length);
  });

  it('writes the same README as before for the example itself', () => {
    const plan = planExample('ecs-fargate');
    const once = outputReadme(plan.fleet!, plan.emitted!, plan.verification!).content as string;
    // Steps keep their three-space indentation and blank lines stay empty.
    expect(once).toContain('\n   ```sh\n');
    expect(once).not.toMatch(/\n {3}\n/);
    expect(once.split('| aws ssm put-parameter ').length - 1).toBe(plan.fleet!.runners.filter((r) => r.platform === 'ecs-fargate').length);
  });
});
