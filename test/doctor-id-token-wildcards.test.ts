import { describe, expect, it } from 'vitest';
import { exampleFiles } from './helpers/fleet.js';
import { doctor, type InputFile } from '../src/doctor/index.js';
import type { PolicyDocument, Statement } from '../src/verify/iam/types.js';

/**
 * GitLab ID-token roles whose trust admits projects of any group, in what `synth` writes for
 * examples/id-tokens-vm.yaml with the sub condition of role idt-infra replaced (aud stays pinned):
 * the role must stay in the analysis with an error (RF121) and a failing proof, and RF122 must say
 * what the pattern admits (`acme*` is a prefix match on the group name: acme-evil/x too).
 */
type Root = { resource: Record<string, Record<string, Record<string, unknown>>> };

function withSub(sub: string): InputFile[] {
  return exampleFiles('id-tokens-vm').map((f) => {
    if (f.path !== 'terraform/aws/main.tf.json') return { path: f.path, bytes: new TextEncoder().encode(f.content) };
    const root = JSON.parse(f.content) as Root;
    const role = root.resource.aws_iam_role!['idt-infra']!;
    const trust = JSON.parse(String(role.assume_role_policy)) as PolicyDocument;
    const condition = (trust.Statement as Statement[])[0]!.Condition as Record<string, Record<string, unknown>>;
    delete condition.StringEquals!['gitlab.com:sub'];
    condition.StringLike = { 'gitlab.com:sub': sub };
    role.assume_role_policy = JSON.stringify(trust);
    return { path: f.path, bytes: new TextEncoder().encode(JSON.stringify(root, null, 2)) };
  });
}

const infraProof = (r: ReturnType<typeof doctor>) => r.proofs.filter((p) => p.runner === 'id-token infra');

describe('an ID-token role whose sub admits projects of any group', () => {
  it('sub "*": RF121 (every project of the instance), RF122 says so, the role stays in the proofs and fails', () => {
    // As generated, the infra role is proven: 9 proofs hold (the token-reader proof of runner docker among them).
    const sound = doctor(exampleFiles('id-tokens-vm').map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) })));
    expect(sound.proofs.length).toBe(9);
    expect(infraProof(sound).every((p) => p.holds)).toBe(true);
    const r = doctor(withSub('*'));
    const rf121 = r.findings.filter((f) => f.code === 'RF121');
    expect(rf121).toHaveLength(1);
    expect(rf121[0]!.severity).toBe('error');
    expect(rf121[0]!.message).toMatch(/^acme-idt-infra accepts ID tokens of every project of the instance/);
    expect(r.findings.find((f) => f.code === 'RF122')?.message).toMatch(/every project of the instance, every ref/);
    expect(r.proofs.length).toBe(9);
    expect(infraProof(r)).toHaveLength(1);
    expect(infraProof(r)[0]!.holds).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('sub "project_path:acme*:…": a prefix match on the group name (acme-evil/x too), not "every project under acme"', () => {
    const r = doctor(withSub('project_path:acme*:ref_type:branch:ref:main'));
    const rf122 = r.findings.find((f) => f.code === 'RF122');
    expect(rf122?.message).toMatch(/every project whose path starts with acme, in any group \(acme-other\/x too, not only acme and its subgroups\), branch main/);
    expect(rf122?.message).not.toMatch(/every project under acme/);
    const rf121 = r.findings.filter((f) => f.code === 'RF121');
    expect(rf121.map((f) => f.message)).toEqual([expect.stringMatching(/accepts ID tokens of every project whose path starts with acme, in any group, e.g\. project_path:acme-runner-fleet-probe\/project:ref_type:branch:ref:main/)]);
    // No garbled RF120 ("refuses the ID token of /runner-fleet-probe branch main").
    expect(r.findings.filter((f) => f.code === 'RF120')).toEqual([]);
    expect(infraProof(r)[0]?.claim).toMatch(/accepts GitLab ID tokens of acme\* \(any group\) branch main/);
    expect(infraProof(r)[0]?.holds).toBe(false);
    // A pattern bound to the group stays a warning about the group.
    const bound = doctor(withSub('project_path:acme/*:ref_type:branch:ref:main'));
    expect(bound.findings.find((f) => f.code === 'RF122')?.message).toMatch(/every project under acme \(subgroups included\), branch main/);
    expect(bound.findings.filter((f) => f.code === 'RF121' || f.code === 'RF120')).toEqual([]);
  });
});
