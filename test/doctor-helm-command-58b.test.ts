import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { foldedView } from '../src/doctor/helm-command.js';

/**
 * Stop 58b: helm commands the doctor did not read: Helm's global flags before the subcommand
 * (`helm --kube-context x -n ci upgrade …`), a command in a folded YAML block scalar of a CI file
 * (`- >`, `run: >-`), and `helm install NAME .` in a script inside the chart's own folder tree.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const messages = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code).map((f) => f.message);
const managers = (r: DoctorResult): string[] => [...r.chains.values()].flat().filter((l) => l.startsWith('manager '));
const VALUES = 'gitlabUrl: https://gitlab.example.com\nrunners:\n  secret: runner-token\nserviceAccount:\n  create: true\n  name: runner\n';

describe("Helm's global flags before the subcommand", () => {
  it('--kube-context and --namespace before upgrade: the release is read in that namespace', () => {
    const r = run({ 'deploy.sh': 'helm --kube-context prod --namespace ci upgrade --install runner gitlab/gitlab-runner -f values.yaml\n', 'values.yaml': VALUES });
    expect(managers(r)).toEqual(['manager ci/runner (deploy.sh:1:1)']);
  });
  it('-n, --flag=value, -nci and the switches --debug and --kube-insecure-skip-tls-verify, before install and template', () => {
    for (const line of ['helm -n ci --debug install runner gitlab/gitlab-runner -f values.yaml', 'helm --kube-context=prod -nci --kube-insecure-skip-tls-verify template runner gitlab/gitlab-runner -f values.yaml', 'helm --kubeconfig ./kc --qps 5 --burst-limit 50 upgrade runner gitlab/gitlab-runner -n ci -f values.yaml']) {
      expect(managers(run({ 'deploy.sh': `${line}\n`, 'values.yaml': VALUES }))).toEqual(['manager ci/runner (deploy.sh:1:1)']);
    }
  });
  it('a global namespace from a variable the file does not set: said (RF903), not guessed', () => {
    const r = run({ 'deploy.sh': 'helm --namespace "$NS" upgrade --install runner gitlab/gitlab-runner -f values.yaml\n', 'values.yaml': VALUES });
    expect(messages(r, 'RF903').some((m) => m.startsWith('helm upgrade runner: its namespace $NS is set from a variable'))).toBe(true);
    expect(managers(r).some((l) => l.startsWith('manager ci/'))).toBe(false);
  });
  it('an unknown flag before the verb, or another subcommand after global flags, is not a release', () => {
    for (const line of ['helm --foo upgrade --install runner gitlab/gitlab-runner -n ci -f values.yaml', 'helm -n ci repo add gitlab https://charts.gitlab.io', 'helm -n ci status runner', 'helm --namespace']) {
      const r = run({ 'deploy.sh': `${line}\n`, 'values.yaml': VALUES });
      expect(managers(r)).toEqual([]);
      expect(messages(r, 'RF903').filter((m) => m.startsWith('helm '))).toEqual([]);
    }
  });

  it('hostile: 200,000 blank lines or a 200,000-character word among the global flags, and 50,000 `helm -n ci` on one line', () => {
    const cases = [`helm -n ci${' '.repeat(200_000)}upgrade --install runner gitlab/gitlab-runner -f values.yaml`, `helm --kube-context ${'a'.repeat(200_000)} upgrade --install runner gitlab/gitlab-runner -n ci -f values.yaml`, `helm -n ci${'\n'.repeat(200_000)}upgrade --install runner gitlab/gitlab-runner -f values.yaml`, `helm -n ci `.repeat(50_000)];
    const read = cases.map((line) => managers(run({ 'deploy.sh': `${line}\n`, 'values.yaml': VALUES })));
    // The verb past the 16,384 characters of one command that are read, or after a line break (another command): no release; each in one pass.
    expect(read).toEqual([[], [], [], []]);
    expect(managers(run({ 'deploy.sh': `helm -n ci${' '.repeat(10_000)}upgrade --install runner gitlab/gitlab-runner -f values.yaml\n`, 'values.yaml': VALUES }))).toEqual(['manager ci/runner (deploy.sh:1:1)']);
  });
});

describe('a command in a folded YAML block scalar of a CI file', () => {
  it('GitLab CI `- >`: the lines of the block are one command', () => {
    const ci = 'deploy:\n  script:\n    - >\n      helm upgrade --install runner gitlab/gitlab-runner\n      --namespace ci\n      -f values.yaml\n';
    expect(managers(run({ '.gitlab-ci.yml': ci, 'values.yaml': VALUES }))).toEqual(['manager ci/runner (.gitlab-ci.yml:4:7)']);
  });
  it('GitHub `run: >-` after other keys, and a second command after a blank line', () => {
    const wf = 'on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - name: deploy\n        run: >-\n          helm upgrade --install runner gitlab/gitlab-runner\n          -n ci\n          -f values.yaml\n\n          echo done\n      - run: echo next\n';
    expect(managers(run({ '.github/workflows/deploy.yml': wf, 'values.yaml': VALUES }))).toEqual(['manager ci/runner (.github/workflows/deploy.yml:8:11)']);
  });
  it('a more-indented line, a literal block (`|`) and a plain key keep their line breaks: -n on the next line is another command', () => {
    for (const ci of [
      'deploy:\n  script:\n    - >\n      helm upgrade --install runner gitlab/gitlab-runner -f values.yaml\n        -n ci\n',
      'deploy:\n  script:\n    - |\n      helm upgrade --install runner gitlab/gitlab-runner -f values.yaml\n      -n ci\n',
    ]) {
      const r = run({ '.gitlab-ci.yml': ci, 'values.yaml': VALUES });
      expect(messages(r, 'RF903').some((m) => m.startsWith('helm upgrade runner: no -n/--namespace is given'))).toBe(true);
    }
  });
  it('foldedView keeps every offset and folds only inside the block', () => {
    const text = 'a: >\n  x\n  y\n\n  z\nb: c\nd: e\n';
    const view = foldedView(text);
    expect(view.length).toBe(text.length);
    expect(view).toBe('a: >\n  x   y\n\n  z\nb: c\nd: e\n');
    expect(foldedView('a: |\n  x\n  y\n')).toBe('a: |\n  x\n  y\n');
  });
  it('hostile: 200,000 blank lines and a 200,000-character word in a folded block', () => {
    const blanks = '\n'.repeat(200_000);
    const word = 'a'.repeat(200_000);
    const text = `a: >\n  ${word}\n  ${word}\n${blanks}  b\n  c\n${' '.repeat(200_000)}\n`;
    const view = foldedView(text);
    expect(view.length).toBe(text.length);
    expect(view.startsWith(`a: >\n  ${word}   ${word}\n`)).toBe(true);
    expect(view.endsWith(`  b   c\n${' '.repeat(200_000)}\n`)).toBe(true);
    const r = run({ '.gitlab-ci.yml': `deploy:\n  script:\n    - >\n      helm upgrade --install runner gitlab/gitlab-runner\n${blanks}      ${word}\n      -n ci\n` });
    expect(managers(r)).toEqual([]);
  });
});

describe('helm install NAME . in a script inside the chart\'s folder tree', () => {
  const chart = (name: string) => `apiVersion: v2\nname: ${name}\nversion: 0.80.0\n`;
  it('a script in chart/scripts/ installs the chart folder above it, with -f read from there', () => {
    const r = run({ 'chart/Chart.yaml': chart('gitlab-runner'), 'chart/ci/values.yaml': VALUES, 'chart/scripts/install.sh': 'helm install runner . -n ci -f ci/values.yaml\n' });
    expect(managers(r)).toEqual(['manager ci/runner (chart/scripts/install.sh:1:1)']);
  });
  it('another chart above, a Makefile (make runs in its own folder), or a chart that is not `.`: not read so', () => {
    for (const files of <Record<string, string>[]>[
      { 'chart/Chart.yaml': chart('other'), 'chart/ci/values.yaml': VALUES, 'chart/scripts/install.sh': 'helm install runner . -n ci -f ci/values.yaml\n' },
      { 'chart/Chart.yaml': chart('gitlab-runner'), 'chart/ci/values.yaml': VALUES, 'chart/scripts/Makefile': 'all:\n\thelm install runner . -n ci -f ci/values.yaml\n' },
      { 'chart/Chart.yaml': chart('gitlab-runner'), 'chart/ci/values.yaml': VALUES, 'chart/scripts/install.sh': 'helm install runner ./sub -n ci -f ci/values.yaml\n' },
    ]) expect(managers(run(files))).toEqual([]);
  });
});
