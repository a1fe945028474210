import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, placeOf } from './helpers/doctor.js';

/**
 * Issue 48b (found on a public EKS module): chart values written to a file with `local_file` and
 * handed to `helm_release` as `values = [local_file.<name>.content]`. hashicorp/local writes the file
 * with the `content` argument as given and neither computes nor changes the attribute, so the values
 * are the yamlencode() the content is written with: read as if written in place, not RF906 "known
 * only after apply" with the runner never read.
 */

const codes = (r: DoctorResult) => r.findings.map((f) => f.code).sort();
const unread = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF906' && f.message.includes('the chart values it sets are not read'));

// A chart whose values privilege every job (RF301) and leave the chart's Role at every verb (RF907).
const LOCALS = `variable "gitlab_url" {
  type = string
}

variable "runner_token" {
  type      = string
  sensitive = true
}

locals {
  chart = {
    gitlabUrl   = var.gitlab_url
    runnerToken = var.runner_token
    rbac        = { create = true }
    runners = {
      config = <<-EOT
        [[runners]]
          [runners.kubernetes]
            namespace = "build"
            privileged = true
      EOT
    }
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

const FILE = `resource "local_file" "chart" {
  content  = yamlencode(local.chart)
  filename = "\${path.module}/chart-values.yaml"
}
`;

describe('chart values handed on through a local_file (48b)', () => {
  it('values = [local_file.x.content] over yamlencode(): the values are read (RF301, RF907), nothing left unread', () => {
    const text = `${LOCALS}${FILE}${release('local_file.chart.content')}`;
    const r = doctorTexts({ 'main.tf': text });
    expect(unread(r)).toEqual([]);
    const item = placeOf('main.tf', text, 'local_file.chart.content');
    expect(r.findings.filter((f) => f.code === 'RF301' || f.code === 'RF907').map((f) => [f.code, f.path])).toEqual([
      ['RF301', item],
      ['RF907', item],
    ]);
  });

  it('twin: the same values written as yamlencode() in place give the same findings', () => {
    const viaFile = doctorTexts({ 'main.tf': `${LOCALS}${FILE}${release('local_file.chart.content')}` });
    const inPlace = doctorTexts({ 'main.tf': `${LOCALS}${FILE}${release('yamlencode(local.chart)')}` });
    expect(codes(viaFile)).toEqual(codes(inPlace));
    expect(codes(inPlace)).toContain('RF301');
  });

  it('inside a module: the release of the module call is read through its local_file', () => {
    const text = `${LOCALS}${FILE}${release('local_file.chart.content')}`;
    const r = doctorTexts({
      'main.tf': `module "runner" {\n  source       = "./modules/runner"\n  gitlab_url   = "https://gitlab.example.com"\n  runner_token = var.token\n}\n\nvariable "token" {\n  type      = string\n  sensitive = true\n}\n`,
      'modules/runner/main.tf': text,
    });
    expect(unread(r)).toEqual([]);
    expect(codes(r)).toEqual(expect.arrayContaining(['RF301', 'RF907']));
  });

  it('a local_file whose content only apply knows (a generated key) stays unread, and the message names what apply computes', () => {
    const text = `resource "tls_private_key" "k" {\n  algorithm = "ED25519"\n}\n\nresource "local_file" "chart" {\n  content  = tls_private_key.k.public_key_openssh\n  filename = "chart-values.yaml"\n}\n${release('local_file.chart.content')}`;
    const r = doctorTexts({ 'main.tf': text });
    const said = unread(r);
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('tls_private_key.k.public_key_openssh is known only after apply');
    expect(codes(r)).not.toContain('RF301');
  });
});
