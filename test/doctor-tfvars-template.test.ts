import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { isVarsTemplateName } from '../src/io/file-names.js';
import { walkFiles } from '../src/io/walk.js';

/**
 * A committed template of a variable definitions file (`terraform.tfvars.sample`): Terraform never
 * loads it, but a token copied back into it is committed. Found on ragul28/gitlab-runner-k8s, whose
 * terraform.tfvars.sample holds a registration token in GitLab's GR1348941 form: the walk passed
 * the file by in silence.
 */
// Obviously fake tokens in the shapes GitLab and AWS issue (the credential scanner flags them, as it should).
const REG = 'GR1348941Qz7Wm3KpL5xNv2RbY7cZ';
const AWS_ID = 'AKIAQ7W3E9R2T5Y8U1I4';
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.path);

describe('templates of variable definitions files are read for credentials only', () => {
  it('names them by the suffixes of committed templates, and nothing Terraform loads', () => {
    expect(['terraform.tfvars.sample', 'prod.tfvars.example', 'x/terraform.tfvars.json.template', 'A.TFVARS.SAMPLE'].filter(isVarsTemplateName)).toHaveLength(4);
    expect(['terraform.tfvars', 'x.auto.tfvars', 'terraform.tfvars.json', 'terraform.tfvars.bak', 'tfvars.sample', 'terraform.tfvars.sample.md'].filter(isVarsTemplateName)).toEqual([]);
  });

  it('a folder walk reads one: a registration token in a map is RF940 at its value, never shown; no variable takes a value from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-tfvars-template-'));
    try {
      const sample = `project = "glr-test"\n\ngitlab_reg_token_map = {\n  "glr-test-group" = "${REG}"\n}\n`;
      writeFileSync(join(dir, 'terraform.tfvars.sample'), sample);
      writeFileSync(join(dir, 'variables.tf'), 'variable "project" {}\nvariable "gitlab_reg_token_map" {}\n');
      const { files } = await walkFiles([dir], 1 << 20);
      expect(files.filter((f) => f.notRead !== true).map((f) => f.path.slice(dir.length + 1)).sort()).toEqual(['terraform.tfvars.sample', 'variables.tf']);
      const r = doctor(files);
      expect(at(r, 'RF940')).toEqual([`${dir}/terraform.tfvars.sample:4:22`]);
      expect(r.findings.find((f) => f.code === 'RF940')!.fix).toMatch(/template others copy/);
      expect(at(r, 'RF901')).toEqual([]);
      expect(at(r, 'RF902')).toEqual([]);
      expect(JSON.stringify(r)).not.toContain(REG);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one that is not HCL (a JSON template, a half-edited file) is read line by line, with no RF901', () => {
    const r = doctorTexts({ 'terraform.tfvars.json.example': `{\n  "aws_access_key": "${AWS_ID}",\n  "region": \n` });
    expect(at(r, 'RF901')).toEqual([]);
    expect(at(r, 'RF940')).toHaveLength(1);
    expect(at(r, 'RF940')[0]).toMatch(/^terraform\.tfvars\.json\.example:2:/);
    expect(JSON.stringify(r)).not.toContain(AWS_ID);
  });

  it('twin: a template of placeholders: no RF940, no RF901, no RF902', () => {
    const r = doctorTexts({ 'terraform.tfvars.example': 'project = "glr-test"\nrunner_token = "<your runner token>"\ngitlab_reg_token_map = {\n  "my-group" = ""\n}\n' });
    expect(r.findings.filter((f) => ['RF940', 'RF901', 'RF902'].includes(f.code))).toEqual([]);
  });
});
