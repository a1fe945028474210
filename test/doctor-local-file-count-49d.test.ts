import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, placeOf } from './helpers/doctor.js';

/**
 * Chart values written with a `local_file` that has count or for_each, handed to helm_release as
 * `local_file.<name>[0].content` or `local_file.<name>["k"].content`. 48b read `local_file.<name>.content`
 * of a file without count or for_each; an indexed instance was RF906 "the chart values it sets are not
 * read". Now the instance the index or key names is read with its `count.index` or `each`, where the
 * files give the instances. Fixtures are hand-written.
 */
const codes = (r: DoctorResult) => r.findings.map((f) => f.code).sort();
const unread = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF906' && f.message.includes('the chart values it sets are not read'));

// Chart values whose runners.config privileges every job (RF301); the chart's Role keeps every verb (RF907).
const chart = (privileged: string) => `{
    gitlabUrl   = "https://gitlab.example.com"
    runnerToken = var.runner_token
    rbac        = { create = true }
    runners = {
      config = <<-EOT
        [[runners]]
          [runners.kubernetes]
            namespace = "build"
            privileged = ${privileged}
      EOT
    }
  }`;

const head = `variable "runner_token" {
  type      = string
  sensitive = true
}

locals {
  charts = {
    ci   = ${chart('true')}
    docs = ${chart('false')}
  }
}
`;

const release = (values: string) => `resource "helm_release" "ci" {
  name       = "ci"
  repository = "https://charts.gitlab.io"
  chart      = "gitlab-runner"
  version    = "0.71.0"
  namespace  = "build"
  values     = [${values}]
}
`;

const BY_KEY = `resource "local_file" "chart" {
  for_each = local.charts
  content  = yamlencode(each.value)
  filename = "\${path.module}/\${each.key}-values.yaml"
}
`;
const BY_COUNT = `resource "local_file" "chart" {
  count    = 2
  content  = yamlencode(local.charts[["ci", "docs"][count.index]])
  filename = "\${path.module}/values-\${count.index}.yaml"
}
`;

describe('chart values handed on through a local_file with count or for_each', () => {
  it('for_each: local_file.chart["ci"].content is the ci instance\'s yamlencode(each.value): RF301 and RF907 at the values item', () => {
    const text = `${head}${BY_KEY}${release('local_file.chart["ci"].content')}`;
    const r = doctorTexts({ 'main.tf': text });
    expect(unread(r)).toEqual([]);
    const item = placeOf('main.tf', text, 'local_file.chart["ci"].content');
    expect(r.findings.filter((f) => f.code === 'RF301' || f.code === 'RF907').map((f) => [f.code, f.path])).toEqual([
      ['RF301', item],
      ['RF907', item],
    ]);
  });

  it('the passing twin: local_file.chart["docs"].content (privileged = false) is read too, and says no RF301', () => {
    const r = doctorTexts({ 'main.tf': `${head}${BY_KEY}${release('local_file.chart["docs"].content')}` });
    expect(unread(r)).toEqual([]);
    expect(codes(r)).toContain('RF907');
    expect(codes(r)).not.toContain('RF301');
  });

  it('count: local_file.chart[0].content is read with count.index 0 (RF301), [1] with count.index 1 (none)', () => {
    const first = doctorTexts({ 'main.tf': `${head}${BY_COUNT}${release('local_file.chart[0].content')}` });
    expect(unread(first)).toEqual([]);
    expect(codes(first)).toContain('RF301');
    const second = doctorTexts({ 'main.tf': `${head}${BY_COUNT}${release('local_file.chart[1].content')}` });
    expect(unread(second)).toEqual([]);
    expect(codes(second)).not.toContain('RF301');
  });

  it('an instance the files do not make (a key for_each does not give): RF913 names the instances, and no values are read', () => {
    const r = doctorTexts({ 'main.tf': `${head}${BY_KEY}${release('local_file.chart["other"].content')}` });
    expect(codes(r)).not.toContain('RF301');
    expect(codes(r)).toEqual(['RF913']);
    expect(r.findings[0]!.message).toBe('local_file.chart has no instance "other" (instances: "ci", "docs")');
  });
});
