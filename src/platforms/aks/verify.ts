import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import type { IdentitySubject, KubernetesSubject, ResolvedCluster } from '../../model/types.js';
import { partyNamespace } from '../../model/types.js';
import { findBy } from '../../model/lookup.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import type { TerraformRoot } from '../../emit/artifacts.js';
import { verifyKubernetesChain, findServiceAccount } from '../../verify/kubernetes-chain.js';
import { fleetSubjects, type FleetSubjectIndex } from '../../verify/index.js';
import { assignmentsRead, azureFacts, parseAzureRef } from '../../verify/azure-docs.js';
import {
  AZURE_CLIENT_ID_ANNOTATION,
  AZURE_TENANT_ID_ANNOTATION,
  AZURE_USE_LABEL,
  AZURE_WI_AUDIENCE,
  MANAGEMENT_GROUP_SCOPE,
  azureRoleInfo,
  POWERFUL_AZURE_ROLES,
  UUID,
  isTokenSecretRead,
  parseAzureScope,
} from '../../spec/azure.js';
import { aksIssuerOf, aksSpec, k8sRootPath, serviceAccountSubject } from './names.js';
import type { ManagerPods } from '../types.js';
import { runnerIdentitiesRead } from './objects.js';
import { get } from '../../verify/get.js';
import { runnerAudience, runnerClosed, sharedRunnerPower } from '../../verify/runner-audience.js';

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

const label = (s: KubernetesSubject) => `${s.cluster}:${s.namespace}/${s.serviceAccount}`;
/** `label(a) === label(b)`, without building either label where the parts are equal. */
const sameLabel = (a: KubernetesSubject, b: KubernetesSubject) => (a.cluster === b.cluster && a.namespace === b.namespace && a.serviceAccount === b.serviceAccount) || label(a) === label(b);

/** The cluster's Kubernetes Terraform root, read from the emitted artifacts. */
export function k8sRootOf(docs: FleetDocuments, cluster: string): TerraformRoot | undefined {
  const a = aksIndex(docs).artifacts.get(k8sRootPath(cluster));
  return a && a.format === 'json' ? (a.content as TerraformRoot) : undefined;
}

type Credential = NonNullable<ReturnType<typeof azureFacts>>['credentials'][number];

/** Indexes over one set of emitted documents, built once, so no proof rescans them per runner or subject. */
interface AksIndex {
  artifacts: Map<string, FleetDocuments['artifacts'][number]>;
  credentialsOf: Map<string, Credential[]>;
  /** Per Kubernetes root: `namespace|name` → service account. */
  serviceAccounts: WeakMap<TerraformRoot, Map<string, TfServiceAccount>>;
}
const aksIndexes = new WeakMap<FleetDocuments, AksIndex>();

/**
 * The artifacts by path, per artifact list: each runner's own Azure view of the documents (ownAzure)
 * shares its list, so the map is built once for all of them, not once per runner.
 */
const artifactMaps = new WeakMap<FleetDocuments['artifacts'], Map<string, FleetDocuments['artifacts'][number]>>();
function artifactsByPath(docs: FleetDocuments): Map<string, FleetDocuments['artifacts'][number]> {
  let byPath = artifactMaps.get(docs.artifacts);
  if (!byPath || byPath.size !== docs.artifacts.length) {
    byPath = new Map(docs.artifacts.map((a) => [a.path, a]));
    artifactMaps.set(docs.artifacts, byPath);
  }
  return byPath;
}

function aksIndex(docs: FleetDocuments): AksIndex {
  let index = aksIndexes.get(docs);
  if (index && index.artifacts.size === docs.artifacts.length) return index;
  const credentialsOf = new Map<string, Credential[]>();
  for (const c of azureFacts(docs)?.credentials ?? []) {
    if (c.identity === undefined) continue;
    const held = credentialsOf.get(c.identity);
    if (held) held.push(c);
    else credentialsOf.set(c.identity, [c]);
  }
  index = { artifacts: artifactsByPath(docs), credentialsOf, serviceAccounts: new WeakMap() };
  aksIndexes.set(docs, index);
  return index;
}

function tfServiceAccountAt(docs: FleetDocuments, root: TerraformRoot, namespace: string, name: string): TfServiceAccount | undefined {
  const index = aksIndex(docs);
  let byKey = index.serviceAccounts.get(root);
  if (!byKey) {
    byKey = new Map(tfServiceAccounts(root).map((x) => [`${x.namespace}|${x.name}`, x]));
    index.serviceAccounts.set(root, byKey);
  }
  return byKey.get(`${namespace}|${name}`);
}

/**
 * The Kubernetes subjects of a candidate list, the same array for the same list (the list itself when
 * every subject is one): the subject index behind aksWhoCanAssume is cached per array, so a fresh
 * filter per role would rebuild it per role, and a copy of a list verifyChain indexes too, twice.
 */
const kubernetesLists = new WeakMap<readonly IdentitySubject[], KubernetesSubject[]>();
export function kubernetesOnly(subjects: readonly IdentitySubject[]): KubernetesSubject[] {
  let hit = kubernetesLists.get(subjects);
  if (!hit) {
    hit = subjects.every((s) => s.kind === 'kubernetes') ? (subjects as KubernetesSubject[]) : subjects.filter((s): s is KubernetesSubject => s.kind === 'kubernetes');
    kubernetesLists.set(subjects, hit);
  }
  return hit;
}

/** The clusters by name, per cluster list (each cluster's subject list is indexed apart: no map of every cluster per list). */
const clusterMaps = new WeakMap<FleetIntent['clusters'], { size: number; byName: Map<string, ResolvedCluster> }>();
function clustersByName(clusters: FleetIntent['clusters']): Map<string, ResolvedCluster> {
  let hit = clusterMaps.get(clusters);
  if (!hit || hit.size !== clusters.length) {
    hit = { size: clusters.length, byName: new Map(clusters.map((c) => [c.name, c])) };
    clusterMaps.set(clusters, hit);
  }
  return hit.byName;
}

/** A subject list by `issuer|subject` (the all-pairs proof passes one list for every identity). */
const subjectListIndexes = new WeakMap<readonly KubernetesSubject[], { byKey: Map<string, KubernetesSubject[]>; position: Map<KubernetesSubject, number> }>();
function subjectListIndex(intent: FleetIntent, subjects: readonly KubernetesSubject[]) {
  let hit = subjectListIndexes.get(subjects);
  if (hit) return hit;
  const clusters = clustersByName(intent.clusters);
  const byKey = new Map<string, KubernetesSubject[]>();
  const position = new Map<KubernetesSubject, number>();
  // Each cluster's issuer once, not once per subject (a created cluster's is a Terraform reference to build).
  const issuers = new Map<string, string | undefined>();
  for (const s of subjects) {
    position.set(s, position.size);
    let issuer = issuers.get(s.cluster);
    if (issuer === undefined && !issuers.has(s.cluster)) {
      const c = clusters.get(s.cluster);
      issuer = c && c.type === 'aks' ? aksIssuerOf(c) : undefined;
      issuers.set(s.cluster, issuer);
    }
    if (issuer === undefined) continue;
    const k = `${issuer}|${serviceAccountSubject(s.namespace, s.serviceAccount)}`;
    const list = byKey.get(k);
    if (list) list.push(s);
    else byKey.set(k, [s]);
  }
  hit = { byKey, position };
  subjectListIndexes.set(subjects, hit);
  return hit;
}

interface TfServiceAccount {
  name: string;
  namespace: string;
  annotations: Record<string, string>;
}

function tfServiceAccounts(root: TerraformRoot): TfServiceAccount[] {
  return Object.values(root.resource.kubernetes_service_account_v1 ?? {}).map((b) => {
    const m = (Array.isArray(b.metadata) ? b.metadata[0] : b.metadata) as { name?: string; namespace?: string; annotations?: Record<string, string> } | undefined;
    return { name: String(m?.name), namespace: String(m?.namespace), annotations: m?.annotations ?? {} };
  });
}

/** Which identity name a client-id annotation of the Kubernetes root resolves to (data source lookup by name). */
function identityOfAnnotation(root: TerraformRoot, value: string | undefined): string | undefined {
  const ref = parseAzureRef(value);
  if (!ref?.data || ref.type !== 'azurerm_user_assigned_identity' || ref.attr !== 'client_id') return undefined;
  const body = root.data?.azurerm_user_assigned_identity?.[ref.name];
  return typeof body?.name === 'string' ? body.name : undefined;
}

export function aksWhoCanAssume(docs: FleetDocuments, intent: FleetIntent, identityName: string, subjects: readonly KubernetesSubject[]): KubernetesSubject[] {
  const facts = azureFacts(docs);
  if (!facts) return [];
  // Entra ID compares issuer and subject exactly, so the candidates of each credential are looked
  // up by that pair (no scan of every subject per identity); the token's audience must be listed.
  const list = subjectListIndex(intent, subjects);
  const credentials = aksIndex(docs).credentialsOf.get(identityName) ?? [];
  // One credential (every identity runner-fleet emits) matching at most one subject: that one, without
  // the set and the sort that merge several credentials' matches.
  if (credentials.length === 1) {
    const cred = credentials[0]!;
    if (!cred.audience.includes(AZURE_WI_AUDIENCE)) return [];
    const matches = list.byKey.get(`${cred.issuer}|${cred.subject}`);
    if (matches === undefined) return [];
    if (matches.length === 1) return [matches[0]!];
  }
  const found = new Set<KubernetesSubject>();
  for (const cred of credentials) {
    if (!cred.audience.includes(AZURE_WI_AUDIENCE)) continue;
    for (const s of list.byKey.get(`${cred.issuer}|${cred.subject}`) ?? []) found.add(s);
  }
  return [...found].sort((a, b) => list.position.get(a)! - list.position.get(b)!);
}

/**
 * The AKS clusters whose subjects `identityName` may admit: those whose issuer one of its federated
 * credentials (with the workload identity audience) names. aksWhoCanAssume finds no subject of any
 * other cluster, whichever list it is given: each subject is keyed by its cluster's issuer (the
 * cluster of that name, as subjectListIndex reads it).
 */
const issuerClusters = new WeakMap<FleetIntent['clusters'], { size: number; byIssuer: Map<string, Set<string>> }>();
export function aksClustersThatMayAssume(docs: FleetDocuments, intent: FleetIntent, identityName: string): ReadonlySet<string> {
  const credentials = azureFacts(docs) ? aksIndex(docs).credentialsOf.get(identityName) ?? [] : [];
  let hit = issuerClusters.get(intent.clusters);
  if (!hit || hit.size !== intent.clusters.length) {
    const byIssuer = new Map<string, Set<string>>();
    for (const [name, c] of clustersByName(intent.clusters)) {
      if (c.type !== 'aks') continue;
      const issuer = aksIssuerOf(c);
      const names = byIssuer.get(issuer);
      if (names) names.add(name);
      else byIssuer.set(issuer, new Set([name]));
    }
    hit = { size: intent.clusters.length, byIssuer };
    issuerClusters.set(intent.clusters, hit);
  }
  const out = new Set<string>();
  for (const cred of credentials) if (cred.audience.includes(AZURE_WI_AUDIENCE)) for (const name of hit.byIssuer.get(cred.issuer) ?? []) out.add(name);
  return out;
}

/**
 * The identity a service account's pods get. Plain manifests (rendered with the applied outputs)
 * carry a client id, and the pod gets whichever identity has it: that is what counts, not the name
 * the id was rendered for, so two identities given one client id are one identity here. Without
 * plain manifests (before apply) the Kubernetes root's annotation names the identity it looks up.
 * Undefined when the two disagree or the client id is no identity's.
 */
export function aksRoleOfServiceAccount(docs: FleetDocuments, intent: FleetIntent, cluster: ResolvedCluster, subject: KubernetesSubject): string | undefined {
  const root = k8sRootOf(docs, cluster.name);
  const sa = root ? tfServiceAccountAt(docs, root, subject.namespace, subject.serviceAccount) : undefined;
  const byName = root && sa ? identityOfAnnotation(root, sa.annotations[AZURE_CLIENT_ID_ANNOTATION]) : undefined;
  const clientId = renderedClientId(docs, intent, subject);
  if (clientId === undefined) return byName;
  const holders = clientIdHolders(intent, clientId);
  if (holders.length > 1) return sharedClientIdLabel(clientId, holders);
  const byId = holders[0];
  return byId !== undefined && (byName === undefined || byName === byId) ? byId : undefined;
}

/**
 * The literal client id on a service account of the plain manifests of the subject's cluster (a `${…}`
 * reference is not one): of the runners of that cluster in spec order, the first whose first service
 * account of that namespace and name carries one. Indexed once per documents and intent, so the
 * all-pairs proof does not scan every runner's manifests per subject.
 */
function renderedClientId(docs: FleetDocuments, intent: FleetIntent, subject: KubernetesSubject): string | undefined {
  return renderedClientIds(docs, intent).get(`${subject.cluster}|${subject.namespace}|${subject.serviceAccount}`);
}

const renderedClientIdIndexes = new WeakMap<FleetDocuments, WeakMap<FleetIntent, Map<string, string>>>();
function renderedClientIds(docs: FleetDocuments, intent: FleetIntent): Map<string, string> {
  let byIntent = renderedClientIdIndexes.get(docs);
  if (!byIntent) renderedClientIdIndexes.set(docs, (byIntent = new WeakMap()));
  let index = byIntent.get(intent);
  if (index) return index;
  index = new Map();
  for (const r of intent.runners) {
    const seen = new Set<string>();
    for (const o of docs.runners.get(r.name)?.manifests ?? []) {
      if (o.kind !== 'ServiceAccount') continue;
      if (typeof o.metadata.namespace !== 'string' || typeof o.metadata.name !== 'string') continue;
      const key = `${r.cluster}|${o.metadata.namespace}|${o.metadata.name}`;
      // findServiceAccount's rule: only a runner's first service account of a namespace and name counts.
      if (seen.has(key)) continue;
      seen.add(key);
      const id = o.metadata.annotations?.[AZURE_CLIENT_ID_ANNOTATION];
      if (id !== undefined && !id.startsWith('${') && !index.has(key)) index.set(key, id);
    }
  }
  byIntent.set(intent, index);
  return index;
}

/** Names the applied outputs give this client id (client ids compare case-insensitively). */
export function clientIdHolders(intent: FleetIntent, clientId: string): string[] {
  const applied = intent.applied?.azureClientIds;
  if (applied === undefined) return [];
  // Indexed once per outputs: asked per service account and per SecretProviderClass, a scan of every
  // client id each time grew with the square of the runners.
  let byId = holderIndexes.get(applied);
  if (!byId) {
    byId = new Map();
    for (const [name, v] of Object.entries(applied)) {
      const k = v.toLowerCase();
      const names = byId.get(k);
      if (names) names.push(name);
      else byId.set(k, [name]);
    }
    for (const names of byId.values()) names.sort();
    holderIndexes.set(applied, byId);
  }
  return [...(byId.get(clientId.toLowerCase()) ?? [])];
}
const holderIndexes = new WeakMap<Readonly<Record<string, string>>, Map<string, string[]>>();

/** One identity under several names: the same label for each of them, so a proof comparing identities sees them as one. */
export function sharedClientIdLabel(clientId: string, names: readonly string[]): string {
  return `${names.join(' = ')} (one client id, ${clientId.toLowerCase()})`;
}

/**
 * The applied outputs as a whole: each identity has its own client id (Entra ID never gives two
 * the same), so a client id under several names means the file is not this fleet's terraform
 * output, or was edited; the token rotator's client id must be there too. Names the fleet does not
 * have are left alone (an identity of a runner removed since the last apply).
 */
export function verifyAppliedClientIds(intent: FleetIntent): Finding[] {
  const applied = intent.applied?.azureClientIds;
  if (applied === undefined) return [];
  const out: Finding[] = [];
  const byId = new Map<string, string[]>();
  for (const [name, id] of Object.entries(applied)) byId.set(id.toLowerCase(), [...(byId.get(id.toLowerCase()) ?? []), name]);
  for (const [id, names] of byId) {
    if (names.length < 2) continue;
    out.push(f('RF610', '--azure-outputs', `the Azure outputs file gives ${names.length} managed identities one client id: ${[...names].sort().join(', ')} all have ${id}`, { fix: 'pass the `terraform -chdir=terraform/azure output -json` of this fleet, unedited: each managed identity has its own client id' }));
  }
  for (const role of intent.idTokens?.roles ?? []) {
    if (!role.azureRotator || Object.hasOwn(applied, role.roleName)) continue;
    out.push(f('RF610', '', `the Azure outputs file has no client id for ${role.roleName}`, { received: '(missing)', fix: 'apply terraform/azure (it creates the identity), then pass its fresh `terraform output -json`' }));
  }
  return out;
}

/** The cache roles the Azure Blob backend gives a manager; anything else on a manager is a leak. */
const MANAGER_CACHE_ROLES = new Set(['Storage Blob Data Contributor', 'Storage Blob Delegator']);

/**
 * A runner's chain proof on AKS. `fleetIndex`: the fleet's subjects as verifyFleet made them for the
 * all-pairs proof (one list for every runner and every runner's own Azure view, which shares the
 * runners' manifests, the runners and the clusters they are read from); without it they are made here.
 */
export function aksVerifyChain(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner, rp: string, fleetIndex?: FleetSubjectIndex): Finding[] {
  const out = verifyKubernetesChain(docs, fleet, runner, rp);
  const names = runner.kubernetes!;
  const cluster = findBy(fleet.clusters, 'name', runner.cluster)!;
  const facts = azureFacts(docs);
  const root = k8sRootOf(docs, cluster.name);
  const ids = runnerIdentitiesRead(fleet, runner);
  const index = aksIndex(docs);
  // The same array for the same list (kubernetesOnly), so subjectListIndex indexes it once, as aksWhoCanAssume does.
  const subjects = kubernetesOnly(fleetIndex?.all ?? fleetSubjects(docs, fleet));
  const subjectIndex = subjectListIndex(fleet, subjects);
  const applied = fleet.applied?.azureClientIds;

  // Jobs without an identity of their own (a deployment the doctor reads) have no chain to check here.
  const parties = [['manager', ids.manager, names.managerServiceAccount] as const, ...(ids.jobs ? [['jobs', ids.jobs, names.jobServiceAccount] as const] : [])];
  for (const [purpose, id, sa] of parties) {
    // The jobs' service account is in the namespace job pods run in, which may not be the manager's.
    const ns = partyNamespace(names, purpose);
    const intended: KubernetesSubject = { kind: 'kubernetes', cluster: cluster.name, namespace: ns, serviceAccount: sa };
    if (!facts?.identities.has(id.roleName)) {
      out.push(f('RF106', rp, `the ${purpose} managed identity ${id.roleName} is not in terraform/azure/main.tf.json`, { fix: 'regenerate; report a bug if it persists', deploymentFix: `give the Terraform of managed identity ${id.roleName}` }));
      continue;
    }
    const creds = index.credentialsOf.get(id.roleName) ?? [];
    if (creds.length === 0) out.push(f('RF603', rp, `managed identity ${id.roleName} has no federated credential, so ${label(intended)} cannot become it`, { fix: 'regenerate; one credential per service account is emitted with the runner', deploymentFix: `add a federated credential to ${id.roleName} with the cluster's issuer, subject system:serviceaccount:${ns}:${sa} and audience ${AZURE_WI_AUDIENCE}` }));
    for (const cred of creds) {
      if (cred.audience.length !== 1 || cred.audience[0] !== AZURE_WI_AUDIENCE) {
        out.push(f('RF604', rp, `federated credential ${cred.name} of ${id.roleName} accepts audiences ${JSON.stringify(cred.audience)}`, { received: JSON.stringify(cred.audience), allowed: JSON.stringify([AZURE_WI_AUDIENCE]), fix: `set audience to exactly ["${AZURE_WI_AUDIENCE}"]`, subject: { kind: 'credential', identity: id.roleName, credential: cred.name } }));
      }
      const matches = subjectIndex.byKey.get(`${cred.issuer}|${cred.subject}`) ?? [];
      if (matches.length !== 1 || !sameLabel(matches[0]!, intended)) {
        out.push(f('RF603', rp, `federated credential ${cred.name} of ${id.roleName} (issuer ${cred.issuer}, subject ${cred.subject}) matches ${matches.length === 0 ? 'no service account' : matches.map(label).join(', ')} of the fleet; it must match exactly ${label(intended)}`, { fix: 'issuer and subject come from the resolved cluster, namespace and service account; regenerate', deploymentFix: `set the issuer of credential ${cred.name} to the cluster's OIDC issuer and its subject to system:serviceaccount:${ns}:${sa}`, subject: { kind: 'credential', identity: id.roleName, credential: cred.name } }));
      }
    }
    // Terraform root: the annotation reads the client id of the identity with the same name.
    const tfSa = root ? tfServiceAccountAt(docs, root, ns, sa) : undefined;
    const via = root && tfSa ? identityOfAnnotation(root, tfSa.annotations[AZURE_CLIENT_ID_ANNOTATION]) : undefined;
    if (via !== id.roleName) {
      out.push(f('RF605', rp, `in ${k8sRootPath(cluster.name)} service account ${ns}/${sa} ${tfSa ? `takes its client id from ${via === undefined ? String(tfSa.annotations[AZURE_CLIENT_ID_ANNOTATION]) : `identity ${via}`}` : 'is missing'}, but its ${purpose} identity is ${id.roleName}`, { fix: 'regenerate; the annotation must look the identity up by its resolved name', deploymentFix: `annotate service account ${ns}/${sa} with ${AZURE_CLIENT_ID_ANNOTATION} = the client id of ${id.roleName}` }));
    }
    if (tfSa && tfSa.annotations[AZURE_TENANT_ID_ANNOTATION] !== fleet.azure?.tenantId) {
      out.push(f('RF605', rp, `service account ${ns}/${sa} is annotated with tenant ${String(tfSa.annotations[AZURE_TENANT_ID_ANNOTATION])}, the identities live in ${fleet.azure?.tenantId ?? '?'}`, { fix: 'regenerate', deploymentFix: `annotate service account ${ns}/${sa} with ${AZURE_TENANT_ID_ANNOTATION} = ${fleet.azure?.tenantId ?? 'the tenant of the identities'}` }));
    }
    // Rendered manifests: the literal client id must be the one the outputs file gave for this identity.
    const manifest = findServiceAccount(docs, runner.name, ns, sa)?.metadata.annotations?.[AZURE_CLIENT_ID_ANNOTATION];
    if (manifest !== undefined && !manifest.startsWith('${')) {
      const expected = applied?.[id.roleName];
      if (!UUID.test(manifest) || manifest !== expected) {
        out.push(f('RF605', rp, `kubernetes/${runner.name}/service-accounts.yaml annotates ${ns}/${sa} with client id ${manifest}, but the outputs give ${expected ?? 'none'} for ${id.roleName}`, { fix: 'synthesize again with the current terraform output of terraform/azure' }));
      }
    }
    if (applied !== undefined && (applied[id.roleName] === undefined || !UUID.test(applied[id.roleName]!))) {
      out.push(f('RF610', '', `the Azure outputs file has no client id for ${id.roleName}`, { received: showId(applied[id.roleName]), fix: 'apply terraform/azure (it creates the identity), then pass its fresh `terraform output -json`' }));
    }
  }
  if (applied === undefined) {
    out.push(f('RF609', rp, `kubernetes/${runner.name}/ is not written: its service accounts need the client ids of applied identities. ${k8sRootPath(cluster.name)} creates the same objects and looks the ids up itself`, { fix: 'apply the Terraform root, or run synth again with --azure-outputs <terraform output -json of terraform/azure> for plain manifests' }));
  }

  // Both pods carry the workload identity label: the manager signs cache SAS URLs, jobs log in.
  const emitted = docs.runners.get(runner.name);
  if (ids.jobs && get(emitted?.configToml, 'runners', 0, 'kubernetes', 'pod_labels', AZURE_USE_LABEL) !== 'true') {
    out.push(f('RF106', rp, `runners/${runner.name}/config.toml does not label job pods ${AZURE_USE_LABEL}: "true", so jobs get no Azure token`, { fix: 'regenerate', deploymentFix: `set pod_labels = { "${AZURE_USE_LABEL}" = "true" } in [runners.kubernetes] of the runner's config.toml` }));
  }
  if (emitted?.helmValues && get(emitted.helmValues, 'podLabels', AZURE_USE_LABEL) !== 'true') {
    out.push(f('RF106', rp, `helm/${runner.name}/values.yaml does not label the manager pod ${AZURE_USE_LABEL}: "true", so the manager cannot sign cache URLs`, { fix: 'regenerate', deploymentFix: `set podLabels: { ${AZURE_USE_LABEL}: "true" } in the chart values` }));
  }

  if (facts) {
    const g = runner.spec.gitlab;
    for (const a of ids.jobs ? assignmentsRead(facts, ids.jobs.roleName) : []) {
      // A management group holds subscriptions: a powerful role there is at least as wide (deployments read by the doctor).
      const group = MANAGEMENT_GROUP_SCOPE.exec(a.scope)?.[1];
      const scope = parseAzureScope(a.scope);
      if ((group === undefined && scope?.level !== 'subscription') || !(POWERFUL_AZURE_ROLES as readonly string[]).includes(a.role)) continue;
      const i = runner.spec.jobs.permissions.azure.findIndex((p) => p.role === a.role && p.scope === a.scope);
      const path = i >= 0 ? `${rp}.jobs.permissions.azure[${i}]` : `${rp}.jobs.permissions.azure`;
      // Its own manager identity is in the fleet's subscription: the jobs can become it (the proof says so too).
      const overManager = group !== undefined || scope!.subscriptionId.toLowerCase() === fleet.azure?.subscriptionId.toLowerCase();
      const blast = `job identity ${ids.jobs!.roleName} is ${a.role} of ${group !== undefined ? `every subscription of management group ${group}` : `subscription ${scope!.subscriptionId}`}: any job of this runner can change or delete anything in it${a.role === 'Contributor' ? '' : ' and grant itself or others any role'}${overManager ? `, and become manager identity ${ids.manager.roleName} (${azureRoleInfo(a.role)?.identityCredentials === true ? 'add' : 'give itself the right to add'} a federated credential to it)` : ''}`;
      if (runnerClosed(g)) {
        const shared = sharedRunnerPower(g, `${rp}.gitlab`, `job identity ${ids.jobs!.roleName} is ${a.role} of ${group !== undefined ? `every subscription of management group ${group}` : `subscription ${scope!.subscriptionId}`}`, 'azure');
        if (shared && runner.registrationUnknown === undefined) out.push(shared);
        out.push(f('RF602', path, `${blast}; only ${runnerAudience(g)?.reach ?? "protected refs of the runner's projects"} reach it`, { fix: 'prefer a resource group scope or narrower roles; keep the branches that reach this runner protected', subject: { kind: 'assignments', identity: ids.jobs!.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
      } else {
        out.push(f('RF601', `${rp}.gitlab`, `${blast}, and the runner takes jobs from ${g.protectedOnly ? 'other projects (not locked)' : 'unprotected branches'}`, { received: JSON.stringify({ locked: g.locked, protectedOnly: g.protectedOnly }), allowed: '{"locked":true,"protectedOnly":true}', fix: 'set gitlab.locked: true and gitlab.protectedOnly: true, or narrow the role', deploymentFix: `register the runner locked to its project and for protected refs only (gitlab_user_runner: locked = true, access_level = "ref_protected"; or the runner's settings in GitLab), or narrow the role assignment of job identity ${ids.jobs!.roleName} (${a.role} on ${a.scope})`, subject: { kind: 'assignments', identity: ids.jobs!.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
      }
    }
    for (const a of assignmentsRead(facts, ids.manager.roleName)) {
      // With a cache, its backend judges blob data roles on the manager (RF606, RF615).
      if (!MANAGER_CACHE_ROLES.has(a.role) && !(runner.cache && a.role === 'Storage Blob Data Owner') && !isTokenSecretRead(a)) {
        out.push(f('RF606', rp, `manager identity ${ids.manager.roleName} holds ${a.role} on ${a.scope}; it only needs its cache container`, { fix: 'grant permissions to the job identity (jobs.permissions.azure), never to the manager', deploymentFix: `remove the role assignment of ${a.role} on ${a.scope} from manager identity ${ids.manager.roleName}; grant what jobs need to the jobs' own identity`, subject: { kind: 'assignments', identity: ids.manager.roleName, assignments: [{ role: a.role, scope: a.scope }] } }));
      }
    }
  }
  return out;
}


function showId(v: string | undefined): string {
  return v === undefined ? '(missing)' : JSON.stringify(v);
}

/**
 * The namespace of a runner's manager as an Azure RBAC scope: `<cluster id>/namespaces/<namespace>`.
 * The cluster's id from its resource in the documents (a cluster created here) or from the spec
 * (an existing one); whether it authorizes Kubernetes calls with Azure RBAC only from its resource
 * (`azure_active_directory_role_based_access_control.azure_rbac_enabled`), undefined otherwise.
 */
export function aksManagerPods(docs: FleetDocuments, intent: FleetIntent, runner: IntentRunner): ManagerPods | undefined {
  const names = runner.kubernetes;
  const cluster = findBy(intent.clusters, 'name', runner.cluster);
  if (!names || !cluster || !intent.azure) return undefined;
  const spec = aksSpec(cluster);
  const apiName = spec.clusterName ?? cluster.name;
  const body = Object.values(docs.terraformAzure?.resource.azurerm_kubernetes_cluster ?? {}).find((b) => b.name === apiName);
  const rg = body ? body.resource_group_name : (spec.resourceGroup ?? intent.azure.resourceGroup);
  if (typeof rg !== 'string' || rg === '' || rg.includes('${')) return undefined;
  const aad = body?.azure_active_directory_role_based_access_control;
  const block = (Array.isArray(aad) ? aad[0] : aad) as { azure_rbac_enabled?: unknown } | undefined;
  return {
    cluster: apiName,
    namespace: names.namespace,
    serviceAccount: names.managerServiceAccount,
    scope: `/subscriptions/${intent.azure.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${apiName}/namespaces/${names.namespace}`,
    cloudRbac: body ? block?.azure_rbac_enabled === true : undefined,
  };
}
