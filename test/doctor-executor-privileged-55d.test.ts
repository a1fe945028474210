import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 55d: a privileged flag (or volume, capability, device flag) is a job setting only of the
 * executor whose table it fills: `--docker-*` fills `[runners.docker]`, read by the Docker executors;
 * `--kubernetes-privileged` fills `[runners.kubernetes]`, read by the kubernetes executor. Before,
 * `gitlab-runner register --executor kubernetes --docker-privileged --kubernetes-privileged` had its
 * RF301 at --docker-privileged (a flag the kubernetes executor never reads) and none at
 * --kubernetes-privileged. An executor not written out (a variable) may be either: both are said.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const script = (executor: string) =>
  `#!/bin/sh\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "$TOKEN" \\\n  --executor ${executor} \\\n  --docker-privileged \\\n  --kubernetes-privileged \\\n  --docker-volumes /var/run/docker.sock:/var/run/docker.sock\n`;
const run = (executor: string): DoctorResult => doctor([{ path: 'boot.sh', bytes: enc(script(executor)) }]);
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);

describe('register: the privileged flag the chosen executor reads', () => {
  it('--executor kubernetes: RF301 at --kubernetes-privileged, nothing at the --docker-* flags it ignores', () => {
    const r = run('kubernetes');
    expect(at(r, 'RF301')).toEqual(['boot.sh:5:3']);
    expect(r.findings.find((f) => f.code === 'RF301')!.message).toContain('--kubernetes-privileged: every job pod runs privileged');
    expect(at(r, 'RF309')).toEqual([]);
  });

  it('--executor docker: RF301 at --docker-privileged and RF309 at the socket volume, nothing at --kubernetes-privileged', () => {
    const r = run('docker');
    expect(at(r, 'RF301')).toEqual(['boot.sh:4:3']);
    expect(at(r, 'RF309')).toEqual(['boot.sh:6:3']);
  });

  it('--executor shell reads neither table: no RF301, no RF309', () => {
    const r = run('shell');
    expect(at(r, 'RF301')).toEqual([]);
    expect(at(r, 'RF309')).toEqual([]);
  });

  it('an executor known only at boot ("$EXECUTOR"): both privileged flags are said', () => {
    expect(at(run('"$EXECUTOR"'), 'RF301')).toEqual(['boot.sh:4:3', 'boot.sh:5:3']);
  });
});

describe('register from the environment: RUNNER_EXECUTOR=kubernetes with DOCKER_PRIVILEGED', () => {
  const manifest = readFileSync(join(import.meta.dirname, 'fixtures', 'doctor-register-env', 'runner-manifest.yaml'), 'utf8');
  const withDocker = manifest.replace('        - name: KUBERNETES_PRIVILEGED\n', '        - name: DOCKER_PRIVILEGED\n          value: "true"\n        - name: KUBERNETES_PRIVILEGED\n');
  const lines = withDocker.split('\n');
  const valueLine = (name: string) => lines.findIndex((l) => l.trim() === `- name: ${name}`) + 2;

  it('RF301 is at KUBERNETES_PRIVILEGED, the setting the kubernetes executor reads, never at DOCKER_PRIVILEGED', () => {
    expect(withDocker).not.toBe(manifest);
    const r = doctor([{ path: 'runner-manifest.yaml', bytes: enc(withDocker) }]);
    const rf301 = r.findings.filter((f) => f.code === 'RF301').map((f) => Number(f.path.split(':')[1]));
    expect(rf301).toEqual([valueLine('KUBERNETES_PRIVILEGED')]);
    const off = doctor([{ path: 'runner-manifest.yaml', bytes: enc(withDocker.replace(/(- name: KUBERNETES_PRIVILEGED\n\s+value: )"true"/, '$1"false"')) }]);
    expect(off.findings.filter((f) => f.code === 'RF301')).toEqual([]);
  });
});
