import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { planValue, synthFiles, type PlanResult } from '../src/core.js';
import { verifyFleet } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { parseAzureOutputs } from '../src/spec/applied.js';
import { manifestProblems } from './helpers/k8s.js';
import { ROOT, exampleValue, planExample, planMutated } from './helpers/fleet.js';
import { AKS, AKS_CLIENT_IDS, MIXED, SUB, azureDocCases, azureSpecCases, k8sRoot, planWithOutputs, reverify } from './helpers/azure.js';

const find = (plan: PlanResult, code: string) => plan.findings.find((f) => f.code === code);
const codes = (plan: PlanResult) => plan.findings.map((f) => f.code);

describe('Azure rules a spec can trigger: failing and passing case each', () => {
  it.each(azureSpecCases)('%s fires on %s when the spec asks for it', (code, example, mutate, severity) => {
    const before = planExample(example);
    const after = planMutated(example, mutate);
    expect(after.exitCode).not.toBe(2);
    const hit = after.findings.find((f) => f.code === code && !f.acceptedBecause) ?? find(after, code);
    expect(hit, JSON.stringify(after.findings, null, 1)).toBeDefined();
    expect(hit!.severity).toBe(severity);
    expect(hit!.fix ?? '').not.toBe('');
    const beforeHit = find(before, code);
    if (beforeHit) expect(beforeHit.acceptedBecause).toBeDefined();
    if (severity === 'error') expect(after.exitCode).toBe(1);
  });

  it('RF601 names the gitlab settings, RF602 names the exact permission entry', () => {
    const open = planMutated(AKS, (s) => (s.runners[1].gitlab.protectedOnly = false));
    expect(find(open, 'RF601')).toMatchObject({ path: 'runners[1].gitlab', allowed: '{"locked":true,"protectedOnly":true}' });
    expect(codes(open)).not.toContain('RF602');
    const locked = planExample(AKS);
    expect(find(locked, 'RF602')).toMatchObject({ path: 'runners[1].jobs.permissions.azure[0]', severity: 'warning' });
    expect(find(locked, 'RF602')!.message).toContain('Owner of subscription');
  });

  it('an Owner below subscription scope (resource group) is not a subscription administrator', () => {
    const plan = planMutated(AKS, (s) => (s.runners[1].jobs.permissions.azure[0].scope = `/subscriptions/${SUB}/resourceGroups/rg-apps`));
    expect(codes(plan)).not.toContain('RF601');
    expect(codes(plan)).not.toContain('RF602');
  });
});

describe('Azure rules only broken documents can trigger: fail when broken, pass as emitted', () => {
  it.each(azureDocCases)('%s fires on a broken %s', (code, example, mutate) => {
    const plan = planExample(example);
    expect(verifyFleet(intentOf(plan.fleet!), plan.emitted!).findings.filter((f) => f.code === code && !f.acceptedBecause)).toEqual([]);
    expect(reverify(plan, mutate)).toContain(code);
  });
});

describe('malformed Azure specs: exit 2 with the exact path and code', () => {
  type Case = [name: string, example: string, mutate: (s: Record<string, any>) => void, code: string, path: string];
  const cases: Case[] = [
    ['tenant id not a uuid', AKS, (s) => (s.azure.tenantId = 'contoso.onmicrosoft.com'), 'RF007', 'azure.tenantId'],
    ['subscription id too short', AKS, (s) => (s.azure.subscriptionId = '0b1f6471'), 'RF007', 'azure.subscriptionId'],
    ['subscription id as a number', AKS, (s) => (s.azure.subscriptionId = 1234), 'RF002', 'azure.subscriptionId'],
    ['location with a space', AKS, (s) => (s.azure.location = 'West Europe'), 'RF007', 'azure.location'],
    ['resource group ending with a dot', AKS, (s) => (s.azure.resourceGroup = 'rg-runners.'), 'RF007', 'azure.resourceGroup'],
    ['unknown key in azure', AKS, (s) => (s.azure.region = 'westeurope'), 'RF003', 'azure.region'],
    ['azure section missing', AKS, (s) => delete s.azure, 'RF004', 'azure'],
    ['missing issuer', AKS, (s) => delete s.clusters[0].oidcIssuer, 'RF004', 'clusters[0].oidcIssuer'],
    ['issuer over http', AKS, (s) => (s.clusters[0].oidcIssuer = 'http://westeurope.oic.prod-aks.azure.com/t/i/'), 'RF007', 'clusters[0].oidcIssuer'],
    ['AKS issuer without its trailing slash', AKS, (s) => (s.clusters[0].oidcIssuer = String(s.clusters[0].oidcIssuer).replace(/\/$/, '')), 'RF007', 'clusters[0].oidcIssuer'],
    ['unknown key in an aks cluster', AKS, (s) => (s.clusters[0].oidcIssuerUrl = 'https://x/'), 'RF003', 'clusters[0].oidcIssuerUrl'],
    ['unknown role name', AKS, (s) => (s.runners[1].jobs.permissions.azure[0].role = 'Ownr'), 'RF002', 'runners[1].jobs.permissions.azure[0].role'],
    ['custom role name', AKS, (s) => (s.runners[0].jobs.permissions.azure[0].role = 'acr-pusher'), 'RF002', 'runners[0].jobs.permissions.azure[0].role'],
    ['scope without leading slash', AKS, (s) => (s.runners[1].jobs.permissions.azure[0].scope = `subscriptions/${SUB}`), 'RF007', 'runners[1].jobs.permissions.azure[0].scope'],
    ['scope with a bad subscription id', AKS, (s) => (s.runners[1].jobs.permissions.azure[0].scope = '/subscriptions/0b1f6471'), 'RF007', 'runners[1].jobs.permissions.azure[0].scope'],
    ['scope ending at resourceGroups', AKS, (s) => (s.runners[1].jobs.permissions.azure[0].scope = `/subscriptions/${SUB}/resourceGroups`), 'RF007', 'runners[1].jobs.permissions.azure[0].scope'],
    ['resource scope without a type', AKS, (s) => (s.runners[0].jobs.permissions.azure[0].scope = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry`), 'RF007', 'runners[0].jobs.permissions.azure[0].scope'],
    ['unknown key in a role assignment', AKS, (s) => (s.runners[0].jobs.permissions.azure[0].scopes = []), 'RF003', 'runners[0].jobs.permissions.azure[0].scopes'],
    ['storage account with capitals', AKS, (s) => (s.caches[0].storageAccount = 'ContosoCache'), 'RF007', 'caches[0].storageAccount'],
    ['storage account too short', AKS, (s) => (s.caches[0].storageAccount = 'ab'), 'RF007', 'caches[0].storageAccount'],
    ['storage account too long', AKS, (s) => (s.caches[0].storageAccount = 'a'.repeat(25)), 'RF007', 'caches[0].storageAccount'],
    ['container with a double hyphen', AKS, (s) => (s.caches[0].container = 'runner--cache'), 'RF007', 'caches[0].container'],
    ['negative expiry', AKS, (s) => (s.caches[0].expireAfterDays = -1), 'RF002', 'caches[0].expireAfterDays'],
    ['aws permissions on an AKS runner', AKS, (s) => (s.runners[0].jobs.permissions.aws = [{ actions: ['s3:GetObject'], resources: ['*'] }]), 'RF010', 'runners[0].jobs.permissions.aws'],
    ['azure permissions on an EKS runner', MIXED, (s) => (s.runners[0].jobs.permissions.azure = [{ role: 'Reader', scope: `/subscriptions/${SUB}` }]), 'RF010', 'runners[0].jobs.permissions.azure'],
    ['an AKS runner on an S3 cache', MIXED, (s) => (s.runners[1].cache.name = 's3'), 'RF010', 'runners[1].cache.name'],
    ['an EKS runner on a Blob cache', MIXED, (s) => (s.runners[0].cache.name = 'blob'), 'RF010', 'runners[0].cache.name'],
  ];

  it.each(cases)('%s', (_name, example, mutate, code, path) => {
    const spec = exampleValue(example);
    mutate(spec);
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`), JSON.stringify(plan.findings, null, 1)).toContain(`${code} ${path}`);
    expect(plan.findings.every((f) => f.severity === 'error' ? f.fix !== undefined || f.allowed !== undefined : true)).toBe(true);
  });
});

describe('client ids: no id copied by hand, no fake id in a file', () => {
  it('without outputs, no plain manifests are written and RF609 says why', () => {
    const plan = planExample(AKS);
    const paths = synthFiles(plan).map((f) => f.path);
    expect(paths.filter((p) => p.startsWith('kubernetes/'))).toEqual([]);
    expect(paths).toContain('terraform/azure-k8s/ci/main.tf.json');
    expect(plan.findings.filter((f) => f.code === 'RF609').map((f) => f.path)).toEqual(['runners[0]', 'runners[1]']);
    const files = synthFiles(plan).map((f) => f.content).join('\n');
    expect(files).not.toMatch(/client-id: [0-9a-f-]{36}/);
  });

  it('the Kubernetes root annotates each service account from the data source of its own identity', () => {
    const root = k8sRoot(planExample(AKS).emitted!);
    const sas = root.resource.kubernetes_service_account_v1!;
    for (const [runner, purpose] of [['build', 'manager'], ['build', 'jobs'], ['terraform', 'manager'], ['terraform', 'jobs']] as const) {
      const ns = runner === 'build' ? 'ci-build' : 'ci-terraform';
      const meta = sas[`${ns}_${runner}-${purpose}`]!.metadata as { annotations: Record<string, string> };
      const ref = /^\$\{data\.azurerm_user_assigned_identity\.([^.]+)\.client_id\}$/.exec(meta.annotations['azure.workload.identity/client-id']!)!;
      expect(root.data!.azurerm_user_assigned_identity![ref[1]!]).toEqual({ name: `contoso-${runner}-${purpose}`, resource_group_name: 'rg-gitlab-runners' });
    }
  });

  it('with outputs, plain manifests carry the real ids, validate, and read the same in YAML 1.1 and 1.2', () => {
    const plan = planWithOutputs(AKS);
    expect(plan.exitCode).toBe(0);
    expect(codes(plan)).not.toContain('RF609');
    const files = synthFiles(plan).filter((f) => f.path.startsWith('kubernetes/'));
    expect(files.map((f) => f.path).sort()).toEqual(['kubernetes/build/namespace.yaml', 'kubernetes/build/network-policy.yaml', 'kubernetes/build/rbac.yaml', 'kubernetes/build/service-accounts.yaml', 'kubernetes/terraform/namespace.yaml', 'kubernetes/terraform/network-policy.yaml', 'kubernetes/terraform/rbac.yaml', 'kubernetes/terraform/service-accounts.yaml']);
    for (const f of files) {
      const docs11 = parseAllDocuments(f.content, { version: '1.1' }).map((d) => d.toJS() as Record<string, any>);
      const docs12 = parseAllDocuments(f.content, { version: '1.2' }).map((d) => d.toJS() as Record<string, any>);
      expect(docs11).toEqual(docs12);
      for (const obj of docs11) expect(manifestProblems(obj), f.path).toEqual([]);
    }
    const sa = parseAllDocuments(files.find((f) => f.path === 'kubernetes/build/service-accounts.yaml')!.content).map((d) => d.toJS() as Record<string, any>);
    expect(sa.map((o) => [o.metadata.name, o.metadata.annotations['azure.workload.identity/client-id']])).toEqual([
      ['build-manager', AKS_CLIENT_IDS['contoso-build-manager']],
      ['build-jobs', AKS_CLIENT_IDS['contoso-build-jobs']],
    ]);
    expect(sa.every((o) => o.metadata.annotations['azure.workload.identity/tenant-id'] === '8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d')).toBe(true);
  });

  it('with outputs, the smoke test expects the job identity id; without, it needs a CI variable and fails closed', () => {
    const rendered = synthFiles(planWithOutputs(AKS)).find((f) => f.path === 'pipelines/build.gitlab-ci.yml')!.content;
    expect(rendered).toContain(`expected="${AKS_CLIENT_IDS['contoso-build-jobs']}"`);
    expect(rendered).not.toContain(AKS_CLIENT_IDS['contoso-build-manager']);
    expect(rendered).toContain('az login --service-principal -u "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")"');
    const plain = synthFiles(planExample(AKS)).find((f) => f.path === 'pipelines/build.gitlab-ci.yml')!.content;
    expect(plain).toContain('expected="${RUNNER_FLEET_JOB_CLIENT_ID:-}"');
    expect(plain).toContain('test -n "$expected" ||');
  });

  it('a rendered manifest whose id is not the identity\'s is refused (RF605)', () => {
    const plan = planWithOutputs(AKS);
    const found = reverify(plan, (d) => {
      const sa = d.runners.get('build')!.manifests.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'build-jobs')!;
      sa.metadata.annotations!['azure.workload.identity/client-id'] = AKS_CLIENT_IDS['contoso-build-manager']!;
    });
    expect(found).toContain('RF605');
    expect(reverify(plan, () => undefined)).not.toContain('RF605');
  });

  it('outputs that lack an identity raise RF610 and write nothing', () => {
    const rest = Object.fromEntries(Object.entries(AKS_CLIENT_IDS).filter(([name]) => name !== 'contoso-build-jobs'));
    const plan = planWithOutputs(AKS, rest);
    expect(plan.exitCode).toBe(1);
    expect(find(plan, 'RF610')!.message).toContain('contoso-build-jobs');
    expect(synthFiles(planWithOutputs(AKS)).length).toBeGreaterThan(0);
  });

  it('parses terraform output -json and refuses anything else (RF610)', () => {
    const good = JSON.stringify({ workload_identity_client_ids: { sensitive: false, type: ['object', {}], value: { a: '11111111-2222-4333-8444-555555555555' } } });
    expect(parseAzureOutputs(good, 'o.json')).toEqual({ applied: { azureClientIds: { a: '11111111-2222-4333-8444-555555555555' } }, findings: [] });
    for (const bad of ['not json', '{}', JSON.stringify({ workload_identity_client_ids: { value: ['x'] } }), JSON.stringify({ workload_identity_client_ids: { value: { a: 'not-a-uuid' } } })]) {
      const r = parseAzureOutputs(bad, 'o.json');
      expect(r.applied).toBeUndefined();
      expect(r.findings.map((f) => `${f.code} ${f.path}`)).toEqual(['RF610 --azure-outputs']);
    }
  });
});

describe('the AKS chain as emitted', () => {
  const plan = planExample(AKS);
  const az = plan.emitted!.terraformAzure!;

  it('one federated credential per service account: cluster issuer, exact subject, pinned audience', () => {
    const creds = Object.values(az.resource.azurerm_federated_identity_credential!);
    expect(creds).toHaveLength(4);
    for (const c of creds) {
      expect(c.issuer).toBe('https://westeurope.oic.prod-aks.azure.com/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c/');
      expect(c.audience).toEqual(['api://AzureADTokenExchange']);
    }
    expect(creds.map((c) => c.subject).sort()).toEqual([
      'system:serviceaccount:ci-build:build-jobs',
      'system:serviceaccount:ci-build:build-manager',
      'system:serviceaccount:ci-terraform:terraform-jobs',
      'system:serviceaccount:ci-terraform:terraform-manager',
    ]);
  });

  it('identities are top-level resources named from the spec, one per purpose', () => {
    expect(Object.values(az.resource.azurerm_user_assigned_identity!).map((i) => i.name)).toEqual(['contoso-build-manager', 'contoso-build-jobs', 'contoso-terraform-manager', 'contoso-terraform-jobs']);
    expect(az.output).toHaveProperty('workload_identity_client_ids');
  });

  it('the container-build job identity holds AcrPush on one registry only; the terraform one Owner of the subscription', () => {
    const byPrincipal = (id: string) => Object.values(az.resource.azurerm_role_assignment!).filter((a) => a.principal_id === `\${azurerm_user_assigned_identity.${id}.principal_id}`).map((a) => [a.role_definition_name, a.scope]);
    expect(byPrincipal('build-jobs')).toEqual([['AcrPush', `/subscriptions/${SUB}/resourceGroups/rg-registry/providers/Microsoft.ContainerRegistry/registries/contosoacr`]]);
    expect(byPrincipal('terraform-jobs')).toEqual([['Owner', `/subscriptions/${SUB}`]]);
    expect(byPrincipal('terraform-manager')).toEqual([]);
  });

  it('role assignment keys do not depend on the order of the spec', () => {
    const keys = (p: PlanResult) => Object.keys(p.emitted!.terraformAzure!.resource.azurerm_role_assignment!).sort();
    const twice = (s: Record<string, any>) => s.runners[0].jobs.permissions.azure.push({ role: 'AcrPull', scope: `/subscriptions/${SUB}/resourceGroups/rg-registry/providers/Microsoft.ContainerRegistry/registries/other` });
    const reversed = planMutated(AKS, (s) => {
      twice(s);
      s.runners[0].jobs.permissions.azure.reverse();
    });
    expect(keys(reversed)).toEqual(keys(planMutated(AKS, twice)));
  });

  it('both the manager pod and job pods carry the workload identity label', () => {
    for (const r of ['build', 'terraform']) {
      const emitted = plan.emitted!.runners.get(r)!;
      expect((emitted.helmValues!.podLabels as Record<string, string>)['azure.workload.identity/use']).toBe('true');
      expect((emitted.configToml.runners as any[])[0].kubernetes.pod_labels['azure.workload.identity/use']).toBe('true');
      const chart = parseToml(String((emitted.helmValues!.runners as Record<string, unknown>).config)) as any;
      expect(chart.runners[0].kubernetes.pod_labels['azure.workload.identity/use']).toBe('true');
      expect((emitted.helmValues!.serviceAccount as Record<string, unknown>).name).toBe(`${r}-manager`);
    }
  });

  it('the diagram names the mechanism', () => {
    const mmd = synthFiles(plan).find((f) => f.path === 'diagram/identity.mmd')!.content;
    expect(mmd).toContain('Azure Workload Identity');
    expect(mmd).toContain('AcrPush on /subscriptions/');
  });

  it('the output README gives the apply order and warns about the state holding tokens', () => {
    const readme = synthFiles(plan).find((f) => f.path === 'README.md')!.content;
    const order = ['terraform -chdir=terraform/azure apply', 'terraform -chdir=terraform/azure-k8s/ci apply', 'terraform -chdir=terraform/gitlab apply', 'helm upgrade --install build'];
    const at = order.map((s) => readme.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(readme).toContain('Terraform **state**');
    expect(readme).toContain('No provider mirror for azurerm, gitlab or kubernetes');
  });
});

describe('the mixed fleet: one spec, two clouds', () => {
  const plan = planExample(MIXED);

  it('plans cleanly with proofs for both runners', () => {
    expect(plan.exitCode).toBe(0);
    expect(new Set(plan.proofs.map((p) => p.runner))).toEqual(new Set(['aws-build', 'azure-build']));
    expect(plan.proofs.every((p) => p.holds)).toBe(true);
  });

  it('each runner gets identities of its own cloud only', () => {
    const aws = plan.emitted!.terraformAws!.resource;
    const az = plan.emitted!.terraformAzure!.resource;
    expect(Object.keys(aws.aws_iam_role!)).toEqual(['aws-build-manager', 'aws-build-jobs']);
    expect(Object.keys(az.azurerm_user_assigned_identity!)).toEqual(['azure-build-manager', 'azure-build-jobs']);
  });
});

describe('no AKS branches in the core', () => {
  const src = join(ROOT, 'src');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(src);

  it('only the AKS plugin and the Azure Blob backend name their types', () => {
    const offenders = files
      .filter((f) => !/src\/(platforms\/aks|caches\/azure-blob)\//.test(f) && !/src\/(platforms|caches)\/registry\.ts$/.test(f))
      .filter((f) => /['"](aks|azure-blob)['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});

describe('runner-fleet synth --azure-outputs (built CLI)', () => {
  const bin = join(ROOT, 'bin', 'runner-fleet.cjs');
  const run = (...args: string[]) => spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8' });

  it('writes plain manifests with the ids from terraform output -json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-fleet-aks-'));
    const outputs = join(dir, 'azure-outputs.json');
    writeFileSync(outputs, JSON.stringify({ workload_identity_client_ids: { sensitive: false, type: ['object', {}], value: AKS_CLIENT_IDS } }));
    const r = run('synth', `examples/${AKS}.yaml`, '--out', join(dir, 'out'), '--azure-outputs', outputs);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out', 'kubernetes', 'build', 'service-accounts.yaml'), 'utf8')).toContain(AKS_CLIENT_IDS['contoso-build-jobs']);
  });

  it('a missing or malformed outputs file exits 2 with RF610 and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runner-fleet-aks-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"workload_identity_client_ids": {"value": {"x": "nope"}}}');
    for (const file of [bad, join(dir, 'missing.json')]) {
      const r = run('synth', `examples/${AKS}.yaml`, '--out', join(dir, 'out'), '--azure-outputs', file);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('ERROR RF610 --azure-outputs');
      expect(existsSync(join(dir, 'out'))).toBe(false);
    }
  });
});
