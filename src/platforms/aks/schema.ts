import { z } from 'zod';
import { acceptRisksSchema, labelKey, labelValue, nameSchema, specMap } from '../../spec/schema.js';
import { resourceGroupSchema, uuidSchema } from '../../spec/azure.js';

const vmSizeSchema = z.string().regex(/^Standard_[A-Za-z0-9_]+$/, { message: 'an Azure VM size such as Standard_D4s_v5' });
const subnetIdSchema = z
  .string()
  .regex(/^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[^/{}]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/{}]+\/subnets\/[^/{}]+$/, { message: 'a subnet resource id (/subscriptions/…/virtualNetworks/<vnet>/subnets/<subnet>)' });
/** AKS node pool names: lower-case letters and digits, starting with a letter, up to 12 (Linux). */
const poolNameSchema = z.string().regex(/^[a-z][a-z0-9]{0,11}$/, { message: 'lower-case letters and digits, starting with a letter, up to 12 characters' });

export const aksTaintSchema = z.strictObject({
  key: labelKey,
  value: labelValue.optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const scalingSchema = z.strictObject({ min: z.number().int().min(1).max(1000), max: z.number().int().min(1).max(1000) });

const nodePoolSchema = z.strictObject({
  name: poolNameSchema.describe('Node pool name (also its agentpool label).'),
  vmSize: vmSizeSchema.default('Standard_D4s_v5').describe('Default Standard_D4s_v5.'),
  scaling: scalingSchema.default({ min: 1, max: 3 }).describe('Autoscaler bounds. Default min 1, max 3.'),
  labels: specMap(labelKey, labelValue).default({}).describe('Kubernetes labels of the nodes. Default none.'),
  taints: z.array(aksTaintSchema).default([]).describe('Kubernetes taints of the nodes. Default none.'),
  spot: z.boolean().default(false).describe('Spot VMs (evicted at any time; AKS taints them kubernetes.azure.com/scalesetpriority=spot:NoSchedule). Default false.'),
  osDiskSizeGiB: z.number().int().min(30).max(2048).default(128).describe('Default 128.'),
});

export const aksCreateSchema = z
  .strictObject({
    kubernetesVersion: z.string().regex(/^1\.[0-9]{2}$/, { message: 'a Kubernetes minor version such as 1.33' }).optional().describe('Kubernetes minor version. Default: the version AKS recommends at creation.'),
    dnsPrefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,52}[A-Za-z0-9]$/, { message: 'letters, digits and hyphens, 2 to 54' }).optional().describe('Default: the cluster name.'),
    adminGroupObjectIds: z.array(uuidSchema('an Entra ID group object id')).min(1).describe('Entra ID groups whose members administer the cluster (local accounts are disabled, so these are the way in).'),
    subnetId: subnetIdSchema.optional().describe('Subnet of the nodes (Azure CNI overlay). Default: a VNet AKS creates.'),
    systemPool: z
      .strictObject({
        vmSize: vmSizeSchema.default('Standard_D2s_v5').describe('Default Standard_D2s_v5.'),
        scaling: scalingSchema.default({ min: 1, max: 3 }).describe('Default min 1, max 3.'),
      })
      .prefault({})
      .describe('The system node pool. It runs only critical add-ons (CriticalAddonsOnly taint) when user pools exist.'),
    nodePools: z.array(nodePoolSchema).default([]).describe('User node pools for runner managers and jobs. Default none (everything on the system pool).'),
  })
  .describe('Create the AKS cluster here instead of using an existing one. Default: the cluster exists (oidcIssuer is then required).');

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
    .optional()
    .describe('OIDC issuer URL of an existing cluster, exactly as `az aks show --query oidcIssuerProfile.issuerUrl` prints it (with its trailing slash). The cluster needs --enable-oidc-issuer and --enable-workload-identity. Required unless create is set.'),
  entraId: z
    .boolean()
    .optional()
    .describe('Whether the existing cluster has AKS-managed Microsoft Entra ID integration (az aks show --query aadProfile.managed). The scheduled token rotator needs it: it signs in to the API server with an Entra token and is a Kubernetes RBAC user there. A cluster created here always has it. Default: unknown (rotation of API-registered runners on this cluster is refused, RF128).'),
  identity: z.literal('workload-identity').default('workload-identity').describe('How pods get Azure credentials. Only Azure Workload Identity. Default workload-identity.'),
  create: aksCreateSchema.optional(),
  acceptRisks: acceptRisksSchema,
});

export type AksCreateSpec = z.output<typeof aksCreateSchema>;
export type AksClusterSpec = z.output<typeof aksClusterSchema>;
