import { azCliLabel } from './az-cli.js';
import type { Finding } from '../spec/findings.js';
import { CODES, type Code } from '../spec/codes.js';
import type { K8sObject } from '../emit/artifacts.js';
import { AZURE_CLIENT_ID_ANNOTATION, AZURE_USE_LABEL } from '../spec/azure.js';
import { get } from '../verify/get.js';
import { allWith } from '../model/lookup.js';
import { azureFacts } from '../verify/azure-docs.js';
import { formatPosition, originAt, type Origin } from './source.js';
import type { Evidence, Located } from './evidence.js';
import { RUNNER_IMAGE, type Inferred } from './infer.js';
import type { AzureEvidence } from './azure.js';

function finding(code: Code, origin: Origin | undefined, path: (string | number)[], message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path: origin ? formatPosition(originAt(origin, ...path)) : '', message, ...extra };
}

const SUBJECT = /^system:serviceaccount:([^:*?]+):([^:*?]+)$/;
/** A ServiceAccount's namespace/name (a constant: allWith's index is per key function). */
const accountKey = (o: Located<K8sObject>): string => `${o.value.metadata.namespace ?? 'default'}/${o.value.metadata.name}`;

/**
 * Azure Workload Identity references over the whole evidence, in both directions (the proofs see
 * only the runners' identities): federated credential → service account, service account →
 * managed identity → credential for it, and credential issuer → the cluster's issuer.
 */
export function azureRules(ev: Evidence, inferred: Inferred): Finding[] {
  const out: Finding[] = [];
  const az = inferred.azure;
  const facts = azureFacts({ artifacts: [], runners: new Map(), terraformAzure: az.root });
  if (!facts) return out;
  const [all, allFacts] = [az, facts];
  // Service accounts: the objects given, and those the chart creates from its values. `every`
  // keeps each copy (two deployments given together may both have gitlab-runner/deployer): each
  // copy's annotation is checked below, not only the one read last.
  const accounts = new Map<string, Located<K8sObject>>();
  const every: [string, Located<K8sObject>][] = [];
  for (const o of ev.kubernetes) {
    if (o.value.kind !== 'ServiceAccount') continue;
    const k = `${o.value.metadata.namespace ?? 'default'}/${o.value.metadata.name}`;
    accounts.set(k, o);
    every.push([k, o]);
  }
  for (const r of inferred.intent.runners) {
    const sa = inferred.docs.runners.get(r.name)?.manifests.find((m) => m.kind === 'ServiceAccount' && m.metadata.name === r.kubernetes?.managerServiceAccount && m.metadata.namespace === r.kubernetes.namespace);
    const origin = inferred.runnerOrigins.get(r.index);
    const k = `${r.kubernetes?.namespace ?? ''}/${r.kubernetes?.managerServiceAccount ?? ''}`;
    if (sa && origin && !accounts.has(k)) {
      const made = { value: sa, origin: { ...origin, path: [...origin.path, 'serviceAccount'] } };
      accounts.set(k, made);
      every.push([k, made]);
    }
  }
  const namespaces = new Set(ev.kubernetes.map((o) => o.value.metadata.namespace ?? (o.value.kind === 'Namespace' ? o.value.metadata.name : 'default')));
  const credentialOrigin = (key: string) => az.origins.get(`azurerm_federated_identity_credential.${key}`);

  // Federated credential → service account.
  for (const c of facts.credentials) {
    const m = SUBJECT.exec(c.subject);
    // A chart whose release namespace is not statically known (RF906) may create it in any namespace.
    if (!m || !namespaces.has(m[1]!) || accounts.has(`${m[1]!}/${m[2]!}`) || inferred.unplacedServiceAccounts.has(m[2]!)) continue;
    const lookalikes = [...accounts.values()].map((o) => o.value.metadata).filter((x) => (x.namespace ?? 'default') === m[1] && x.name.startsWith(`${m[2]!}-`)).map((x) => x.name);
    const drift = lookalikes.length > 0 ? `; namespace ${m[1]!} has ${lookalikes.join(', ')}: the real name carries a suffix (the chart or an operator appended one), so no token ever matches` : '';
    out.push(finding('RF904', credentialOrigin(c.key), ['subject'], `federated credential ${c.name} of ${c.identity ?? 'an identity'} trusts ${c.subject}, but namespace ${m[1]!} has no service account ${m[2]!} among the objects given${drift}`, { received: c.subject, fix: lookalikes.length > 0 ? `set subject to system:serviceaccount:${m[1]!}:${lookalikes[0]!}, or pin the service account name (serviceAccount.name in the chart values)` : 'name the service account the pods really run as' }));
  }

  // Credential issuer → the cluster's issuer, where the evidence states it.
  const issuers = new Set(az.clusterIssuers.values());
  if (issuers.size > 0) {
    for (const c of facts.credentials) {
      if (c.issuer.includes('${') || issuers.has(c.issuer)) continue;
      const near = [...issuers].find((i) => i.replace(/\/$/, '') === c.issuer.replace(/\/$/, ''));
      out.push(finding('RF930', credentialOrigin(c.key), ['issuer'], `federated credential ${c.name} of ${c.identity ?? 'an identity'} trusts issuer ${c.issuer}, which is not the issuer of ${issuers.size === 1 ? 'the cluster' : 'any cluster'} in the evidence (${[...issuers].join(', ')})${near ? ': Entra ID compares issuers exactly, including the trailing "/"' : ''}`, { received: c.issuer, allowed: [...issuers].join(', '), fix: `copy the issuer from az aks show --query oidcIssuerProfile.issuerUrl${near ? ` (${near})` : ''}, or reference azurerm_kubernetes_cluster.<name>.oidc_issuer_url` }));
    }
  }

  // A manager run as a plain workload (no chart values): its pod template carries the workload
  // identity label, or the webhook injects no token and the manager cannot sign cache URLs.
  // Each copy of a ServiceAccount by namespace/name, in the order of `every` (allWith: a filter of every copy per workload grew with the square of the folders).
  const copies = every.map(([, sa]) => sa);
  for (const o of ev.kubernetes) {
    const template = get(o.value, 'spec', 'template');
    const containers = get(template, 'spec', 'containers');
    if (!Array.isArray(containers) || !containers.some((c) => { const image = get(c, 'image'); return typeof image === 'string' && RUNNER_IMAGE.test(image); })) continue;
    const ns = o.value.metadata.namespace ?? 'default';
    const named = get(template, 'spec', 'serviceAccountName');
    const saName = typeof named === 'string' && named !== '' ? named : 'default';
    // The ServiceAccount of its own deployment (two given together may both have gitlab-runner/gitlab-runner).
    const own = inferred.togetherIn(allWith(copies, accountKey, `${ns}/${saName}`), o).at(-1);
    if (typeof own?.value.metadata.annotations?.[AZURE_CLIENT_ID_ANNOTATION] !== 'string') continue;
    if (get(template, 'metadata', 'labels', AZURE_USE_LABEL) === 'true') continue;
    out.push(finding('RF106', o.origin, ['spec', 'template', 'metadata'], `${o.value.kind} ${ns}/${o.value.metadata.name} runs gitlab-runner as ${saName}, which names a managed identity, but its pod template is not labelled ${AZURE_USE_LABEL}: "true": the webhook injects no token, so the manager cannot sign cache URLs`, { fix: `add the label ${AZURE_USE_LABEL}: "true" to spec.template.metadata.labels` }));
  }

  // Service account → managed identity → a credential for that service account.
  for (const [key, o] of every) {
    const value = o.value.metadata.annotations?.[AZURE_CLIENT_ID_ANNOTATION];
    if (typeof value !== 'string' || value === '') continue;
    const at = { ...o.origin, path: [...o.origin.path, 'metadata', 'annotations', AZURE_CLIENT_ID_ANNOTATION] };
    // Of several Azure deployments given together, the identity of the account's own (another may name one the same).
    const own = inferred.azureAt(o.origin.source.path);
    const [az, facts] = own === inferred.azure ? [all, allFacts] : [own, azureFacts({ artifacts: [], runners: new Map(), terraformAzure: own.root })!];
    const name = az.clientIdRefs.get(value) ?? az.clientIds.get(value.toLowerCase());
    const creds = facts.credentials.filter((c) => c.identity === name);
    const [ns, sa] = key.split('/') as [string, string];
    if (name === undefined || (creds.length === 0 && !az.identities.has(name))) {
      out.push(finding('RF903', at, [], `ServiceAccount ${key} names client id ${value}, which is no managed identity in the evidence given, so who may become it is not proven`, { received: value, fix: 'give the Terraform (or `terraform show -json` of the state) that creates the identity and its federated credentials' }));
      continue;
    }
    if (creds.length === 0 && Object.entries(az.root.resource.azurerm_user_assigned_identity ?? {}).every(([k, b]) => b.name !== name || k.startsWith('data_'))) continue; // Only looked up here: its credentials live elsewhere.
    const subject = `system:serviceaccount:${ns}:${sa}`;
    if (creds.some((c) => c.subject === subject)) continue;
    const identityOrigin = az.origins.get(`azurerm_user_assigned_identity.${facts.identities.get(name)?.key ?? ''}`);
    out.push(finding('RF931', at, [], `ServiceAccount ${key} (${formatPosition(originAt(at))}) → managed identity ${name}${identityOrigin ? ` (${formatPosition(originAt(identityOrigin))})` : ''}, whose federated credentials ${creds.length === 0 ? 'do not exist' : `trust only ${creds.map((c) => c.subject).join(', ')}`}: pods of this service account get no token for it`, { received: value, fix: creds.length === 0 ? `add an azurerm_federated_identity_credential for ${subject} to ${name}` : `add a federated credential for ${subject}, or annotate the service account with the identity made for it` }));
  }
  // A cluster read from `az aks show` (Terraform clusters are judged by the created-cluster proof,
  // platforms/aks/cluster.ts): without the OIDC issuer and workload identity, the webhook injects no
  // token, so no federated credential is ever used.
  if (facts.credentials.length > 0) {
    for (const [k, b] of Object.entries(ev.terraform.resource.azurerm_kubernetes_cluster ?? {})) {
      const what = azCliLabel(b);
      if (what === undefined) continue;
      const off = [b.oidc_issuer_enabled !== true ? 'the OIDC issuer' : undefined, b.workload_identity_enabled !== true ? 'workload identity' : undefined].filter((x) => x !== undefined);
      if (off.length === 0) continue;
      out.push(finding('RF106', ev.terraform.origins.get(`azurerm_kubernetes_cluster.${k}`), [], `${what} does not enable ${off.join(' and ')}: the workload identity webhook injects no token into its pods, so no federated credential of the files is used and the runners' cache and cloud access fail`, {
        fix: `az aks update --name ${String(b.name)} --resource-group ${typeof b.resource_group_name === 'string' ? b.resource_group_name : '<group>'} --enable-oidc-issuer --enable-workload-identity`,
      }));
    }
  }
  return out;
}

const ASSIGNMENT_CODES = new Set(['RF105', 'RF903']);
const AZURE_CODES = new Set(['RF104', 'RF601', 'RF602', 'RF603', 'RF604', 'RF606', 'RF607', 'RF608', 'RF615']);

/**
 * Azure findings of the shared proofs point at the runner; here they move to the document that
 * decides them (the federated credential, the role assignment), and a refused identity shows both
 * ends: the service account's annotation and the credentials the identity has.
 */
export function azureWhere(f: Finding, inferred: Inferred, az: AzureEvidence = inferred.azure): Finding {
  // Job and ID-token role assignments over manager identities (verify/azure-rbac.ts): moved only to the assignment they are about.
  const s = f.subject;
  const assignmentOnly = ASSIGNMENT_CODES.has(f.code) && s?.kind === 'assignments';
  if (!AZURE_CODES.has(f.code) && !assignmentOnly) return f;
  const facts = azureFacts({ artifacts: [], runners: new Map(), terraformAzure: az.root });
  if (!facts) return f;
  const at = (type: string, key: string | undefined, ...path: string[]) => {
    const o = key === undefined ? undefined : az.origins.get(`${type}.${key}`);
    return o ? formatPosition(originAt(o, ...path)) : undefined;
  };
  if (f.code === 'RF104') {
    // The identity the proof names as data (its message may be worded otherwise).
    const about = f.subject?.kind === 'assume' ? f.subject.identity : undefined;
    const id = inferred.intent.identities.find((i) => i.cloud === 'azure' && i.key === about);
    if (!id || id.binding.subject.kind !== 'kubernetes') return f;
    const s = id.binding.subject;
    const saAt = inferred.bindingOrigins.get(id.key);
    const creds = facts.credentials.filter((c) => c.identity === id.roleName);
    const credAt = at('azurerm_federated_identity_credential', creds[0]?.key, 'subject');
    const trusted = creds.map((c) => `${c.subject} (issuer ${c.issuer}, audience ${JSON.stringify(c.audience)})`);
    const saPos = saAt ? formatPosition(originAt(saAt)) : undefined;
    return {
      ...f,
      ...(saPos ? { path: saPos } : {}),
      message: `ServiceAccount ${s.namespace}/${s.serviceAccount}${saPos ? ` (${saPos})` : ''} → ${id.purpose} managed identity ${id.roleName}, whose federated credentials${credAt ? ` (${credAt})` : ''} ${trusted.length > 0 ? `admit only ${trusted.join(', ')}` : 'do not exist'}`,
      fix: `give ${id.roleName} a federated credential for system:serviceaccount:${s.namespace}:${s.serviceAccount} with the cluster's issuer and audience ["api://AzureADTokenExchange"]`,
    };
  }
  if (f.code === 'RF603' || f.code === 'RF604') {
    // The credential the proof names as data (RF603 of an identity with none has no credential to point at).
    const about = f.subject?.kind === 'credential' ? f.subject : undefined;
    const c = about ? facts.credentials.find((x) => x.name === about.credential && x.identity === about.identity) : undefined;
    const path = at('azurerm_federated_identity_credential', c?.key, f.code === 'RF604' ? 'audience' : 'subject');
    return path ? { ...f, path } : f;
  }
  // Role assignments: the first of the identity's that the finding is about (role on scope), else the identity itself.
  const hit = s?.kind === 'assignments' ? facts.assignments.find((a) => a.identity === s.identity && s.assignments.some((x) => x.role === a.role && x.scope === a.scope)) : undefined;
  const path = hit ? at('azurerm_role_assignment', hit.key, 'role_definition_name') : undefined;
  if (path) return { ...f, path };
  if (assignmentOnly) return f;
  const identity = s?.kind === 'assignments' ? s.identity : s?.kind === 'identity' ? s.name : undefined;
  const named = identity !== undefined ? [...facts.identities.values()].find((i) => i.name === identity) : undefined;
  const idPath = named ? at('azurerm_user_assigned_identity', named.key) : undefined;
  return idPath ? { ...f, path: idPath } : f;
}
