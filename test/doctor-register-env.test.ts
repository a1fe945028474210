import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { envRegisteredEntry } from '../src/doctor/register-env.js';

/**
 * A manager Deployment that registers from its environment (the gitlab-runner chart before 0.53.0,
 * rendered with `helm template` for GitOps as GitLab's agent docs show; hand-written Deployments):
 * register appends the [[runners]] entry it builds from RUNNER_EXECUTOR, KUBERNETES_* and CACHE_*
 * to the global-only config.toml the chart mounts. Before, the doctor read only that config.toml:
 * KUBERNETES_PRIVILEGED=true went unseen and the jobs' namespace and service account were guessed.
 */
const FIXTURE = join(import.meta.dirname, 'fixtures', 'doctor-register-env', 'runner-manifest.yaml');
const manifest = readFileSync(FIXTURE, 'utf8');
const lines = manifest.split('\n');
const enc = (s: string) => new TextEncoder().encode(s);
const run = (text: string) => doctor([{ path: 'runner-manifest.yaml', bytes: enc(text) } satisfies InputFile]);
/** 1-based line and column of the value of env entry `name` (the line after its `- name:`). */
const envValueAt = (name: string) => {
  const i = lines.findIndex((l) => l.trim() === `- name: ${name}`);
  return `runner-manifest.yaml:${i + 2}:${lines[i + 1]!.indexOf('value:') + 'value: '.length + 1}`;
};
const setEnv = (name: string, value: string) => {
  const i = lines.findIndex((l) => l.trim() === `- name: ${name}`);
  const next = [...lines];
  next[i + 1] = next[i + 1]!.replace(/value: .*/, `value: "${value}"`);
  return next.join('\n');
};

describe('a manager that registers from its environment', () => {
  it('KUBERNETES_PRIVILEGED=true makes the jobs privileged: RF301 at the variable', () => {
    const r = run(manifest);
    const f = r.findings.filter((x) => x.code === 'RF301');
    expect(f.map((x) => x.path)).toEqual([envValueAt('KUBERNETES_PRIVILEGED')]);
    expect(run(setEnv('KUBERNETES_PRIVILEGED', 'false')).findings.filter((x) => x.code === 'RF301')).toEqual([]);
  });

  it('the jobs run in KUBERNETES_NAMESPACE as KUBERNETES_SERVICE_ACCOUNT; empty is unset (the namespace default account)', () => {
    expect([...run(manifest).chains.values()][0]![1]).toMatch(/^jobs gitlab\/default /);
    const named = run(setEnv('KUBERNETES_SERVICE_ACCOUNT', 'gitlab-runner-gitlab-runner'));
    expect([...named.chains.values()][0]![1]).toBe(`jobs gitlab/gitlab-runner-gitlab-runner (${envValueAt('KUBERNETES_SERVICE_ACCOUNT')})`);
    // The manager's own account: every job gets the manager's RBAC.
    expect(named.findings.filter((x) => x.code === 'RF905').map((x) => x.path)).toEqual([envValueAt('KUBERNETES_SERVICE_ACCOUNT')]);
    const elsewhere = run(setEnv('KUBERNETES_NAMESPACE', 'ci-jobs'));
    expect([...elsewhere.chains.values()][0]![1]).toMatch(/^jobs ci-jobs\/default /);
  });

  it('no register variable, or a config.toml with its own [[runners]]: the environment is not read', () => {
    const noRegister = manifest.replace(/ {8}- name: RUNNER_EXECUTOR\n {10}value: "kubernetes"\n/, '');
    expect(noRegister).not.toBe(manifest);
    expect(run(noRegister).findings.filter((x) => x.code === 'RF301')).toEqual([]);
    const own = manifest.replace('    check_interval = 30\n', '    check_interval = 30\n    [[runners]]\n      executor = "kubernetes"\n      [runners.kubernetes]\n        namespace = "gitlab"\n');
    expect(own).not.toBe(manifest);
    expect(run(own).findings.filter((x) => x.code === 'RF301')).toEqual([]);
  });

  it('reads literal values only, Go booleans, and nothing without a register variable', () => {
    const env = (pairs: [string, string | undefined][]) => ({ env: pairs.map(([name, value]) => (value === undefined ? { name, valueFrom: { secretKeyRef: { name: 's', key: 'k' } } } : { name, value })) });
    expect(envRegisteredEntry(env([['RUNNER_EXECUTOR', 'kubernetes'], ['KUBERNETES_PRIVILEGED', 'T'], ['CACHE_S3_BUCKET_NAME', 'b'], ['CACHE_SHARED', '1']]))?.entry).toEqual({ executor: 'kubernetes', kubernetes: { privileged: true }, cache: { Shared: true, s3: { BucketName: 'b' } } });
    // Not a Go boolean, empty, or from a Secret: unset.
    expect(envRegisteredEntry(env([['RUNNER_EXECUTOR', 'kubernetes'], ['KUBERNETES_PRIVILEGED', 'yes'], ['KUBERNETES_NAMESPACE', ''], ['KUBERNETES_SERVICE_ACCOUNT', undefined]]))?.entry).toEqual({ executor: 'kubernetes' });
    expect(envRegisteredEntry(env([['KUBERNETES_PRIVILEGED', 'true']]))).toBeUndefined();
  });
});
