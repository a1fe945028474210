/**
 * The shape of the Kubernetes fields the doctor's proofs read, checked where objects enter the
 * evidence. The API server refuses an object whose `subjects[1]` is null or whose `rules` is a
 * string, so such an object cannot be what runs in a cluster: it is reported (RF901, at the field)
 * and left out, and every proof after this point may rely on the types below.
 *
 * Only fields the proofs and rules read are checked; everything else is left to the API server.
 */

import { isObject } from '../model/is-object.js';

type Path = (string | number)[];
export interface ShapeProblem {
  path: Path;
  message: string;
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : typeof v === 'string' ? 'a string' : `a ${typeof v}`);

/** A field that must be a string when present. */
function optionalString(o: Record<string, unknown>, key: string, at: Path): ShapeProblem | undefined {
  const v = o[key];
  return v === undefined || typeof v === 'string' ? undefined : { path: [...at, key], message: `${key} is ${kindOf(v)}, not a string` };
}

/** A field that must be a mapping of strings when present (labels, annotations, ConfigMap data). */
function stringMap(o: Record<string, unknown>, key: string, at: Path): ShapeProblem | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) return { path: [...at, key], message: `${key} is ${kindOf(v)}, not a mapping` };
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') return { path: [...at, key, k], message: `${key}.${k} is ${kindOf(x)}, not a string` };
  return undefined;
}

/** A field that must be a list of mappings when present; `each` checks one item. */
function listOfMappings(o: Record<string, unknown>, key: string, at: Path, each?: (item: Record<string, unknown>, at: Path) => ShapeProblem | undefined): ShapeProblem | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return { path: [...at, key], message: `${key} is ${kindOf(v)}, not a list` };
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    if (!isObject(item)) return { path: [...at, key, i], message: `${key}[${i}] is ${kindOf(item)}, not a mapping` };
    const p = each?.(item, [...at, key, i]);
    if (p) return p;
  }
  return undefined;
}

/** A field that must be a list of strings when present (RBAC verbs, resources, apiGroups). */
function listOfStrings(o: Record<string, unknown>, key: string, at: Path): ShapeProblem | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) return { path: [...at, key], message: `${key} is ${kindOf(v)}, not a list` };
  const i = v.findIndex((x) => typeof x !== 'string');
  return i < 0 ? undefined : { path: [...at, key, i], message: `${key}[${i}] is ${kindOf(v[i])}, not a string` };
}

const first = (...checks: (() => ShapeProblem | undefined)[]): ShapeProblem | undefined => {
  for (const c of checks) {
    const p = c();
    if (p) return p;
  }
  return undefined;
};

function container(c: Record<string, unknown>, at: Path): ShapeProblem | undefined {
  return first(
    () => optionalString(c, 'name', at),
    () => optionalString(c, 'image', at),
    // An env var's value is optional (EnvVar.value, "Defaults to \"\"") and null decodes as absent (Go's
    // encoding/json leaves a field unset for null): `helm template` writes `value:` (null) for a value
    // the values leave out (public voor/gitlab-runner-helm-imgpkg, chart 0.33.0: CI_SERVER_URL), and the
    // object applies. Readers take a value only when it is a string.
    () => listOfMappings(c, 'env', at, (e, p) => optionalString(e, 'name', p) ?? (e.value === null ? undefined : optionalString(e, 'value', p))),
    () => listOfMappings(c, 'volumeMounts', at),
    () => listOfMappings(c, 'envFrom', at),
  );
}

function podSpec(spec: unknown, at: Path): ShapeProblem | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isObject(spec)) return { path: at, message: `the pod spec is ${kindOf(spec)}, not a mapping` };
  return first(
    () => optionalString(spec, 'serviceAccountName', at),
    () => optionalString(spec, 'serviceAccount', at),
    () => listOfMappings(spec, 'containers', at, container),
    () => listOfMappings(spec, 'initContainers', at, container),
    () => listOfMappings(spec, 'volumes', at),
  );
}

/** Steps into a mapping field, or reports it when it is present and not a mapping. */
function mappingAt(o: Record<string, unknown>, key: string, at: Path): { value?: Record<string, unknown>; problem?: ShapeProblem } {
  const v = o[key];
  if (v === undefined || v === null) return {};
  return isObject(v) ? { value: v } : { problem: { path: [...at, key], message: `${key} is ${kindOf(v)}, not a mapping` } };
}

/** The first field of `doc` (a Kubernetes object with a string kind and metadata.name) the proofs cannot read. */
export function kubernetesShapeProblem(doc: Record<string, unknown>): ShapeProblem | undefined {
  const metadata = doc.metadata as Record<string, unknown>;
  const meta = first(
    () => optionalString(metadata, 'namespace', ['metadata']),
    () => stringMap(metadata, 'labels', ['metadata']),
    () => stringMap(metadata, 'annotations', ['metadata']),
  );
  if (meta) return meta;
  switch (doc.kind) {
    case 'RoleBinding':
    case 'ClusterRoleBinding': {
      const ref = mappingAt(doc, 'roleRef', []);
      return first(
        () => ref.problem,
        () => (ref.value ? (optionalString(ref.value, 'kind', ['roleRef']) ?? optionalString(ref.value, 'name', ['roleRef'])) : undefined),
        () => listOfMappings(doc, 'subjects', [], (s, p) => optionalString(s, 'kind', p) ?? optionalString(s, 'name', p) ?? optionalString(s, 'namespace', p)),
      );
    }
    case 'Role':
    case 'ClusterRole':
      return listOfMappings(doc, 'rules', [], (r, p) => first(...['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs'].map((k) => () => listOfStrings(r, k, p))));
    case 'ConfigMap':
      return stringMap(doc, 'data', []);
    case 'Secret':
      return stringMap(doc, 'data', []) ?? stringMap(doc, 'stringData', []);
    default: {
      // Workloads: a pod spec directly (Pod), in a template, or in a CronJob's job template.
      const spec = mappingAt(doc, 'spec', []);
      if (spec.problem || !spec.value) return spec.problem;
      if (doc.kind === 'Pod') return podSpec(spec.value, ['spec']);
      const template = mappingAt(spec.value, 'template', ['spec']);
      if (template.problem) return template.problem;
      if (template.value) return podSpec(template.value.spec, ['spec', 'template', 'spec']);
      const job = mappingAt(spec.value, 'jobTemplate', ['spec']);
      if (job.problem || !job.value) return job.problem;
      const jobSpec = mappingAt(job.value, 'spec', ['spec', 'jobTemplate']);
      if (jobSpec.problem || !jobSpec.value) return jobSpec.problem;
      const jobTemplate = mappingAt(jobSpec.value, 'template', ['spec', 'jobTemplate', 'spec']);
      if (jobTemplate.problem || !jobTemplate.value) return jobTemplate.problem;
      return podSpec(jobTemplate.value.spec, ['spec', 'jobTemplate', 'spec', 'template', 'spec']);
    }
  }
}
