import { describe, expect, it } from 'vitest';
import { fleetSchema } from '../src/spec/fleet.js';
import { resolveFleet } from '../src/spec/resolve.js';
import { emitFleet } from '../src/emit/index.js';
import { awsFacts, policyOfText, preparedRoleRequest, roleArn, rolePrincipal, roleRequest, type RoleFacts } from '../src/verify/aws-docs.js';
import {
  decisionOverTags,
  evaluatePolicies,
  oneList,
  prepareRequest,
  PreparedPrincipal,
  type CompiledPolicy,
  type PolicySet,
  type PreparedRequest,
} from '../src/verify/iam/evaluator.js';
import type { Request, RequestPrincipal } from '../src/verify/iam/types.js';
import { replicatedExample } from './helpers/fleet.js';
import { seeded } from './helpers/rng.js';

/**
 * A caller's principal and tags are prepared once (PreparedPrincipal, rolePrincipal per role) and
 * each of its requests made from it; one-element context lists are shared per value and frozen.
 * The reference is a fresh prepareRequest of the whole Request (roleRequest for a role): for seeded
 * draws over the example fleets' real roles and policies both give the same context and decisions.
 */

const EXAMPLES = ['eks-irsa', 'eks-pod-identity', 'ec2-docker', 'ecs-fargate', 'ec2-autoscaler', 'mixed-eks-vm', 'cross-account-deploy'];

const asList = (x: unknown): unknown[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

function poolsOf(example: string): { roles: RoleFacts[]; resourcePolicies: CompiledPolicy[]; actions: string[]; resources: string[]; keys: string[]; values: string[]; tagKeys: string[] } {
  const { fleet } = resolveFleet(fleetSchema.parse(replicatedExample(example, 3)));
  const facts = awsFacts(emitFleet(fleet))!;
  const roles = [...facts.roles.values()];
  const resourcePolicies: CompiledPolicy[] = roles.map((r) => r.trustCompiled);
  for (const type of ['aws_s3_bucket_policy', 'aws_kms_key']) {
    for (const body of Object.values(facts.root.resource[type] ?? {})) {
      if (typeof body.policy !== 'string') continue;
      try {
        const { compiled } = policyOfText(facts.root, body.policy);
        if (!compiled.hasPrincipallessStatements) resourcePolicies.push(compiled);
      } catch {
        // references the documents do not resolve: not one to draw from
      }
    }
  }
  const actions = new Set(['s3:GetObject', 's3:ListBucket', 'kms:Decrypt', 'ssm:GetParameter', 'sts:AssumeRole', 'sts:AssumeRoleWithWebIdentity', 'sts:TagSession']);
  const resources = new Set(['*']);
  const keys = new Set(['aws:SecureTransport', 's3:prefix', 'aws:PrincipalArn', 'aws:PrincipalAccount']);
  const values = new Set(['true', 'false', '', '111122223333']);
  const tagKeys = new Set<string>();
  for (const doc of [...roles.flatMap((r) => [r.trust, ...r.policies]), ...resourcePolicies.map((p) => p.source)]) {
    for (const st of asList(doc.Statement) as Record<string, unknown>[]) {
      for (const a of asList(st.Action ?? st.NotAction)) if (typeof a === 'string') actions.add(a.replaceAll('*', 'Get'));
      for (const r of asList(st.Resource ?? st.NotResource)) if (typeof r === 'string') resources.add(r.replaceAll('*', 'runner-1/probe'));
      for (const block of Object.values((st.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
        for (const [k, v] of Object.entries(block)) {
          keys.add(k);
          if (k.toLowerCase().startsWith('aws:principaltag/')) tagKeys.add(k.slice('aws:principaltag/'.length).toLowerCase());
          for (const x of asList(v)) values.add(String(x).replaceAll('*', 'runner-1'));
        }
      }
    }
  }
  for (const r of roles) for (const k of Object.keys(r.tags)) tagKeys.add(k.toLowerCase());
  return { roles, resourcePolicies, actions: [...actions], resources: [...resources], keys: [...keys], values: [...values], tagKeys: [...tagKeys] };
}

/** A prepared request as plain data: what evaluation reads of it. */
function shape(r: PreparedRequest): unknown {
  return { action: r.action, resource: r.resource, principal: r.principal, account: r.principalAccount, rootKey: r.principalRootKey, context: [...r.context].map(([k, v]) => [k, [...v]]).sort(([x], [y]) => String(x).localeCompare(String(y))) };
}

describe('requests made from a prepared principal equal a fresh prepareRequest (seeded draws from the example fleets)', () => {
  for (const [n, example] of EXAMPLES.entries()) {
    it(`${example}: 500 draws, roles and other principals`, () => {
      const pools = poolsOf(example);
      expect(pools.roles.length).toBeGreaterThan(0);
      const random = seeded(20266100 + n);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const seen = { allow: 0, 'explicit-deny': 0, 'implicit-deny': 0, shared: 0, own: 0 };
      for (let draw = 0; draw < 500; draw++) {
        const where = `${example} draw ${draw}`;
        const role = pick(pools.roles);
        const action = pick(pools.actions);
        const resource = pick(pools.resources);
        // The request's own context: none, empty, a few keys (a principal key or a tag key overridden, lists of 0, 1 or 2 values).
        let context: Record<string, string | string[]> | undefined;
        if (random() < 0.7) {
          context = {};
          const count = Math.floor(random() * 4);
          for (let i = 0; i < count; i++) {
            const key = random() < 0.15 && pools.tagKeys.length > 0 ? `aws:PrincipalTag/${pick(pools.tagKeys)}` : pick(pools.keys);
            const r = random();
            context[random() < 0.3 ? key.toUpperCase() : key] = r < 0.6 ? pick(pools.values) : r < 0.7 ? [] : r < 0.85 ? [pick(pools.values)] : [pick(pools.values), pick(pools.values)];
          }
          // Two keys differing only in case (unless the first is an empty list): both ways refuse it, with one message.
          const arn = roleArn('aws', '111122223333', role.path, role.name);
          const refused = captured(() => prepareRequest(roleRequest(role, arn, action, resource, context)));
          if (refused !== '') {
            expect(() => preparedRoleRequest(role, arn, action, resource, context), where).toThrow(refused);
            continue;
          }
        }
        // The role as itself (rolePrincipal, reused across draws), or another principal prepared for the draw.
        const other: (RequestPrincipal | undefined)[] = [undefined, { type: 'AWS', id: '111122223333' }, { type: 'AWS', id: 'arn:aws:sts::111122223333:assumed-role/x/s' }, { type: 'Service', id: 'ecs-tasks.amazonaws.com' }, { type: 'Federated', id: 'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X' }];
        let made: PreparedRequest;
        let reference: Request;
        if (random() < 0.75) {
          const arn = roleArn('aws', random() < 0.8 ? '111122223333' : '444455556666', role.path, role.name);
          made = preparedRoleRequest(role, arn, action, resource, context);
          reference = roleRequest(role, arn, action, resource, context);
          expect(rolePrincipal(role, arn), where).toBe(rolePrincipal(role, arn));
        } else {
          const principal = pick(other);
          made = new PreparedPrincipal(principal).request(action, resource, context);
          reference = { ...(principal !== undefined ? { principal } : {}), action, resource, ...(context !== undefined ? { context } : {}) };
        }
        const fresh = prepareRequest(reference);
        expect(shape(made), where).toEqual(shape(fresh));
        if (made.context.size > 0 && [...made.context.values()].every((v) => Object.isFrozen(v))) seen.own++;
        const identity = role.policiesCompiled;
        const set: PolicySet = made.principal?.type === 'AWS' || random() < 0.5 ? { identity, resource: pools.resourcePolicies.filter(() => random() < 0.2) } : { identity };
        const d = evaluatePolicies(set, made);
        expect(d, where).toBe(evaluatePolicies(set, fresh));
        seen[d]++;
        const keys = new Set(pools.tagKeys.filter(() => random() < 0.5));
        expect(decisionOverTags(set, made, keys), where).toBe(decisionOverTags(set, fresh, keys));
        if (context === undefined && made.principal !== undefined) {
          // Without a context of its own, the request shares its principal's context Map.
          const base = made.principal.type === 'AWS' && made.principal.id.includes(':role/') ? rolePrincipal(role, made.principal.id) : undefined;
          if (base !== undefined && made.context === base.context) seen.shared++;
        }
      }
      expect(seen.allow, JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen['implicit-deny'], JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen.shared, JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen.own, JSON.stringify(seen)).toBeGreaterThan(0);
    });
  }

  it('a prepared principal refuses what prepareRequest refuses, with its message', () => {
    const bad: [RequestPrincipal | undefined, Record<string, string> | undefined][] = [
      [{ type: 'Nobody' as 'AWS', id: 'x' }, undefined],
      [{ type: 'AWS', id: '' }, undefined],
      [{ type: 'Service', id: 'ec2.amazonaws.com' }, { team: 'a' }],
      [{ type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, { Team: 'a', team: 'b' }],
      [{ type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, { team: 1 as unknown as string }],
    ];
    for (const [principal, tags] of bad) {
      const message = captured(() => prepareRequest({ principal: principal!, action: 's3:GetObject', resource: '*', principalTags: tags }));
      expect(message).not.toBe('');
      expect(() => new PreparedPrincipal(principal, tags)).toThrow(message);
    }
    const p = new PreparedPrincipal({ type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' });
    expect(() => p.request('', '*')).toThrow('request.action must be a non-empty string');
    expect(() => p.request('s3:GetObject', 1 as unknown as string)).toThrow('request.resource must be a string');
    expect(() => p.request('s3:GetObject', '*', { a: [1] as unknown as string[] })).toThrow('request.context["a"] must be a string or a list of strings');
  });
});

function captured(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describe('context value lists are frozen and shared', () => {
  it('one-element lists are one frozen list per value; a caller cannot change them', () => {
    const a = prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:iam::111122223333:role/a' }, action: 's3:GetObject', resource: '*', context: { 'aws:SecureTransport': 'true' }, principalTags: { team: 'x' } });
    const b = prepareRequest({ action: 's3:ListBucket', resource: '*', context: { 'AWS:SecureTransport': ['true'], 'aws:SourceVpce': 'true' } });
    const list = a.context.get('aws:securetransport')!;
    expect(b.context.get('aws:securetransport')).toBe(list);
    expect(b.context.get('aws:sourcevpce')).toBe(list);
    expect(oneList('true')).toBe(list);
    for (const r of [a, b]) for (const v of r.context.values()) expect(Object.isFrozen(v)).toBe(true);
    expect(() => (list as string[]).push('false')).toThrow(TypeError);
    expect(() => {
      (list as string[])[0] = 'false';
    }).toThrow(TypeError);
    expect(a.context.get('aws:securetransport')).toEqual(['true']);
    expect(Object.isFrozen(a.context.get('aws:principaltag/team'))).toBe(true);
    expect(Object.isFrozen(a.context.get('aws:principalarn'))).toBe(true);
  });

  it('a list the caller passes is copied and frozen: changing the caller\'s list afterwards changes nothing', () => {
    const mine = ['a', 'b'];
    const r = prepareRequest({ action: 's3:GetObject', resource: '*', context: { 'aws:TagKeys': mine } });
    mine.push('c');
    expect(r.context.get('aws:tagkeys')).toEqual(['a', 'b']);
    expect(Object.isFrozen(r.context.get('aws:tagkeys'))).toBe(true);
  });

  it('derived and re-principalled requests use frozen lists too', () => {
    const caller = prepareRequest({ principal: { type: 'AWS', id: 'arn:aws:sts::111122223333:assumed-role/x/s' }, action: 's3:GetObject', resource: '*' });
    const d = caller.derive('s3:ListBucket', '*', { 's3:prefix': 'runner-1/' });
    expect(Object.isFrozen(d.context.get('s3:prefix'))).toBe(true);
    const as = caller.asAwsPrincipal('arn:aws:iam::111122223333:root');
    expect(Object.isFrozen(as.context.get('aws:principalarn'))).toBe(true);
  });

  it('a request from a prepared principal does not change the principal: its own keys go to a new context', () => {
    const p = new PreparedPrincipal({ type: 'AWS', id: 'arn:aws:iam::111122223333:role/r' }, { team: 'x' });
    const before = [...p.context];
    const plain = p.request('s3:GetObject', '*');
    expect(plain.context).toBe(p.context);
    const own = p.request('s3:GetObject', '*', { 'aws:PrincipalTag/team': 'y', 's3:prefix': 'a' });
    expect(own.context).not.toBe(p.context);
    expect(own.context.get('aws:principaltag/team')).toEqual(['y']);
    expect([...p.context]).toEqual(before);
    expect(p.request('s3:GetObject', '*', { 's3:prefix': [] }).context).toBe(p.context);
  });
});
