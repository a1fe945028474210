import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts as run } from './helpers/doctor.js';
import { rf907, umbrellaChart as chart } from './helpers/umbrella.js';

/**
 * Stop 62d: Helm gives a dependency the parent's values under its alias, else its name, whatever keys
 * that section has (Helm docs, "Charts": "Scope, Dependencies, and Values", "Alias field in
 * dependencies"). Before, a gitlab-runner dependency's section with few of the runner chart's keys
 * (only `rbac:`, only `runners:`) was not taken as runner values at all, so its RBAC was never checked.
 */

const RBAC_ONLY = '  rbac:\n    create: true\n';
const files = (dependency: string, parentValues: string) => ({ 'platform/Chart.yaml': chart(dependency), 'platform/values.yaml': parentValues });
const notRendered = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF902' && f.message.includes('which Helm does not render'));

describe("a gitlab-runner dependency's section with few keys is its values", () => {
  it('only rbac: under gitlab-runner: the chart\'s Role without rules is said (RF907 at the section\'s rbac.create)', () => {
    const r = run(files('', `global:\n  team: ci\ngitlab-runner:\n${RBAC_ONLY}`));
    expect(rf907(r).map((f) => f.path)).toEqual(['platform/values.yaml:5:13']);
    expect(rf907(r)[0]!.message).toMatch(/^rbac\.create: true without rbac\.rules/);
  });

  it('only rbac: under the alias: read under the alias, not under the name', () => {
    expect(rf907(run(files('    alias: ci-runner\n', `ci-runner:\n${RBAC_ONLY}`))).map((f) => f.path)).toEqual(['platform/values.yaml:3:13']);
    expect(rf907(run(files('    alias: ci-runner\n', `gitlab-runner:\n${RBAC_ONLY}`)))).toEqual([]);
  });

  it('only runners: (a secret and tags) under gitlab-runner, with rbac.create true elsewhere in it: read', () => {
    const r = run(files('', 'gitlab-runner:\n  runners:\n    tags: ci\n  rbac:\n    create: true\n'));
    expect(rf907(r).map((f) => f.path)).toEqual(['platform/values.yaml:5:13']);
  });

  it('a section with few keys whose dependency a condition disables: RF902 says it is not rendered, no RF907', () => {
    const r = run(files('    condition: gitlab-runner.enabled\n', `gitlab-runner:\n  enabled: false\n${RBAC_ONLY}`));
    expect(notRendered(r)).toHaveLength(1);
    expect(rf907(r)).toEqual([]);
  });

  it('twins: the same section under a key no dependency names, or with no Chart.yaml given, or in a file not named values.yaml: not read', () => {
    expect(rf907(run(files('', `monitoring:\n${RBAC_ONLY}`)))).toEqual([]);
    expect(rf907(run({ 'platform/values.yaml': `gitlab-runner:\n${RBAC_ONLY}` }))).toEqual([]);
    expect(rf907(run({ 'platform/Chart.yaml': chart(''), 'platform/values-prod.yaml': `gitlab-runner:\n${RBAC_ONLY}` }))).toEqual([]);
  });
});
