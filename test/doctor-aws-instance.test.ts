import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * A runner manager on one EC2 instance (`aws_instance` with user data), as many teams write it by
 * hand: read as the launch template the VM proofs look up, named as written.
 */
const INSTANCE = readFileSync(new URL('./fixtures/hand-vm/instance.tf', import.meta.url), 'utf8');
const run = (tf: string): DoctorResult => doctor([{ path: 'runner/main.tf', bytes: new TextEncoder().encode(tf) }]);
const swap = (text: string, from: string | RegExp, to: string) => {
  expect(text).toMatch(from);
  return text.replace(from, to);
};

describe('doctor: a runner manager on an aws_instance', () => {
  it('is found and proven like a launch template (before: RF910 "no runner manager", exit 0, nothing proven)', () => {
    const r = run(INSTANCE);
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect([...r.chains.keys()]).toEqual(['docker']);
    expect(r.proofs.find((p) => p.claim === 'job containers cannot reach the instance credentials (IMDSv2 required, hop limit 1)')?.holds).toBe(true);
    expect(r.proofs.find((p) => p.claim.startsWith('only vm:instance-profile gitlab-runner-docker'))?.holds).toBe(true);
  });

  it('names the instance as written, and says each thing once (one RF715 for its root volume, none about a launch template key)', () => {
    const r = run(INSTANCE);
    const text = JSON.stringify(r.findings);
    expect(text).toContain('aws_instance.runner');
    expect(text).not.toMatch(/aws_launch_template\.|docker_manager/);
    expect(r.findings.filter((f) => f.code === 'RF715')).toHaveLength(1);
    expect(r.findings.find((f) => f.code === 'RF715')?.message).toContain('instance aws_instance.runner has a root volume');
    expect(text).not.toContain('launch template aws_instance');
    // Encrypted root volume: no RF715.
    const encrypted = swap(INSTANCE, '  metadata_options {', '  root_block_device {\n    encrypted = true\n  }\n  metadata_options {');
    expect(run(encrypted).findings.filter((f) => f.code === 'RF715')).toEqual([]);
  });

  it('IMDSv1 on the instance is RF711 and RF713, once each', () => {
    const r = run(swap(INSTANCE, /http_tokens\s+= "required"/, 'http_tokens = "optional"'));
    expect(r.findings.filter((f) => f.code === 'RF711')).toHaveLength(1);
    expect(r.findings.filter((f) => f.code === 'RF713')).toHaveLength(1);
  });

  it('a script with a part only apply knows (url from a variable) is still read', () => {
    const tf = `${swap(INSTANCE, 'url = "https://gitlab.example.com"', 'url = "${var.gitlab_url}"')}\nvariable "gitlab_url" {\n  type = string\n}\n`;
    const r = run(tf);
    expect([...r.chains.keys()]).toEqual(['docker']);
    expect(r.findings.map((f) => f.code)).not.toContain('RF906');
  });

  it('user_data_base64 is read as it is', () => {
    const script = /user_data = \(<<-EOT\n([\s\S]*?)\n {2}EOT\n {2}\)/.exec(INSTANCE)![1]!.replace(/^ {4}/gm, '');
    const tf = swap(INSTANCE, /user_data = \(<<-EOT\n[\s\S]*?\n {2}EOT\n {2}\)/, `user_data_base64 = "${Buffer.from(`${script}\n`).toString('base64')}"`);
    const r = run(tf);
    expect([...r.chains.keys()]).toEqual(['docker']);
  });

  it('an instance without an instance profile: RF911 at the instance, as for a launch template', () => {
    const r = run(swap(INSTANCE, '  iam_instance_profile = aws_iam_instance_profile.runner.name\n', ''));
    const f = r.findings.find((x) => x.code === 'RF911');
    expect(f?.message).toContain('has no instance profile');
  });
});
