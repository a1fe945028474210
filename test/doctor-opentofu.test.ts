import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { hiddenByTofu, terraformFileKind } from '../src/doctor/terraform-files.js';
import { main } from '../src/cli/main.js';

/**
 * OpenTofu's own files: `.tofu` and `.tofu.json` read as `.tf` and `.tf.json`, and `foo.tofu`
 * hiding `foo.tf` in its folder (https://opentofu.org/docs/language/files/). The deployment is
 * the corpus case ec2-docker-templatefile, its main.tf given as main.tofu.
 */
const TWIN = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile');
const mainTf = readFileSync(join(TWIN, 'main.tf'));
const template = readFileSync(join(TWIN, 'user-data.sh.tpl'));
const enc = (s: string) => new TextEncoder().encode(s);
const files = (main: string): InputFile[] => [
  { path: `deploy/${main}`, bytes: mainTf },
  { path: 'deploy/user-data.sh.tpl', bytes: template },
];
const notInfo = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path.replace(/main\.(tf|tofu)(\.json)?:/, 'main:')}`).sort();

const dir = mkdtempSync(join(tmpdir(), 'rf-tofu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OpenTofu files', () => {
  it('names the kinds of Terraform and OpenTofu files by extension, in one place', () => {
    expect(['a.tf', 'a.tofu', 'a.tf.json', 'a.tofu.json', 'a.tfvars', 'a.tfvars.json', 'a.tofuvars', 'a.json', 'a.hcl'].map((p) => terraformFileKind(p) ?? '-')).toEqual(['config', 'config', 'config-json', 'config-json', 'vars', 'vars-json', '-', '-', '-']);
  });

  it('hides foo.tf behind foo.tofu and foo.tf.json behind foo.tofu.json, in the same folder only', () => {
    const hidden = hiddenByTofu(['a/main.tf', 'a/main.tofu', 'a/x.tf.json', 'a/x.tofu.json', 'a/y.tf.json', 'a/y.tofu', 'b/main.tf', 'a/other.tf']);
    expect([...hidden]).toEqual([
      ['a/main.tf', 'a/main.tofu'],
      ['a/x.tf.json', 'a/x.tofu.json'],
    ]);
  });

  it('reads a .tofu deployment as its .tf twin: the same chain, findings and proofs', () => {
    const tf = doctor(files('main.tf'));
    const tofu = doctor(files('main.tofu'));
    expect(tofu.findings.map((f) => f.code)).not.toContain('RF910');
    expect(tofu.findings.some((f) => f.code === 'RF902')).toBe(false);
    expect(notInfo(tofu)).toEqual(notInfo(tf));
    expect(notInfo(tofu).length).toBeGreaterThan(0);
    expect(tofu.proofs.map((p) => `${p.holds} ${p.claim}`)).toEqual(tf.proofs.map((p) => `${p.holds} ${p.claim}`));
  });

  it('reads a .tofu.json deployment as its .tf.json twin (the corpus case ec2-docker-hand-written)', () => {
    const json = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written');
    const given = (main: string): InputFile[] => [
      { path: `deploy/${main}`, bytes: readFileSync(join(json, 'main.tf.json')) },
      { path: 'deploy/user-data.sh', bytes: readFileSync(join(json, 'user-data.sh')) },
    ];
    const tf = doctor(given('main.tf.json'));
    const tofu = doctor(given('main.tofu.json'));
    expect(tofu.findings.map((f) => f.code)).not.toContain('RF910');
    expect(tofu.chains.size).toBe(tf.chains.size);
    expect(tofu.chains.size).toBeGreaterThan(0);
    expect(notInfo(tofu)).toEqual(notInfo(tf));
    expect(tofu.proofs.map((p) => `${p.holds} ${p.claim}`)).toEqual(tf.proofs.map((p) => `${p.holds} ${p.claim}`));
  });

  it('does not read foo.tf where foo.tofu is beside it, and says so (RF902 info at the .tf file)', () => {
    // versions.tf does not parse: read, it would be RF901; OpenTofu never reads it.
    const r = doctor([...files('main.tofu'), { path: 'deploy/versions.tf', bytes: enc('terraform {\n  required_version = \n') }, { path: 'deploy/versions.tofu', bytes: enc('terraform {\n  required_version = ">= 1.8.0"\n}\n') }]);
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    const said = r.findings.filter((f) => f.code === 'RF902');
    expect(said).toHaveLength(1);
    expect(said[0]!.severity).toBe('info');
    expect(said[0]!.path).toBe('deploy/versions.tf:1:1');
    expect(said[0]!.message).toContain('versions.tofu is in the same folder');
    // The same .tf file without its .tofu twin is read (and its syntax error said).
    const alone = doctor([...files('main.tofu'), { path: 'deploy/versions.tf', bytes: enc('terraform {\n  required_version = \n') }]);
    expect(alone.findings.some((f) => f.code === 'RF901' && f.path.startsWith('deploy/versions.tf:'))).toBe(true);
  });

  it('still scans a .tf hidden by its .tofu twin for credentials: a token written there is RF940 at the value, not shown', () => {
    const token = 'glrt-Hd8sKq2LmPz9Xw4Rt7Vb';
    const hiddenTf = `provider "aws" {\n  region = "eu-west-1"\n}\n\nresource "aws_ssm_parameter" "token" {\n  name  = "/runner/token"\n  type  = "SecureString"\n  value = "${token}"\n}\n`;
    const r = doctor([...files('main.tofu'), { path: 'deploy/versions.tf', bytes: enc(hiddenTf) }, { path: 'deploy/versions.tofu', bytes: enc('terraform {\n  required_version = ">= 1.8.0"\n}\n') }]);
    const leaked = r.findings.filter((f) => f.code === 'RF940' && f.path.startsWith('deploy/versions.tf:'));
    expect(leaked.map((f) => f.path)).toEqual(['deploy/versions.tf:8:11']);
    expect(leaked[0]!.message).toContain('a GitLab runner authentication token is written in deploy/versions.tf at resource.aws_ssm_parameter.token.value');
    expect(JSON.stringify(r.findings)).not.toContain(token);
    // Only its credentials: the resource it declares is no evidence (OpenTofu does not read it).
    expect(r.findings.find((f) => f.code === 'RF902' && f.path === 'deploy/versions.tf:1:1')?.message).toContain('only the credentials written in versions.tf are looked for');
    // The same in a .tf.json hidden by its .tofu.json, and in a .tf that does not parse (its lines, as text).
    const json = doctor([...files('main.tofu'), { path: 'deploy/x.tf.json', bytes: enc(JSON.stringify({ locals: { env: { CI_SERVER_TOKEN: token } } }, null, 2)) }, { path: 'deploy/x.tofu.json', bytes: enc('{}') }]);
    expect(json.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual(['deploy/x.tf.json:4:26']);
    const broken = doctor([...files('main.tofu'), { path: 'deploy/versions.tf', bytes: enc(`terraform {\n  required_version = \n}\n# token: ${token}\n`) }, { path: 'deploy/versions.tofu', bytes: enc('terraform {}\n') }]);
    expect(broken.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(broken.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual(['deploy/versions.tf:4:10']);
    expect(JSON.stringify([json.findings, broken.findings])).not.toContain(token);
  });

  it('a hidden .tf without credentials adds nothing but its RF902 (guard)', () => {
    const r = doctor([...files('main.tofu'), { path: 'deploy/versions.tf', bytes: enc('variable "token" {\n  type      = string\n  sensitive = true\n}\n') }, { path: 'deploy/versions.tofu', bytes: enc('terraform {}\n') }]);
    expect(r.findings.filter((f) => f.path.startsWith('deploy/versions.tf:')).map((f) => f.code)).toEqual(['RF902']);
  });

  it('walks a folder of .tofu files from the CLI, and names once the files it does not read that look like deployment files', async () => {
    const root = join(dir, 'walk');
    mkdirSync(join(root, 'live'), { recursive: true });
    writeFileSync(join(root, 'main.tofu'), mainTf);
    writeFileSync(join(root, 'user-data.sh.tpl'), template);
    writeFileSync(join(root, 'live', 'terragrunt.hcl'), 'terraform {\n  source = "../"\n}\n');
    writeFileSync(join(root, 'Dockerfile'), 'FROM gitlab/gitlab-runner:v17.0.0\n');
    // Never deployment files: silent.
    writeFileSync(join(root, 'README.md'), '# runner\n');
    writeFileSync(join(root, 'logo.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0]));
    writeFileSync(join(root, '.terraform.lock.hcl'), '# This file is maintained automatically by "tofu init".\n');
    writeFileSync(join(root, 'main.tftest.hcl'), 'run "plan" {\n  command = plan\n}\n');
    writeFileSync(join(root, '.tflint.hcl'), 'plugin "aws" {\n  enabled = true\n}\n');
    let out = '';
    const code = await main(['doctor', '--format', 'json', root], { out: (s) => (out += s), err: () => {} });
    const report = JSON.parse(out) as { files: number; findings: { code: string; path: string; message: string }[] };
    expect(code).toBe(1);
    expect(report.findings.map((f) => f.code)).not.toContain('RF910');
    expect(report.findings.map((f) => f.code)).toContain('RF301');
    const skipped = report.findings.filter((f) => f.code === 'RF902');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.message).toMatch(/^2 file\(s\) in the folders given look like part of the deployment/);
    expect(skipped[0]!.message).toContain(join(root, 'Dockerfile'));
    expect(skipped[0]!.message).toContain(join(root, 'live', 'terragrunt.hcl'));
    for (const quiet of ['README.md', 'logo.png', '.terraform.lock.hcl', 'main.tftest.hcl']) expect(skipped[0]!.message).not.toContain(quiet);
    expect(readdirSync(root)).toContain('main.tofu');
  });
});
