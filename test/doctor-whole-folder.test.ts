import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { walkFiles } from '../src/io/walk.js';

/**
 * A reference to a data source or resource no file of the module declares: where the doctor read
 * every file of the folder (a walk of it), it is declared nowhere and terraform plan stops there
 * (RF913); where files were named one by one, it may be in one not given (RF903 info). Public
 * madagra/terraform-gitlab-runner-aws (`user_data = data.template_file.cloud-init.rendered`, no such
 * data source) and ponomarevkonst/gitlab-runner-fargate-terraform-ansible (an EFS file system
 * referenced, never declared) were only RF903.
 */
const root = mkdtempSync(join(tmpdir(), 'rf-whole-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const INSTANCE = 'resource "aws_instance" "runner" {\n  ami       = "ami-0123456789abcdef0"\n  user_data = data.template_file.cloud-init.rendered\n}\n';
const TEMPLATE = 'data "template_file" "cloud-init" {\n  template = "#!/bin/sh\\necho hi\\n"\n}\n';

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}
const walked = async (dir: string) => doctor((await walkFiles([dir], 1 << 20)).files);
const codesAt = (r: ReturnType<typeof doctor>, file: string) => r.findings.filter((f) => f.path.startsWith(file) || f.path.includes(`/${file}`)).map((f) => f.code);

describe('a reference to a block no file declares', () => {
  it('in a folder walked whole: RF913 at the reference, saying no file of the folder declares it', async () => {
    const dir = folder('undeclared', { 'ec2.tf': INSTANCE, 'main.tf': 'provider "aws" {\n  region = "eu-west-1"\n}\n' });
    const r = await walked(dir);
    const hit = r.findings.filter((f) => f.code === 'RF913');
    expect(hit.map((f) => f.path)).toEqual([`${join(dir, 'ec2.tf')}:3:15`]);
    expect(hit[0]!.message).toContain(`names no data source of this module: no file of ${dir} declares data "template_file" "cloud-init"`);
    expect(codesAt(r, 'ec2.tf')).not.toContain('RF903');
  });
  it('twin: the same file named alone is RF903 (the declaration may be in a file not given)', () => {
    const files: InputFile[] = [{ path: 'ec2.tf', bytes: new TextEncoder().encode(INSTANCE) }];
    const r = doctor(files);
    expect(r.findings.filter((f) => f.code === 'RF913')).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF903').map((f) => f.path)).toEqual(['ec2.tf:3:15']);
  });
  it('twin: declared in another file of the walked folder, no finding of either code at it', async () => {
    const r = await walked(folder('declared', { 'ec2.tf': INSTANCE, 'templates.tf': TEMPLATE }));
    expect(r.findings.filter((f) => f.code === 'RF913' || (f.code === 'RF903' && f.path.includes('ec2.tf:3')))).toEqual([]);
  });
  it('twin: a file of the folder over the size limit leaves the folder partly read: RF903, not RF913', async () => {
    const dir = folder('partial', { 'ec2.tf': INSTANCE, 'big.tf': `# ${'x'.repeat(2048)}\n` });
    const r = doctor((await walkFiles([dir], 1024)).files);
    expect(r.findings.filter((f) => f.code === 'RF913')).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF903').map((f) => f.path)).toContain(`${join(dir, 'ec2.tf')}:3:15`);
  });
});
