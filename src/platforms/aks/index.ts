import type { PlatformPlugin, ReadmeStep, RunnerEmission } from '../types.js';
import type { Finding } from '../../spec/findings.js';
import { partyNamespace } from '../../model/types.js';
import type { AzureManagedIdentity, KubernetesNames, ResolvedCluster, ResolvedFleet, ResolvedRunner } from '../../model/types.js';
import { kubernetesDecoys, kubernetesSubjects } from '../../verify/kubernetes-chain.js';
import { DO_NOT_EDIT, byName, merged, ownChild, ownEntries, setOwn, tfName, type Artifact, type K8sObject, type TerraformResources, type TerraformRoot } from '../../emit/artifacts.js';
import { commonLabels, ownsNamespace, imdsNetworkPolicy } from '../../emit/kubernetes/objects.js';
import { kubernetesExecutor } from '../../emit/toml/kubernetes-executor.js';
import { chartRunnerToml, helmValues } from '../../emit/helm/values.js';
import { AZURERM_PROVIDER_CONSTRAINT, azurermProvider, identityRef } from '../../emit/terraform/azure.js';
import { KUBERNETES_PROVIDER_CONSTRAINT, k8sObjectToTerraform, kubernetesProviderVariables } from '../../emit/terraform/kubernetes.js';
import { AZURE_USE_LABEL, AZURE_WI_AUDIENCE, UUID, userAssignedIdentityId } from '../../spec/azure.js';
import { aksClusterSchema } from './schema.js';
import { AZURE_CLI_IMAGE, MECHANISM, aksIssuerOf, aksSpec, isCreatedAks, credentialName, identityDataRef, identityName, k8sRootPath, serviceAccountSubject } from './names.js';
import { aksRunnerObjects, runnerIdentities } from './objects.js';
import { aksClusterResources, aksNodePools, checkCreateAks, verifyCreatedAks } from './cluster.js';
import { aksClustersThatMayAssume, aksManagerPods, aksRoleOfServiceAccount, aksVerifyChain, aksWhoCanAssume, kubernetesOnly, verifyAppliedClientIds } from './verify.js';
import { verifyKeyVaultStore } from './key-vault-verify.js';
import { aksRotatorAccess } from './rotator.js';
import { rotatorObjects } from '../../emit/kubernetes/rotator-objects.js';
import { keyVaultAssignments, keyVaultHelmValues, keyVaultOf, secretProviderClass } from './key-vault.js';

/** Client ids given with `synth --azure-outputs`, if any. */
export function appliedClientId(fleet: ResolvedFleet, id: AzureManagedIdentity): string | undefined {
  const ids = fleet.applied?.azureClientIds;
  const v = ids && Object.hasOwn(ids, id.roleName) ? ids[id.roleName] : undefined;
  return v !== undefined && UUID.test(v) ? v : undefined;
}

function runnersOn(fleet: ResolvedFleet, cluster: ResolvedCluster) {
  return fleet.runners.filter((r) => r.cluster === cluster.name && r.kubernetes) as (ResolvedRunner & { kubernetes: KubernetesNames })[];
}

/**
 * The Kubernetes objects of every runner on the cluster as a Terraform root that looks each
 * identity up by its deterministic name, so nobody copies a client id by hand.
 */
function k8sRoot(fleet: ResolvedFleet, cluster: ResolvedCluster): TerraformRoot | undefined {
  const runners = runnersOn(fleet, cluster);
  if (runners.length === 0) return undefined;
  const data = new Map<string, Record<string, unknown>>();
  const resource: TerraformResources = {};
  // Into the root's own object per type, refusing a name twice as mergeResources does: no
  // contribution objects per resource (four or five resources of every runner).
  const add = (type: string, name: string, body: Record<string, unknown>) => {
    const target = ownChild(resource, type);
    if (Object.hasOwn(target, name)) throw new Error(`internal: terraform resource ${type}.${name} emitted twice`);
    setOwn(target, name, body);
  };
  // Runners may share a namespace (one namespace for all runner purposes): it is created once.
  const namespaces = new Set<string>();
  for (const r of runners) {
    const ids = runnerIdentities(fleet, r);
    for (const id of [ids.manager, ids.jobs]) data.set(tfName(id.key), { name: id.roleName, resource_group_name: id.resourceGroup });
    const objs = dataRefObjects(fleet, r);
    const ns = k8sObjectToTerraform(objs.namespace);
    const nsKey = tfName(r.kubernetes.namespace);
    if (!namespaces.has(nsKey)) add(ns.type, nsKey, ns.body);
    namespaces.add(nsKey);
    for (const o of [...objs.serviceAccounts, ...objs.rbac]) {
      // The body is k8sObjectToTerraform's own, fresh: depends_on goes last, as merged put it.
      const t = k8sObjectToTerraform(o);
      t.body.depends_on = [`${ns.type}.${nsKey}`];
      add(t.type, tfName(o.metadata.namespace ?? '', o.metadata.name), t.body);
    }
    // A custom resource: the kubernetes provider's generic kubernetes_manifest (the CRD comes with the AKS add-on).
    const kv = keyVaultOf(fleet, r);
    if (kv) {
      const spc = secretProviderClass(fleet, r, kv, ids.manager, identityDataRef(ids.manager.key));
      add('kubernetes_manifest', tfName(spc.metadata.namespace ?? '', spc.metadata.name, 'spc'), { manifest: spc, depends_on: [`${ns.type}.${nsKey}`] });
    }
    const noImds = imdsNetworkPolicy(fleet, r, r.kubernetes, []);
    add('kubernetes_manifest', tfName(noImds.metadata.namespace ?? '', noImds.metadata.name), { manifest: noImds, depends_on: [`${ns.type}.${nsKey}`] });
  }
  // The token rotator's Role and RoleBinding (operations.rotation), bound to its managed identity's principal id.
  const rotator = fleet.rotation?.azure;
  const rotatorTargets = (rotator?.kubernetes?.targets ?? []).filter((t) => t.cluster === cluster.name);
  if (rotator?.kubernetes && rotatorTargets.length > 0) {
    data.set(tfName(rotator.key), { name: rotator.identityName, resource_group_name: fleet.azure!.resourceGroup });
    for (const t of rotatorTargets) {
      for (const o of rotatorObjects(fleet.name, rotator.kubernetes, t)) {
        const tf = k8sObjectToTerraform(o);
        add(tf.type, tfName(o.metadata.namespace ?? '', o.metadata.name, 'rotator'), merged<unknown>(tf.body, { depends_on: [`kubernetes_namespace_v1.${tfName(t.namespace)}`] }));
      }
    }
  }
  const sorted: TerraformResources = {};
  for (const type of Object.keys(resource).sort()) sorted[type] = resource[type]!;
  return {
    '//': DO_NOT_EDIT,
    terraform: {
      required_version: '>= 1.5.0',
      required_providers: {
        azurerm: { source: 'hashicorp/azurerm', version: AZURERM_PROVIDER_CONSTRAINT },
        kubernetes: { source: 'hashicorp/kubernetes', version: KUBERNETES_PROVIDER_CONSTRAINT },
      },
    },
    variable: kubernetesProviderVariables('kube_context', `AKS cluster ${aksSpec(cluster).clusterName ?? cluster.name}`),
    provider: { azurerm: azurermProvider(fleet), kubernetes: { config_path: '${var.kubeconfig_path}', config_context: '${var.kube_context}' } },
    data: { azurerm_user_assigned_identity: ownEntries([...data]) },
    resource: sorted,
  };
}

/**
 * A runner's Kubernetes objects whose service accounts take their client ids from the Kubernetes
 * root's data sources: the Terraform root has them, and so do the runner's manifests when no client
 * ids were applied. Made once per runner, not once for each (the same objects: documents are not
 * changed after they are made, and the root converts them into bodies of its own).
 */
const dataRefObjectsOf = new WeakMap<ResolvedRunner, { fleet: ResolvedFleet; objs: ReturnType<typeof aksRunnerObjects> }>();
function dataRefObjects(fleet: ResolvedFleet, runner: ResolvedRunner & { kubernetes: KubernetesNames }): ReturnType<typeof aksRunnerObjects> {
  const hit = dataRefObjectsOf.get(runner);
  if (hit?.fleet === fleet) return hit.objs;
  const objs = aksRunnerObjects(fleet, runner, (id) => identityDataRef(id.key));
  dataRefObjectsOf.set(runner, { fleet, objs });
  return objs;
}

/**
 * The smoke job's IMDS check: a job pod may not read Azure IMDS, where any pod can ask for a token of
 * the kubelet identity (workload identity reads a projected token file and needs none of it).
 */
const AZURE_IMDS_CHECK = [
  'command -v curl >/dev/null || { echo "FAIL: the image has no curl to test the metadata service with" >&2; exit 1; }',
  "if curl -sf -m 3 -H Metadata:true 'http://169.254.169.254/metadata/instance?api-version=2021-02-01' >/dev/null; then echo \"FAIL: a job read the node's Azure metadata service, so it can get tokens for the kubelet identity: create the cluster with --network-policy azure, calico or cilium so network-policy.yaml is enforced\" >&2; exit 1; fi",
  'echo "OK: jobs cannot reach the node\'s metadata service"',
];

export const aksPlatform: PlatformPlugin = {
  type: 'aks',
  cloud: 'azure',
  title: 'Azure Kubernetes Service',
  kubernetes: true,
  subjectNoun: 'service accounts',
  chainClaim: 'every reference resolves: federated credential ↔ managed identity ↔ service account ↔ Helm values ↔ config.toml',
  chainClaimFor: (managerConfig) => `every reference resolves: federated credential ↔ managed identity ↔ service account ↔ ${managerConfig}`,
  identityMechanisms: { [MECHANISM]: 'Azure Workload Identity' },
  cacheTypes: ['azure-blob'],
  clusterSchema: aksClusterSchema,

  checkSpec(ctx) {
    const out: Finding[] = [];
    const spec = ctx.cluster as unknown as ReturnType<typeof aksSpec>;
    if (!ctx.fleet.azure) {
      out.push({ code: 'RF004', severity: 'error', path: 'azure', message: `an AKS cluster needs the azure section (${ctx.clusterPath} is type aks)`, fix: 'add azure: { tenantId: "<uuid>", subscriptionId: "<uuid>", location: <region>, resourceGroup: <name> }' });
    }
    out.push(...checkCreateAks(ctx));
    // AKS issuers end with '/', and the federated credential must equal the token's iss exactly.
    if (spec.oidcIssuer !== undefined && /\.oic\.prod-aks\.azure\.com\//.test(spec.oidcIssuer) && !spec.oidcIssuer.endsWith('/')) {
      out.push({ code: 'RF007', severity: 'error', path: `${ctx.clusterPath}.oidcIssuer`, message: 'AKS issuer URLs end with "/"; a federated credential without it never matches the token', received: JSON.stringify(spec.oidcIssuer), allowed: `${spec.oidcIssuer}/`, fix: 'copy the issuer from az aks show --query oidcIssuerProfile.issuerUrl' });
    }
    return out;
  },

  identity(fleet, _cluster, runner, purpose, binding): AzureManagedIdentity {
    const az = fleet.azure!;
    const name = identityName(fleet, runner.name, purpose);
    return {
      cloud: 'azure',
      key: `${runner.name}-${purpose}`,
      runner: runner.name,
      purpose,
      roleName: name,
      resourceGroup: az.resourceGroup,
      resourceId: userAssignedIdentityId(az.subscriptionId, az.resourceGroup, name),
      binding,
      roleAssignments: purpose === 'jobs' ? runner.spec.jobs.permissions.azure.map((a) => ({ ...a })) : keyVaultAssignments(fleet, runner),
    };
  },

  bind(_fleet, cluster, runner, purpose) {
    const names = runner.kubernetes!;
    const serviceAccount = purpose === 'manager' ? names.managerServiceAccount : names.jobServiceAccount;
    return { mechanism: MECHANISM, subject: { kind: 'kubernetes', cluster: cluster.name, namespace: partyNamespace(names, purpose), serviceAccount } };
  },

  trustPolicy(_fleet, cluster, identity) {
    // Managed identities trust through a federated credential, not an IAM policy. This is that
    // credential in the shared trust grammar (issuer, exact subject, pinned audience), for the
    // evaluator and the platform contract; it is never emitted to Azure.
    const s = identity.binding.subject;
    if (s.kind !== 'kubernetes') throw new Error(`internal: AKS cannot federate ${s.kind} subjects`);
    const issuer = aksIssuerOf(cluster);
    const hp = issuer.replace(/^https:\/\//, '').replace(/\/$/, '');
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AzureFederatedCredential',
          Effect: 'Allow',
          Principal: { Federated: issuer },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${hp}:aud`]: AZURE_WI_AUDIENCE, [`${hp}:sub`]: serviceAccountSubject(s.namespace, s.serviceAccount) } },
        },
      ],
    };
  },

  emitRunner(fleet, cluster, r, ctx): RunnerEmission {
    const runner = r as ResolvedRunner & { kubernetes: KubernetesNames };
    const names = runner.kubernetes;
    const ids = runnerIdentities(fleet, runner);
    // The cache SAS is signed by the manager, so both manager and job pods carry the label.
    const podLabels = merged(commonLabels(fleet, runner), { [AZURE_USE_LABEL]: 'true' });
    const executorToml = kubernetesExecutor(runner, names, merged(podLabels, { 'runner-fleet.dev/purpose': 'job' }));
    const runnerToml = chartRunnerToml(merged(executorToml, ctx.runnerExtras));
    const values = helmValues(fleet, runner, names, runnerToml, merged(podLabels, { 'runner-fleet.dev/purpose': 'manager' }));
    const kv = keyVaultOf(fleet, runner);
    if (kv) Object.assign(values, keyVaultHelmValues(names));
    const files: Artifact[] = [{ path: `helm/${runner.name}/values.yaml`, format: 'yaml', content: [values] }];
    // Job pods may not get a token for the kubelet identity from Azure IMDS (workload identity reads a projected file, not IMDS).
    const noImds = imdsNetworkPolicy(fleet, runner, names, []);

    const managerId = appliedClientId(fleet, ids.manager);
    const jobsId = appliedClientId(fleet, ids.jobs);
    let manifests: K8sObject[];
    if (managerId !== undefined && jobsId !== undefined) {
      const real = new Map([[ids.manager.key, managerId], [ids.jobs.key, jobsId]]);
      const objs = aksRunnerObjects(fleet, runner, (id) => real.get(id.key)!);
      files.push(
        // A namespace runners share is written once, by the first of them.
        ...(ownsNamespace(fleet, runner) ? [{ path: `kubernetes/${runner.name}/namespace.yaml`, format: 'yaml' as const, content: [objs.namespace] }] : []),
        { path: `kubernetes/${runner.name}/service-accounts.yaml`, format: 'yaml', content: objs.serviceAccounts },
        { path: `kubernetes/${runner.name}/rbac.yaml`, format: 'yaml', content: objs.rbac },
        { path: `kubernetes/${runner.name}/network-policy.yaml`, format: 'yaml', content: [noImds] },
      );
      manifests = [objs.namespace, ...objs.serviceAccounts, ...objs.rbac, noImds];
      if (kv) files.push({ path: `kubernetes/${runner.name}/secret-provider-class.yaml`, format: 'yaml', content: [secretProviderClass(fleet, runner, kv, ids.manager, managerId)] });
    } else {
      // Without applied client ids the objects exist only in the Terraform root (never a fake id in a file).
      const objs = dataRefObjects(fleet, runner);
      manifests = [objs.namespace, ...objs.serviceAccounts, ...objs.rbac, noImds];
    }

    const az = fleet.azure!;
    const credentials = byName<Record<string, unknown>>();
    for (const [id, sa] of [
      [ids.manager, names.managerServiceAccount],
      [ids.jobs, names.jobServiceAccount],
    ] as const) {
      credentials[tfName(id.key)] = {
        name: credentialName(cluster.name, names.namespace, sa),
        resource_group_name: az.resourceGroup,
        parent_id: identityRef(id, 'id'),
        issuer: aksIssuerOf(cluster),
        subject: serviceAccountSubject(names.namespace, sa),
        audience: [AZURE_WI_AUDIENCE],
      };
    }
    return { files, executorToml, manifests, helmValues: values, helmRunnerToml: runnerToml, terraformAzure: { azurerm_federated_identity_credential: credentials } };
  },

  emitCluster(fleet, cluster) {
    const root = k8sRoot(fleet, cluster);
    return {
      files: root ? [{ path: k8sRootPath(cluster.name), format: 'json', content: root }] : [],
      ...(isCreatedAks(cluster) ? { terraformAzure: aksClusterResources(fleet, cluster) } : {}),
    };
  },

  nodePools(docs, cluster, clusterPath) {
    if (!isCreatedAks(cluster)) return undefined;
    return { poolsPath: `${clusterPath}.create.nodePools`, pools: aksNodePools(docs.terraformAzure, cluster) };
  },

  verifyDocuments(docs, fleet) {
    return [...fleet.clusters.flatMap((c, i) => (c.type === 'aks' && isCreatedAks(c) ? verifyCreatedAks(docs, c, `clusters[${i}]`) : [])), ...verifyAppliedClientIds(fleet)];
  },

  clusterFindings() {
    return [];
  },

  identityCheckJob(fleet, _runner, jobIdentity) {
    if (jobIdentity?.cloud !== 'azure') throw new Error('internal: AKS job identities are managed identities');
    const rendered = appliedClientId(fleet, jobIdentity);
    const name = jobIdentity.roleName;
    const fail = (msg: string) => `{ echo "FAIL: ${msg}" >&2; exit 1; }`;
    return {
      image: AZURE_CLI_IMAGE,
      script: [
        // Rendered from `terraform output` when synth had --azure-outputs; otherwise a CI variable.
        rendered !== undefined ? `expected="${rendered}"` : 'expected="${RUNNER_FLEET_JOB_CLIENT_ID:-}"',
        `test -n "$expected" || ${fail(`set RUNNER_FLEET_JOB_CLIENT_ID to the client id of ${name} (terraform -chdir=terraform/azure output -json workload_identity_client_ids), or synthesize with --azure-outputs`)}`,
        `test -n "\${AZURE_FEDERATED_TOKEN_FILE:-}" || ${fail(`no federated token in the job pod: it lacks the label ${AZURE_USE_LABEL}=true or the workload identity webhook is missing`)}`,
        `test "$AZURE_CLIENT_ID" = "$expected" || ${fail(`the job service account is annotated with client id $AZURE_CLIENT_ID, expected $expected (${name})`)}`,
        `test "$AZURE_TENANT_ID" = "${fleet.azure!.tenantId}" || ${fail('the job runs in tenant $AZURE_TENANT_ID')}`,
        'az login --service-principal -u "$AZURE_CLIENT_ID" --tenant "$AZURE_TENANT_ID" --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" --allow-no-subscriptions --output none',
        'signed_in="$(az account show --query user.name --output tsv)"',
        'echo "jobs run as client id: $signed_in"',
        `test "$signed_in" = "$expected" || ${fail(`signed in as $signed_in, expected the job identity ${name} ($expected)`)}`,
        `echo "OK: the job identity ${name}"`,
      ],
      imdsCheck: AZURE_IMDS_CHECK,
    };
  },

  subjects(docs, intent, cluster) {
    return kubernetesSubjects(docs, intent, cluster);
  },

  decoys(subject) {
    return kubernetesDecoys(subject);
  },

  whoCanAssume(docs, intent, _cluster, roleName, subjects) {
    return aksWhoCanAssume(docs, intent, roleName, kubernetesOnly(subjects));
  },

  clustersThatMayAssume(docs, intent, roleName) {
    return aksClustersThatMayAssume(docs, intent, roleName);
  },

  verifyChain(docs, intent, runner, runnerPath, subjects) {
    return aksVerifyChain(docs, intent, runner, runnerPath, subjects);
  },

  managerPods(docs, intent, runner) {
    return aksManagerPods(docs, intent, runner);
  },

  verifyRunner(docs, intent, runner, runnerPath) {
    // Runners whose token lives in Key Vault: the grant and the SecretProviderClass that deliver it.
    return verifyKeyVaultStore(docs, intent, runner, runnerPath) ?? { findings: [], proofs: [] };
  },

  readme(fleet, runners, emitted) {
    const roots = [...new Set(runners.map((r) => r.cluster))].filter((c) => emitted.artifacts.some((a) => a.path === k8sRootPath(c))).sort();
    const created = fleet.clusters.filter((c) => c.type === 'aks' && isCreatedAks(c));
    const steps: ReadmeStep[] = created.length === 0 ? [] : [
      {
        phase: 'cluster',
        title: 'Cluster credentials.',
        text: `terraform/azure created ${created.map((c) => `\`${aksSpec(c).clusterName ?? c.name}\``).join(', ')} with Entra ID sign-in only (local accounts are disabled). As a member of an admin group under \`create.adminGroupObjectIds\`:`,
        lines: ['```sh', ...created.map((c) => `az aks get-credentials --resource-group ${aksSpec(c).resourceGroup ?? fleet.azure!.resourceGroup} --name ${aksSpec(c).clusterName ?? c.name} --context ${c.name}`), 'kubelogin convert-kubeconfig -l azurecli', '```'],
      },
    ];
    const kvRunners = runners.flatMap((r) => {
      const kv = keyVaultOf(fleet, r);
      return kv ? [{ r, kv }] : [];
    });
    const sections = kvRunners.length === 0 ? [] : [{
      heading: 'Runner tokens in Azure Key Vault',
      lines: [
        ...kvRunners.map(({ r, kv }) => `- \`${r.name}\`: secret \`${kv.secretName}\` in vault \`${kv.vaultName}\` (resource group ${kv.resourceGroup}). Its manager identity holds Key Vault Secrets User on that one secret; the SecretProviderClass \`${r.kubernetes!.namespace}/${r.kubernetes!.tokenSecret}\` syncs it into the Secret the chart reads.`),
        '- The vault must exist and use the Azure RBAC permission model; the cluster needs the add-on: `az aks enable-addons --addons azure-keyvault-secrets-provider --enable-secret-rotation` (a cluster created here has it). The driver syncs the Secret only while the manager pod mounts the class (the Helm values mount it) and refreshes it on its rotation poll (2 min by default).',
        '- Whoever runs `runner-fleet register` or `rotate` writes the secret: they need Key Vault Secrets Officer on it (or the vault), and a bearer token for https://vault.azure.net (`RUNNER_FLEET_KEYVAULT_TOKEN`, or az login / workload identity through DefaultAzureCredential), plus `--kube-api CLUSTER=URL` for the restart, which waits for the sync before it restarts the Deployment.',
        fleet.rotation?.azure
          ? `- \`terraform/gitlab\` never registers these runners (the Secret would have two writers). The scheduled rotation signs in as the managed identity \`${fleet.rotation.azure.identityName}\` (federated for \`${fleet.rotation.sub}\` only): Key Vault Secrets Officer on exactly these secrets, Azure Kubernetes Service Cluster User Role on the cluster (endpoint and CA), and in each runner namespace a Role that may only read the synced Secret and restart the manager Deployment, bound to the identity's principal id (\`terraform/azure-k8s/<cluster>\`). Set the CI/CD variable \`RUNNER_FLEET_ROTATOR_CLIENT_ID\` to \`terraform -chdir=terraform/azure output -raw rotator_client_id\` (or synthesize with --azure-outputs).`
          : '- `terraform/gitlab` never registers these runners (the Secret would have two writers); without `operations.rotation` no pipeline rotates them: rotate them with `runner-fleet rotate` where Azure credentials are.',
      ],
    }];
    if (roots.length === 0) return { steps, sections };
    return {
      steps,
      sections,
      kubernetesObjects: [
        'Runners on AKS: the service accounts carry the client id of their managed identity. Either let Terraform look the ids up by identity name:',
        '',
        '```sh',
        ...roots.flatMap((c) => [`terraform -chdir=${dirOf(k8sRootPath(c))} init`, `terraform -chdir=${dirOf(k8sRootPath(c))} apply -var kubeconfig_path="$HOME/.kube/config" -var kube_context=<context of cluster ${c}>`]),
        '```',
        '',
        'or, for GitOps, render plain manifests with the real ids and apply those instead (not both): `runner-fleet synth <spec> --out <dir> --azure-outputs azure-outputs.json`, then `kubectl apply -f kubernetes/<runner>/`.',
        '',
      ],
    };
  },

  roleOfSubject(docs, intent, cluster, subject) {
    return subject.kind === 'kubernetes' ? aksRoleOfServiceAccount(docs, intent, cluster, subject) : undefined;
  },

  rotatorAccess: aksRotatorAccess,

};

const dirOf = (path: string): string => path.slice(0, path.lastIndexOf('/'));
