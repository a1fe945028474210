import type { EmittedFleet } from '../../src/emit/types.js';

export type Spec = Record<string, any>;
type Res = Record<string, Record<string, Record<string, any>>>;
export const res = (d: EmittedFleet): Res => d.terraformAws!.resource;
export const azres = (d: EmittedFleet): Res => d.terraformAzure!.resource;

/** Rules a spec can trigger on a created cluster: a failing case each; the example itself is the passing case. */
export const CLUSTER_SPEC_CASES: { name: string; base: string; mutate: (s: Spec) => void; code: string; severity: 'error' | 'warning' }[] = [
  { name: 'jobs select a label no node group has', base: 'eks-create-eksctl', mutate: (s) => (s.runners[0].jobs.nodeSelector = { nodepool: 'prod' }), code: 'RF801', severity: 'error' },
  { name: 'jobs do not tolerate the only node group taint', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.nodeGroups[0].taints = [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }], s.runners[0].manager.tolerations = [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }]), code: 'RF801', severity: 'error' },
  { name: 'the manager selects a label no node group has', base: 'eks-create-eksctl', mutate: (s) => (s.runners[0].manager.nodeSelector = { nodepool: 'system' }), code: 'RF802', severity: 'error' },
  { name: 'the manager fits only spot node groups', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.nodeGroups[0].capacityType = 'SPOT'), code: 'RF803', severity: 'warning' },
  { name: 'a public endpoint open to the internet', base: 'eks-create-eksctl', mutate: (s) => delete s.clusters[0].create.endpoint, code: 'RF805', severity: 'warning' },
  { name: 'AKS jobs select a label no node pool has', base: 'aks-create', mutate: (s) => (s.runners[0].jobs.nodeSelector = { workload: 'gpu' }), code: 'RF801', severity: 'error' },
  { name: 'AKS jobs on a spot pool without the spot toleration', base: 'aks-create', mutate: (s) => (s.runners[0].jobs.tolerations = []), code: 'RF801', severity: 'error' },
];

/** Rules only broken documents trigger: fail when broken, pass as emitted. */
export const CLUSTER_DOC_CASES: { name: string; base: string; mutate: (d: EmittedFleet) => void; code: string }[] = [
  { name: 'a trust policy with a copied issuer instead of the symbol', base: 'eks-create-eksctl', code: 'RF108', mutate: (d) => {
    const body = res(d).aws_iam_role!['dev-manager']!;
    body.assume_role_policy = String(body.assume_role_policy).replaceAll('${local.eks_oidc_devops}', 'oidc.eks.eu-central-1.amazonaws.com/id/0THERC1USTER0000000000000000000');
  } },
  { name: 'the OIDC provider URL copied instead of read from the cluster', base: 'eks-create-eksctl', code: 'RF108', mutate: (d) => void (res(d).aws_iam_openid_connect_provider!.devops!.url = 'https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE0000000000000000000000000') },
  { name: 'the issuer local defined from something else', base: 'eks-create-eksctl', code: 'RF108', mutate: (d) => void (d.terraformAws!.locals!.eks_oidc_devops = 'oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE0000000000000000000000000') },
  { name: 'a node group launch template with hop limit 2', base: 'eks-create-eksctl', code: 'RF804', mutate: (d) => void (res(d).aws_launch_template!.devops_dev!.metadata_options.http_put_response_hop_limit = 2) },
  { name: 'a node group without a launch template', base: 'eks-create-eksctl', code: 'RF804', mutate: (d) => void delete res(d).aws_eks_node_group!.devops_dev!.launch_template },
  { name: 'the cluster creator becomes admin', base: 'eks-create-eksctl', code: 'RF806', mutate: (d) => void (res(d).aws_eks_cluster!.devops!.access_config.bootstrap_cluster_creator_admin_permissions = true) },
  { name: 'Secrets not encrypted', base: 'eks-create-eksctl', code: 'RF806', mutate: (d) => void delete res(d).aws_eks_cluster!.devops!.encryption_config },
  { name: 'AKS with local accounts', base: 'aks-create', code: 'RF806', mutate: (d) => void (azres(d).azurerm_kubernetes_cluster!.ci!.local_account_disabled = false) },
  { name: 'AKS federated credential with a copied issuer', base: 'aks-create', code: 'RF603', mutate: (d) => {
    for (const c of Object.values(azres(d).azurerm_federated_identity_credential!)) c.issuer = 'https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/';
  } },
];

/** Spec errors (exit 2) of impossible combinations. */
export const CLUSTER_SPEC_ERRORS: { name: string; base: string; mutate: (s: Spec) => void; code: string; path: string }[] = [
  { name: 'an issuer with create', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].oidcIssuer = 'https://oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF0123456789ABCDEF0123456789'), code: 'RF010', path: 'clusters[0].oidcIssuer' },
  { name: 'no issuer and no create', base: 'eks-create-eksctl', mutate: (s) => delete s.clusters[0].create, code: 'RF004', path: 'clusters[0].oidcIssuer' },
  { name: 'an existing OIDC provider for a new cluster', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].oidcProvider = 'existing'), code: 'RF010', path: 'clusters[0].oidcProvider' },
  { name: 'Pod Identity without its agent add-on', base: 'eks-create-eksctl', mutate: (s) => ((s.clusters[0].identity = 'pod-identity'), (s.clusters[0].create.addons = ['vpc-cni', 'coredns', 'kube-proxy'])), code: 'RF010', path: 'clusters[0].create.addons' },
  { name: 'no vpc-cni add-on', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.addons = ['coredns', 'kube-proxy']), code: 'RF010', path: 'clusters[0].create.addons' },
  { name: 'cluster without subnets', base: 'eks-create-eksctl', mutate: (s) => delete s.clusters[0].create.subnetIds, code: 'RF004', path: 'clusters[0].create.subnetIds' },
  { name: 'cluster subnets in one zone only', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.subnetIds = ['subnet-0a1b2c3d4e5f60001']), code: 'RF002', path: 'clusters[0].create.subnetIds' },
  { name: 'a node group with an empty subnet list', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.nodeGroups[0].subnetIds = []), code: 'RF002', path: 'clusters[0].create.nodeGroups[0].subnetIds' },
  { name: 'no node groups', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.nodeGroups = []), code: 'RF002', path: 'clusters[0].create.nodeGroups' },
  { name: 'two node groups of one name', base: 'eks-create-eksctl', mutate: (s) => s.clusters[0].create.nodeGroups.push({ ...s.clusters[0].create.nodeGroups[0] }), code: 'RF005', path: 'clusters[0].create.nodeGroups[1].name' },
  { name: 'min above max', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.nodeGroups[0].scaling = { min: 5, max: 2 }), code: 'RF010', path: 'clusters[0].create.nodeGroups[0].scaling' },
  { name: 'CONFIG_MAP on a created cluster', base: 'eks-create-eksctl', mutate: (s) => ((s.clusters[0].authenticationMode = 'CONFIG_MAP'), (s.clusters[0].access = [])), code: 'RF010', path: 'clusters[0].authenticationMode' },
  { name: 'a reserved taint key', base: 'eks-create-eksctl', mutate: (s) => (s.clusters[0].create.nodeGroups[0].taints = [{ key: 'kubernetes.io/role', effect: 'NoSchedule' }]), code: 'RF010', path: 'clusters[0].create.nodeGroups[0].taints' },
  { name: 'AKS issuer with create', base: 'aks-create', mutate: (s) => (s.clusters[0].oidcIssuer = 'https://westeurope.oic.prod-aks.azure.com/t/i/'), code: 'RF010', path: 'clusters[0].oidcIssuer' },
  { name: 'AKS without admin groups', base: 'aks-create', mutate: (s) => (s.clusters[0].create.adminGroupObjectIds = []), code: 'RF002', path: 'clusters[0].create.adminGroupObjectIds' },
  { name: 'AKS pool name too long', base: 'aks-create', mutate: (s) => (s.clusters[0].create.nodePools[0].name = 'runnersandmore'), code: 'RF007', path: 'clusters[0].create.nodePools[0].name' },
];

export const CLUSTER_TESTED_CODES = [...new Set([...CLUSTER_SPEC_CASES, ...CLUSTER_DOC_CASES].map((c) => c.code))];
