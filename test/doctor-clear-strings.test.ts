import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { ClearStrings } from '../src/doctor/clear-strings.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * What a sensitive value may show: only what the files also show in clear (clear-strings.ts). A
 * chart's values marked sensitive as a whole (templatefile() with a sensitive variable) name the
 * manager's service account; whether that name is shown depends on where else it is written.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const text = (f: InputFile) => new TextDecoder().decode(f.bytes);
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'show-json-helm-release-sa-not-trusted');
const NAME = 'ci-manager-7';

/** The corpus deployment whose whole values item is sensitive and names NAME as the manager's account, with `more` files and `planEdit` on the plan. */
function deployment(more: Record<string, string> = {}, planEdit: (doc: Record<string, unknown>) => void = () => undefined): InputFile[] {
  const files = corpusFiles(CASE).map((f) => {
    if (f.path !== 'plan.json') return f;
    const doc = JSON.parse(text(f)) as { planned_values: { root_module: { resources: { type: string; values: { values: string[] }; sensitive_values: Record<string, unknown> }[] } } };
    const release = doc.planned_values.root_module.resources.find((r) => r.type === 'helm_release')!;
    release.sensitive_values.values = [true];
    release.values.values = [release.values.values[0]!.replace('"name": "gitlab-runner"', `"name": "${NAME}"`)];
    planEdit(doc);
    return { path: f.path, bytes: enc(JSON.stringify(doc, null, 2)) };
  });
  return [...files, ...Object.entries(more).map(([path, t]) => ({ path, bytes: enc(t) }))];
}
const shown = (files: InputFile[]) => {
  const r = doctor(files);
  expect(r.findings.map((f) => f.code)).toContain('RF104');
  return JSON.stringify({ findings: r.findings, proofs: r.proofs, chains: [...r.chains] });
};

describe('sensitive values the files also show in clear', () => {
  it('a name only the sensitive values hold is hidden; written in clear in a ConfigMap it is shown', () => {
    expect(shown(deployment())).not.toContain(NAME);
    const configMap = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n  namespace: gitlab\ndata:\n  manager: ${NAME}\n`;
    expect(shown(deployment({ 'notes.yaml': configMap }))).toContain(`ServiceAccount gitlab/${NAME}`);
  });

  it('a Secret, a credential-named key, a plan variable or an SSM parameter holding the same string does not make it clear', () => {
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: gitlab\nstringData:\n  manager: ${NAME}\n`;
    const passwordKey = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: gitlab\ndata:\n  db_password: ${NAME}\n`;
    const ssm = `resource "aws_ssm_parameter" "sa" {\n  name  = "/ci/sa"\n  type  = "SecureString"\n  value = "${NAME}"\n}\n`;
    expect(shown(deployment({ 'secret.yaml': secret }))).not.toContain(NAME);
    expect(shown(deployment({ 'config.yaml': passwordKey }))).not.toContain(NAME);
    expect(shown(deployment({ 'ssm.tf': ssm }))).not.toContain(NAME);
    expect(shown(deployment({}, (doc) => (doc.variables = { manager_sa: { value: NAME } })))).not.toContain(NAME);
  });

  it('a resource value the plan itself marks sensitive does not make it clear; the same value unmarked does', () => {
    const withTag = (marked: boolean) => (doc: Record<string, unknown>) => {
      const role = (doc.planned_values as { root_module: { resources: { type: string; values: Record<string, unknown>; sensitive_values: Record<string, unknown> }[] } }).root_module.resources.find((r) => r.type === 'aws_iam_role')!;
      role.values.description = NAME;
      if (marked) role.sensitive_values.description = true;
    };
    expect(shown(deployment({}, withTag(true)))).not.toContain(NAME);
    expect(shown(deployment({}, withTag(false)))).toContain(NAME);
  });
});

describe('ClearStrings', () => {
  const clear = new ClearStrings();
  clear.add('system:serviceaccount:gitlab:gitlab-runner');
  clear.add('https://gitlab.example.com/');
  it('a whole string, a word of one, or a text inside one between non-word characters', () => {
    expect(clear.has('https://gitlab.example.com/')).toBe(true);
    expect(clear.has('gitlab')).toBe(true);
    expect(clear.has('gitlab-runner')).toBe(true);
    expect(clear.has('gitlab.example.com')).toBe(true);
    expect(clear.has('serviceaccount:gitlab')).toBe(true);
  });
  it('never part of a longer word', () => {
    expect(clear.has('git')).toBe(false);
    expect(clear.has('runner')).toBe(false);
    expect(clear.has('lab.example.co')).toBe(false);
    expect(clear.has('gitlab-runner-jobs')).toBe(false);
  });
});
