import { RefusedGroups, addTerraformRefused, writtenRefused } from './namespace-names.js';
import type { K8sObject } from '../emit/artifacts.js';
import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import type { Evidence } from './evidence.js';
import { formatPosition, originAt, type Origin } from './source.js';
import { isObject } from '../model/is-object.js';

/**
 * Kubernetes objects written as hashicorp/kubernetes provider resources (`.tf.json`, HCL through
 * the same Terraform model, or `terraform show -json`) read back as the objects they create, so
 * the doctor treats a service account in Terraform like one in a manifest. Secrets are left out:
 * their values are never read here (the static-credential scan reads the files themselves).
 */
const KINDS: Record<string, { apiVersion: string; kind: string; namespaced: boolean }> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace', namespaced: false },
  kubernetes_namespace: { apiVersion: 'v1', kind: 'Namespace', namespaced: false },
  kubernetes_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount', namespaced: true },
  kubernetes_service_account: { apiVersion: 'v1', kind: 'ServiceAccount', namespaced: true },
  kubernetes_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespaced: true },
  kubernetes_role: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespaced: true },
  kubernetes_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespaced: true },
  kubernetes_role_binding: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespaced: true },
  kubernetes_cluster_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespaced: false },
  kubernetes_cluster_role: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespaced: false },
  kubernetes_cluster_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', namespaced: false },
  kubernetes_cluster_role_binding: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', namespaced: false },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true },
  kubernetes_config_map: { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true },
  kubernetes_deployment: { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true },
  // A manager run as a StatefulSet (its spec also needs service_name) or, wrongly, a DaemonSet (RF918):
  // registry.terraform.io/providers/hashicorp/kubernetes/latest/docs/resources/stateful_set_v1 and
  // daemon_set_v1 (the older names are kubernetes_stateful_set and kubernetes_daemonset).
  kubernetes_stateful_set_v1: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespaced: true },
  kubernetes_stateful_set: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespaced: true },
  kubernetes_daemon_set_v1: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespaced: true },
  kubernetes_daemonset: { apiVersion: 'apps/v1', kind: 'DaemonSet', namespaced: true },
};
/**
 * The provider's Secret resources: the legacy `kubernetes_secret` and `kubernetes_secret_v1` are one
 * resource (hashicorp/terraform-provider-kubernetes kubernetes/provider.go maps both names to
 * resourceKubernetesSecretV1), so whatever the doctor reads of one it reads of the other.
 */
export const SECRET_TYPES = ['kubernetes_secret_v1', 'kubernetes_secret'] as const;
/** The kinds whose `spec` (a pod template and its controller's settings) is read in the API's shape. */
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/**
 * The provider's blocks that Kubernetes holds as lists (the provider's singular block name → the
 * API's plural field); every other nested block is a list of one in the provider and an object in
 * the API. Source: the kubernetes provider's pod spec schema (registry.terraform.io/providers/
 * hashicorp/kubernetes/latest/docs/resources/deployment_v1: container, init_container, volume,
 * volume_mount, env, env_from, port, toleration, image_pull_secrets, items, host_aliases; and
 * stateful_set_v1's volume_claim_template).
 */
const LIST_BLOCKS: Record<string, string> = {
  container: 'containers',
  init_container: 'initContainers',
  volume: 'volumes',
  volume_mount: 'volumeMounts',
  env: 'env',
  env_from: 'envFrom',
  port: 'ports',
  toleration: 'tolerations',
  image_pull_secrets: 'imagePullSecrets',
  items: 'items',
  host_aliases: 'hostAliases',
  topology_spread_constraint: 'topologySpreadConstraints',
  match_expressions: 'matchExpressions',
  volume_claim_template: 'volumeClaimTemplates',
};
/** Attributes whose value is a map of the user's own keys (kept as written, not camelCased). */
const MAPS = new Set(['labels', 'annotations', 'match_labels', 'node_selector', 'limits', 'requests']);
/** Names the API spells differently from the camelCase of the provider's (a secret volume's `secretName`). */
const RENAMED: Record<string, string> = { secret_name: 'secretName' };
const camel = (k: string): string => (Object.hasOwn(RENAMED, k) ? RENAMED[k]! : k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));

/**
 * A block of the provider in the API's shape: keys in camelCase, blocks of one as objects, list
 * blocks as lists (a pod's `container` blocks are its `containers`). Values (strings, numbers,
 * lists of strings) are kept as written, so what the rules judge is what the file says.
 */
function apiShape(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined) continue;
    let value: unknown;
    if (Object.hasOwn(LIST_BLOCKS, k)) value = blocks(v).map(apiShape);
    else if (MAPS.has(k)) value = stringMap(block(v) ?? v) ?? v;
    else if (isObject(v) || (Array.isArray(v) && v.length > 0 && v.every(isObject))) {
      const b = block(v);
      if (!b) continue;
      value = apiShape(b);
    } else if (Array.isArray(v) && v.length === 0) continue;
    else value = v;
    Object.defineProperty(out, Object.hasOwn(LIST_BLOCKS, k) ? LIST_BLOCKS[k]! : camel(k), { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A nested block: an object in `.tf.json`, a one-element list in `terraform show -json`. */
const block = (v: unknown): Record<string, unknown> | undefined => (Array.isArray(v) ? v.find(isObject) : isObject(v) ? v : undefined);
const blocks = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
const stringMap = (v: unknown): Record<string, string> | undefined => {
  if (!isObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

/** The object a kubernetes provider resource creates; undefined when its name is not a literal. */
export function terraformToK8sObject(type: string, body: Record<string, unknown>): K8sObject | undefined {
  const info = KINDS[type];
  const m = block(body.metadata);
  if (!info || !m || typeof m.name !== 'string' || m.name === '' || m.name.includes('${')) return undefined;
  const metadata: K8sObject['metadata'] = { name: m.name };
  if (info.namespaced) {
    // Without namespace the provider uses "default"; one not statically known is never taken to be it.
    if (typeof m.namespace === 'string' && m.namespace.includes('${')) return undefined;
    metadata.namespace = typeof m.namespace === 'string' && m.namespace !== '' ? m.namespace : 'default';
  }
  const labels = stringMap(m.labels);
  const annotations = stringMap(m.annotations);
  if (labels) metadata.labels = labels;
  if (annotations) metadata.annotations = annotations;
  const out: K8sObject = { apiVersion: info.apiVersion, kind: info.kind, metadata };
  if (info.kind === 'Role' || info.kind === 'ClusterRole') {
    out.rules = blocks(body.rule).map((r) => ({ apiGroups: strings(r.api_groups), resources: strings(r.resources), verbs: strings(r.verbs), ...(r.resource_names !== undefined ? { resourceNames: strings(r.resource_names) } : {}) }));
  }
  if (info.kind === 'RoleBinding' || info.kind === 'ClusterRoleBinding') {
    const ref = block(body.role_ref);
    if (ref) out.roleRef = { apiGroup: ref.api_group, kind: ref.kind, name: ref.name };
    out.subjects = blocks(body.subject).map((s) => ({ kind: s.kind, name: s.name, ...(typeof s.namespace === 'string' && s.namespace !== '' ? { namespace: s.namespace } : {}) }));
  }
  if (info.kind === 'ConfigMap') {
    const data = stringMap(body.data);
    if (data) out.data = data;
  }
  if (WORKLOADS.has(info.kind)) {
    const spec = block(body.spec);
    if (spec) out.spec = apiShape(spec);
  }
  if (info.kind === 'ServiceAccount' && typeof body.automount_service_account_token === 'boolean') out.automountServiceAccountToken = body.automount_service_account_token;
  return out;
}

/**
 * `kubernetes_manifest`: the provider's generic resource, whose `manifest` is the object itself
 * (custom resources such as a SecretProviderClass). Secrets are left out, as above.
 */
function manifestObject(body: Record<string, unknown>): K8sObject | undefined {
  const m = body.manifest;
  if (!isObject(m) || typeof m.apiVersion !== 'string' || typeof m.kind !== 'string' || m.kind === 'Secret') return undefined;
  const meta = block(m.metadata);
  if (!meta || typeof meta.name !== 'string' || meta.name === '' || meta.name.includes('${')) return undefined;
  return { ...m, metadata: { ...meta, name: meta.name } } as K8sObject;
}

/**
 * Adds the Kubernetes objects of every kubernetes provider resource in the Terraform evidence, once.
 * A namespaced object whose namespace is not statically known is left out: RF906, and the name of
 * a service account so left out (it may exist in any namespace).
 */
export function addTerraformKubernetesObjects(ev: Evidence): { findings: Finding[]; unplacedServiceAccounts: string[] } {
  const findings: Finding[] = [];
  const unplacedServiceAccounts: string[] = [];
  // helm_release namespaces (helm-release.ts) are in these groups already: one finding per file and value for both.
  const refused = (ev.terraform.refused ??= new RefusedGroups());
  for (const [type, byName] of Object.entries(ev.terraform.resource)) {
    if (!Object.hasOwn(KINDS, type) && type !== 'kubernetes_manifest') continue;
    for (const [name, body] of Object.entries(byName)) {
      const origin = ev.terraform.origins.get(`${type}.${name}`);
      const ns = type !== 'kubernetes_manifest' && KINDS[type]!.namespaced ? block(body.metadata)?.namespace : undefined;
      if (typeof ns === 'string' && ns.includes('${') && origin) {
        const saName = block(body.metadata)?.name;
        if (KINDS[type]!.kind === 'ServiceAccount' && typeof saName === 'string') unplacedServiceAccounts.push(saName);
        // HCL and `terraform show -json` hold the block as a list of one, `.tf.json` often as an object.
        const syntax = origin.source.syntax;
        findings.push({ code: 'RF906', severity: CODES.RF906.severity, path: formatPosition(syntax === 'hcl' || Array.isArray(body.metadata) ? originAt(origin, 'metadata', 0, 'namespace') : originAt(origin, 'metadata', 'namespace')), message: `${type}.${name}: namespace ${ns} is not statically known, so the ${KINDS[type]!.kind} is not read and what depends on it is not proven`, received: ns.slice(0, 120), fix: 'write the namespace literally, or reference the literal name of a namespace resource of these files (kubernetes_namespace_v1.<name>.metadata[0].name)' });
      }
      // A literal namespace (or a Namespace's or ServiceAccount's name) Kubernetes refuses: RF948, one per file (or local) and value (namespace-names.ts).
      if (origin && type !== 'kubernetes_manifest') refusedMetadata(ev, refused, type, name, body, origin);
      const object = type === 'kubernetes_manifest' ? manifestObject(body) : terraformToK8sObject(type, body);
      if (!object || !origin) continue;
      // Positions inside the object follow the provider's block names (metadata.annotations.<key>).
      ev.kubernetes.push({ value: object, origin: { ...origin, path: [...origin.path] }, address: `${type}.${name}` });
    }
  }
  findings.push(...refused.findings());
  delete ev.terraform.refused;
  return { findings, unplacedServiceAccounts };
}

/**
 * RF948 for a kubernetes provider resource's literal metadata that Kubernetes refuses: a namespaced
 * object's `namespace`, a kubernetes_namespace(_v1)'s `name` (the namespace itself), a
 * kubernetes_service_account(_v1)'s `name`. A value Terraform fills in (`${…}`) is not judged. Into
 * `groups`: one finding per .tf file and value, or per place the value is read from (a local, a root
 * variable's tfvars value or default, a module call's argument).
 */
function refusedMetadata(ev: Evidence, groups: RefusedGroups, type: string, name: string, body: Record<string, unknown>, origin: Origin): void {
  const info = KINDS[type]!;
  const m = block(body.metadata);
  if (!m) return;
  // HCL and `terraform show -json` hold the block as a list of one, `.tf.json` often as an object.
  const at = (key: string) => () => originAt(origin, ...(origin.source.syntax === 'hcl' || Array.isArray(body.metadata) ? ['metadata', 0, key] : ['metadata', key]));
  const address = `${type}.${name}`;
  const consequence = `the kubernetes provider fails to create ${address} (the API server refuses it), so \`terraform apply\` stops there and what depends on it is not deployed`;
  const consequenceOfAll = 'the kubernetes provider fails to create each of them (the API server refuses it), so `terraform apply` stops at the first and what depends on them is not deployed';
  // Where the value is written, as the evaluator resolved it (a local, a root variable's tfvars value or default, a module call's argument): said there.
  const places = ev.terraform.valuePlaces?.get(address);
  const add = (key: string, value: string, kind: 'namespace' | 'account') => {
    const from = places?.(['metadata', key]);
    addTerraformRefused(groups, { value, kind, address, at: at(key), file: origin.source.path, consequence, consequenceOfAll, ...(from ? { from } : {}) });
  };
  if (info.namespaced && writtenRefused(m.namespace)) add('namespace', m.namespace, 'namespace');
  const own = info.kind === 'Namespace' ? 'namespace' : info.kind === 'ServiceAccount' ? 'account' : undefined;
  if (own !== undefined && writtenRefused(m.name, own)) add('name', m.name, own);
}
