import { Namespace, ServiceAccount, ConfigMap, Secret } from 'kubernetes-models/v1';
import { Role, RoleBinding, ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

/**
 * kubernetes-models validates types and required fields against the OpenAPI schemas but lets
 * unknown fields through; the allow-lists below (from the Kubernetes API reference) close that gap.
 */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

const TOP: Record<string, string[]> = {
  Namespace: ['spec'],
  ServiceAccount: ['automountServiceAccountToken', 'imagePullSecrets', 'secrets'],
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Secret: ['data', 'stringData', 'type', 'immutable'],
  Role: ['rules'],
  ClusterRole: ['rules', 'aggregationRule'],
  RoleBinding: ['roleRef', 'subjects'],
  ClusterRoleBinding: ['roleRef', 'subjects'],
  NetworkPolicy: ['spec'],
};
const METADATA = ['name', 'namespace', 'labels', 'annotations', 'generateName', 'finalizers', 'ownerReferences'];
const RULE = ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs'];
const SUBJECT = ['kind', 'name', 'namespace', 'apiGroup'];
const ROLE_REF = ['apiGroup', 'kind', 'name'];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function unknown(obj: Record<string, unknown>, allowed: string[], where: string): string[] {
  return Object.keys(obj).filter((k) => !allowed.includes(k)).map((k) => `${where}.${k}`);
}

function labelKeyOk(key: string): boolean {
  const parts = key.split('/');
  if (parts.length > 2) return false;
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]!];
  if (prefix !== undefined && !(prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix))) return false;
  return name !== undefined && name.length <= 63 && LABEL_NAME.test(name);
}

/** Every problem with one manifest: schema, unknown fields, names, labels. Empty when valid. */
export function manifestProblems(obj: Record<string, any>): string[] {
  const problems: string[] = [];
  const id = `${String(obj.apiVersion)}/${String(obj.kind)}`;
  const Model = MODELS[id];
  if (!Model) return [`no schema known for ${id}`];
  try {
    new Model(obj).validate();
  } catch (e) {
    problems.push(`schema: ${(e as Error).message}`);
  }
  problems.push(...unknown(obj, ['apiVersion', 'kind', 'metadata', ...(TOP[obj.kind as string] ?? [])], obj.kind as string));
  const md = (obj.metadata ?? {}) as Record<string, any>;
  problems.push(...unknown(md, METADATA, 'metadata'));
  const name = String(md.name);
  const nameOk = obj.kind === 'Namespace' ? name.length <= 63 && DNS_LABEL.test(name) : name.length <= 253 && DNS_SUBDOMAIN.test(name);
  if (!nameOk) problems.push(`metadata.name ${JSON.stringify(name)} is not DNS-1123`);
  if (obj.kind === 'ServiceAccount' && !(name.length <= 63 && DNS_LABEL.test(name))) problems.push(`service account name ${name} is not a DNS-1123 label`);
  if (md.namespace !== undefined && !(String(md.namespace).length <= 63 && DNS_LABEL.test(String(md.namespace)))) problems.push(`metadata.namespace ${String(md.namespace)} is not DNS-1123`);
  for (const [k, v] of Object.entries((md.labels ?? {}) as Record<string, unknown>)) {
    if (!labelKeyOk(k)) problems.push(`label key ${k} is invalid`);
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) problems.push(`label value ${String(v)} of ${k} is invalid`);
  }
  for (const k of Object.keys((md.annotations ?? {}) as Record<string, unknown>)) if (!labelKeyOk(k)) problems.push(`annotation key ${k} is invalid`);
  for (const [i, r] of ((obj.rules ?? []) as Record<string, unknown>[]).entries()) problems.push(...unknown(r, RULE, `rules[${i}]`));
  for (const [i, s] of ((obj.subjects ?? []) as Record<string, unknown>[]).entries()) problems.push(...unknown(s, SUBJECT, `subjects[${i}]`));
  if (obj.roleRef) problems.push(...unknown(obj.roleRef as Record<string, unknown>, ROLE_REF, 'roleRef'));
  if (obj.kind === 'NetworkPolicy') problems.push(...networkPolicyProblems((obj.spec ?? {}) as Record<string, unknown>));
  return problems;
}

const NP_SPEC = ['podSelector', 'policyTypes', 'ingress', 'egress'];
const NP_EGRESS = ['to', 'ports'];
const NP_PEER = ['ipBlock', 'namespaceSelector', 'podSelector'];
const IP_BLOCK = ['cidr', 'except'];
const SELECTOR = ['matchLabels', 'matchExpressions'];

/** Unknown fields of a NetworkPolicy spec (the API reference's NetworkPolicySpec, egress rules, peers). */
function networkPolicyProblems(spec: Record<string, unknown>): string[] {
  const out = unknown(spec, NP_SPEC, 'spec');
  if (spec.podSelector) out.push(...unknown(spec.podSelector as Record<string, unknown>, SELECTOR, 'spec.podSelector'));
  for (const [i, r] of ((spec.egress ?? []) as Record<string, unknown>[]).entries()) {
    out.push(...unknown(r, NP_EGRESS, `spec.egress[${i}]`));
    for (const [j, p] of ((r.to ?? []) as Record<string, unknown>[]).entries()) {
      out.push(...unknown(p, NP_PEER, `spec.egress[${i}].to[${j}]`));
      if (p.ipBlock) out.push(...unknown(p.ipBlock as Record<string, unknown>, IP_BLOCK, `spec.egress[${i}].to[${j}].ipBlock`));
      for (const k of ['namespaceSelector', 'podSelector']) if (p[k]) out.push(...unknown(p[k] as Record<string, unknown>, SELECTOR, `spec.egress[${i}].to[${j}].${k}`));
    }
  }
  return out;
}
