import type { FleetDocuments } from '../emit/types.js';
import type { TerraformRoot } from '../emit/artifacts.js';
import type { AzureSpec } from '../spec/azure.js';
import type { FleetIntent, IntentRunner } from './intent.js';

/**
 * Reads `terraform/azure/main.tf.json` back as facts: managed identities, the role assignments
 * and federated credentials that point at them. Only literals and `${type.name.attr}` references
 * inside the root are understood; anything else is reported as unresolved, never guessed.
 */

export interface AzureIdentityFacts {
  key: string;
  name: string;
  resourceGroup: string;
}

export interface RoleAssignmentFacts {
  key: string;
  scope: string;
  role: string;
  /** Name of the identity the assignment's principal_id refers to (undefined: not an identity of this root). */
  identity: string | undefined;
}

export interface FederatedCredentialFacts {
  key: string;
  name: string;
  identity: string | undefined;
  issuer: string;
  subject: string;
  audience: string[];
}

export interface AzureFacts {
  root: TerraformRoot;
  identities: Map<string, AzureIdentityFacts>;
  /** Resource key → identity name. */
  identityKeys: Map<string, string>;
  assignments: RoleAssignmentFacts[];
  credentials: FederatedCredentialFacts[];
  unresolved: string[];
}

const REF = /^\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/;

export function parseAzureRef(value: unknown): { data: boolean; type: string; name: string; attr: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = REF.exec(value);
  return m ? { data: m[1] !== undefined, type: m[2]!, name: m[3]!, attr: m[4]! } : undefined;
}

const cache = new WeakMap<object, AzureFacts>();

export function azureFacts(docs: FleetDocuments): AzureFacts | undefined {
  const root = docs.terraformAzure;
  if (!root) return undefined;
  const hit = cache.get(root);
  if (hit) return hit;
  const identities = new Map<string, AzureIdentityFacts>();
  const identityKeys = new Map<string, string>();
  const unresolved: string[] = [];
  for (const [key, body] of Object.entries(root.resource.azurerm_user_assigned_identity ?? {})) {
    const name = String(body.name);
    identities.set(name, { key, name, resourceGroup: String(body.resource_group_name) });
    identityKeys.set(key, name);
  }
  const identityOf = (where: string, value: unknown, attr: string): string | undefined => {
    const ref = parseAzureRef(value);
    const name = ref && !ref.data && ref.type === 'azurerm_user_assigned_identity' && ref.attr === attr ? identityKeys.get(ref.name) : undefined;
    if (name === undefined) unresolved.push(`${where}: ${String(value)}`);
    return name;
  };
  const assignments: RoleAssignmentFacts[] = Object.entries(root.resource.azurerm_role_assignment ?? {}).map(([key, b]) => ({
    key,
    scope: String(b.scope),
    role: String(b.role_definition_name),
    identity: identityOf(`azurerm_role_assignment.${key}.principal_id`, b.principal_id, 'principal_id'),
  }));
  const credentials: FederatedCredentialFacts[] = Object.entries(root.resource.azurerm_federated_identity_credential ?? {}).map(([key, b]) => ({
    key,
    name: String(b.name),
    identity: identityOf(`azurerm_federated_identity_credential.${key}.parent_id`, b.parent_id, 'id'),
    issuer: String(b.issuer),
    subject: String(b.subject),
    audience: Array.isArray(b.audience) ? b.audience.map(String) : [String(b.audience)],
  }));
  const facts: AzureFacts = { root, identities, identityKeys, assignments, credentials, unresolved };
  cache.set(root, facts);
  return facts;
}

const assignmentIndexes = new WeakMap<AzureFacts, Map<string | undefined, RoleAssignmentFacts[]>>();

/** The role assignments of an identity, in document order (indexed once per set of facts, not scanned per runner). */
export function assignmentsOf(facts: AzureFacts, identityName: string): RoleAssignmentFacts[] {
  return [...assignmentsRead(facts, identityName)];
}

/** assignmentsOf without the copy: the index's own list (or a shared empty one), to read only. */
export function assignmentsRead(facts: AzureFacts, identityName: string): readonly RoleAssignmentFacts[] {
  let index = assignmentIndexes.get(facts);
  if (!index) {
    index = new Map();
    for (const a of facts.assignments) {
      const list = index.get(a.identity);
      if (list) list.push(a);
      else index.set(a.identity, [a]);
    }
    assignmentIndexes.set(facts, index);
  }
  return index.get(identityName) ?? NONE;
}
const NONE: readonly RoleAssignmentFacts[] = Object.freeze([]);

export function storageAccountId(subscriptionId: string, resourceGroup: string, account: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account}`;
}

export function containerScope(accountId: string, container: string): string {
  return `${accountId}/blobServices/default/containers/${container}`;
}

/** A view of one Azure deployment (ownAzure) → the documents or intent it was made from. */
const viewBase = new WeakMap<object, object>();
const docViews = new WeakMap<FleetDocuments, WeakMap<TerraformRoot, FleetDocuments>>();
const fleetViews = new WeakMap<FleetIntent, WeakMap<AzureSpec, FleetIntent>>();

/**
 * The documents and intent as one runner's Azure proofs read them: its own deployment's Azure root
 * (`FleetDocuments.runnerAzure`) and tenant, subscription and resource group (`IntentRunner.azure`)
 * where the doctor was given several Azure deployments together, else those given (plan: always).
 * Each view is made once per root and context, so the indexes built over it are too.
 */
export function ownAzure(docs: FleetDocuments, fleet: FleetIntent, runner: IntentRunner): { docs: FleetDocuments; fleet: FleetIntent } {
  const root = docs.runnerAzure?.get(runner.name);
  const azure = runner.azure;
  if (root === undefined && azure === undefined) return { docs, fleet };
  const baseDocs = (viewBase.get(docs) as FleetDocuments | undefined) ?? docs;
  const baseFleet = (viewBase.get(fleet) as FleetIntent | undefined) ?? fleet;
  if ((root === undefined || root === baseDocs.terraformAzure) && (azure === undefined || azure === baseFleet.azure)) return { docs: baseDocs, fleet: baseFleet };
  return { docs: root === undefined ? docs : view(docViews, docs, root, (d) => ({ ...d, terraformAzure: root })), fleet: azure === undefined ? fleet : view(fleetViews, fleet, azure, (x) => ({ ...x, azure })) };
}

function view<T extends object, K extends object>(views: WeakMap<T, WeakMap<K, T>>, of: T, key: K, make: (base: T) => T): T {
  const base = (viewBase.get(of) as T | undefined) ?? of;
  let byKey = views.get(base);
  if (!byKey) views.set(base, (byKey = new WeakMap()));
  let hit = byKey.get(key);
  if (!hit) {
    hit = make(base);
    byKey.set(key, hit);
    viewBase.set(hit, base);
  }
  return hit;
}
