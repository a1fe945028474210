import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { codeQualityReport, jsonDoctorReport, sarifReport, textDoctorReport } from '../src/doctor/format.js';
import type { Finding } from '../src/spec/findings.js';

// Fake credentials in the documented example shapes (never real keys). AWS_SECRET has no shape of
// its own: only the key it is assigned to (`AWS_SECRET_ACCESS_KEY=`) makes it a credential.
const AWS_ID = 'AKIAIOSFODNN7QW3RT5Y';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5';
const RUNNER_TOKEN = 'glrt-EXAMPLEexampleEXAMPLE12';
const ALL = [AWS_ID, AWS_SECRET, RUNNER_TOKEN];

const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
const rf940 = (findings: readonly Finding[]) => findings.filter((f) => f.code === 'RF940');
const outputs = (r: ReturnType<typeof run>) => [textDoctorReport(r), jsonDoctorReport(r), sarifReport(r, '0.0.0'), codeQualityReport(r)].join('\n');

/** `file:line:column` of the `nth` occurrence (0: the first) of `needle` in `text`. */
function at(file: string, text: string, needle: string, nth = 0): string {
  let i = -1;
  for (let n = 0; n <= nth; n++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`test: ${needle} not in ${file}`);
  }
  const before = text.slice(0, i);
  return `${file}:${before.split('\n').length}:${i - before.lastIndexOf('\n')}`;
}

const SCRIPT = ['#!/bin/bash', 'set -euo pipefail', 'export AWS_ACCESS_KEY_ID=$(cat /run/id)', `export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, 'gitlab-runner run', ''].join('\n');

describe('credentials on a line of a multi-line string (JSON, YAML, .tf.json, TOML): RF940 at that line, never the value', () => {
  it('.tf.json user_data exporting a secret key: RF940 at the key inside the JSON string, named by its address', () => {
    const json = JSON.stringify({ resource: { aws_instance: { runner: { ami: 'ami-12345678', instance_type: 't3.micro', user_data: SCRIPT } } } }, null, 2);
    const r = run({ 'main.tf.json': json });
    const found = rf940(r.findings);
    expect(found.map((f) => f.path)).toEqual([at('main.tf.json', json, 'AWS_SECRET_ACCESS_KEY=')]);
    expect(found[0]!.message).toContain('resource.aws_instance.runner.user_data');
    expect(found[0]!.message).toContain('AWS_SECRET_ACCESS_KEY');
    const shown = outputs(r);
    for (const s of ALL) expect(shown).not.toContain(s);
  });

  it('a JSON string with escapes before the line (\\t, \\", \\u00e9): the column is the file\'s, not the decoded string\'s', () => {
    const script = `#!/bin/sh\necho "d\u00e9marre\t\\"x\\""\nexport AWS_SECRET_ACCESS_KEY="${AWS_SECRET}"\n`;
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'boot', namespace: 'gitlab' }, data: { 'boot.sh': script } }, null, 2).replace('é', '\\u00e9');
    const r = run({ 'boot.json': json });
    expect(rf940(r.findings).map((f) => f.path)).toEqual([at('boot.json', json, 'AWS_SECRET_ACCESS_KEY=')]);
    expect(outputs(r)).not.toContain(AWS_SECRET);
  });

  it('a ConfigMap data key holding a shell script (YAML literal block): RF940 at the line of the block', () => {
    const yaml = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: boot', '  namespace: gitlab', 'data:', '  boot.sh: |', ...SCRIPT.split('\n').map((l) => (l === '' ? '' : `    ${l}`)), ''].join('\n');
    const r = run({ 'cm.yaml': yaml });
    const found = rf940(r.findings);
    expect(found.map((f) => f.path)).toEqual([at('cm.yaml', yaml, 'AWS_SECRET_ACCESS_KEY=')]);
    expect(found[0]!.message).toContain('AWS_SECRET_ACCESS_KEY');
    expect(outputs(r)).not.toContain(AWS_SECRET);
  });

  it('a YAML double-quoted string with \\n escapes (a cloud-init runcmd item): RF940 at the key in the string', () => {
    const yaml = `#cloud-config\nruncmd:\n  - "set -e\\nexport AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\\ngitlab-runner run"\n`;
    const r = run({ 'cloud-init.yaml': yaml });
    expect(rf940(r.findings).map((f) => f.path)).toEqual([at('cloud-init.yaml', yaml, 'AWS_SECRET_ACCESS_KEY=')]);
    expect(outputs(r)).not.toContain(AWS_SECRET);
  });

  it('a Kubernetes env value holding a script, and a Helm values runners.config (TOML in a literal block): each at its line', () => {
    const yaml = ['gitlabUrl: https://gitlab.example.com/', 'runners:', '  config: |', '    [[runners]]', '      [runners.cache.s3]', '        BucketName = "cache"', `        SecretKey = "${AWS_SECRET}"`, 'envVars:', '  - name: SETUP', '    value: |', '      echo hi', `      export AWS_ACCESS_KEY_ID=${AWS_ID}`, ''].join('\n');
    const r = run({ 'values.yaml': yaml });
    expect(rf940(r.findings).map((f) => f.path).sort()).toEqual([at('values.yaml', yaml, 'SecretKey'), at('values.yaml', yaml, AWS_ID)].sort());
    expect(outputs(r)).not.toContain(AWS_SECRET);
  });

  it('a TOML multi-line string (basic and literal): RF940 at the line inside it', () => {
    const toml = `concurrent = 1\n[[runners]]\nname = "x"\nurl = "https://gitlab.com"\nexecutor = "shell"\npre_build_script = """\necho start\nexport AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n"""\npre_clone_script = '''\necho one\nTOKEN=${RUNNER_TOKEN}\n'''\n`;
    const r = run({ 'config.toml': toml });
    expect(rf940(r.findings).map((f) => f.path).sort()).toEqual([at('config.toml', toml, 'AWS_SECRET_ACCESS_KEY='), at('config.toml', toml, RUNNER_TOKEN)].sort());
    const shown = outputs(r);
    for (const s of ALL) expect(shown).not.toContain(s);
  });

  it('the same credential on two lines of one string and in another string: one RF940 at the first, the others named', () => {
    const script = `export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}\necho\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET} run\n`;
    const json = JSON.stringify({ a: script, b: `x\nexport AWS_SECRET_ACCESS_KEY='${AWS_SECRET}'\n` }, null, 2);
    const found = rf940(run({ 'two.json': json }).findings);
    expect(found.map((f) => f.path)).toEqual([at('two.json', json, 'AWS_SECRET_ACCESS_KEY=')]);
    expect(found[0]!.message).toContain(at('two.json', json, 'AWS_SECRET_ACCESS_KEY=', 1));
    expect(found[0]!.message).toContain(at('two.json', json, 'AWS_SECRET_ACCESS_KEY=', 2));
  });

  it('lines that only name the variable are not credentials (command substitution, ${var.x}, "$SECRET", empty, a CI variable)', () => {
    const script = ['export AWS_SECRET_ACCESS_KEY=$(cat /run/secret)', 'export AWS_SECRET_ACCESS_KEY=${var.x}', 'AWS_SECRET_ACCESS_KEY="$SECRET"', 'AWS_SECRET_ACCESS_KEY=', 'AWS_SECRET_ACCESS_KEY: ${{ secrets.KEY }}', 'AWS_ACCESS_KEY_ID=`cat /run/id`', ''].join('\n');
    const json = JSON.stringify({ resource: { aws_instance: { runner: { user_data: script } } } }, null, 2);
    const yaml = ['data:', '  boot.sh: |', ...script.split('\n').map((l) => `    ${l}`), ''].join('\n');
    expect(rf940(run({ 'main.tf.json': json, 'cm.yaml': yaml }).findings)).toEqual([]);
  });

  it('a template placeholder ({{ … }}) on a line is not a credential: a values runners.config the chart renders with tpl, an Ansible-rendered script', () => {
    const yaml = ['gitlabUrl: https://gitlab.example.com/', 'runners:', '  config: |', '    [[runners]]', '      [runners.cache.s3]', '        BucketName = "cache"', '        SecretKey = "{{ .Values.cacheSecretKey }}"', ''].join('\n');
    const script = '#!/bin/bash\nexport AWS_SECRET_ACCESS_KEY={{ aws_secret_access_key }}\n';
    expect(rf940(run({ 'values.yaml': yaml, 'user-data.sh': script }).findings)).toEqual([]);
  });

  it('a 1 MB string of script lines is read in linear time', () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `export AWS_SECRET_ACCESS_KEY=$(cat /run/s${i})`);
    lines.push(`export AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`);
    const json = JSON.stringify({ data: { 'big.sh': lines.join('\n') } });
    const t = performance.now();
    const found = rf940(run({ 'big.json': json }).findings);
    expect(found.map((f) => f.path)).toEqual([at('big.json', json, `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`)]);
    expect(performance.now() - t).toBeLessThan(5000);
  });

  it('many credential lines in one big string: one pass over the string, each at its line', () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `export AWS_SECRET_ACCESS_KEY=k${String(i).padStart(8, '0')}EXAMPLEsecretEXAMPLEsecret`);
    const json = JSON.stringify({ data: { 'big.sh': lines.join('\\n') } }).replace(/\\\\n/g, '\\n');
    const t = performance.now();
    const found = rf940(run({ 'big.json': json }).findings);
    expect(found.length).toBe(20_000);
    const paths = new Set(found.map((f) => f.path));
    for (const n of [0, 1, 9_999, 19_999]) expect(paths.has(at('big.json', json, 'AWS_SECRET_ACCESS_KEY=', n))).toBe(true);
    expect(performance.now() - t).toBeLessThan(10_000);
  });
});
