import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * Malformed values in otherwise sound deployments of the doctor corpus, one per crash class the
 * doctor fuzzer (test/fuzz/doctor-engine.ts) found: each must give a finding at the value (or be
 * read as the API server reads it), never an exception, and the unedited deployment must not
 * give that finding.
 */
const CORPUS = join(import.meta.dirname, 'doctor');


/** The deployment with `from` replaced by `to` in one file (`from` must be there). */
function edited(deployment: string, file: string, from: string, to: string): InputFile[] {
  return corpusFiles(join(CORPUS, deployment)).map((f) => {
    if (f.path !== file) return f;
    const text = Buffer.from(f.bytes).toString('utf8');
    if (!text.includes(from)) throw new Error(`${deployment}/${file} has no ${JSON.stringify(from)}`);
    return { ...f, bytes: Buffer.from(text.replace(from, to)) };
  });
}

const lineOf = (files: InputFile[], file: string, needle: string) => {
  const text = Buffer.from(files.find((f) => f.path === file)!.bytes).toString('utf8');
  return text.slice(0, text.indexOf(needle)).split('\n').length;
};

const SUBJECT = '  - kind: ServiceAccount\n    name: gitlab-runner\n    namespace: gitlab';

describe('doctor: Kubernetes fields of a shape the API server refuses', () => {
  const cases: [string, string, string, string, string, RegExp][] = [
    ['a null subject', 'corpus/irsa-guide-sound', 'k8s.yaml', `subjects:\n${SUBJECT}`, `subjects:\n  - null\n${SUBJECT}`, /RoleBinding gitlab-runner: subjects\[0\] is null, not a mapping/],
    ['subjects as a string', 'corpus/irsa-guide-sound', 'k8s.yaml', `subjects:\n${SUBJECT}`, 'subjects: gitlab-runner', /subjects is a string, not a list/],
    ['a null RBAC rule', 'corpus/irsa-guide-sound', 'k8s.yaml', 'rules:\n  - apiGroups: [""]', 'rules:\n  - ~\n  - apiGroups: [""]', /Role gitlab-runner: rules\[0\] is null, not a mapping/],
    ['a number among verbs', 'corpus/irsa-guide-sound', 'k8s.yaml', 'verbs: [get, list', 'verbs: [7, list', /rules\[0\]\.?.*verbs\[0\] is a number, not a string|verbs\[0\] is a number, not a string/],
    ['roleRef as a list', 'corpus/irsa-guide-sound', 'k8s.yaml', 'roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: gitlab-runner', 'roleRef: [Role]', /roleRef is a list, not a mapping/],
    ['an annotation that is a number', 'corpus/irsa-guide-sound', 'k8s.yaml', '  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/gitlab-runner-manager', '  annotations:\n    eks.amazonaws.com/role-arn: 12', /annotations\.eks\.amazonaws\.com\/role-arn is a number, not a string/],
  ];
  it.each(cases)('%s: RF901 at the field, the object left out, no crash', (_name, deployment, file, from, to, message) => {
    const base = doctor(corpusFiles(join(CORPUS, deployment)));
    expect(base.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    const files = edited(deployment, file, from, to);
    const r = doctor(files);
    const hit = r.findings.filter((f) => f.code === 'RF901');
    expect(hit.length, JSON.stringify(r.findings, null, 1)).toBe(1);
    expect(hit[0]!.message).toMatch(message);
    expect(hit[0]!.path).toMatch(new RegExp(`^${file}:\\d+:\\d+$`));
    expect(r.exitCode).toBe(1);
  });

  it('the finding points at the offending line', () => {
    const files = edited('corpus/irsa-guide-sound', 'k8s.yaml', `subjects:\n${SUBJECT}`, `subjects:\n  - kind: ServiceAccount\n    name: gitlab-runner\n    namespace: gitlab\n  - null`);
    const hit = doctor(files).findings.find((f) => f.code === 'RF901')!;
    expect(hit.message).toContain('subjects[1] is null');
    expect(hit.path).toBe(`k8s.yaml:${lineOf(files, 'k8s.yaml', '  - null')}:5`);
  });

  it('subjects: null is read as no subjects, as the API server reads it', () => {
    const r = doctor(edited('corpus/irsa-guide-sound', 'k8s.yaml', `subjects:\n${SUBJECT}`, 'subjects: null'));
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    // The manager's binding is gone, so the chain no longer holds.
    expect(r.exitCode).toBe(1);
  });

  it('a null container in a workload is RF901, not a crash', () => {
    const r = doctor(edited('azure/deployment-manager', 'k8s/deployment.yaml', 'containers:\n', 'containers:\n        - null\n'));
    const hit = r.findings.filter((f) => f.code === 'RF901');
    expect(hit.map((f) => f.message).join('\n')).toMatch(/containers\[0\] is null, not a mapping/);
  });

  it('an env var whose value is null (helm template of a value left out) is read as unset, not RF901', () => {
    const image = '          image: registry.gitlab.com/gitlab-org/gitlab-runner:v18.5.0\n';
    const base = doctor(corpusFiles(join(CORPUS, 'azure/deployment-manager')));
    const r = doctor(edited('azure/deployment-manager', 'k8s/deployment.yaml', image, `${image}          env:\n            - name: CI_SERVER_URL\n              value:\n`));
    expect(r.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(r.findings.map((f) => f.code)).toEqual(base.findings.map((f) => f.code));
    // twin: a value that is a mapping is still RF901 at it.
    const bad = doctor(edited('azure/deployment-manager', 'k8s/deployment.yaml', image, `${image}          env:\n            - name: CI_SERVER_URL\n              value: { a: 1 }\n`));
    expect(bad.findings.filter((f) => f.code === 'RF901').map((f) => f.message)).toEqual([expect.stringMatching(/env\[0\]|value is a mapping, not a string/)]);
  });

  it('a YAML mapping key that is a list gives no process warning', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      doctor(edited('corpus/irsa-guide-sound', 'values.yaml', 'rbac:', '? [a, b]\n: c\nrbac:'));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('doctor: cache sections and policies the models refuse', () => {
  it('an S3 BucketLocation that is not a region is RF901 at that line', () => {
    const files = edited('corpus/irsa-guide-sound', 'values.yaml', 'BucketLocation = "eu-west-1"', 'BucketLocation = "Mars"');
    const r = doctor(files);
    const hit = r.findings.filter((f) => f.code === 'RF901');
    expect(hit.length, JSON.stringify(r.findings, null, 1)).toBe(1);
    expect(hit[0]!.message).toMatch(/\[runners\.cache\.s3\] BucketLocation "Mars" cannot be read as an S3 cache/);
    // The TOML is embedded in the chart's runners.config: the position is within that value.
    const [line] = /:(\d+):\d+$/.exec(hit[0]!.path)!.slice(1).map(Number);
    expect(hit[0]!.path).toMatch(/^values\.yaml:\d+:\d+$/);
    expect(line).toBeGreaterThanOrEqual(lineOf(files, 'values.yaml', 'config: |'));
    expect(line).toBeLessThanOrEqual(lineOf(files, 'values.yaml', 'BucketLocation'));
  });

  it('an Azure AccountName that is not a storage account name is RF901, not a crash', () => {
    const r = doctor(edited('azure/quickstart-sound', 'helm/values.yaml', 'AccountName = "contosorunnercache"', 'AccountName = "Contoso_Runner_Cache"'));
    const hit = r.findings.filter((f) => f.code === 'RF901');
    expect(hit.map((f) => f.message).join('\n')).toMatch(/\[runners\.cache\.azure\] AccountName names "Contoso_Runner_Cache", which is not a storage account name/);
    expect(hit[0]!.path).toMatch(/^helm\/values\.yaml:\d+:\d+$/);
  });

  it('an empty lifecycle rule block is read as a rule that does not expire anything', () => {
    const dir = 'azure/blog-one-identity';
    const base = doctor(corpusFiles(join(CORPUS, dir)));
    const r = doctor(edited(dir, 'main.tf.json', '"rule": [\n          {', '"rule": [\n          null,\n          {'));
    // The same findings as without the null rule: the remaining rule still expires the cache.
    expect(r.findings.map((f) => f.code).sort()).toEqual(base.findings.map((f) => f.code).sort());
  });

  it('a Terraform trust policy with a statement that names no principal is RF901, not an evaluator error', () => {
    const dir = 'corpus/dynamic-list-key-drift';
    const from = '    principals {\n      type        = "Federated"\n      identifiers = [local.oidc_arn]\n    }\n    condition {\n      test     = "StringEquals"\n      variable = "${local.oidc_issuer}:sub"';
    const r = doctor(edited(dir, 'terraform/iam.tf', from, '    condition {\n      test     = "StringEquals"\n      variable = "${local.oidc_issuer}:sub"'));
    const hit = r.findings.filter((f) => f.code === 'RF901');
    expect(hit.map((f) => f.message).join('\n')).toMatch(/assume_role_policy.*is not a valid IAM policy document: resource policy statement without Principal\/NotPrincipal/);
    expect(hit[0]!.path).toMatch(/^terraform\/iam\.tf:\d+:\d+$/);
  });

  it('a trust policy (aws iam get-role output) with a statement that names no principal is RF901, not an evaluator error', () => {
    const dir = 'corpus/irsa-guide-sound';
    const file = 'iam/gitlab-runner-manager.trust.json';
    const doc = JSON.parse(readFileSync(join(CORPUS, dir, file), 'utf8')) as { Statement: Record<string, unknown>[] };
    delete doc.Statement[0]!.Principal;
    const getRole = { Role: { RoleName: 'gitlab-runner-manager', Path: '/', Arn: 'arn:aws:iam::111122223333:role/gitlab-runner-manager', AssumeRolePolicyDocument: doc } };
    const r = doctor(corpusFiles(join(CORPUS, dir)).map((f) => (f.path === file ? { path: 'iam/get-role-gitlab-runner-manager.json', bytes: Buffer.from(JSON.stringify(getRole, null, 2)) } : f)));
    const hit = r.findings.filter((f) => f.code === 'RF901');
    expect(hit.map((f) => f.message).join('\n')).toMatch(/trust policy of role gitlab-runner-manager is not an IAM policy document the doctor can evaluate: resource policy statement without Principal\/NotPrincipal/);
    expect(hit[0]!.path).toMatch(/^iam\/get-role-gitlab-runner-manager\.json:\d+:\d+$/);
  });
});

describe('doctor: a kubectl List with items that are not Kubernetes objects', () => {
  // The deployment's Kubernetes objects as `kubectl get ... -o json` prints them, one List file.
  const asList = (extra: unknown[]): InputFile[] => {
    const files = corpusFiles(join(CORPUS, 'corpus/irsa-guide-sound'));
    const k8s = files.find((f) => f.path === 'k8s.yaml')!;
    const items = parseAllDocuments(Buffer.from(k8s.bytes).toString('utf8')).map((d) => d.toJS() as unknown);
    const list = { apiVersion: 'v1', kind: 'List', items: [...items, ...extra] };
    return [...files.filter((f) => f !== k8s), { path: 'dump.json', bytes: Buffer.from(JSON.stringify(list, null, 1)) }];
  };

  it('reads the objects of a List as the objects themselves', () => {
    const direct = doctor(corpusFiles(join(CORPUS, 'corpus/irsa-guide-sound')));
    const viaList = doctor(asList([]));
    expect(viaList.findings.filter((f) => f.code === 'RF901')).toEqual([]);
    expect(direct.proofs.length).toBeGreaterThan(3);
    expect(direct.proofs.every((p) => typeof p.claim === 'string')).toBe(true);
    expect(viaList.proofs.map((p) => [p.claim, p.holds])).toEqual(direct.proofs.map((p) => [p.claim, p.holds]));
  });

  it('RF901 at each item without apiVersion and kind (or not a mapping); the objects are still read', () => {
    const files = asList([{ kind: 'ServiceAccount', metadata: { name: 'stray', namespace: 'gitlab' } }, null, 'text', [1]]);
    const r = doctor(files);
    const hit = r.findings.filter((f) => f.code === 'RF901');
    const n = JSON.parse(Buffer.from(files.find((f) => f.path === 'dump.json')!.bytes).toString('utf8')).items.length as number;
    expect(hit.map((f) => f.message)).toEqual([
      `item ${n - 4} of a List is a mapping without apiVersion and kind, not a Kubernetes object; the doctor leaves it out`,
      `item ${n - 3} of a List is null, not a Kubernetes object; the doctor leaves it out`,
      `item ${n - 2} of a List is a string, not a Kubernetes object; the doctor leaves it out`,
      `item ${n - 1} of a List is a list, not a Kubernetes object; the doctor leaves it out`,
    ]);
    for (const f of hit) expect(f.path).toMatch(/^dump\.json:\d+:\d+$/);
    expect(r.proofs.map((p) => [p.claim, p.holds])).toEqual(doctor(asList([])).proofs.map((p) => [p.claim, p.holds]));
  });
});

describe('doctor: a TOML table where a config.toml holds a name (executor = { … })', () => {
  // smol-toml gives a table as an object without a prototype, which String() cannot convert: every
  // reader that took `String(get(…))` of executor, token or a name threw (the fuzzer's case seed
  // 407098026 of seed 20264002: a mounted config.toml's executor turned into a table).
  const cases: [string, string, string, string][] = [
    ['a mounted config.toml (AKS workload)', 'azure/deployment-manager', 'config.toml', 'executor = "kubernetes"'],
    ['the chart values\' runners.config', 'corpus/irsa-guide-sound', 'values.yaml', 'executor = "kubernetes"'],
    ['a config.toml alone, its second entry', 'corpus/config-toml-alone-docker-machine', 'config.toml', 'executor = "docker"'],
    ['a VM manager\'s user data', 'corpus/ec2-docker-hand-written', 'user-data.sh', 'executor = "docker"'],
    ['a docker-autoscaler manager\'s heredoc', 'corpus/ec2-autoscaler-hand-written', 'main.tf', 'executor = "docker-autoscaler"'],
  ];
  it.each(cases)('%s: no exception; the run ends with findings', (_, deployment, file, from) => {
    const r = doctor(edited(deployment, file, from, 'executor = { name = "docker" }'));
    expect([0, 1]).toContain(r.exitCode);
    expect(r.findings.length).toBeGreaterThan(0);
  });
});
