import { afterEach, describe, expect, it, vi } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { yamlData } from '../src/doctor/yaml-data.js';

/**
 * YAML the doctor finds inside Terraform (a helm_release's values, yamldecode): a mapping key that
 * is a list or a map made the yaml library print "Keys with collection values will be stringified"
 * on stderr (seen in a doctor fuzz run). It is a finding at the value now, and nothing is printed.
 */
const tf = (text: string) => [{ path: 'main.tf', bytes: new TextEncoder().encode(text) }];

describe('YAML inside Terraform: collection keys', () => {
  afterEach(() => vi.restoreAllMocks());

  it('helm_release values with a list as a key: RF901 at the values, no process warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const r = doctor(tf('resource "helm_release" "r" {\n  name  = "gitlab-runner"\n  chart = "gitlab-runner"\n  values = ["[ \\"*\\" ]: 1\\nrbac:\\n  create: true\\n"]\n}\n'));
    expect(r.findings.find((f) => f.code === 'RF901')?.message).toContain('a mapping key is a list or a map');
    expect(warn).not.toHaveBeenCalled();
  });

  it('yamldecode of a map key that is a map: RF906 where the value is used, no process warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const r = doctor(tf('locals {\n  v = yamldecode("{ a: 1 }: 2")\n}\nresource "aws_iam_role" "r" {\n  name = "x"\n  assume_role_policy = jsonencode(local.v)\n}\n'));
    expect(r.findings.find((f) => f.code === 'RF906')?.message).toContain('yamldecode() fails on these arguments: a mapping key is a list or a map');
    expect(warn).not.toHaveBeenCalled();
  });

  it('plain data reads as yaml.parse reads it; errors and several documents are refused', () => {
    expect(yamlData('a: [1, 2]\nb: { c: "d" }\n', '1.2')).toEqual({ a: [1, 2], b: { c: 'd' } });
    expect(() => yamlData('a: [1\n', '1.2')).toThrow();
    expect(() => yamlData('a: 1\n---\nb: 2\n', '1.2')).toThrow();
  });
});
