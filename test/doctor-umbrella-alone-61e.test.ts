import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { rf907, runnerIam as iam, runnerValues as values, umbrellaChart as chart, underKey as under } from './helpers/umbrella.js';

/**
 * Stop 61e: a parent ("umbrella") chart's values.yaml given with its Chart.yaml and no release that
 * installs it (no Argo CD Application, no HelmRelease). Helm renders a dependency only where its
 * `condition` (else its `tags`) leaves it enabled, and gives it the parent's values under its alias,
 * else its name, the alias renaming its chart (Helm docs, "Charts": "Tags and Condition fields in
 * dependencies", "Alias field in dependencies"). Before, every section that looked like runner values
 * was read, its condition ignored, and an aliased dependency's chart was named gitlab-runner.
 */

const run = doctorTexts;
const files = (dependency: string, parentValues: string, more: Record<string, string> = {}) => ({ 'platform/Chart.yaml': chart(dependency), 'platform/values.yaml': parentValues, 'iam/main.tf': iam, ...more });
const notRendered = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF902' && f.message.includes('which Helm does not render'));

describe("an umbrella chart's values.yaml read alone", () => {
  it('a condition that resolves to false: the section is not read (RF902 says why), no RF907, no proofs, no RF910', () => {
    const r = run(files('    condition: gitlab-runner.enabled\n', under('gitlab-runner', '  enabled: false\n')));
    expect(notRendered(r)).toHaveLength(1);
    expect(notRendered(r)[0]!.path).toBe('platform/values.yaml:2:3');
    expect(notRendered(r)[0]!.message).toContain('its condition gitlab-runner.enabled is false (platform/values.yaml:2:12)');
    expect(rf907(r)).toEqual([]);
    expect(r.proofs).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF910')).toEqual([]);
  });

  it('twin: the condition true: read as before', () => {
    const r = run(files('    condition: gitlab-runner.enabled\n', under('gitlab-runner', '  enabled: true\n')));
    expect(notRendered(r)).toEqual([]);
    expect(rf907(r)).toHaveLength(1);
    expect(r.proofs.length).toBeGreaterThan(2);
  });

  it('twin: enabled: false that no condition names: read as before', () => {
    const r = run(files('', under('gitlab-runner', '  enabled: false\n')));
    expect(notRendered(r)).toEqual([]);
    expect(rf907(r)).toHaveLength(1);
  });

  it('the first condition path that resolves decides (a path not there is passed over)', () => {
    const r = run(files('    condition: runner.missing,gitlab-runner.enabled\n', under('gitlab-runner', '  enabled: false\n')));
    expect(notRendered(r)).toHaveLength(1);
  });

  it('a tag set false in the parent values (none true), no condition: not read', () => {
    const r = run(files('    tags:\n      - ci\n', `tags:\n  ci: false\n${under('gitlab-runner')}`));
    expect(notRendered(r)).toHaveLength(1);
    expect(notRendered(r)[0]!.message).toContain('its tag ci is false in tags: (platform/values.yaml:2:');
    expect(rf907(r)).toEqual([]);
  });

  it('twin: the tag true: read', () => {
    const r = run(files('    tags:\n      - ci\n', `tags:\n  ci: true\n${under('gitlab-runner')}`));
    expect(notRendered(r)).toEqual([]);
    expect(rf907(r)).toHaveLength(1);
  });

  it('a condition false on an aliased dependency: its section under the alias is not read', () => {
    const r = run(files('    alias: runner\n    condition: runner.enabled\n', under('runner', '  enabled: false\n')));
    expect(notRendered(r)).toHaveLength(1);
    expect(rf907(r)).toEqual([]);
  });

  it("an aliased dependency's vendored chart is charts/gitlab-runner/ (the chart's name, not the alias): its defaults are the bottom layer of the section", () => {
    // The parent's section writes no rbac; the vendored chart's defaults create the Role with no rules.
    const section = under('runner', '', values.replace('rbac:\n  create: true\n', ''));
    const defaults = 'gitlabUrl: ""\nrunnerToken: ""\nrbac:\n  create: true\n';
    const r = run(files('    alias: runner\n', section, { 'platform/charts/gitlab-runner/Chart.yaml': 'apiVersion: v1\nname: gitlab-runner\nversion: 0.71.0\n', 'platform/charts/gitlab-runner/values.yaml': defaults }));
    expect(rf907(r).map((f) => f.path)).toEqual(['platform/charts/gitlab-runner/values.yaml:4:11']);
    // The vendored chart's RF902 (defaults, not a deployment) is taken back: they are read, as the section's.
    expect(r.findings.filter((f) => f.code === 'RF902' && f.message.includes('holds the default values'))).toEqual([]);
    // Twin: no alias, the section under gitlab-runner: layered the same (as before).
    const plain = run(files('', section.replace(/^runner:/, 'gitlab-runner:'), { 'platform/charts/gitlab-runner/Chart.yaml': 'apiVersion: v1\nname: gitlab-runner\nversion: 0.71.0\n', 'platform/charts/gitlab-runner/values.yaml': defaults }));
    expect(rf907(plain).map((f) => f.path)).toEqual(['platform/charts/gitlab-runner/values.yaml:4:11']);
  });

  it('twin: a section no dependency names (no Chart.yaml given) is read as before, a disabled-looking enabled: false and all', () => {
    const r = run({ 'platform/values.yaml': under('gitlab-runner', '  enabled: false\n'), 'iam/main.tf': iam });
    expect(notRendered(r)).toEqual([]);
    expect(rf907(r)).toHaveLength(1);
  });

  it('hostile text: 200,000 blank lines in the parent values and a 200,000-character word are read to the same answer', () => {
    const blank = '\n'.repeat(200_000);
    const r = run(files('    condition: gitlab-runner.enabled\n', `${blank}${under('gitlab-runner', '  enabled: false\n')}${blank}`));
    expect(notRendered(r)).toHaveLength(1);
    expect(rf907(r)).toEqual([]);
    // A word that long is no YAML key (implicit keys end at 1,024 characters): the parent chart's name and the condition's path.
    const word = 'r'.repeat(200_000);
    const long = run({ ...files(`    condition: ${word}.enabled,gitlab-runner.enabled\n`, under('gitlab-runner', '  enabled: false\n')), 'platform/Chart.yaml': chart(`    condition: ${word}.enabled,gitlab-runner.enabled\n`).replace('name: ci-platform', `name: ${word}`) });
    expect(notRendered(long)).toHaveLength(1);
    expect(notRendered(long)[0]!.message.length).toBeLessThan(2_000);
  });
});
