import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { argoApplication } from './helpers/doctor.js';

/**
 * Issue 36a: chart and rendered-chart follow-ups. Chart facts are cited where they drive behaviour
 * (src/doctor/chart-values.ts, infer.ts, read.ts); each case here is a small hand-written fixture.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (f: Record<string, string>): DoctorResult => doctor(Object.entries(f).map(([path, text]) => ({ path, bytes: enc(text) })));
const indent = (text: string, n: number) => text.split('\n').map((l) => (l === '' ? l : `${' '.repeat(n)}${l}`)).join('\n');
const application = (values: string, targetRevision: string): string => argoApplication({ helm: `      values: |\n${indent(values, 8)}\n`, namespace: 'gitlab-runner', targetRevision });

describe('the executor the chart registers: RUNNER_EXECUTOR (runners.executor, else kubernetes) wins over runners.config', () => {
  /** Values whose runners.config says `executor = "<config>"` with a privileged section of each executor; runners.executor as given. */
  const values = (config: string, executor?: string) => `gitlabUrl: https://gitlab.com/
serviceAccount:
  name: m
runners:
${executor !== undefined ? `  executor: ${executor}\n` : ''}  secret: runner-secret
  config: |
    [[runners]]
      executor = "${config}"
      [runners.kubernetes]
        namespace = "ci"
        privileged = false
      [runners.docker]
        image = "alpine"
        privileged = true
`;
  const run1 = (config: string, version: string, executor?: string) => run({ 'app.yaml': application(values(config, executor), version) });
  const docker = (r: DoctorResult) => r.findings.filter((f) => (f.code === 'RF301' && f.message.includes('[runners.docker] privileged')) || (f.code === 'RF902' && f.message.includes('"docker" executor')));

  it('runners.config says executor = "docker", runners.executor unset: the chart gives RUNNER_EXECUTOR=kubernetes, which register keeps (0.52.0 and 0.86.0): the docker section is not read', () => {
    for (const version of ['0.52.0', '0.86.0']) expect(docker(run1('docker', version)), version).toEqual([]);
  });

  it('runners.executor: docker over a runners.config that says kubernetes: the docker executor is registered (RF902, and its privileged section RF301)', () => {
    for (const version of ['0.52.0', '0.86.0']) expect(docker(run1('kubernetes', version, 'docker')).map((f) => f.code).sort(), version).toEqual(['RF301', 'RF902']);
  });

  it('twin: both say docker: docker, as before', () => {
    expect(docker(run1('docker', '0.52.0', 'docker')).map((f) => f.code).sort()).toEqual(['RF301', 'RF902']);
  });
});
