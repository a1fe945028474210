import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { evaluateTerraform, renderPolicyDocument } from '../src/doctor/terraform.js';
import { ModuleEvaluator, Unknown } from '../src/doctor/hcl/eval.js';
import { parseHcl } from '../src/doctor/hcl/parse.js';
import { hclLoc } from '../src/doctor/hcl/config.js';
import { textDoctorReport, jsonDoctorReport } from '../src/doctor/format.js';
import { corpusFiles } from './helpers/doctor.js';

// Variable definitions files of a root (terraform.tfvars, terraform.tfvars.json, *.auto.tfvars) give its
// variables the values Terraform takes on every run; other .tfvars files only a run that names them
// (-var-file). The base: an EC2 Docker manager whose config.toml template says `privileged = ${privileged}`
// from `variable "privileged" { type = bool, default = false }`, proven 7/7 (test/doctor-hcl.test.ts).
const DIR = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile-directives');
const enc = (s: string) => new TextEncoder().encode(s);
const withFiles = (extra: Record<string, string>, edit?: (f: InputFile) => InputFile): InputFile[] => [
  ...corpusFiles(DIR).map((f) => (edit ? edit(f) : f)),
  ...Object.entries(extra).map(([path, text]) => ({ path, bytes: enc(text) })),
];
/** Why `var.privileged` is not known in the root of the files given (the evaluator's reason). */
function reasonOf(extra: Record<string, string>, edit?: (f: InputFile) => InputFile): string | undefined {
  const ev = readEvidence(withFiles(extra, edit));
  const mod = ev.terraform.configs.get('.')!;
  evaluateTerraform(ev);
  const v = new ModuleEvaluator(mod, { renderPolicy: renderPolicyDocument }).value(parseHcl('x = var.privileged\n').attrs[0]!.expr, { loc: hclLoc('probe.tf', 'x = var.privileged\n'), vars: new Map() });
  return v instanceof Unknown ? v.reason.message : undefined;
}
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);

describe('the doctor reads a root\'s variable definitions files as Terraform does', () => {
  it('base: the default (false) applies, jobs unprivileged, every proof holds', () => {
    const r = doctor(withFiles({}));
    expect(codes(r, 'RF301')).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('terraform.tfvars sets privileged = true: Terraform takes it on every run, so the jobs run privileged (RF301)', () => {
    const r = doctor(withFiles({ 'terraform.tfvars': 'privileged = true\n' }));
    expect(codes(r, 'RF301')).toHaveLength(1);
  });

  it('terraform.tfvars.json does the same', () => {
    const r = doctor(withFiles({ 'terraform.tfvars.json': '{ "privileged": true }\n' }));
    expect(codes(r, 'RF301')).toHaveLength(1);
  });

  it('a *.auto.tfvars file replaces terraform.tfvars, and a later one (lexical order) an earlier one', () => {
    expect(codes(doctor(withFiles({ 'terraform.tfvars': 'privileged = true\n', 'zz.auto.tfvars': 'privileged = false\n' })), 'RF301')).toEqual([]);
    expect(codes(doctor(withFiles({ 'a.auto.tfvars': 'privileged = false\n', 'b.auto.tfvars': 'privileged = true\n' })), 'RF301')).toHaveLength(1);
    expect(codes(doctor(withFiles({ 'a.auto.tfvars': 'privileged = true\n', 'b.auto.tfvars.json': '{"privileged": false}' })), 'RF301')).toEqual([]);
  });

  it('a value converted to the declared type: "true" in a variable file is the bool true', () => {
    expect(codes(doctor(withFiles({ 'terraform.tfvars': 'privileged = "true"\n' })), 'RF301')).toHaveLength(1);
  });

  // The user data's RF906 names the directive whose value is not known and the evaluator's reason (vm.ts); the reason is checked on its own too.
  it('a .tfvars file only -var-file reads, with another value: not known which applies (RF906), never proven unprivileged', () => {
    const r = doctor(withFiles({ 'prod.tfvars': 'privileged = true\n' }));
    expect(codes(r, 'RF301')).toEqual([]);
    expect(codes(r, 'RF906').some((f) => /the condition of %\{~ if privileged ~\} is not known: var\.privileged has a default, and prod\.tfvars gives it another value/.test(f.message))).toBe(true);
    expect(r.proofs.some((p) => p.holds)).toBe(false);
    expect(reasonOf({ 'prod.tfvars': 'privileged = true\n' })).toMatch(/^var\.privileged has a default, and prod\.tfvars gives it another value, a file Terraform reads only when a run names it \(-var-file=prod\.tfvars\): which value the deployment has depends on how Terraform is run$/);
    expect(reasonOf({ 'terraform.tfvars': 'privileged = false\n', 'prod.tfvars': 'privileged = true\n' })).toMatch(/^var\.privileged is set in terraform\.tfvars, and prod\.tfvars gives it another value/);
  });

  it('a variable without a default that only such a file sets: the reason names every file Terraform reads on its own, the .json ones too', () => {
    const noDefault = (f: InputFile) => (f.path === 'main.tf' ? { ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace(/(variable "privileged" \{[^}]*?)\n\s*default\s*=\s*false/, '$1')) } : f);
    expect(reasonOf({ 'prod.tfvars': 'privileged = true\n' }, noDefault)).toMatch(/^var\.privileged has no default and no value in terraform\.tfvars, terraform\.tfvars\.json or a \*\.auto\.tfvars or \*\.auto\.tfvars\.json file, and prod\.tfvars gives it one/);
  });

  it('such a file with the same value changes nothing', () => {
    const r = doctor(withFiles({ 'prod.tfvars': 'privileged = false\n', 'staging.tfvars': 'other = 1\n' }));
    expect(codes(r, 'RF906')).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('a value that is not a constant (Terraform refuses references in a variable file) is not known, not taken', () => {
    const r = doctor(withFiles({ 'terraform.tfvars': 'privileged = var.other\n' }));
    expect(codes(r, 'RF301')).toEqual([]);
    expect(codes(r, 'RF906').some((f) => /var\.privileged is given in terraform\.tfvars by an expression that is not a constant value/.test(f.message))).toBe(true);
    expect(r.proofs.some((p) => p.holds)).toBe(false);
    expect(reasonOf({ 'terraform.tfvars': 'privileged = var.other\n' })).toBe('var.privileged is given in terraform.tfvars by an expression that is not a constant value, which Terraform refuses in a variable definitions file');
  });

  it('another folder\'s terraform.tfvars is not this root\'s', () => {
    const r = doctor(withFiles({ 'other/terraform.tfvars': 'privileged = true\n' }));
    expect(codes(r, 'RF301')).toEqual([]);
    expect(r.proofs.every((p) => p.holds)).toBe(true);
  });

  it('a called module does not read the variable files of its folder: its variables are its caller\'s arguments', () => {
    const moved = (f: InputFile): InputFile => ({ ...f, path: `modules/runner/${f.path}` });
    const files: InputFile[] = [
      ...corpusFiles(DIR).filter((f) => f.path !== 'expected.json').map(moved),
      { path: 'modules/runner/terraform.tfvars', bytes: enc('privileged = true\n') },
      { path: 'main.tf', bytes: enc('module "runner" {\n  source = "./modules/runner"\n}\n') },
    ];
    expect(codes(doctor(files), 'RF301')).toEqual([]);
  });

  it('a credential in terraform.tfvars is RF940 at its place and is never shown where the evaluation carries it', () => {
    const token = 'glrt-EXAMPLEexampleEXAMPLE12';
    const r = doctor(withFiles({ 'terraform.tfvars': `privileged = true\nrunner_token = "${token}"\n` }, (f) => (f.path === 'main.tf' ? { ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace('  value = "replace-me"', '  value = var.runner_token').replace('variable "privileged" {', 'variable "runner_token" {\n  type = string\n  default = ""\n}\n\nvariable "privileged" {')) } : f)));
    expect(codes(r, 'RF940').map((f) => f.path)).toEqual(['terraform.tfvars:2:16']);
    expect(textDoctorReport(r) + jsonDoctorReport(r)).not.toContain(token.slice(5));
  });

  it('the value a variable file gives a variable declared sensitive is never shown; without sensitive it is', () => {
    const edit = (sensitive: boolean) => (f: InputFile): InputFile => (f.path === 'main.tf' ? { ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace('  bucket = "acme-gitlab-docker-ci-cache"', '  bucket = var.cache_bucket').replace('variable "privileged" {', `variable "cache_bucket" {\n  type = string\n${sensitive ? '  sensitive = true\n' : ''}}\n\nvariable "privileged" {`)) } : f);
    const shown = doctor(withFiles({ 'terraform.tfvars': 'cache_bucket = "acme-tfvars-cache"\n' }, edit(false)));
    expect(shown.proofs.every((p) => p.holds)).toBe(true);
    expect(textDoctorReport(shown)).toContain('acme-tfvars-cache');
    const hidden = doctor(withFiles({ 'terraform.tfvars': 'cache_bucket = "acme-tfvars-cache"\n' }, edit(true)));
    expect(hidden.proofs.every((p) => p.holds)).toBe(true);
    expect(textDoctorReport(hidden) + jsonDoctorReport(hidden)).not.toContain('acme-tfvars-cache');
  });
  it('a terraform.tfvars that is not valid HCL: RF901 at it, and what it may set is not known (RF903), never the default proven', () => {
    const r = doctor(withFiles({ 'terraform.tfvars': 'privileged = \n' }));
    expect(codes(r, 'RF901').map((f) => f.path)).toEqual(['terraform.tfvars:1:14']);
    expect(r.proofs.some((p) => p.holds)).toBe(false);
    expect(reasonOf({ 'terraform.tfvars': 'privileged = \n' })).toBe('terraform.tfvars could not be read (not valid HCL, RF901 at terraform.tfvars:1:14), and Terraform loads it on every run: it may set var.privileged, so its value is not known');
    // An unreadable file that only -var-file reads changes nothing here (it is RF901 at itself).
    const optional = doctor(withFiles({ 'prod.tfvars': 'privileged = \n' }));
    expect(optional.proofs.every((p) => p.holds)).toBe(true);
    // The same for terraform.tfvars.json that is not valid JSON.
    expect(reasonOf({ 'terraform.tfvars.json': '{ "privileged": ' })).toBe('terraform.tfvars.json could not be read (not valid JSON, RF901 at terraform.tfvars.json:1:17), and Terraform loads it on every run: it may set var.privileged, so its value is not known');
    // A later auto file that gives the value settles it.
    expect(reasonOf({ 'terraform.tfvars': 'privileged = \n', 'z.auto.tfvars': 'privileged = false\n' })).toBeUndefined();
  });
  it('a broken terraform.tfvars is one RF903 at its syntax error naming every variable it leaves unknown, not one per variable or reference', () => {
    // Three references of two variables (var.privileged in main.tf, var.cache_name twice here).
    const extra = 'variable "cache_name" {\n  default = "acme-extra"\n}\n\nresource "aws_s3_bucket" "extra" {\n  bucket = var.cache_name\n  tags = {\n    copy = var.cache_name\n  }\n}\n';
    for (const [file, text, kind, at] of [['terraform.tfvars', 'privileged = \n', 'HCL', '1:14'], ['x.auto.tfvars.json', '{ "privileged": ', 'JSON', '1:17']] as const) {
      const r = doctor(withFiles({ 'extra.tf': extra, [file]: text }));
      expect(codes(r, 'RF901').map((f) => f.path)).toEqual([`${file}:${at}`]);
      const unknown = codes(r, 'RF903');
      expect(unknown.map((f) => f.path)).toEqual([`${file}:${at}`]);
      expect(unknown[0]!.message).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')} could not be read \\(not valid ${kind}, RF901 at ${file.replace(/\./g, '\\.')}:${at}\\), and Terraform loads it on every run: it may set var\\.(privileged|cache_name) and var\\.(privileged|cache_name), so their values are not known \\(3 references read them\\)$`));
      expect(unknown[0]!.fix).toBe(`fix the syntax of ${file} at line ${at.split(':')[0]!}, column ${at.split(':')[1]!}`);
      expect(r.proofs.some((p) => p.holds)).toBe(false);
    }
  });
});
