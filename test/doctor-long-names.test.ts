import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { doctor } from '../src/doctor/index.js';
import { setsVariable } from '../src/doctor/infer-vm.js';
import { SourceFile } from '../src/doctor/source.js';
import { corpusFiles } from './helpers/doctor.js';
import { corpusRoot } from './helpers/corpus-case.js';

/**
 * Stop 52's doctor fuzzer (seed 20265202, case 1607095194): a shell variable name some hundred
 * thousand characters long in a user data template crashed the doctor (exit 70, "Invalid regular
 * expression … Regular expression too large"): the token variable's assignment was looked for by a
 * RegExp built from the name. Names and keys are now compared as strings, whatever their length.
 */
describe('names as long as the file makes them', () => {
  const long = `RUNNER_TOKEN${'X'.repeat(200_000)}`;

  it('a token variable of 200,000 characters in user data: read, no crash', () => {
    const dir = join(corpusRoot(), 'ec2-docker-launch-configuration-template-file');
    const files = corpusFiles(dir).map((f) => (f.path.endsWith('user-data.sh.tpl') ? { ...f, bytes: Buffer.from(f.bytes.toString().replaceAll('RUNNER_TOKEN', long)) } : f));
    expect(files.some((f) => f.bytes.toString().includes(long))).toBe(true);
    const r = doctor(files);
    expect(r.findings.map((f) => f.code)).not.toContain('RF999');
    // The same chain as with the short name: the renamed variable is still the token's.
    const short = doctor(corpusFiles(dir));
    expect([...r.chains.keys()]).toEqual([...short.chains.keys()]);
    expect(r.findings.map((f) => f.code).sort()).toEqual(short.findings.map((f) => f.code).sort());
  });

  it('setsVariable: an assignment with or without export/local, and not a use or a longer name', () => {
    expect(setsVariable('RUNNER_TOKEN="$(aws ssm get-parameter)"', 'RUNNER_TOKEN')).toBe(true);
    expect(setsVariable('  export RUNNER_TOKEN=x', 'RUNNER_TOKEN')).toBe(true);
    expect(setsVariable('\tlocal\tRUNNER_TOKEN=x', 'RUNNER_TOKEN')).toBe(true);
    expect(setsVariable(`${long}=x`, long)).toBe(true);
    expect(setsVariable('echo $RUNNER_TOKEN=x', 'RUNNER_TOKEN')).toBe(false);
    expect(setsVariable('RUNNER_TOKEN_2=x', 'RUNNER_TOKEN')).toBe(false);
    expect(setsVariable('exportRUNNER_TOKEN=x', 'RUNNER_TOKEN')).toBe(false);
    expect(setsVariable('readonly RUNNER_TOKEN=x', 'RUNNER_TOKEN')).toBe(false);
  });

  it('a key of 200,000 characters: placed by its line, no crash', () => {
    const key = `k${'y'.repeat(200_000)}`;
    for (const syntax of ['toml', 'hcl'] as const) {
      const text = `a = 1\n  "${key}" = 2\nb {\n}\n`;
      // Without the parse marks (hcl) and for a path TOML's table walk does not place: the key search.
      const file = new SourceFile('x', text, syntax);
      expect(file.locate(0, ['nowhere', key])).toEqual({ file: 'x', line: 2, column: 3 });
      expect(file.locate(0, ['b'])).toEqual({ file: 'x', line: 3, column: 1 });
      expect(file.locate(0, [`${key}z`])).toEqual({ file: 'x', line: 1, column: 1 });
    }
  });
});
