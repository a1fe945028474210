import type { PlanResult } from '../../src/core.js';
import type { EmittedFleet } from '../../src/emit/types.js';
import type { TerraformRoot } from '../../src/emit/artifacts.js';
import { verifyFleet } from '../../src/verify/index.js';
import { intentOf } from '../../src/verify/intent.js';
import { planText } from '../../src/core.js';
import { exampleText } from './fleet.js';

export const AKS = 'aks-workload-identity';
export const MIXED = 'mixed-aws-azure';
export const SUB = '0b1f6471-1bf0-4dda-aec3-111122223333';
export const RG_SCOPE = `/subscriptions/${SUB}/resourceGroups/rg-gitlab-runners`;
export const ACCOUNT_SCOPE = `${RG_SCOPE}/providers/Microsoft.Storage/storageAccounts/contosorunnercache`;
export const CONTAINER_SCOPE = `${ACCOUNT_SCOPE}/blobServices/default/containers/runner-cache`;

/** Client ids as `terraform output -json` of terraform/azure would give them for the AKS example. */
export const AKS_CLIENT_IDS: Record<string, string> = {
  'contoso-build-manager': '11111111-2222-4333-8444-555555555555',
  'contoso-build-jobs': '66666666-7777-4888-9999-aaaaaaaaaaaa',
  'contoso-terraform-manager': 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff',
  'contoso-terraform-jobs': '12121212-3434-4565-8787-909090909090',
};

export function planWithOutputs(name: string, ids: Record<string, string> = AKS_CLIENT_IDS): PlanResult {
  return planText(exampleText(name), `examples/${name}.yaml`, { azureClientIds: { ...ids } });
}

export function k8sRoot(docs: EmittedFleet, cluster = 'ci'): TerraformRoot {
  const a = docs.artifacts.find((x) => x.path === `terraform/azure-k8s/${cluster}/main.tf.json`);
  if (!a) throw new Error(`no kubernetes root for ${cluster}`);
  return a.content as TerraformRoot;
}

/** Mutates a copy of what emit produced and verifies it again. */
export function reverify(plan: PlanResult, mutate: (docs: EmittedFleet) => void): string[] {
  const docs = structuredClone(plan.emitted!);
  mutate(docs);
  // JSON artifacts are the same objects as the roots in a fresh plan; keep them in step after cloning.
  for (const a of docs.artifacts) {
    if (a.path === 'terraform/azure/main.tf.json') a.content = docs.terraformAzure;
    if (a.path === 'terraform/gitlab/main.tf.json') a.content = docs.terraformGitlab;
  }
  return verifyFleet(intentOf(plan.fleet!), docs).findings.map((f) => f.code);
}

export type SpecCase = [code: string, example: string, mutate: (s: Record<string, any>) => void, severity: 'error' | 'warning' | 'info'];
export type DocCase = [code: string, example: string, mutate: (docs: EmittedFleet) => void];

const az = (d: EmittedFleet) => d.terraformAzure!.resource;

/** Azure rules a spec can trigger. */
export const azureSpecCases: SpecCase[] = [
  ['RF601', AKS, (s) => (s.runners[1].gitlab.protectedOnly = false), 'error'],
  // locked binds project runners only (a group runner serves its whole group whatever it says: RF316).
  ['RF601', AKS, (s) => { delete s.runners[1].gitlab.group; s.runners[1].gitlab.project = 'contoso/infrastructure/landing-zone'; s.runners[1].gitlab.locked = false; }, 'error'],
  ['RF601', AKS, (s) => s.runners[0].jobs.permissions.azure.push({ role: 'User Access Administrator', scope: `/subscriptions/${SUB}` }), 'error'],
  ['RF602', AKS, (s) => (s.runners[1].acceptRisks = []), 'warning'],
  ['RF602', AKS, (s) => (s.runners[1].jobs.permissions.azure[0].role = 'Contributor'), 'warning'],
  ['RF608', AKS, (s) => s.runners[0].jobs.permissions.azure.push({ role: 'Storage Blob Data Reader', scope: RG_SCOPE }), 'error'],
  ['RF608', AKS, (s) => s.runners[0].jobs.permissions.azure.push({ role: 'Storage Blob Data Contributor', scope: CONTAINER_SCOPE }), 'warning'],
  ['RF612', AKS, (s) => (s.caches[0].expireAfterDays = 0), 'warning'],
  ['RF614', AKS, (s) => delete s.caches[0].network, 'warning'],
];

/** Azure rules only broken documents can trigger. */
export const azureDocCases: DocCase[] = [
  ['RF603', AKS, (d) => void (az(d).azurerm_federated_identity_credential!['build-jobs']!.subject = 'system:serviceaccount:ci-build:build-job')],
  ['RF603', AKS, (d) => void (az(d).azurerm_federated_identity_credential!['build-jobs']!.issuer = 'https://westeurope.oic.prod-aks.azure.com/other/')],
  ['RF603', AKS, (d) => void delete az(d).azurerm_federated_identity_credential!['terraform-manager']],
  ['RF603', AKS, (d) => void (az(d).azurerm_federated_identity_credential!['build-jobs']!.subject = 'system:serviceaccount:ci-terraform:terraform-jobs')],
  ['RF103', AKS, (d) => void (az(d).azurerm_federated_identity_credential!['build-jobs']!.subject = 'system:serviceaccount:ci-terraform:terraform-jobs')],
  ['RF104', AKS, (d) => void delete az(d).azurerm_federated_identity_credential!['build-manager']],
  ['RF604', AKS, (d) => void (az(d).azurerm_federated_identity_credential!['build-manager']!.audience = ['api://AzureADTokenExchange', 'https://attacker.example'])],
  ['RF604', AKS, (d) => void (az(d).azurerm_federated_identity_credential!['terraform-jobs']!.audience = ['api://Other'])],
  ['RF605', AKS, (d) => {
    const sa = k8sRoot(d).resource.kubernetes_service_account_v1!['ci-build_build-jobs']!;
    (sa.metadata as any).annotations['azure.workload.identity/client-id'] = '${data.azurerm_user_assigned_identity.terraform-jobs.client_id}';
  }],
  ['RF605', AKS, (d) => void (k8sRoot(d).data!.azurerm_user_assigned_identity!['build-manager']!.name = 'contoso-build-mgr')],
  ['RF605', AKS, (d) => {
    const sa = k8sRoot(d).resource.kubernetes_service_account_v1!['ci-terraform_terraform-manager']!;
    (sa.metadata as any).annotations['azure.workload.identity/tenant-id'] = '00000000-0000-0000-0000-000000000000';
  }],
  ['RF105', AKS, (d) => {
    const sa = k8sRoot(d).resource.kubernetes_service_account_v1!['ci-build_build-jobs']!;
    (sa.metadata as any).annotations['azure.workload.identity/client-id'] = '${data.azurerm_user_assigned_identity.build-manager.client_id}';
  }],
  ['RF106', AKS, (d) => void delete (d.runners.get('build')!.configToml.runners as any[])[0].kubernetes.pod_labels['azure.workload.identity/use']],
  ['RF106', AKS, (d) => void delete (d.runners.get('terraform')!.helmValues!.podLabels as any)['azure.workload.identity/use']],
  ['RF106', AKS, (d) => void delete az(d).azurerm_user_assigned_identity!['build-jobs']],
  ['RF601', AKS, (d) => {
    const a = Object.values(az(d).azurerm_role_assignment!).find((b) => b.role_definition_name === 'AcrPush')!;
    a.scope = `/subscriptions/${SUB}`;
    a.role_definition_name = 'Owner';
  }],
  ['RF606', AKS, (d) => void (az(d).azurerm_role_assignment!.cache_shared_build_data!.scope = ACCOUNT_SCOPE)],
  ['RF606', AKS, (d) => void (az(d).azurerm_role_assignment!.cache_shared_build_delegator!.role_definition_name = 'Contributor')],
  ['RF606', AKS, (d) => {
    az(d).azurerm_role_assignment!.extra = { scope: RG_SCOPE, role_definition_name: 'Reader', principal_id: '${azurerm_user_assigned_identity.terraform-manager.principal_id}' };
  }],
  ['RF607', AKS, (d) => void delete az(d).azurerm_role_assignment!.cache_shared_build_delegator],
  ['RF607', AKS, (d) => void delete az(d).azurerm_role_assignment!.cache_shared_build_data],
  ['RF607', AKS, (d) => void (az(d).azurerm_role_assignment!.cache_shared_build_data!.role_definition_name = 'Storage Blob Data Reader')],
  ['RF608', AKS, (d) => {
    az(d).azurerm_role_assignment!.leak = { scope: `/subscriptions/${SUB}`, role_definition_name: 'Storage Blob Data Reader', principal_id: '${azurerm_user_assigned_identity.build-jobs.principal_id}' };
  }],
  ['RF611', AKS, (d) => void (az(d).azurerm_storage_account!.cache_shared!.allow_nested_items_to_be_public = true)],
  ['RF611', AKS, (d) => void (az(d).azurerm_storage_account!.cache_shared!.shared_access_key_enabled = true)],
  ['RF611', AKS, (d) => void (az(d).azurerm_storage_account!.cache_shared!.min_tls_version = 'TLS1_0')],
  ['RF611', AKS, (d) => void (az(d).azurerm_storage_account!.cache_shared!.https_traffic_only_enabled = false)],
  ['RF611', AKS, (d) => void (az(d).azurerm_storage_container!.cache_shared!.container_access_type = 'blob')],
  ['RF612', AKS, (d) => void delete az(d).azurerm_storage_management_policy],
  ['RF612', AKS, (d) => void ((az(d).azurerm_storage_management_policy!.cache_shared!.rule as any[])[0].filters.prefix_match = ['other-container/'])],
  ['RF614', AKS, (d) => void delete az(d).azurerm_storage_account!.cache_shared!.network_rules],
  ['RF614', AKS, (d) => void ((az(d).azurerm_storage_account!.cache_shared!.network_rules as Record<string, unknown>).default_action = 'Allow')],
  ['RF613', AKS, (d) => void (az(d).azurerm_storage_account!.cache_shared!.enable_https_traffic_only = true)],
  ['RF613', AKS, (d) => void ((az(d).azurerm_monitor_diagnostic_setting!.cache_shared!.enabled_log as Record<string, unknown>[])[0]!.enabled = true)],
  ['RF613', AKS, (d) => void (d.terraformGitlab!.resource.gitlab_user_runner!.build!.run_untagged = false)],
  ['RF613', MIXED, (d) => void (d.terraformGitlab!.resource.kubernetes_secret_v1!['azure-build']!.data = '${gitlab_user_runner.azure-build.runner_token}')],
  ['RF304', AKS, (d) => void ((d.runners.get('build')!.configToml.runners as any[])[0].cache.azure.AccountKey = 'c2VjcmV0')],
];

/** Azure codes with dedicated tests in aks.test.ts (not table rows): RF609 (absent with outputs), RF610 (outputs file). */
export const AZURE_OTHER_TESTED = ['RF609', 'RF610'] as const;
