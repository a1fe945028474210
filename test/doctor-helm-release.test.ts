import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { evaluateTerraform } from '../src/doctor/terraform.js';
import { callFunction } from '../src/doctor/hcl/functions.js';
import { helmSetPath, isRunnerChart } from '../src/doctor/helm-release.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * The gitlab-runner chart deployed by Terraform's helm provider (`helm_release`): its values are
 * read as a values file is, references inside them name the identities the chain is proven for,
 * and findings point at the Terraform (or the values file it reads).
 */
const FIXTURES = join(import.meta.dirname, 'fixtures', 'doctor-helm-release');
const enc = (s: string) => new TextEncoder().encode(s);
const file = (path: string, text: string): InputFile => ({ path, bytes: enc(text) });
// The IAM half is the hand-written IRSA role of the doctor corpus (hand-eks-irsa-chart-rbac), in the
// release's folder so both are one module; only the release and its values file are this test's own.
const IRSA_IAM = join(import.meta.dirname, 'doctor', 'corpus', 'hand-eks-irsa-chart-rbac', 'iam', 'main.tf');
const eks = () => [...corpusFiles(join(FIXTURES, 'eks')), { path: 'iam.tf', bytes: readFileSync(IRSA_IAM) }].sort((a, b) => a.path.localeCompare(b.path));
const aks = () => corpusFiles(join(FIXTURES, 'aks'));
const replaceIn = (files: InputFile[], path: string, from: string | RegExp, to: string): InputFile[] =>
  files.map((f) => {
    if (f.path !== path) return f;
    const text = new TextDecoder().decode(f.bytes);
    const next = text.replace(from, to);
    expect(next).not.toBe(text);
    return file(f.path, next);
  });
const holds = (r: ReturnType<typeof doctor>, claim: RegExp) => r.proofs.filter((p) => claim.test(p.claim)).map((p) => p.holds);
const text = (f: InputFile) => new TextDecoder().decode(f.bytes);

describe('helm_release of the gitlab-runner chart', () => {
  it('AKS: yamlencode values whose annotation is azurerm_user_assigned_identity.runner.client_id prove the chain to that identity', () => {
    const r = doctor(aks());
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.chains.get('gitlab-runner')).toEqual([
      'manager gitlab-runner/gitlab-runner (main.tf:44:1) → managed identity id-gitlab-runner',
      // The jobs' service account is a key of the config.toml heredoc inside the values.
      'jobs gitlab-runner/gitlab-runner-jobs (main.tf:67:13) → managed identity id-gitlab-runner-jobs',
      'cache azure://acmerunnercache/runner-cache/runner',
    ]);
    expect(holds(r, /^only cluster:gitlab-runner\/gitlab-runner can assume the manager identity id-gitlab-runner /)).toEqual([true]);
    expect(holds(r, /^only cluster:gitlab-runner\/gitlab-runner-jobs can assume the jobs identity/)).toEqual([true]);
  });

  it('AKS: a federated credential for another subject breaks the manager chain, said at the Terraform', () => {
    const r = doctor(replaceIn(aks(), 'main.tf', 'system:serviceaccount:gitlab-runner:gitlab-runner"', 'system:serviceaccount:gitlab-runner:other"'));
    expect(holds(r, /^only cluster:gitlab-runner\/gitlab-runner can assume the manager identity/)).toEqual([false]);
    expect(r.findings.filter((f) => f.severity === 'error').every((f) => f.path.startsWith('main.tf:'))).toBe(true);
  });

  it('EKS: values from file(), the role ARN from a `set` with escaped dots (aws_iam_role.runner.arn): the manager role is proven', () => {
    const r = doctor(eks());
    // One chain: values.yaml is the release's, not a second set of chart values.
    expect([...r.chains.keys()]).toEqual(['gitlab-runner']);
    expect(r.chains.get('gitlab-runner')![0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1) → role gitlab-runner-manager');
    expect(holds(r, /^only cluster:gitlab-runner\/gitlab-runner can assume the manager role gitlab-runner-manager/)).toEqual([true]);
    // set_sensitive of a variable: the token is not written in these files.
    expect(r.findings.map((f) => f.code)).not.toContain('RF304');
    expect(r.findings.map((f) => f.code)).not.toContain('RF903');
  });

  it('EKS: the same deployment written with helm provider v3 attributes (set = [{ … }]) reads the same', () => {
    const v3 = replaceIn(eks(), 'runner.tf', / {2}set \{\n {4}name {2}= ("[^"]+")\n {4}value = (aws_iam_role\.runner\.arn)\n {2}\}/, '  set = [{ name = $1, value = $2 }]');
    const r = doctor(v3);
    expect(r.chains.get('gitlab-runner')![0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1) → role gitlab-runner-manager');
    expect(holds(r, /^only cluster:gitlab-runner\/gitlab-runner can assume the manager role gitlab-runner-manager/)).toEqual([true]);
  });

  it('the corpus deployment helm-release-irsa-sound (the IRSA guide through helm_release) proves every claim', () => {
    const r = doctor(corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', 'helm-release-irsa-sound')));
    expect(r.proofs.length).toBeGreaterThanOrEqual(8);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual([]);
    expect(r.chains.get('gitlab-runner')?.[1]).toBe('jobs gitlab/gitlab-runner-jobs (main.tf:101:13) → role gitlab-runner-jobs');
  });

  it('the manager role named by name_prefix: RF903 at the role; annotated by reference it is still the role, annotated by a literal ARN it is not shown to be, never a mismatch', () => {
    const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'helm-release-irsa-sound');
    const prefixed = replaceIn(corpusFiles(CASE), 'main.tf', '  name = "gitlab-runner-manager"\n', '  name_prefix = "gitlab-runner-manager-"\n');
    const r = doctor(prefixed);
    expect(r.findings.find((f) => f.code === 'RF903' && f.path === 'main.tf:7:1')?.message).toMatch(/^the name of aws_iam_role\.manager is not shown: it comes from name_prefix "gitlab-runner-manager-"/);
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.message}`)).toEqual([]);
    // The annotation is aws_iam_role.manager.arn: the resource itself, whatever its name; the trust is shown.
    expect(holds(r, /^only cluster:gitlab\/gitlab-runner can assume the manager role gitlab-runner-manager-<suffix-picked-at-apply:aws_iam_role\.manager>/)).toEqual([true]);
    // The annotation a literal ARN (a name copied from the account): not shown to be the prefixed role; no proof of it holds, no RF104.
    const literal = doctor(replaceIn(prefixed, 'main.tf', '"eks.amazonaws.com/role-arn" = aws_iam_role.manager.arn', '"eks.amazonaws.com/role-arn" = "arn:aws:iam::123456789012:role/gitlab-runner-manager-20240101000000000000000001"'));
    expect(literal.findings.map((f) => f.code)).not.toContain('RF104');
    expect(literal.findings.some((f) => f.code === 'RF903' && /role gitlab-runner-manager-20240101000000000000000001 is not in the evidence given/.test(f.message))).toBe(true);
    expect(literal.proofs.filter((p) => p.holds && /manager role/.test(p.claim))).toEqual([]);
  });

  it('a service account the chart creates without serviceAccount.name is named after the release (the chart\'s fullname)', () => {
    const unnamed = replaceIn(eks(), 'values.yaml', '  create: true\n  name: gitlab-runner\n', '  create: true\n');
    // Release gitlab-runner contains the chart name: the fullname is the release name.
    const r = doctor(unnamed);
    expect(r.chains.get('gitlab-runner')![0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1) → role gitlab-runner-manager');
    expect(holds(r, /^only cluster:gitlab-runner\/gitlab-runner can assume the manager role gitlab-runner-manager/)).toEqual([true]);
    expect(r.findings.filter((f) => f.code === 'RF903' || f.code === 'RF904')).toEqual([]);
    // Release ci does not: <release>-gitlab-runner, and a RoleBinding of the user's naming it finds it.
    const binding = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ci\n  namespace: gitlab-runner\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: edit\nsubjects:\n  - kind: ServiceAccount\n    name: ci-gitlab-runner\n';
    const ci = doctor([...replaceIn(unnamed, 'runner.tf', 'name       = "gitlab-runner"', 'name       = "ci"'), file('k8s.yaml', binding)]);
    expect([...ci.chains.keys()]).toEqual(['ci']);
    expect(ci.chains.get('ci')![0]).toMatch(/^manager gitlab-runner\/ci-gitlab-runner /);
    expect(ci.findings.filter((f) => f.code === 'RF904' && /RoleBinding/.test(f.message))).toEqual([]);
    // The role's trust still names gitlab-runner: that drift is true, and said.
    expect(ci.findings.find((f) => f.code === 'RF904')?.message).toMatch(/trusts system:serviceaccount:gitlab-runner:gitlab-runner, but namespace gitlab-runner has no service account gitlab-runner/);
    // fullnameOverride wins.
    const over = doctor(replaceIn(unnamed, 'values.yaml', 'rbac:\n', 'fullnameOverride: runner-x\nrbac:\n'));
    expect(over.chains.get('gitlab-runner')![0]).toMatch(/^manager gitlab-runner\/runner-x /);
  });

  it('a values file the release reads but that was not given is missing evidence (RF903 at the file() call), never a crash', () => {
    const r = doctor(eks().filter((f) => f.path !== 'values.yaml'));
    const f = r.findings.find((x) => x.code === 'RF903' && x.message.includes('values.yaml'));
    expect(f?.path).toBe('runner.tf:6:17');
    expect(f?.message).toMatch(/not in the evidence given: values\.yaml, which file\(\) reads/);
  });

  it('a set_sensitive token written literally is RF940 at the Terraform (a GitLab token written in a file; RF304 before, issue 35b), and its value is shown nowhere', () => {
    const files = [...replaceIn(eks(), 'runner.tf', 'value = var.runner_token', 'value = "glrt-SECRETSECRETSECRET1234"')];
    const r = doctor(files);
    const f = r.findings.find((x) => x.code === 'RF940');
    expect(f?.path).toBe('runner.tf:15:13');
    expect(JSON.stringify({ findings: r.findings, proofs: r.proofs, chains: [...r.chains] })).not.toContain('SECRETSECRET');
  });

  it('a runner token written literally in the Terraform (set_sensitive, set, yamlencode values, a values file) is a stand-in in the chart values read: RF940 at its place (RF304 before issue 35b: a token written in a file is RF940), the token kept nowhere', () => {
    const chartValues = (files: InputFile[]) => {
      const ev = readEvidence(files);
      evaluateTerraform(ev);
      return JSON.stringify(ev.helmValues.map((v) => v.value));
    };
    const runner = text(eks().find((f) => f.path === 'runner.tf')!);
    const tokenAt = (tf: string, needle: string) => {
      const lines = tf.split('\n');
      const i = lines.findIndex((l) => l.includes(needle));
      return `runner.tf:${i + 1}:${lines[i]!.indexOf(needle) + 1}`;
    };
    const cases: { files: InputFile[]; code: 'RF940'; at: string }[] = [];
    const bySensitive = runner.replace('value = var.runner_token', 'value = "glrt-SECRETSECRETSECRET1234"');
    cases.push({ files: replaceIn(eks(), 'runner.tf', runner, bySensitive), code: 'RF940', at: tokenAt(bySensitive, '"glrt-') });
    const bySet = runner.replace('set_sensitive {', 'set {').replace('value = var.runner_token', 'value = "glrt-SECRETSECRETSECRET1234"');
    cases.push({ files: replaceIn(eks(), 'runner.tf', runner, bySet), code: 'RF940', at: tokenAt(bySet, '"glrt-') });
    const byYaml = runner.replace('values     = [file("${path.module}/values.yaml")]', 'values     = [file("${path.module}/values.yaml"), yamlencode({ runnerRegistrationToken = "GR1348941SECRETSECRETSECRET" })]');
    // A registration token in clear is a leak, RF940 (issue 32a; RF912 before, a warning).
    cases.push({ files: replaceIn(eks(), 'runner.tf', runner, byYaml), code: 'RF940', at: tokenAt(byYaml, '"GR1348941') });
    const byFile = replaceIn(eks(), 'values.yaml', 'gitlabUrl: https://gitlab.example.com/\n', 'gitlabUrl: https://gitlab.example.com/\nrunnerToken: glrt-SECRETSECRETSECRET1234\n');
    cases.push({ files: byFile, code: 'RF940', at: 'values.yaml:2:14' });
    for (const c of cases) {
      const held = chartValues(c.files);
      // The stand-in keeps the token's shape (a glrt- or GR1348941 token), never its value.
      expect(held).toMatch(/\(a GitLab runner (authentication|registration) token, not shown\)/);
      expect(held).not.toContain('SECRETSECRET');
      const r = doctor(c.files);
      expect(r.findings.filter((f) => f.code === c.code).map((f) => f.path)).toEqual([c.at]);
      expect(JSON.stringify({ findings: r.findings, proofs: r.proofs, chains: [...r.chains] })).not.toContain('SECRETSECRET');
    }
  });

  it('values written in place (a heredoc, a .tf.json string): findings at their own line and column in it, not where it opens', () => {
    const release = (values: string) => `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab"\n  values = [${values}]\n}\n`;
    const found = (files: InputFile[]) => Object.fromEntries(doctor(files).findings.filter((f) => f.code === 'RF940' || f.code === 'RF907').map((f) => [f.code, f.path]));
    /** `main.tf:line:column` of `needle` in `tf`, at its first character. */
    const place = (tf: string, needle: string, file = 'main.tf') => {
      const lines = tf.split('\n');
      const i = lines.findIndex((l) => l.includes(needle));
      expect(i).toBeGreaterThanOrEqual(0);
      return `${file}:${i + 1}:${lines[i]!.indexOf(needle) + 1}`;
    };
    // <<-: the indentation the lines share is removed, and added back to the column; an interpolated line keeps its place.
    const dashed = release('<<-YAML\n    gitlabUrl: ${var.url}\n    runnerToken: glrt-SECRETSECRETSECRET1234\n    rbac:\n      create: true\n    YAML\n  ');
    const vars = file('variables.tf', 'variable "url" {\n  default = "https://gitlab.example.com/"\n}\n');
    expect(found([file('main.tf', dashed), vars])).toEqual({ RF940: place(dashed, 'glrt-'), RF907: place(dashed, 'true') });
    // <<: the lines as written.
    const plain = release('<<YAML\nrunnerToken: glrt-SECRETSECRETSECRET1234\nrbac:\n  create: true\nYAML\n  ');
    expect(found([file('main.tf', plain)])).toEqual({ RF940: place(plain, 'glrt-'), RF907: place(plain, 'true') });
    // An interpolation before the value on its line: the line, at its first written character.
    const keyed = release('<<-YAML\n    ${"runnerToken"}: glrt-SECRETSECRETSECRET1234\n    rbac:\n      create: true\n    YAML\n  ');
    expect(found([file('main.tf', keyed)])).toEqual({ RF940: place(keyed, '${"runnerToken"}'), RF907: place(keyed, 'true') });
    // An interpolation that makes lines of its own: the heredoc's lines are not the document's, so the heredoc, as before.
    const lines = release('<<-YAML\n    ${"concurrent: 4\\ncheckInterval: 3"}\n    rbac:\n      create: true\n    YAML\n  ');
    expect(found([file('main.tf', lines)])).toEqual({ RF907: place(lines, '<<-YAML') });
    // .tf.json: the YAML string's own characters, on the string's line.
    const json = JSON.stringify({ resource: { helm_release: { runner: { name: 'gitlab-runner', repository: 'https://charts.gitlab.io', chart: 'gitlab-runner', namespace: 'gitlab', values: ['runnerToken: glrt-SECRETSECRETSECRET1234\nrbac:\n  create: true\n'] } } } }, null, 2);
    const line = json.split('\n').findIndex((l) => l.includes('rbac')) + 1;
    const col = (needle: string) => json.split('\n')[line - 1]!.indexOf(needle) + 1;
    expect(found([file('main.tf.json', json)])).toEqual({ RF940: `main.tf.json:${line}:${col('glrt-')}`, RF907: `main.tf.json:${line}:${col('true')}` });
  });

  it('templatefile(): interpolation of a role ARN resolves; a %{} directive over a known value renders, over one only apply knows is RF906 at the directive', () => {
    const tpl = text(eks().find((f) => f.path === 'values.yaml')!).replace('serviceAccount:\n  create: true\n  name: gitlab-runner\n', 'serviceAccount:\n  create: true\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${role_arn}\n');
    const base = replaceIn(eks(), 'runner.tf', /values {5}= \[file\("\$\{path\.module\}\/values\.yaml"\)\]\n\n {2}set \{[^}]*\}\n/, 'values     = [templatefile("${path.module}/values.yaml.tftpl", { role_arn = aws_iam_role.runner.arn })]\n').filter((f) => f.path !== 'values.yaml');
    const r = doctor([...base, file('values.yaml.tftpl', tpl)]);
    expect(r.chains.get('gitlab-runner')![0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1) → role gitlab-runner-manager');
    expect(holds(r, /^only cluster:gitlab-runner\/gitlab-runner can assume the manager role gitlab-runner-manager/)).toEqual([true]);

    const known = doctor([...base, file('values.yaml.tftpl', tpl.replace('gitlabUrl:', '%{ if true }gitlabUrl:%{ endif }\nx:'))]);
    expect(known.chains.get('gitlab-runner')![0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1) → role gitlab-runner-manager');
    const directive = doctor([...base, file('values.yaml.tftpl', tpl.replace('gitlabUrl:', '%{ if role_arn != "" }gitlabUrl:%{ endif }\nx:'))]);
    const f = directive.findings.find((x) => x.code === 'RF906' && /the condition of %\{ if role_arn != "" \} is not known: aws_iam_role\.runner\.arn is known only after apply/.test(x.message));
    expect(f?.path).toBe('values.yaml.tftpl:1:1');
  });

  it('runners.config that is TOML only once Terraform renders it (%{for} where keys go) is RF906, not a false RF901; broken literal TOML is still RF901', () => {
    // DeimosCloud/terraform-kubernetes-gitlab-runner writes its config.toml so: a false RF901 error before.
    const loop = '          [runners.kubernetes.node_selector]\n          %{~ for k, v in var.selectors ~}\n            "${k}" = "${v}"\n          %{~ endfor ~}\n';
    const withLoop = replaceIn(aks(), 'main.tf', '            service_account = "gitlab-runner-jobs"\n', `            service_account = "gitlab-runner-jobs"\n${loop}`).map((f) => (f.path === 'main.tf' ? file(f.path, `${text(f)}\nvariable "selectors" {\n  type = map(string)\n}\n`) : f));
    const r = doctor(withLoop);
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(r.findings.find((f) => f.code === 'RF906' && /runners\.config is TOML only once Terraform renders it/.test(f.message))?.path).toMatch(/^main\.tf:\d+:\d+$/);
    // Not proven, and not broken either: no RF106 "not valid TOML" from the chain proof, no "not in the evidence".
    expect(r.findings.filter((f) => f.code === 'RF106' || (f.code === 'RF903' && /is not in the evidence/.test(f.message)))).toEqual([]);
    // A provider-defined function (MaciekLeks/lazy-gitlab-runner-k8s-tf: provider::toml::encode) is not evaluated either.
    const encoded = replaceIn(aks(), 'main.tf', /config = <<-TOML[\s\S]*?\n {6}TOML\n/, 'config = provider::toml::encode({\n        runners = [{ executor = "kubernetes" }]\n      })\n');
    expect(doctor(encoded).findings.filter((f) => f.code === 'RF901' || (f.code === 'RF906' && /runners\.config is TOML only once Terraform renders it \(\$\{provider::toml::encode\(/.test(f.message))).map((f) => f.code)).toEqual(['RF906']);
    const broken = replaceIn(aks(), 'main.tf', '            service_account = "gitlab-runner-jobs"\n', '            service_account = = "gitlab-runner-jobs"\n');
    expect(doctor(broken).findings.filter((f) => f.code === 'RF901').map((f) => f.message)).toEqual([expect.stringMatching(/^runners\.config is not valid TOML/)]);
  });

  it('data "template_file" values and templates over a module not given: read with their references as symbols, as yamlencode() values are', () => {
    // ricardofukuda/gitlab-ci-runners-aws-eks: values = [data.template_file.values.rendered], its role ARN
    // a module's output from GitHub. Before, a template_file was RF906 over a resource's ARN and said
    // nothing at all over a module's: 0 chains, the runner never named.
    const tpl = text(eks().find((f) => f.path === 'values.yaml')!).replace('serviceAccount:\n  create: true\n  name: gitlab-runner\n', 'serviceAccount:\n  create: true\n  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${role_arn}\n');
    const withValues = (values: string, extra = '') => [...replaceIn(eks(), 'runner.tf', /values {5}= \[file\("\$\{path\.module\}\/values\.yaml"\)\]\n\n {2}set \{[^}]*\}\n/, `values     = [${values}]\n`).filter((f) => f.path !== 'values.yaml').map((f) => (f.path === 'runner.tf' ? file(f.path, `${text(f)}${extra}`) : f)), file('values.yaml.tpl', tpl)];
    const data = (arn: string) => `\ndata "template_file" "values" {\n  template = file("\${path.module}/values.yaml.tpl")\n  vars = {\n    role_arn = ${arn}\n  }\n}\n`;
    const module = '\nmodule "role" {\n  source = "github.com/example/iam-role"\n}\n';
    const lines = tpl.split('\n');
    // Said where a values file read with file() has it said: at the service account the chart creates.
    const account = `values.yaml.tpl:${lines.indexOf('serviceAccount:') + 2}:3`;
    // rbac.create: true (RF907, no rules), its value at column 11.
    expect(lines[1]).toBe('rbac:');
    const rbacCreate = 'values.yaml.tpl:3:11';

    const resource = doctor(withValues('data.template_file.values.rendered', data('aws_iam_role.runner.arn')));
    expect(resource.findings.filter((f) => f.code === 'RF906').map((f) => f.message)).toEqual([]);
    expect(resource.chains.get('gitlab-runner')![0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1) → role gitlab-runner-manager');
    expect(holds(resource, /^only cluster:gitlab-runner\/gitlab-runner can assume the manager role gitlab-runner-manager/)).toEqual([true]);
    // Positions are the template file's.
    expect(resource.findings.find((f) => f.code === 'RF907')?.path).toBe(rbacCreate);

    for (const values of ['data.template_file.values.rendered', 'templatefile("${path.module}/values.yaml.tpl", { role_arn = module.role.iam_role_arn })']) {
      const r = doctor(withValues(values, `${data('module.role.iam_role_arn')}${module}`));
      expect(r.chains.get('gitlab-runner')?.[0], values).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1)');
      const unproven = r.findings.find((f) => f.code === 'RF903' && /the manager's role \$\{module\.role\.iam_role_arn\} is not in the evidence given/.test(f.message));
      expect(unproven?.path, values).toBe(account);
      expect(r.findings.find((f) => f.code === 'RF907')?.path, values).toBe(rbacCreate);
    }
    // A symbol with quotes of its own inside a quoted YAML string (philjfoxton/DDImport3:
    // runnerRegistrationToken: "${registration_token}", the token data.aws_kms_secrets.t.plaintext["gitlab"])
    // is no YAML error: before, a false RF901 "not valid YAML".
    const quoted = withValues('data.template_file.values.rendered', `${data('module.role.iam_role_arn').replace('  }\n}', '    token = data.aws_kms_secrets.t.plaintext["gitlab"]\n  }\n}')}${module}`).map((f) => (f.path === 'values.yaml.tpl' ? file(f.path, `${text(f)}runnerRegistrationToken: "\${token}"\n`) : f));
    const q = doctor(quoted);
    expect(q.findings.filter((f) => f.code === 'RF901').map((f) => f.message)).toEqual([]);
    expect(q.chains.get('gitlab-runner')?.[0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1)');
    // A symbol where YAML structure goes is YAML only once apply fills it in: unread, RF906 where apply decides, never RF901.
    const structural = (arn: string, extra: string) => withValues('data.template_file.values.rendered', `${data(arn).replace('  }\n}', `    extra = ${extra}\n  }\n}`)}${module}`).map((f) => (f.path === 'values.yaml.tpl' ? file(f.path, `${text(f)}\${extra}: [\n`) : f));
    const byApply = doctor(structural('aws_iam_role.runner.arn', 'aws_iam_role.runner.name'));
    expect(byApply.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(byApply.findings.filter((f) => f.code === 'RF906' && /values\[0\] is not statically known/.test(f.message))).toHaveLength(1);
    expect(byApply.chains.size).toBe(0);
    // A template not given stays unread: no chain built from a text that is only a reference.
    const missing = doctor(withValues('data.template_file.values.rendered', `${data('module.role.iam_role_arn')}${module}`).filter((f) => f.path !== 'values.yaml.tpl'));
    expect(missing.findings.filter((f) => f.code === 'RF901' || f.code === 'RF910')).toEqual([]);
    expect(missing.chains.size).toBe(0);
  });

  it('templatefile(): positions are the template\'s, even where an interpolation adds lines the template alone does not parse as', () => {
    const tpl = text(eks().find((f) => f.path === 'values.yaml')!).replace('gitlabUrl: https://gitlab.example.com/\n', 'gitlabUrl: ${url}\n${extra}\n');
    const base = replaceIn(eks(), 'runner.tf', /values {5}= \[file\("\$\{path\.module\}\/values\.yaml"\)\]/, 'values     = [templatefile("${path.module}/values.yaml.tftpl", { url = "https://gitlab.example.com/", extra = "concurrent: 4\\ncheckInterval: 3" })]').filter((f) => f.path !== 'values.yaml');
    const r = doctor([...base, file('values.yaml.tftpl', tpl)]);
    const lines = tpl.split('\n');
    // rbac.create: true is on the template's 4th line, its value at column 11.
    expect(lines[3]).toBe('  create: true');
    expect(r.findings.find((f) => f.code === 'RF907')?.path).toBe('values.yaml.tftpl:4:11');
    // Inside runners.config too: the [runners.kubernetes] table that names no jobs' service account.
    expect(r.findings.find((f) => f.code === 'RF911')?.path).toBe(`values.yaml.tftpl:${lines.findIndex((l) => l.includes('[runners.kubernetes]')) + 1}:7`);
    // The manager's reach beyond its prefix is fixed in the policy that grants it, not in the values.
    expect(r.findings.find((f) => f.code === 'RF202')?.path).toBe('iam.tf:42:1');
  });

  it('values = [local.x] over a templatefile() is read as that templatefile(): the template\'s literal keys are checked though a value only apply knows fills it', () => {
    // YBakalenko/icecube-mvp: values = [local.runner_values_yaml_content], the local a templatefile()
    // whose token is a resource attribute only apply knows. Before, values[0] was RF906 and its
    // privileged jobs went unseen.
    const tpl = text(eks().find((f) => f.path === 'values.yaml')!).replace('gitlabUrl: https://gitlab.example.com/\n', 'gitlabUrl: https://gitlab.example.com/\nrunnerToken: "${token}"\n').replace('privileged = false', 'privileged = true');
    expect(tpl).toContain('privileged = true');
    const viaLocal = replaceIn(eks(), 'runner.tf', /values {5}= \[file\("\$\{path\.module\}\/values\.yaml"\)\]/, 'values     = [local.runner_values]').filter((f) => f.path !== 'values.yaml');
    const withLocal = (expr: string) => [...viaLocal.map((f) => (f.path === 'runner.tf' ? file(f.path, `${text(f)}\nlocals {\n  runner_values = ${expr}\n}\n\nresource "gitlab_runner" "r" {\n  registration_token = "x"\n}\n`) : f)), file('values.yaml.tftpl', tpl)];
    const r = doctor(withLocal('templatefile("${path.module}/values.yaml.tftpl", { token = gitlab_runner.r.authentication_token })'));
    expect(r.findings.filter((f) => f.code === 'RF906').map((f) => f.message)).toEqual([]);
    expect(r.chains.get('gitlab-runner')![0]).toBe('manager gitlab-runner/gitlab-runner (runner.tf:1:1) → role gitlab-runner-manager');
    const lines = tpl.split('\n');
    expect(r.findings.find((f) => f.code === 'RF301')?.path).toBe(`values.yaml.tftpl:${lines.findIndex((l) => l.includes('privileged = true')) + 1}:${lines.find((l) => l.includes('privileged = true'))!.indexOf('privileged') + 1}`);
    // Through a second local too; a local that names itself is no loop.
    expect(doctor(withLocal('local.other')).findings.some((f) => f.code === 'RF913')).toBe(true);
    const twice = withLocal('local.other').map((f) => (f.path === 'runner.tf' ? file(f.path, `${text(f)}\nlocals {\n  other = templatefile("\${path.module}/values.yaml.tftpl", { token = "t" })\n}\n`) : f));
    expect(doctor(twice).findings.find((f) => f.code === 'RF301')?.path).toMatch(/^values\.yaml\.tftpl:/);
    const selfLoop = withLocal('local.runner_values');
    expect(() => doctor(selfLoop)).not.toThrow();
  });

  it('a release with a values document not read: no claim that its values name no service account, no "no runner manager", and its values file is not read again as values of its own', () => {
    // The values file read through templatefile() with a map only a data source not given knows.
    const unread = replaceIn(eks(), 'runner.tf', /values {5}= \[file\("\$\{path\.module\}\/values\.yaml"\)\]\n\n {2}set \{[^}]*\}\n/, 'values     = [templatefile("${path.module}/values.yaml", data.external.vars.result)]\n').map((f) => (f.path === 'values.yaml' ? file(f.path, text(f).replace(/serviceAccount:\n( {2}.*\n)+/, '')) : f));
    expect(text(unread.find((f) => f.path === 'values.yaml')!)).not.toContain('serviceAccount');
    const r = doctor(unread);
    const codes = r.findings.map((f) => `${f.code} ${f.message}`);
    expect(codes.filter((c) => /values name no service account/.test(c))).toEqual([]);
    expect(codes.filter((c) => c.startsWith('RF910'))).toEqual([]);
    expect(codes.filter((c) => c.startsWith('RF903') && /data\.external\.vars/.test(c))).toHaveLength(1);
    // The same values given as yamlencode() of literal values: the claim stands (the values are read whole).
    const whole = replaceIn(eks(), 'runner.tf', /values {5}= \[file\("\$\{path\.module\}\/values\.yaml"\)\]\n\n {2}set \{[^}]*\}\n/, 'values     = [yamlencode({ rbac = { create = false } })]\n').filter((f) => f.path !== 'values.yaml');
    expect(doctor(whole).findings.filter((f) => /values name no service account/.test(f.message)).map((f) => f.path)).toEqual(['runner.tf:1:1']);
  });

  it('values documents merge in order (maps deep, lists replaced), then set', () => {
    const tf = `resource "helm_release" "r" {
  name      = "ci"
  chart     = "oci://registry.gitlab.com/gitlab-org/charts/gitlab-runner"
  namespace = "ci"
  values = [
    yamlencode({ gitlabUrl = "https://a.example/", serviceAccount = { create = true, name = "first" }, runners = { secret = "s", tags = ["a", "b"] } }),
    <<-EOT
      serviceAccount:
        name: second
      runners:
        tags: [c]
    EOT
  ]
  set {
    name  = "concurrent"
    value = "4"
  }
}
`;
    const r = doctor([file('main.tf', tf)]);
    // Release name, namespace from the release; the service account of the second document.
    expect(r.chains.get('ci')?.[0]).toBe('manager ci/second (main.tf:1:1)');
  });

  it('a chart that is not gitlab-runner is not read', () => {
    const r = doctor([file('main.tf', 'resource "helm_release" "x" {\n  name = "x"\n  chart = "ingress-nginx"\n  values = [yamlencode({ serviceAccount = { name = "a" }, runners = { secret = "s" } })]\n}\n')]);
    expect(r.findings.map((f) => f.code)).toContain('RF910');
  });

  it('yamlencode writes YAML that reads back as the same data', () => {
    const data = { b: ['yes', 'on', 'no', '0x1f', '1e3', 'null', '~', '', ' lead', 'a: b', '#c', 'multi\nline'], a: { n: 1.5, t: true, z: null, k: { 'x.y/z': 'v' } } };
    const out = callFunction('yamlencode', [data]) as string;
    expect(parseYaml(out, { version: '1.2' })).toEqual(data);
    expect(parseYaml(out, { version: '1.1' })).toEqual(data);
    expect(out.indexOf('a:')).toBeLessThan(out.indexOf('b:'));
  });

  it('reads set names as Helm does', () => {
    expect(helmSetPath('serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn')).toEqual(['serviceAccount', 'annotations', 'eks.amazonaws.com/role-arn']);
    expect(helmSetPath('runners.tags[1].name')).toEqual(['runners', 'tags', 1, 'name']);
    expect(helmSetPath('a..b')).toBeUndefined();
    expect(isRunnerChart('gitlab/gitlab-runner', undefined)).toBe(true);
    expect(isRunnerChart('https://charts.gitlab.io/gitlab-runner-0.71.0.tgz', undefined)).toBe(true);
    expect(isRunnerChart('gitlab-runner-operator', undefined)).toBe(false);
  });
});

describe('helm_release of the gitlab-runner chart in `terraform show -json`', () => {
  const corpus = (name: string) => corpusFiles(join(import.meta.dirname, 'doctor', 'corpus', name));
  const plan = () => corpus('show-json-helm-release-sound');
  /** The plan with its helm_release's planned values and change edited. */
  const editRelease = (edit: (values: Record<string, unknown>, change: Record<string, unknown>) => void): InputFile[] =>
    plan().map((f) => {
      if (f.path !== 'plan.json') return f;
      const doc = JSON.parse(text(f)) as { planned_values: { root_module: { resources: { type: string; values: Record<string, unknown> }[] } }; resource_changes: { type: string; change: Record<string, unknown> }[] };
      edit(doc.planned_values.root_module.resources.find((r) => r.type === 'helm_release')!.values, doc.resource_changes.find((c) => c.type === 'helm_release')!.change);
      return file('plan.json', JSON.stringify(doc, null, 2));
    });
  const releaseLine = (files: InputFile[]) => text(files.find((f) => f.path === 'plan.json')!).split('\n').findIndex((l) => l.includes('"address": "helm_release.gitlab_runner"')) + 1;

  it('the plan of helm-release-irsa-sound proves what its HCL proves: the values are read as chart values', () => {
    const r = doctor(plan());
    const hcl = doctor(corpus('helm-release-irsa-sound'));
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.proofs.map((p) => `${p.claim} ${String(p.holds)}`)).toEqual(hcl.proofs.map((p) => `${p.claim} ${String(p.holds)}`));
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    // The jobs' service account is a key of runners.config, inside the JSON string: its line and column there.
    expect(r.chains.get('gitlab-runner')?.[1]).toBe('jobs gitlab/gitlab-runner-jobs (plan.json:220:450) → role gitlab-runner-jobs');
  });

  it('set items are read as the HCL set blocks are (a literal name and value)', () => {
    const files = editRelease((v) => {
      v.values = [(v.values as string[])[0]!.replace('"name": "gitlab-runner"', '"name": "other"')];
      v.set = [{ name: 'serviceAccount.name', type: '', value: 'gitlab-runner' }];
    });
    const r = doctor(files);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.chains.get('gitlab-runner')?.[0]).toMatch(/^manager gitlab\/gitlab-runner \(plan\.json:\d+:\d+\) → role gitlab-runner-manager$/);
  });

  it('values only apply knows (after_unknown) are RF903 at the release, never guessed', () => {
    const files = editRelease((v, c) => {
      v.values = [null];
      c.after_unknown = { values: [true], metadata: true };
    });
    const r = doctor(files);
    const f = r.findings.filter((x) => x.code === 'RF903' && x.message.startsWith('helm_release.gitlab_runner:'));
    expect(f.map((x) => x.path)).toEqual([`plan.json:${releaseLine(files) - 1}:9`]);
    expect(f[0]!.message).toContain('values[0] is known only after apply');
    // No service account name is guessed: the chart's values hold none.
    expect(r.proofs.filter((p) => p.holds && /can assume the manager role/.test(p.claim))).toEqual([]);
  });

  it('a set item whose value only apply knows is RF903 at the release and sets nothing', () => {
    const files = editRelease((v, c) => {
      v.set = [{ name: 'serviceAccount.name', type: '' }];
      c.after_unknown = { set: [{ value: true }] };
    });
    const r = doctor(files);
    expect(r.findings.filter((x) => x.code === 'RF903' && x.message.includes('set[0] is known only after apply')).map((x) => x.path)).toEqual([`plan.json:${releaseLine(files) - 1}:9`]);
    // The values' own serviceAccount.name stands: nothing replaced it.
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.proofs.length).toBeGreaterThanOrEqual(8);
  });

  it('a namespace only apply knows is RF903, never "default"', () => {
    const files = editRelease((v, c) => {
      delete v.namespace;
      c.after_unknown = { namespace: true };
    });
    const r = doctor(files);
    expect(r.findings.some((x) => x.code === 'RF903' && x.message.includes('namespace is known only after apply'))).toBe(true);
    expect([...r.chains.values()].flat().some((l) => l.startsWith('manager default/'))).toBe(false);
    // With a values item only apply knows too: one finding at the release says both.
    const both = doctor(
      editRelease((v, c) => {
        delete v.namespace;
        v.values = [null];
        c.after_unknown = { namespace: true, values: [true] };
      }),
    );
    expect(both.findings.filter((x) => x.code === 'RF903' && x.message.startsWith('helm_release.gitlab_runner:')).map((x) => x.message.split(': ')[1]!.split(',')[0])).toEqual(['values[0]']);
    expect(both.findings.some((x) => x.message.includes('values[0], namespace are known only after apply'))).toBe(true);
  });

  it('a set_sensitive runner token is never shown, nor said to be written in the values file; another sensitive key stands as not shown', () => {
    const files = editRelease((v) => {
      v.set_sensitive = [
        { name: 'runnerToken', type: '', value: 'glrt-SECRETSECRETSECRET1234' },
        { name: 'gitlabUrl', type: '', value: 'https://gitlab.internal.example/' },
      ];
    });
    const r = doctor(files);
    // The plan holds the token in clear: a GitLab token written in the user's file (RF940; RF304 before issue 36a), at its place, said of the plan (not of a values file).
    expect(r.findings.filter((x) => x.code === 'RF940').map((x) => x.received)).toEqual(['(a token, not shown)']);
    expect(r.findings.find((x) => x.code === 'RF940')!.message).toContain('written in clear in plan.json, a terraform show -json document, which prints sensitive values in clear too (value not shown)');
    expect(r.findings.filter((x) => x.code === 'RF304')).toEqual([]);
    const shown = JSON.stringify({ findings: r.findings, proofs: r.proofs, chains: [...r.chains] });
    expect(shown).not.toContain('SECRETSECRET');
    expect(shown).not.toContain('gitlab.internal.example');
    expect(r.proofs.length).toBeGreaterThanOrEqual(8);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  /** The plan as `terraform show -json` of the state after apply (`values`, no `resource_changes`), its release edited. */
  const stateOf = (edit: (values: Record<string, unknown>) => void): InputFile[] =>
    plan().map((f) => {
      if (f.path !== 'plan.json') return f;
      const doc = JSON.parse(text(f)) as { terraform_version: string; planned_values: { root_module: { resources: { type: string; values: Record<string, unknown> }[] } } };
      edit(doc.planned_values.root_module.resources.find((r) => r.type === 'helm_release')!.values);
      return file('state.json', JSON.stringify({ format_version: '1.0', terraform_version: doc.terraform_version, values: doc.planned_values }, null, 2));
    });
  /** The release's values moved into the provider's metadata (JSON, as the provider writes it), the values list left empty. */
  const inMetadata = (edit: (chart: Record<string, unknown>) => void = () => undefined) => (v: Record<string, unknown>) => {
    const chart = parseYaml((v.values as string[])[0]!) as Record<string, unknown>;
    edit(chart);
    (v.metadata as Record<string, unknown>[])[0]!.values = JSON.stringify(chart);
    v.values = [];
  };
  const shownOf = (r: ReturnType<typeof doctor>) => JSON.stringify({ findings: r.findings, proofs: r.proofs, chains: [...r.chains] });

  it('a values item marked sensitive (sensitive_values) is read, so its drift is the true finding; what only it holds is never shown', () => {
    // templatefile() with a sensitive variable marks the whole values item: the names in it are marked too.
    const markValues = (edit: (values: string) => string, mark = true) => corpus('show-json-helm-release-sa-not-trusted').map((f) => {
      if (f.path !== 'plan.json') return f;
      const doc = JSON.parse(text(f)) as { planned_values: { root_module: { resources: { type: string; values: { values: string[] }; sensitive_values: Record<string, unknown> }[] } } };
      const release = doc.planned_values.root_module.resources.find((r) => r.type === 'helm_release')!;
      if (mark) release.sensitive_values.values = [true];
      release.values.values = [edit(release.values.values[0]!)];
      return file('plan.json', JSON.stringify(doc, null, 2));
    });
    // The manager's service account is named only inside the sensitive values.
    const named = (v: string) => v.replace('"name": "gitlab-runner"', '"name": "ci-manager-7"');
    const plain = doctor(markValues(named, false));
    const r = doctor(markValues(named));
    // The same findings at the same places (the line numbers of a file written again are the same).
    expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(plain.findings.map((f) => `${f.code} ${f.path}`));
    expect(r.findings.map((f) => f.code)).toContain('RF104');
    expect(plain.findings.find((f) => f.code === 'RF104')!.message).toContain('ServiceAccount gitlab/ci-manager-7 (');
    const shown = shownOf(r);
    for (const secret of ['ci-manager-7', 'https://gitlab.example.com/']) expect(shown).not.toContain(secret);
    // The namespace is written in clear too (the Namespace manifest, the role's trust): it is shown.
    // Not shown, with where it is said in one bracket: never two in a row.
    expect(r.findings.find((f) => f.code === 'RF104')!.message).toMatch(/ServiceAccount gitlab\/\(sensitive, not shown, at plan\.json:\d+:\d+\) → /);
    expect(r.findings.flatMap((f) => [f.message, f.fix ?? '']).filter((m) => /\) \(|\(\(/.test(m))).toEqual([]);
    // A proof's runner is its chain's: both hidden alike, so each proof stays with its chain.
    expect(new Set(r.proofs.map((p) => p.runner))).toEqual(new Set(r.chains.keys()));
  });

  it('a sensitive values item whose names the files also show in clear hides nothing: the findings read as without the mark', () => {
    const files = corpus('show-json-helm-release-sa-not-trusted').map((f) => {
      if (f.path !== 'plan.json') return f;
      const doc = JSON.parse(text(f)) as { planned_values: { root_module: { resources: { type: string; sensitive_values: Record<string, unknown> }[] } } };
      doc.planned_values.root_module.resources.find((r) => r.type === 'helm_release')!.sensitive_values.values = [true];
      return file('plan.json', JSON.stringify(doc, null, 2));
    });
    const plain = doctor(corpus('show-json-helm-release-sa-not-trusted'));
    const r = doctor(files);
    // Every name the messages quote is also in clear: the roles' names and policies in the plan, the Kubernetes manifests.
    expect(shownOf(r)).not.toContain('(sensitive, not shown)');
    expect(r.findings).toEqual(plain.findings);
    expect(r.findings.find((f) => f.code === 'RF104')!.fix).toContain('system:serviceaccount:gitlab:gitlab-runner');
    // What only the sensitive values hold stays hidden even so.
    expect(shownOf(r)).not.toContain('https://gitlab.example.com/');
  });

  it('a set item marked sensitive (after_sensitive) sets its value, which is never shown', () => {
    const files = editRelease((v, c) => {
      v.values = [(v.values as string[])[0]!.replace('"name": "gitlab-runner"', '"name": "other"')];
      v.set = [{ name: 'serviceAccount.name', type: '', value: 'gitlab-runner-x' }];
      c.after_sensitive = { set: [{ value: true }] };
    });
    const r = doctor(files);
    // The account the values name now (gitlab-runner-x) is none given: the drift, at the set item's value.
    const lines = text(files.find((f) => f.path === 'plan.json')!).split('\n');
    const valueLine = lines.findIndex((l) => l.includes('"value": "gitlab-runner-x"')) + 1;
    expect(r.findings.filter((f) => f.code === 'RF904').map((f) => f.path)).toEqual([`plan.json:${valueLine}:${lines[valueLine - 1]!.indexOf('"gitlab-runner-x"') + 1}`]);
    expect(shownOf(r)).not.toContain('gitlab-runner-x');
    expect(r.findings.find((f) => f.code === 'RF904')!.message).toContain('gitlab/(sensitive, not shown)');
  });

  it('a runner token the plan shows in clear is RF940 at its place (RF304 before issue 36a), from set_sensitive or a values string; a registration token too (RF912 before); the token shown nowhere', () => {
    const bySet = editRelease((v) => {
      v.set_sensitive = [{ name: 'runnerToken', type: '', value: 'glrt-SECRETSECRETSECRET1234' }];
    });
    const lines = text(bySet.find((f) => f.path === 'plan.json')!).split('\n');
    const tokenLine = lines.findIndex((l) => l.includes('glrt-SECRETSECRETSECRET1234')) + 1;
    const r = doctor(bySet);
    const f = r.findings.filter((x) => x.code === 'RF940');
    expect(f.map((x) => x.path)).toEqual([`plan.json:${tokenLine}:${lines[tokenLine - 1]!.indexOf('"glrt-') + 1}`]);
    expect(f[0]!.received).toBe('(a token, not shown)');
    // The values file's message shape, said of the plan.
    expect(f[0]!.message).toMatch(/^runnerToken holds a GitLab runner authentication token \(glrt-\), written in clear in plan\.json, a terraform show -json document, which prints sensitive values in clear too \(value not shown\)/);
    expect(r.findings.filter((x) => x.code === 'RF304')).toEqual([]);
    expect(shownOf(r)).not.toContain('SECRETSECRET');
    const byValues = doctor(editRelease((v) => {
      v.values = [`${(v.values as string[])[0]!}"runnerRegistrationToken": "GR1348941SECRETSECRETSECRET"\n`];
    }));
    expect(byValues.findings.filter((x) => x.code === 'RF912' || x.code === 'RF304')).toEqual([]);
    const reg = byValues.findings.filter((x) => x.code === 'RF940');
    expect(reg.length).toBe(1);
    expect(reg[0]!.message).toMatch(/^runnerRegistrationToken holds a GitLab runner registration token \(GR1348941\), written in clear in plan\.json, a terraform show -json document/);
    expect(reg[0]!.path).toMatch(/^plan\.json:\d+:\d+$/);
    expect(Number(reg[0]!.path.split(':')[2])).toBeGreaterThan(100);
    expect(shownOf(byValues)).not.toContain('SECRETSECRET');
    // One leak, one finding: a plan holds the token twice (planned values, the change's after); the
    // RF940 of the chart value names the other copy, which the scan's RF940 does not repeat.
    const token = [{ name: 'runnerToken', type: '', value: 'glrt-SECRETSECRETSECRET1234' }];
    const twice = editRelease((v, c) => {
      v.set_sensitive = token;
      (c.after as Record<string, unknown>).set_sensitive = token;
    });
    const copies = text(twice.find((f) => f.path === 'plan.json')!).split('\n').flatMap((l, i) => (l.includes('glrt-SECRETSECRETSECRET1234') ? [`plan.json:${i + 1}:${l.indexOf('"glrt-') + 1}`] : []));
    expect(copies.length).toBe(2);
    const one = doctor(twice);
    expect(one.findings.filter((x) => x.code === 'RF940' || x.code === 'RF304').map((x) => `${x.code} ${x.path}`)).toEqual([`RF940 ${copies[0]!}`]);
    expect(one.findings.find((x) => x.code === 'RF940')!.message).toMatch(new RegExp(`; the same value is also written at ${copies[1]!}$`));
    // Inside a values string (both copies): the RF940 at its key; the scan's RF940 at the start of each string is not repeated.
    const inValues = doctor(editRelease((v, c) => {
      v.values = [`${(v.values as string[])[0]!}"runnerToken": "glrt-SECRETSECRETSECRET1234"\n`];
      (c.after as Record<string, unknown>).values = v.values;
    }));
    const leak = inValues.findings.filter((x) => x.code === 'RF940' || x.code === 'RF304');
    expect(leak.map((x) => x.code)).toEqual(['RF940']);
    expect(leak[0]!.message).toMatch(/^runnerToken holds/);
    expect(leak[0]!.message).toMatch(/; the same value is also written at plan\.json:\d+:\d+$/);
    expect(shownOf(inValues)).not.toContain('SECRETSECRET');
    // A token only apply knows, or one the plan does not hold, is no finding.
    const unknown = doctor(editRelease((v, c) => {
      v.set_sensitive = [{ name: 'runnerToken', type: '' }];
      c.after_unknown = { set_sensitive: [{ value: true }] };
    }));
    expect(unknown.findings.filter((x) => x.code === 'RF304' || x.code === 'RF912' || x.code === 'RF940')).toEqual([]);
  });

  it('a state whose release shows no values is read from the provider metadata: proven as the plan is, positions inside the metadata string', () => {
    const r = doctor(stateOf(inMetadata()));
    const fromPlan = doctor(plan());
    expect(r.findings.map((f) => f.code)).not.toContain('RF910');
    expect(r.proofs.map((p) => `${p.claim} ${String(p.holds)}`)).toEqual(fromPlan.proofs.map((p) => `${p.claim} ${String(p.holds)}`));
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    const files = stateOf(inMetadata());
    const lines = text(files.find((f) => f.path === 'state.json')!).split('\n');
    const mdLine = lines.findIndex((l) => l.includes('"values": "{')) + 1;
    expect(r.chains.get('gitlab-runner')?.[1]).toMatch(new RegExp(`^jobs gitlab/gitlab-runner-jobs \\(state\\.json:${mdLine}:\\d+\\) → role gitlab-runner-jobs$`));
    // Helm provider v3 keeps metadata as an object, not a list of one.
    const v3 = doctor(stateOf((v) => {
      inMetadata()(v);
      v.metadata = (v.metadata as unknown[])[0];
    }));
    expect(v3.proofs.map((p) => `${p.claim} ${String(p.holds)}`)).toEqual(fromPlan.proofs.map((p) => `${p.claim} ${String(p.holds)}`));
  });

  it('in metadata values: a drift is the true finding there; a runner token in clear is RF940 not shown (RF304 before issue 36a), one the provider cloaked is none', () => {
    const driftFiles = stateOf(inMetadata((c) => ((c.serviceAccount as Record<string, unknown>).name = 'gitlab-runner-x')));
    const lines = text(driftFiles.find((f) => f.path === 'state.json')!).split('\n');
    const mdLine = lines.findIndex((l) => l.includes('"values": "{')) + 1;
    const drift = doctor(driftFiles);
    // At the name inside the metadata JSON string (escaped quotes: \"name\":\"gitlab-runner-x\"), as a values string's.
    expect(drift.findings.filter((f) => f.code === 'RF904').map((f) => f.path)).toEqual([`state.json:${mdLine}:${lines[mdLine - 1]!.indexOf('\\"gitlab-runner-x') + 1}`]);
    const leak = doctor(stateOf(inMetadata((c) => (c.runnerToken = 'glrt-SECRETSECRETSECRET1234'))));
    expect(leak.findings.filter((f) => f.code === 'RF940').map((f) => f.received)).toEqual(['(a token, not shown)']);
    expect(leak.findings.filter((f) => f.code === 'RF304')).toEqual([]);
    expect(shownOf(leak)).not.toContain('SECRETSECRET');
    const cloaked = doctor(stateOf(inMetadata((c) => (c.runnerToken = '(sensitive value)'))));
    // Neither the chart values' RF940 nor the credential scan's: `(sensitive value)` is the provider's stand-in, no token.
    expect(cloaked.findings.filter((f) => f.code === 'RF304' || f.code === 'RF940')).toEqual([]);
  });

  it('the plan given with the HCL it was made from: one runner, read from the configuration', () => {
    const files = [...corpus('helm-release-irsa-sound'), ...plan().filter((f) => f.path === 'plan.json')];
    const r = doctor(files);
    expect([...r.chains.keys()]).toEqual(['gitlab-runner']);
    expect(r.chains.get('gitlab-runner')?.[1]).toBe('jobs gitlab/gitlab-runner-jobs (main.tf:101:13) → role gitlab-runner-jobs');
  });
});
