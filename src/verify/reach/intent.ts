import type { ResolvedFleet, RotatorAzure, RotatorKubernetes } from '../../model/types.js';
import { eksClusterArn } from '../../platforms/eks/rotator.js';
import type { TerraformRoot } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import { externalIdExpression } from '../../emit/terraform/reach.js';
import { terraformSymbols } from './roles.js';
import { apiTokenStores } from '../../ops/desired.js';
import { ssmParameterArn } from '../../spec/resolve-operations.js';
import { findBy } from '../../model/lookup.js';
import { audienceOf, type RunnerAudienceSettings } from '../runner-audience.js';

/**
 * What the reach proofs need to know that documents cannot tell: who *should* be able to do
 * what. Small, explicit and free of the spec, so an importer can infer it from hand-written
 * documents as well (doctor); the documents themselves are passed next to it.
 */
export interface CrossAccountIntent {
  partition: string;
  /** The fleet's own account: where job roles live. */
  ciAccount: string;
  targets: {
    /** Where findings point (spec path or file). */
    path: string;
    /** Proof owner: the runner whose jobs use the target. */
    runner: string;
    name: string;
    accountId: string;
    /** The target root's region (its ARNs' region): the account-wide power probes ask there. Undefined: us-east-1 (doctor, none stated). */
    region?: string;
    roleName: string;
    roleArn: string;
    jobRoleArn: string;
    jobRoleName: string;
    /** The job role's account where it is not `ciAccount` (a runner of a root in another account, doctor). */
    jobAccount?: string;
    /** The External ID the trust must demand, as the symbol both ends carry (a Terraform expression). */
    externalId?: string;
    /** The organization the job role's account belongs to, when the trust pins it. */
    principalOrgId?: string;
    denyDeletes: boolean;
    /** The runner's own settings: a runner whose jobs reach other accounts should be locked and take protected refs only. */
    runnerGitlab: RunnerAudienceSettings & { path: string; unknown?: string };
  }[];
  /** Every AWS role of the fleet (managers, jobs, ID-token roles): each must be refused by targets it is not meant for. */
  fleetRoles: { name: string; arn: string }[];
  /** Every job role in the CI account, for the rule on sts:AssumeRole on any role. */
  jobRoles: { path: string; runner: string; name: string; arn: string }[];
}

export interface IdTokenIntent {
  partition: string;
  roles: {
    path: string;
    name: string;
    cloud: 'aws' | 'azure';
    /** IAM role name, or managed identity name. */
    roleName: string;
    issuer: string;
    providerArn?: string;
    audience: string;
    /**
     * Who should get the role: a project, or every project under a group (`group/*`). `prefix`
     * (read back by the doctor only): the trust's project_path pattern has no group part before its
     * first wildcard, so it admits every project whose path starts with `prefix`, in any group
     * (`acme*` admits `acme-evil/x`; `*` and '' every project of the instance).
     */
    subjects: { project?: string; group?: string; prefix?: string; refType: 'branch' | 'tag'; refs: string[]; anyRef: boolean }[];
    /** The token rotator (operations.rotation): one sub only, and only what rotation needs. */
    rotator?: RotatorIntent;
    /** The token rotator's managed identity (AKS runners): one sub, exactly its Azure grants, its Kubernetes user. */
    azureRotator?: RotatorAzureIntent;
    /**
     * The role assignments the spec lists for it (`permissions.azure`, a generated fleet only): findings about
     * an assignment point at its entry. Undefined when read back from documents, or for the rotator.
     */
    azurePermissions?: readonly { role: string; scope: string }[];
    /**
     * The doctor only, several Azure deployments given together: the Azure root of the identity's own
     * deployment (another may have an identity of the same name). Undefined: `terraform/azure`.
     */
    azureRoot?: TerraformRoot;
  }[];
}

export type IdTokenRoleIntent = IdTokenIntent['roles'][number];

export interface RotatorAzureIntent {
  sub: string;
  /** Key Vault secrets (`<vault id>/secrets/<name>`) it must hold Key Vault Secrets Officer on, and nothing wider. */
  secretScopes: string[];
  /** AKS cluster resource ids (or their Terraform symbol) it must hold Azure Kubernetes Service Cluster User Role on. */
  clusterIds: string[];
  kubernetes?: RotatorKubeIntent;
}

export interface RotatorIntent {
  /** The one sub the trust may admit. */
  sub: string;
  /** Token parameters it must reach (ARNs), and the Auto Scaling groups of the managers it restarts. */
  parameters: { arn: string; region: string; kmsKeyArn?: string }[];
  managerGroups: string[];
  accountId: string;
  /** Kubernetes Secret stores: the user the rotator maps to, the clusters it reaches, the objects it may touch. */
  kubernetes?: RotatorKubeIntent;
}

export interface RotatorKubeIntent {
  /** How the cloud identity becomes that user: an EKS access entry (proven too), or AKS Entra ID (the principal id is the user name). */
  mapping?: 'eks-access-entry' | 'aks-entra-id';
  /** The Kubernetes user name of the rotator role (access entry username, RoleBinding subject). */
  username: string;
  /** Clusters: entry name, name in EKS (the access entry's cluster_name) and ARN (eks:DescribeCluster). */
  clusters: { cluster: string; apiName: string; arn: string }[];
  /** Per runner: namespace, token Secret and manager Deployment rotate touches. */
  targets: { runner: string; cluster: string; namespace: string; secret: string; deployment: string; secretVerbs?: string[] }[];
}

/** The documents the reach proofs read. */
export interface ReachDocuments {
  /** `terraform/aws/main.tf.json` */
  ciRoot?: TerraformRoot;
  /** `terraform/aws-<account>/main.tf.json` by account id. */
  accountRoots: ReadonlyMap<string, TerraformRoot>;
  /** `terraform/azure/main.tf.json` */
  azureRoot?: TerraformRoot;
}

export function reachDocuments(docs: FleetDocuments): ReachDocuments {
  return {
    ...(docs.terraformAws ? { ciRoot: docs.terraformAws } : {}),
    accountRoots: docs.terraformAwsAccounts ?? new Map(),
    ...(docs.terraformAzure ? { azureRoot: docs.terraformAzure } : {}),
  };
}

/** The intent of a generated fleet, from its resolved names. */
export function crossAccountIntent(fleet: ResolvedFleet): CrossAccountIntent | undefined {
  if (!fleet.aws) return undefined;
  const targets = fleet.reach?.targets ?? [];
  const jobRoles = fleet.runners.flatMap((r) => {
    const id = r.jobIdentity === undefined ? undefined : findBy(fleet.identities, 'key', r.jobIdentity);
    return id?.cloud === 'aws' ? [{ path: `runners[${r.index}].jobs.permissions.aws`, runner: r.name, name: id.roleName, arn: id.arn }] : [];
  });
  const fleetRoles = [
    ...fleet.identities.flatMap((i) => (i.cloud === 'aws' ? [{ name: i.roleName, arn: i.arn }] : [])),
    ...(fleet.reach?.idTokens?.roles ?? []).flatMap((r) => (r.cloud === 'aws' ? [{ name: r.roleName, arn: r.ref }] : [])),
  ];
  return {
    partition: fleet.aws.partition,
    ciAccount: fleet.aws.accountId,
    targets: targets.map((t) => {
      const ext = externalIdExpression(t);
      return {
        path: t.path,
        runner: t.runner,
        name: t.name,
        accountId: t.accountId,
        region: t.region,
        roleName: t.roleName,
        roleArn: t.arn,
        jobRoleArn: t.jobRoleArn,
        jobRoleName: t.jobRoleName,
        ...(ext ? { externalId: terraformSymbols(ext) } : {}),
        ...(t.principalOrgId ? { principalOrgId: t.principalOrgId } : {}),
        denyDeletes: t.denyDeletes,
        runnerGitlab: (() => {
          const r = findBy(fleet.runners, 'name', t.runner)!;
          return { path: `runners[${r.index}].gitlab`, ...audienceOf(r.spec.gitlab) };
        })(),
      };
    }),
    fleetRoles,
    jobRoles,
  };
}

export function idTokenIntent(fleet: ResolvedFleet): IdTokenIntent | undefined {
  const it = fleet.reach?.idTokens;
  if (!it) return undefined;
  return {
    partition: fleet.aws?.partition ?? 'aws',
    roles: it.roles.map((r) => ({
      path: r.path,
      name: r.name,
      cloud: r.cloud,
      roleName: r.roleName,
      issuer: r.issuer,
      ...(r.providerArn ? { providerArn: r.providerArn } : {}),
      audience: r.audience,
      subjects: r.subjects.map((s) => ({ ...(s.project ? { project: s.project } : {}), ...(s.group ? { group: s.group } : {}), refType: s.refType, refs: s.refs, anyRef: s.anyRef })),
      ...(r.purpose === 'rotator' && r.cloud === 'aws' && fleet.rotation && fleet.aws ? { rotator: rotatorIntent(fleet) } : {}),
      ...(r.purpose === 'rotator' && r.cloud === 'azure' && fleet.rotation?.azure ? { azureRotator: rotatorAzureIntent(fleet.rotation.sub, fleet.rotation.azure) } : {}),
      ...(r.purpose !== 'rotator' && r.cloud === 'azure' ? { azurePermissions: r.roleAssignments.map((a) => ({ role: a.role, scope: a.scope })) } : {}),
    })),
  };
}

function rotatorIntent(fleet: ResolvedFleet): RotatorIntent {
  const aws = fleet.aws!;
  const stores = apiTokenStores(fleet).flatMap((d) => (d.store.kind === 'ssm-parameter' ? [d.store] : []));
  return {
    sub: fleet.rotation!.sub,
    parameters: stores.map((s) => ({ arn: ssmParameterArn(aws.partition, aws.accountId, s), region: s.region, ...(s.kmsKeyArn !== undefined ? { kmsKeyArn: s.kmsKeyArn } : {}) })),
    managerGroups: stores.map((s) => s.autoScalingGroup),
    accountId: aws.accountId,
    ...(fleet.rotation!.kubernetes ? { kubernetes: rotatorKubeIntent(fleet, fleet.rotation!.kubernetes) } : {}),
  };
}

function rotatorAzureIntent(sub: string, azure: RotatorAzure): RotatorAzureIntent {
  const kube = azure.kubernetes;
  return {
    sub,
    secretScopes: [...azure.secretScopes],
    clusterIds: [...azure.clusterIds],
    ...(kube
      ? {
          kubernetes: {
            mapping: 'aks-entra-id' as const,
            username: kube.username,
            clusters: kube.clusters.map((c, i) => ({ cluster: c.cluster, apiName: c.kubeApi.replace(/^aks:/, ''), arn: azure.clusterIds[i] ?? '' })),
            targets: kube.targets.map(({ runner, cluster, namespace, secret, deployment, secretVerbs }) => ({ runner, cluster, namespace, secret, deployment, secretVerbs: [...secretVerbs] })),
          },
        }
      : {}),
  };
}

function rotatorKubeIntent(fleet: ResolvedFleet, kube: RotatorKubernetes): RotatorKubeIntent {
  const aws = fleet.aws!;
  return {
    username: kube.username,
    clusters: kube.clusters.map(({ cluster: name }) => {
      const cluster = fleet.clusters.find((c) => c.name === name)!;
      const apiName = (cluster.spec.clusterName as string | undefined) ?? cluster.name;
      const region = (cluster.spec.region as string | undefined) ?? aws.region;
      return { cluster: name, apiName, arn: eksClusterArn(aws.partition, aws.accountId, region, apiName) };
    }),
    mapping: 'eks-access-entry',
    targets: kube.targets.map(({ runner, cluster, namespace, secret, deployment }) => ({ runner, cluster, namespace, secret, deployment })),
  };
}
