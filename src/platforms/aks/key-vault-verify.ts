import { parse as parseYaml } from 'yaml';
import type { K8sObject, TerraformRoot } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import type { FleetIntent, IntentRunner } from '../../verify/intent.js';
import { assignmentsRead, azureFacts, parseAzureRef } from '../../verify/azure-docs.js';
import { findBy } from '../../model/lookup.js';
import { get, shown } from '../../verify/get.js';
import { keyVaultStoreOf } from '../../spec/key-vault.js';
import { CSI_DRIVER, KV_SECRETS_USER, SECRET_PROVIDER_CLASS_API } from './key-vault.js';
import { k8sRootPath } from './names.js';
import { clientIdHolders, sharedClientIdLabel } from './verify.js';
import { isObject } from '../../model/is-object.js';
import { trimEnd } from '../../model/trim.js';

/**
 * The Key Vault token store of an AKS runner, proven from the documents (plan's and the doctor's):
 * - the manager identity reads the one token secret (a role that reads secret values on the
 *   secret, or a scope above it: RF943 when none), and nothing wider: no grant on the vault or
 *   above, no role that also writes or deletes, and no job identity that reads it (RF944);
 * - a SecretProviderClass in the runner's namespace syncs that secret of that vault into the
 *   Secret the chart reads (key runner-token), with the manager's workload identity, and the
 *   manager pod mounts it through the CSI driver, without which the driver never syncs (RF942).
 */

/** Built-in roles whose data actions read secret values (Key Vault RBAC model). */
const READS_SECRETS = new Set([KV_SECRETS_USER, 'Key Vault Secrets Officer', 'Key Vault Administrator']);

const lower = (s: string) => s.toLowerCase();
/** An Azure RBAC scope covers a resource at or below it (resource ids compare case-insensitively). */
const covers = (scope: string, target: string) => lower(target) === lower(scope) || lower(target).startsWith(`${trimEnd(lower(scope), '/')}/`);

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

interface Candidate {
  spc: K8sObject;
  /** Identity name the clientID names; undefined when the documents do not say. */
  identity: string | undefined;
  clientId: string;
}

/** The `objects` parameter of the Azure provider: YAML `array:` of YAML strings, each one object. */
export function spcObjects(objects: unknown): { objectName: string; objectType?: string; objectAlias?: string }[] {
  if (typeof objects !== 'string') return [];
  try {
    // logLevel 'error': a list or a map as a mapping key (text from the user's manifest, in the
    // doctor) becomes its text as a key instead of the library printing a process warning.
    const outer = parseYaml(objects, { logLevel: 'error' }) as unknown;
    const items = get(outer, 'array');
    return (Array.isArray(items) ? items : []).flatMap((x: unknown) => {
      const o = typeof x === 'string' ? (parseYaml(x, { logLevel: 'error' }) as unknown) : x;
      if (!isObject(o) || typeof o.objectName !== 'string') return [];
      return [{ objectName: o.objectName, ...(typeof o.objectType === 'string' ? { objectType: o.objectType } : {}), ...(typeof o.objectAlias === 'string' ? { objectAlias: o.objectAlias } : {}) }];
    });
  } catch {
    return [];
  }
}

/** Which object of the class feeds `key` of Secret `secretName` (its alias or name), if any. */
export function feeding(spc: K8sObject, secretName: string, key: string): string | undefined {
  const secretObjects = get(spc, 'spec', 'secretObjects');
  for (const so of Array.isArray(secretObjects) ? secretObjects : []) {
    if (get(so, 'secretName') !== secretName) continue;
    const data = get(so, 'data');
    for (const d of Array.isArray(data) ? data : []) if (get(d, 'key') === key && typeof get(d, 'objectName') === 'string') return String(get(d, 'objectName'));
  }
  return undefined;
}

/** SecretProviderClasses of a namespace: in the cluster's Kubernetes root (kubernetes_manifest) and in plain manifests. */
function candidates(docs: FleetDocuments, intent: FleetIntent, cluster: string, namespace: string): Candidate[] {
  const facts = azureFacts(docs);
  const identityOf = (clientId: unknown, root?: TerraformRoot): string | undefined => {
    const ref = parseAzureRef(clientId);
    if (ref?.type === 'azurerm_user_assigned_identity' && ref.attr === 'client_id') {
      if (ref.data) {
        const name = root?.data?.azurerm_user_assigned_identity?.[ref.name]?.name;
        return typeof name === 'string' ? name : undefined;
      }
      return facts?.identityKeys.get(ref.name);
    }
    if (typeof clientId !== 'string') return undefined;
    // A client id the outputs give several identities is all of them: never the manager's alone.
    const holders = clientIdHolders(intent, clientId);
    return holders.length > 1 ? sharedClientIdLabel(clientId, holders) : holders[0];
  };
  const rootPath = k8sRootPath(cluster);
  const out: Candidate[] = [];
  for (const c of classesByNamespace(docs).get(namespace) ?? []) {
    // A Kubernetes root's classes count only in the cluster's own root (plain manifests: wherever they are).
    if (c.rootPath !== undefined && c.rootPath !== rootPath) continue;
    const clientId = get(c.spc, 'spec', 'parameters', 'clientID');
    out.push({ spc: c.spc, identity: identityOf(clientId, c.root), clientId: typeof clientId === 'string' ? clientId : '' });
  }
  return out;
}

/** A SecretProviderClass of the documents: in a JSON artifact's kubernetes_manifest (a Kubernetes root: its path and root), or in a YAML one. */
interface ClassAt {
  spc: K8sObject;
  rootPath?: string;
  root?: TerraformRoot;
}

/**
 * Every SecretProviderClass of the documents by its namespace, in the artifacts' order, read once
 * per artifact list: each Key Vault runner asks for its namespace's, and scanning every artifact
 * per runner made the proof grow with the square of the runners. The JSON artifacts kept are those
 * candidates reads as a cluster's root when their path is the cluster's (any JSON artifact with
 * kubernetes_manifest resources; candidates keeps those at the asked cluster's root path).
 */
const classIndexes = new WeakMap<FleetDocuments['artifacts'], { length: number; byNamespace: Map<string, ClassAt[]> }>();
function classesByNamespace(docs: FleetDocuments): Map<string, ClassAt[]> {
  const hit = classIndexes.get(docs.artifacts);
  if (hit && hit.length === docs.artifacts.length) return hit.byNamespace;
  const byNamespace = new Map<string, ClassAt[]>();
  const add = (o: unknown, at: Omit<ClassAt, 'spc'>) => {
    if (!isObject(o) || o.kind !== 'SecretProviderClass' || o.apiVersion !== SECRET_PROVIDER_CLASS_API) return;
    const spc = o as unknown as K8sObject;
    const ns = spc.metadata.namespace ?? 'default';
    const list = byNamespace.get(ns);
    const c = { spc, ...at };
    if (list) list.push(c);
    else byNamespace.set(ns, [c]);
  };
  for (const a of docs.artifacts) {
    if (a.format === 'json' && isObject(a.content)) {
      const root = a.content as unknown as TerraformRoot;
      const manifests = isObject(root.resource) ? root.resource.kubernetes_manifest : undefined;
      for (const body of Object.values(manifests ?? {})) add(body.manifest, { rootPath: a.path, root });
    } else if (a.format === 'yaml' && Array.isArray(a.content)) {
      for (const doc of a.content) add(doc, {});
    }
  }
  classIndexes.set(docs.artifacts, { length: docs.artifacts.length, byNamespace });
  return byNamespace;
}

/** Problems of one class as the runner's token source (empty: it is the one). */
function problemsOf(c: Candidate, want: { vault: string; secret: string; tokenSecret: string; manager: string }): string[] {
  const p: string[] = [];
  const params = get(c.spc, 'spec', 'parameters');
  if (get(c.spc, 'spec', 'provider') !== 'azure') p.push(`its provider is ${shown(get(c.spc, 'spec', 'provider'))}, not azure`);
  const podIdentity = get(params, 'usePodIdentity');
  if (podIdentity !== undefined && podIdentity !== 'false' && podIdentity !== false) p.push('it uses the deprecated pod identity instead of workload identity');
  if (c.identity === undefined) p.push(`its clientID ${c.clientId || '(none)'} names no managed identity of the documents`);
  else if (c.identity !== want.manager) p.push(`its clientID is the client id of ${c.identity}, not of the manager identity ${want.manager}`);
  const vault = get(params, 'keyvaultName');
  if (typeof vault !== 'string' || lower(vault) !== lower(want.vault)) p.push(`it reads vault ${String(vault)}, not ${want.vault}`);
  const feeder = feeding(c.spc, want.tokenSecret, 'runner-token');
  const object = spcObjects(get(params, 'objects')).find((o) => (o.objectAlias ?? o.objectName) === feeder);
  if (feeder === undefined) p.push(`its secretObjects do not write key runner-token of Secret ${want.tokenSecret}`);
  else if (!object || object.objectName !== want.secret || (object.objectType ?? 'secret') !== 'secret') p.push(`key runner-token of Secret ${want.tokenSecret} comes from ${object ? `${object.objectType ?? 'secret'} ${object.objectName}` : `object ${feeder}, which its objects do not list`}, not secret ${want.secret}`);
  return p;
}

/** Whether the chart values mount class `name` through the Secrets Store CSI driver on the manager pod. */
function mounts(values: unknown, name: string): boolean {
  const volumes = get(values, 'volumes');
  const volume: unknown = (Array.isArray(volumes) ? (volumes as unknown[]) : []).find((v) => get(v, 'csi', 'driver') === CSI_DRIVER && get(v, 'csi', 'volumeAttributes', 'secretProviderClass') === name);
  const mountsList = get(values, 'volumeMounts');
  return volume !== undefined && (Array.isArray(mountsList) ? (mountsList as unknown[]) : []).some((m) => get(m, 'name') === get(volume, 'name'));
}

export function verifyKeyVaultStore(docs: FleetDocuments, intent: FleetIntent, runner: IntentRunner, rp: string): { findings: Finding[]; proofs: { claim: string; holds: boolean }[] } | undefined {
  const names = runner.kubernetes;
  if (!runner.spec.gitlab.tokenStore?.keyVault || !names || !intent.azure) return undefined;
  const store = keyVaultStoreOf({ name: intent.name, azure: intent.azure }, runner)!;
  // By the identities' index (model/lookup.ts), not a scan of every identity per runner.
  const manager = findBy(intent.identities, 'key', runner.managerIdentity)?.roleName ?? runner.managerIdentity;
  const jobs = runner.jobIdentity === undefined ? undefined : findBy(intent.identities, 'key', runner.jobIdentity)?.roleName;
  const path = `${rp}.gitlab.tokenStore.keyVault`;
  const findings: Finding[] = [];
  const what = `Key Vault secret ${store.vaultName}/${store.secretName}`;

  // Grants: the manager reads exactly its secret; nobody else of the runner reads it.
  const facts = azureFacts(docs);
  const reading = (identity: string) => (facts ? assignmentsRead(facts, identity) : []).filter((a) => READS_SECRETS.has(a.role) && covers(a.scope, store.secretScope));
  const own = reading(manager);
  if (own.length === 0) {
    findings.push(f('RF943', path, `the manager identity ${manager} holds no role that reads ${what}, so the CSI driver cannot fetch the runner token and the chart's Secret stays empty`, { allowed: `${KV_SECRETS_USER} on ${store.secretScope}`, fix: `assign ${KV_SECRETS_USER} to ${manager} on ${store.secretScope} (the vault must use the Azure RBAC permission model)` }));
  }
  for (const a of own) {
    const wider = lower(a.scope) !== lower(store.secretScope);
    if (!wider && a.role === KV_SECRETS_USER) continue;
    findings.push(f('RF944', path, `the manager identity ${manager} holds ${a.role} on ${a.scope} (azurerm_role_assignment.${a.key}): ${wider ? 'it reads every secret there, not only its runner token' : 'it may also write and delete its runner token'}`, { received: `${a.role} on ${a.scope}`, allowed: `${KV_SECRETS_USER} on ${store.secretScope}`, fix: `grant ${KV_SECRETS_USER} on the one secret only` }));
  }
  if (jobs !== undefined) {
    for (const a of reading(jobs)) findings.push(f('RF944', path, `the jobs' identity ${jobs} holds ${a.role} on ${a.scope} (azurerm_role_assignment.${a.key}): every job can read the runner's own authentication token`, { received: `${a.role} on ${a.scope}`, allowed: 'no Key Vault role on the runner token', fix: 'remove the assignment; only the manager reads its token' }));
  }

  // Applied outputs that give the manager's client id to other identities too: they are the manager (RF610 says why).
  const managerId = intent.applied?.azureClientIds?.[manager];
  const alike = managerId === undefined ? [] : clientIdHolders(intent, managerId).filter((n) => n !== manager);
  if (alike.length > 0) findings.push(f('RF944', path, `the Azure outputs give the client id of the manager identity ${manager} to ${alike.join(', ')} as well: whoever signs in with it reads ${what}`, { fix: 'pass the `terraform -chdir=terraform/azure output -json` of this fleet, unedited: each managed identity has its own client id' }));

  // The class that syncs the secret into the chart's Secret, and the manager pod that mounts it.
  const want = { vault: store.vaultName, secret: store.secretName, tokenSecret: names.tokenSecret, manager };
  const found = candidates(docs, intent, runner.cluster, names.namespace).filter((c) => feeding(c.spc, names.tokenSecret, 'runner-token') !== undefined);
  const good = found.find((c) => problemsOf(c, want).length === 0);
  const values = docs.runners.get(runner.name)?.helmValues;
  if (!good) {
    const first = found[0];
    findings.push(f('RF942', path, first ? `SecretProviderClass ${names.namespace}/${first.spc.metadata.name} does not sync ${what} into Secret ${names.tokenSecret} with the manager identity: ${problemsOf(first, want).join('; ')}` : `no SecretProviderClass in namespace ${names.namespace} syncs ${what} into Secret ${names.tokenSecret}, which the chart reads (runners.secret): the manager never gets its token`, { fix: `a SecretProviderClass (provider azure, clientID of ${manager}, keyvaultName ${store.vaultName}, object ${store.secretName}) whose secretObjects write key runner-token of Secret ${names.tokenSecret}` }));
  } else if (!mounts(values, good.spc.metadata.name)) {
    findings.push(f('RF942', path, `the manager pod does not mount SecretProviderClass ${names.namespace}/${good.spc.metadata.name} through ${CSI_DRIVER}: the driver syncs Secret ${names.tokenSecret} only while a pod mounts the class`, { fix: `add a csi volume (driver ${CSI_DRIVER}, volumeAttributes.secretProviderClass ${good.spc.metadata.name}) to the chart values' volumes and mount it in volumeMounts` }));
  }
  const spcName = good?.spc.metadata.name ?? found[0]?.spc.metadata.name ?? '(none)';
  return {
    findings,
    proofs: [{ claim: `only the manager identity ${manager} reads ${what}, and SecretProviderClass ${names.namespace}/${spcName}, mounted by the manager, syncs it into Secret ${names.tokenSecret}`, holds: findings.length === 0 }],
  };
}
