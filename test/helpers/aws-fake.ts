import { AwsReadError, type AwsReadOperation, type AwsReadPort } from '../../src/doctor/aws-port.js';
import type { InputFile } from '../../src/doctor/index.js';
import { deploymentFiles, type Deployment } from './doctor.js';

/**
 * A fake of the AWS read API for the doctor, answering in the response shapes of the API
 * references (field names and nesting as documented; IAM policy documents URL-encoded as IAM
 * returns them), and paginating one item per page so every loop is exercised:
 * - IAM GetRole, ListRolePolicies, GetRolePolicy, ListAttachedRolePolicies, GetPolicy, GetPolicyVersion,
 *   GetOpenIDConnectProvider: https://docs.aws.amazon.com/IAM/latest/APIReference/ (API_GetRole.html, …)
 * - EKS ListPodIdentityAssociations (associations[]: clusterName, namespace, serviceAccount,
 *   associationArn, associationId, ownerArn; nextToken), DescribePodIdentityAssociation
 *   (association: … roleArn …), ListAccessEntries (accessEntries: principal ARNs; nextToken),
 *   ListAssociatedAccessPolicies (clusterName, principalArn, associatedAccessPolicies[]: policyArn,
 *   accessScope {type, namespaces}, associatedAt, modifiedAt; nextToken):
 *   https://docs.aws.amazon.com/eks/latest/APIReference/ (API_ListPodIdentityAssociations.html, …)
 * moto_server implements the IAM calls (test/doctor-aws.test.ts runs them there too) but not the
 * EKS ones, which is why this fake exists.
 */
export interface FakeAws {
  account: string;
  roles: Map<string, { trust: unknown; inline: Record<string, unknown>; attached: string[] }>;
  policies: Map<string, unknown>;
  oidcProviders: Map<string, { url: string; clientIds: string[] }>;
  clusters: Map<string, { associations: { namespace: string; serviceAccount: string; roleArn: string; disableSessionTags?: boolean }[]; accessEntries: Map<string, { policyArn: string; accessScope: { type: string; namespaces?: string[] } }[]> }>;
  /** Operations that answer AccessDenied (as IAM and EKS do) or fail otherwise. */
  denied: Set<AwsReadOperation>;
  failing: Set<AwsReadOperation>;
  calls: AwsReadOperation[];
}

export function fakeAws(account: string): FakeAws & AwsReadPort {
  const state: FakeAws = { account, roles: new Map(), policies: new Map(), oidcProviders: new Map(), clusters: new Map(), denied: new Set(), failing: new Set(), calls: [] };
  const enc = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
  const page = <T>(items: T[], token: unknown): { items: T[]; next?: string } => {
    const i = typeof token === 'string' ? Number(token) : 0;
    return { items: items.slice(i, i + 1), ...(i + 1 < items.length ? { next: String(i + 1) } : {}) };
  };
  const iamPage = <T>(key: string, items: T[], input: Record<string, unknown>) => {
    const p = page(items, input.Marker);
    return { [key]: p.items, IsTruncated: p.next !== undefined, ...(p.next ? { Marker: p.next } : {}) };
  };
  const eksPage = <T>(key: string, items: T[], input: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const p = page(items, input.nextToken);
    return { ...extra, [key]: p.items, ...(p.next ? { nextToken: p.next } : {}) };
  };
  const role = (input: Record<string, unknown>) => {
    const r = state.roles.get(String(input.RoleName));
    if (!r) throw new AwsReadError('GetRole', 'not-found', 'NoSuchEntity');
    return r;
  };
  const cluster = (op: AwsReadOperation, input: Record<string, unknown>) => {
    const c = state.clusters.get(String(input.clusterName));
    if (!c) throw new AwsReadError(op, 'not-found', 'ResourceNotFoundException');
    return c;
  };
  const answer = (op: AwsReadOperation, input: Record<string, unknown>): Record<string, unknown> => {
    switch (op) {
      case 'GetRole': {
        const r = role(input);
        return { Role: { Path: '/', RoleName: input.RoleName, RoleId: 'AROAEXAMPLE', Arn: `arn:aws:iam::${account}:role/${String(input.RoleName)}`, CreateDate: new Date(0), AssumeRolePolicyDocument: enc(r.trust), MaxSessionDuration: 3600 } };
      }
      case 'ListRolePolicies':
        return iamPage('PolicyNames', Object.keys(role(input).inline), input);
      case 'GetRolePolicy': {
        const doc = role(input).inline[String(input.PolicyName)];
        if (!doc) throw new AwsReadError(op, 'not-found', 'NoSuchEntity');
        return { RoleName: input.RoleName, PolicyName: input.PolicyName, PolicyDocument: enc(doc) };
      }
      case 'ListAttachedRolePolicies':
        return iamPage('AttachedPolicies', role(input).attached.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn })), input);
      case 'GetPolicy':
        if (!state.policies.has(String(input.PolicyArn))) throw new AwsReadError(op, 'not-found', 'NoSuchEntity');
        return { Policy: { PolicyName: String(input.PolicyArn).split('/').pop(), Arn: input.PolicyArn, DefaultVersionId: 'v3', AttachmentCount: 1 } };
      case 'GetPolicyVersion':
        return { PolicyVersion: { Document: enc(state.policies.get(String(input.PolicyArn))), VersionId: input.VersionId, IsDefaultVersion: true } };
      case 'GetOpenIDConnectProvider': {
        const p = state.oidcProviders.get(String(input.OpenIDConnectProviderArn));
        if (!p) throw new AwsReadError(op, 'not-found', 'NoSuchEntity');
        return { Url: p.url, ClientIDList: p.clientIds, ThumbprintList: [], CreateDate: new Date(0) };
      }
      case 'ListPodIdentityAssociations': {
        const c = cluster(op, input);
        return eksPage('associations', c.associations.map((a, i) => ({ clusterName: input.clusterName, namespace: a.namespace, serviceAccount: a.serviceAccount, associationArn: `arn:aws:eks:eu-west-1:${account}:podidentityassociation/${String(input.clusterName)}/a-${i}`, associationId: `a-${i}`, ownerArn: undefined })), input);
      }
      case 'DescribePodIdentityAssociation': {
        const c = cluster(op, input);
        const i = Number(String(input.associationId).slice(2));
        const a = c.associations[i];
        if (!a) throw new AwsReadError(op, 'not-found', 'ResourceNotFoundException');
        return { association: { clusterName: input.clusterName, namespace: a.namespace, serviceAccount: a.serviceAccount, roleArn: a.roleArn, associationArn: `arn:aws:eks:eu-west-1:${account}:podidentityassociation/${String(input.clusterName)}/a-${i}`, associationId: input.associationId, tags: {}, createdAt: new Date(0), modifiedAt: new Date(0), disableSessionTags: a.disableSessionTags ?? false } };
      }
      case 'ListAccessEntries':
        return eksPage('accessEntries', [...cluster(op, input).accessEntries.keys()], input);
      case 'ListAssociatedAccessPolicies': {
        const c = cluster(op, input);
        const list = c.accessEntries.get(String(input.principalArn)) ?? [];
        return eksPage('associatedAccessPolicies', list.map((p) => ({ ...p, associatedAt: new Date(0), modifiedAt: new Date(0) })), input, { clusterName: input.clusterName, principalArn: input.principalArn });
      }
    }
  };
  return Object.assign(state, {
    read(op: AwsReadOperation, input: Record<string, unknown>) {
      state.calls.push(op);
      if (state.denied.has(op)) return Promise.reject(new AwsReadError(op, 'denied', /PodIdentity|AccessEntries|AccessPolicies/.test(op) ? 'AccessDeniedException' : 'AccessDenied'));
      if (state.failing.has(op)) return Promise.reject(new AwsReadError(op, 'failed', 'ServiceUnavailable', 'the service is unavailable'));
      try {
        return Promise.resolve(answer(op, input));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
  });
}

// The base deployment of test/helpers/doctor.ts: account, issuer and the roles it names.
export const ACCOUNT = '111122223333';
export const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E';
export const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;
export const JOBS_POLICY = `arn:aws:iam::${ACCOUNT}:policy/gitlab-runner-jobs-ecr`;

/** The deployment's IAM documents moved from files into the (fake) account: inline for the manager, a managed policy for the jobs. */
export function accountOf(d: Deployment, port = fakeAws(ACCOUNT)) {
  for (const role of ['gitlab-runner-manager', 'gitlab-runner-jobs']) {
    const trust = d.policies[`${role}.trust.json`];
    const policy = d.policies[`${role}.policy.json`];
    if (trust === undefined) continue;
    if (role === 'gitlab-runner-jobs' && policy !== undefined) {
      port.policies.set(JOBS_POLICY, policy);
      port.roles.set(role, { trust, inline: {}, attached: [JOBS_POLICY] });
    } else {
      // Each statement its own inline policy: several policies, several pages.
      const statements = policy === undefined ? [] : ([] as unknown[]).concat((policy as { Statement: unknown }).Statement);
      port.roles.set(role, { trust, inline: Object.fromEntries(statements.map((st, i) => [`inline-${i}`, { Version: '2012-10-17', Statement: [st] }])), attached: [] });
    }
  }
  port.oidcProviders.set(PROVIDER, { url: ISSUER, clientIds: ['sts.amazonaws.com'] });
  return port;
}

/** The files without the IAM documents of the roles the account holds. */
export const withoutIam = (d: Deployment): InputFile[] => deploymentFiles(d).filter((f) => !/\/iam\/gitlab-runner-(manager|jobs)\./.test(f.path));

/** Codes of `doctor --aws` whose failing and passing cases are in test/doctor-aws.test.ts. */
export const AWS_DOCTOR_TESTED = ['RF920', 'RF921', 'RF922', 'RF923', 'RF924'];
