/**
 * Proofs over the emitted VM documents: build a good fleet, break one thing in its documents,
 * and the matching finding must appear (and be absent for the unbroken documents).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { planText } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import type { EmittedFleet } from '../src/emit/types.js';
import { serializeArtifact } from '../src/emit/serialize.js';
import { VM_DOC_CASES, res, userData } from './helpers/vm.js';

function good(example: string) {
  const plan = planText(readFileSync(`examples/${example}.yaml`, 'utf8'));
  expect(plan.exitCode).toBe(0);
  return { fleet: plan.fleet!, emitted: plan.emitted! };
}

/** A deep copy, so the fact cache (keyed by the root object) sees new documents. */
function copy(docs: EmittedFleet): EmittedFleet {
  return structuredClone(docs);
}

const CASES = VM_DOC_CASES;

describe('VM proofs: a case per rule, from the emitted documents', () => {
  it.each(CASES)('$rule → $code ($example)', ({ example, code, mutate }) => {
    const { fleet, emitted } = good(example);
    expect(verifyFleet(fleet, emitted).findings.map((f) => f.code)).not.toContain(code);
    const broken = copy(emitted);
    mutate(broken);
    expect(verifyFleet(fleet, broken).findings.map((f) => f.code)).toContain(code);
  });

  it('every VM rule code of the catalogue has a case', () => {
    const codes = new Set(CASES.map((c) => c.code));
    for (const code of ['RF710', 'RF711', 'RF712', 'RF713', 'RF714', 'RF715', 'RF716']) expect(codes).toContain(code);
  });

  it.each(['ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm'])('%s: every proof holds', (example) => {
    const plan = planText(readFileSync(`examples/${example}.yaml`, 'utf8'));
    expect(plan.proofs.length).toBeGreaterThan(0);
    expect(plan.proofs.filter((p) => !p.holds)).toEqual([]);
  });
});

describe('user data is a script without secrets', () => {
  const hasBash = spawnSync('bash', ['--version'], { stdio: 'ignore' }).status === 0;
  for (const example of ['ec2-docker', 'ecs-fargate', 'ec2-autoscaler']) {
    it(`${example}: bash -n passes, gitlab-runner is pinned, the token comes from SSM only`, () => {
      const { fleet, emitted } = good(example);
      const runner = fleet.runners[0]!;
      const script = serializeArtifact(userData(emitted, runner.name)).content;
      expect(script.startsWith('#!/bin/bash\n')).toBe(true);
      if (hasBash) {
        const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      } else console.log('SKIPPED: bash -n (no bash)');
      expect(script).toContain(`"gitlab-runner-$RUNNER_VERSION-1"`);
      expect(script).toMatch(/RUNNER_VERSION='\d+\.\d+\.\d+'/);
      expect(script).toContain('aws ssm get-parameter');
      expect(script).toContain(runner.platformNames!.tokenParameter);
      expect(script).not.toMatch(/glrt-|GR1348941|glpat-|AKIA|set -x/);
      // The launch template boots exactly this file.
      const lt = res(emitted).aws_launch_template![`${runner.name}_manager`]!;
      expect(Buffer.from(String(lt.user_data), 'base64').toString('utf8')).toBe(script);
    });
  }
  it('bash -n rejects a broken script (the check can fail)', () => {
    if (!hasBash) return;
    expect(spawnSync('bash', ['-n'], { input: 'if then fi\n' }).status).not.toBe(0);
  });
});

describe('ec2-docker with jobsReachInstanceCredentials', () => {
  const text = readFileSync('examples/ec2-docker.yaml', 'utf8').replace('    jobs:\n      image: ubuntu:24.04', '    instance: { jobsReachInstanceCredentials: true }\n    jobs:\n      image: ubuntu:24.04');
  it('is an error (RF713) until the risk is accepted', () => {
    const plan = planText(text);
    expect(plan.exitCode).toBe(1);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toContain('RF713 runners[0].instance.jobsReachInstanceCredentials');
  });
  it('once accepted, uses hop limit 2 and the smoke test expects the instance role', () => {
    const accepted = `${text}    acceptRisks:\n      - code: RF713\n        reason: single-tenant build box for one trusted project\n`;
    const plan = planText(accepted);
    expect(plan.exitCode).toBe(0);
    expect(plan.findings.find((f) => f.code === 'RF713')?.severity).toBe('warning');
    const lt = plan.emitted!.terraformAws!.resource.aws_launch_template!.docker_manager!;
    expect((lt.metadata_options as { http_put_response_hop_limit: number }).http_put_response_hop_limit).toBe(2);
    expect(JSON.stringify(plan.emitted!.runners.get('docker')!.pipeline)).toContain('assumed-role/acme-docker-manager/');
  });
});
