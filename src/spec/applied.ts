import type { Finding } from './findings.js';
import type { AppliedOutputs } from '../model/types.js';
import { UUID } from './azure.js';
import { CLIENT_IDS_OUTPUT } from '../emit/terraform/azure.js';

const bad = (message: string, fix: string, received?: string): Finding => ({
  code: 'RF610',
  severity: 'error',
  path: '--azure-outputs',
  message,
  ...(received !== undefined ? { received } : {}),
  fix,
});

/**
 * Reads `terraform -chdir=terraform/azure output -json`: the client id of each managed identity,
 * by name. Client ids are identifiers, not secrets; nothing else from the file is kept.
 */
export function parseAzureOutputs(text: string, fileName: string): { applied?: AppliedOutputs; findings: Finding[] } {
  const fix = `pass the output of: terraform -chdir=terraform/azure output -json > ${fileName}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { findings: [bad(`${fileName} is not JSON: ${e instanceof Error ? e.message : String(e)}`, fix)] };
  }
  const output = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[CLIENT_IDS_OUTPUT] : undefined;
  const value = output !== null && typeof output === 'object' ? (output as { value?: unknown }).value : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { findings: [bad(`${fileName} has no output ${CLIENT_IDS_OUTPUT} with a map value`, fix)] };
  }
  const findings: Finding[] = [];
  const ids: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, id] of Object.entries(value as Record<string, unknown>)) {
    if (typeof id !== 'string' || !UUID.test(id)) findings.push(bad(`the client id of ${name} is not a UUID`, fix, JSON.stringify(id)));
    else ids[name] = id.toLowerCase();
  }
  return findings.length > 0 ? { findings } : { applied: { azureClientIds: ids }, findings: [] };
}
