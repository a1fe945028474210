import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 57c: `helm install|upgrade|template` of the gitlab-runner chart in a Makefile, a shell
 * script, a GitLab CI file or a GitHub workflow is read as the release it makes: its namespace
 * (-n), its chart version (--version), its values files in order, then its --set overrides, each
 * key placed where it is written; a local chart folder's values.yaml under them. What only the
 * command's run knows (a variable the file does not set to a literal) is said, never guessed.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>): DoctorResult => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const of = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const managers = (r: DoctorResult): string[] => [...r.chains.values()].flat().filter((l) => l.startsWith('manager '));

const VALUES = `gitlabUrl: https://gitlab.example.com
runners:
  secret: runner-token
serviceAccount:
  create: true
  name: runner
`;
const RBAC_VALUES = `${VALUES}rbac:
  create: true
`;

describe('a Makefile', () => {
  const makefile = `NS := ci
VALUES ?= values.yaml

deploy:
\thelm upgrade --install runner gitlab/gitlab-runner \\
\t\t--namespace $(NS) \\
\t\t-f $(VALUES)
`;
  it('the namespace from -n $(NS) (a make variable set to a literal) is the manager\'s, and the release is named', () => {
    const r = run({ 'deploy/Makefile': makefile, 'deploy/values.yaml': VALUES });
    expect(managers(r)).toEqual(['manager ci/runner (deploy/Makefile:5:2)']);
    expect(r.chains.has('runner')).toBe(true);
  });

  it("a values-file key is placed at its file and line; a --set over it wins, at the command's line", () => {
    const base = run({ 'deploy/Makefile': makefile, 'deploy/values.yaml': RBAC_VALUES });
    expect(of(base, 'RF907').map((f) => f.path)).toEqual([`deploy/values.yaml:${RBAC_VALUES.split('\n').lastIndexOf('  create: true') + 1}:11`]);
    const over = run({ 'deploy/Makefile': `${makefile.trimEnd()} \\\n\t\t--set rbac.create=false\n`, 'deploy/values.yaml': RBAC_VALUES });
    expect(of(over, 'RF907')).toEqual([]);
    const set = `${makefile.trimEnd()} \\\n\t\t--set rbac.create=true\n`;
    const onCommand = run({ 'deploy/Makefile': set, 'deploy/values.yaml': VALUES });
    expect(of(onCommand, 'RF907').map((f) => f.path)).toEqual([`deploy/Makefile:${lineOf(set, '--set rbac.create')}:21`]);
  });

  it('--set-string keeps a string, and --set-string comes after every --set whatever the order written (Helm merges the kinds so)', () => {
    const mk = `deploy:\n\thelm install runner gitlab/gitlab-runner -n ci -f values.yaml --set-string rbac.create=true --set rbac.create=false\n`;
    // rbac.create is the string "true", not true: the chart's `if .Values.rbac.create` is still true for it, but no boolean rule reads it.
    expect(of(run({ Makefile: mk, 'values.yaml': VALUES }), 'RF907')).toEqual([]);
    const after = `deploy:\n\thelm install runner gitlab/gitlab-runner -n ci -f values.yaml --set rbac.create=false --set rbac.create=true\n`;
    expect(of(run({ Makefile: after, 'values.yaml': VALUES }), 'RF907')).toHaveLength(1);
  });

  it('--version is the chart version the version rules read: RF932 for a top-level namespace before 0.79.0', () => {
    const values = `${VALUES}namespace: other\n`;
    const mk = (v: string) => `deploy:\n\thelm install runner gitlab/gitlab-runner -n ci --version ${v} -f values.yaml\n`;
    const old = of(run({ Makefile: mk('0.70.0'), 'values.yaml': values }), 'RF932');
    expect(old.map((f) => f.path)).toEqual([`values.yaml:${lineOf(values, 'namespace: other')}:12`]);
    expect(old[0]!.message).toContain('0.70.0');
    expect(of(run({ Makefile: mk('0.80.0'), 'values.yaml': values }), 'RF932')).toEqual([]);
  });

  it('the install, upgrade and template targets of one release are read once', () => {
    const mk = `install:\n\thelm install runner gitlab/gitlab-runner -n ci -f values.yaml --set rbac.create=true\nupgrade:\n\thelm upgrade runner gitlab/gitlab-runner -n ci -f values.yaml --set rbac.create=true\n`;
    expect(of(run({ Makefile: mk, 'values.yaml': VALUES }), 'RF907')).toHaveLength(1);
    // Flags that do not change the release (--atomic, --timeout, --debug, --create-namespace) do not make it another.
    const flags = `install:\n\thelm install runner gitlab/gitlab-runner -n ci -f values.yaml --set rbac.create=true --atomic --timeout 2m\ntemplate:\n\thelm template runner gitlab/gitlab-runner -n ci -f values.yaml --set rbac.create=true --debug\n`;
    expect(of(run({ Makefile: flags, 'values.yaml': VALUES }), 'RF907')).toHaveLength(1);
  });
});

describe('a shell script with continuations', () => {
  it('reads -n, -f in order (the last file wins) and --set across `\\` lines', () => {
    const sh = `#!/bin/sh
ns=runners
helm upgrade --install gl-runner gitlab/gitlab-runner \\
  -n "$ns" \\
  --values base.yaml \\
  --values prod.yaml
`;
    const r = run({ 'ops/install.sh': sh, 'ops/base.yaml': RBAC_VALUES, 'ops/prod.yaml': 'rbac:\n  create: false\n' });
    expect(managers(r)).toEqual(['manager runners/runner (ops/install.sh:3:1)']);
    expect(of(r, 'RF907')).toEqual([]);
    const swapped = run({ 'ops/install.sh': sh.replace('base.yaml', 'X').replace('prod.yaml', 'base.yaml').replace('X', 'prod.yaml'), 'ops/base.yaml': RBAC_VALUES, 'ops/prod.yaml': 'rbac:\n  create: false\n' });
    expect(of(swapped, 'RF907').map((f) => f.path.replace(/:\d+:\d+$/, ''))).toEqual(['ops/base.yaml']);
  });

  it('a namespace from a variable the script does not set is RF903 at it, and the namespace is not guessed', () => {
    const sh = `helm install runner gitlab/gitlab-runner -n "$NAMESPACE" -f values.yaml\n`;
    const r = run({ 'install.sh': sh, 'values.yaml': VALUES });
    const said = of(r, 'RF903').filter((f) => f.message.includes('$NAMESPACE'));
    expect(said.map((f) => f.path)).toEqual([`install.sh:1:${sh.indexOf('"$NAMESPACE"') + 1}`]);
    expect(said[0]!.message).toContain('known only when the command runs');
    expect(managers(r)).toEqual([]);
  });

  it('a variable set to another the file sets to a literal is followed (ns=$GLR_MANAGER over export GLR_MANAGER=…); one set twice is not known', () => {
    const sh = `export GLR_MANAGER='glr-manager'\nrepo=gitlab\nchart=gitlab-runner\nns=$GLR_MANAGER\nrelease=$chart\nhelm upgrade $release $repo/$chart --install -n $ns --values values.yaml\n`;
    const r = run({ 'make.sh': sh, 'values.yaml': VALUES });
    expect(managers(r)).toEqual(['manager glr-manager/runner (make.sh:6:1)']);
    // A script runs in order (stop 60d, shell-vars.ts inForce): set again before the command, the later value is in force.
    const twice = run({ 'make.sh': sh.replace('ns=$GLR_MANAGER\n', 'ns=$GLR_MANAGER\nns=other\n'), 'values.yaml': VALUES });
    expect(managers(twice)).toEqual(['manager other/runner (make.sh:7:1)']);
    // Set again in a branch that may not run: not known.
    const branch = run({ 'make.sh': sh.replace('ns=$GLR_MANAGER\n', 'ns=$GLR_MANAGER\n[ -n "$CI" ] && ns=other\n'), 'values.yaml': VALUES });
    expect(managers(branch)).toEqual([]);
    expect(of(branch, 'RF903').some((f) => f.message.includes('its namespace $ns'))).toBe(true);
  });

  it('no -n: the namespace is the kubeconfig context\'s, not known (RF903 at the command)', () => {
    const r = run({ 'install.sh': 'helm install runner gitlab/gitlab-runner -f values.yaml\n', 'values.yaml': VALUES });
    expect(of(r, 'RF903').filter((f) => f.message.includes('no -n/--namespace')).map((f) => f.path)).toEqual(['install.sh:1:1']);
    expect(managers(r)).toEqual([]);
  });

  it('a values file not given, --set-file and --reuse-values are said, not read', () => {
    const sh = 'helm upgrade runner gitlab/gitlab-runner -n ci --reuse-values -f missing.yaml --set-file runners.config=config.toml\n';
    const r = run({ 'install.sh': sh, 'values.yaml': VALUES });
    const msgs = of(r, 'RF903').map((f) => f.message).join('\n');
    expect(msgs).toContain('the values file missing.yaml is not among the files given');
    expect(msgs).toContain('--set-file runners.config');
    expect(msgs).toContain('--reuse-values keeps the values');
  });

  it('a runner token given with --set in clear is never shown; one from a variable is not a finding', () => {
    const token = 'glrt-AbCdEfGhIjKlMnOpQrSt';
    const r = run({ 'install.sh': `helm install runner gitlab/gitlab-runner -n ci -f values.yaml --set runnerToken=${token}\n`, 'values.yaml': 'gitlabUrl: https://gitlab.example.com\n' });
    expect(JSON.stringify(r.findings)).not.toContain(token);
    // Said once, at the value, by the chart values' check (the credential scan's RF940 of the same place is that one).
    expect(of(r, 'RF940').map((f) => f.path)).toEqual([`install.sh:1:${'helm install runner gitlab/gitlab-runner -n ci -f values.yaml --set runnerToken='.length + 1}`]);
    expect([...r.chains.values()].flat().join('\n')).not.toContain(token);
    const fromVar = run({ 'install.sh': 'helm install runner gitlab/gitlab-runner -n ci -f values.yaml --set runnerToken="$TOKEN"\n', 'values.yaml': 'gitlabUrl: https://gitlab.example.com\n' });
    expect(of(fromVar, 'RF903').filter((f) => f.message.includes('runnerToken'))).toEqual([]);
  });
});

describe('CI files', () => {
  it('a .gitlab-ci.yml script line', () => {
    const ci = `deploy:
  script:
    - helm upgrade --install runner gitlab/gitlab-runner --namespace ci -f values.yaml --set rbac.create=true
`;
    const r = run({ '.gitlab-ci.yml': ci, 'values.yaml': VALUES });
    expect(managers(r)).toEqual(['manager ci/runner (.gitlab-ci.yml:3:7)']);
    expect(of(r, 'RF907').map((f) => f.path)).toEqual([`.gitlab-ci.yml:3:${ci.split('\n')[2]!.indexOf('rbac.create=true') + 'rbac.create='.length + 1}`]);
  });

  it('a GitHub workflow run: block with an OCI chart', () => {
    const wf = `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: |
          helm install runner oci://registry.gitlab.com/gitlab-org/charts/gitlab-runner \\
            -n ci -f values.yaml
`;
    expect(managers(run({ '.github/workflows/deploy.yml': wf, 'values.yaml': VALUES }))).toEqual(['manager ci/runner (.github/workflows/deploy.yml:7:11)']);
  });
});

describe('a local chart folder', () => {
  const CHART = 'apiVersion: v1\nname: gitlab-runner\nversion: 0.60.0\n';
  const DEFAULTS = 'concurrent: 10\nrbac:\n  create: true\nserviceAccount:\n  create: true\n';
  it("its values.yaml is the bottom layer: a default the release keeps is placed there, naming the command", () => {
    const sh = 'helm template runner ./vendor/runner-chart -n ci -f values.yaml\n';
    const r = run({ 'build.sh': sh, 'vendor/runner-chart/Chart.yaml': CHART, 'vendor/runner-chart/values.yaml': DEFAULTS, 'values.yaml': VALUES.replace('serviceAccount:\n  create: true\n  name: runner\n', '') });
    const rf907 = of(r, 'RF907');
    expect(rf907.map((f) => f.path)).toEqual([`vendor/runner-chart/values.yaml:3:11`]);
    expect(rf907[0]!.message).toContain('`helm template runner` at build.sh:1');
    expect(of(r, 'RF902').filter((f) => f.path.startsWith('vendor/'))).toEqual([]);
  });

  it('a local folder of another chart is no runner release (guard)', () => {
    const sh = 'helm install runner ./vendor/app -n ci -f values.yaml --set rbac.create=true\n';
    const r = run({ 'build.sh': sh, 'vendor/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\n', 'values.yaml': VALUES });
    expect(of(r, 'RF907')).toEqual([]);
    expect(managers(r)).toEqual([]);
  });
});

describe('guards', () => {
  it('a helm install of another chart is not a runner release: the values file stays read alone', () => {
    const files = { 'values.yaml': RBAC_VALUES };
    const alone = run(files);
    const withOther = run({ ...files, Makefile: 'db:\n\thelm install db bitnami/postgresql -n data -f values.yaml --set rbac.create=false\n' });
    expect(withOther.findings.map((f) => `${f.code} ${f.path}`)).toEqual(alone.findings.map((f) => `${f.code} ${f.path}`));
  });

  it('a commented-out command and one in a README are not read', () => {
    const files = { 'values.yaml': RBAC_VALUES };
    const alone = run(files);
    const commented = run({ ...files, 'install.sh': '# helm install runner gitlab/gitlab-runner -n ci -f values.yaml --set rbac.create=false\n', 'README.md': 'helm install runner gitlab/gitlab-runner -n ci -f values.yaml --set rbac.create=false\n' });
    expect(of(commented, 'RF907')).toEqual(of(alone, 'RF907'));
  });
});

describe('hostile inputs', () => {
  it('one huge line of repeated commands and 100k continuation lines are read within their limits', () => {
    const line = 'helm install r gitlab/gitlab-runner -n ci --set a=b '.repeat(20_000);
    const r1 = run({ 'a.sh': `${line}\n` });
    expect(r1.files).toBe(1);
    const cont = `helm install r gitlab/gitlab-runner -n ci \\\n${'  --set a=b \\\n'.repeat(100_000)}  -f values.yaml\n`;
    const r2 = run({ 'b.sh': cont, 'values.yaml': VALUES });
    expect(r2.files).toBe(2);
    const many = `${'helm install r gitlab/gitlab-runner -n ci\n'.repeat(50_000)}`;
    expect(run({ 'c.sh': many }).files).toBe(1);
  });
});
