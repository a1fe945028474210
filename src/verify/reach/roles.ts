import type { TerraformRoot } from '../../emit/artifacts.js';
import type { PolicyDocument } from '../iam/types.js';
import type { CompiledPolicy } from '../iam/evaluator.js';
import { policyOfText, resolveValue, roleTags, type RoleTags } from '../aws-docs.js';

/** One IAM role of a Terraform root, read back from its literal documents. */
export interface RootRole extends RoleTags {
  key: string;
  name: string;
  trust: PolicyDocument;
  trustCompiled: CompiledPolicy;
  policies: PolicyDocument[];
  policiesCompiled: CompiledPolicy[];
}

/**
 * A Terraform expression inside a policy (`${var.x}`, `${data.t.n.value}`) is one value known
 * only at apply time. Both ends carry the same expression, so the proofs treat it as one opaque
 * symbol, `terraform:<expression>` (IAM policy variables `${aws:…}` are left for the evaluator to refuse).
 */
export function terraformSymbols(text: string): string {
  // Most policy texts hold no expression: the same text back, without a regex pass over it.
  return text.includes('${') ? text.replace(/\$\{((?:var|data|local)\.[A-Za-z0-9_.-]+)\}/g, 'terraform:$1') : text;
}

const cache = new WeakMap<TerraformRoot, { roles: Map<string, RootRole>; unresolved: string[] }>();

/** Roles by name (any root: the fleet's, a target account's). Inline policies whose role does not resolve are listed. */
export function rootRoles(root: TerraformRoot): { roles: Map<string, RootRole>; unresolved: string[] } {
  const hit = cache.get(root);
  if (hit) return hit;
  const roles = new Map<string, RootRole>();
  const unresolved: string[] = [];
  for (const [key, body] of Object.entries(root.resource.aws_iam_role ?? {})) {
    const trust = policyOfText(root, terraformSymbols(String(body.assume_role_policy)));
    roles.set(String(body.name), { key, name: String(body.name), trust: trust.doc, trustCompiled: trust.compiled, policies: [], policiesCompiled: [], ...roleTags(root, body, key) });
  }
  for (const [key, body] of Object.entries(root.resource.aws_iam_role_policy ?? {})) {
    const name = resolveValue(root, body.role);
    const role = typeof name === 'string' ? roles.get(name) : undefined;
    if (!role) {
      unresolved.push(`aws_iam_role_policy.${key}.role: ${String(body.role)}`);
      continue;
    }
    const doc = policyOfText(root, terraformSymbols(String(body.policy)));
    role.policies.push(doc.doc);
    role.policiesCompiled.push(doc.compiled);
  }
  const out = { roles, unresolved };
  cache.set(root, out);
  return out;
}

export function asList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
