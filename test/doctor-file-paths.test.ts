import { describe, expect, it } from 'vitest';
import { readEvidence } from '../src/doctor/index.js';
import { normalizeTerraform } from '../src/doctor/terraform.js';
import { workingDirFileReferences } from '../src/doctor/hcl/read.js';

const enc = (s: string) => new TextEncoder().encode(s);

/**
 * Terraform reads a relative path given to file() or templatefile() from the working directory (the
 * root module's folder), in whichever module the call is: path.module is the module's own folder.
 */
describe('a relative file() path in a called module', () => {
  const moduleTf = 'resource "aws_ssm_parameter" "p" {\n  name  = "/ci/p"\n  type  = "String"\n  value = file("../files/v.sh")\n}\n';
  const rootTf = 'module "ec2" {\n  source = "../modules/ec2"\n}\n';
  const valueOf = (files: Record<string, string>) => {
    const ev = readEvidence(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
    const { root, findings } = normalizeTerraform(ev);
    const param = Object.entries(root.resource.aws_ssm_parameter ?? {}).find(([k]) => k.endsWith('p'))?.[1];
    return { value: param?.value, findings };
  };

  it('is read from the root module folder (live/), not the module folder', () => {
    const r = valueOf({ 'live/main.tf': rootTf, 'modules/ec2/main.tf': moduleTf, 'files/v.sh': 'from the working directory' });
    expect(r.value).toBe('from the working directory');
    expect(r.findings.filter((f) => f.code === 'RF903')).toEqual([]);
  });

  it('a file only beside the module: RF903 says Terraform reads the path from the root, and names the file given', () => {
    const r = valueOf({ 'live/main.tf': rootTf, 'modules/ec2/main.tf': moduleTf, 'modules/files/v.sh': 'beside the module' });
    expect(r.value).not.toBe('beside the module');
    const rf903 = r.findings.filter((f) => f.code === 'RF903');
    expect(rf903).toHaveLength(1);
    expect(rf903[0]!.message).toContain('not in the evidence given: files/v.sh, which file() reads');
    expect(rf903[0]!.message).toContain("(the root module's folder, live/)");
    expect(rf903[0]!.message).toContain('modules/files/v.sh is given');
  });

  it('a module read as a root of its own reads from its own folder', () => {
    const r = valueOf({ 'modules/ec2/main.tf': moduleTf, 'modules/files/v.sh': 'beside the module' });
    expect(r.value).toBe('beside the module');
  });
});

/**
 * The files a CLI run reads for the Terraform given from its working directory (task 37a): a static
 * relative path, or one under path.root or path.cwd, taken from each folder of the Terraform given
 * (each may be the root); an absolute path, a drive, one under path.module (moduleFileReferences) or
 * one that starts with an interpolation are not.
 */
describe('workingDirFileReferences', () => {
  it('a static relative path, and one under path.root or path.cwd, from every Terraform folder given', () => {
    const tf = 'locals {\n  a = templatefile("templates/boot.tmpl", {})\n  b = file("${path.root}/keys/k.pub")\n  c = filebase64("${path.cwd}/x.bin")\n}\n';
    expect(workingDirFileReferences([{ path: 'live/main.tf', text: tf }, { path: 'modules/vm/main.tf', text: 'locals {}\n' }, { path: 'live/boot.sh', text: 'file("other")' }])).toEqual([
      'live/keys/k.pub', 'live/templates/boot.tmpl', 'live/x.bin', 'modules/vm/keys/k.pub', 'modules/vm/templates/boot.tmpl', 'modules/vm/x.bin',
    ]);
  });

  it('not an absolute path, a drive, a home path, one under path.module, or one that begins with an interpolation', () => {
    const tf = 'locals {\n  a = file("/etc/keys")\n  b = file("C:/keys")\n  c = file("~/.ssh/id.pub")\n  d = file("${path.module}/m.sh")\n  e = file("${var.dir}/v.sh")\n  f = file(var.path)\n}\n';
    expect(workingDirFileReferences([{ path: 'main.tf', text: tf }])).toEqual([]);
  });
});
