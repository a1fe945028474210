import { describe, expect, it } from 'vitest';
import { fleetSchema } from '../src/spec/fleet.js';
import { resolveFleet } from '../src/spec/resolve.js';
import { emitFleet } from '../src/emit/index.js';
import { awsFacts, policyOfText, roleArn, roleRequest, type RoleFacts } from '../src/verify/aws-docs.js';
import {
  compilePolicy,
  decisionOverTags,
  decisionOverTagsFor,
  evaluate,
  evaluateFor,
  evaluatePolicies,
  evaluatePoliciesFor,
  matchesOverTags,
  matchesOverTagsFor,
  prepareRequest,
  type CompiledPolicy,
  type PolicySet,
  type PreparedRequest,
} from '../src/verify/iam/evaluator.js';
import type { PolicyDocument } from '../src/verify/iam/types.js';
import { replicatedExample } from './helpers/fleet.js';
import { seeded } from './helpers/rng.js';

/**
 * The probe entry points (evaluatePoliciesFor, matchesOverTagsFor, decisionOverTagsFor, evaluateFor)
 * decide a caller's request with another action, resource and a few context keys added without
 * deriving a request (no context Map copied per probe), and asAwsPrincipal asks as another AWS
 * principal sharing the caller's context. PreparedRequest.derive, and the request KMS's key policy
 * statement to the account was asked with before (a request prepared again with the account's root
 * ARN as principal and the derived context), stay the reference: for seeded random draws from the
 * example fleets' real roles, policies, actions, resources and condition keys, both ways agree.
 */

const EXAMPLES = ['eks-irsa', 'eks-pod-identity', 'ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm', 'mixed-aws-azure', 'id-tokens-vm', 'cross-account-deploy'];

interface Pools {
  roles: RoleFacts[];
  resourcePolicies: CompiledPolicy[];
  actions: string[];
  resources: string[];
  conditionKeys: string[];
  conditionValues: string[];
  principalTagKeys: string[];
  /** A statement's action, resource and one of its conditions' keys and values: the probes that turn on a condition. */
  conditioned: { action: string; resource: string; key: string; values: string[] }[];
}

const asList = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** What the fleet's documents hold: its roles, its resource policies, and the actions, resources and condition keys and values their statements name. */
function poolsOf(example: string): Pools {
  const { fleet } = resolveFleet(fleetSchema.parse(replicatedExample(example, 3)));
  const emitted = emitFleet(fleet);
  const facts = awsFacts(emitted)!;
  const roles = [...facts.roles.values()];
  const resourcePolicies: CompiledPolicy[] = roles.map((r) => r.trustCompiled);
  const resource = facts.root.resource;
  for (const type of ['aws_s3_bucket_policy', 'aws_kms_key', 'aws_kms_key_policy']) {
    for (const body of Object.values(resource[type] ?? {})) {
      if (typeof body.policy !== 'string') continue;
      try {
        const { compiled } = policyOfText(facts.root, body.policy);
        if (!compiled.hasPrincipallessStatements) resourcePolicies.push(compiled);
      } catch {
        // a policy with references the documents do not resolve: not one to draw from
      }
    }
  }
  // A KMS key policy's statements to the account (kms.ts asks them as the account's root): IAM decides
  // for the account's principals named so, and never for another account's.
  resourcePolicies.push(compilePolicy({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*', Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:*' } } },
      { Effect: 'Deny', Principal: '*', Action: 'kms:*', Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalAccount': '111122223333' } } },
    ],
  }));
  const docs: PolicyDocument[] = [...roles.flatMap((r) => [r.trust, ...r.policies]), ...resourcePolicies.map((p) => p.source)];
  const actions = new Set(['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:DeleteObject', 'kms:Decrypt', 'kms:GenerateDataKey', 'ssm:GetParameter', 'sts:AssumeRole', 'iam:PassRole']);
  const resources = new Set(['*']);
  const conditionKeys = new Set(['s3:prefix', 'aws:SecureTransport', 'aws:SourceVpce', 'kms:ViaService', 'kms:EncryptionContext:aws:s3:arn', 'aws:PrincipalArn']);
  const conditionValues = new Set(['true', 'false', '', 'x']);
  const principalTagKeys = new Set<string>();
  const conditioned: Pools['conditioned'] = [];
  for (const doc of docs) {
    for (const st of asList(doc.Statement) as Record<string, unknown>[]) {
      const stActions = asList(st.Action ?? st.NotAction).filter((a): a is string => typeof a === 'string');
      const stResources = asList(st.Resource ?? st.NotResource).filter((r): r is string => typeof r === 'string');
      for (const a of asList(st.Action ?? st.NotAction)) if (typeof a === 'string') actions.add(a.replaceAll('*', 'Get'));
      for (const r of asList(st.Resource ?? st.NotResource)) if (typeof r === 'string') for (const fill of ['', 'runner-1/probe', 'a']) resources.add(r.replaceAll('*', fill));
      for (const block of Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
        for (const [k, v] of Object.entries(block)) {
          conditionKeys.add(k);
          if (k.toLowerCase().startsWith('aws:principaltag/')) principalTagKeys.add(k.slice('aws:principaltag/'.length).toLowerCase());
          const values = asList(v).flatMap((x) => [String(x), String(x).replaceAll('*', 'runner-1')]);
          for (const x of values) conditionValues.add(x);
          for (const a of stActions) for (const r of stResources.length > 0 ? stResources : ['*']) conditioned.push({ action: a.replaceAll('*', 'Get'), resource: r.replaceAll('*', 'runner-1'), key: k, values: [...values, 'other'] });
        }
      }
    }
  }
  for (const r of roles) for (const k of Object.keys(r.tags)) principalTagKeys.add(k.toLowerCase());
  return { roles, resourcePolicies, actions: [...actions], resources: [...resources], conditionKeys: [...conditionKeys], conditionValues: [...conditionValues], principalTagKeys: [...principalTagKeys], conditioned };
}

/** What asAccount in src/verify/kms.ts asked before asAwsPrincipal: the derived request prepared again as the account's root. */
function preparedAgainAs(id: string, req: PreparedRequest): PreparedRequest {
  return prepareRequest({ principal: { type: 'AWS', id }, action: req.action, resource: req.resource, context: Object.fromEntries([...req.context].map(([k, v]) => [k, [...v]])) });
}

describe('probe entry points agree with evaluation of the derived request (seeded draws from the example fleets)', () => {
  for (const [n, example] of EXAMPLES.entries()) {
    it(`${example}: 600 draws, every entry point, and asAwsPrincipal`, () => {
      const pools = poolsOf(example);
      expect(pools.roles.length).toBeGreaterThan(0);
      const random = seeded(20266000 + n);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const recase = (k: string) => (random() < 0.3 ? k.toUpperCase() : random() < 0.5 ? k : k.toLowerCase());
      const seen = { allow: 0, 'explicit-deny': 0, 'implicit-deny': 0, turned: 0, either: 0, copied: 0, shared: 0 };
      for (let draw = 0; draw < 600; draw++) {
        const where = `${example} draw ${draw}`;
        const role = pick(pools.roles);
        // The caller's own context, as the proofs prepare it (a cache probe's, a parameter's tags), sometimes a condition key of the documents.
        const base: Record<string, string> = {};
        if (random() < 0.6) base['aws:SecureTransport'] = pick(['true', 'false']);
        if (random() < 0.4) base[pick(pools.conditionKeys)] = pick(pools.conditionValues);
        // Principals: the role (aws:PrincipalArn and aws:PrincipalAccount added), an assumed-role session
        // or a bare account (only the account added), a service (neither).
        const id = random() < 0.7 ? roleArn('aws', '111122223333', role.path, role.name) : pick(['arn:aws:sts::111122223333:assumed-role/x/s', '111122223333', 'ec2.amazonaws.com']);
        const principal = { type: id.endsWith('.amazonaws.com') ? ('Service' as const) : ('AWS' as const), id };
        const caller = prepareRequest(id.includes(':role/') ? roleRequest(role, id, 's3:GetObject', '*', base) : { principal, action: 's3:GetObject', resource: '*', context: base });
        // Half the draws as a proof's probe would ask: a statement's action and resource, a key it tests added.
        const probe = pools.conditioned.length > 0 && random() < 0.5 ? pick(pools.conditioned) : undefined;
        const action = probe?.action ?? pick(pools.actions);
        const resource = probe?.resource ?? pick(pools.resources);
        // The probe's added keys: none, one, a few (a key of the caller's context replaced, two that differ only in case).
        let extra: Record<string, string> | undefined;
        if (probe !== undefined) extra = { [recase(probe.key)]: pick(probe.values) };
        else if (random() < 0.75) {
          extra = {};
          const count = 1 + Math.floor(random() * 3);
          for (let i = 0; i < count; i++) extra[recase(random() < 0.2 && Object.keys(base).length > 0 ? pick(Object.keys(base)) : pick(pools.conditionKeys))] = pick(pools.conditionValues);
        }
        const identity = role.policiesCompiled;
        const resourcePolicies = pools.resourcePolicies.filter(() => random() < 0.15);
        const set: PolicySet = random() < 0.5 ? { identity } : { identity, resource: resourcePolicies };
        const derived = caller.derive(action, resource, extra);

        const d = evaluatePolicies(set, derived);
        expect(evaluatePoliciesFor(set, caller, action, resource, extra), where).toBe(d);
        seen[d]++;
        if (extra !== undefined && evaluatePolicies(set, caller.derive(action, resource)) !== d) seen.turned++;
        for (const p of identity) expect(evaluateFor(p, caller, action, resource, extra, 'identity'), where).toBe(evaluate(p, derived, 'identity'));
        for (const p of resourcePolicies) expect(evaluateFor(p, caller, action, resource, extra, 'resource'), where).toBe(evaluate(p, derived, 'resource'));

        const keys = new Set(pools.principalTagKeys.filter(() => random() < 0.5));
        const conditionKeys = random() < 0.3 ? new Set([pick(pools.conditionKeys).toLowerCase()]) : undefined;
        const over = matchesOverTags(set, derived, keys, conditionKeys);
        expect(matchesOverTagsFor(set, caller, action, resource, extra, keys, conditionKeys), where).toEqual(over);
        const overDecision = decisionOverTags(set, derived, keys, conditionKeys);
        expect(decisionOverTagsFor(set, caller, action, resource, extra, keys, conditionKeys), where).toBe(overDecision);
        if (overDecision === 'either') seen.either++;

        // Asked as the account's root (a KMS key policy's statement to the account), over the resource policies.
        const root = `arn:aws:iam::${random() < 0.8 ? '111122223333' : '444455556666'}:root`;
        const as = caller.asAwsPrincipal(root);
        if (as.context === caller.context) seen.shared++;
        else seen.copied++;
        const before = preparedAgainAs(root, derived);
        for (const p of resourcePolicies) {
          expect(evaluateFor(p, as, action, resource, extra, 'resource'), where).toBe(evaluate(p, before, 'resource'));
          expect(matchesOverTagsFor({ resource: [p] }, as, action, resource, extra, keys), where).toEqual(matchesOverTags({ resource: [p] }, before, keys));
        }
      }
      // The draws reach every outcome, and the added keys decide some of them.
      expect(seen.allow, JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen['implicit-deny'], JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen.turned, JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen.shared, JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen.copied, JSON.stringify(seen)).toBeGreaterThan(0);
    });
  }

  it('the probe entry points refuse what derive refuses, with its message', () => {
    const caller = prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, action: 's3:GetObject', resource: '*' });
    const p = { identity: [] };
    expect(() => evaluatePoliciesFor(p, caller, '', '*')).toThrow('request.action must be a non-empty string');
    expect(() => caller.derive('', '*')).toThrow('request.action must be a non-empty string');
    expect(() => evaluatePoliciesFor(p, caller, 's3:GetObject', 1 as unknown as string)).toThrow('request.resource must be a string');
    const bad = { 's3:prefix': ['x'] } as unknown as Record<string, string>;
    expect(() => matchesOverTagsFor(p, caller, 's3:ListBucket', '*', bad, new Set())).toThrow('request.context["s3:prefix"] must be a string or a list of strings');
    expect(() => caller.derive('s3:ListBucket', '*', bad)).toThrow('request.context["s3:prefix"] must be a string or a list of strings');
  });

  it('explicit-deny is among the outcomes drawn: a Deny on an added key decides as on the derived request', () => {
    const deny = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*' }, { Effect: 'Deny', Action: 's3:ListBucket', Resource: '*', Condition: { StringNotLike: { 's3:prefix': 'runner-1/*' } } }] } as PolicyDocument;
    const caller = prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, action: 's3:GetObject', resource: '*', context: { 's3:prefix': 'runner-1/x' } });
    const extras: (Record<string, string> | undefined)[] = [undefined, { 's3:prefix': 'runner-2/x' }, { 'S3:Prefix': 'runner-1/y' }, { 's3:prefix': 'runner-2/x', 'S3:PREFIX': 'runner-1/z' }];
    for (const extra of extras) {
      expect(evaluateFor(deny, caller, 's3:ListBucket', '*', extra, 'identity')).toBe(evaluate(deny, caller.derive('s3:ListBucket', '*', extra), 'identity'));
    }
    expect(evaluateFor(deny, caller, 's3:ListBucket', '*', { 's3:prefix': 'runner-2/x' }, 'identity')).toBe('explicit-deny');
    expect(evaluateFor(deny, caller, 's3:ListBucket', '*', { 's3:prefix': 'runner-2/x', 'S3:PREFIX': 'runner-1/z' }, 'identity')).toBe('allow');
  });
});
