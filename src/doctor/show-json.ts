import { ownChild, setOwn } from '../emit/artifacts.js';
import { isObject } from '../model/is-object.js';
import type { Evidence } from './evidence.js';
import type { Finding } from '../spec/findings.js';
import { readShowHelmRelease } from './helm-release.js';
import type { Origin } from './source.js';

/**
 * `terraform show -json` of a plan or state: its resources and data sources (literal values) into
 * the evidence, keyed by their addresses. A document of a deployment given beside another that holds
 * the same addresses carries its mark (hcl/eval.ts ModuleScope.rootMark) on the names its root
 * module declares and on its module calls, as a Terraform root's are: each deployment keeps its own.
 * A `helm_release` of the gitlab-runner chart is also read as chart values (helm-release.ts), with
 * what a plan's `resource_changes` say only apply knows (`afterUnknown`, by resource address).
 */
export function addShowModule(ev: Evidence, module: unknown, origin: Origin, mark = '', findings: Finding[] = [], afterUnknown: ReadonlyMap<string, unknown> = new Map(), afterSensitive: ReadonlyMap<string, unknown> = new Map(), providers?: Record<string, unknown>[]): void {
  if (!isObject(module)) return;
  const resources = Array.isArray(module.resources) ? module.resources : [];
  const moduleAddress = typeof module.address === 'string' ? markedModule(module.address, mark) : undefined;
  resources.forEach((r, i) => {
    if (!isObject(r) || typeof r.type !== 'string' || typeof r.name !== 'string' || !isObject(r.values)) return;
    const block = r.mode === 'data' ? 'data' : 'resource';
    const suffix = r.index === undefined ? '' : `[${JSON.stringify(r.index)}]`;
    const name = moduleAddress !== undefined ? `${moduleAddress}.${r.name}${suffix}` : `${r.name}${mark}${suffix}`;
    // Types and names are the state's: own properties, so a type `__proto__` is a type like any other.
    setOwn(ownChild(ev.terraform[block], r.type), name, r.values);
    const at = { ...origin, path: [...origin.path, 'resources', i, 'values'] };
    ev.terraform.origins.set(`${block === 'data' ? 'data.' : ''}${r.type}.${name}`, at);
    // The tags AWS holds for it: its tags_all where the document shows them (default_tags and its own
    // tags merged), else the default_tags of the document's own provider configuration; never another
    // document's or root's provider (Evidence.terraform.awsProvidersOf, read by awsProviderOf).
    if (block === 'resource' && r.type.startsWith('aws_')) {
      const own = isObject(r.values.tags_all) ? [{ default_tags: { tags: r.values.tags_all } }] : providers;
      if (own !== undefined) (ev.terraform.awsProvidersOf ??= new Map()).set(`${r.type}.${name}`, own);
    }
    if (block === 'resource' && r.type === 'helm_release') {
      const address = typeof r.address === 'string' ? r.address : undefined;
      // What is sensitive: the resource's `sensitive_values`, and a plan's `after_sensitive` of its change.
      const sensitive = [r.sensitive_values, address !== undefined ? afterSensitive.get(address) : undefined];
      readShowHelmRelease(ev, r.values, at, `${r.type}.${name}`, address !== undefined ? afterUnknown.get(address) : undefined, findings, sensitive);
    }
  });
  const children = Array.isArray(module.child_modules) ? module.child_modules : [];
  children.forEach((c, i) => addShowModule(ev, c, { ...origin, path: [...origin.path, 'child_modules', i] }, mark, findings, afterUnknown, afterSensitive, providers));
}

/**
 * The aws provider configurations of a plan's root module (`configuration.provider_config`), as the
 * evaluator records a `provider "aws"` block: alias, region and default_tags where their expression
 * is a constant; default_tags whose tags are not (`references`) stay, as text that is no map, so a
 * resource's tags are then not shown rather than taken as none. Undefined without a configuration
 * (a state): its resources keep what they had.
 */
export function showAwsProviders(configuration: unknown): Record<string, unknown>[] | undefined {
  if (!isObject(configuration) || !isObject(configuration.provider_config)) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const p of Object.values(configuration.provider_config)) {
    if (!isObject(p) || p.name !== 'aws' || (typeof p.module_address === 'string' && p.module_address !== '')) continue;
    const x = isObject(p.expressions) ? p.expressions : {};
    const constant = (e: unknown): unknown => (isObject(e) && 'constant_value' in e ? e.constant_value : undefined);
    const provider: Record<string, unknown> = {};
    if (typeof p.alias === 'string' && p.alias !== '') provider.alias = p.alias;
    const region = constant(x.region);
    if (typeof region === 'string') provider.region = region;
    const block: unknown = Array.isArray(x.default_tags) ? (x.default_tags as unknown[])[0] : x.default_tags;
    if (isObject(block) && block.tags !== undefined) provider.default_tags = { tags: constant(block.tags) ?? '${default_tags.tags}' };
    out.push(provider);
  }
  return out;
}

/** A module instance's address with the mark on its root's call: `module.irsa["a"].module.x` → `module.irsa<mark>["a"].module.x`. */
const markedModule = (address: string, mark: string): string => (mark === '' ? address : address.replace(/^module\.([A-Za-z_][A-Za-z0-9_-]*)/, `module.$1${mark}`));

/** The addresses a document's root module declares (`resource.aws_iam_role.manager`, `data.…`, `module.irsa`): what two deployments' documents may share. */
export function showAddresses(module: unknown): Set<string> {
  const out = new Set<string>();
  if (!isObject(module)) return out;
  for (const r of Array.isArray(module.resources) ? module.resources : []) if (isObject(r) && typeof r.type === 'string' && typeof r.name === 'string') out.add(`${r.mode === 'data' ? 'data' : 'resource'}.${r.type}.${r.name}`);
  for (const c of Array.isArray(module.child_modules) ? module.child_modules : []) {
    const call = isObject(c) && typeof c.address === 'string' ? /^module\.([A-Za-z_][A-Za-z0-9_-]*)/.exec(c.address)?.[1] : undefined;
    if (call !== undefined) out.add(`module.${call}`);
  }
  return out;
}

/** A plan's `resource_changes`: each resource address → its change's `after_unknown` (what only apply knows). */
export function afterUnknownOf(changes: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const c of Array.isArray(changes) ? changes : []) if (isObject(c) && typeof c.address === 'string' && isObject(c.change) && c.change.after_unknown !== undefined) out.set(c.address, c.change.after_unknown);
  return out;
}

/** A plan's `resource_changes`: each resource address → its change's `after_sensitive` (what the plan marks sensitive). */
export function afterSensitiveOf(changes: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const c of Array.isArray(changes) ? changes : []) if (isObject(c) && typeof c.address === 'string' && isObject(c.change) && c.change.after_sensitive !== undefined) out.set(c.address, c.change.after_sensitive);
  return out;
}
