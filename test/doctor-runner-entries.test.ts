import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { corpusRoot } from './helpers/corpus-case.js';

/**
 * A runner manager whose config.toml holds more than one [[runners]] entry. A config.toml the
 * manager boots (a ConfigMap a workload mounts, a heredoc of the user data) runs every entry with
 * the manager's identity; the chain proves entry 0, so the later entries' job settings are checked
 * at their keys (RF301, RF107) and RF903 says what is not proven of them. The chart's
 * runners.config is a template for `gitlab-runner register --template-config`, which refuses one
 * without exactly one entry: RF919.
 */

const corpus = (name: string, file: string) => readFileSync(join(corpusRoot(), name, file), 'utf8');
const run = doctorTexts;
const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
/** Inserts `text` after the first line that holds `after`. */
const insertAfter = (source: string, after: string, text: string) => {
  const at = source.indexOf('\n', source.indexOf(after));
  if (source.indexOf(after) < 0) throw new Error(`test fixture: ${after} not found`);
  return `${source.slice(0, at + 1)}${text}${source.slice(at + 1)}`;
};

describe('a mounted config.toml with a second [[runners]] entry (DaemonSet of the corpus)', () => {
  const manifests = corpus('eks-manager-daemonset', 'manager.yaml');
  const roles = corpus('eks-manager-daemonset', 'roles.tf.json');
  const second = (settings: string) => `
    [[runners]]
      name = "builds"
      url = "https://gitlab.example.com/"
      executor = "kubernetes"
      [runners.kubernetes]
        namespace = "ci-runner"
${settings}`;
  const withSecond = (settings: string) => run({ 'manager.yaml': insertAfter(manifests, 'image = "alpine:3.20"', second(settings)), 'roles.tf.json': roles });

  it('privileged jobs and any service account in entry 1: RF301 and RF107 at their keys, RF903 says what is not proven', () => {
    const r = withSecond('        privileged = true\n        service_account_overwrite_allowed = ".*"\n');
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual(['manager.yaml:52:9']);
    expect(codes(r, 'RF301')[0]!.message).toMatch(/^runner ci-runner: config\.toml \[runners\.kubernetes\] privileged = true of \[\[runners\]\] entry 1: /);
    expect(codes(r, 'RF107').map((f) => f.path)).toEqual(['manager.yaml:53:9']);
    const notProven = codes(r, 'RF903').filter((f) => f.message.includes('[[runners]] entries'));
    expect(notProven.map((f) => f.path)).toEqual(['manager.yaml:46:5']);
    expect(notProven[0]!.message).toContain('has 2 [[runners]] entries');
    expect(notProven[0]!.message).toContain('entry 1 ("builds")');
    // A Kubernetes entry has no Docker escapes to check, but its host_path mounts are (stop 55d): RF309 is named for those only.
    expect(notProven[0]!.message).not.toContain('Docker job container');
    expect(notProven[0]!.message).toContain("the node's paths, capabilities and pod_spec patches handed to job pods, RF309");
    expect(r.exitCode).toBe(1);
  });

  it('an unprivileged entry 1: no RF301 or RF107, RF903 still says entry 1 is not proven', () => {
    const r = withSecond('        privileged = false\n');
    expect(codes(r, 'RF301')).toEqual([]);
    expect(codes(r, 'RF107')).toEqual([]);
    expect(codes(r, 'RF903').filter((f) => f.message.includes('[[runners]] entries')).map((f) => f.path)).toEqual(['manager.yaml:46:5']);
  });

  it('one entry, as the corpus has it: nothing about other entries', () => {
    const r = run({ 'manager.yaml': manifests, 'roles.tf.json': roles });
    expect(r.findings.filter((f) => f.message.includes('[[runners]] entr'))).toEqual([]);
  });
});

describe('a config.toml heredoc in user data with a second [[runners]] entry (EC2 Docker of the corpus)', () => {
  const main = corpus('ec2-docker-token-key-policy-not-granting-manager', 'main.tf');
  const userData = corpus('ec2-docker-token-key-policy-not-granting-manager', 'user-data.sh');
  const second = (settings: string) => `
[[runners]]
  name = "dind"
  url = "https://gitlab.example.com"
  executor = "docker"
  [runners.docker]
    image = "docker:27"
${settings}`;
  const withSecond = (settings: string) => run({ 'main.tf': main, 'user-data.sh': insertAfter(userData, 'privileged = false', second(settings)) });

  it('privileged Docker jobs in entry 1: RF301 at its line of user-data.sh (before 30b: at the user_data argument), RF903 names the Docker escapes as checked', () => {
    const r = withSecond('    privileged = true\n');
    const rf301 = codes(r, 'RF301');
    expect(rf301.map((f) => f.path)).toEqual(['user-data.sh:21:5']);
    expect(rf301[0]!.message).toMatch(/^runner docker-ci, line 21 of user-data\.sh: config\.toml \[runners\.docker\] privileged = true of \[\[runners\]\] entry 1 /);
    const notProven = codes(r, 'RF903').filter((f) => f.message.includes('[[runners]] entries'));
    expect(notProven.map((f) => f.message.split(':')[0])).toEqual(['runner docker-ci, line 15 of user-data.sh']);
    expect(notProven[0]!.message).toContain('RF309');
  });

  it('an unprivileged entry 1: no RF301', () => {
    expect(codes(withSecond('    privileged = false\n'), 'RF301')).toEqual([]);
  });
});

describe("the chart's runners.config with two [[runners]] entries", () => {
  const values = corpus('hand-eks-irsa-chart-rbac', 'helm/values.yaml');
  const iam = corpus('hand-eks-irsa-chart-rbac', 'iam/main.tf');
  const second = `    [[runners]]
      name = "second"
      executor = "kubernetes"
      [runners.kubernetes]
        namespace = "gitlab-runner"
        privileged = true
`;

  it('RF919 at the second entry: register --template-config refuses the template, and the entry is not read as running', () => {
    const r = run({ 'helm/values.yaml': insertAfter(values, 'AuthenticationType = "iam"', second), 'iam/main.tf': iam });
    const rf919 = codes(r, 'RF919');
    expect(rf919.map((f) => f.path)).toEqual(['helm/values.yaml:26:5']);
    expect(rf919[0]!.message).toContain('configuration template must contain exactly one [[runners]] entry');
    expect(rf919[0]!.severity).toBe('error');
    // The second entry never runs: its privileged setting is not said as privileged jobs.
    expect(codes(r, 'RF301')).toEqual([]);
    expect(r.exitCode).toBe(1);
  });

  it('one entry: no RF919', () => {
    expect(codes(run({ 'helm/values.yaml': values, 'iam/main.tf': iam }), 'RF919')).toEqual([]);
  });
});
