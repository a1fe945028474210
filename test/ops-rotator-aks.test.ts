import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { synthFiles } from '../src/core.js';
import type { EmittedFleet } from '../src/emit/types.js';
import type { K8sObject } from '../src/emit/artifacts.js';
import { planExample, planMutated } from './helpers/fleet.js';
import { ROTATOR_AKS_TESTED, rotatorRuleCases, type RotatorCase } from './helpers/rotator.js';

/** The token rotator on AKS (issue 12d): a managed identity federated for the schedule, Key Vault Secrets Officer on the token secrets only, Kubernetes RBAC by principal id. */

const EXAMPLE = 'aks-key-vault';
const SUB = 'project_path:fabrikam/platform/runner-ops:ref_type:branch:ref:main';
const PRINCIPAL = '${data.azurerm_user_assigned_identity.token-rotator-azure.principal_id}';
const VAULT = '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-fabrikam-ci';
const SECRET = `${VAULT}/secrets/fabrikam-apps-runner-token`;
const CLUSTER = '/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/rg-gitlab-runners/providers/Microsoft.ContainerService/managedClusters/aks-ci-weu';
const codes = (findings: { code: string }[]) => findings.map((f) => f.code);
type Root = { resource: Record<string, Record<string, Record<string, unknown>>> };
const azureRoot = (docs: EmittedFleet) => docs.terraformAzure as unknown as Root;
const rotatorAssignments = (docs: EmittedFleet) => Object.entries(azureRoot(docs).resource.azurerm_role_assignment ?? {}).filter(([k]) => k.startsWith('token-rotator-azure'));
const credential = (docs: EmittedFleet) => Object.entries(azureRoot(docs).resource.azurerm_federated_identity_credential!).find(([k]) => k.startsWith('token-rotator-azure'))![1];
const rotatorObjects = (docs: EmittedFleet) => docs.runners.get('apps')!.manifests.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'token-rotator');
const roleOf = (docs: EmittedFleet) => rotatorObjects(docs).find((o) => o.kind === 'Role') as K8sObject & { rules: Record<string, string[]>[] };
const bindingOf = (docs: EmittedFleet) => rotatorObjects(docs).find((o) => o.kind === 'RoleBinding') as K8sObject & { subjects: Record<string, string>[] };
const assign = (docs: EmittedFleet, key: string, role: string, scope: string) => {
  azureRoot(docs).resource.azurerm_role_assignment![key] = { scope, role_definition_name: role, principal_id: '${azurerm_user_assigned_identity.token-rotator-azure.principal_id}', principal_type: 'ServicePrincipal' };
};

describe('the token rotator on AKS (Key Vault store)', () => {
  const plan = planExample(EXAMPLE);

  it('creates a managed identity federated for exactly the schedule, with Key Vault Secrets Officer on the one secret and cluster user access', () => {
    expect(plan.exitCode).toBe(0);
    expect(credential(plan.emitted!)).toMatchObject({ issuer: 'https://gitlab.example.com', subject: SUB, audience: ['api://AzureADTokenExchange'] });
    expect(rotatorAssignments(plan.emitted!).map(([, a]) => [a.role_definition_name, a.scope]).sort()).toEqual([
      ['Azure Kubernetes Service Cluster User Role', CLUSTER],
      ['Key Vault Secrets Officer', SECRET],
    ]);
  });

  it('grants, in the runner namespace, get on the synced Secret and get/patch on the manager Deployment, bound to the principal id', () => {
    expect(roleOf(plan.emitted!).rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['apps-runner-token'], verbs: ['get'] },
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['apps-gitlab-runner'], verbs: ['get', 'patch'] },
    ]);
    expect(bindingOf(plan.emitted!).subjects).toEqual([{ kind: 'User', name: PRINCIPAL, apiGroup: 'rbac.authorization.k8s.io' }]);
    // The principal id exists after apply: the objects live in the cluster's Kubernetes root, never as a plain file with a made-up id.
    const files = synthFiles(plan);
    expect(files.map((f) => f.path)).not.toContain('kubernetes/apps/token-rotator.yaml');
    const k8s = JSON.parse(files.find((f) => f.path === 'terraform/azure-k8s/ci/main.tf.json')!.content) as Root & { data: Record<string, Record<string, unknown>> };
    expect(Object.keys(k8s.resource.kubernetes_role_binding_v1!)).toContain('ci-apps_fabrikam-token-rotator_rotator');
    expect(k8s.data.azurerm_user_assigned_identity!['token-rotator-azure']).toEqual({ name: 'fabrikam-token-rotator', resource_group_name: 'rg-gitlab-runners' });
  });

  it('the pipeline signs in with the GitLab ID token as a federated assertion, no secret, and reaches the cluster by aks:<name>@<group>', () => {
    const text = synthFiles(plan).find((f) => f.path === 'pipelines/rotate-tokens.gitlab-ci.yml')!.content;
    const job = (parseYaml(text) as Record<string, { script: string[]; id_tokens: unknown; variables: Record<string, string> }>)['rotate-runner-tokens']!;
    expect(job.id_tokens).toEqual({ AZURE_ID_TOKEN: { aud: 'api://AzureADTokenExchange' } });
    expect(job.variables).toMatchObject({ AZURE_CLIENT_ID: '$RUNNER_FLEET_ROTATOR_CLIENT_ID', AZURE_TENANT_ID: '8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', AZURE_FEDERATED_TOKEN_FILE: '$CI_BUILDS_DIR/.azure-federated-token' });
    expect(job.script.at(-1)).toContain('--kube-api ci=aks:aks-ci-weu@rg-gitlab-runners');
    expect(text).not.toMatch(/AZURE_CLIENT_SECRET|AWS_ROLE_ARN/);
  });

  it('plan shows the federation, Azure grant and Kubernetes proof lines', () => {
    const claims = plan.proofs.filter((p) => p.runner === 'id-token token-rotator-azure');
    expect(claims.map((p) => p.holds)).toEqual([true, true, true]);
    expect(claims[1]!.claim).toContain('Key Vault Secrets Officer on 1 token secret(s), not on a vault, and');
    expect(claims[2]!.claim).toContain("principal id");
  });

  const cases: RotatorCase[] = [
    ['RF132', 'Key Vault Secrets Officer on the whole vault', (d) => assign(d, 'token-rotator-azure_vault', 'Key Vault Secrets Officer', VAULT)],
    ['RF132', 'Key Vault Secrets Officer on another secret of the vault', (d) => assign(d, 'token-rotator-azure_other', 'Key Vault Secrets Officer', `${VAULT}/secrets/someone-elses-token`)],
    ['RF132', 'AKS RBAC Writer on the cluster (Azure RBAC for Kubernetes)', (d) => assign(d, 'token-rotator-azure_writer', 'Azure Kubernetes Service RBAC Writer', CLUSTER)],
    ['RF132', 'the Officer grant moved to the vault', (d) => (rotatorAssignments(d).find(([, a]) => a.role_definition_name === 'Key Vault Secrets Officer')![1].scope = VAULT)],
    ['RF127', 'no Key Vault grant', (d) => delete azureRoot(d).resource.azurerm_role_assignment![rotatorAssignments(d).find(([, a]) => a.role_definition_name === 'Key Vault Secrets Officer')![0]]],
    ['RF127', 'no cluster user access', (d) => delete azureRoot(d).resource.azurerm_role_assignment![rotatorAssignments(d).find(([, a]) => a.role_definition_name === 'Azure Kubernetes Service Cluster User Role')![0]]],
    ['RF125', 'a federated credential for every branch\'s sub', (d) => (credential(d).subject = 'project_path:fabrikam/platform/runner-ops:ref_type:branch:ref:feature')],
    ['RF125', 'a second audience', (d) => (credential(d).audience = ['api://AzureADTokenExchange', 'https://gitlab.example.com'])],
    ['RF129', 'update on the synced Secret (the CSI driver owns it)', (d) => roleOf(d).rules[0]!.verbs!.push('update')],
    ['RF129', 'a Role without resourceNames', (d) => delete roleOf(d).rules[1]!.resourceNames],
    ['RF129', 'get on every Deployment of the namespace (stop 57: get of its own, by name, only)', (d) => roleOf(d).rules.push({ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] })],
    ['RF127', 'no patch on the Deployment', (d) => roleOf(d).rules.pop()],
    ['RF133', 'the RoleBinding names the client id', (d) => (bindingOf(d).subjects[0]!.name = '${data.azurerm_user_assigned_identity.token-rotator-azure.client_id}')],
    ['RF133', 'the RoleBinding also names a group', (d) => bindingOf(d).subjects.push({ kind: 'Group', name: '00000000-0000-0000-0000-000000000001', apiGroup: 'rbac.authorization.k8s.io' })],
  ];

  rotatorRuleCases(plan, cases, ROTATOR_AKS_TESTED, ['RF128'], 'id-token token-rotator-azure', 'the rotator on AKS');

  it.each([
    ['entraId false', (s: Record<string, any>) => (s.clusters[0].entraId = false), 'clusters[0].entraId'],
    ['entraId not set', (s: Record<string, any>) => delete s.clusters[0].entraId, 'clusters[0]'],
  ])('RF128: an existing cluster with %s is refused with the spec path and a fix', (_what, mutate, path) => {
    const bad = planMutated(EXAMPLE, mutate);
    const hit = bad.findings.find((f) => f.code === 'RF128');
    expect(hit?.path).toBe(path);
    expect(hit?.fix).toContain('az aks show --query aadProfile.managed');
    expect(bad.exitCode).not.toBe(0);
  });

  it('a Kubernetes Secret store on an Entra AKS cluster gets get and update on its Secret and no Key Vault grant', () => {
    const p = planMutated(EXAMPLE, (s) => {
      delete s.runners[0].gitlab.tokenStore;
      s.runners[0].gitlab.registration = 'api';
    });
    expect(codes(p.findings).filter((c) => c.startsWith('RF12') || c.startsWith('RF13'))).toEqual([]);
    expect(roleOf(p.emitted!).rules[0]!.verbs).toEqual(['get', 'update']);
    expect(rotatorAssignments(p.emitted!).map(([, a]) => a.role_definition_name)).toEqual(['Azure Kubernetes Service Cluster User Role']);
    expect(p.proofs.filter((x) => x.runner === 'id-token token-rotator-azure').every((x) => x.holds)).toBe(true);
  });

  it('two runners in one namespace get a Role each (no shared name)', () => {
    const p = planMutated(EXAMPLE, (s) => s.runners.push({ ...structuredClone(s.runners[0]), name: 'apps2', gitlab: { ...structuredClone(s.runners[0].gitlab), tags: ['aks2'] } }));
    expect(p.exitCode).toBe(0);
    const names = ['apps', 'apps2'].map((r) => p.emitted!.runners.get(r)!.manifests.find((o) => o.kind === 'Role' && o.metadata.labels?.['app.kubernetes.io/component'] === 'token-rotator')!.metadata.name);
    expect(new Set(names).size).toBe(2);
  });
});
