import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planMutated } from './helpers/fleet.js';
import { awsProviderMirror, report, run, which } from './helpers/tools.js';
import { synthFiles } from '../src/core.js';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { inferDeployment } from '../src/doctor/infer.js';
import { parseJsonTemplate } from '../src/doctor/hcl/parse.js';
import { tfLiteral } from '../src/emit/terraform/literal.js';

/**
 * Terraform's JSON syntax evaluates `${…}` and `%{…}` in every string (and object key). Text a user
 * wrote (tags, a runner's description, its GitLab tags) must reach Terraform as that text: escaped
 * as `$${` and `%%{`, so `terraform validate` accepts it and a tag cannot read a runner token into GitLab.
 */
const TOKEN_TAG = '${gitlab_user_runner.build.token}';
const DIRECTIVE_TAG = '%{ for x in ["a"] }${x}%{ endfor }';
const DESCRIPTION = 'costs ${var.team} at 100%{ if true }';
/** AWS tags allow no `$`, `{` or `%` (IAM refuses them): the widest text the spec accepts, to validate for real. */
const AWS_TAGS = { 'owner:team/é': 'Zoë + ops = @platform_ci.', ['k'.repeat(128)]: 'v'.repeat(256), 'ünïcödé 数字': '' };

const plan = planMutated('eks-irsa', (s) => {
  s.aws.tags = { ...s.aws.tags, ...AWS_TAGS };
  s.runners[0].description = DESCRIPTION;
  s.runners[0].gitlab.tags = [...s.runners[0].gitlab.tags, TOKEN_TAG, DIRECTIVE_TAG];
});
const files = synthFiles(plan);
const root = (path: string) => JSON.parse(files.find((f) => f.path === path)!.content) as Record<string, any>;

/** What Terraform reads a JSON string as, by the doctor's template parser: literal text only, or undefined. */
function readsAs(s: string): string | undefined {
  const e = parseJsonTemplate(s);
  if (e.k !== 'tpl') return undefined;
  return e.parts.every((p) => typeof p === 'string') ? e.parts.join('') : undefined;
}

describe('user text in Terraform JSON is escaped', () => {
  it('the spec plans', () => {
    expect(plan.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(plan.exitCode).toBe(0);
  });

  it('aws.tags (keys and values) reach default_tags as written', () => {
    const tags = root('terraform/aws/main.tf.json').provider.aws[0].default_tags.tags as Record<string, string>;
    expect(tags).toMatchObject(AWS_TAGS);
    const read = Object.fromEntries(Object.entries(tags).map(([k, v]) => [readsAs(k), readsAs(v)]));
    expect(read).toMatchObject(AWS_TAGS);
  });

  it.each([
    ['a template in a value', { owner: 'team ${var.team}' }, 'aws.tags.owner', /letters, digits, spaces and _ \. : \/ = \+ - @/],
    ['a directive in a key', { '%{ if true }x': 'v' }, 'aws.tags["%{ if true }x"]', /letters, digits, spaces/],
    ['the reserved aws: prefix on a key', { 'AWS:owner': 'v' }, 'aws.tags["AWS:owner"]', /prefix aws:/],
    ['the reserved aws: prefix on a value', { owner: 'aws:x' }, 'aws.tags.owner', /must not start with aws:/],
    ['a key of 129 characters', { ['k'.repeat(129)]: 'v' }, /^aws\.tags\.k{20,}/, /1 to 128 characters/],
    ['a value of 257 characters', { owner: 'v'.repeat(257) }, 'aws.tags.owner', /at most 256 characters/],
    ['the managed-by tag runner-fleet sets itself', { 'managed-by': 'terraform' }, 'aws.tags["managed-by"]', /runner-fleet sets managed-by and runner-fleet-fleet/],
    ['the runner-fleet-fleet tag', { 'runner-fleet-fleet': 'other' }, 'aws.tags["runner-fleet-fleet"]', /runner-fleet sets managed-by/],
    ['49 tags', Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`t${i}`, 'v'])), 'aws.tags', /49 tags: AWS allows 50 per resource and runner-fleet adds 2/],
  ])('aws.tags with %s: exit 2 at the tag, before apply would fail (IAM tag rules)', (_what, tags, path, message) => {
    const r = planMutated('eks-irsa', (s) => (s.aws.tags = tags));
    expect(r.exitCode).toBe(2);
    const found = r.findings.find((f) => f.severity === 'error' && (typeof path === 'string' ? f.path === path : path.test(f.path)));
    expect(found?.message, JSON.stringify(r.findings.map((f) => [f.path, f.message]))).toMatch(message);
  });

  it('48 AWS tags plan', () => {
    const r = planMutated('eks-irsa', (s) => (s.aws.tags = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, 'v']))));
    expect(r.exitCode).toBe(0);
  });

  it('the runner description and GitLab tags reach gitlab_user_runner as literal text', () => {
    const r = (root('terraform/gitlab/main.tf.json').resource.gitlab_user_runner as Record<string, { description: string; tag_list: string[] }>)[plan.fleet!.runners[0]!.name]!;
    expect(r.tag_list).toContain('$${gitlab_user_runner.build.token}');
    expect(r.tag_list.map(readsAs)).toEqual(plan.fleet!.runners[0]!.spec.gitlab.tags);
    expect(readsAs(r.description)).toMatch(/^costs \$\{var\.team\} at 100%\{ if true \} /);
  });

  it('no string of any Terraform root interpolates a reference the spec text carried', () => {
    for (const f of files.filter((x) => x.path.endsWith('.tf.json'))) {
      const text = f.content.replaceAll('$${', '').replaceAll('%%{', '');
      expect(text, f.path).not.toContain('${var.team}');
      expect(text, f.path).not.toContain('%{ if true }');
    }
  });

  it('the doctor reads the synth output as Terraform does: the spec text, the same proofs as plan, no error', () => {
    const inputs: InputFile[] = files.map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) }));
    const inferred = inferDeployment(readEvidence(inputs)).intent.runners.find((r) => r.name === plan.fleet!.runners[0]!.name);
    expect(inferred?.spec.gitlab.tags).toEqual(plan.fleet!.runners[0]!.spec.gitlab.tags);
    const result = doctor(inputs);
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const key = (p: { runner: string; claim: string; holds: boolean }) => `${p.runner}|${p.claim}|${String(p.holds)}`;
    expect(result.proofs.map(key).sort()).toEqual(plan.proofs.map(key).sort());
  });

  it('azure.tags reach every Azure resource as literal text', () => {
    const azure = planMutated('aks-workload-identity', (s) => (s.azure.tags = { owner: 'team ${var.team}' }));
    expect(azure.exitCode).toBe(0);
    const text = synthFiles(azure).find((f) => f.path === 'terraform/azure/main.tf.json')!.content;
    expect(text).toContain('"owner": "team $${var.team}"');
    expect(text.replaceAll('$${', '')).not.toContain('${var.team}');
  });

  it.each([
    ['a name with /', { 'a/b': 'v' }, 'azure.tags["a/b"]', /without < > % & \\ \? \//],
    ['a name of 129 characters (storage accounts allow 128)', { ['n'.repeat(129)]: 'v' }, /^azure\.tags\.n{20,}/, /1 to 128 characters/],
    ['MANAGED-BY in another case', { 'MANAGED-BY': 'me' }, 'azure.tags["MANAGED-BY"]', /runner-fleet sets managed-by/],
    ['two names that differ in case', { team: 'a', Team: 'b' }, 'azure.tags.Team', /"team" and "Team" are the same name to Azure/],
    ['a value of 257 characters', { owner: 'v'.repeat(257) }, 'azure.tags.owner', /at most 256 characters/],
  ])('azure.tags with %s: exit 2 at the tag (Azure tag limits)', (_what, tags, path, message) => {
    const r = planMutated('aks-workload-identity', (s) => (s.azure.tags = tags));
    expect(r.exitCode).toBe(2);
    const found = r.findings.find((f) => f.severity === 'error' && (typeof path === 'string' ? f.path === path : path.test(f.path)));
    expect(found?.message, JSON.stringify(r.findings.map((f) => [f.path, f.message]))).toMatch(message);
  });

  it.each([
    ['a role assignment scope', (s: Record<string, any>) => (s.runners[0].jobs.permissions.azure[0].scope += '${var.x}'), /^runners\[0\]\.jobs\.permissions\.azure\[0\]\.scope$/],
    ['a node subnet id', (s: Record<string, any>) => (s.clusters[0].create.subnetId = '/subscriptions/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/v/subnets/s${var.x}'), /^clusters\[0\]\.create\.subnetId$/],
  ])('%s with a template is refused (exit 2): an Azure id has no braces', (_what, mutate, path) => {
    const r = planMutated(_what === 'a node subnet id' ? 'aks-create' : 'aks-workload-identity', mutate);
    expect(r.exitCode).toBe(2);
    expect(r.findings.some((f) => f.severity === 'error' && path.test(f.path))).toBe(true);
  });

  it('tfLiteral round-trips through the template parser for any text', () => {
    for (const s of ['', 'plain', '$', '%', '${', '%{', '$${x}', '$$${x}', '%%{', 'a ${b} %{c} $d {e}', '}${', '$}{', '${${}}']) {
      expect(readsAs(tfLiteral(s)), s).toBe(s);
    }
  });

  const skipAll = process.env.RUNNER_FLEET_SKIP_CONFORMANCE;
  const terraform = skipAll ? undefined : which('terraform');
  const mirror = awsProviderMirror();
  it('terraform validate accepts the AWS root (local AWS provider mirror)', async () => {
    if (!terraform || !mirror) {
      report(`SKIPPED: terraform validate of the widest tags the spec allows: ${skipAll ? `RUNNER_FLEET_SKIP_CONFORMANCE (${skipAll})` : !terraform ? 'terraform is not on PATH' : 'no hashicorp/aws provider mirror (set RUNNER_FLEET_TF_PLUGIN_DIR)'}`);
      return;
    }
    const dir = join(mkdtempSync(join(tmpdir(), 'runner-fleet-tf-literal-')), 'aws');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.tf.json'), files.find((f) => f.path === 'terraform/aws/main.tf.json')!.content);
    const init = await run(terraform, ['init', '-backend=false', `-plugin-dir=${mirror}`, '-input=false', '-no-color'], dir);
    expect(init.code, init.out).toBe(0);
    const r = await run(terraform, ['validate', '-json', '-no-color'], dir);
    const result = JSON.parse(r.out) as { valid: boolean; diagnostics: unknown[] };
    expect(result.diagnostics, r.out).toEqual([]);
    expect(result.valid).toBe(true);
    report('RAN: terraform validate of the widest tags the spec allows: valid');
  }, 300_000);
});
