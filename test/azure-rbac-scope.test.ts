import { describe, expect, it } from 'vitest';
import type { PlanResult } from '../src/core.js';
import type { EmittedFleet } from '../src/emit/types.js';
import { verifyFleet, type Verification } from '../src/verify/index.js';
import { intentOf } from '../src/verify/intent.js';
import { doctor } from '../src/doctor/index.js';
import { synthFiles } from '../src/core.js';
import { damagedFiles, planExample, planMutated, type DamagedRoot } from './helpers/fleet.js';
import { ACCOUNT_SCOPE, AKS, CONTAINER_SCOPE, RG_SCOPE, SUB } from './helpers/azure.js';

/**
 * AKS jobs with Azure roles at scopes that hold the fleet's own resources (explorer 7t, item 4):
 * a role assignment applies to every resource whose id starts with its scope, so Contributor on
 * the resource group of the runner identities and the cache account lets jobs add a federated
 * credential to the manager identity and list the cache account's keys.
 */

const JOB_NOT_MANAGER = 'the job identity is not the manager identity';
const NO_CACHE = 'jobs cannot reach cache shared directly';
const proof = (r: { proofs: { runner: string; claim: string; holds: boolean }[] }, runner: string, claim: string) => r.proofs.find((p) => p.runner === runner && p.claim === claim)?.holds;
const withJobRole = (role: string, scope: string) => planMutated(AKS, (s) => s.runners[0].jobs.permissions.azure.push({ role, scope }));
const OTHER_RG = `/subscriptions/${SUB}/resourceGroups/rg-apps`;
const MANAGER_ID = `${RG_SCOPE}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/contoso-build-manager`;

/** The plan's documents with extra role assignments for the build jobs identity, verified again. */
function withAssignments(plan: PlanResult, extra: Record<string, { role: string; scope: string }>): Verification {
  const docs: EmittedFleet = structuredClone(plan.emitted!);
  for (const a of docs.artifacts) if (a.path === 'terraform/azure/main.tf.json') a.content = docs.terraformAzure;
  const assignments = docs.terraformAzure!.resource.azurerm_role_assignment!;
  for (const [key, { role, scope }] of Object.entries(extra)) {
    assignments[key] = { scope, role_definition_name: role, principal_id: '${azurerm_user_assigned_identity.build-jobs.principal_id}' };
  }
  return verifyFleet(intentOf(plan.fleet!), docs);
}

describe('plan: job roles at scopes that contain the manager identity', () => {
  it('Contributor on the resource group of the identities and cache: RF105 and RF608 at the assignment, both proofs fail, exit 1', () => {
    const plan = withJobRole('Contributor', RG_SCOPE);
    expect(plan.exitCode).toBe(1);
    expect(proof(plan, 'build', JOB_NOT_MANAGER)).toBe(false);
    expect(proof(plan, 'build', NO_CACHE)).toBe(false);
    const rf105 = plan.findings.filter((f) => f.code === 'RF105');
    expect(rf105).toHaveLength(1);
    expect(rf105[0]).toMatchObject({ severity: 'error', path: 'runners[0].jobs.permissions.azure[1]', received: `Contributor on ${RG_SCOPE}` });
    expect(rf105[0]!.message).toContain(`job identity contoso-build-jobs holds Contributor on ${RG_SCOPE}, which contains manager identity contoso-build-manager`);
    expect(rf105[0]!.message).toContain('Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write');
    expect(rf105[0]!.fix).toContain('outside the resource group of the runner identities');
    const rf608 = plan.findings.find((f) => f.code === 'RF608')!;
    expect(rf608).toMatchObject({ severity: 'error', path: 'runners[0].jobs.permissions.azure[1]' });
    expect(rf608.message).toContain(`Contributor on ${RG_SCOPE} (it may list the keys of contosorunnercache (Microsoft.Storage/storageAccounts/listKeys/action)`);
  });

  it('Contributor on an unrelated resource group: both proofs hold, no RF105 or RF608 (and the same role on the identities\' group fails)', () => {
    const plan = withJobRole('Contributor', OTHER_RG);
    expect(plan.exitCode).toBe(0);
    expect(proof(plan, 'build', JOB_NOT_MANAGER)).toBe(true);
    expect(proof(plan, 'build', NO_CACHE)).toBe(true);
    expect(plan.findings.map((f) => f.code)).not.toContain('RF105');
    expect(plan.findings.map((f) => f.code)).not.toContain('RF608');
    expect(proof(withJobRole('Contributor', RG_SCOPE), 'build', JOB_NOT_MANAGER)).toBe(false);
  });

  it('Storage Blob Data Reader on the cache account: the cache proof fails, RF608 names the entry and what it allows', () => {
    const plan = withJobRole('Storage Blob Data Reader', ACCOUNT_SCOPE);
    expect(proof(plan, 'build', NO_CACHE)).toBe(false);
    expect(proof(plan, 'build', JOB_NOT_MANAGER)).toBe(true);
    const rf608 = plan.findings.find((f) => f.code === 'RF608')!;
    expect(rf608.path).toBe('runners[0].jobs.permissions.azure[1]');
    expect(rf608.message).toContain(`Storage Blob Data Reader on ${ACCOUNT_SCOPE} (it reads every blob of runner-cache)`);
  });

  it('Storage Account Contributor on the cache account: it lists the account keys, so the cache proof fails', () => {
    const plan = withJobRole('Storage Account Contributor', ACCOUNT_SCOPE);
    expect(proof(plan, 'build', NO_CACHE)).toBe(false);
    expect(plan.findings.find((f) => f.code === 'RF608')!.message).toContain('listKeys/action');
    // It manages storage only: the manager identity next to it is out of its reach.
    expect(proof(plan, 'build', JOB_NOT_MANAGER)).toBe(true);
  });

  it('User Access Administrator on the resource group: it may grant itself the rest, so both proofs fail', () => {
    const plan = withJobRole('User Access Administrator', RG_SCOPE);
    expect(proof(plan, 'build', JOB_NOT_MANAGER)).toBe(false);
    expect(proof(plan, 'build', NO_CACHE)).toBe(false);
    expect(plan.findings.find((f) => f.code === 'RF105')!.message).toContain('Microsoft.Authorization/roleAssignments/write');
  });

  it('Reader on the resource group: every proof of the runner holds (reads only)', () => {
    const plan = withJobRole('Reader', RG_SCOPE);
    expect(plan.exitCode).toBe(0);
    expect(plan.proofs.filter((p) => p.runner === 'build' && !p.holds)).toEqual([]);
    // The same scope with a writing role does not.
    expect(withJobRole('Contributor', RG_SCOPE).proofs.filter((p) => p.runner === 'build' && !p.holds).length).toBeGreaterThan(0);
  });

  it('an Owner of the subscription (the example\'s terraform runner) can become its manager: the proof fails, explained by RF602, no extra RF105', () => {
    const plan = planExample(AKS);
    expect(plan.exitCode).toBe(0);
    expect(proof(plan, 'terraform', JOB_NOT_MANAGER)).toBe(false);
    expect(proof(plan, 'build', JOB_NOT_MANAGER)).toBe(true);
    expect(plan.findings.map((f) => f.code)).not.toContain('RF105');
    expect(plan.findings.find((f) => f.code === 'RF602')!.message).toContain('and become manager identity contoso-terraform-manager (add a federated credential to it)');
    // Owner of a resource group that holds no fleet identity: the proof holds.
    const narrow = planMutated(AKS, (s) => (s.runners[1].jobs.permissions.azure[0].scope = OTHER_RG));
    expect(proof(narrow, 'terraform', JOB_NOT_MANAGER)).toBe(true);
  });
});

describe('documents: roles the spec cannot grant, scopes compared as Azure does', () => {
  const plan = planExample(AKS);

  it('a role runner-fleet does not know on the resource group: neither proof holds, RF903 says why', () => {
    const r = withAssignments(plan, { custom: { role: 'Contoso Deployer', scope: RG_SCOPE } });
    expect(proof(r, 'build', JOB_NOT_MANAGER)).toBe(false);
    expect(proof(r, 'build', NO_CACHE)).toBe(false);
    const rf903 = r.findings.find((f) => f.code === 'RF903' && f.message.includes('Contoso Deployer'))!;
    expect(rf903.message).toContain('runner-fleet does not know what Contoso Deployer allows, so that the jobs cannot become the manager (by adding a federated credential to it) is not proven');
    expect(r.findings.find((f) => f.code === 'RF608')!.message).toContain('a role runner-fleet does not know');
    // The same role on a group that holds no fleet resource proves nothing either way: both proofs hold.
    const elsewhere = withAssignments(plan, { custom: { role: 'Contoso Deployer', scope: OTHER_RG } });
    expect(proof(elsewhere, 'build', JOB_NOT_MANAGER)).toBe(true);
    expect(proof(elsewhere, 'build', NO_CACHE)).toBe(true);
  });

  it('scopes compare case-insensitively, and a management group contains the subscription', () => {
    const upper = withAssignments(plan, { up: { role: 'Contributor', scope: RG_SCOPE.toUpperCase() } });
    expect(proof(upper, 'build', JOB_NOT_MANAGER)).toBe(false);
    expect(proof(upper, 'build', NO_CACHE)).toBe(false);
    const group = withAssignments(plan, { mg: { role: 'Managed Identity Contributor', scope: '/providers/Microsoft.Management/managementGroups/contoso' } });
    expect(proof(group, 'build', JOB_NOT_MANAGER)).toBe(false);
    // A sibling whose name only starts like the group's is no container of it.
    const sibling = withAssignments(plan, { sib: { role: 'Contributor', scope: `${RG_SCOPE}-old` } });
    expect(proof(sibling, 'build', JOB_NOT_MANAGER)).toBe(true);
    expect(proof(sibling, 'build', NO_CACHE)).toBe(true);
  });

  it('Managed Identity Contributor on the manager identity itself: RF105; Managed Identity Operator only with a role that creates compute', () => {
    const mic = withAssignments(plan, { mic: { role: 'Managed Identity Contributor', scope: MANAGER_ID } });
    expect(proof(mic, 'build', JOB_NOT_MANAGER)).toBe(false);
    expect(mic.findings.find((f) => f.code === 'RF105')!.path).toBe('runners[0].jobs.permissions.azure');
    expect(proof(mic, 'build', NO_CACHE)).toBe(true);
    const operator = withAssignments(plan, { op: { role: 'Managed Identity Operator', scope: MANAGER_ID } });
    expect(proof(operator, 'build', JOB_NOT_MANAGER)).toBe(true);
    const withCompute = withAssignments(plan, { op: { role: 'Managed Identity Operator', scope: MANAGER_ID }, vm: { role: 'Contributor', scope: OTHER_RG } });
    expect(proof(withCompute, 'build', JOB_NOT_MANAGER)).toBe(false);
    expect(withCompute.findings.find((f) => f.code === 'RF105')!.message).toContain(`to a VM or container the jobs create with Contributor on ${OTHER_RG}`);
  });
});

describe('doctor on the AKS synth output: jobs given Contributor on the resource group of the identities and cache', () => {
  const files = damagedFiles(AKS, 'terraform/azure/main.tf.json', (root) => {
    const a = root.resource.azurerm_role_assignment!['build-jobs_ea5185de']!;
    a.scope = RG_SCOPE;
    a.role_definition_name = 'Contributor';
  });

  it('RF105 and RF608 at the role assignment in the Terraform file, both proofs fail, exit 1', () => {
    const sound = doctor(damagedFiles(AKS, 'terraform/azure/main.tf.json', () => undefined));
    const r = doctor(files);
    expect(r.exitCode).toBe(1);
    const claims = (x: typeof r) => x.proofs.filter((p) => p.claim === JOB_NOT_MANAGER || p.claim === NO_CACHE).map((p) => p.holds);
    // As synthesized: the build runner's two claims hold (the terraform runner's Owner of the subscription fails its own).
    expect(sound.proofs.filter((p) => p.claim === NO_CACHE).map((p) => p.holds)).toEqual([true]);
    expect(claims(r).filter((h) => !h).length).toBe(claims(sound).filter((h) => !h).length + 2);
    const text = new TextDecoder().decode(files.find((f) => f.path === 'terraform/azure/main.tf.json')!.bytes).split('\n');
    for (const code of ['RF105', 'RF608']) {
      const fnd = r.findings.find((f) => f.code === code)!;
      expect(fnd.message).toContain(`Contributor on ${RG_SCOPE}`);
      const at = /^terraform\/azure\/main\.tf\.json:(\d+):\d+$/.exec(fnd.path);
      expect(at, fnd.path).not.toBeNull();
      expect(text[Number(at![1]) - 1]).toContain('"role_definition_name": "Contributor"');
    }
  });
});

describe('a GitLab ID-token identity with a role over the runner identities (Azure)', () => {
  const withIdTokenRole = (role: string, scope: string) =>
    planMutated(AKS, (s) => {
      s.idTokens = { roles: [{ name: 'deployer', cloud: 'azure', subjects: [{ project: 'contoso/platform/app', refs: ['main'] }], permissions: { azure: [{ role, scope }] } }] };
    });
  const rf105 = (r: PlanResult) => r.findings.filter((f) => f.code === 'RF105' && f.path === 'idTokens.roles[0].permissions.azure[0]');

  it('Contributor on the resource group of the manager identities: RF105, the pipelines can become a runner manager (exit 1)', () => {
    const r = withIdTokenRole('Contributor', RG_SCOPE);
    expect(rf105(r)).toHaveLength(1);
    expect(rf105(r)[0]!.message).toMatch(/pipelines that get ID-token identity \S+ can become a runner manager: it holds Contributor on .*rg-gitlab-runners, which contains manager identities contoso-build-manager, contoso-terraform-manager; it may add a federated credential/);
    expect(r.exitCode).toBe(1);
  });

  it('User Access Administrator on one manager identity: RF105 naming that one', () => {
    const r = withIdTokenRole('User Access Administrator', MANAGER_ID);
    expect(rf105(r)[0]?.message).toMatch(/contains manager identities contoso-build-manager; it may assign roles there/);
  });

  it('Contributor on another resource group, or Reader on the runners resource group: no finding', () => {
    for (const r of [withIdTokenRole('Contributor', OTHER_RG), withIdTokenRole('Reader', RG_SCOPE), withIdTokenRole('AcrPush', RG_SCOPE)]) {
      expect(rf105(r)).toEqual([]);
      expect(r.findings.filter((f) => f.path.startsWith('idTokens') && f.severity === 'error')).toEqual([]);
    }
  });
});

const TERRAFORM_MANAGER_ID = `${RG_SCOPE}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/contoso-terraform-manager`;
const withIdToken = (...azure: { role: string; scope: string }[]) => (s: Record<string, any>) => {
  s.idTokens = { roles: [{ name: 'deployer', cloud: 'azure', subjects: [{ project: 'contoso/platform/app', refs: ['main'] }], permissions: { azure } }] };
};

describe('a GitLab ID-token identity with a role over the cache storage account (Azure)', () => {
  const rf608 = (r: PlanResult) => r.findings.filter((f) => f.code === 'RF608' && f.path.startsWith('idTokens'));

  it('Storage Blob Data Reader on the cache account: RF608 at the entry, an error, and the runners\' "jobs cannot reach cache" proof fails', () => {
    const r = planMutated(AKS, withIdToken({ role: 'AcrPush', scope: `/subscriptions/${SUB}/resourceGroups/rg-registry` }, { role: 'Storage Blob Data Reader', scope: ACCOUNT_SCOPE }));
    expect(r.exitCode).toBe(1);
    expect(rf608(r)).toHaveLength(1);
    expect(rf608(r)[0]).toMatchObject({ severity: 'error', path: 'idTokens.roles[0].permissions.azure[1]', received: `Storage Blob Data Reader on ${ACCOUNT_SCOPE}` });
    expect(rf608(r)[0]!.message).toContain(`pipelines that get ID-token identity contoso-idt-deployer reach cache container contosorunnercache/runner-cache through Storage Blob Data Reader on ${ACCOUNT_SCOPE} (it reads every blob of runner-cache): any of them can read the cache of every runner that uses it`);
    expect(rf608(r)[0]!.fix).toContain(`outside storage account contosorunnercache (${ACCOUNT_SCOPE})`);
    expect(proof(r, 'build', NO_CACHE)).toBe(false);
    // Reading blobs takes no identity over.
    expect(r.findings.filter((f) => f.code === 'RF105')).toEqual([]);
  });

  it('Storage Account Contributor on the account lists its keys; Contributor on the resource group is RF105 and RF608 at the same entry', () => {
    const keys = planMutated(AKS, withIdToken({ role: 'Storage Account Contributor', scope: ACCOUNT_SCOPE }));
    expect(rf608(keys)[0]!.message).toContain('Microsoft.Storage/storageAccounts/listKeys/action');
    expect(rf608(keys)[0]!.message).toContain('can read and overwrite the cache');
    const rg = planMutated(AKS, withIdToken({ role: 'Contributor', scope: RG_SCOPE }));
    expect(rg.findings.filter((f) => f.path === 'idTokens.roles[0].permissions.azure[0]').map((f) => f.code).sort()).toEqual(['RF105', 'RF608']);
    // Roles that do not reach the cache, or scopes outside its account: no RF608, and the proof holds.
    for (const a of [{ role: 'Reader', scope: ACCOUNT_SCOPE }, { role: 'Storage Blob Delegator', scope: ACCOUNT_SCOPE }, { role: 'Storage Blob Data Contributor', scope: `/subscriptions/${SUB}/resourceGroups/rg-apps` }]) {
      const r = planMutated(AKS, withIdToken(a));
      expect(rf608(r), `${a.role} on ${a.scope}`).toEqual([]);
      expect(proof(r, 'build', NO_CACHE)).toBe(true);
    }
  });

  it('never accepted: an acceptRisks entry for RF608 on the cache or a runner leaves it an error', () => {
    const r = planMutated(AKS, (s) => {
      withIdToken({ role: 'Storage Blob Data Contributor', scope: CONTAINER_SCOPE })(s);
      s.caches[0].acceptRisks = [{ code: 'RF608', reason: 'the deploy pipeline seeds the cache' }];
      s.runners[0].acceptRisks = [...(s.runners[0].acceptRisks ?? []), { code: 'RF608', reason: 'the deploy pipeline seeds the cache' }];
    });
    expect(rf608(r)).toHaveLength(1);
    expect(rf608(r)[0]).toMatchObject({ severity: 'error', path: 'idTokens.roles[0].permissions.azure[0]' });
    expect(rf608(r)[0]!.acceptedBecause).toBeUndefined();
  });
});

describe("a runner's jobs over another runner's manager identity (Azure)", () => {
  it("Contributor on the terraform runner's manager identity itself, given to the build jobs: RF105 on build naming terraform's manager", () => {
    const r = withJobRole('Contributor', TERRAFORM_MANAGER_ID);
    expect(r.exitCode).toBe(1);
    const rf105 = r.findings.filter((f) => f.code === 'RF105');
    expect(rf105).toHaveLength(1);
    expect(rf105[0]).toMatchObject({ severity: 'error', path: 'runners[0].jobs.permissions.azure[1]', received: `Contributor on ${TERRAFORM_MANAGER_ID}` });
    expect(rf105[0]!.message).toContain(`the jobs can become another runner's manager: job identity contoso-build-jobs holds Contributor on ${TERRAFORM_MANAGER_ID}, which contains manager identity contoso-terraform-manager (runner terraform); it may add a federated credential to manager identity contoso-terraform-manager`);
    expect(rf105[0]!.fix).toContain(`outside the resource group of the runner identities (${RG_SCOPE})`);
    // Its own manager is out of reach: its own claim holds.
    expect(proof(r, 'build', JOB_NOT_MANAGER)).toBe(true);
    // Reading the identity takes nothing over.
    expect(withJobRole('Reader', TERRAFORM_MANAGER_ID).findings.filter((f) => f.code === 'RF105')).toEqual([]);
  });

  it('a resource group that holds only the other runner\'s manager (documents): RF105 naming it; an unknown role there is RF903', () => {
    const plan = planExample(AKS);
    const moved = (extra: Record<string, { role: string; scope: string }>) => {
      const docs: EmittedFleet = structuredClone(plan.emitted!);
      for (const a of docs.artifacts) if (a.path === 'terraform/azure/main.tf.json') a.content = docs.terraformAzure;
      docs.terraformAzure!.resource.azurerm_user_assigned_identity!['terraform-manager']!.resource_group_name = 'rg-terraform';
      for (const [key, { role, scope }] of Object.entries(extra)) {
        docs.terraformAzure!.resource.azurerm_role_assignment![key] = { scope, role_definition_name: role, principal_id: '${azurerm_user_assigned_identity.build-jobs.principal_id}' };
      }
      return verifyFleet(intentOf(plan.fleet!), docs);
    };
    const group = `/subscriptions/${SUB}/resourceGroups/rg-terraform`;
    const r = moved({ uaa: { role: 'User Access Administrator', scope: group } });
    const rf105 = r.findings.filter((f) => f.code === 'RF105' && f.message.includes('contoso-build-jobs'));
    expect(rf105).toHaveLength(1);
    expect(rf105[0]!.path).toBe('runners[0].jobs.permissions.azure');
    expect(rf105[0]!.message).toContain(`holds User Access Administrator on ${group}, which contains manager identity contoso-terraform-manager (runner terraform); it may assign roles there`);
    expect(proof(r, 'build', JOB_NOT_MANAGER)).toBe(true);
    const custom = moved({ custom: { role: 'Contoso Deployer', scope: group } });
    expect(custom.findings.find((f) => f.code === 'RF903' && f.message.includes('Contoso Deployer'))!.message).toContain("which contains manager identity contoso-terraform-manager (runner terraform); runner-fleet does not know what Contoso Deployer allows, so that the jobs cannot become another runner's manager is not proven");
    // The group of the build runner's own identities no longer holds terraform's manager: only the own-manager RF105.
    const own = moved({ c: { role: 'Contributor', scope: RG_SCOPE } });
    expect(own.findings.filter((f) => f.code === 'RF105').map((f) => f.message)).toEqual([expect.stringMatching(/^the jobs can become the manager: job identity contoso-build-jobs /)]);
  });
});

describe('doctor on the AKS synth output: a GitLab ID-token identity given Contributor on the resource group of the runner identities', () => {
  const plan = planMutated(AKS, withIdToken({ role: 'Contributor', scope: `/subscriptions/${SUB}/resourceGroups/rg-apps` }));
  const damaged = (change: (root: DamagedRoot) => void) =>
    synthFiles(plan).map((f) => {
      if (f.path !== 'terraform/azure/main.tf.json') return { path: f.path, bytes: new TextEncoder().encode(f.content) };
      const root = JSON.parse(f.content) as DamagedRoot;
      change(root);
      return { path: f.path, bytes: new TextEncoder().encode(JSON.stringify(root, null, 2)) };
    });
  const files = damaged((root) => {
    const [, a] = Object.entries(root.resource.azurerm_role_assignment!).find(([k]) => k.startsWith('idt-deployer'))!;
    a.scope = RG_SCOPE;
  });

  it('RF105 and RF608 at the role assignment in the Terraform file, exit 1 (as synthesized: neither)', () => {
    expect(plan.exitCode).toBe(0);
    const sound = doctor(damaged(() => undefined));
    expect(sound.findings.filter((f) => f.code === 'RF105' || f.code === 'RF608')).toEqual([]);
    const r = doctor(files);
    expect(r.exitCode).toBe(1);
    const text = new TextDecoder().decode(files.find((f) => f.path === 'terraform/azure/main.tf.json')!.bytes).split('\n');
    for (const code of ['RF105', 'RF608']) {
      const fnd = r.findings.find((f) => f.code === code && f.message.includes('ID-token identity contoso-idt-deployer'))!;
      expect(fnd, code).toBeDefined();
      expect(fnd.severity).toBe('error');
      expect(fnd.message).toContain(`Contributor on ${RG_SCOPE}`);
      const at = /^terraform\/azure\/main\.tf\.json:(\d+):\d+$/.exec(fnd.path);
      expect(at, fnd.path).not.toBeNull();
      expect(text[Number(at![1]) - 1]).toContain('"role_definition_name": "Contributor"');
      // The damaged assignment's own block (its scope is written just above).
      expect(text.slice(Number(at![1]) - 4, Number(at![1])).join('\n')).toContain(`"scope": "${RG_SCOPE}"`);
    }
    expect(r.findings.find((f) => f.code === 'RF105' && f.message.includes('contoso-idt-deployer'))!.message).toContain('can become a runner manager: it holds Contributor');
    expect(r.proofs.find((p) => p.claim === NO_CACHE)?.holds).toBe(false);
  });
});

describe('AKS: job roles that may create pods in the manager\'s namespace through Azure RBAC for Kubernetes authorization', () => {
  const CREATE = 'aks-create';
  const CREATE_SUB = '8f5a3c2e-1b4d-4e6f-9a7b-0c1d2e3f4a5b';
  const CREATED_CLUSTER = `/subscriptions/${CREATE_SUB}/resourceGroups/rg-ci/providers/Microsoft.ContainerService/managedClusters/ci`;
  const onCreated = (role: string, scope: string) => planMutated(CREATE, (s) => (s.runners[0].jobs.permissions = { azure: [{ role, scope }] }));
  const kube105 = (r: { findings: { code: string; message: string }[] }) => r.findings.filter((f) => f.code === 'RF105' && f.message.startsWith('the jobs can become the manager through Kubernetes'));

  it('RBAC Writer on the manager\'s namespace of a cluster created here (Azure RBAC on): RF105 at the entry, the proof fails, exit 1', () => {
    const r = onCreated('Azure Kubernetes Service RBAC Writer', `${CREATED_CLUSTER}/namespaces/ci-build`);
    expect(r.exitCode).toBe(1);
    expect(proof(r, 'build', JOB_NOT_MANAGER)).toBe(false);
    const found = kube105(r);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', path: 'runners[0].jobs.permissions.azure[0]', received: `Azure Kubernetes Service RBAC Writer on ${CREATED_CLUSTER}/namespaces/ci-build` });
    expect(found[0]!.message).toContain('which contains namespace ci-build of cluster ci, where the manager runs; it may create pods in namespace ci-build of cluster ci that run as the manager\'s service account');
    // The whole cluster contains the namespace too.
    expect(kube105(onCreated('Azure Kubernetes Service RBAC Writer', CREATED_CLUSTER))).toHaveLength(1);
  });

  it('another namespace, or a role that only reads: no finding and the proof holds', () => {
    for (const [role, scope] of [['Azure Kubernetes Service RBAC Writer', `${CREATED_CLUSTER}/namespaces/apps`], ['Azure Kubernetes Service RBAC Reader', CREATED_CLUSTER], ['Azure Kubernetes Service Cluster User Role', CREATED_CLUSTER]] as const) {
      const r = onCreated(role, scope);
      expect(kube105(r), `${role} on ${scope}`).toEqual([]);
      expect(proof(r, 'build', JOB_NOT_MANAGER), `${role} on ${scope}`).toBe(true);
    }
    // The same Writer on the manager's namespace does not hold.
    expect(proof(onCreated('Azure Kubernetes Service RBAC Writer', `${CREATED_CLUSTER}/namespaces/ci-build`), 'build', JOB_NOT_MANAGER)).toBe(false);
  });

  it('documents: Azure RBAC turned off in the cluster resource, the Azure role grants nothing inside it; User Access Administrator on the cluster\'s group is RF105', () => {
    const plan = onCreated('Azure Kubernetes Service RBAC Writer', `${CREATED_CLUSTER}/namespaces/ci-build`);
    const docs: EmittedFleet = structuredClone(plan.emitted!);
    for (const a of docs.artifacts) if (a.path === 'terraform/azure/main.tf.json') a.content = docs.terraformAzure;
    (docs.terraformAzure!.resource.azurerm_kubernetes_cluster!.ci!.azure_active_directory_role_based_access_control as Record<string, unknown>).azure_rbac_enabled = false;
    const off = verifyFleet(intentOf(plan.fleet!), docs);
    expect(kube105(off)).toEqual([]);
    expect(proof(off, 'build', JOB_NOT_MANAGER)).toBe(true);
    // A role that assigns roles on a scope holding the cluster (but not the identities, in a group of their own here).
    const uaa = planMutated(CREATE, (s) => {
      s.clusters[0].resourceGroup = 'rg-aks';
      s.runners[0].jobs.permissions = { azure: [{ role: 'User Access Administrator', scope: `/subscriptions/${CREATE_SUB}/resourceGroups/rg-aks` }] };
    });
    expect(kube105(uaa)[0]!.message).toContain('it may assign itself Azure Kubernetes Service RBAC Writer there (Microsoft.Authorization/roleAssignments/write) and then create pods in namespace ci-build');
    expect(proof(uaa, 'build', JOB_NOT_MANAGER)).toBe(false);
  });

  it('RBAC Writer on the resource group that holds both the manager identity and the cluster: RF105 through Kubernetes (Writer takes over no identity), the proof fails', () => {
    const r = onCreated('Azure Kubernetes Service RBAC Writer', `/subscriptions/${CREATE_SUB}/resourceGroups/rg-ci`);
    expect(kube105(r).map((f) => (f as { path?: string }).path)).toEqual(['runners[0].jobs.permissions.azure[0]']);
    expect(proof(r, 'build', JOB_NOT_MANAGER)).toBe(false);
    expect(r.exitCode).toBe(1);
  });

  it('an existing cluster (its authorization is not in the documents): RBAC Writer on the manager\'s namespace is RF903 and the proof does not hold', () => {
    const ns = `/subscriptions/${SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-ci-weu/namespaces/ci-build`;
    const r = withJobRole('Azure Kubernetes Service RBAC Writer', ns);
    expect(proof(r, 'build', JOB_NOT_MANAGER)).toBe(false);
    const rf903 = r.findings.find((f) => f.code === 'RF903' && f.message.includes('Azure Kubernetes Service RBAC Writer'))!;
    expect(rf903.path).toBe('runners[0].jobs.permissions.azure[1]');
    expect(rf903.message).toContain('whether cluster aks-ci-weu authorizes Kubernetes calls with Azure RBAC (azure_rbac_enabled) is not in the documents');
  });
});

describe("AKS: job roles over another runner's manager namespace (two runners in two namespaces of one cluster)", () => {
  const CREATE_SUB = '8f5a3c2e-1b4d-4e6f-9a7b-0c1d2e3f4a5b';
  const CLUSTER = `/subscriptions/${CREATE_SUB}/resourceGroups/rg-ci/providers/Microsoft.ContainerService/managedClusters/ci`;
  /** aks-create with a second runner, deploy, in namespace ci-deploy of the same cluster, its jobs given `role` on `scope`. */
  const twoRunners = (role: string, scope: string, edit: (s: Record<string, any>) => void = () => undefined) =>
    planMutated('aks-create', (s) => {
      const deploy = structuredClone(s.runners[0]);
      deploy.name = 'deploy';
      deploy.placement = { cluster: 'ci', namespace: 'ci-deploy' };
      deploy.gitlab.tags = ['aks-deploy'];
      deploy.jobs.permissions = { azure: [{ role, scope }] };
      s.runners.push(deploy);
      edit(s);
    });
  const other105 = (r: { findings: { code: string; message: string }[] }) => r.findings.filter((f) => f.code === 'RF105' && f.message.startsWith("the jobs can become another runner's manager through Kubernetes")) as { code: string; path: string; message: string; severity: string; received?: string }[];
  const own105 = (r: { findings: { code: string; message: string }[] }) => r.findings.filter((f) => f.code === 'RF105' && f.message.startsWith('the jobs can become the manager through Kubernetes')) as { code: string; path: string; message: string }[];

  it("RBAC Writer on build's namespace given to deploy's jobs: RF105 at deploy's entry naming namespace, service account, manager identity and runner", () => {
    const r = twoRunners('Azure Kubernetes Service RBAC Writer', `${CLUSTER}/namespaces/ci-build`);
    const found = other105(r);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: 'error', path: 'runners[1].jobs.permissions.azure[0]', received: `Azure Kubernetes Service RBAC Writer on ${CLUSTER}/namespaces/ci-build` });
    expect(found[0]!.message).toContain('job identity contoso-deploy-jobs holds Azure Kubernetes Service RBAC Writer');
    expect(found[0]!.message).toContain('which contains namespace ci-build of cluster ci (manager service account build-manager, manager identity contoso-build-manager, runner build); it may create pods in namespace ci-build of cluster ci that run as the manager\'s service account build-manager');
    expect(found[0]!.message).toContain("and then do what runner build's manager may do");
    expect(own105(r)).toEqual([]);
    expect(r.exitCode).toBe(1);
    // Its own manager is out of reach: its own proof holds, as for another runner's identity.
    expect(proof(r, 'deploy', JOB_NOT_MANAGER)).toBe(true);
  });

  it('RBAC Writer on the whole cluster: the own manager (RF105 through Kubernetes) and the other one, each said once', () => {
    const r = twoRunners('Azure Kubernetes Service RBAC Writer', CLUSTER);
    expect(own105(r).map((f) => f.path)).toEqual(['runners[1].jobs.permissions.azure[0]']);
    expect(other105(r).map((f) => f.path)).toEqual(['runners[1].jobs.permissions.azure[0]']);
    expect(other105(r)[0]!.message).toContain('namespace ci-build of cluster ci');
    expect(other105(r)[0]!.message).not.toContain('ci-deploy');
    expect(proof(r, 'deploy', JOB_NOT_MANAGER)).toBe(false);
  });

  it('its own namespace, a namespace without a manager, a read-only role, or Azure RBAC off in the cluster: no RF105 about another runner', () => {
    for (const [role, scope] of [
      ['Azure Kubernetes Service RBAC Writer', `${CLUSTER}/namespaces/ci-deploy`],
      ['Azure Kubernetes Service RBAC Writer', `${CLUSTER}/namespaces/apps`],
      ['Azure Kubernetes Service RBAC Reader', CLUSTER],
      ['Azure Kubernetes Service Cluster User Role', CLUSTER],
    ] as const) {
      expect(other105(twoRunners(role, scope)), `${role} on ${scope}`).toEqual([]);
    }
    const plan = twoRunners('Azure Kubernetes Service RBAC Writer', `${CLUSTER}/namespaces/ci-build`);
    const docs: EmittedFleet = structuredClone(plan.emitted!);
    for (const a of docs.artifacts) if (a.path === 'terraform/azure/main.tf.json') a.content = docs.terraformAzure;
    (docs.terraformAzure!.resource.azurerm_kubernetes_cluster!.ci!.azure_active_directory_role_based_access_control as Record<string, unknown>).azure_rbac_enabled = false;
    expect(other105(verifyFleet(intentOf(plan.fleet!), docs))).toEqual([]);
  });

  it('a role that may assign roles (User Access Administrator) on the cluster\'s own group: it may give itself RBAC Writer there, RF105 for the other runner too', () => {
    const r = twoRunners('User Access Administrator', `/subscriptions/${CREATE_SUB}/resourceGroups/rg-aks`, (s) => {
      s.clusters[0].resourceGroup = 'rg-aks';
    });
    expect(other105(r).map((f) => f.path)).toEqual(['runners[1].jobs.permissions.azure[0]']);
    expect(other105(r)[0]!.message).toContain('it may assign itself Azure Kubernetes Service RBAC Writer there (Microsoft.Authorization/roleAssignments/write) and then create pods in namespace ci-build');
  });

  it('the doctor over the synthesized files: the same RF105, at the role assignment in terraform/azure/main.tf.json', () => {
    // Synthesized with the Writer on a namespace without a manager (clean), then moved to build's namespace in the file.
    const plan = twoRunners('Azure Kubernetes Service RBAC Writer', `${CLUSTER}/namespaces/apps`);
    const files = synthFiles(plan).map((f) => {
      if (f.path !== 'terraform/azure/main.tf.json') return { path: f.path, bytes: new TextEncoder().encode(f.content) };
      const root = JSON.parse(f.content) as DamagedRoot;
      const moved = Object.values(root.resource.azurerm_role_assignment!).filter((a) => a.scope === `${CLUSTER}/namespaces/apps`);
      expect(moved).toHaveLength(1);
      moved[0]!.scope = `${CLUSTER}/namespaces/ci-build`;
      return { path: f.path, bytes: new TextEncoder().encode(JSON.stringify(root, null, 2)) };
    });
    expect(other105(doctor(synthFiles(plan).map((f) => ({ path: f.path, bytes: new TextEncoder().encode(f.content) }))))).toEqual([]);
    const r = doctor(files);
    const found = other105(r);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toMatch(/^terraform\/azure\/main\.tf\.json:\d+:\d+$/);
    expect(found[0]!.message).toContain('namespace ci-build of cluster ci');
  });

  it('linear: 200 runners, one namespace each on one cluster, every job role RBAC Writer on the next runner\'s namespace: one RF105 per runner, each naming the next', () => {
    const plan = planMutated('aks-create', (s) => {
      const base = s.runners[0];
      s.runners = Array.from({ length: 200 }, (_, i) => {
        const r = structuredClone(base);
        r.name = `r${i}`;
        r.placement = { cluster: 'ci', namespace: `ns-${i}` };
        r.gitlab.tags = [`t${i}`];
        r.jobs.permissions = { azure: [{ role: 'Azure Kubernetes Service RBAC Writer', scope: `${CLUSTER}/namespaces/ns-${(i + 1) % 200}` }] };
        return r;
      });
    });
    const found = other105(plan);
    expect(found).toHaveLength(200);
    const at = (i: number) => found.find((f) => f.path === `runners[${i}].jobs.permissions.azure[0]`)!.message;
    expect(at(0)).toContain('which contains namespace ns-1 of cluster ci');
    expect(at(199)).toContain('which contains namespace ns-0 of cluster ci');
  });
});
