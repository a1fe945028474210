import { describe, expect, it } from 'vitest';
import { exampleFiles } from './helpers/fleet.js';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * For a chart runner (EKS, AKS) what is deployed is the gitlab-runner chart with
 * helm/<runner>/values.yaml: its `runners.config` is the config.toml the chart renders. synth also
 * writes runners/<runner>/config.toml, a copy to read. The doctor proves what the values say, and a
 * copy that differs from them in what the proofs read is a warning (RF917) naming both files and the
 * key. Before, the copy was read whenever it was there: privileged jobs, an overwrite pattern or
 * another cache prefix written only in the values passed every proof.
 */
const VALUES = 'helm/build/values.yaml';
const COPY = 'runners/build/config.toml';

function files(edit: { values?: [string, string][]; copy?: [string, string][] | 'removed' }): InputFile[] {
  const out: InputFile[] = [];
  for (const f of exampleFiles('eks-irsa')) {
    let text = f.content;
    const edits = f.path === VALUES ? edit.values : f.path === COPY ? edit.copy : undefined;
    if (edits === 'removed') continue;
    for (const [from, to] of edits ?? []) {
      expect(text, `${f.path} holds ${from}`).toContain(from);
      text = text.replace(from, to);
    }
    out.push({ path: f.path, bytes: new TextEncoder().encode(text) });
  }
  return out;
}

/** `file:line:column` of the line holding `text` in the edited file (1-based). */
function lineOf(all: InputFile[], path: string, text: string): string {
  const lines = new TextDecoder().decode(all.find((f) => f.path === path)!.bytes).split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  expect(i, `${path} holds ${text}`).toBeGreaterThanOrEqual(0);
  return `${path}:${i + 1}:${lines[i]!.length - lines[i]!.trimStart().length + 1}`;
}

const PRIVILEGED: [string, string] = ['    privileged = false', '    privileged = true'];
const OVERWRITE: [string, string] = ['service_account_overwrite_allowed = ""', 'service_account_overwrite_allowed = ".*"'];
const CACHE_PATH: [string, string] = ['Path = "build"', 'Path = "deploy"'];

describe('the doctor proves the Helm values\' runners.config, what the chart deploys', () => {
  it.each([
    ['with the copy next to it', {}],
    ['without the copy', { copy: 'removed' as const }],
  ])('privileged jobs written only in the values (%s): RF301 at the key inside runners.config', (_name, extra) => {
    const all = files({ values: [PRIVILEGED], ...extra });
    const r = doctor(all);
    const rf301 = r.findings.filter((f) => f.code === 'RF301');
    expect(rf301.map((f) => f.path)).toEqual([lineOf(all, VALUES, 'privileged = true')]);
    expect(r.exitCode).toBe(1);
  });

  it('an overwrite pattern written only in the values: RF107 at the key inside runners.config', () => {
    const all = files({ values: [OVERWRITE] });
    const rf107 = doctor(all).findings.filter((f) => f.code === 'RF107');
    expect(rf107.map((f) => [f.path, f.received])).toEqual([[lineOf(all, VALUES, 'service_account_overwrite_allowed = ".*"'), '".*"']]);
    // The fix names the key written, not the spec's serviceAccountOverwriteAllowed.
    expect(rf107[0]?.fix).toContain('remove service_account_overwrite_allowed from [runners.kubernetes]');
    expect(rf107[0]?.fix).not.toContain('serviceAccountOverwriteAllowed');
  });

  it('another cache prefix written only in the values: the cache proof fails (RF201) at Path inside runners.config', () => {
    const all = files({ values: [CACHE_PATH] });
    const r = doctor(all);
    expect(r.proofs.find((p) => p.runner === 'build' && /reads and writes/.test(p.claim))).toMatchObject({ holds: false });
    expect(r.proofs.find((p) => p.runner === 'build' && /reads and writes/.test(p.claim))?.claim).toMatch(/deploy\//);
    const rf201 = r.findings.filter((f) => f.code === 'RF201');
    expect(rf201.length).toBeGreaterThan(0);
    for (const f of rf201) expect(f.path).toBe(lineOf(all, VALUES, 'Path = "deploy"'));
  });

  it('the two copies differ: RF917 (warning) at the key in the values, naming both files, the key and both values', () => {
    // As synth writes them, both copies agree: no RF917, every proof holds.
    const sound = doctor(files({}));
    expect(sound.findings.filter((f) => f.code === 'RF917')).toEqual([]);
    expect(sound.proofs.every((p) => p.holds)).toBe(true);
    const all = files({ values: [PRIVILEGED, OVERWRITE, CACHE_PATH] });
    const rf917 = doctor(all).findings.filter((f) => f.code === 'RF917');
    expect(rf917).toHaveLength(1);
    // The first difference in the order of the deployed document: [runners.kubernetes] comes before [runners.cache].
    expect(rf917[0]).toMatchObject({ severity: 'warning', path: lineOf(all, VALUES, 'service_account_overwrite_allowed = ".*"') });
    expect(rf917[0]!.message).toContain(`runner build: ${lineOf(all, COPY, 'service_account_overwrite_allowed = ""')} differs`);
    expect(rf917[0]!.message).toMatch(/runner build: .* differs from runners\.config in these values at runners\[0\]\.kubernetes\.service_account_overwrite_allowed: "\.\*" here, "" there\. The chart deploys runners\.config/);
  });

  it('RF917\'s received value names each file beside its value, with no two brackets in a row', () => {
    const rf917 = doctor(files({ values: [OVERWRITE] })).findings.filter((f) => f.code === 'RF917');
    expect(rf917.map((f) => f.received)).toEqual([`runners[0].kubernetes.service_account_overwrite_allowed: in the values ".*", in ${COPY} ""`]);
  });

  it('only the copy says privileged: the deployed values do not, so no RF301; RF917 says the copy differs', () => {
    const all = files({ copy: [['privileged = false', 'privileged = true']] });
    const r = doctor(all);
    expect(r.findings.filter((f) => f.code === 'RF301')).toEqual([]);
    const rf917 = r.findings.filter((f) => f.code === 'RF917');
    expect(rf917.map((f) => f.path)).toEqual([lineOf(all, VALUES, 'privileged = false')]);
    expect(rf917[0]!.message).toContain(`false here, true there`);
    expect(r.exitCode).toBe(0);
  });

  it('another namespace only in the values: the copy is still this runner\'s (its folder), and RF917 names the namespace', () => {
    const all = files({ values: [['namespace = "ci-build"', 'namespace = "ci-other"']] });
    const r = doctor(all);
    expect(r.findings.filter((f) => f.code === 'RF903' && /no manager for it/.test(f.message))).toEqual([]);
    const rf917 = r.findings.filter((f) => f.code === 'RF917');
    expect(rf917.map((f) => f.path)).toEqual([lineOf(all, VALUES, 'namespace = "ci-other"')]);
    expect(rf917[0]!.message).toContain('at runners[0].kubernetes.namespace: "ci-other" here, "ci-build" there');
  });

  it('a cache credential that differs is named, never shown', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYQ7W3E9R2T5';
    const all = files({ copy: [['BucketName = "acme-runner-cache"', `BucketName = "acme-runner-cache"\nSecretKey = "${secret}"`]] });
    const rf917 = doctor(all).findings.filter((f) => f.code === 'RF917');
    expect(rf917).toHaveLength(1);
    expect(rf917[0]!.message).toContain('at runners[0].cache.s3.SecretKey: (missing) here, (a value, not shown) there');
    expect(JSON.stringify(rf917)).not.toContain(secret);
  });
  // defenseunicorns/uds-package-gitlab-runner writes its runners.config so: `{{- if … }}` lines and
  // `{{ .Values.x }}` values the chart's tpl renders. A false RF901 error "illegal character in key" before.
  const TEMPLATED: [string, string][] = [
    ['    [runners.kubernetes]\n', '    {{- if eq .Values.runners.executor "kubernetes" }}\n    [runners.kubernetes]\n'],
    ['    image = "ubuntu:24.04"\n', '    image = "{{ .Values.runners.job.image }}"\n    {{- end }}\n'],
    // A line whose actions are not one value each: TOML once rendered, not with each action a value.
    ['    privileged = false\n', '    privileged = false\n    allowed_pull_policies = [{{ range $i, $v := .Values.pull }}{{ if $i }}, {{ end }}"{{ $v }}"{{ end }}]\n'],
  ];
  it('runners.config with template actions the chart renders (tpl) is RF906 naming the first action, not a false RF901', () => {
    const all = files({ values: TEMPLATED });
    const r = doctor(all);
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    const rf906 = r.findings.filter((f) => f.code === 'RF906' && /runners\.config is TOML only once Helm renders it/.test(f.message));
    expect(rf906.map((f) => f.message)).toEqual([expect.stringContaining('`{{- if eq .Values.runners.executor "kubernetes" }}` (its line 4)')]);
    expect(rf906[0]!.path).toMatch(/^helm\/build\/values\.yaml:\d+:\d+$/);
    // Without the copy nothing says what the chart deploys: the chain is not proven, and not broken (no RF106
    // "not valid TOML"), nor "not in the evidence" (RF906 said why).
    const alone = doctor(files({ values: TEMPLATED, copy: 'removed' }));
    expect(alone.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(alone.findings.filter((f) => f.code === 'RF903' && /config\.toml .* is not in the evidence/.test(f.message))).toEqual([]);
    expect(alone.proofs.filter((p) => p.runner === 'build' && /^every reference resolves/.test(p.claim)).map((p) => p.holds)).toEqual([false]);
  });

  it('runners.config with template actions that is not TOML for another reason too is still RF901', () => {
    const all = files({ values: [...TEMPLATED, ['    privileged = false', '    privileged = = false']] });
    const r = doctor(all);
    expect(r.findings.filter((f) => f.code === 'RF901').map((f) => f.message)).toEqual([expect.stringMatching(/^runners\.config is not valid TOML/)]);
    expect(r.findings.filter((f) => /only once Helm renders it/.test(f.message))).toEqual([]);
  });
});
