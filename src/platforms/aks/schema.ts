import { z } from 'zod';
import { acceptRisksSchema, nameSchema } from '../../spec/schema.js';
import { resourceGroupSchema } from '../../spec/azure.js';

export const aksClusterSchema = z.strictObject({
  name: nameSchema(40).describe('Name of this entry, referenced by runners[].placement.cluster.'),
  type: z.literal('aks'),
  clusterName: z
    .string()
    .regex(/^[A-Za-z0-9][-_A-Za-z0-9]{0,62}$/, { message: 'an AKS cluster name (letters, digits, - and _, up to 63)' })
    .optional()
    .describe('The AKS cluster name in Azure. Default: name.'),
  resourceGroup: resourceGroupSchema.optional().describe("Resource group of the cluster, for reference (az aks get-credentials --resource-group). Default: azure.resourceGroup."),
  oidcIssuer: z
    .string()
    .regex(/^https:\/\/[A-Za-z0-9.-]+(:[0-9]+)?(\/[^\s?#]*)?$/, { message: 'the cluster OIDC issuer URL, https://<region>.oic.prod-aks.azure.com/<tenant>/<id>/' })
    .describe('OIDC issuer URL of the cluster, exactly as `az aks show --query oidcIssuerProfile.issuerUrl` prints it (with its trailing slash). The cluster needs --enable-oidc-issuer and --enable-workload-identity.'),
  identity: z.literal('workload-identity').default('workload-identity').describe('How pods get Azure credentials. Only Azure Workload Identity. Default workload-identity.'),
  acceptRisks: acceptRisksSchema,
});

export type AksClusterSpec = z.output<typeof aksClusterSchema>;
