import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { heredocSpan } from '../src/platforms/aws-vm/script-files.js';
import { isFileNamed } from '../src/platforms/aws-vm/cloud-init.js';

/**
 * Issue 53d: the file a `--template-config` flag names was looked for with a regular expression built
 * from its name (src/doctor/vm.ts, azure-vm.ts), its characters escaped. Now it is a string test
 * (isFileNamed): the path is the name, or ends in `/` and the name. Names with regular-expression
 * characters (`c++.toml`, `config(1).toml`, `t[1].toml`, `v1.2^{3}.toml`; a `$` is a shell variable, known only at boot) are found as written; a name
 * they would match as a pattern (`cc.toml` for `c+.toml`) is not the file.
 */
const MAIN = readFileSync(new URL('./doctor/corpus/ec2-register-template-config-not-given/main.tf', import.meta.url), 'utf8');
const TEMPLATE = '[[runners]]\n  [runners.docker]\n    privileged = true\n';
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
const codes = (r: DoctorResult) => r.findings.map((f) => f.code).sort();
const named = (name: string) => {
  expect(MAIN).toContain('/etc/gitlab-runner/template.toml');
  return MAIN.replace('/etc/gitlab-runner/template.toml', `/etc/gitlab-runner/${name}`);
};

describe('doctor: the --template-config file found by its name, a string test', () => {
  it('isFileNamed: the name, or the part after a /; never a pattern', () => {
    expect(isFileNamed('/etc/gitlab-runner/c++.toml', 'c++.toml')).toBe(true);
    expect(isFileNamed('c++.toml', 'c++.toml')).toBe(true);
    expect(isFileNamed('files/config(1).toml', 'config(1).toml')).toBe(true);
    expect(isFileNamed('/etc/xc++.toml', 'c++.toml')).toBe(false);
    expect(isFileNamed('/etc/cc.toml', 'c+.toml')).toBe(false);
    expect(isFileNamed('/etc/config1.toml', 'config(1).toml')).toBe(false);
    expect(isFileNamed('/etc/config.toml.bak', 'config.toml')).toBe(false);
  });

  for (const name of ['c++.toml', 'config(1).toml', 't[1].toml', 'v1.2^{3}.toml']) {
    it(`a template named ${name} given among the files is read: its privileged = true is RF301 (and no RF906 "not among the files")`, () => {
      const r = run({ 'main.tf': named(name), [`files/${name}`]: TEMPLATE });
      expect(codes(r)).toContain('RF301');
      expect(codes(r)).not.toContain('RF906');
    });
  }

  it('the passing twin: a file whose name the escaped pattern would not be, and a string test is not either (cc.toml for c+.toml): RF906, the template not given', () => {
    const r = run({ 'main.tf': named('c+.toml'), 'files/cc.toml': TEMPLATE });
    expect(codes(r)).toContain('RF906');
    expect(codes(r)).not.toContain('RF301');
  });

  it('a heredoc of the user data writing c++.toml is the template it names', () => {
    const script = "#!/bin/bash\ncat > /etc/gitlab-runner/c++.toml <<'EOF'\n[[runners]]\nEOF\ngitlab-runner register --template-config /etc/gitlab-runner/c++.toml\n";
    expect(heredocSpan(script, 'c++.toml')?.body).toBe('[[runners]]\n');
    expect(heredocSpan(script, 'c.toml')).toBeUndefined();
  });
});
