import { existsSync, mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { DOCTOR_CASES, baseDeployment, deploymentFiles, type Deployment } from './helpers/doctor.js';
import { corpusRoot } from './helpers/corpus-case.js';

const dir = mkdtempSync(join(tmpdir(), 'rf-doctor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeDeployment(name: string, d: Deployment): string {
  const root = join(dir, name);
  for (const f of deploymentFiles(d)) {
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.bytes);
  }
  mkdirSync(join(root, '.git'), { recursive: true });
  writeFileSync(join(root, '.git', 'broken.yaml'), 'kind: [');
  // Editor settings (JSON with comments, as VS Code writes it) and terragrunt's copies of modules: never deployment files.
  for (const d of ['.vscode', '.idea', '.devcontainer', join('.terragrunt-cache', 'x1')]) {
    mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, d, 'extensions.json'), '// See https://go.microsoft.com/fwlink/?LinkId=827846\n{ "recommendations": [] }\n');
  }
  // A Helm chart's Go templates are YAML only once Helm renders them (DoD-Platform-One/gitlab-runner: ten false RF901).
  mkdirSync(join(root, 'chart', 'templates'), { recursive: true });
  writeFileSync(join(root, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: extra\nversion: 0.1.0\n');
  writeFileSync(join(root, 'chart', 'templates', 'np.yaml'), '{{- if .Values.networkPolicies.enabled }}\nkind: NetworkPolicy\n{{- end }}\n');
  return root;
}

async function run(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['doctor', ...args], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('runner-fleet doctor (CLI)', () => {
  const good = writeDeployment('good', baseDeployment());
  const broken = baseDeployment();
  DOCTOR_CASES.find((c) => c.code === 'RF104')!.mutate(broken);
  const bad = writeDeployment('bad', broken);

  it('exit 0 and proof lines grouped by runner for a sound deployment (.git, .vscode, .idea, .devcontainer, .terragrunt-cache and a chart\'s templates are not walked)', async () => {
    const r = await run([good]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/runner gitlab:\n {2}manager gitlab\/gitlab-runner .*values\.yaml:\d+:\d+\) → role gitlab-runner-manager/);
    expect(r.out).toContain('  ok   only cluster:gitlab/gitlab-runner can assume the manager role gitlab-runner-manager');
    expect(r.out).not.toContain('RF901');
  });

  it('a folder walk reads terraform.tfvars for credentials (RF940, exit 1)', async () => {
    const root = join(dir, 'tfvars');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'main.tf'), 'variable "runner_token" {}\n');
    writeFileSync(join(root, 'terraform.tfvars'), 'runner_token = "glrt-EXAMPLEexampleEXAMPLE12"\n');
    const r = await run([root]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`ERROR RF940 ${join(root, 'terraform.tfvars')}:1:16: a GitLab runner authentication token is written in`);
    expect(r.out).not.toContain('glrt-EXAMPLE');
  });

  it('exit 1 with the broken reference at file:line:column', async () => {
    const r = await run([bad]);
    expect(r.code).toBe(1);
    // Both ends of the broken reference, each with its position.
    expect(r.out).toMatch(/ERROR RF104 .*k8s\.yaml:\d+:\d+: ServiceAccount gitlab\/gitlab-runner-common \(.*k8s\.yaml:\d+:\d+\) → manager role gitlab-runner-manager, whose trust \(.*gitlab-runner-manager\.trust\.json:12:\d+\) admits only system:serviceaccount:gitlab:gitlab-runner\n/);
    expect(r.out).toMatch(/ERROR RF904 .*gitlab-runner-manager\.trust\.json:\d+:\d+: role gitlab-runner-manager trusts system:serviceaccount:gitlab:gitlab-runner/);
  });

  it('SARIF 2.1.0 with rules and physical locations', async () => {
    const r = await run([bad, '--format', 'sarif']);
    const sarif = JSON.parse(r.out) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; locations?: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    const res = sarif.runs[0]!.results.find((x) => x.ruleId === 'RF104')!;
    expect(res.level).toBe('error');
    expect(res.locations![0]!.physicalLocation.artifactLocation.uri).toMatch(/k8s\.yaml$/);
    expect(res.locations![0]!.physicalLocation.region.startLine).toBeGreaterThan(0);
    expect(sarif.runs[0]!.tool.driver.rules.map((x) => x.id)).toContain('RF104');
  });

  it('GitLab Code Quality JSON to --output, the text report on stderr', async () => {
    const file = join(dir, 'gl-code-quality.json');
    const r = await run([bad, '--format', 'codequality', '--output', file]);
    expect(r.code).toBe(1);
    const items = JSON.parse(readFileSync(file, 'utf8')) as { check_name: string; severity: string; fingerprint: string; location: { path: string; lines: { begin: number } } }[];
    const item = items.find((x) => x.check_name === 'RF104')!;
    expect(item.severity).toBe('critical');
    expect(item.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(item.location.lines.begin).toBeGreaterThan(0);
    expect(new Set(items.map((x) => x.fingerprint)).size).toBe(items.length);
    expect(r.err).toContain('ERROR RF104');
  });

  it('json carries findings and proofs', async () => {
    const r = await run([good, '--format', 'json']);
    const j = JSON.parse(r.out) as { exitCode: number; proofs: unknown[] };
    expect(j.exitCode).toBe(0);
    expect(j.proofs.length).toBeGreaterThan(0);
  });

  it('--kube-dump reads kubectl get -A -o json output (a List) as the cluster objects', async () => {
    const d = baseDeployment();
    const dump = join(dir, 'cluster.json');
    writeFileSync(dump, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: d.objects, metadata: { resourceVersion: '' } }, null, 2));
    const noObjects = baseDeployment();
    noObjects.objects = [];
    const root = writeDeployment('no-objects', noObjects);
    rmSync(join(root, 'deploy', 'k8s.yaml'));
    const without = await run([root]);
    expect(without.out).toContain('RF903');
    const r = await run([root, '--kube-dump', dump]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('RF903');
    expect(r.out).toContain('  ok   only cluster:gitlab/gitlab-runner can assume the manager role gitlab-runner-manager');
  });

  it('--kube-dump of a file without an extension (a pipe, /dev/stdin, a saved `dump`) is read by its first character', async () => {
    // Before, such a file was skipped as "not a YAML, JSON, TOML or Terraform file" and the chain was RF903.
    const d = baseDeployment();
    const noObjects = baseDeployment();
    noObjects.objects = [];
    const root = writeDeployment('no-objects-sniffed', noObjects);
    rmSync(join(root, 'deploy', 'k8s.yaml'));
    const json = join(dir, 'dump');
    writeFileSync(json, `\n  ${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: d.objects })}`);
    const yaml = join(dir, 'dump-yaml');
    writeFileSync(yaml, d.objects.map((o) => `---\n${JSON.stringify(o)}\n`).join(''));
    for (const dump of [json, yaml]) {
      const r = await run([root, '--kube-dump', dump]);
      expect(r.out).not.toContain('RF903');
      expect(r.out).not.toContain('RF902');
      expect(r.out).toContain('  ok   only cluster:gitlab/gitlab-runner can assume the manager role gitlab-runner-manager');
    }
  });

  it('a device that never ends (/dev/zero) is read only up to the size limit and skipped by size', async (ctx) => {
    if (!existsSync('/dev/zero')) {
      console.log('SKIPPED: /dev/zero: this system has none');
      ctx.skip();
      return;
    }
    // Before, a named path that is no regular file or folder was dropped without a word.
    const r = await run(['/dev/zero']);
    // Its size is not known, only that it goes on past the limit: "more than", not "10.0 MiB".
    expect(r.out).toMatch(/RF902 \/dev\/zero:1:1: \/dev\/zero is a stream of more than 10 MiB \(read up to the limit\); files over 10 MiB are skipped/);
  });

  it('exit 2 for a wrong format or a missing path', async () => {
    expect((await run([good, '--format', 'xml'])).code).toBe(2);
    expect((await run([join(dir, 'nope')])).code).toBe(2);
  });
});

describe('runner-fleet doctor reads the templates templatefile() renders from the folders given', () => {
  // The hand-written IRSA role of the corpus and a helm_release whose values come from a template.
  const iam = readFileSync(join(corpusRoot(), 'hand-eks-irsa-chart-rbac', 'iam', 'main.tf'));
  const values = readFileSync(join(import.meta.dirname, 'fixtures', 'doctor-helm-release', 'eks', 'values.yaml'), 'utf8').replace('  name: gitlab-runner\n', '  name: gitlab-runner\n  annotations:\n    eks.amazonaws.com/role-arn: ${role_arn}\n');
  const release = (template: string) => `resource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = "gitlab-runner"\n  values     = [templatefile("\${path.module}/${template}", { role_arn = aws_iam_role.runner.arn })]\n}\n`;
  it.each(['values.yaml.tpl', 'values.yaml.tftpl'])('a folder holding %s: the release\'s values are read and the manager role proven', async (template) => {
    const root = join(dir, `template-${template}`);
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'iam.tf'), iam);
    writeFileSync(join(root, 'runner.tf'), release(template));
    writeFileSync(join(root, template), values);
    const r = await run([root, '--format', 'json']);
    const report = JSON.parse(r.out) as { findings: { code: string; message: string }[]; proofs: { claim: string; holds: boolean }[] };
    expect(report.findings.filter((f) => f.code === 'RF902' || f.code === 'RF903' || f.code === 'RF910')).toEqual([]);
    expect(report.proofs.find((p) => p.claim.startsWith('only cluster:gitlab-runner/gitlab-runner can assume the manager role gitlab-runner-manager'))?.holds).toBe(true);
  });
});

describe('runner-fleet doctor follows local modules the files given call (the CLI reads their folders)', () => {
  const corpus = join(corpusRoot(), 'module-irsa-namespace-drift');
  it('only the caller named: the module folder is read too, and the drift through it is found', async () => {
    const r = await run([join(corpus, 'terraform', 'main.tf'), join(corpus, 'k8s.yaml'), join(corpus, 'values.yaml'), '--format', 'json']);
    expect(r.code).toBe(1);
    const findings = (JSON.parse(r.out) as { findings: { code: string; message: string }[] }).findings;
    expect(findings.find((f) => f.code === 'RF104')?.message).toMatch(/whose trust \(.*modules\/irsa\/main\.tf:40:18\) admits only system:serviceaccount:gitlab-runner:gitlab-runner, made by module\.runner_manager_irsa/);
    expect(findings.filter((f) => f.code === 'RF903' && /module/.test(f.message))).toEqual([]);
  });
  // cattle-ops/terraform-aws-gitlab-runner's examples call the module at ../../, which reads its policies and
  // templates with templatefile("${path.module}/…"): each was RF903 "not in the evidence given" when only the
  // example was named, and read alone (folder walk) each policy was RF903 "an IAM policy document, but not which role".
  const moduleTree = (name: string) => {
    const root = join(dir, name);
    mkdirSync(join(root, 'mod', 'policies'), { recursive: true });
    mkdirSync(join(root, 'env'), { recursive: true });
    writeFileSync(join(root, 'env', 'main.tf'), 'module "runner" {\n  source = "../mod"\n}\n');
    writeFileSync(join(root, 'mod', 'main.tf'), [
      'resource "aws_iam_role" "r" {',
      '  name               = "ci-runner"',
      '  assume_role_policy = file("${path.module}/policies/trust.json")',
      '}',
      'resource "aws_iam_role_policy" "p" {',
      '  name   = "cache"',
      '  role   = aws_iam_role.r.id',
      '  policy = templatefile("${path.module}/policies/cache.json", { bucket = "ci-cache" })',
      '}',
      'resource "aws_iam_role_policy" "unused" {',
      '  count  = 0',
      '  name   = "unused"',
      '  role   = aws_iam_role.r.id',
      '  policy = templatefile("${path.module}/policies/unused.json", { resources = "[]" })',
      '}',
      '',
    ].join('\n'));
    writeFileSync(join(root, 'mod', 'policies', 'trust.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }));
    writeFileSync(join(root, 'mod', 'policies', 'cache.json'), '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::${bucket}/*"}]}');
    // A template that is JSON only once rendered.
    writeFileSync(join(root, 'mod', 'policies', 'unused.json'), '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":${resources}}]}');
    return root;
  };
  it('a followed module\'s templates are read with it, and a template is never a document of its own', async () => {
    const root = moduleTree('module-templates');
    for (const args of [[join(root, 'env')], [root]]) {
      const r = await run([...args, '--format', 'json']);
      const findings = (JSON.parse(r.out) as { findings: { code: string; path: string; message: string }[] }).findings;
      expect(findings.filter((f) => f.code === 'RF901' || f.code === 'RF903' || f.code === 'RF906'), args.join(' ')).toEqual([]);
    }
  });

  it('a file without a deployment file\'s extension that the Terraform reads is read; one outside the folders given is not', async () => {
    // schubergphilis-ep/terraform-aws-mcaf-gitlab-runner-autoscaler reads files/eic_run_authorized_keys so: RF903 before.
    const root = join(dir, 'extensionless');
    mkdirSync(join(root, 'infra', 'files'), { recursive: true });
    writeFileSync(join(root, 'outside.txt'), 'kept out\n');
    writeFileSync(join(root, 'infra', 'files', 'authorized_keys'), '# no keys\n');
    writeFileSync(join(root, 'infra', 'main.tf'), 'locals {\n  keys  = file("${path.module}/files/authorized_keys")\n  other = file("${path.module}/../outside.txt")\n}\nresource "aws_ssm_parameter" "p" {\n  name  = "/x"\n  type  = "String"\n  value = "${local.keys}${local.other}"\n}\n');
    const r = await run([join(root, 'infra'), '--format', 'json']);
    const missing = (JSON.parse(r.out) as { findings: { code: string; message: string }[] }).findings.filter((f) => f.code === 'RF903' && /which file\(\) reads/.test(f.message)).map((f) => f.message.replace(/^.*evidence given: /, '').replace(/, which.*$/, '').replace(/^.*[\\/]/, ''));
    expect(missing).toEqual(['outside.txt']);
  });

  it('a module folder that does not exist: RF903 at the block, exit as the rest decides', async () => {
    const root = join(dir, 'missing-module');
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, 'main.tf'), 'module "gone" {\n  source = "./modules/gone"\n}\n');
    const r = await run([join(root, 'main.tf'), '--format', 'json']);
    const findings = (JSON.parse(r.out) as { findings: { code: string; path: string; message: string }[] }).findings;
    expect(findings.filter((f) => f.code === 'RF903' && /module "gone" from \.\/modules\/gone is not read/.test(f.message)).map((f) => f.path.replace(/^.*[\\/]/, ''))).toEqual(['main.tf:1:1']);
  });
  it('a dangling link inside a folder is skipped with RF902, a loop of links is walked once, and the rest is read', async () => {
    const root = writeDeployment('links', baseDeployment());
    symlinkSync(join(dir, 'does-not-exist.yaml'), join(root, 'dangling.yaml'));
    mkdirSync(join(root, 'sub'));
    symlinkSync(root, join(root, 'sub', 'back-to-root'));
    const r = await run([root, '--format', 'json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { findings: { code: string; path: string; message: string }[] };
    const skipped = report.findings.filter((f) => f.code === 'RF902');
    expect(skipped.map((f) => f.message)).toEqual([`${join(root, 'dangling.yaml')} cannot be read (no such file or folder); skipped`]);
    // The deployment's files were read once, not again through the link back to the root.
    expect(report.findings.filter((f) => f.path.includes('back-to-root'))).toEqual([]);
  });

  it('a path named on the command line that does not exist is exit 2', async () => {
    const r = await run([join(dir, 'no-such-folder')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no such file or folder');
  });

  it('--output that cannot be written is exit 2 with the reason, not an internal error', async () => {
    const root = writeDeployment('output', baseDeployment());
    const inFolder = await run([root, '--output', join(dir, 'missing-folder', 'report.txt')]);
    expect(inFolder.code).toBe(2);
    expect(inFolder.err).toContain('its folder does not exist');
    const onFolder = await run([root, '--format', 'sarif', '--output', dir]);
    expect(onFolder.code).toBe(2);
    expect(onFolder.err).toContain('it is a folder');
  });
});

describe('doctor --format sarif|codequality when the doctor cannot run (exit 2)', () => {
  interface Sarif {
    version: string;
    runs: { tool: { driver: { name: string } }; invocations: { executionSuccessful: boolean; exitCode: number; toolExecutionNotifications: { level: string; message: { text: string } }[] }[]; results: unknown[] }[];
  }
  interface Issue {
    description: string;
    check_name: string;
    fingerprint: string;
    severity: string;
    location: { path: string; lines: { begin: number } };
  }
  const missing = join(dir, 'not-there');
  const sarifSays = (text: string, reason: string) => {
    const s = JSON.parse(text) as Sarif;
    expect(s.version).toBe('2.1.0');
    expect(s.runs).toHaveLength(1);
    expect(s.runs[0]!.tool.driver.name).toBe('runner-fleet doctor');
    expect(s.runs[0]!.results).toEqual([]);
    const inv = s.runs[0]!.invocations;
    expect(inv).toHaveLength(1);
    expect(inv[0]!.executionSuccessful).toBe(false);
    expect(inv[0]!.exitCode).toBe(2);
    expect(inv[0]!.toolExecutionNotifications.map((n) => n.level)).toEqual(['error']);
    expect(inv[0]!.toolExecutionNotifications[0]!.message.text).toContain(reason);
  };
  const codeQualitySays = (text: string, reason: string) => {
    const issues = JSON.parse(text) as Issue[];
    expect(Array.isArray(issues)).toBe(true);
    expect(issues).toHaveLength(1);
    const i = issues[0]!;
    expect(i.check_name).toBe('runner-fleet-doctor-input');
    expect(i.description).toContain('exited 2');
    expect(i.description).toContain(reason);
    expect(i.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(['info', 'minor', 'major', 'critical', 'blocker']).toContain(i.severity);
    expect(i.location.path).toBe('.');
    expect(i.location.lines.begin).toBe(1);
  };

  it('a path that does not exist: SARIF on stdout with a failed invocation and the reason', async () => {
    const r = await run([missing, '--format', 'sarif']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no such file or folder');
    sarifSays(r.out, 'no such file or folder');
  });

  it('a path that does not exist: a Code Quality array with the problem as one issue', async () => {
    const r = await run([missing, '--format', 'codequality']);
    expect(r.code).toBe(2);
    codeQualitySays(r.out, 'no such file or folder');
  });

  it('with --output the report is in that file (where the CI job uploads it from)', async () => {
    const file = join(dir, 'gl-code-quality-failed.json');
    const r = await run([missing, '--format', 'codequality', '--output', file]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    codeQualitySays(readFileSync(file, 'utf8'), 'no such file or folder');
    const sarifFile = join(dir, 'failed.sarif');
    const s = await run(['--region', 'eu-west-1', '--format', 'sarif', '--output', sarifFile]);
    expect(s.code).toBe(2);
    sarifSays(readFileSync(sarifFile, 'utf8'), '--region, --profile and --eks-cluster are for --aws');
  });

  it('an --output that is one of the files read is never written: the report goes to stdout', async () => {
    const root = writeDeployment('output-is-input', baseDeployment());
    const victim = join(root, 'deploy', 'values.yaml');
    const original = readFileSync(victim, 'utf8');
    const r = await run([root, '--format', 'codequality', '--output', victim]);
    expect(r.code).toBe(2);
    expect(readFileSync(victim, 'utf8')).toBe(original);
    codeQualitySays(r.out, 'is one of the files read');
  });

  it('a command line that cannot be parsed: the report on stdout, exit 2', async () => {
    const r = await run([missing, '--format', 'sarif', '--no-such-option']);
    expect(r.code).toBe(2);
    sarifSays(r.out, 'no-such-option');
    const q = await run([missing, '--format=codequality', '--no-such-option']);
    expect(q.code).toBe(2);
    codeQualitySays(q.out, 'no-such-option');
  });
});
