import { quoted, safeText, showValue, type Finding } from './findings.js';
import type { AppliedOutputs } from '../model/types.js';
import { UUID } from './azure.js';
import { CLIENT_IDS_OUTPUT } from '../emit/terraform/azure.js';
import { readJsonText } from './reader.js';

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
  const file = safeText(fileName, 200);
  const fix = `pass the output of: terraform -chdir=terraform/azure output -json > ${file}`;
  // Read as strictly as a spec: a key written twice (two client ids for one identity) is refused, not the last one kept.
  const read = readJsonText(text, fileName);
  if (read.findings.length > 0) return { findings: read.findings.map((x) => bad(x.message, fix, x.received)) };
  const parsed = read.value;
  const output = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[CLIENT_IDS_OUTPUT] : undefined;
  const value = output !== null && typeof output === 'object' ? (output as { value?: unknown }).value : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { findings: [bad(`${file} has no output ${CLIENT_IDS_OUTPUT} with a map value`, fix)] };
  }
  const findings: Finding[] = [];
  const ids: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, id] of Object.entries(value as Record<string, unknown>)) {
    if (typeof id !== 'string' || !UUID.test(id)) findings.push(bad(`the client id of ${quoted(name)} is not a UUID`, fix, showValue(id)));
    else ids[name] = id.toLowerCase();
  }
  return findings.length > 0 ? { findings } : { applied: { azureClientIds: ids }, findings: [] };
}
