/**
 * Proofs over the emitted VM documents: build a good fleet, break one thing in its documents,
 * and the matching finding must appear (and be absent for the unbroken documents).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { planText, synthFiles } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import type { EmittedFleet } from '../src/emit/types.js';
import { serializeArtifact } from '../src/emit/serialize.js';
import { VM_DOC_CASES, res, userData } from './helpers/vm.js';
import { VERIFIED_DOWNLOADS_BEGIN, VERIFIED_DOWNLOADS_END } from '../src/platforms/aws-vm/common.js';

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
    expect(verifyFleet(intentOf(fleet), emitted).findings.map((f) => f.code)).not.toContain(code);
    const broken = copy(emitted);
    mutate(broken);
    expect(verifyFleet(intentOf(fleet), broken).findings.map((f) => f.code)).toContain(code);
  });

  it('every VM rule code of the catalogue has a case', () => {
    const codes = new Set(CASES.map((c) => c.code));
    for (const code of ['RF710', 'RF711', 'RF712', 'RF713', 'RF714', 'RF715', 'RF716', 'RF717', 'RF718', 'RF719', 'RF720', 'RF721']) expect(codes).toContain(code);
  });

  it.each(['ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm'])('%s: every proof holds', (example) => {
    const plan = planText(readFileSync(`examples/${example}.yaml`, 'utf8'));
    expect(plan.proofs.length).toBeGreaterThan(0);
    expect(plan.proofs.filter((p) => !p.holds)).toEqual([]);
  });
});

describe('user data lines that read a key at boot are not a key in the user data (RF712)', () => {
  it('a command substitution, a shell or Terraform variable, a template placeholder or an empty value: no RF712; a literal on the next line: RF712', () => {
    const { fleet, emitted } = good('ec2-docker');
    const lines = ['export AWS_SECRET_ACCESS_KEY="$(aws ssm get-parameter --name /ci/key --with-decryption --query Parameter.Value --output text)"', 'AWS_ACCESS_KEY_ID=$KEY_ID', 'AWS_SESSION_TOKEN=${SESSION}', 'secret_key = var.secret_key', 'aws_secret_access_key: "{{ .Values.secretKey }}"', 'AWS_SECRET_ACCESS_KEY=', ''];
    const withLines = (extra: readonly string[]) => {
      const docs = copy(emitted);
      const lt = res(docs).aws_launch_template!.docker_manager!;
      lt.user_data = Buffer.from(`${Buffer.from(String(lt.user_data), 'base64').toString('utf8')}${extra.join('\n')}`).toString('base64');
      return verifyFleet(intentOf(fleet), docs).findings.filter((f) => f.code === 'RF712');
    };
    expect(withLines(lines)).toEqual([]);
    expect(withLines([...lines.slice(0, -1), 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5', '']).map((f) => f.message)).toEqual(['the user data of aws_launch_template.docker_manager contains a token or key']);
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

describe('downloads on the manager fail closed (the generated shell, run with bash)', () => {
  const hasBash = spawnSync('bash', ['--version'], { stdio: 'ignore' }).status === 0;
  /**
   * The script's own prologue, its verified-download functions and its driver fetch line, run with
   * bash; `curl` is replaced by a copy of a local file (no network here), everything else is real.
   */
  function boot(expectedSha: string | undefined) {
    const { fleet, emitted } = good('ecs-fargate');
    const script = String(serializeArtifact(userData(emitted, fleet.runners[0]!.name)).content);
    const lines = script.split('\n');
    const block = lines.slice(lines.indexOf(VERIFIED_DOWNLOADS_BEGIN), lines.indexOf(VERIFIED_DOWNLOADS_END) + 1);
    const fetch = lines.find((l) => l.startsWith('fetch_verified '))!;
    const dir = mkdtempSync(join(tmpdir(), 'rf-fetch-'));
    const local = join(dir, 'fargate-linux-amd64');
    writeFileSync(local, '#!/bin/sh\necho fargate driver\n');
    const dest = join(dir, 'fargate');
    const sha = createHash('sha256').update(readFileSync(local)).digest('hex');
    const call = expectedSha === undefined ? fetch : fetch.replace(/'[a-f0-9]{64}'/, `'${expectedSha === 'right' ? sha : expectedSha}'`);
    const text = [
      ...lines.slice(0, lines.indexOf('set -euo pipefail') + 2),
      `curl() { local out=""; while [ $# -gt 0 ]; do if [ "$1" = -o ]; then out="$2"; shift 2; else shift; fi; done; cp ${local} "$out"; }`,
      ...block,
      call.replace('/opt/gitlab-runner/fargate', dest),
      'echo BOOT-CONTINUED',
    ].join('\n');
    const r = spawnSync('bash', ['-c', text], { encoding: 'utf8' });
    return { r, dest, sha, fetch };
  }

  it('the generated fetch line pins the spec checksum; the example\'s placeholder stops the boot', () => {
    if (!hasBash) return console.log('SKIPPED: no bash');
    const { r, dest, fetch } = boot(undefined);
    expect(fetch).toContain("'0000000000000000000000000000000000000000000000000000000000000000'");
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('BOOT-CONTINUED');
    expect(r.stderr).toContain('checksum mismatch');
    expect(existsSync(dest)).toBe(false);
  });

  it('a tampered checksum stops the boot before the driver is installed; the right one lets it go on', () => {
    if (!hasBash) return console.log('SKIPPED: no bash');
    const tampered = boot('f'.repeat(64));
    expect(tampered.r.status).not.toBe(0);
    expect(tampered.r.stdout).not.toContain('BOOT-CONTINUED');
    expect(tampered.r.stderr).toMatch(/checksum mismatch .* expected f{64}, got [a-f0-9]{64}/);
    expect(existsSync(tampered.dest)).toBe(false);
    const right = boot('right');
    expect(right.r.status, right.r.stderr).toBe(0);
    expect(right.r.stdout).toContain('BOOT-CONTINUED');
    expect(createHash('sha256').update(readFileSync(right.dest)).digest('hex')).toBe(right.sha);
  });
});

describe('a customer-managed key for the token parameters', () => {
  // The ec2-docker example opts in; without the option the account's aws/ssm key is used.
  const key = 'arn:aws:kms:eu-central-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
  const text = readFileSync('examples/ec2-docker.yaml', 'utf8');
  it('without the option: no key_id, no decrypt grant, no --key-id', () => {
    const plan = planText(text.replace(/\n +#[^\n]*\n +tokenKmsKeyArn: [^\n]+/, ''));
    expect(plan.exitCode).toBe(0);
    expect(res(plan.emitted!).aws_ssm_parameter!.docker_runner_token!.key_id).toBeUndefined();
    expect(String(res(plan.emitted!).aws_iam_role_policy!.docker_manager_platform!.policy)).not.toContain('kms:Decrypt');
    expect(synthFiles(plan).find((f) => f.path === 'README.md')!.content).not.toContain('--key-id');
  });
  it('encrypts the parameter with it and lets the manager decrypt only through SSM, for its own parameter', () => {
    const plan = planText(text);
    expect(plan.exitCode, JSON.stringify(plan.findings)).toBe(0);
    const d = plan.emitted!;
    expect(res(d).aws_ssm_parameter!.docker_runner_token!.key_id).toBe(key);
    const proof = plan.proofs.find((p) => p.claim.includes('decrypts with'));
    expect(proof?.holds).toBe(true);
    const policy = JSON.parse(String(res(d).aws_iam_role_policy!.docker_manager_platform!.policy)) as { Statement: Record<string, any>[] };
    const st = policy.Statement.find((x) => x.Sid === 'DecryptRunnerToken')!;
    expect(st.Condition.StringEquals['kms:ViaService']).toBe('ssm.eu-central-1.amazonaws.com');
    expect(st.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN']).toMatch(/:parameter\/runner-fleet\/acme\/docker\/runner-token$/);
    // Registration writes the token with the same key (put-parameter would otherwise use aws/ssm).
    expect(synthFiles(plan).find((f) => f.path === 'README.md')!.content).toContain(`--key-id ${key}`);
  });
  it.each([
    ['without the kms:ViaService condition', (st: Record<string, any>) => delete st.Condition.StringEquals['kms:ViaService']],
    ['without the encryption-context condition', (st: Record<string, any>) => delete st.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN']],
    ['on every key', (st: Record<string, any>) => (st.Resource = '*')],
  ])('a decrypt grant %s is RF712', (_name, edit) => {
    const plan = planText(text);
    const d = structuredClone(plan.emitted!);
    const body = res(d).aws_iam_role_policy!.docker_manager_platform!;
    const policy = JSON.parse(String(body.policy)) as { Statement: Record<string, any>[] };
    edit(policy.Statement.find((x) => x.Sid === 'DecryptRunnerToken')!);
    body.policy = JSON.stringify(policy);
    expect(verifyFleet(plan.fleet!, d).findings.map((f) => f.code)).toContain('RF712');
  });
});

describe('the fleeting plugin version', () => {
  const text = readFileSync('examples/ec2-autoscaler.yaml', 'utf8');
  it.each([
    ['unpinned by default', text, 'aws'],
    ['pinned when the spec says so', text.replace('    autoscaler:\n', '    autoscaler:\n      pluginVersion: 1.2.3\n'), 'aws:1.2.3'],
  ])('%s', (_name, spec, plugin) => {
    const plan = planText(spec);
    expect(plan.exitCode, JSON.stringify(plan.findings)).toBe(0);
    const runner = (plan.emitted!.runners.get('autoscale')!.configToml.runners as Record<string, any>[])[0]!;
    expect(runner.autoscaler.plugin).toBe(plugin);
  });
});
