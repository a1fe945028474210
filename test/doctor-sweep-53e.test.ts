import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';

/**
 * Stop 53's sweep of sixteen more public deployments (Ansible roles, Kubernetes manifests, EKS, ECS,
 * Azure VMs). Fixtures are written here for each case, in our own words.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);

describe('a quoted scalar whose continuation lines start at column 0 (Ansible vars, read by PyYAML)', () => {
  // A double-quoted value broken with escaped line breaks, a single-quoted one folded over a line,
  // and a token written further down: PyYAML (libyaml) reads the file; YAML 1.2 asks for indentation.
  const vars = [
    'runner_repo: "deb https://packages.example.test/runner/\\',
    '{{ runner_package }}/\\',
    ' stable main"',
    'runner_note: \'first half',
    'second half\'',
    'nested:',
    '  list:',
    '    - "one',
    'two"',
    'gitlab_runner_token: "glrt-Abc1Def2Ghi3Jkl4Mno5"',
    '',
  ].join('\n');

  it('is read, not RF901; what it holds is checked, at its own line and column', () => {
    const r = run({ 'vars/main.yml': vars });
    expect(codes(r, 'RF901')).toEqual([]);
    // The token on line 10 is found where it is written (the lines before it were not moved).
    expect(codes(r, 'RF940').map((f) => f.path)).toEqual(['vars/main.yml:10:22']);
  });

  it('a quote that never closes, or a document marker inside the scalar, is still RF901', () => {
    const open = run({ 'vars/main.yml': 'runner_repo: "deb https://packages.example.test/\nnext: 1\n' });
    expect(codes(open, 'RF901').map((f) => f.path)).toEqual(['vars/main.yml:3:1']);
    const marker = run({ 'vars/main.yml': 'runner_repo: "deb\n--- x"\n' });
    expect(codes(marker, 'RF901')).toHaveLength(1);
  });

  it('indented continuation lines were read before and still are', () => {
    const r = run({ 'vars/main.yml': 'runner_repo: "deb \\\n  stable main"\ngitlab_runner_token: "glrt-Abc1Def2Ghi3Jkl4Mno5"\n' });
    expect(codes(r, 'RF901')).toEqual([]);
    expect(codes(r, 'RF940').map((f) => f.path)).toEqual(['vars/main.yml:3:22']);
  });
});
