import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';
import { CODES } from '../src/spec/codes.js';
import { DOCTOR_CASES, baseDeployment, deploymentFiles } from './helpers/doctor.js';

describe('doctor on a hand-wired IRSA deployment', () => {
  it('the base deployment proves its chain: no error, every proof holds', () => {
    const r = doctor(deploymentFiles(baseDeployment()));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.filter((p) => /^only .* can assume/.test(p.claim)).length).toBe(2);
    expect(r.proofs.some((p) => p.claim.includes('reads and writes runner/ in cache'))).toBe(true);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it.each(DOCTOR_CASES)('$code: $rule', ({ code, mutate }) => {
    const base = doctor(deploymentFiles(baseDeployment()));
    expect(base.findings.map((f) => f.code)).not.toContain(code);
    const d = baseDeployment();
    mutate(d);
    const r = doctor(deploymentFiles(d));
    const hit = r.findings.filter((f) => f.code === code);
    expect(hit.length, JSON.stringify(r.findings, null, 1)).toBeGreaterThan(0);
    // Findings about files point at file:line:column.
    for (const f of hit) if (f.path !== '') expect(f.path).toMatch(/:\d+:\d+$/);
    expect(r.exitCode).toBe(r.findings.some((f) => f.severity === 'error') ? 1 : 0);
    void CODES;
  });
});

const enc = (s: string) => new TextEncoder().encode(s);

describe('doctor on malformed input: a finding for the file, never a crash', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const aliasBomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
  const cases: [string, string, Uint8Array, string | undefined][] = [
    ['broken YAML', 'a.yaml', enc('kind: [\n'), 'RF901'],
    ['broken JSON', 'a.json', enc('{"kind": '), 'RF901'],
    ['broken TOML', 'config.toml', enc('[[runners]\nname = 1'), 'RF901'],
    ['broken .tf.json', 'main.tf.json', enc('{"resource": {'), 'RF901'],
    ['YAML alias bomb', 'bomb.yaml', enc(aliasBomb), 'RF901'],
    ['deep nesting', 'deep.json', enc(deep(100_000)), 'RF901'],
    ['deep nesting in YAML', 'deep.yaml', enc(deep(5_000)), 'RF901'],
    ['a binary file', 'x.yaml', new Uint8Array([0, 1, 2, 3]), 'RF902'],
    ['HCL: a block that is not closed', 'main.tf', enc('resource "aws_iam_role" "x" {\n  name = "x"\n'), 'RF901'],
    ['HCL: a heredoc without its end marker', 'main.tf', enc('locals {\n  x = <<EOT\n  text\n}\n'), 'RF901'],
    ['HCL: a string that is not closed', 'main.tf', enc('locals {\n  x = "abc\n}\n'), 'RF901'],
    ['HCL: an interpolation that is not closed', 'main.tf', enc('locals {\n  x = "${local.y"\n}\n'), 'RF901'],
    ['HCL: two attributes on one line', 'main.tf', enc('locals {\n  x = 1 y = 2\n}\n'), 'RF901'],
    ['HCL: a stray closing brace', 'main.tf', enc('}\n'), 'RF901'],
    ['HCL: binary bytes', 'main.tf', new Uint8Array([0x72, 0x65, 0x73, 0, 0xff, 0xfe]), 'RF902'],
    ['HCL: invalid UTF-8 and control bytes', 'main.tf', new Uint8Array([0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x73, 0x20, 0x7b, 0x0a, 0x78, 0x3d, 0xc3, 0x28, 0x01, 0x0a, 0x7d]), 'RF901'],
    ['HCL: 1 MB of nested brackets', 'main.tf', enc(`locals {\n  x = ${'['.repeat(1_000_000)}\n}\n`), 'RF901'],
    ['HCL: 1 MB of nested blocks', 'main.tf', enc('a {\n'.repeat(250_000)), 'RF901'],
    ['HCL: 1 MB of chained traversals', 'main.tf', enc(`locals {\n  x = local${'.a'.repeat(500_000)}\n}\n`), 'RF901'],
    ['HCL: 1 MB of chained operators', 'main.tf', enc(`locals {\n  x = 1${' + 1'.repeat(250_000)}\n}\n`), 'RF901'],
    ['HCL: 20,000 locals each naming the next', 'main.tf', enc(`locals {\n${Array.from({ length: 20_000 }, (_, i) => `  l${i} = local.l${i + 1}\n`).join('')}  l20000 = 1\n}\nresource "aws_iam_role" "r" {\n  name = "r-\${local.l0}"\n  assume_role_policy = "{}"\n}\n`), 'RF906'],
    ['HCL: a policy document the IAM grammar refuses', 'main.tf', enc('resource "aws_iam_role" "r" {\n  name = "r"\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n'), 'RF901'],
    ['an IAM JSON file the IAM grammar refuses', 'r.trust.json', enc('{"Statement": [{"Effect": "Allow", "Action": "sts:Assume Role", "Principal": {"Service": "ec2.amazonaws.com"}}]}'), 'RF901'],
    ['HCL: 1 MB of nested parentheses and unary minus', 'main.tf', enc(`locals {\n  x = ${'(-'.repeat(500_000)}1\n}\n`), 'RF901'],
    ['an unknown extension named on the command line', 'notes.txt', enc('hello'), 'RF902'],
    ['a Kubernetes object without a name', 'sa.yaml', enc('apiVersion: v1\nkind: ServiceAccount\nmetadata: {}\n'), 'RF901'],
    ['wrong kinds everywhere', 'w.yaml', enc('apiVersion: 3\nkind: 5\n---\n- 1\n---\n"text"\n---\nrunners: 7\nrbac: x\n'), undefined],
    ['values with a broken runners.config', 'values.yaml', enc('gitlabUrl: https://g\nserviceAccount: {name: m}\nrunners:\n  config: "[[runners"\n'), 'RF901'],
    ['an empty file', 'e.yaml', enc(''), undefined],
  ];
  it('3,000 levels of block YAML: the depth message at the line, not a stack overflow (found by a black-box run)', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i)}k${i}:\n`).join('');
    const r = doctor([{ path: 'deep-block.yaml', bytes: enc(text) }]);
    const f = r.findings.find((x) => x.code === 'RF901');
    expect(f?.message).toMatch(/nests values more than 200 levels deep/);
    expect(f?.path).toBe('deep-block.yaml:201:401');
    expect(r.findings.some((x) => /call stack/.test(x.message))).toBe(false);
  });
  it.each(cases)('%s', (_name, path, bytes, code) => {
    const r = doctor([{ path, bytes }]);
    if (code) expect(r.findings.map((f) => f.code)).toContain(code);
    for (const f of r.findings.filter((x) => x.code === 'RF901')) expect(f.path).toMatch(new RegExp(`^${path.replace('.', '\\.')}:\\d+:\\d+$`));
  });

  it('a whole deployment whose chart values hold broken runners.config TOML: RF901 on the file and a broken chain, never a crash', () => {
    const files = deploymentFiles(baseDeployment()).map((f) => (f.path === 'deploy/values.yaml' ? { ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace(/\[\[runners\]\]/, '[[runners]] {[')) } : f));
    expect(new TextDecoder().decode(files.find((f) => f.path === 'deploy/values.yaml')!.bytes)).toContain('{[');
    const r = doctor(files);
    expect(r.findings.find((f) => f.code === 'RF901')?.path).toMatch(/^deploy\/values\.yaml:\d+:\d+$/);
    expect(r.findings.some((f) => f.code === 'RF106' && f.message.includes('runners.config is not valid TOML'))).toBe(true);
    expect(r.exitCode).toBe(1);
  });

  it('a file over the size limit is skipped by size, unread', () => {
    const r = doctor([{ path: 'huge.yaml', bytes: new Uint8Array(0), size: 50 * 1024 * 1024 }]);
    expect(r.findings.map((f) => f.code).sort()).toEqual(['RF902', 'RF910']);
  });
});

describe("files of another tool's template engine (found on erik78se/operator-gitlab-runner, a Juju charm)", () => {
  const run = (path: string, text: string) => doctor([{ path, bytes: enc(text) }]).findings;
  it.each([
    ['a Jinja config.toml', 'charm/templates/config.toml', 'concurrent = {{concurrent}}\ncheck_interval = 3\n[[runners]]\n  name = "{{name}}"\n', 'TOML', '{{concurrent}} (line 1)'],
    ['an ERB config.toml', 'config.toml', '[[runners]]\n  limit = <%= @limit %>\n', 'TOML', '<%= @limit %> (line 2)'],
    ['a Jinja loop in YAML', 'values.yaml', 'runners:\n{% for r in runners %}\n  - name: {{ r }}\n{% endfor %}\n', 'YAML', '{% for r in runners %} (line 2)'],
  ])('%s is a template (RF902), not an RF901 syntax error', (_what, path, text, format, shown) => {
    const r = run(path, text);
    expect(r.filter((f) => f.code === 'RF901')).toEqual([]);
    const skipped = r.filter((f) => f.code === 'RF902');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.message).toContain(`is a template of another tool, not ${format} as written: ${shown}`);
    expect(skipped[0]!.path).toMatch(new RegExp(`^${path.replace(/\./g, '\\.')}:\\d+:\\d+$`));
  });
  it('markup away from the line the parser stops on is no excuse: a TOML error elsewhere stays RF901', () => {
    const r = run('config.toml', 'name = "{{name}}"\n[[runners]\nlimit = 1\n');
    expect(r.map((f) => f.code)).toContain('RF901');
    expect(r.some((f) => f.code === 'RF902')).toBe(false);
  });
  it("a template's credentials are still found, and markup holding one is not echoed", () => {
    const token = 'glrt-EXAMPLEexampleEXAMPLE12';
    const r = run('config.toml', `[[runners]]\n  token = "${token}"\n  limit = {{ limit | default("${token}") }}\n`);
    expect(r.map((f) => f.code)).toEqual(expect.arrayContaining(['RF902', 'RF940']));
    expect(JSON.stringify(r)).not.toContain(token);
  });
});

describe('ytt (Carvel) templates (public voor/gitlab-runner-helm-imgpkg)', () => {
  const run = (path: string, text: string) => doctor([{ path, bytes: enc(text) }]).findings;
  const NAMESPACE = '#@ load("@ytt:data", "data")\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: #@ data.values.namespace\n';
  it('a Namespace whose name ytt fills in is RF902 at the first annotation, not RF901 "without metadata.name"', () => {
    const r = run('config/ns.yaml', NAMESPACE);
    expect(r.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(r.filter((f) => f.code === 'RF902').map((f) => [f.path, f.message])).toEqual([['config/ns.yaml:1:1', expect.stringContaining('is a ytt (Carvel) template, not YAML as written')]]);
  });
  it('an inline `key: #@ expr` alone makes the file a template; its credentials still count', () => {
    const token = 'glrt-EXAMPLEexampleEXAMPLE12';
    const r = run('values.yaml', `runnerToken: ${token}\nnamespace: #@ data.values.ns\n`);
    expect(r.filter((f) => f.code === 'RF902').map((f) => f.path)).toEqual(['values.yaml:2:12']);
    expect(r.map((f) => f.code)).toContain('RF940');
    expect(JSON.stringify(r)).not.toContain(token);
  });
  it('twin: a data values file marked only `#@data/values`, and plain YAML with `#@` inside a value, are read as YAML', () => {
    expect(run('config/ns.yaml', NAMESPACE.replace(/#@ .*\n/, '').replace('#@ data.values.namespace', 'gitlab-runner')).map((f) => f.code)).not.toContain('RF902');
    const values = run('chart/values.yaml', '#@data/values\n---\ngitlabUrl: https://gitlab.example.com/\nrbac:\n  create: true\n');
    expect(values.map((f) => f.code)).not.toContain('RF902');
    expect(values.map((f) => f.code)).toContain('RF907');
    expect(run('a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  mail: "ops#@example.com"\n').map((f) => f.code)).not.toContain('RF902');
  });
});

describe('files that borrow the form of a Kubernetes object without being one', () => {
  // DoD-Platform-One/gitlab-runner's kind-config.yaml gave a false RF901 error "a Cluster without metadata.name".
  const run = (path: string, text: string) => doctor([{ path, bytes: enc(text) }]).findings.filter((f) => f.code === 'RF901');
  it.each([
    ['kind\'s cluster configuration', 'kind-config.yaml', 'kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n'],
    ['a Kustomization', 'kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - runner.yaml\n'],
    ['a kubeconfig', 'kubeconfig.yaml', 'apiVersion: v1\nkind: Config\nclusters: []\n'],
    ['a kubelet configuration', 'kubelet.yaml', 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n'],
    // alekc/gitlab-runner-operator's config/manager: a false RF901 error "a ControllerManagerConfig without metadata.name".
    ['controller-runtime\'s manager configuration', 'controller_manager_config.yaml', 'apiVersion: controller-runtime.sigs.k8s.io/v1alpha1\nkind: ControllerManagerConfig\nhealth:\n  healthProbeBindAddress: :8081\n'],
  ])('%s is not read, and is no RF901', (_what, path, text) => {
    expect(run(path, text)).toEqual([]);
  });
  it.each([
    ['apps/v1', 'Deployment'],
    ['v1', 'ServiceAccount'],
    ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ])('an object of the cluster\'s API (%s %s) without metadata.name is still RF901', (apiVersion, kind) => {
    expect(run('x.yaml', `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {}\n`).map((f) => f.message)).toEqual([`a ${kind} without metadata.name`]);
  });
  // Named only by generateName (valid to `kubectl create`): not read, said as RF902 (info), no RF901 error.
  it('a Job named only by metadata.generateName is RF902, not RF901', () => {
    const r = doctor([{ path: 'job.yaml', bytes: enc('apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: register-\nspec: {}\n') }]).findings;
    expect(r.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(r.filter((f) => f.code === 'RF902').map((f) => [f.path, f.message])).toEqual([['job.yaml:1:1', 'a Job named only by metadata.generateName (register-…): the API server makes its name when `kubectl create` creates it, so nothing in the files can name it; not read']]);
  });
});
