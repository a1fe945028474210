import { z } from 'zod';
import { acceptRisksSchema, nameSchema } from '../../spec/schema.js';
import { azureLocationSchema, resourceGroupSchema } from '../../spec/azure.js';

const SUBNET_ID = /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]+\/providers\/Microsoft\.Network\/virtualNetworks\/[-\w.]+\/subnets\/[-\w.]+$/;
const WORKSPACE_ID = /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[-\w]+$/i;
const STORAGE_ACCOUNT_ID = /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]+\/providers\/Microsoft\.Storage\/storageAccounts\/[a-z0-9]{3,24}$/;

export const azureBlobCacheSchema = z.strictObject({
  name: nameSchema(40).describe('Name of this entry, referenced by runners[].cache.name.'),
  type: z.literal('azure-blob'),
  storageAccount: z
    .string()
    .regex(/^[a-z0-9]{3,24}$/, { message: 'a storage account name: 3-24 lower-case letters and digits, unique in Azure' })
    .describe('Storage account name.'),
  container: z
    .string()
    .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, { message: 'a container name: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit' })
    .default('runner-cache')
    .describe('Blob container of the cache. Default runner-cache.'),
  create: z.boolean().default(true).describe('Create the storage account and container here; false uses existing ones (their settings are then yours to keep safe). Default true.'),
  resourceGroup: resourceGroupSchema.optional().describe('Resource group of the storage account. Default: azure.resourceGroup.'),
  location: azureLocationSchema.optional().describe('Region of the storage account. Default: azure.location.'),
  replication: z.enum(['LRS', 'ZRS', 'GRS', 'GZRS']).default('LRS').describe('account_replication_type. A cache is disposable, so LRS is enough. Default LRS.'),
  expireAfterDays: z.number().int().min(0).max(3650).default(14).describe('Delete cache blobs this many days after their last change; 0 keeps them forever (RF612). Default 14.'),
  publicNetworkAccess: z
    .boolean()
    .default(true)
    .describe('Reach the account over its public endpoint (still Entra ID only, TLS only). false needs a private endpoint, which runner-fleet does not create. Default true.'),
  network: z
    .strictObject({
      subnetIds: z
        .array(z.string().regex(SUBNET_ID, { message: 'a subnet resource id, /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' }))
        .min(1)
        .describe('Subnets that may reach the account (the AKS node subnet, with the Microsoft.Storage service endpoint enabled on it).'),
    })
    .optional()
    .describe('Network rules of the account: default action Deny, only these subnets are let in. Default: none, the account is reachable from every network (RF614).'),
  accessLogs: z
    .strictObject({
      logAnalyticsWorkspaceId: z.string().regex(WORKSPACE_ID, { message: 'a Log Analytics workspace resource id' }).optional().describe('Send StorageRead/StorageWrite/StorageDelete logs of the blob service to this workspace.'),
      storageAccountId: z.string().regex(STORAGE_ACCOUNT_ID, { message: 'a storage account resource id' }).optional().describe('Archive the same logs in this storage account (not the cache account itself).'),
    })
    .optional()
    .describe('Blob access logs through an Azure Monitor diagnostic setting, to trace who read or wrote a poisoned cache entry. Opt-in (log ingestion is billed). Default: off.'),
  storageDomain: z
    .string()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, { message: 'a DNS domain such as blob.core.windows.net' })
    .default('blob.core.windows.net')
    .describe('Blob endpoint domain ([runners.cache.azure] StorageDomain). Default blob.core.windows.net (Azure public cloud).'),
  acceptRisks: acceptRisksSchema,
});

export type AzureBlobCacheSpec = z.output<typeof azureBlobCacheSchema>;
