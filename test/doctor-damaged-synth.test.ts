import { describe, expect, it } from 'vitest';
import { damagedFiles, exampleFiles, type DamagedRoot } from './helpers/fleet.js';
import { doctor, type InputFile } from '../src/doctor/index.js';

/**
 * The doctor on what `synth` writes, with one document damaged: findings, never an internal error.
 * Found by the doctor fuzzer once it also mutated the golden synth outputs (seed 20261223, cases
 * 2592, 10968, 14053, 19818, 25435 and others of the same kinds); each threw before.
 */
type Root = DamagedRoot;
const damaged = damagedFiles;

const codes = (files: InputFile[]) => doctor(files).findings.map((f) => f.code);

describe('a bucket policy the evaluator cannot read', () => {
  const policyOf = (root: Root) => root.resource.aws_s3_bucket_policy!.cache_shared!;
  it('as generated: proven TLS-only, no RF901', () => {
    const r = doctor(damaged('eks-irsa', 'terraform/aws/main.tf.json', () => undefined));
    expect(r.findings.map((f) => f.code)).not.toContain('RF901');
    expect(r.findings.map((f) => f.code)).not.toContain('RF205');
  });

  it.each([
    ['missing', (root: Root) => delete policyOf(root).policy, /the policy is missing/],
    ['a list instead of a JSON text', (root: Root) => (policyOf(root).policy = ['x']), /the policy is a list, not a JSON text/],
    ['not JSON', (root: Root) => (policyOf(root).policy = '{"Version": "2012-10-17", "Statement": [}'), /it is not JSON/],
    ['a principal type IAM does not have', (root: Root) => (policyOf(root).policy = String(policyOf(root).policy).replace('"Principal":"*"', '"Principal":{"Bool":"x"}')), /unsupported principal type "Bool"/],
    ['a resource that is no ARN', (root: Root) => (policyOf(root).policy = String(policyOf(root).policy).replace('"arn:aws:s3:::acme-runner-cache"', '"bucket"')), /is neither "\*" nor an ARN/],
  ])('%s: RF901 for the policy, and TLS-only is not proven (RF205)', (_name, change, problem) => {
    const files = damaged('eks-irsa', 'terraform/aws/main.tf.json', change);
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    const rf901 = r!.findings.find((f) => f.code === 'RF901' && /bucket policy of acme-runner-cache \(aws_s3_bucket_policy\.cache_shared\) cannot be evaluated/.test(f.message));
    expect(rf901?.message).toMatch(problem);
    // At the policy resource in the Terraform file, not at the cache section of config.toml.
    const at = /^terraform\/aws\/main\.tf\.json:(\d+):\d+$/.exec(rf901!.path);
    expect(at, rf901!.path).not.toBeNull();
    const text = new TextDecoder().decode(files.find((f) => f.path === 'terraform/aws/main.tf.json')!.bytes).split('\n');
    expect(text.slice(Number(at![1]) - 3, Number(at![1]) + 1).join('\n')).toMatch(/"aws_s3_bucket_policy"[\s\S]*"cache_shared"/);
    expect(r!.findings.map((f) => f.code)).toContain('RF205');
    expect(r!.exitCode).toBe(1);
  });
});

describe('a bucket policy without statements the VPC-endpoint reader can use', () => {
  // Doctor fuzz seed 20261230, case 1930067852: a policy whose Statement was gone threw
  // "Cannot read properties of undefined (reading 'Effect')" while the cache was read from config.toml.
  it.each([
    ['JSON null', 'null'],
    ['no Statement', '{"Version":"2012-10-17"}'],
    ['statements that are not objects', '{"Version":"2012-10-17","Statement":[null,3,"x",{"Effect":"Deny","Condition":null},{"Effect":"Deny","Condition":{"StringNotEquals":null}}]}'],
  ])('%s: findings, no internal error', (_name, text) => {
    const files = damaged('eks-irsa', 'terraform/aws/main.tf.json', (root) => {
      root.resource.aws_s3_bucket_policy!.cache_shared!.policy = text;
    });
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    expect(r!.findings.map((f) => f.code)).toContain('RF205');
  });
});

describe('a Fargate task definition whose task role is not in the documents', () => {
  it('the task-passing proof does not hold (it threw reading the job identity); a role without a name is named at apply: not shown (RF903), never RF106', () => {
    const sound = doctor(damaged('ecs-fargate', 'terraform/aws/main.tf.json', () => undefined));
    const claim = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => /^the manager runs tasks only of family/.test(p.claim));
    expect(claim(sound)?.holds).toBe(true);
    // The role's name is no longer literal (as the fuzzer's damage did): the doctor cannot match the task role to it.
    const files = damaged('ecs-fargate', 'terraform/aws/main.tf.json', (root) => {
      const role = root.resource.aws_iam_role!['fargate-jobs']!;
      role.nameless = role.name;
      delete role.name;
    });
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    // Terraform names a role without name at apply: the task role is that role (its trust and policies are read), its name is not shown.
    expect(r!.findings.filter((f) => f.code === 'RF106').map((f) => f.message)).toEqual([]);
    expect(r!.findings.some((f) => f.code === 'RF903' && /^the name of aws_iam_role\.fargate-jobs is not shown: the role has no name/.test(f.message))).toBe(true);
    // The manager's iam:PassRole names the role's ARN written out: whether that is the role is not shown (before: "cannot", a false mismatch).
    const pass = r!.findings.find((f) => f.code === 'RF903' && /^whether .*iam:PassRole/.test(f.message));
    expect(pass?.message).toMatch(/^whether the manager role can iam:PassRole on arn:aws:iam::123456789012:role\/runner-fleet\/terraform-<suffix-picked-at-apply:aws_iam_role\.fargate-jobs> is not shown: the name of aws_iam_role\.fargate-jobs is picked only at apply/);
    expect(pass?.fix).toMatch(/^set name = "<role name>" on aws_iam_role\.fargate-jobs/);
    expect(claim(r!)?.holds).toBe(false);
  });
});

describe('GitLab settings outside what a spec allows', () => {
  it('a runner tag longer than 255 characters: the runner is still proven (it threw "doctor runner settings")', () => {
    const files = damaged('eks-irsa', 'terraform/gitlab/main.tf.json', (root) => {
      const runner = Object.values(root.resource.gitlab_user_runner!)[0]!;
      runner.tag_list = ['k8s', `build${'x'.repeat(400)}`];
    });
    let r: ReturnType<typeof doctor> | undefined;
    expect(() => (r = doctor(files))).not.toThrow();
    expect(r!.proofs.length).toBeGreaterThan(0);
    expect(codes(files)).not.toContain('RF305');
  });
});

/** What synth writes for an example, as the doctor's input files, with one text file edited and some files left out. */
function editedFiles(example: string, path: string, edit: (text: string) => string, without: RegExp = /^$/): InputFile[] {
  return exampleFiles(example)
    .filter((f) => !without.test(f.path))
    .map((f) => {
      const text = f.path === path ? edit(f.content) : f.content;
      if (f.path === path) expect(text, `${path} was not changed`).not.toBe(f.content);
      return { path: f.path, bytes: new TextEncoder().encode(text) };
    });
}

const proofsOf = (r: ReturnType<typeof doctor>, runner: string) => r.proofs.filter((p) => p.runner === runner);

describe('EKS Pod Identity: the manager association names a service account that does not exist', () => {
  const files = damaged('eks-pod-identity', 'terraform/aws/main.tf.json', (root) => {
    root.resource.aws_eks_pod_identity_association!['ci-manager']!.service_account = 'ci-mgr';
  });

  it('is an error at the association naming the service accounts that exist; the runner stays in the proofs', () => {
    const sound = doctor(damaged('eks-pod-identity', 'terraform/aws/main.tf.json', () => undefined));
    expect(sound.exitCode).toBe(0);
    const r = doctor(files);
    expect(r.exitCode).toBe(1);
    const rf904 = r.findings.find((f) => f.code === 'RF904' && f.message.includes('aws_eks_pod_identity_association.ci-manager'));
    expect(rf904?.message).toMatch(/binds service account gitlab-runner-ci\/ci-mgr, which does not exist among the objects given \(namespace gitlab-runner-ci has ci-jobs, ci-manager\)/);
    expect(rf904?.path).toMatch(/^terraform\/aws\/main\.tf\.json:\d+:\d+$/);
    // Not "no identity of its own, so it runs with the node's role": it has one, broken.
    expect(r.findings.filter((f) => f.code === 'RF911')).toEqual([]);
    // Every proof of the runner is still listed (as many as when sound); those that need the association fail.
    const proofs = proofsOf(r, 'ci');
    expect(proofs.length).toBe(proofsOf(sound, 'ci').length);
    const holds = (re: RegExp) => proofs.find((p) => re.test(p.claim))?.holds;
    expect(holds(/^only .*gitlab-runner-ci\/ci-manager can assume the manager role/)).toBe(false);
    expect(holds(/^every reference resolves/)).toBe(false);
    expect(holds(/^the manager reads and writes/)).toBe(false);
    // The jobs' own chain does not depend on it.
    expect(holds(/^only .*gitlab-runner-ci\/ci-jobs can assume the jobs role/)).toBe(true);
    expect(holds(/^jobs cannot reach cache/)).toBe(true);
  });
});

describe('IRSA: the service account asks for a token audience the role trust does not admit', () => {
  const files = editedFiles('eks-irsa', 'kubernetes/build/service-accounts.yaml', (text) => text.replace('eks.amazonaws.com/audience: sts.amazonaws.com', 'eks.amazonaws.com/audience: gitlab-runner'));

  it('is an error naming both values and both files, and the manager cannot assume its role', () => {
    const r = doctor(files);
    expect(r.exitCode).toBe(1);
    const rf106 = r.findings.find((f) => f.code === 'RF106' && f.message.includes('eks.amazonaws.com/audience=gitlab-runner'));
    expect(rf106?.message).toMatch(/ci-build\/build-manager .*\(kubernetes\/build\/service-accounts\.yaml:\d+:\d+\).* aud gitlab-runner, but the trust of the manager role acme-build-manager \(terraform\/aws\/main\.tf\.json:\d+:\d+\) admits aud sts\.amazonaws\.com/);
    expect(rf106?.path).toMatch(/^kubernetes\/build\/service-accounts\.yaml:\d+:\d+$/);
    const holds = (re: RegExp) => proofsOf(r, 'build').find((p) => re.test(p.claim))?.holds;
    expect(holds(/^only .*ci-build\/build-manager can assume the manager role/)).toBe(false);
    expect(holds(/^every reference resolves/)).toBe(false);
    // The jobs' service account keeps the default audience: its proof holds.
    expect(holds(/^only .*ci-build\/build-jobs can assume the jobs role/)).toBe(true);
    // The other runner is untouched.
    expect(proofsOf(r, 'deploy').every((p) => p.holds)).toBe(true);
  });
});

describe("the chart's token Secret", () => {
  const values = (text: string) => text.replace('secret: deploy-runner-token', 'secret: deploy-runner-tokn');

  it('named in runners.secret but created by no document given: an error, and the chain does not resolve', () => {
    // As generated, the registration is read and nothing is said about it.
    const sound = doctor(editedFiles('eks-irsa', 'helm/deploy/values.yaml', (t) => `${t}\n`));
    expect(sound.findings.filter((f) => ['RF303', 'RF903', 'RF904'].includes(f.code))).toEqual([]);
    const r = doctor(editedFiles('eks-irsa', 'helm/deploy/values.yaml', values));
    expect(r.exitCode).toBe(1);
    const rf904 = r.findings.find((f) => f.code === 'RF904' && /token Secret ci-deploy\/deploy-runner-tokn \(runners\.secret\) is not created by any document given/.test(f.message));
    expect(rf904?.message).toMatch(/kubernetes_secret_v1\.deploy \(ci-deploy\/deploy-runner-token\)/);
    expect(rf904?.path).toMatch(/^helm\/deploy\/values\.yaml:\d+:\d+$/);
    expect(proofsOf(r, 'deploy').find((p) => /^every reference resolves/.test(p.claim))?.holds).toBe(false);
    // The runner is registered ref_protected and locked: the missing Secret is no evidence of the opposite.
    expect(r.findings.filter((f) => f.code === 'RF303')).toEqual([]);
  });

  it('created in another namespace: the same error, and no RF303 claim that the runner takes unprotected jobs', () => {
    const files = damaged('eks-irsa', 'terraform/gitlab/main.tf.json', (root) => {
      (root.resource.kubernetes_secret_v1!.deploy!.metadata as Record<string, unknown>).namespace = 'default';
    });
    const r = doctor(files);
    expect(r.findings.find((f) => f.code === 'RF904' && /token Secret ci-deploy\/deploy-runner-token \(runners\.secret\) is not created by any document given/.test(f.message))?.message).toMatch(/kubernetes_secret_v1\.deploy \(default\/deploy-runner-token\)/);
    expect(r.findings.filter((f) => f.code === 'RF303')).toEqual([]);
    expect(r.exitCode).toBe(1);
  });

  it('when the GitLab root is not given at all: missing evidence (RF903), not RF303', () => {
    const r = doctor(editedFiles('eks-irsa', 'helm/deploy/values.yaml', (t) => `${t}\n`, /^terraform\/gitlab\//));
    expect(r.findings.filter((f) => f.code === 'RF303')).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF904')).toEqual([]);
    const rf903 = r.findings.find((f) => f.code === 'RF903' && /powerful role .* is not shown/.test(f.message));
    expect(rf903?.severity).toBe('info');
    expect(rf903?.message).toMatch(/gitlab_user_runner whose token Secret ci-deploy\/deploy-runner-token the chart mounts\) is not in the evidence given/);
    expect(r.exitCode).toBe(0);
  });
});

describe('a VM runner whose jobs hold a powerful role', () => {
  it('is registered through the API, never in the files: RF903 says the registration is not shown, no RF303 claim that it takes unprotected jobs', () => {
    const r = doctor(damaged('ecs-fargate', 'terraform/aws/main.tf.json', (root) => {
      const p = root.resource.aws_iam_role_policy!['fargate-jobs']!;
      const doc = JSON.parse(String(p.policy)) as { Statement: unknown[] };
      doc.Statement.push({ Effect: 'Allow', Action: 'iam:CreateAccessKey', Resource: '*' });
      p.policy = JSON.stringify(doc);
    }));
    expect(r.findings.find((f) => f.code === 'RF306')?.message).toMatch(/iam:CreateAccessKey/);
    expect(r.findings.filter((f) => f.code === 'RF303')).toEqual([]);
    const rf903 = r.findings.find((f) => f.code === 'RF903' && /powerful role .* is not shown/.test(f.message));
    expect(rf903?.severity).toBe('info');
    expect(rf903?.message).toMatch(/registered through the GitLab API/);
  });
});
