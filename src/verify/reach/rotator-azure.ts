import type { Finding } from '../../spec/findings.js';
import { CODES, type Code } from '../../spec/codes.js';
import type { TerraformRoot } from '../../emit/artifacts.js';
import { resolveValue } from '../aws-docs.js';
import { AKS_CLUSTER_USER_ROLE, KEY_VAULT_SECRETS_OFFICER } from '../../spec/resolve-operations.js';
import type { RotatorAzureIntent } from './intent.js';
import { asList } from './roles.js';
import { adviceThenRegenerate } from '../../spec/findings.js';
import { trimEnd } from '../../model/trim.js';

/**
 * The token rotator's managed identity (operations.rotation on AKS), proven from terraform/azure:
 * - its federated credentials name exactly the schedule's sub with the pinned audience (RF125;
 *   the look-alike tokens are refused by the ID-token proof, id-tokens.ts);
 * - its role assignments are exactly Key Vault Secrets Officer on each token secret
 *   (`<vault id>/secrets/<name>`) and Azure Kubernetes Service Cluster User Role on each cluster
 *   (RF127 when one is missing); anything else — the vault, another secret, another role, a
 *   resource group, Azure RBAC for Kubernetes data roles — is RF132.
 */

function f(code: Code, path: string, message: string, extra: Partial<Finding> = {}): Finding {
  return { code, severity: CODES[code].severity, path, message, ...extra };
}

const norm = (s: string) => trimEnd(s.toLowerCase(), '/');

export function verifyAzureRotator(root: TerraformRoot | undefined, path: string, identityName: string, audience: string, intent: RotatorAzureIntent): { findings: Finding[]; claim: string } {
  const findings: Finding[] = [];
  const key = Object.entries(root?.resource.azurerm_user_assigned_identity ?? {}).find(([, b]) => b.name === identityName)?.[0];
  if (!root || key === undefined) return { findings, claim: `token rotator ${identityName}: no managed identity in terraform/azure` };
  const ofIdentity = (attr: string, v: unknown) => v === `\${azurerm_user_assigned_identity.${key}.${attr}}`;
  // RF125: every federated credential of the identity names the one sub and the one audience.
  for (const [k, c] of Object.entries(root.resource.azurerm_federated_identity_credential ?? {})) {
    if (!ofIdentity('id', c.parent_id)) continue;
    const subject = String(resolveValue(root, c.subject));
    const audiences = asList(c.audience as string | string[]).map(String);
    if (subject !== intent.sub || audiences.length !== 1 || audiences[0] !== audience) {
      findings.push(
        f('RF125', path, `federated credential ${k} of the token rotator ${identityName} admits ${subject !== intent.sub ? `sub ${subject}` : `audiences ${audiences.join(', ')}`}`, {
          received: JSON.stringify({ subject, audience: audiences }),
          allowed: JSON.stringify({ subject: intent.sub, audience: [audience] }),
          ...adviceThenRegenerate('the rotator trusts only the project and branch of operations.rotation, with one audience'),
          deploymentFix: `set subject = "${intent.sub}" (the project and branch of the rotation pipeline) and audience = ["${audience}"] on federated credential ${k}`,
        }),
      );
    }
  }
  const required = [...intent.secretScopes.map((scope) => ({ role: KEY_VAULT_SECRETS_OFFICER, scope })), ...intent.clusterIds.map((scope) => ({ role: AKS_CLUSTER_USER_ROLE, scope }))];
  const held = Object.entries(root.resource.azurerm_role_assignment ?? {})
    .filter(([, a]) => ofIdentity('principal_id', a.principal_id))
    .map(([k, a]) => ({ key: k, role: typeof a.role_definition_name === 'string' ? a.role_definition_name : typeof a.role_definition_id === 'string' ? a.role_definition_id : '?', scope: String(resolveValue(root, a.scope) ?? a.scope) }));
  // Role and normalised scope compared through sets made once (a rotator of many runners has a
  // secret scope per Key Vault runner: comparing each required one with each held one, normalising
  // both every time, grew with the square of the runners).
  const scopesOf = (list: readonly { role: string; scope: string }[]) => {
    const byRole = new Map<string, Set<string>>();
    for (const x of list) {
      const set = byRole.get(x.role);
      if (set) set.add(norm(x.scope));
      else byRole.set(x.role, new Set([norm(x.scope)]));
    }
    return byRole;
  };
  const heldScopes = scopesOf(held);
  const requiredScopes = scopesOf(required);
  const secretScopes = new Set(intent.secretScopes.map(norm));
  for (const r of required) {
    if (heldScopes.get(r.role)?.has(norm(r.scope)) !== true) findings.push(f('RF127', path, `the token rotator ${identityName} lacks ${r.role} on ${r.scope}`, { fix: 'regenerate terraform/azure', deploymentFix: `assign ${r.role} on ${r.scope} to ${identityName}` }));
  }
  const allowed = required.map((r) => `${r.role} on ${r.scope}`).join('; ');
  for (const h of held) {
    if (requiredScopes.get(h.role)?.has(norm(h.scope)) === true) continue;
    const secretScope = /\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+\/secrets\/[^/]+$/i.test(h.scope);
    const vaultScope = /\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i.test(h.scope);
    const what = vaultScope ? 'the whole vault (every secret in it)' : secretScope ? (secretScopes.has(norm(h.scope)) ? 'its token secret with another role' : 'a secret it rotates nothing in') : 'a scope rotation does not need';
    findings.push(
      f('RF132', path, `role assignment ${h.key} gives the token rotator ${identityName} ${h.role} on ${what}`, {
        received: `${h.role} on ${h.scope}`,
        allowed,
        ...adviceThenRegenerate('grant the rotator Key Vault Secrets Officer on exactly its token secrets and Azure Kubernetes Service Cluster User Role on exactly its clusters'),
      }),
    );
  }
  return {
    findings,
    claim: `token rotator ${identityName} (managed identity) is federated for ${intent.sub} (aud ${audience}) only and holds exactly Key Vault Secrets Officer on ${intent.secretScopes.length} token secret(s), not on a vault, and Azure Kubernetes Service Cluster User Role on ${intent.clusterIds.length} cluster(s); ${held.length} role assignment(s) read`,
  };
}
