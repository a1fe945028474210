import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * What a helm command leaves unknown at its own place (no -n/--namespace; a --set value or the release
 * name known only when it runs) is one RF903 with every clause: the doctor keeps one RF903 per place
 * (onePerPlace in src/doctor/index.ts), so two findings there lost the second (DoD-Platform-One's
 * integration.sh lost its `--set gitlabUrl="$CI_SERVER_URL"` clause).
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\n';
const atCommand = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF903' && f.path === 'deploy.sh:1:1' && f.message.startsWith('helm '));

describe('a helm command: what is unknown at its place is said in one finding', () => {
  it('no -n and a --set from a variable: both clauses and both fixes', () => {
    const r = run({ 'deploy.sh': 'helm upgrade --install runner gitlab/gitlab-runner -f values.yaml --set gitlabUrl="$CI_SERVER_URL"\n', 'values.yaml': VALUES });
    const at = atCommand(r);
    expect(at).toHaveLength(1);
    expect(at[0]!.message).toContain('no -n/--namespace is given');
    expect(at[0]!.message).toContain('--set gitlabUrl');
    expect(at[0]!.fix).toContain('give the namespace with -n <namespace>');
    expect(at[0]!.fix).toContain('values file given with -f');
  });
  it('no -n and the release name from a variable', () => {
    const at = atCommand(run({ 'deploy.sh': 'helm install "$RELEASE" gitlab/gitlab-runner -f values.yaml\n', 'values.yaml': VALUES }));
    expect(at).toHaveLength(1);
    expect(at[0]!.message).toContain('no -n/--namespace is given');
    expect(at[0]!.message).toContain('the release name $RELEASE');
  });
  it('a namespace given and everything known: no RF903 at the command', () => {
    expect(atCommand(run({ 'deploy.sh': 'helm install runner gitlab/gitlab-runner -n ci -f values.yaml\n', 'values.yaml': VALUES }))).toEqual([]);
  });
  it('no -n alone: the namespace clause and its fix only', () => {
    const at = atCommand(run({ 'deploy.sh': 'helm install runner gitlab/gitlab-runner -f values.yaml\n', 'values.yaml': VALUES }));
    expect(at).toHaveLength(1);
    expect(at[0]!.message).not.toContain('known only when the command runs (a variable');
    expect(at[0]!.fix).toBe('give the namespace with -n <namespace>');
  });
});
