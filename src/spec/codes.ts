import type { Severity } from './findings.js';

/**
 * The catalogue of finding codes. Codes are stable: tools and people match on them.
 * RF0xx: the spec cannot be read (exit 2). RF1xx identity, RF2xx cache, RF3xx jobs and runners,
 * RF4xx cluster access, RF5xx generated documents, RF6xx Azure (managed identities, federated
 * credentials, role assignments, Blob cache), RF7xx VM platforms (EC2, ECS Fargate, Auto Scaling),
 * RF8xx clusters runner-fleet creates (node groups, scheduling, control plane),
 * RF9xx existing deployments read by `runner-fleet doctor` (their files, and what they name).
 * `acceptable` rules may be accepted in the spec
 * (`acceptRisks`) with a reason, which turns their error into a warning; the others never can.
 */
export interface CodeInfo {
  severity: Severity;
  title: string;
  acceptable: boolean;
}

export const CODES = {
  RF001: { severity: 'error', title: 'the file is not valid YAML or JSON', acceptable: false },
  RF002: { severity: 'error', title: 'a value has the wrong type or is not one of the allowed values', acceptable: false },
  RF003: { severity: 'error', title: 'unknown key', acceptable: false },
  RF004: { severity: 'error', title: 'a required key is missing', acceptable: false },
  RF005: { severity: 'error', title: 'two entries have the same name', acceptable: false },
  RF006: { severity: 'error', title: 'a reference names nothing in the spec', acceptable: false },
  RF007: { severity: 'error', title: 'a value has the wrong format', acceptable: false },
  RF008: { severity: 'error', title: 'a name is too long or two derived names collide', acceptable: false },
  RF009: { severity: 'error', title: 'unsupported apiVersion or kind', acceptable: false },
  RF010: { severity: 'error', title: 'values that must agree do not', acceptable: false },
  RF011: { severity: 'error', title: 'the output directory cannot be written', acceptable: false },

  RF101: { severity: 'error', title: 'a web-identity trust policy does not pin the audience', acceptable: false },
  RF102: { severity: 'error', title: 'a trust policy matches subjects by wildcard', acceptable: false },
  RF103: { severity: 'error', title: 'a role can be assumed by a service account it was not made for', acceptable: false },
  RF104: { severity: 'error', title: 'the intended service account cannot assume its role', acceptable: false },
  RF105: { severity: 'error', title: 'the job identity is the manager identity', acceptable: false },
  RF106: { severity: 'error', title: 'a reference between generated documents does not resolve', acceptable: false },
  RF107: { severity: 'warning', title: 'jobs may choose their own service account', acceptable: true },
  RF108: { severity: 'error', title: 'a web-identity trust accepts tokens from another issuer, or its issuer does not come from its cluster', acceptable: false },
  RF110: { severity: 'error', title: 'a deploy target role can be assumed by a principal other than its runner\'s job role', acceptable: false },
  RF111: { severity: 'error', title: 'the job role cannot assume its deploy target role', acceptable: false },
  RF112: { severity: 'error', title: 'a deploy target role can be assumed without its External ID', acceptable: false },
  RF113: { severity: 'error', title: 'a deploy target role is not explicitly denied every delete-like action of the services it grants', acceptable: false },
  RF114: { severity: 'error', title: 'a job role can assume roles other than its deploy targets', acceptable: false },
  RF115: { severity: 'error', title: 'a job role may assume any role (sts:AssumeRole on *)', acceptable: false },
  RF116: { severity: 'warning', title: 'a cross-account trust demands no External ID and pins no organization or account', acceptable: false },
  RF120: { severity: 'error', title: 'a GitLab ID-token role refuses the project and ref it was made for', acceptable: false },
  RF121: { severity: 'error', title: 'a GitLab ID-token role accepts a token of another project, ref, ref type, audience or issuer', acceptable: false },
  RF122: { severity: 'warning', title: 'a GitLab ID-token sub pattern admits every project of a group or every ref', acceptable: false },
  RF123: { severity: 'error', title: 'a trust conditions on an OIDC claim IAM does not evaluate', acceptable: false },
  RF124: { severity: 'warning', title: 'runners registered through the API have no scheduled token rotation (operations.rotation)', acceptable: false },
  RF125: { severity: 'error', title: 'the token rotator identity admits more than the one project and branch of the rotation schedule', acceptable: false },
  RF126: { severity: 'error', title: 'the token rotator identity may do more than rotate its fleet\'s tokens and restart its managers', acceptable: false },
  RF127: { severity: 'error', title: 'the token rotator identity cannot read, write or tag a token it rotates, or restart its manager', acceptable: false },
  RF128: { severity: 'error', title: 'the token rotator cannot be given a Kubernetes identity on the cluster of an API-registered runner', acceptable: false },
  RF129: { severity: 'error', title: 'the token rotator\'s Kubernetes RBAC grants more than rotate needs on its runners\' Secrets and Deployments', acceptable: false },
  RF134: { severity: 'error', title: 'the token rotator\'s cluster access entry carries an access policy, a Kubernetes group or another username', acceptable: false },
  // Issue 12d: the token rotator on AKS (a managed identity, Key Vault and Kubernetes RBAC).
  RF132: { severity: 'error', title: 'the token rotator\'s managed identity holds an Azure role beyond Key Vault Secrets Officer on its token secrets and cluster user access to its clusters', acceptable: false },
  RF133: { severity: 'error', title: 'the token rotator\'s managed identity is not the Kubernetes user its RoleBindings name, or is bound to a group or ClusterRole on AKS', acceptable: false },
  // Key Vault token stores (issue 12b)
  RF130: { severity: 'error', title: 'a Key Vault token store is set on a runner that is not on AKS', acceptable: false },
  RF131: { severity: 'error', title: 'a runner with a Key Vault token store is registered by terraform/gitlab, which writes the same Secret', acceptable: false },

  RF201: { severity: 'error', title: 'the runner manager cannot read and write its cache prefix', acceptable: false },
  RF202: { severity: 'error', title: 'the runner manager can reach cache objects outside its prefix', acceptable: false },
  RF203: { severity: 'error', title: 'job identities can reach the cache bucket directly', acceptable: true },
  RF204: { severity: 'error', title: 'the cache is not encrypted at rest', acceptable: true },
  RF205: { severity: 'error', title: 'the cache accepts requests without TLS', acceptable: true },
  RF206: { severity: 'warning', title: 'cache objects never expire', acceptable: true },
  RF207: { severity: 'error', title: 'the cache bucket does not block public access', acceptable: false },
  RF208: { severity: 'info', title: 'the cache bucket exists outside this fleet, so its settings are not verified here', acceptable: false },
  RF209: { severity: 'error', title: 'the cache bucket accepts object requests from outside its VPC endpoints', acceptable: false },

  RF301: { severity: 'error', title: 'jobs run privileged', acceptable: true },
  RF302: { severity: 'error', title: 'jobs are granted every action on every resource', acceptable: true },
  RF303: { severity: 'error', title: 'a runner whose jobs hold a powerful identity is not locked and protected-only', acceptable: false },
  RF304: { severity: 'error', title: 'a static credential appears in generated output', acceptable: false },
  RF305: { severity: 'warning', title: 'the runner has no tags and does not run untagged jobs, so it never picks up a job', acceptable: true },
  RF306: { severity: 'warning', title: 'jobs hold a powerful identity', acceptable: true },
  RF307: { severity: 'error', title: 'a runner namespace does not enforce Pod Security baseline', acceptable: false },
  RF308: { severity: 'error', title: 'the runner manager pod does not meet Pod Security restricted', acceptable: false },

  RF401: { severity: 'warning', title: 'cluster access through the aws-auth ConfigMap, which AWS deprecates', acceptable: true },
  RF402: { severity: 'info', title: 'an operator is granted cluster-admin on the whole cluster', acceptable: true },

  RF601: { severity: 'error', title: 'a job identity administers a subscription but the runner is not locked and protected-only', acceptable: false },
  RF602: { severity: 'warning', title: 'a job identity administers a subscription', acceptable: true },
  RF603: { severity: 'error', title: 'a federated credential does not match exactly one service account of the fleet', acceptable: false },
  RF604: { severity: 'error', title: 'a federated credential does not pin the audience api://AzureADTokenExchange', acceptable: false },
  RF605: { severity: 'error', title: "a service account does not carry its managed identity's client id", acceptable: false },
  RF606: { severity: 'error', title: 'the runner manager identity reaches more than its cache container', acceptable: false },
  RF607: { severity: 'error', title: 'the runner manager identity cannot sign cache URLs for its container', acceptable: false },
  RF608: { severity: 'error', title: 'a job identity can reach the cache container directly', acceptable: true },
  RF609: { severity: 'info', title: 'plain service account manifests need the client ids of applied identities', acceptable: false },
  RF610: { severity: 'error', title: 'the Azure outputs file cannot be used', acceptable: false },
  RF611: { severity: 'error', title: 'the cache storage account allows public blobs, plain HTTP, old TLS or shared keys', acceptable: false },
  RF612: { severity: 'warning', title: 'cache blobs never expire', acceptable: true },
  RF613: { severity: 'error', title: 'generated Terraform uses a resource, argument or reference its provider does not document', acceptable: false },
  RF614: { severity: 'warning', title: 'the cache storage account is reachable from every network', acceptable: true },
  RF615: { severity: 'warning', title: 'the runner manager holds Storage Blob Data Owner or a custom role with * where Storage Blob Data Contributor suffices', acceptable: true },
  RF701: { severity: 'error', title: 'a runner setting does not apply to its platform', acceptable: false },
  RF702: { severity: 'error', title: 'VM settings that must agree do not', acceptable: false },
  RF710: { severity: 'error', title: 'a security group admits traffic from the internet', acceptable: false },
  RF711: { severity: 'error', title: 'an instance can be started without IMDSv2 required', acceptable: false },
  RF712: { severity: 'error', title: 'the runner token (or another secret) is in user data, a parameter value or an output', acceptable: false },
  RF713: { severity: 'error', title: "job containers can reach the instance's credentials, which are the manager's", acceptable: true },
  RF714: { severity: 'error', title: 'the manager may act on compute outside its own group, cluster or task definition', acceptable: false },
  RF715: { severity: 'error', title: 'a root volume is not encrypted', acceptable: false },
  RF716: { severity: 'error', title: 'worker or task SSH is open to something other than the manager', acceptable: false },
  RF717: { severity: 'error', title: 'a role of the fleet can push to or delete from the Fargate job-image repository', acceptable: true },
  RF718: { severity: 'error', title: 'a security group rule has no description', acceptable: false },
  RF719: { severity: 'error', title: 'the Fargate job image can change under the task definition (mutable tags or an unpinned image)', acceptable: false },
  RF720: { severity: 'error', title: 'manager user data runs a download it did not verify, or does not stop on a failed step', acceptable: false },

  RF901: { severity: 'error', title: 'a file cannot be parsed', acceptable: false },
  RF902: { severity: 'info', title: 'a file was skipped', acceptable: false },
  RF903: { severity: 'info', title: 'a document a reference needs is not in the evidence given', acceptable: false },
  RF904: { severity: 'error', title: 'a reference names a service account, role or binding that does not exist', acceptable: false },
  RF905: { severity: 'error', title: 'the runner manager and its jobs share one service account', acceptable: false },
  RF906: { severity: 'warning', title: 'a Terraform value is not statically known, so what depends on it is not proven', acceptable: false },
  RF907: { severity: 'error', title: 'the runner manager may do anything to anything in the cluster (RBAC * on *)', acceptable: false },
  RF908: { severity: 'error', title: 'the aws-auth ConfigMap maps an IAM principal to system:masters', acceptable: false },
  RF909: { severity: 'error', title: 'a role trusts another AWS account without requiring sts:ExternalId', acceptable: false },
  RF910: { severity: 'info', title: 'no runner manager was found in the evidence given', acceptable: false },
  RF911: { severity: 'warning', title: 'a runner party has no cloud identity of its own, so it gets the node role', acceptable: false },
  RF912: { severity: 'warning', title: 'a runner registration token (deprecated registration flow) is configured', acceptable: false },
  RF913: { severity: 'error', title: 'a Terraform reference names nothing (no such local, variable, resource, data source, instance or attribute)', acceptable: false },
  // doctor --aws (live read-only reads)
  RF920: { severity: 'info', title: 'a live AWS read was refused: the doctor lacks a read permission', acceptable: false },
  RF921: { severity: 'warning', title: 'a live AWS read failed, so what depends on it is not proven', acceptable: false },
  RF922: { severity: 'error', title: 'an EKS access entry gives a runner role administration of the cluster', acceptable: false },
  RF923: { severity: 'error', title: 'a trust policy names an OIDC provider that does not exist in the account', acceptable: false },
  RF924: { severity: 'error', title: 'the OIDC provider does not accept the audience the trust policy pins', acceptable: false },
  RF930: { severity: 'error', title: "a federated credential trusts an issuer that is not its AKS cluster's", acceptable: false },
  RF931: { severity: 'error', title: 'a service account names a managed identity that has no federated credential for it', acceptable: false },
  RF940: { severity: 'error', title: 'a static cloud credential or a GitLab token is written in a file', acceptable: false },
  RF941: { severity: 'error', title: 'a Kubernetes Secret holds a static cloud credential where a keyless identity would do', acceptable: false },
  RF950: { severity: 'error', title: 'a GitLab ID-token role trusts its OIDC provider without any condition on sub', acceptable: false },
  RF801: { severity: 'error', title: "a runner's job pods fit no node group of their cluster", acceptable: false },
  RF802: { severity: 'error', title: "a runner's manager pod fits no node group of its cluster", acceptable: false },
  RF803: { severity: 'warning', title: 'a runner manager fits only spot node groups', acceptable: true },
  RF804: { severity: 'error', title: "pods can reach the node's role through instance metadata (IMDSv2 not required, or hop limit above 1)", acceptable: false },
  RF805: { severity: 'warning', title: 'the cluster API endpoint is reachable from the whole internet', acceptable: true },
  RF806: { severity: 'error', title: 'a created cluster leaves Secrets unencrypted, grants its creator admin, or lets local accounts in', acceptable: false },
} as const satisfies Record<string, CodeInfo>;

export type Code = keyof typeof CODES;

export const ACCEPTABLE_CODES = (Object.keys(CODES) as Code[]).filter((c) => CODES[c].acceptable);
