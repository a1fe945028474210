import type { ResolvedFleet, RotatorKubernetes } from '../../model/types.js';
import { eksClusterArn } from '../../platforms/eks/rotator.js';
import type { TerraformRoot } from '../../emit/artifacts.js';
import type { FleetDocuments } from '../../emit/types.js';
import { externalIdExpression } from '../../emit/terraform/reach.js';
import { terraformSymbols } from './roles.js';
import { desiredRunners } from '../../ops/desired.js';
import { ssmParameterArn } from '../../spec/resolve-operations.js';
import { findBy } from '../../model/lookup.js';

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
    roleName: string;
    roleArn: string;
    jobRoleArn: string;
    jobRoleName: string;
    /** The External ID the trust must demand, as the symbol both ends carry (a Terraform expression). */
    externalId?: string;
    /** The organization the job role's account belongs to, when the trust pins it. */
    principalOrgId?: string;
    denyDeletes: boolean;
    /** The runner's own settings: a runner whose jobs reach other accounts should be locked and take protected refs only. */
    runnerGitlab: { path: string; locked: boolean; protectedOnly: boolean };
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
    subjects: { project?: string; group?: string; refType: 'branch' | 'tag'; refs: string[]; anyRef: boolean }[];
    /** The token rotator (operations.rotation): one sub only, and only what rotation needs. */
    rotator?: RotatorIntent;
  }[];
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
  /** The Kubernetes user name of the rotator role (access entry username, RoleBinding subject). */
  username: string;
  /** Clusters: entry name, name in EKS (the access entry's cluster_name) and ARN (eks:DescribeCluster). */
  clusters: { cluster: string; apiName: string; arn: string }[];
  /** Per runner: namespace, token Secret and manager Deployment rotate touches. */
  targets: { runner: string; cluster: string; namespace: string; secret: string; deployment: string }[];
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
        roleName: t.roleName,
        roleArn: t.arn,
        jobRoleArn: t.jobRoleArn,
        jobRoleName: t.jobRoleName,
        ...(ext ? { externalId: terraformSymbols(ext) } : {}),
        ...(t.principalOrgId ? { principalOrgId: t.principalOrgId } : {}),
        denyDeletes: t.denyDeletes,
        runnerGitlab: (() => {
          const r = findBy(fleet.runners, 'name', t.runner)!;
          return { path: `runners[${r.index}].gitlab`, locked: r.spec.gitlab.locked, protectedOnly: r.spec.gitlab.protectedOnly };
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
      ...(r.purpose === 'rotator' && fleet.rotation && fleet.aws ? { rotator: rotatorIntent(fleet) } : {}),
    })),
  };
}

function rotatorIntent(fleet: ResolvedFleet): RotatorIntent {
  const aws = fleet.aws!;
  const stores = desiredRunners(fleet).flatMap((d) => (d.registration === 'api' && d.store.kind === 'ssm-parameter' ? [d.store] : []));
  return {
    sub: fleet.rotation!.sub,
    parameters: stores.map((s) => ({ arn: ssmParameterArn(aws.partition, aws.accountId, s), region: s.region, ...(s.kmsKeyArn !== undefined ? { kmsKeyArn: s.kmsKeyArn } : {}) })),
    managerGroups: stores.map((s) => s.autoScalingGroup),
    accountId: aws.accountId,
    ...(fleet.rotation!.kubernetes ? { kubernetes: rotatorKubeIntent(fleet, fleet.rotation!.kubernetes) } : {}),
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
    targets: kube.targets.map(({ runner, cluster, namespace, secret, deployment }) => ({ runner, cluster, namespace, secret, deployment })),
  };
}
