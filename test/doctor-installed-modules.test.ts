import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { parseManifest, sameSource, shownSource } from '../src/doctor/hcl/installed-modules.js';
import { corpusFiles } from './helpers/doctor.js';
import { main } from '../src/cli/main.js';

/**
 * A deployment whose runner comes from a registry module: after `terraform init`, the module's copy
 * is in the root's .terraform/modules, and its manifest (modules.json) names it by the call's key.
 * The module here is the corpus' hand-written EC2 Docker runner (its provider block moved to the root).
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-hand-written');
const enc = (s: string) => Buffer.from(s);

function moduleFiles(dir: string): InputFile[] {
  return corpusFiles(CASE).map((f) => {
    if (f.path !== 'main.tf.json') return { ...f, path: `${dir}/${f.path}` };
    const doc = JSON.parse(f.bytes.toString()) as Record<string, unknown>;
    delete doc.provider;
    return { path: `${dir}/main.tf.json`, bytes: enc(JSON.stringify(doc, null, 2)) };
  });
}

const ROOT_TF = `provider "aws" {
  region = "eu-west-1"
}

module "runner" {
  source  = "acme/gitlab-runner/aws"
  version = "~> 1.0"
}
`;
const manifest = (entries: object[]) => enc(JSON.stringify({ Modules: [{ Key: '', Source: '', Dir: '.' }, ...entries] }));
const RUNNER = { Key: 'runner', Source: 'registry.terraform.io/acme/gitlab-runner/aws', Version: '1.2.0', Dir: '.terraform/modules/runner' };

const codes = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => f.severity !== 'info').map((f) => f.code).sort();

describe('the doctor follows modules terraform init installed (.terraform/modules/modules.json)', () => {
  const alone = doctor(corpusFiles(CASE));

  it('proves the runner of an installed registry module as it proves the same files given directly', () => {
    const r = doctor([{ path: 'main.tf', bytes: enc(ROOT_TF) }, { path: '.terraform/modules/modules.json', bytes: manifest([RUNNER]) }, ...moduleFiles('.terraform/modules/runner')]);
    expect(r.chains.size).toBe(1);
    expect(r.proofs.length).toBe(alone.proofs.length);
    expect(codes(r)).toEqual(codes(alone));
    // The findings point into the installed copy.
    for (const f of r.findings.filter((x) => x.severity !== 'info')) expect(f.path).toMatch(/^\.terraform\/modules\/runner\/main\.tf\.json:\d+:\d+$/);
    expect(r.findings.some((f) => f.message.includes('is not read'))).toBe(false);
  });

  it('without the manifest the module is not read, and the fix says to run terraform init', () => {
    const r = doctor([{ path: 'main.tf', bytes: enc(ROOT_TF) }]);
    expect(r.chains.size).toBe(0);
    const notRead = r.findings.find((f) => f.code === 'RF903' && f.message.includes('module "runner" from acme/gitlab-runner/aws is not read'));
    expect(notRead?.fix).toContain('terraform init');
  });

  it('reads the user data file of a module resource (filebase64 of ${path.module} under the module address)', () => {
    const local = `provider "aws" {\n  region = "eu-west-1"\n}\n\nmodule "runner" {\n  source = "./runner"\n}\n`;
    const r = doctor([{ path: 'main.tf', bytes: enc(local) }, ...moduleFiles('runner')]);
    expect(r.chains.size).toBe(1);
    expect(r.proofs.length).toBe(alone.proofs.length);
    expect(codes(r)).toEqual(codes(alone));
  });

  it('refuses a copy of another source (the call changed since terraform init): RF903 with the reason', () => {
    const r = doctor([{ path: 'main.tf', bytes: enc(ROOT_TF) }, { path: '.terraform/modules/modules.json', bytes: manifest([{ ...RUNNER, Source: 'git::https://ci:glpat-secretsecret1234@example.com/other/runner.git?ref=v1' }]) }, ...moduleFiles('.terraform/modules/runner')]);
    expect(r.chains.size).toBe(0);
    const f = r.findings.find((x) => x.code === 'RF903' && x.message.includes('module "runner"'));
    expect(f?.message).toContain('is of git::https://example.com/other/runner.git?ref=v1, not of this source');
    // A password in a recorded URL is never shown.
    expect(JSON.stringify(r.findings)).not.toContain('glpat-secret');
  });

  it('a manifest without the call (older than it) says so', () => {
    const r = doctor([{ path: 'main.tf', bytes: enc(ROOT_TF) }, { path: '.terraform/modules/modules.json', bytes: manifest([]) }, ...moduleFiles('.terraform/modules/runner')]);
    expect(r.findings.find((x) => x.code === 'RF903' && x.message.includes('module "runner"'))?.message).toContain('installed no module of key runner');
  });

  it('a manifest that is not one is RF902 and changes nothing else', () => {
    const r = doctor([{ path: 'main.tf', bytes: enc(ROOT_TF) }, { path: '.terraform/modules/modules.json', bytes: enc('{"Modules": 3}') }]);
    expect(r.findings.find((f) => f.code === 'RF902')?.message).toContain('is not a module manifest');
  });

  it('follows a module the installed one calls, by its dotted key (runner.inner)', () => {
    const outer = `module "inner" {\n  source = "acme/inner/aws"\n}\n`;
    const r = doctor([
      { path: 'main.tf', bytes: enc(ROOT_TF) },
      { path: '.terraform/modules/modules.json', bytes: manifest([RUNNER, { Key: 'runner.inner', Source: 'registry.terraform.io/acme/inner/aws', Version: '2.0.0', Dir: '.terraform/modules/runner.inner' }]) },
      { path: '.terraform/modules/runner/main.tf', bytes: enc(outer) },
      ...moduleFiles('.terraform/modules/runner.inner'),
    ]);
    expect(r.chains.size).toBe(1);
    expect(r.proofs.length).toBe(alone.proofs.length);
    // Reached through both calls, not read as a root of its own.
    expect(r.findings.map((f) => f.message).join('\n')).toContain('launch template module.runner.module.inner.aws_launch_template.ci');
    expect(r.findings.some((f) => f.message.includes('is not read'))).toBe(false);
  });
});

describe('installed-module manifests', () => {
  it('reads the entries, leaves out the root record and folders outside the root', () => {
    const m = parseManifest(JSON.stringify({ Modules: [{ Key: '', Source: '', Dir: '.' }, RUNNER, { Key: 'x', Source: 's', Dir: '../elsewhere' }, { Key: 'y', Source: 's', Dir: '/abs' }] }), (d) => `root/${d}`);
    expect(typeof m === 'string' ? m : [...m.keys()]).toEqual(['runner']);
    expect(typeof m === 'string' ? undefined : m.get('runner')?.dir).toBe('root/.terraform/modules/runner');
    expect(parseManifest('nope', (d) => d)).toMatch(/not valid JSON/);
  });

  it('matches a written source to the one terraform init recorded', () => {
    expect(sameSource('acme/gitlab-runner/aws', 'registry.terraform.io/acme/gitlab-runner/aws')).toBe(true);
    expect(sameSource('terraform-aws-modules/vpc/aws//modules/vpc-endpoints', 'registry.terraform.io/terraform-aws-modules/vpc/aws//modules/vpc-endpoints')).toBe(true);
    expect(sameSource('github.com/cmdlabs/cmd-tf-aws-vpc?ref=0.12.0', 'git::https://github.com/cmdlabs/cmd-tf-aws-vpc.git?ref=0.12.0')).toBe(true);
    expect(sameSource('git::https://example.com/a.git?ref=v1', 'git::https://example.com/a.git?ref=v1')).toBe(true);
    expect(sameSource('acme/gitlab-runner/aws', 'registry.terraform.io/acme/other/aws')).toBe(false);
    expect(sameSource('git::https://example.com/a.git?ref=v2', 'git::https://example.com/a.git?ref=v1')).toBe(false);
    expect(shownSource('git::https://user:pw@example.com/a.git')).toBe('git::https://example.com/a.git');
  });
});

describe('runner-fleet doctor <folder> reads .terraform/modules for the Terraform it is given', () => {
  it('reads the manifest and the installed copies, which a folder walk never enters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-installed-'));
    try {
      writeFileSync(join(dir, 'main.tf'), ROOT_TF);
      mkdirSync(join(dir, '.terraform', 'modules', 'runner'), { recursive: true });
      writeFileSync(join(dir, '.terraform', 'modules', 'modules.json'), manifest([RUNNER]));
      for (const f of moduleFiles('.terraform/modules/runner')) writeFileSync(join(dir, f.path), f.bytes);
      let stdout = '';
      await main(['doctor', dir, '--format', 'json'], { out: (t) => (stdout += t), err: () => undefined });
      const out = JSON.parse(stdout) as { chains: Record<string, string[]>; findings: { code: string; path: string }[] };
      expect(Object.keys(out.chains)).toHaveLength(1);
      expect(out.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['RF712', 'RF713', 'RF715']));
      expect(readFileSync(join(dir, 'main.tf'), 'utf8')).toBe(ROOT_TF);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
