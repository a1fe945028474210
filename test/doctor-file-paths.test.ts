import { describe, expect, it } from 'vitest';
import { readEvidence } from '../src/doctor/index.js';
import { normalizeTerraform } from '../src/doctor/terraform.js';

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
