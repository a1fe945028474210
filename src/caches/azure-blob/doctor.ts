import type { CacheDoctorReader } from '../types.js';
import { quoted } from '../../spec/findings.js';
import { azureBlobCacheSchema } from './schema.js';

/** How the doctor reads an Azure Blob `[runners.cache]` section back (src/doctor/platform-readers.ts). */
export const azureBlobDoctorReader: CacheDoctorReader = {
  fromToml(section, root, generated) {
    const sub = (k: string) => {
      const v = (section as { azure?: Record<string, unknown> } | undefined)?.azure?.[k];
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const account = sub('AccountName');
    if ((section as { Type?: unknown } | undefined)?.Type !== 'azure' || account === undefined) return undefined;
    const container = sub('ContainerName') ?? 'runner-cache';
    const [tfKey, body] = Object.entries(root.resource.azurerm_storage_account ?? {}).find(([, b]) => b.name === account) ?? [];
    const name = tfKey && generated && tfKey.startsWith('cache_') ? tfKey.slice('cache_'.length) : account;
    const rg = typeof body?.resource_group_name === 'string' && !body.resource_group_name.includes('${') ? body.resource_group_name : undefined;
    // The schema checks the cache name's form, which the account's Terraform key need not have (a
    // key marked with its root where several roots declare it): the name is set after, as for S3.
    const parsed = azureBlobCacheSchema.safeParse({ name: 'doctor', type: 'azure-blob', storageAccount: account, container, create: tfKey !== undefined, ...(rg ? { resourceGroup: rg } : {}) });
    if (!parsed.success) {
      // The names come from the section.
      const issue = parsed.error.issues[0]!;
      const key = issue.path[0] === 'container' ? 'ContainerName' : 'AccountName';
      const value = issue.path[0] === 'container' ? container : account;
      return { invalid: { at: ['azure', key], message: `[runners.cache.azure] ${key} names ${quoted(value, 80)}, which is not a storage ${issue.path[0] === 'container' ? 'container' : 'account'} name (${issue.message})` } };
    }
    return { identity: `${account}/${container}`, name, spec: { ...parsed.data, name }, at: ['azure', 'AccountName'], summary: `azure://${account}/${container}` };
  },
};
