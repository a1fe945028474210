import type { DoctorBinding, DoctorReader } from '../../doctor/types.js';
import type { AzureManagedIdentity } from '../../model/types.js';
import type { K8sObject, TerraformRoot } from '../../emit/artifacts.js';
import { setOwn, tfName } from '../../emit/artifacts.js';
import { azureFacts } from '../../verify/azure-docs.js';
import { AZURE_CLIENT_ID_ANNOTATION, AZURE_TENANT_ID_ANNOTATION, UUID, userAssignedIdentityId } from '../../spec/azure.js';
import { UNKNOWN_SUBSCRIPTION, UNKNOWN_TENANT } from '../../doctor/azure.js';
import { MECHANISM, k8sRootPath, serviceAccountSubject } from './names.js';
import { feeding, spcObjects } from './key-vault-verify.js';
import { get } from '../../verify/get.js';
import { aksRotatorKubernetes } from './doctor-rotator.js';
import { runnersOfCluster } from '../../verify/kubernetes-chain.js';

/**
 * What the reader asks of every Kubernetes object given, once per object list (again if it grew):
 * each runner and cluster asked it, a scan of every folder's objects per runner.
 * `tenant`: the first tenant-id annotation that is a UUID; `classes`: the SecretProviderClasses, in order.
 */
const objectFacts = new WeakMap<readonly { value: K8sObject }[], { size: number; tenant: string | undefined; classes: K8sObject[] }>();
function factsOfObjects(objects: readonly { value: K8sObject }[]): { tenant: string | undefined; classes: K8sObject[] } {
  let hit = objectFacts.get(objects);
  if (!hit || hit.size !== objects.length) {
    const tenant = objects.map((o) => o.value.metadata.annotations?.[AZURE_TENANT_ID_ANNOTATION]).find((t) => typeof t === 'string' && UUID.test(t));
    hit = { size: objects.length, tenant, classes: objects.map((o) => o.value).filter((o) => o.kind === 'SecretProviderClass') };
    objectFacts.set(objects, hit);
  }
  return hit;
}

/** An issuer nothing in the evidence states: every credential probe then fails, as it would in Entra ID. */
const NO_ISSUER = 'https://aks.invalid/NOTINTHEEVIDENCE/';
/** The Kubernetes root of one cluster (k8sRootPath), as given to the doctor (any parent folder). */
const K8S_ROOT = /(?:^|[\\/])terraform[\\/]azure-k8s[\\/]([^\\/]+)[\\/][^\\/]+\.tf(?:\.json)?$/;
const CREATED_ISSUER = /^\$\{azurerm_kubernetes_cluster\.([A-Za-z0-9_-]+)\.oidc_issuer_url\}$/;

/**
 * AKS reads Azure Workload Identity back for the doctor: a service account's
 * `azure.workload.identity/client-id` annotation names a managed identity (a Terraform reference
 * to it, or a literal client id the evidence states); its federated credentials give the cluster's
 * issuer. The documents it builds are the ones `plan` emits (the Azure root and the cluster's
 * Kubernetes root), so the AKS proofs run unchanged.
 */
export const aksDoctor: DoctorReader = {
  // Pods reach the node's instance metadata endpoint on AKS unless something keeps them from it.
  podsWithoutIdentity: {
    get: "get no Workload Identity token of their own, and through the node's instance metadata endpoint (169.254.169.254) the managed identities of its VM scale set (the kubelet identity) unless a network policy keeps pods from it, which files cannot show",
    fix: `give jobs a service account of their own annotated with a narrow managed identity (${AZURE_CLIENT_ID_ANNOTATION}) and name it in [runners.kubernetes] service_account, or keep pods from the instance metadata endpoint and verify it on the nodes`,
  },

  bindingOf(sa, ctx) {
    const value = sa.object?.value.metadata.annotations?.[AZURE_CLIENT_ID_ANNOTATION];
    if (typeof value !== 'string' || value === '') return undefined;
    const az = ctx.azure;
    const name = az.clientIdRefs.get(value) ?? az.clientIds.get(value.toLowerCase());
    const facts = azureFacts({ artifacts: [], runners: new Map(), terraformAzure: az.root });
    const creds = facts?.credentials.filter((c) => c.identity === name) ?? [];
    const documented = name !== undefined && az.identities.has(name) && (Object.values(az.root.resource.azurerm_user_assigned_identity ?? {}).some((b) => b.name === name && !isDataOnly(az.root, name)) || creds.length > 0);
    const own = creds.find((c) => c.subject === serviceAccountSubject(sa.namespace, sa.name)) ?? creds[0];
    const out: DoctorBinding = {
      platform: 'aks',
      mechanism: MECHANISM,
      roleName: name ?? value,
      rolePath: '',
      ref: value,
      noun: 'managed identity',
      inEvidence: documented,
      evidenceFix: name !== undefined
        ? `give the Terraform of managed identity ${name} with its federated credentials and role assignments (or \`terraform show -json\` of its state)`
        : `client id ${value} names no managed identity in the evidence: give \`terraform show -json\` of the state that creates it (it states client ids), or annotate the service account with a reference to the identity's client_id`,
    };
    // The namespace's `default` (RF103): Azure Workload Identity's webhook injects the identity
    // (AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE and the projected token) into a pod that runs as an
    // account annotated with the client id and is labelled azure.workload.identity/use: "true"
    // (azure.github.io/azure-workload-identity, mutating admission webhook); the federated
    // credential trusts the account's token (subject system:serviceaccount:<ns>:<sa>, audience
    // api://AzureADTokenExchange), which any pod running as it can project for that audience itself.
    const subject = serviceAccountSubject(sa.namespace, sa.name);
    const trusted = own?.subject === subject ? `its federated credential trusts ${subject}` : `the account is annotated with its client id`;
    out.sharedDefault = {
      how: `${trusted}, so any such pod can take the manager's managed identity and what it may do: the Workload Identity webhook injects it (AZURE_CLIENT_ID and the federated token file) into each one labelled azure.workload.identity/use: "true", and one without the label can mount a projected token of the account for audience api://AzureADTokenExchange and exchange it itself`,
      rebind: (account) => `annotate ${account} with the client id of ${name ?? value}, give ${name ?? value} a federated credential for system:serviceaccount:${account.replace('/', ':')} instead of ${subject}`,
    };
    // Where the evidence states the one cluster's issuer, that is the issuer tokens carry; otherwise the credential's.
    const stated = [...az.clusterIssuers.values()];
    if (stated.length === 1) out.issuer = stated[0]!;
    else if (own) out.issuer = own.issuer;
    const created = own ? CREATED_ISSUER.exec(own.issuer) : null;
    if (created && az.root.resource.azurerm_kubernetes_cluster?.[created[1]!]) out.clusterName = created[1]!;
    if (sa.object) out.origin = { ...sa.object.origin, path: [...sa.object.origin.path, 'metadata', 'annotations', AZURE_CLIENT_ID_ANNOTATION] };
    return out;
  },

  clusterName(binding) {
    // runner-fleet writes a cluster's service accounts into terraform/azure-k8s/<cluster>/: the folder names the cluster.
    const path = binding.origin?.source.path ?? '';
    return K8S_ROOT.exec(path)?.[1];
  },

  clusterKey(binding) {
    return `aks|${binding.issuer ?? ''}`;
  },

  clusterSpec(name, bindings, ctx) {
    const issuer = bindings.map((b) => b.issuer).find((x) => x !== undefined);
    const created = issuer ? CREATED_ISSUER.exec(issuer) : null;
    const body = created ? ctx.azure.root.resource.azurerm_kubernetes_cluster?.[created[1]!] : undefined;
    const base = { name, type: 'aks', identity: 'workload-identity', acceptRisks: [] };
    // A cluster created in the same Terraform: the proofs of created clusters read it by key.
    if (created && body && tfName(name) === created[1]) {
      return { ...base, ...(typeof body.name === 'string' && body.name !== name ? { clusterName: body.name } : {}), create: { adminGroupObjectIds: [], systemPool: {}, nodePools: [] } };
    }
    return { ...base, oidcIssuer: issuer ?? NO_ISSUER };
  },

  identity(party, binding, ctx): AzureManagedIdentity {
    const body = Object.values(ctx.azure.root.resource.azurerm_user_assigned_identity ?? {}).find((b) => b.name === binding.roleName);
    const rg = typeof body?.resource_group_name === 'string' ? body.resource_group_name : (ctx.azure.resourceGroup ?? '');
    return {
      cloud: 'azure',
      key: party.key,
      runner: party.runner,
      purpose: party.purpose,
      roleName: binding.roleName,
      resourceGroup: rg,
      resourceId: userAssignedIdentityId(ctx.azure.subscriptionId ?? UNKNOWN_SUBSCRIPTION, rg, binding.roleName),
      binding: { mechanism: MECHANISM, subject: { kind: 'kubernetes', cluster: party.cluster, namespace: party.namespace, serviceAccount: party.serviceAccount } },
      roleAssignments: [],
    };
  },

  intent(ctx) {
    // Without a tenant-id annotation the webhook injects the cluster's default tenant: the identities' own.
    const annotated = factsOfObjects(ctx.objects).tenant;
    // Client ids the evidence states (a state): plain manifests carrying them are checked against them.
    const applied = ctx.azure.clientIds.size > 0 ? { applied: { azureClientIds: Object.fromEntries([...ctx.azure.clientIds].map(([id, name]) => [name, id])) } } : {};
    return {
      ...applied,
      azure: {
        tenantId: ctx.azure.tenantId ?? annotated ?? UNKNOWN_TENANT,
        subscriptionId: ctx.azure.subscriptionId ?? UNKNOWN_SUBSCRIPTION,
        location: ctx.azure.location ?? 'unknown',
        resourceGroup: ctx.azure.resourceGroup ?? 'unknown',
        tags: {},
      },
    };
  },

  azureRotatorKubernetes(ctx, rotator, clusters, subscriptionId) {
    return aksRotatorKubernetes(ctx, rotator, clusters, subscriptionId);
  },

  tokenStore(ctx, runner, own) {
    // A SecretProviderClass that writes the chart's Secret (key runner-token) from a Key Vault secret: the token lives there.
    const k = runner.kubernetes;
    if (!k || k.tokenSecret === '') return undefined;
    // The runner's own copy first (two deployments side by side, each with its class of one name), then any of the files.
    const classes = [...own.filter((o) => o.kind === 'SecretProviderClass'), ...factsOfObjects(ctx.objects).classes];
    for (const spc of classes) {
      if (spc.kind !== 'SecretProviderClass' || spc.metadata.namespace !== k.namespace || get(spc, 'spec', 'provider') !== 'azure') continue;
      const feeder = feeding(spc, k.tokenSecret, 'runner-token');
      const vault = get(spc, 'spec', 'parameters', 'keyvaultName');
      const object = spcObjects(get(spc, 'spec', 'parameters', 'objects')).find((x) => (x.objectAlias ?? x.objectName) === feeder);
      if (feeder === undefined || typeof vault !== 'string' || !object) continue;
      // The vault's resource group: from a role assignment scoped to it (or a secret in it), else the identities'.
      const scoped = new RegExp(`/resourceGroups/([^/]+)/providers/Microsoft\\.KeyVault/vaults/${vault.replace(/[^A-Za-z0-9-]/g, '')}(/|$)`, 'i');
      const rg = Object.values(ctx.azure.root.resource.azurerm_role_assignment ?? {}).map((b) => scoped.exec(String(b.scope))?.[1]).find((x) => x !== undefined);
      return { keyVault: { name: vault, secretName: object.objectName, ...(rg !== undefined ? { resourceGroup: rg } : {}) } };
    }
    return undefined;
  },

  documents(ctx, cluster, intent, docs) {
    // The cluster's service accounts as the Kubernetes root `plan` writes: each client id annotation
    // looks its identity up by name, so the proofs read which identity a service account names.
    const data: Record<string, Record<string, unknown>> = {};
    const accounts: Record<string, Record<string, unknown>> = {};
    const seen = new Set<string>();
    for (const r of runnersOfCluster(intent.runners, cluster.name)) {
      for (const o of docs.runners.get(r.name)?.manifests ?? []) {
        if (o.kind !== 'ServiceAccount' || seen.has(`${o.metadata.namespace ?? ''}/${o.metadata.name}`)) continue;
        seen.add(`${o.metadata.namespace ?? ''}/${o.metadata.name}`);
        accounts[tfName(o.metadata.namespace ?? 'default', o.metadata.name)] = { metadata: serviceAccountMetadata(o, ctx.azure, data, (r.azure ?? intent.azure)?.tenantId) };
      }
    }
    // SecretProviderClasses of these namespaces (Key Vault token stores), their clientID looked up by identity name likewise:
    // the cluster's runners' own copies first, so another deployment's class of one namespace and name is not taken.
    const manifests: Record<string, Record<string, unknown>> = {};
    const mine = runnersOfCluster(intent.runners, cluster.name);
    const namespaces = new Set(mine.map((r) => r.kubernetes?.namespace));
    const own = mine.flatMap((r) => docs.runners.get(r.name)?.manifests ?? []).filter((o) => o.kind === 'SecretProviderClass');
    for (const o of [...own, ...factsOfObjects(ctx.objects).classes]) {
      if (o.kind !== 'SecretProviderClass' || !namespaces.has(o.metadata.namespace)) continue;
      const key = tfName(o.metadata.namespace ?? 'default', o.metadata.name, 'spc');
      if (!Object.hasOwn(manifests, key)) manifests[key] = { manifest: providerClassManifest(o, ctx.azure, data) };
    }
    const root: TerraformRoot = { terraform: {}, data: { azurerm_user_assigned_identity: data }, resource: { kubernetes_service_account_v1: accounts, ...(Object.keys(manifests).length > 0 ? { kubernetes_manifest: manifests } : {}) } };
    return { artifacts: [{ path: k8sRootPath(cluster.name), format: 'json', content: root }], terraformAzure: ctx.azure.root };
  },
};

function isDataOnly(root: TerraformRoot, name: string): boolean {
  const key = Object.entries(root.resource.azurerm_user_assigned_identity ?? {}).find(([, b]) => b.name === name)?.[0];
  return key !== undefined && key.startsWith('data_');
}

function serviceAccountMetadata(o: K8sObject, az: { clientIdRefs: Map<string, string>; clientIds: Map<string, string> }, data: Record<string, Record<string, unknown>>, tenant: string | undefined): Record<string, unknown> {
  const annotations: Record<string, string> = { ...(o.metadata.annotations ?? {}) };
  const value = annotations[AZURE_CLIENT_ID_ANNOTATION];
  if (typeof value === 'string') {
    const name = az.clientIdRefs.get(value) ?? az.clientIds.get(value.toLowerCase());
    if (name !== undefined) {
      const key = tfName(name);
      setOwn(data, key, { name });
      annotations[AZURE_CLIENT_ID_ANNOTATION] = `\${data.azurerm_user_assigned_identity.${key}.client_id}`;
    }
    if (annotations[AZURE_TENANT_ID_ANNOTATION] === undefined && tenant !== undefined) annotations[AZURE_TENANT_ID_ANNOTATION] = tenant;
  }
  return { name: o.metadata.name, namespace: o.metadata.namespace ?? 'default', annotations };
}

/** A SecretProviderClass whose clientID names an identity of the evidence, as the Kubernetes root `plan` writes it (a data source lookup by name). */
function providerClassManifest(o: K8sObject, az: { clientIdRefs: Map<string, string>; clientIds: Map<string, string> }, data: Record<string, Record<string, unknown>>): K8sObject {
  const value = get(o, 'spec', 'parameters', 'clientID');
  const name = typeof value === 'string' ? (az.clientIdRefs.get(value) ?? az.clientIds.get(value.toLowerCase())) : undefined;
  if (name === undefined) return o;
  const key = tfName(name);
  setOwn(data, key, { name });
  const spec = o.spec as Record<string, unknown>;
  return { ...o, spec: { ...spec, parameters: { ...(spec.parameters as Record<string, unknown>), clientID: `\${data.azurerm_user_assigned_identity.${key}.client_id}` } } };
}
